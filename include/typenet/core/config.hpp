// config: the library's basic types and portability macros (host/device annotation, assertions).
#pragma once

#include <cstdint>

namespace typenet {
using index_t = std::int64_t;  // every extent, count and offset: signed, so errors print plainly
}

// "This compiler is nvcc" (TYPENET_NVCC) and "this is the device pass" (TYPENET_DEVICE_PASS)
// are different questions (Eigen keeps them apart too).
#if defined(__CUDACC__)
#define TYPENET_NVCC 1
#define TYPENET_HD __host__ __device__
#else
#define TYPENET_HD
#endif
#if defined(__CUDA_ARCH__)
#define TYPENET_DEVICE_PASS 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TYPENET_RESTRICT __restrict__
#define TYPENET_INLINE inline __attribute__((always_inline))
// A micro-kernel stays a function of its own: inlined into its tile loop it lost 15 % (register
// pressure and code layout of a 24-accumulator loop; docs/performance.md).
#define TYPENET_KERNEL __attribute__((noinline))
#else
#define TYPENET_RESTRICT
#define TYPENET_INLINE inline
#define TYPENET_KERNEL
#endif

// Fixed-trip loops of the micro-kernels (over a tile's rows, pixels and vectors) are unrolled by
// the code itself, so that their accumulators live in registers at -O2 as at -O3: g++ 12 unrolls
// them completely only at -O3, and at -O2 kept the tiles in memory (8-13x slower; bench/consumer).
// nvcc: CUDA's pragma in device code; its host pass hands the code to the host compiler, whose
// pragma it must then be (g++ -Wall reports `#pragma unroll` as unknown), and nvcc's front end
// reports a GCC pragma it passes on as unrecognised (#1675-D), so that one report is silenced there.
#if defined(__CUDA_ARCH__) || defined(__clang__)
#define TYPENET_UNROLL _Pragma("unroll")
#elif defined(__NVCC__) && defined(__GNUC__)
#define TYPENET_UNROLL \
    _Pragma("nv_diagnostic push") _Pragma("nv_diag_suppress 1675") _Pragma("GCC unroll 32") _Pragma("nv_diagnostic pop")
#elif defined(__GNUC__)
#define TYPENET_UNROLL _Pragma("GCC unroll 32")
#else
#define TYPENET_UNROLL
#endif

// Run-time checks of run-time extents (batch sizes). Compiled out with NDEBUG, like assert. A
// program may define TYPENET_ASSERT itself, before including typenet, to report them its own way.
#ifndef TYPENET_ASSERT
#include <cassert>
#define TYPENET_ASSERT(cond, msg) assert((cond) && msg)
#endif
