// isa/kernels.ipp: every CPU kernel that uses vectors, compiled for one instruction set. No include
// guard: backend/cpu/dispatch.hpp includes it once per instruction set with
//   TYPENET_CPU_ISA_NS     the namespace (isa_generic, isa_avx2, isa_avx512)
//   TYPENET_CPU_ISA_LEVEL  0 generic, 1 avx2, 2 avx512
// Everything between the target pragmas is compiled for that instruction set, whatever the flags of
// the translation unit (Highway's foreach_target does the same). Rules for the code inside: it
// includes nothing (a header first included here would be compiled for this target only); it uses
// no lambda that takes or returns a vector (g++ 12 does not give lambdas the target, so a vector
// argument would change their ABI); it tests no -m macro (__AVX2__ ...), only the level.

#if TYPENET_CPU_ISA_LEVEL == 2
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c")
#endif
#elif TYPENET_CPU_ISA_LEVEL == 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c")
#endif
#endif

namespace typenet::cpu_detail::TYPENET_CPU_ISA_NS {

#include "simd.ipp"
#include "epilogue.ipp"
#include "gemm.ipp"
#include "forward.ipp"
#include "backward.ipp"
#include "recurrent.ipp"

// The entry points the policy calls (backend/cpu/dispatch.hpp picks the instruction set).
struct kernels {
    static constexpr cpu_isa isa = cpu_isa(TYPENET_CPU_ISA_LEVEL);
    // Columns per dense tile block: the policy splits a dense layer's units over threads in these.
    template <class T>
    static constexpr index_t dense_block = tier_cols<T>(0, 0);

    template <class L, class In, class Out, class T, class R, class Epi>
    static void dense_forward_cols(const T* params, const T* x, T* y, index_t n, index_t j0, index_t j1, const R& reg,
                                   const Epi& epi) {
        TYPENET_CPU_ISA_NS::dense_forward_cols<L, In, Out>(params, x, y, n, j0, j1, bind_store(reg), epi);
    }
    template <class L, class In, class Out, class T, class R, class Epi>
    static void conv2d_forward(const T* params, const T* x, T* y, index_t n, const R& reg, const Epi& epi) {
        TYPENET_CPU_ISA_NS::conv2d_forward<L, In, Out>(params, x, y, n, bind_store(reg), epi);
    }
    template <class L, class In, class T>
    static void batch_norm_forward(const T* params, const T* x, T* y, index_t n) {
        TYPENET_CPU_ISA_NS::batch_norm_forward<L, In>(params, x, y, n);
    }
    template <class L, class In, class Out, class T>
    static void pool2d_forward(const T* x, T* y, index_t n) {
        TYPENET_CPU_ISA_NS::pool2d_forward<L, In, Out>(x, y, n);
    }
    template <class L, class In, class Out, class T>
    static void pool2d_backward(const T* x, const T* dy, T* dx, index_t n) {
        TYPENET_CPU_ISA_NS::pool2d_backward<L, In, Out>(x, dy, dx, n);
    }
    // Elementwise training kernels (backend/cpu/backward.hpp), inlined here so they compile for this
    // instruction set.
    template <class L, class T>
    static void activation_forward(const T* x, T* y, index_t count) {
        const auto f = L::functor();
        for (index_t i = 0; i < count; ++i) y[i] = f(x[i]);
    }
    template <class Act, class T>
    static void activation_backward(const T* y, T* dy, index_t rows, index_t len, const train_context& ctx, bool last) {
        TYPENET_CPU_ISA_NS::act_backward<Act>(y, dy, rows, len, ctx, last);
    }
    template <class L, class In, class T>
    static void batch_norm_train_forward(T* params, const T* x, T* y, index_t n, T* xhat, T* stats,
                                         const train_context& ctx) {
        cpu_detail::batch_norm_train_forward<L, In>(params, x, y, n, xhat, stats, ctx);
    }
    template <class L, class In, class T>
    static void batch_norm_backward(const T* params, T* grads, const T* dy, T* dx, index_t n, const T* xhat,
                                    const T* stats, const train_context& ctx) {
        cpu_detail::batch_norm_backward<L, In>(params, grads, dy, dx, n, xhat, stats, ctx);
    }
    // f(a[i], b[i], ...) for i < count: the optimizers' updates (policy zip). The arrays never
    // overlap. Adam and RMSprop in float run on whole vectors: the same operations in the same
    // order as their functors (core/functors.hpp), with the vector square root (IEEE, as
    // std::sqrt), since a loop calling std::sqrt stays scalar under errno semantics.
    template <class F, class... P>
    static void zip(F f, index_t count, P* TYPENET_RESTRICT... arrays) {
        index_t i = 0;
#if TYPENET_CPU_ISA_LEVEL >= 1
        if constexpr (std::is_same_v<F, fn::adam_step<float>> || std::is_same_v<F, fn::rmsprop_step<float>>)
            i = zip_vectors(f, count, arrays...);
#endif
        for (; i < count; ++i) f(arrays[i]...);
    }
#if TYPENET_CPU_ISA_LEVEL >= 1
    TYPENET_INLINE static simd<float>::type sqrt_lanes(simd<float>::type v) {
#if TYPENET_CPU_ISA_LEVEL == 2 && defined(__clang__)
        return __builtin_ia32_sqrtps512(v, 4);
#elif TYPENET_CPU_ISA_LEVEL == 2
        return __builtin_ia32_sqrtps512_mask(v, v, (unsigned short)-1, 4);
#else
        return __builtin_ia32_sqrtps256(v);
#endif
    }
    // The whole vectors of an update; return where the scalar tail starts.
    static index_t zip_vectors(const fn::adam_step<float>& f, index_t count, float* TYPENET_RESTRICT w,
                               const float* TYPENET_RESTRICT g, float* TYPENET_RESTRICT m, float* TYPENET_RESTRICT v) {
        using S = simd<float>;
        index_t i = 0;
        for (; i + S::width <= count; i += S::width) {
            const S::type vg = S::load(g + i);
            S::type vm = S::load(m + i), vv = S::load(v + i);
            vm += (vg - vm) * f.one_minus_b1;
            vv += (vg * vg - vv) * f.one_minus_b2;
            S::store(m + i, vm), S::store(v + i, vv);
            S::store(w + i, S::load(w + i) - f.alpha * vm / (sqrt_lanes(vv) + f.eps));
        }
        return i;
    }
    static index_t zip_vectors(const fn::rmsprop_step<float>& f, index_t count, float* TYPENET_RESTRICT w,
                               const float* TYPENET_RESTRICT g, float* TYPENET_RESTRICT v) {
        using S = simd<float>;
        index_t i = 0;
        for (; i + S::width <= count; i += S::width) {
            const S::type vg = S::load(g + i);
            const S::type vv = f.rho * S::load(v + i) + (1.0f - f.rho) * vg * vg;
            S::store(v + i, vv);
            S::store(w + i, S::load(w + i) - f.lr * vg / sqrt_lanes(vv + f.eps));
        }
        return i;
    }
#endif
    // Recurrent layers (backend/cpu/recurrent.hpp).
    template <class L, class T>
    static void recurrent_cells(const T* p, index_t ps, const T* rec, const T* bias, T* h, T* c, T* z, T* save,
                                index_t ss, index_t rows) {
#if TYPENET_CPU_ISA_LEVEL >= 1
        if constexpr (std::is_same_v<T, float>) {
            TYPENET_CPU_ISA_NS::recurrent_cells_float<L>(p, ps, rec, bias, h, c, z, save, ss, rows);
            return;
        }
#endif
        (void)z;
        cpu_detail::recurrent_cells<L>(p, ps, rec, bias, h, c, save, ss, rows);
    }
    template <class L, class T>
    static void recurrent_cells_backward(const T* sv, const T* prev, index_t ss, T* dh, T* dc, T* dgx, index_t xs, T* dgh,
                                         index_t hs, index_t rows) {
        cpu_detail::recurrent_cells_backward<L>(sv, prev, ss, dh, dc, dgx, xs, dgh, hs, rows);
    }
    template <class L, class In, class Out, class T, class Par>
    static void dense_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                               const train_context& ctx, bool last, T* scratch, Par&& parallel) {
        TYPENET_CPU_ISA_NS::dense_backward<L, In, Out>(params, grads, x, y, dy, dx, n, ctx, last, scratch, parallel);
    }
    template <class L, class In, class Out, class T, class Par>
    static void conv2d_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                                const train_context& ctx, bool last, unsigned char* scratch, Par&& parallel) {
        TYPENET_CPU_ISA_NS::conv2d_backward<L, In, Out>(params, grads, x, y, dy, dx, n, ctx, last, scratch, parallel);
    }
};

#if TYPENET_CPU_X86 && (defined(TYPENET_PRECOMPILED_KERNELS) || defined(TYPENET_BUILD_KERNELS))
#include "instances.ipp"  // the float micro-kernels, precompiled in typenet::kernels
#endif

}  // namespace typenet::cpu_detail::TYPENET_CPU_ISA_NS

#if TYPENET_CPU_ISA_LEVEL >= 1
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
