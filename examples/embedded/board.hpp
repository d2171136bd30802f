// Board support for the examples and tests that run on an Arm MPS2-AN386 (Cortex-M4F) under QEMU:
// output through semihosting (the debugger -- here QEMU -- prints it), the exit status, and the
// stack's high-water mark. No heap, no C library stdio: a few hundred bytes of flash.
#pragma once

#include <cstdint>
#include <cstring>

namespace board {

// One semihosting call: `bkpt 0xAB` with the operation in r0 and its argument in r1.
inline int semihost(int op, const void* arg) {
    register int r0 __asm__("r0") = op;
    register const void* r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

inline void write(const char* s) { semihost(0x04, s); }  // SYS_WRITE0: a NUL-terminated string

inline void write_uint(std::uint32_t v) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do buf[--i] = char('0' + v % 10), v /= 10; while (v);
    write(buf + i);
}
inline void write_hex(std::uint32_t v) {
    char buf[9];
    for (int i = 7; i >= 0; --i, v >>= 4) buf[i] = "0123456789abcdef"[v & 15];
    buf[8] = 0;
    write(buf);
}
// A float's exact bits, as 8 hex digits (the host reads them back without rounding).
inline void write_float_bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    write_hex(u);
}

// SYS_EXIT: QEMU exits with status 0 for "application exit", 1 for any other reason.
[[noreturn]] inline void exit(int status) {
    semihost(0x18, reinterpret_cast<const void*>(std::uintptr_t(status == 0 ? 0x20026u : 0x20023u)));
    for (;;) {
    }
}

// The stack is painted with this word before main; the deepest word no longer painted is the
// high-water mark.
inline constexpr std::uint32_t paint = 0xC5C5C5C5u;
std::uint32_t stack_high_water();  // bytes (startup.cpp)


}  // namespace board
