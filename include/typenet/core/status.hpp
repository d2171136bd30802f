// status: the result of an operation that can fail at run time (file I/O, weight loading).
// Works with -fno-exceptions: nothing here throws; the caller checks the result.
#pragma once

#include <string>
#include <utility>

namespace typenet {

class [[nodiscard]] status {
public:
    status() = default;  // success

    static status error(std::string message) {
        status s;
        s.message_ = message.empty() ? std::string("unknown error") : std::move(message);
        return s;
    }

    bool ok() const noexcept { return message_.empty(); }
    explicit operator bool() const noexcept { return ok(); }
    const std::string& message() const noexcept { return message_; }

private:
    std::string message_;
};

}  // namespace typenet
