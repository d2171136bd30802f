// Reset and fault handlers for the MPS2-AN386 (Cortex-M4F) examples and tests: the vector table,
// .data copied from flash, .bss zeroed, the FPU enabled, the stack painted (for its high-water
// mark), static constructors, main, and the exit status back to QEMU through semihosting.
#include <cstdint>
#include <cstring>

#include "board.hpp"

extern "C" {
extern std::uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern std::uint32_t __stack_bottom[], __stack_top[];
extern void (*__preinit_array_start[])(), (*__preinit_array_end[])();
extern void (*__init_array_start[])(), (*__init_array_end[])();
// main, under another name: ISO C++ does not let a program call main itself.
int program_main() __asm__("main");
[[noreturn]] void reset_handler();
[[noreturn]] void fault_handler();
}

namespace {
using vector = void (*)();
}

// Initial stack pointer, then the handlers (reset, NMI, hard fault, memory management, bus fault,
// usage fault).
extern "C" __attribute__((section(".vectors"), used)) const vector vector_table[16] = {
    reinterpret_cast<vector>(__stack_top), reset_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, nullptr, nullptr, nullptr, nullptr, fault_handler, fault_handler,
    nullptr, fault_handler, fault_handler,
};


// A failed assert (typenet's TYPENET_ASSERT is assert unless NDEBUG): newlib's own would format
// the message with fprintf, and fprintf's buffers come from malloc.
extern "C" [[noreturn]] void __assert_func(const char* file, int line, const char* /*function*/, const char* expr) {
    board::write(file);
    board::write(":");
    board::write_uint(std::uint32_t(line));
    board::write(": assertion failed: ");
    board::write(expr);
    board::write("\n");
    board::exit(4);
}

extern "C" [[noreturn]] void fault_handler() {
    board::write("fault\n");
    board::exit(3);
}

std::uint32_t board::stack_high_water() {
    const std::uint32_t* p = __stack_bottom;
    while (p < __stack_top && *p == paint) ++p;
    return std::uint32_t(reinterpret_cast<std::uintptr_t>(__stack_top) - reinterpret_cast<std::uintptr_t>(p));
}

extern "C" [[noreturn]] void reset_handler() {
    // Coprocessors 10 and 11 (the FPU) full access, before any floating-point instruction.
    volatile std::uint32_t& cpacr = *reinterpret_cast<volatile std::uint32_t*>(0xE000ED88u);
    cpacr = cpacr | (0xFu << 20);
    __asm__ volatile("dsb\n isb" ::: "memory");
    for (std::uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
    for (std::uint32_t* d = __bss_start; d < __bss_end;) *d++ = 0;
    // Paint the stack below the current frame (this function's few words stay above it).
    std::uint32_t* sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (std::uint32_t* d = __stack_bottom; d < sp - 16;) *d++ = board::paint;
    for (auto f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
    for (auto f = __init_array_start; f < __init_array_end; ++f) (*f)();
    board::exit(program_main());
}
