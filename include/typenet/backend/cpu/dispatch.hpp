// dispatch: the CPU kernels compiled once per instruction set (isa/kernels.ipp) and the choice
// among them, made once at run time (backend/cpu/isa.hpp). with_kernels(f) calls f(K{}) with the
// chosen set's entry points K (isa_avx512::kernels, isa_avx2::kernels or isa_generic::kernels).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../../core/config.hpp"
#include "../../core/expr.hpp"
#include "../../core/functors.hpp"
#include "../../core/train_context.hpp"
#include "backward.hpp"
#include "epilogue.hpp"
#include "gemm.hpp"
#include "isa.hpp"
#include "kernels.hpp"
#include "recurrent.hpp"
#include "simd.hpp"

// One copy of the kernels per instruction set at or above the baseline of this translation unit
// (every x86 set in typenet::kernels, src/kernels.cpp, whatever flags it is built with).
#if defined(TYPENET_BUILD_KERNELS)
#define TYPENET_CPU_ALL_SETS 1
#else
#define TYPENET_CPU_ALL_SETS 0
#endif
#if TYPENET_CPU_X86
#define TYPENET_CPU_ISA_NS isa_avx512
#define TYPENET_CPU_ISA_LEVEL 2
#include "isa/kernels.ipp"
#undef TYPENET_CPU_ISA_NS
#undef TYPENET_CPU_ISA_LEVEL
#endif
#if TYPENET_CPU_X86 && (TYPENET_CPU_BASELINE_LEVEL <= 1 || TYPENET_CPU_ALL_SETS)
#define TYPENET_CPU_ISA_NS isa_avx2
#define TYPENET_CPU_ISA_LEVEL 1
#include "isa/kernels.ipp"
#undef TYPENET_CPU_ISA_NS
#undef TYPENET_CPU_ISA_LEVEL
#endif
#if TYPENET_CPU_BASELINE_LEVEL == 0 || TYPENET_CPU_ALL_SETS
#define TYPENET_CPU_ISA_NS isa_generic
#define TYPENET_CPU_ISA_LEVEL 0
#include "isa/kernels.ipp"
#undef TYPENET_CPU_ISA_NS
#undef TYPENET_CPU_ISA_LEVEL
#endif

namespace typenet::cpu_detail {

// f(K{}) with the kernels of the active instruction set (active_isa: the best this processor runs,
// or the one TYPENET_CPU_KERNELS / set_cpu_kernels chose, never below what was compiled).
template <class F>
decltype(auto) with_kernels(F&& f) {
    switch (active_isa()) {
#if TYPENET_CPU_X86
    case cpu_isa::avx512: return f(isa_avx512::kernels{});
#endif
#if TYPENET_CPU_X86 && TYPENET_CPU_BASELINE_LEVEL <= 1
    case cpu_isa::avx2: return f(isa_avx2::kernels{});
#endif
    default: break;
    }
#if TYPENET_CPU_BASELINE_LEVEL == 0
    return f(isa_generic::kernels{});
#elif TYPENET_CPU_BASELINE_LEVEL == 1
    return f(isa_avx2::kernels{});
#else
    return f(isa_avx512::kernels{});
#endif
}

}  // namespace typenet::cpu_detail
