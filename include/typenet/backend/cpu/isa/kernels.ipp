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
    // Recurrent layers (backend/cpu/recurrent.hpp).
    template <class L, class T>
    static void recurrent_cells(const T* p, index_t ps, const T* rec, const T* bias, T* h, T* c, T* save, index_t ss,
                                index_t rows) {
        cpu_detail::recurrent_cells<L>(p, ps, rec, bias, h, c, save, ss, rows);
    }
    template <class L, class T>
    static void recurrent_cells_backward(const T* sv, const T* prev, index_t ss, T* dh, T* dc, T* dgx, T* dgh, index_t gs,
                                         index_t rows) {
        cpu_detail::recurrent_cells_backward<L>(sv, prev, ss, dh, dc, dgx, dgh, gs, rows);
    }
    template <class T>
    static void accumulate_outer(T* dst, const T* a, index_t as, const T* b, index_t bs, index_t rows, index_t A,
                                 index_t B) {
        cpu_detail::accumulate_outer(dst, a, as, b, bs, rows, A, B);
    }
    template <class T>
    static void multiply_transposed(T* out, index_t os, const T* a, index_t as, const T* w, index_t rows, index_t A,
                                    index_t B, bool accumulate) {
        cpu_detail::multiply_transposed(out, os, a, as, w, rows, A, B, accumulate);
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
