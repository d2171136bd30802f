// What the fuzz harnesses share: a scratch directory (one per process, under TMPDIR or /tmp) to
// which a harness writes the input when the reader under test takes a path, as users call it.
// Every harness also checks what the readers promise: a failed read leaves its output (and a
// model's weights) untouched, and a successful one gives a consistent result.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fuzz {

inline const std::filesystem::path& scratch() {
    static const std::filesystem::path dir = [] {
        const char* t = std::getenv("TMPDIR");
        std::filesystem::path d = std::filesystem::path(t && *t ? t : "/tmp") /
                                  ("typenet_fuzz_" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        return d;
    }();
    return dir;
}

inline std::filesystem::path write(const std::string& name, const std::uint8_t* data, std::size_t n) {
    const std::filesystem::path p = scratch() / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(n));
    return p;
}

// A broken promise is a crash the fuzzer reports (with the input that caused it).
inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
        std::abort();
    }
}

}  // namespace fuzz
