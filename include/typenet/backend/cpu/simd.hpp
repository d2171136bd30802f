// simd: the vector type the CPU micro-kernels keep their accumulators in, and how many of them fit
// in the register file. Chosen at compile time from the target (-march): 256-bit vectors with AVX
// (32 of them with AVX-512VL, 16 without); without AVX a one-lane "vector" (plain T), so the same
// kernels compile to portable scalar code.
#pragma once

#include "../../core/config.hpp"
#include "../../core/functors.hpp"

#include <utility>

namespace typenet::cpu_detail {

// An activation the micro-kernels apply to their accumulators in registers, before the store:
// relu and leaky_relu (a comparison and a select). Other activations run after the store.
// It is the simplest "register epilogue" R: what a micro-kernel applies to its accumulators on
// the way to memory, R::vec(v, address, column) for a vector and R::scalar(x, address, column) for
// one value (address and column -- the filter or unit -- tell a fused epilogue which residual
// element and which channel constants it is at; backend/cpu/epilogue.hpp).
enum class store_act { none, relu, leaky };
template <class T>
struct simd;
template <class T>
struct vec_act {
    store_act kind = store_act::none;
    T alpha = 0;  // leaky_relu's slope
    // Exactly the scalar functors' arithmetic (fn::relu, fn::leaky_relu), NaN included.
    TYPENET_INLINE T operator()(T x) const {
        return kind == store_act::none ? x : x > T(0) ? x : kind == store_act::relu ? T(0) : alpha * x;
    }
    template <class V>
    TYPENET_INLINE V vec(V v, const T*, index_t) const {
        return simd<T>::activate(v, *this);
    }
    TYPENET_INLINE T scalar(T x, const T*, index_t) const { return (*this)(x); }
};

// Accumulators as explicit vectors (GCC/clang vector extensions) so they stay in registers:
// with plain arrays g++ 12 kept a 4 x 32 tile in memory (M2 inference: 10 GFLOP/s).
// Only with AVX: passing 32-byte vectors by value without it changes the ABI (g++ -Wpsabi).
#if (defined(__GNUC__) || defined(__clang__)) && defined(__AVX__)
#define TYPENET_VECTOR_EXTENSIONS 1
template <class T>
struct simd {
    static constexpr index_t width = 32 / index_t(sizeof(T));  // 256-bit vectors
    typedef T type __attribute__((vector_size(32)));
    TYPENET_INLINE static type load(const T* p) {
        type v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    TYPENET_INLINE static void store(T* p, type v) { __builtin_memcpy(p, &v, sizeof v); }
    // The compiler's own builtins (those <immintrin.h> wraps), called directly: that header costs
    // 0.3 s in every translation unit. Available in g++ and clang with -mavx / -mfma.
    TYPENET_INLINE static type splat(T a) {
        return [a]<std::size_t... I>(std::index_sequence<I...>) { return type{((void)I, a)...}; }(
            std::make_index_sequence<std::size_t(width)>{});
    }
    // vec_act on every lane, as its scalar operator() would: max(v, 0) returns its second operand
    // when v is NaN or -0, and relu gives +0 there too; the leaky select is on v > 0.
    TYPENET_INLINE static type activate(type v, const vec_act<T>& a) {
        if (a.kind == store_act::none) return v;
        const type zero{};
        if constexpr (sizeof(T) == 4) {
            if (a.kind == store_act::relu) return __builtin_ia32_maxps256(v, zero);
            return __builtin_ia32_blendvps256(splat(a.alpha) * v, v, __builtin_ia32_cmpps256(v, zero, 0x1e));  // _CMP_GT_OQ
        } else {
            if (a.kind == store_act::relu) return __builtin_ia32_maxpd256(v, zero);
            return __builtin_ia32_blendvpd256(splat(a.alpha) * v, v, __builtin_ia32_cmppd256(v, zero, 0x1e));
        }
    }
    // a * b + c, rounded once where the target has FMA, written out so that the compiler's
    // contraction choices (which differ between inlined copies of one loop) cannot make a result
    // depend on how the work was tiled: every tile size, thread split and batch size gives the
    // same bits.
    TYPENET_INLINE static type fma(type a, type b, type c) {
#if defined(__FMA__)
        if constexpr (sizeof(T) == 4) return __builtin_ia32_vfmaddps256(a, b, c);
        else return __builtin_ia32_vfmaddpd256(a, b, c);
#else
        return a * b + c;
#endif
    }
};
#if defined(__AVX512VL__)
inline constexpr index_t vector_registers = 32;  // ymm0-31 with AVX-512VL
#else
inline constexpr index_t vector_registers = 16;
#endif
#else
#define TYPENET_VECTOR_EXTENSIONS 0
template <class T>
struct simd {
    static constexpr index_t width = 1;
    using type = T;
    static type load(const T* p) { return *p; }
    TYPENET_INLINE static void store(T* p, type v) { *p = v; }
    static type splat(T a) { return a; }
    static type activate(type v, const vec_act<T>& a) { return a(v); }
    static type fma(type a, type b, type c);
};
inline constexpr index_t vector_registers = 16;
#endif

// Scalar a * b + c with the same rounding as simd<T>::fma (one rounding where the target has FMA).
template <class T>
TYPENET_INLINE T fmadd(T a, T b, T c) {
    return fn::multiply_add{}(a, b, c);
}

#if !TYPENET_VECTOR_EXTENSIONS
template <class T>
typename simd<T>::type simd<T>::fma(type a, type b, type c) {
    return fmadd(a, b, c);
}
#endif

}  // namespace typenet::cpu_detail
