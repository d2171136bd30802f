// status: the result of an operation that can fail at run time (file I/O, weight loading).
// Works with -fno-exceptions: nothing here throws; the caller checks the result.
#pragma once

#include <string>
#include <utility>

// nvcc's front end reports #2810-D "ignoring return value type with nodiscard attribute" on every
// assignment to a status (`st = status::error(...)`): it takes the status& that operator= returns
// for a [[nodiscard]] result. The standard's rule is about calls that return the class by value
// ([dcl.attr.nodiscard]); g++ and clang say nothing, and the same report is filed against nvc++ in
// NVIDIA/stdexec#786 (docs/reliability.md has a four-line reproducer). The headers that assign a
// status put their code between these two macros, which silence that one diagnostic there and
// nowhere else; a discarded status (#3004-D) is still reported everywhere.
#if defined(__NVCC__)
#define TYPENET_BEGIN_STATUS_ASSIGNMENTS _Pragma("nv_diagnostic push") _Pragma("nv_diag_suppress 2810")
#define TYPENET_END_STATUS_ASSIGNMENTS _Pragma("nv_diagnostic pop")
#else
#define TYPENET_BEGIN_STATUS_ASSIGNMENTS
#define TYPENET_END_STATUS_ASSIGNMENTS
#endif

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
