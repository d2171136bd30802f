// isa: which instruction set the CPU kernels run with. A header-only library is compiled with its
// users' flags, so the kernels are compiled once per instruction set (backend/cpu/dispatch.hpp) and
// the best one the processor supports is chosen at run time, once:
//   avx512  512-bit vectors, 32 registers (AVX-512 F/VL/BW/DQ)
//   avx2    256-bit vectors, 16 registers, FMA
//   generic portable scalar code (any CPU; the compiler may vectorise it for the baseline)
// TYPENET_CPU_KERNELS=avx2 (or generic) in the environment, or typenet::set_cpu_kernels, selects a
// lower one (the tests run every path on one machine; simdjson's SIMDJSON_FORCE_IMPLEMENTATION and
// oneDNN's ONEDNN_MAX_CPU_ISA do the same). Instruction sets below the compile-time baseline are
// not compiled at all: a -march=native build contains only the machine's own kernels.
#pragma once

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "../../core/config.hpp"

namespace typenet {

enum class cpu_isa { generic = 0, avx2 = 1, avx512 = 2 };

constexpr const char* to_string(cpu_isa i) {
    return i == cpu_isa::avx512 ? "avx512" : i == cpu_isa::avx2 ? "avx2" : "generic";
}

namespace cpu_detail {

// What this translation unit's flags already guarantee.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__) && !defined(TYPENET_CPU_NO_DISPATCH)
#define TYPENET_CPU_X86 1
#else
#define TYPENET_CPU_X86 0
#endif
#if TYPENET_CPU_X86 && defined(__AVX512F__) && defined(__AVX512VL__) && defined(__AVX512BW__) && \
    defined(__AVX512DQ__) && defined(__FMA__)
#define TYPENET_CPU_BASELINE_LEVEL 2
inline constexpr cpu_isa baseline_isa = cpu_isa::avx512;
#elif TYPENET_CPU_X86 && defined(__AVX2__) && defined(__FMA__)
#define TYPENET_CPU_BASELINE_LEVEL 1
inline constexpr cpu_isa baseline_isa = cpu_isa::avx2;
#else
#define TYPENET_CPU_BASELINE_LEVEL 0
inline constexpr cpu_isa baseline_isa = cpu_isa::generic;
#endif
// The instruction sets compiled here: the baseline and every one above it.
inline constexpr bool compiled(cpu_isa i) {
    return i >= baseline_isa && (i == cpu_isa::generic || TYPENET_CPU_X86);
}

// The best instruction set this processor (and its operating system: AVX state enabled) runs.
inline cpu_isa supported_isa() {
#if TYPENET_CPU_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return cpu_isa::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return cpu_isa::avx2;
#endif
    return cpu_isa::generic;
}

// The one to use: the best supported, lowered by TYPENET_CPU_KERNELS, never below what was compiled.
inline cpu_isa choose_isa(cpu_isa wanted) {
    const cpu_isa best = supported_isa();
    cpu_isa i = wanted < best ? wanted : best;
    return i < baseline_isa ? baseline_isa : i;
}
#if TYPENET_CPU_X86
inline cpu_isa isa_from_environment() {
    const char* e = std::getenv("TYPENET_CPU_KERNELS");
    if (!e) return cpu_isa::avx512;
    if (!std::strcmp(e, "generic")) return cpu_isa::generic;
    if (!std::strcmp(e, "avx2")) return cpu_isa::avx2;
    return cpu_isa::avx512;
}
inline std::atomic<int>& isa_slot() {
    static std::atomic<int> slot{int(choose_isa(isa_from_environment()))};
    return slot;
}
inline cpu_isa active_isa() { return cpu_isa(isa_slot().load(std::memory_order_relaxed)); }
inline void store_isa(cpu_isa i) { isa_slot().store(int(i), std::memory_order_relaxed); }
#else
// One instruction set (the portable kernels): nothing to choose, no environment to read (a
// bare-metal target has none), no static to guard.
constexpr cpu_isa active_isa() { return cpu_isa::generic; }
inline void store_isa(cpu_isa) {}
#endif

}  // namespace cpu_detail

// The instruction set the CPU kernels use in this program ("avx512", "avx2" or "generic").
inline cpu_isa cpu_kernels() { return cpu_detail::active_isa(); }
inline const char* cpu_kernels_name() { return to_string(cpu_kernels()); }
// Use `wanted`, or the best below it that this processor supports and this program compiled;
// returns what is used from now on. Results are bit-identical between avx512 and avx2 (both use one
// fused multiply-add per product, in the same order); generic rounds products separately unless the
// program is compiled for FMA. Call it between model calls, not during one.
inline cpu_isa set_cpu_kernels(cpu_isa wanted) {
    const cpu_isa i = cpu_detail::choose_isa(wanted);
    cpu_detail::store_isa(i);
    return i;
}

}  // namespace typenet
