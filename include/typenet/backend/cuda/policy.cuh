// cuda policy: model<Net, cuda> -- parameters and activations in device memory, every leaf layer
// run by a CUDA kernel (or cuBLAS) on the policy's stream. Mirrors struct typenet::cpu
// (backend/cpu/policy.hpp): same forward<L, In, Out>(params, x, y, n, ws) dispatch on
// L::category, same copy / add / assign, so the chain and the composites run unchanged.
//
// Pointers passed to forward / copy / add / assign are DEVICE pointers. Kernels are asynchronous
// on context().stream(); buffer::upload / download synchronise the device, so a download after a
// forward always sees its result. Errors abort with a message (see check.cuh).
#pragma once

#include <atomic>
#include <climits>
#include <cstddef>
#include <map>
#include <tuple>
#include <type_traits>
#include <utility>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "../../core/epilogue.hpp"
#include "../../core/expr.hpp"
#include "../../core/shape.hpp"
#include "../../layers/activation.hpp"
#include "../../layers/conv.hpp"
#include "../../layers/dense.hpp"
#include "../../layers/dropout.hpp"
#include "../../layers/embedding.hpp"
#include "../../layers/norm.hpp"
#include "../../layers/pool.hpp"
#include "../../layers/recurrent.hpp"
#include "../../layers/reshape.hpp"
#include "check.cuh"
#include "context.cuh"
#include "cublaslt.cuh"
#include "cudnn.cuh"
#include "kernels.cuh"

namespace typenet {
namespace cuda_detail {

// A layer category with no CUDA kernel: the static_assert names the category in its template argument.
template <class Category>
inline constexpr bool always_false = false;
template <class Category>
struct no_cuda_kernel_for_layer_category {
    static_assert(always_false<Category>,
                  "typenet::cuda: no CUDA kernel for this layer category; see "
                  "no_cuda_kernel_for_layer_category<category>");
    static constexpr bool value = false;
};

// cuBLAS takes 32-bit extents.
inline int blas_int(index_t v, const char* what) {
    if (v < 0 || v > index_t(INT_MAX))
        report_failure("typenet::cuda", "extent out of range", "a GEMM extent does not fit cuBLAS' 32-bit int", 0,
                       what, __FILE__, __LINE__);
    return int(v);
}

// Column-major C (m, n) = A (m, k) . B (k, n), alpha 1, beta 0. tf32: on tensor cores with TF32
// rounding (the handle may be shared with a plain-fp32 model, so the mode is set per call).
inline void gemm(cublasHandle_t h, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
                 int ldc, bool tf32 = false) {
    const float one = 1.0f, zero = 0.0f;
    TYPENET_CUBLAS_CHECK(cublasSetMathMode(h, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    TYPENET_CUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc));
}
inline void gemm(cublasHandle_t h, int m, int n, int k, const double* a, int lda, const double* b, int ldb, double* c,
                 int ldc, bool /*tf32: float only*/ = false) {
    const double one = 1.0, zero = 0.0;
    TYPENET_CUBLAS_CHECK(cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc));
}

// How many device allocations every cuda::buffer together has made (tests check that a forward
// pass repeated at a batch size allocates nothing).
inline std::atomic<long>& device_allocation_count() {
    static std::atomic<long> count{0};
    return count;
}

// An instantiated CUDA graph (owning); empty until the pass is captured.
using graph_exec = owned_handle<cudaGraphExec_t, cudaGraphExecDestroy>;
inline graph_exec instantiate(cudaGraph_t g) {
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, g, 0);
    (void)cudaGraphDestroy(g);
    TYPENET_CUDA_CHECK(e);
    return graph_exec(exec);
}

// One address per layer type and input shape: the key of its cuDNN and cuBLASLt plans (layers of the
// same type and shape share them, as they share every other property).
template <class L, class In>
inline constexpr char plan_key = 0;

// The elementwise functor of a dense/conv activation option; softmax is applied per row afterwards.
template <class Act>
constexpr auto activation_functor() {
    if constexpr (std::is_same_v<Act, softmax>) return fn::identity{};
    else return Act::functor();
}

}  // namespace cuda_detail

// The CUDA policy: model<Net, cuda>. Holds its own cuda_context, or uses one the caller owns
// (which must outlive the policy): model<Net, cuda> m(cuda{ctx});
struct cuda {
    static constexpr bool host_memory = false;  // buffers live in device memory
    static constexpr bool plans_per_batch = true;  // model::reserve(n) runs one pass to make them

    // An owning device buffer. Grows only (steady-state inference allocates nothing); new memory
    // is zeroed, like the CPU buffer. Move-only. upload / download take HOST pointers and
    // synchronise the whole device around the copy (safe with any stream and default-stream mode).
    template <class T>
    class buffer {
    public:
        buffer() = default;
        explicit buffer(index_t n) { resize(n); }
        ~buffer() { release(); }
        buffer(const buffer&) = delete;
        buffer& operator=(const buffer&) = delete;
        buffer(buffer&& o) noexcept
            : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)), cap_(std::exchange(o.cap_, 0)) {}
        buffer& operator=(buffer&& o) noexcept {
            if (this != &o) {
                release();
                p_ = std::exchange(o.p_, nullptr);
                n_ = std::exchange(o.n_, 0);
                cap_ = std::exchange(o.cap_, 0);
            }
            return *this;
        }

        void resize(index_t n) {
            if (n > cap_) {
                release();
                TYPENET_CUDA_CHECK(cudaMalloc(&p_, bytes(n)));
                cuda_detail::device_allocation_count().fetch_add(1, std::memory_order_relaxed);
                TYPENET_CUDA_CHECK(cudaMemset(p_, 0, bytes(n)));
                TYPENET_CUDA_CHECK(cudaDeviceSynchronize());
                cap_ = n;
            }
            n_ = n;
        }
        T* data() { return p_; }
        const T* data() const { return p_; }
        index_t size() const { return n_; }

        // Host -> device: n elements into [at, at + n).
        void upload(const T* host, index_t n, index_t at = 0) {
            if (n <= 0) return;
            TYPENET_ASSERT(at >= 0 && at + n <= cap_, "typenet::cuda::buffer::upload: out of range");
            TYPENET_CUDA_CHECK(cudaDeviceSynchronize());  // pending kernels may still read this memory
            TYPENET_CUDA_CHECK(cudaMemcpy(p_ + at, host, bytes(n), cudaMemcpyHostToDevice));
            TYPENET_CUDA_CHECK(cudaDeviceSynchronize());  // pageable H2D may return before the DMA ends
        }
        // Device -> host: n elements from [at, at + n).
        void download(T* host, index_t n, index_t at = 0) const {
            if (n <= 0) return;
            TYPENET_ASSERT(at >= 0 && at + n <= cap_, "typenet::cuda::buffer::download: out of range");
            TYPENET_CUDA_CHECK(cudaDeviceSynchronize());  // wait for kernels on any stream writing it
            TYPENET_CUDA_CHECK(cudaMemcpy(host, p_ + at, bytes(n), cudaMemcpyDeviceToHost));
        }

    private:
        static std::size_t bytes(index_t n) { return std::size_t(n) * sizeof(T); }
        void release() noexcept {  // never aborts (may run at exit while the runtime unloads)
            if (p_) {
                (void)cudaFree(p_);
                (void)cudaGetLastError();
            }
            p_ = nullptr;
            n_ = cap_ = 0;
        }
        T* p_ = nullptr;
        index_t n_ = 0, cap_ = 0;
    };

    cuda() = default;
    explicit cuda(cuda_context& shared) : shared_(&shared) {}
    // The arithmetic of float convolutions and GEMMs: plain fp32 (default; within 1e-4 of the CPU)
    // or tensor cores with TF32 rounding of the operands (typenet::cuda_tf32).
    enum class math { fp32, tf32 };
    explicit cuda(math m) : math_(m) {}
    cuda(cuda_context& shared, math m) : shared_(&shared), math_(m) {}
    math arithmetic() const { return math_; }
    cuda(cuda&&) noexcept = default;
    cuda& operator=(cuda&&) noexcept = default;

    cuda_context& context() { return shared_ ? *shared_ : own_; }
    cudaStream_t stream() { return context().stream(); }
    // Wait for all work this policy issued.
    void synchronize() { context().synchronize(); }

    // Forward pass of one leaf layer on device memory: x (n, In) -> y (n, Out). ws: n * L::workspace
    // elements of device scratch (the recurrent layers' projections and state).
    template <class L, class In, class Out, class T>
    void forward(const T* params, const T* x, T* y, index_t n, T* ws) {
        using cat = typename L::category;
        if (n <= 0) return;
        if (context().device() >= 0) context().activate();
        cudaStream_t st = stream();
        if constexpr (std::is_same_v<cat, dense_tag> && std::is_same_v<T, float>) {
            dense_cublaslt<L, In>(params, x, y, n);
        } else if constexpr (std::is_same_v<cat, conv2d_tag> && !std::is_same_v<T, float>) {
            // double: the direct kernel (one thread per output element) with bias and activation.
            constexpr cuda_detail::conv_geometry g = direct_conv_geometry<L, In, Out>();
            const auto act = cuda_detail::activation_functor<typename L::activation>();
            cuda_detail::conv2d_kernel<T, L::has_bias, std::remove_cv_t<decltype(act)>>
                <<<cuda_detail::blocks_for(n * Out::size), cuda_detail::threads_per_block, 0, st>>>(
                    x, params, params + L::kh * L::kw * g.C * g.F, y, n, g, act);
            TYPENET_CUDA_CHECK_LAUNCH();
            if constexpr (std::is_same_v<typename L::activation, softmax>)
                cuda_detail::launch_softmax_rows(st, y, y, n * g.OH * g.OW, g.F);
        } else if constexpr (std::is_same_v<cat, dense_tag> || std::is_same_v<cat, conv2d_tag>) {
            // double dense (cuBLAS), float conv (cuDNN): the product, then bias and activation.
            const T* b = produce_raw<L, In, Out>(params, x, y, n);
            constexpr index_t C = Out::value.back();
            bias_and_activation<typename L::activation, L::has_bias, C>(y, b, n * Out::size / C);
        } else if constexpr (std::is_same_v<cat, pool2d_tag>) {
            constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
            constexpr cuda_detail::pool_geometry g{H,     W,     C,     Out::extents[0], Out::extents[1], L::ph,
                                                   L::pw, L::sh, L::sw, pad_before(H, L::ph, L::sh, L::pad),
                                                   pad_before(W, L::pw, L::sw, L::pad)};
            const index_t total = n * Out::size;
            cuda_detail::pool2d_kernel<T, L::is_max>
                <<<cuda_detail::blocks_for(total), cuda_detail::threads_per_block, 0, st>>>(x, y, n, g);
            TYPENET_CUDA_CHECK_LAUNCH();
        } else if constexpr (std::is_same_v<cat, global_pool2d_tag>) {
            constexpr index_t HW = In::extents[0] * In::extents[1], C = In::extents[2];
            cuda_detail::global_pool2d_kernel<T, L::is_max>
                <<<cuda_detail::blocks_for(n * C), cuda_detail::threads_per_block, 0, st>>>(x, y, n, HW, C);
            TYPENET_CUDA_CHECK_LAUNCH();
        } else if constexpr (std::is_same_v<cat, batch_norm_tag>) {
            constexpr index_t C = In::value.back();
            assign(y, n * In::size, cuda_detail::batch_norm_node<T, In, C>{{}, x, params, n, T(L::eps)});
        } else if constexpr (std::is_same_v<cat, activation_tag>) {
            assign(y, n * In::size, ops::apply(L::functor(), leaf<const T, In>{{}, x, n}));
        } else if constexpr (std::is_same_v<cat, softmax_tag>) {
            constexpr index_t len = In::value.back();
            cuda_detail::launch_softmax_rows(st, x, y, n * In::size / len, len);
        } else if constexpr (std::is_same_v<cat, reshape_tag> || std::is_same_v<cat, dropout_tag>) {
            copy(y, x, n * In::size);  // row-major: same bytes; dropout is the identity at inference
        } else if constexpr (std::is_same_v<cat, embedding_tag>) {
            embedding_forward<L, In>(params, x, y, n);
        } else if constexpr (std::is_same_v<cat, recurrent_tag>) {
            recurrent_forward<L, In>(params, x, y, n, ws);
        } else if constexpr (std::is_same_v<cat, bidirectional_tag>) {
            // Both directions into the workspace, then side by side (the backward one in time order).
            using F = typename L::forward_layer;
            using B = typename L::backward_layer;
            constexpr index_t O = F::output(In::value).size(), U = F::units, S = In::extents[0];
            constexpr index_t half = leaf_param_count<F>(In::value);
            T* yf = ws;
            T* yb = yf + n * O;
            recurrent_forward<F, In>(params, x, yf, n, yb + n * O);
            recurrent_forward<B, In>(params + half, x, yb, n, yb + n * O);
            constexpr index_t steps = F::sequences ? S : 1;
            cuda_detail::place_rows_kernel<T><<<cuda_detail::blocks_for(n * steps * U), cuda_detail::threads_per_block, 0, st>>>(
                yf, y, n, steps, U, 2 * U, 0, F::sequences && F::backwards);
            TYPENET_CUDA_CHECK_LAUNCH();
            cuda_detail::place_rows_kernel<T><<<cuda_detail::blocks_for(n * steps * U), cuda_detail::threads_per_block, 0, st>>>(
                yb, y, n, steps, U, 2 * U, U, F::sequences && B::backwards);
            TYPENET_CUDA_CHECK_LAUNCH();
        } else {
            // Instantiating the diagnostic fires its static_assert, which names the category.
            [[maybe_unused]] constexpr bool reported = cuda_detail::no_cuda_kernel_for_layer_category<cat>::value;
        }
    }

    // A producer (dense, conv2d) with the elementwise layers the composition fused into it
    // (model/chain.hpp) and a residual add: the GEMM or convolution, then ONE expression kernel for
    // bias, the producer's activation and every stage (instead of one pass per layer).
    template <class L, class In, class Out, class T, class... S>
        requires(L::at_inference == inference_form::producer && sizeof...(S) > 0)
    void forward(const T* params, const T* x, T* y, index_t n, T* /*ws*/, const epilogue<T, S...>& e) {
        using Act = typename L::activation;
        if (n <= 0) return;
        if (context().device() >= 0) context().activate();
        constexpr index_t C = Out::value.back();
        const index_t count = n * Out::size;
        const leaf<const T, Out> acc{{}, y, n};
        if constexpr (std::is_same_v<Act, softmax>) {  // a row-wise activation first, then the stages
            forward<L, In, Out>(params, x, y, n, static_cast<T*>(nullptr));
            assign(y, count, stages<0>(acc, e));
            return;
        }
        const T* bias = produce_raw<L, In, Out>(params, x, y, n);
        const auto act = cuda_detail::activation_functor<Act>();
        if constexpr (L::has_bias)
            assign(y, count, stages<0>(ops::apply(act, acc + channel_node<T, C>{{}, bias}), e));
        else
            assign(y, count, stages<0>(ops::apply(act, acc), e));
    }

    // ---- whole-network CUDA graphs (opt-in: use_graphs(true)) ----------------------------------------
    // The model hands every forward pass here with the addresses it uses (input, output, weights,
    // activation arena) and its batch size. The first pass at a key runs eagerly (it makes the
    // cuDNN plans and grows the scratch), the second is captured into a CUDA graph, and every later
    // one replays it: one launch instead of a few per layer. New weights written in place
    // (set_weights) need no new capture, since the graph reads the same memory; other buffers or
    // another batch size make another key. With TYPENET_CUDA_SYNC_CHECKS (a synchronize after each
    // launch, which capture forbids) passes always run eagerly.
    void use_graphs(bool on) {
        graphs_on_ = on;
        if (!on) graphs_.clear();
    }
    bool graphs() const { return graphs_on_; }
    template <class F, class T>
    void run_forward(F&& pass, const T* x, const T* y, index_t n, const T* params, const T* arena) {
#if defined(TYPENET_CUDA_SYNC_CHECKS)
        constexpr bool can_capture = false;
#else
        constexpr bool can_capture = true;
#endif
        if (!graphs_on_ || !can_capture) {
            pass();
            return;
        }
        const graph_key key{x, y, params, arena, n};
        auto it = graphs_.find(key);
        if (it == graphs_.end()) {
            pass();
            graphs_.emplace(key, cuda_detail::graph_exec{});
            return;
        }
        if (!it->second.get()) {
            cudaStream_t st = stream();
            TYPENET_CUDA_CHECK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
            pass();
            cudaGraph_t g = nullptr;
            TYPENET_CUDA_CHECK(cudaStreamEndCapture(st, &g));
            it->second = cuda_detail::instantiate(g);
        }
        TYPENET_CUDA_CHECK(cudaGraphLaunch(it->second.get(), stream()));
    }

    // Device-to-device copy of count elements on the policy's stream (y and x must not overlap
    // unless they are equal).
    template <class T>
    void copy(T* y, const T* x, index_t count) {
        if (count > 0 && y != x)
            TYPENET_CUDA_CHECK(cudaMemcpyAsync(y, x, std::size_t(count) * sizeof(T), cudaMemcpyDeviceToDevice, stream()));
    }
    // y += x (the residual add), one fused pass.
    template <class T>
    void add(T* y, const T* x, index_t count) {
        const leaf<const T, shape<1>> a{{}, y, count}, b{{}, x, count};
        assign(y, count, a + b);
    }
    // y = a + b (one fused pass; y may be a or b).
    template <class T>
    void add(T* y, const T* a, const T* b, index_t count) {
        const leaf<const T, shape<1>> la{{}, a, count}, lb{{}, b, count};
        assign(y, count, la + lb);
    }
    // Evaluate an expression tree (whose leaves point to device memory) into y: one kernel.
    template <class T, class E>
    void assign(T* y, index_t count, const E& e) {
        cuda_detail::launch_assign(stream(), y, count, e);
    }

private:
    // A float convolution through cuDNN (backend/cuda/cudnn.cuh), without bias or activation (the
    // caller's expression kernel adds them): the plan for this layer and batch size is made on the
    // first forward at that size (or by reserve) and kept; the filter is rearranged to cuDNN's NHWC
    // form on each call (the weights may have changed); an asymmetric "same" padding is made explicit.
    template <class L, class In, class Out>
    void conv2d_cudnn(const float* params, const float* x, float* y, index_t n) {
        constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
        constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters, KH = L::kh, KW = L::kw;
        constexpr index_t PT = pad_before(H, KH, L::sh, L::pad), PB = pad_after(H, KH, L::sh, L::pad);
        constexpr index_t PL = pad_before(W, KW, L::sw, L::pad), PR = pad_after(W, KW, L::sw, L::pad);
        constexpr bool symmetric = PT == PB && PL == PR;
        constexpr index_t HP = symmetric ? H : H + PT + PB, WP = symmetric ? W : W + PL + PR;
        cudaStream_t st = stream();
        cudnnHandle_t dnn = context().cudnn();

        const auto key = std::make_pair(static_cast<const void*>(&cuda_detail::plan_key<L, In>), n);
        auto it = conv_plans_.find(key);
        if (it == conv_plans_.end()) {
            const cuda_detail::cudnn_conv_shape shape{n,  HP, WP, C,  F,  KH, KW, L::sh, L::sw, symmetric ? PT : 0,
                                                      symmetric ? PL : 0, OH, OW, math_ == math::tf32};
            it = conv_plans_.emplace(key, cuda_detail::conv_plan(dnn, shape)).first;
        }
        const cuda_detail::conv_plan& plan = it->second;

        grow(conv_filter_, KH * KW * C * F);
        cuda_detail::filter_to_fhwc_kernel<float><<<cuda_detail::blocks_for(KH * KW * C * F),
                                                    cuda_detail::threads_per_block, 0, st>>>(params, conv_filter_.data(),
                                                                                             KH, KW, C, F);
        TYPENET_CUDA_CHECK_LAUNCH();
        const float* input = x;
        if constexpr (!symmetric) {
            grow(conv_input_, n * HP * WP * C);
            cuda_detail::pad_kernel<float><<<cuda_detail::blocks_for(n * HP * WP * C), cuda_detail::threads_per_block, 0,
                                             st>>>(x, conv_input_.data(), n, H, W, C, PT, PL, HP, WP);
            TYPENET_CUDA_CHECK_LAUNCH();
            input = conv_input_.data();
        }
        grow(conv_workspace_, index_t(plan.workspace_bytes()));
        plan.run(dnn, input, conv_filter_.data(), y, plan.workspace_bytes() > 0 ? conv_workspace_.data() : nullptr);
    }
    // A float dense layer through cuBLASLt (backend/cuda/cublaslt.cuh): bias, and relu when it is
    // the activation, in the matmul's epilogue; any other activation as one expression kernel after
    // it, softmax per row.
    template <class L, class In>
    void dense_cublaslt(const float* params, const float* x, float* y, index_t n) {
        using Act = typename L::activation;
        constexpr index_t K = In::size, U = L::units;
        constexpr bool relu = std::is_same_v<Act, typenet::relu>;
        const auto key = std::make_pair(static_cast<const void*>(&cuda_detail::plan_key<L, In>), n);
        auto it = dense_plans_.find(key);
        if (it == dense_plans_.end())
            it = dense_plans_
                     .emplace(key, cuda_detail::dense_plan(context().cublaslt(), cuda_detail::blas_int(U, "dense units"),
                                                           cuda_detail::blas_int(n, "dense batch"),
                                                           cuda_detail::blas_int(K, "dense inputs"), relu, L::has_bias,
                                                           math_ == math::tf32, cuda_context::blas_workspace_bytes))
                     .first;
        it->second.run(context().cublaslt(), params, x, y, L::has_bias ? params + K * U : nullptr,
                       context().blas_workspace(), cuda_context::blas_workspace_bytes, stream());
        if constexpr (!relu && !std::is_same_v<Act, linear> && !std::is_same_v<Act, softmax>)
            assign(y, n * U, ops::apply(cuda_detail::activation_functor<Act>(), leaf<const float, shape<U>>{{}, y, n}));
        if constexpr (std::is_same_v<Act, softmax>) cuda_detail::launch_softmax_rows(stream(), y, y, n, U);
    }

    // ---- sequence layers (a plain kernel per step; cuDNN's RNN API is not used yet) ----------------
    // Embedding: a gather; an id out of range is reported on the host as the CPU reports it (one
    // 8-byte read back per call, skipped while a CUDA graph is being captured).
    template <class L, class In, class T>
    void embedding_forward(const T* table, const T* ids, T* y, index_t n) {
        cudaStream_t st = stream();
        grow(bad_id_, 1);
        const unsigned long long none = ~0ull;  // all bytes 0xff
        TYPENET_CUDA_CHECK(cudaMemsetAsync(bad_id_.data(), 0xff, sizeof none, st));
        const index_t count = n * In::size;
        cuda_detail::embedding_kernel<T><<<cuda_detail::blocks_for(count * L::output_dim), cuda_detail::threads_per_block, 0, st>>>(
            table, ids, y, count, L::output_dim, L::input_dim, bad_id_.data());
        TYPENET_CUDA_CHECK_LAUNCH();
        cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
        TYPENET_CUDA_CHECK(cudaStreamIsCapturing(st, &capturing));
        if (capturing != cudaStreamCaptureStatusNone) return;
        unsigned long long bad = none;
        TYPENET_CUDA_CHECK(cudaMemcpyAsync(&bad, bad_id_.data(), sizeof bad, cudaMemcpyDeviceToHost, st));
        TYPENET_CUDA_CHECK(cudaStreamSynchronize(st));
        if (bad != none) {
            T v{};
            TYPENET_CUDA_CHECK(cudaMemcpy(&v, ids + bad, sizeof v, cudaMemcpyDeviceToHost));
            detail::bad_token_id(index_t(bad) / In::size, index_t(bad) % In::size, double(v), L::input_dim);
        }
    }
    // A recurrent layer: the input projection of every step as one GEMM, then per step
    // h . recurrent_kernel (GEMM) and one cell kernel. ws: n * L::workspace elements.
    template <class L, class In, class T>
    void recurrent_forward(const T* params, const T* x, T* y, index_t n, T* ws) {
        constexpr index_t S = In::extents[0], D = In::extents[1], U = L::units, G = L::gate_width;
        cudaStream_t st = stream();
        const detail::recurrent_arrays<L, In, T> a(params, ws, n);
        const T *w = a.kernel, *r = a.recurrent, *bias = a.bias;
        T *proj = a.proj, *rec = a.rec, *h = a.h, *c = a.c;
        const bool tf32 = math_ == math::tf32;
        cuda_detail::gemm(context().cublas(), cuda_detail::blas_int(G, "recurrent gates"),
                          cuda_detail::blas_int(n * S, "recurrent batch x steps"), cuda_detail::blas_int(D, "recurrent inputs"),
                          w, int(G), x, int(D), proj, int(G), tf32);
        TYPENET_CUDA_CHECK(cudaMemsetAsync(h, 0, std::size_t(2 * n * U) * sizeof(T), st));
        const auto act = cuda_detail::activation_functor<typename L::activation>();
        for (index_t s = 0; s < S; ++s) {
            const index_t t = L::backwards ? S - 1 - s : s;
            if (s > 0)
                cuda_detail::gemm(context().cublas(), int(G), cuda_detail::blas_int(n, "recurrent batch"), int(U), r, int(G), h,
                                  int(U), rec, int(G), tf32);
            cuda_detail::recurrent_step_kernel<L::cell, T, std::remove_cv_t<decltype(act)>>
                <<<cuda_detail::blocks_for(n * U), cuda_detail::threads_per_block, 0, st>>>(
                    act, U, G, proj + t * G, S * G, s > 0 ? rec : nullptr, bias, h, c, n);
            TYPENET_CUDA_CHECK_LAUNCH();
            if constexpr (L::sequences) {
                // h (n, U) -> y[:, s, :]: n rows of U placed with stride S * U.
                TYPENET_CUDA_CHECK(cudaMemcpy2DAsync(y + s * U, std::size_t(S * U) * sizeof(T), h, std::size_t(U) * sizeof(T),
                                                     std::size_t(U) * sizeof(T), std::size_t(n), cudaMemcpyDeviceToDevice, st));
            }
        }
        if constexpr (!L::sequences) copy(y, h, n * U);
    }

    // The direct convolution kernel's geometry (double), as the CPU computes it.
    template <class L, class In, class Out>
    static constexpr cuda_detail::conv_geometry direct_conv_geometry() {
        constexpr index_t H = In::extents[0], W = In::extents[1];
        return {H,          W,     In::extents[2], Out::extents[0], Out::extents[1],
                L::filters, L::kh, L::kw,          L::sh,           L::sw,
                pad_before(H, L::kh, L::sh, L::pad), pad_before(W, L::kw, L::sw, L::pad)};
    }

    // The GEMM or convolution of a producer without bias or activation; returns its bias.
    template <class L, class In, class Out, class T>
    const T* produce_raw(const T* params, const T* x, T* y, index_t n) {
        cudaStream_t st = stream();
        if constexpr (std::is_same_v<typename L::category, dense_tag>) {
            constexpr index_t K = In::size, U = L::units;
            cuda_detail::gemm(context().cublas(), cuda_detail::blas_int(U, "dense units"),
                              cuda_detail::blas_int(n, "dense batch"), cuda_detail::blas_int(K, "dense inputs"), params,
                              int(U), x, int(K), y, int(U), math_ == math::tf32);
            return params + K * U;
        } else {
            if constexpr (std::is_same_v<T, float>) {
                conv2d_cudnn<L, In, Out>(params, x, y, n);
            } else {
                constexpr cuda_detail::conv_geometry g = direct_conv_geometry<L, In, Out>();
                cuda_detail::conv2d_kernel<T, false, fn::identity>
                    <<<cuda_detail::blocks_for(n * Out::size), cuda_detail::threads_per_block, 0, st>>>(
                        x, params, nullptr, y, n, g, fn::identity{});
                TYPENET_CUDA_CHECK_LAUNCH();
            }
            return params + L::kh * L::kw * In::extents[2] * L::filters;
        }
    }
    // A fused epilogue's stages from the I-th on, wrapped around expression `inner`.
    template <std::size_t I, class E, class T, class... S>
    static auto stages(const E& inner, const epilogue<T, S...>& e) {
        if constexpr (I == sizeof...(S)) {
            return inner;
        } else {
            using St = std::tuple_element_t<I, std::tuple<S...>>;
            if constexpr (std::is_same_v<St, add_stage>) {
                return stages<I + 1>(inner + leaf<const T, typename E::shape_type>{{}, e.arg[I], inner.size() / E::shape_type::size}, e);
            } else if constexpr (std::is_same_v<typename St::layer::category, batch_norm_tag>) {
                constexpr index_t C = St::input::value.back();
                return stages<I + 1>(cuda_detail::batch_norm_of<T, C, E>{{}, inner, e.arg[I], T(St::layer::eps)}, e);
            } else {
                return stages<I + 1>(ops::apply(St::layer::functor(), inner), e);
            }
        }
    }

    // Grows a scratch buffer (never shrinks, so repeated forwards allocate nothing).
    template <class T>
    static void grow(buffer<T>& b, index_t n) {
        if (n > b.size()) b.resize(n);
    }

    // Bias + activation on a finished GEMM output y (rows, C): one fused elementwise kernel,
    // then softmax per row when the activation is softmax.
    template <class Act, bool HasBias, index_t C, class T>
    void bias_and_activation(T* y, const T* b, index_t rows) {
        constexpr bool is_softmax = std::is_same_v<Act, softmax>;
        constexpr bool is_identity = is_softmax || std::is_same_v<Act, linear>;
        const auto f = cuda_detail::activation_functor<Act>();
        const leaf<const T, shape<C>> acc{{}, y, rows};
        if constexpr (HasBias) assign(y, rows * C, ops::apply(f, acc + channel_node<T, C>{{}, b}));
        else if constexpr (!is_identity) assign(y, rows * C, ops::apply(f, acc));
        if constexpr (is_softmax) cuda_detail::launch_softmax_rows(stream(), y, y, rows, C);
    }

    cuda_context own_;
    cuda_context* shared_ = nullptr;
    math math_ = math::fp32;
    // cuDNN plans per (convolution layer and input shape, batch size), and their scratch.
    std::map<std::pair<const void*, index_t>, cuda_detail::conv_plan> conv_plans_;
    // cuBLASLt plans per (dense layer and input shape, batch size).
    std::map<std::pair<const void*, index_t>, cuda_detail::dense_plan> dense_plans_;
    buffer<float> conv_filter_, conv_input_;
    buffer<unsigned char> conv_workspace_;
    buffer<unsigned long long> bad_id_;  // the embedding kernel's first bad position
    // CUDA graphs per (input, output, weights, arena, batch size).
    using graph_key = std::tuple<const void*, const void*, const void*, const void*, index_t>;
    bool graphs_on_ = false;
    std::map<graph_key, cuda_detail::graph_exec> graphs_;
};

// The tensor-core mode as a policy type: model<Net, cuda_tf32>. TF32 keeps fp32's range with a
// 10-bit mantissa in the products of convolutions and GEMMs; outputs then differ from the CPU by
// up to about 1e-2 relative (tests/cuda), not 1e-4. Everything else is the cuda policy.
struct cuda_tf32 : cuda {
    cuda_tf32() : cuda(math::tf32) {}
    explicit cuda_tf32(cuda_context& shared) : cuda(shared, math::tf32) {}
};

}  // namespace typenet
