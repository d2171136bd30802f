// basic_cpu: the host policy -- where buffers live and which kernel runs each layer category --
// over a Host that supplies what the policy takes from the operating system: threads and heap
// scratch for training (cpu, backend/cpu/policy.hpp), or nothing at all (cpu_serial: one thread,
// no heap, no <thread>/<mutex>; what static_model and bare-metal targets use).
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "../../core/epilogue.hpp"
#include "../../core/expr.hpp"
#include "backward.hpp"
#include "dispatch.hpp"
#include "kernels.hpp"

namespace typenet {

namespace cpu_detail {

// Every host allocation of the cpu policies starts on a cache line: the kernels' vector loads then
// split no line, and speed no longer depends on where malloc happened to put a buffer (16-byte
// glibc alignment cost up to 1.5x on M2; docs/performance.md). Zero-filled.
inline constexpr std::size_t host_alignment = 64;
struct aligned_delete {
    void operator()(void* p) const { ::operator delete[](p, std::align_val_t(host_alignment)); }
};
template <class T>
std::unique_ptr<T[], aligned_delete> allocate(index_t n) {
    static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>);
    void* p = ::operator new[](std::size_t(n) * sizeof(T), std::align_val_t(host_alignment));
    std::memset(p, 0, std::size_t(n) * sizeof(T));
    return std::unique_ptr<T[], aligned_delete>(static_cast<T*>(p));
}

// One thread and no heap: parallel() runs the whole range on the caller, and there is no scratch
// (so no training: train_forward / backward of a cpu_serial policy do not compile).
struct serial_host {
    constexpr explicit serial_host(int /*threads*/ = 1) {}
    static constexpr int threads() { return 1; }
    void prepare() {}
    template <class F>
    void parallel(index_t count, F&& f) {
        if (count > 0) f(index_t(0), count);
    }
};

}  // namespace cpu_detail

template <class Host>
struct basic_cpu : Host {
    static constexpr bool host_memory = true;  // buffers are directly addressable by the host

    using Host::Host;
    basic_cpu() = default;

    static constexpr std::size_t alignment = cpu_detail::host_alignment;
    using aligned_delete = cpu_detail::aligned_delete;
    template <class T>
    static std::unique_ptr<T[], aligned_delete> allocate(index_t n) {
        return cpu_detail::allocate<T>(n);
    }

    // An owning host buffer. Grows only when asked for more (so steady-state inference allocates nothing).
    template <class T>
    class buffer {
    public:
        buffer() = default;
        explicit buffer(index_t n) { resize(n); }
        void resize(index_t n) {
            if (n > cap_) {
                p_ = allocate<T>(n);
                cap_ = n;
            }
            n_ = n;
        }
        T* data() { return p_.get(); }
        const T* data() const { return p_.get(); }
        index_t size() const { return n_; }
        void upload(const T* host, index_t n, index_t at = 0) { std::copy(host, host + n, p_.get() + at); }
        void download(T* host, index_t n, index_t at = 0) const { std::copy(p_.get() + at, p_.get() + at + n, host); }

    private:
        std::unique_ptr<T[], aligned_delete> p_;
        index_t n_ = 0, cap_ = 0;
    };

    // Forward pass of one leaf layer: x (n, In) -> y (n, Out); samples are split over the threads.
    template <class L, class In, class Out, class T>
    void forward(const T* params, const T* x, T* y, index_t n, T* ws) {
        using cat = typename L::category;
        if constexpr (std::is_same_v<cat, dense_tag> || std::is_same_v<cat, conv2d_tag>) {
            using Act = typename L::activation;
            produce<L, In, Out>(params, x, y, n, cpu_detail::own_activation<L, In, T>(),
                                cpu_detail::activation_epilogue<Act, T>());
            cpu_detail::finish_activation<Act>(y, n * Out::size / Out::value.back(), Out::value.back());
        } else if constexpr (std::is_same_v<cat, embedding_tag>) {
            this->parallel(n, [&](index_t b, index_t e) {
                cpu_detail::embedding_forward<L, In::size>(params, x + b * In::size, y + b * Out::size, e - b, b);
            });
        } else if constexpr (std::is_same_v<cat, recurrent_tag>) {
            recurrent_forward<L, In>(params, x, y, n, ws, static_cast<T*>(nullptr));
        } else if constexpr (std::is_same_v<cat, bidirectional_tag>) {
            bidirectional_forward<L, In>(params, x, y, n, ws, static_cast<T*>(nullptr));
        } else {
            this->parallel(n, [&](index_t b, index_t e) {
                forward_range<L, In, Out>(params, x + b * In::size, y + b * Out::size, e - b, ws);
            });
        }
    }

    // A producer (dense, conv2d) with the elementwise layers the composition fused into it
    // (model/chain.hpp): their work, and a residual add, are done by one expression per vector
    // (backend/cpu/epilogue.hpp) on each finished run of the output while it is in L1, one tile behind
    // the micro-kernels, whose stores apply only the producer's own relu / leaky_relu.
    template <class L, class In, class Out, class T, class... S>
        requires(L::at_inference == inference_form::producer && sizeof...(S) > 0)
    void forward(const T* params, const T* x, T* y, index_t n, T* /*ws*/, const epilogue<T, S...>& e) {
        const auto stages = cpu_detail::unstored_activation_stage<T, typename L::activation>() + e;
        const cpu_detail::fused_binding<T, Out::value.back(), std::remove_const_t<decltype(stages)>> bind(y, stages);
        produce<L, In, Out>(params, x, y, n, cpu_detail::own_activation<L, In, T>(), bind.reg());
    }

    // The GEMM-shaped layers: `reg` applied to the accumulators as they are stored (the layer's
    // relu / leaky_relu), then `epi` on each finished run of outputs (another activation, or a fused
    // epilogue: finish_run, isa/epilogue.ipp).
    template <class L, class In, class Out, class T, class R, class Epi>
    void produce(const T* params, const T* x, T* y, index_t n, const R& reg, const Epi& epi) {
        cpu_detail::with_kernels([&](auto k) {
            using K = decltype(k);
            if constexpr (std::is_same_v<typename L::category, dense_tag>) {
                // Dense layers split their units instead: each thread streams only its columns of
                // the weights (M1's 4 MB kernel read twice made two threads no faster than one), and
                // a single sample still uses every thread.
                constexpr index_t NB = K::template dense_block<T>;
                constexpr index_t blocks = (L::units + NB - 1) / NB;
                if (this->threads() > 1 && blocks > 1) {
                    this->parallel(blocks, [&](index_t b, index_t e) {
                        K::template dense_forward_cols<L, In, Out>(params, x, y, n, b * NB, std::min(L::units, e * NB), reg,
                                                                   epi);
                    });
                } else {
                    this->parallel(n, [&](index_t b, index_t e) {
                        K::template dense_forward_cols<L, In, Out>(params, x + b * In::size, y + b * Out::size, e - b, 0,
                                                                   L::units, reg, epi);
                    });
                }
            } else {
                this->parallel(n, [&](index_t b, index_t e) {
                    K::template conv2d_forward<L, In, Out>(params, x + b * In::size, y + b * Out::size, e - b, reg, epi);
                });
            }
        });
    }

    // x (rows, D) . w (D, G) -> y (rows, G) on the register-tiled dense kernels (a dense layer
    // without bias or activation): the recurrent layers' projections.
    template <index_t D, index_t G, class T>
    void multiply(const T* w, const T* x, T* y, index_t rows) {
        using P = dense<G, use_bias<false>>;
        produce<P, shape<D>, shape<G>>(w, x, y, rows, cpu_detail::own_activation<P, shape<D>, T>(),
                                       cpu_detail::activation_epilogue<linear, T>());
    }

    // A recurrent layer over n sequences: the input projection of every step as one GEMM, then per
    // step h . recurrent_kernel (GEMM) and the cells (samples over the threads). ws: n * L::workspace
    // elements; save: what training keeps (backend/cpu/recurrent.hpp), or nullptr.
    template <class L, class In, class T>
    void recurrent_forward(const T* params, const T* x, T* y, index_t n, T* ws, T* save) {
        constexpr index_t S = In::extents[0], D = In::extents[1], U = L::units, G = L::gate_width;
        constexpr index_t SS = cpu_detail::cell_layout<L>::save;
        const detail::recurrent_arrays<L, In, T> a(params, ws, n);
        const T* bias = a.bias;
        T *proj = a.proj, *rec = a.rec, *h = a.h, *c = a.c, *z = a.gates;
        multiply<D, G>(a.kernel, x, proj, n * S);
        std::fill(h, h + 2 * n * U, T(0));
        for (index_t s = 0; s < S; ++s) {
            const index_t t = L::backwards ? S - 1 - s : s;
            if (s > 0) multiply<U, G>(a.recurrent, h, rec, n);
            this->parallel(n, [&](index_t b, index_t e) {
                cpu_detail::with_kernels([&](auto k) {
                    decltype(k)::template recurrent_cells<L>(proj + (b * S + t) * G, S * G, s > 0 ? rec + b * G : nullptr,
                                                             bias, h + b * U, c + b * U, z + b * G,
                                                             save ? save + (b * S + s) * SS : nullptr, S * SS, e - b);
                });
            });
            if constexpr (L::sequences)
                for (index_t i = 0; i < n; ++i) std::copy(h + i * U, h + (i + 1) * U, y + (i * S + s) * U);
        }
        if constexpr (!L::sequences) copy(y, h, n * U);
    }

    // Bidirectional: both directions into the workspace (or, training, into `save`), then side by
    // side (bidirectional_rows).
    template <class L, class In, class T>
    // inner: the directions' workspace when training (nullptr: after the outputs in ws).
    void bidirectional_forward(const T* params, const T* x, T* y, index_t n, T* ws, T* save, T* inner = nullptr) {
        using F = typename L::forward_layer;
        using B = typename L::backward_layer;
        constexpr index_t O = F::output(In::value).size();
        constexpr index_t half = leaf_param_count<F>(In::value);
        T* yf = save ? save : ws;
        T* yb = yf + n * O;
        if (!inner) inner = yb + n * O;
        T* sf = save ? yb + n * O : nullptr;
        T* sb = save ? sf + n * F::train_state(In::value) : nullptr;
        recurrent_forward<F, In>(params, x, yf, n, inner, sf);
        recurrent_forward<B, In>(params + half, x, yb, n, inner, sb);
        bidirectional_rows<L, In>(y, yf, yb, n, true);
    }
    template <class L, class In, class T>
    void bidirectional_backward(const T* params, T* grads, const T* x, T* dy, T* dx, index_t n, const T* state,
                                const train_context& ctx) {
        using F = typename L::forward_layer;
        using B = typename L::backward_layer;
        constexpr index_t O = F::output(In::value).size();
        constexpr index_t half = leaf_param_count<F>(In::value);
        const index_t inner = recurrent_backward_scratch<F, In>(n);
        T* mem = reinterpret_cast<T*>(this->scratch((2 * n * O + inner) * index_t(sizeof(T))));
        T* dyf = mem;
        T* dyb = dyf + n * O;
        bidirectional_rows<L, In>(dy, dyf, dyb, n, false);
        const T* sf = state + 2 * n * O;
        const T* sb = sf + n * F::train_state(In::value);
        recurrent_backward<F, In>(params, grads, x, dyf, dx, n, sf, ctx, dyb + n * O, false);
        recurrent_backward<B, In>(params + half, grads + half, x, dyb, dx, n, sb, ctx, dyb + n * O, true);
    }
    // A bidirectional output row (sample i, step t) is [forward's, backward's] output; each
    // direction keeps its own in reading order, so a return_sequences direction that reads
    // backwards is put back in time order. join: the directions into `joined`; else the reverse
    // (the output gradient into each direction's).
    template <class L, class In, class T>
    static void bidirectional_rows(T* joined, T* yf, T* yb, index_t n, bool join) {
        using F = typename L::forward_layer;
        using B = typename L::backward_layer;
        constexpr index_t U = F::units, S = In::extents[0], steps = F::sequences ? S : 1;
        for (index_t i = 0; i < n; ++i)
            for (index_t t = 0; t < steps; ++t) {
                const index_t tf = F::sequences && F::backwards ? S - 1 - t : t;
                const index_t tb = F::sequences && B::backwards ? S - 1 - t : t;
                T* row = joined + (i * steps + t) * 2 * U;
                T* f = yf + (i * steps + tf) * U;
                T* b = yb + (i * steps + tb) * U;
                if (join) copy(row, f, U), copy(row + U, b, U);
                else copy(f, row, U), copy(b, row + U, U);
            }
    }

    // Backpropagation through time: per step (last first) the cells' gradients and dL/dh of the
    // step before (dgh . recurrent_kernel^T, a register-tiled GEMM); then the weight gradients and
    // dL/dx as whole-sequence GEMMs (the dense layer's backward kernel: the input projection is a
    // dense layer over n * steps rows, h . recurrent_kernel one over the previous states).
    // mem: recurrent_backward_scratch elements; add_dx: dx += instead of dx =.
    template <class L, class In>
    static constexpr index_t recurrent_backward_scratch(index_t n) {
        constexpr index_t S = In::extents[0], D = In::extents[1], U = L::units, G = L::gate_width;
        // dgx, dgh, dh, dc, dh of the GEMM, recurrent_kernel^T and kernel^T, previous states, dx to add
        return 2 * n * S * G + 3 * n * U + (U + D) * G + n * S * U + n * S * D;
    }
    template <class L, class In, class T>
    void recurrent_backward(const T* params, T* grads, const T* x, const T* dy, T* dx, index_t n, const T* save,
                            const train_context& ctx, T* mem, bool add_dx) {
        constexpr index_t S = In::extents[0], D = In::extents[1], U = L::units, G = L::gate_width;
        constexpr index_t SS = cpu_detail::cell_layout<L>::save, HO = cpu_detail::cell_layout<L>::h;
        using projection = dense<G, use_bias<false>>;  // x . kernel and h . recurrent_kernel
        // dgx: sample-major in time order (the rows of x); dgh: step-major in reading order (one
        // step's rows contiguous for the per-step GEMM), the rows of the previous states `hp`.
        T* dgx = mem;
        T* dgh = dgx + n * S * G;
        T* dh = dgh + n * S * G;
        T* dc = dh + n * U;
        T* dhr = dc + n * U;
        T* rt = dhr + n * U;  // recurrent_kernel^T (G, U)
        T* wt = rt + U * G;   // kernel^T (G, D)
        T* hp = wt + D * G;
        T* dxa = hp + n * S * U;
        cpu_detail::transpose(params + D * G, rt, U, G);
        std::fill(dh, dh + 2 * n * U, T(0));
        for (index_t s = S - 1; s >= 0; --s) {
            const index_t t = L::backwards ? S - 1 - s : s;
            if constexpr (L::sequences) {
                for (index_t i = 0; i < n; ++i) add(dh + i * U, dy + (i * S + s) * U, U);
            } else if (s == S - 1) {
                add(dh, dy, n * U);
            }
            this->parallel(n, [&](index_t b, index_t e) {
                cpu_detail::with_kernels([&](auto k) {
                    decltype(k)::template recurrent_cells_backward<L>(
                        save + (b * S + s) * SS, s > 0 ? save + (b * S + s - 1) * SS : nullptr, S * SS, dh + b * U,
                        dc + b * U, dgx + (b * S + t) * G, S * G, dgh + (s * n + b) * G, G, e - b);
                });
            });
            if (s > 0) {  // dL/dh_prev += dgh . recurrent_kernel^T
                multiply<G, U>(rt, dgh + s * n * G, dhr, n);
                add(dh, dhr, n * U);
            }
        }
        for (index_t s = 0; s < S; ++s)
            for (index_t i = 0; i < n; ++i) {
                T* row = hp + (s * n + i) * U;
                if (s == 0) std::fill(row, row + U, T(0));
                else std::copy(save + (i * S + s - 1) * SS + HO, save + (i * S + s - 1) * SS + HO + U, row);
            }
        if (ctx.param_grads)  // dW = x^T dgx, dU = hp^T dgh
            cpu_detail::with_kernels([&](auto k) {
                using K = decltype(k);
                auto par = [&](index_t c, auto&& f) { this->parallel(c, f); };
                const train_context no_act{ctx.training, ctx.param_grads, false, ctx.rng};
                T* none = nullptr;  // no dx from these two (and so no scratch)
                K::template dense_backward<projection, shape<D>, shape<G>>(params, grads, x, static_cast<const T*>(nullptr),
                                                                          dgx, none, n * S, no_act, false, none, par);
                K::template dense_backward<projection, shape<U>, shape<G>>(params + D * G, grads + D * G, hp,
                                                                          static_cast<const T*>(nullptr), dgh, none, n * S,
                                                                          no_act, false, none, par);
            });
        if (dx) {  // dx = dgx . kernel^T, on the forward GEMM with the kernel transposed
            cpu_detail::transpose(params, wt, D, G);
            multiply<G, D>(wt, dgx, add_dx ? dxa : dx, n * S);
            if (add_dx) add(dx, dxa, n * S * D);
        }
        if constexpr (L::has_bias) {
            if (ctx.param_grads) {
                T* gb = grads + (D + U) * G;
                const bool two = L::cell == cell_kind::gru;  // input and recurrent bias
                std::fill(gb, gb + (two ? 2 : 1) * G, T(0));
                for (index_t k = 0; k < n * S; ++k) add(gb, dgx + k * G, G);
                if (two)
                    for (index_t k = 0; k < n * S; ++k) add(gb + G, dgh + k * G, G);
            }
        }
    }

    // The layers that are not GEMM-shaped, on samples [0, n) of x and y (one thread's share).
    template <class L, class In, class Out, class T>
    static void forward_range(const T* params, const T* x, T* y, index_t n, T* /*ws*/) {
        using cat = typename L::category;
        if constexpr (std::is_same_v<cat, pool2d_tag>) {
            cpu_detail::with_kernels([&](auto k) { decltype(k)::template pool2d_forward<L, In, Out>(x, y, n); });
        } else if constexpr (std::is_same_v<cat, global_pool2d_tag>) {
            cpu_detail::global_pool2d_forward<L, In>(x, y, n);
        } else if constexpr (std::is_same_v<cat, batch_norm_tag>) {
            cpu_detail::with_kernels([&](auto k) { decltype(k)::template batch_norm_forward<L, In>(params, x, y, n); });
        } else if constexpr (std::is_same_v<cat, activation_tag>) {
            cpu_detail::with_kernels([&](auto k) { decltype(k)::template activation_forward<L>(x, y, n * In::size); });
        } else if constexpr (std::is_same_v<cat, softmax_tag>) {
            copy(y, x, n * In::size);
            cpu_detail::softmax_rows(y, n * In::size / In::value.back(), In::value.back());
        } else if constexpr (std::is_same_v<cat, reshape_tag> || std::is_same_v<cat, dropout_tag>) {
            copy(y, x, n * In::size);  // row-major: same bytes; dropout is the identity at inference
        } else {
            static_assert(sizeof(L) == 0, "typenet::cpu: no kernel for this layer category");
        }
    }

    // Training-mode forward pass: like forward, but batch_norm uses (and updates) batch
    // statistics and dropout draws its mask; `state` / `fixed` hold what backward needs.
    template <class L, class In, class Out, class T>
    void train_forward(T* params, const T* x, T* y, index_t n, T* state, T* fixed, const train_context& ctx) {
        using cat = typename L::category;
        if constexpr (std::is_same_v<cat, batch_norm_tag>)
            cpu_detail::with_kernels([&](auto k) {
                decltype(k)::template batch_norm_train_forward<L, In>(params, x, y, n, state, fixed, ctx);
            });
        else if constexpr (std::is_same_v<cat, dropout_tag>)
            cpu_detail::dropout_train_forward<L, In>(x, y, n, state, ctx);
        else if constexpr (std::is_same_v<cat, recurrent_tag>)
            recurrent_forward<L, In>(static_cast<const T*>(params), x, y, n,
                                     reinterpret_cast<T*>(this->scratch(n * L::workspace(In::value) * index_t(sizeof(T)))), state);
        else if constexpr (std::is_same_v<cat, bidirectional_tag>)
            bidirectional_forward<L, In>(
                static_cast<const T*>(params), x, y, n, static_cast<T*>(nullptr), state,
                reinterpret_cast<T*>(this->scratch(n * L::forward_layer::workspace(In::value) * index_t(sizeof(T)))));
        else
            forward<L, In, Out>(static_cast<const T*>(params), x, y, n, static_cast<T*>(nullptr));
    }

    // Backward pass of one leaf layer (see backend/cpu/backward.hpp for the arguments).
    template <class L, class In, class Out, class T>
    void backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n, const T* state,
                  const T* fixed, const train_context& ctx, bool last) {
        using cat = typename L::category;
        constexpr index_t count_in = In::size;
        if constexpr (std::is_same_v<cat, dense_tag>) {
            T* mem = reinterpret_cast<T*>(this->scratch(cpu_detail::dense_backward_scratch_elems<L, In>(n) * index_t(sizeof(T))));
            cpu_detail::with_kernels([&](auto k) {
                decltype(k)::template dense_backward<L, In, Out>(params, grads, x, y, dy, dx, n, ctx, last, mem,
                                                                 [&](index_t c, auto&& f) { this->parallel(c, f); });
            });
        } else if constexpr (std::is_same_v<cat, conv2d_tag>) {
            unsigned char* mem = this->scratch(cpu_detail::conv2d_backward_scratch_bytes<L, In, Out>(n, sizeof(T)));
            cpu_detail::with_kernels([&](auto k) {
                decltype(k)::template conv2d_backward<L, In, Out>(params, grads, x, y, dy, dx, n, ctx, last, mem,
                                                                  [&](index_t c, auto&& f) { this->parallel(c, f); });
            });
        } else if constexpr (std::is_same_v<cat, pool2d_tag>) {
            if (dx)
                cpu_detail::with_kernels([&](auto k) {
                    this->parallel(n, [&](index_t b, index_t e) {
                        decltype(k)::template pool2d_backward<L, In, Out>(x + b * In::size, dy + b * Out::size, dx + b * In::size,
                                                                         e - b);
                    });
                });
        } else if constexpr (std::is_same_v<cat, global_pool2d_tag>) {
            if (dx) cpu_detail::global_pool2d_backward<L, In>(x, dy, dx, n);
        } else if constexpr (std::is_same_v<cat, batch_norm_tag>) {
            cpu_detail::with_kernels([&](auto k) {
                decltype(k)::template batch_norm_backward<L, In>(params, grads, dy, dx, n, state, fixed, ctx);
            });
        } else if constexpr (std::is_same_v<cat, activation_tag>) {
            if (dx) {
                copy(dx, dy, n * count_in);
                cpu_detail::with_kernels([&](auto k) {
                    decltype(k)::template activation_backward<L>(y, dx, n, count_in, ctx, last);
                });
            }
        } else if constexpr (std::is_same_v<cat, softmax_tag>) {
            if (dx) {
                copy(dx, dy, n * count_in);
                cpu_detail::with_kernels([&](auto k) {
                    decltype(k)::template activation_backward<softmax>(y, dx, n * count_in / In::value.back(),
                                                                       In::value.back(), ctx, last);
                });
            }
        } else if constexpr (std::is_same_v<cat, dropout_tag>) {
            if (dx)
                for (index_t i = 0; i < n * count_in; ++i) dx[i] = dy[i] * state[i];
        } else if constexpr (std::is_same_v<cat, reshape_tag>) {
            if (dx) copy(dx, dy, n * count_in);
        } else if constexpr (std::is_same_v<cat, embedding_tag>) {
            // Ids have no gradient; each id's row gathers the gradients of its positions.
            constexpr index_t D = L::output_dim;
            if (ctx.param_grads) {
                std::fill(grads, grads + L::input_dim * D, T(0));
                for (index_t i = 0; i < n * count_in; ++i) add(grads + index_t(x[i]) * D, dy + i * D, D);
            }
        } else if constexpr (std::is_same_v<cat, recurrent_tag>) {
            T* mem = reinterpret_cast<T*>(this->scratch(recurrent_backward_scratch<L, In>(n) * index_t(sizeof(T))));
            recurrent_backward<L, In>(params, grads, x, dy, dx, n, state, ctx, mem, false);
        } else if constexpr (std::is_same_v<cat, bidirectional_tag>) {
            bidirectional_backward<L, In>(params, grads, x, dy, dx, n, state, ctx);
        } else {
            static_assert(sizeof(L) == 0, "typenet::cpu: no backward kernel for this layer category");
        }
    }

    template <class T>
    static void copy(T* y, const T* x, index_t count) {
        if (count > 0 && y != x) std::memmove(y, x, std::size_t(count) * sizeof(T));
    }
    template <class T>
    static void add(T* y, const T* x, index_t count) {  // y += x
        for (index_t i = 0; i < count; ++i) y[i] += x[i];
    }
    template <class T>
    static void add(T* y, const T* a, const T* b, index_t count) {  // y = a + b
        for (index_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
    }
    // Apply f(a[i], b[i], ...) to every element of several arrays in one pass: an optimizer's
    // whole update (weights, gradient, moments) is one loop. f takes its arguments by reference.
    // The loop is compiled per instruction set (an embedding's million-parameter Adam update ran
    // as baseline scalar code), and long arrays are split over the threads in fixed chunks (each
    // element's update is independent, so the result does not depend on the thread count).
    template <class F, class... P>
    void zip(F f, index_t count, P*... arrays) {
        constexpr index_t chunk = 16384;
        const index_t chunks = (count + chunk - 1) / chunk;
        this->parallel(chunks, [&](index_t b, index_t e) {
            const index_t from = b * chunk, to = std::min(count, e * chunk);
            cpu_detail::with_kernels([&](auto k) { decltype(k)::zip(f, to - from, (arrays + from)...); });
        });
    }
    // Evaluate an expression tree into y in one loop.
    template <class T, class E>
    static void assign(T* y, index_t count, const E& e) {
        evaluate_into(y, count, e);
    }

};

// One thread, no heap: the bare-metal policy (static_model, rom_model).
using cpu_serial = basic_cpu<cpu_detail::serial_host>;

}  // namespace typenet
