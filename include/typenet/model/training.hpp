// training: the memory plan and the runs of a chain in training -- a forward pass that keeps every
// layer's output (and what its backward pass needs), and the backward pass that walks the chain in
// reverse over two ping-pong gradient buffers, filling the parameter gradients.
#pragma once

#include <initializer_list>
#include <utility>

#include "../core/train_context.hpp"
#include "chain.hpp"

namespace typenet::detail {

// Training-memory facts of one layer: leaves declare their state; composites their inner plans.
template <class L>
struct train_ops {
    static constexpr index_t state(dims in) {
        if constexpr (composite_layer<L>) return L::train_saved(in);
        else if constexpr (layer<L>) return L::train_state(in);
        else return 0;
    }
    static constexpr index_t fixed(dims in) {
        if constexpr (composite_layer<L>) return L::train_saved_fixed(in);
        else if constexpr (layer<L>) return L::train_state_fixed(in);
        else return 0;
    }
    static constexpr index_t scratch(dims in) {
        if constexpr (composite_layer<L>) return L::train_scratch(in);
        else return 0;
    }
};

// Per sample unless noted. Layer i's saved block is [output | state] at n * saved_off[i].
template <class... Ls>
struct train_plan_of {
    static constexpr std::size_t N = sizeof...(Ls);
    struct type {
        index_t saved_off[N + 1]{};
        index_t fixed_off[N + 1]{};  // per batch
        index_t out_size[N + 1]{};
        index_t grad = 0;            // one gradient buffer: the largest activation, input included
        index_t scratch = 0;         // the largest composite scratch
        constexpr index_t saved() const { return saved_off[N]; }
        constexpr index_t fixed() const { return fixed_off[N]; }
        // Scratch a backward pass needs: two gradient buffers and composite scratch.
        constexpr index_t backward_scratch() const { return 2 * grad + scratch; }
    };
    static constexpr type make(dims in) {
        constexpr dims (*output[])(dims) = {&ops<Ls>::output..., nullptr};
        constexpr index_t (*state[])(dims) = {&train_ops<Ls>::state..., nullptr};
        constexpr index_t (*fixed[])(dims) = {&train_ops<Ls>::fixed..., nullptr};
        constexpr index_t (*scratch[])(dims) = {&train_ops<Ls>::scratch..., nullptr};
        type p;
        dims s = in;
        p.grad = in.size();
        for (std::size_t i = 0; i < N; ++i) {
            const dims o = output[i](s);
            p.out_size[i] = o.size();
            p.saved_off[i + 1] = p.saved_off[i] + o.size() + state[i](s);
            p.fixed_off[i + 1] = p.fixed_off[i] + fixed[i](s);
            p.grad = max_of(p.grad, o.size());
            p.scratch = max_of(p.scratch, scratch[i](s));
            s = o;
        }
        return p;
    }
};

template <class Chain>
struct train_plan;
template <class In, bool Strict, bool Tokens, class... Ls>
struct train_plan<bound_chain<In, Strict, Tokens, Ls...>> {
    static constexpr typename train_plan_of<Ls...>::type value = train_plan_of<Ls...>::make(In::value);
};

// Where a chain keeps its training data for a batch of n.
template <class T>
struct train_memory {
    T* saved;    // n * plan.saved()
    T* fixed;    // plan.fixed()
    T* scratch;  // n * plan.backward_scratch()
};

template <class T, class L, class In, class Out, class Policy>
void train_layer(Policy& pol, T* params, const T* x, T* y, index_t n, T* state, T* fixed, const train_context& ctx) {
    using V = kernel_view<L, In, Out>;
    if constexpr (composite_layer<L>) L::template train_forward<T, In, Out>(pol, params, x, y, n, state, fixed, ctx);
    else
        pol.template train_forward<typename V::layer, typename V::in, typename V::out>(params, x, y, n * V::per_sample, state,
                                                                                      fixed, ctx);
}

template <class T, class L, class In, class Out, class Policy>
void backward_layer(Policy& pol, const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                    const T* state, const T* fixed, T* scratch, const train_context& ctx, bool last) {
    using V = kernel_view<L, In, Out>;
    if constexpr (composite_layer<L>)
        L::template backward<T, In, Out>(pol, params, grads, x, y, dy, dx, n, state, fixed, scratch, ctx);
    else
        pol.template backward<typename V::layer, typename V::in, typename V::out>(params, grads, x, y, dy, dx,
                                                                                 n * V::per_sample, state, fixed, ctx, last);
}

// Output of layer I of a chain in training memory.
template <class Chain, class T>
T* saved_output(const train_memory<T>& mem, std::size_t i, index_t n) {
    return mem.saved + n * train_plan<Chain>::value.saved_off[i];
}

// Training forward pass: x (n, In) -> every layer's output kept; returns the chain's output.
template <class T, class Chain, class Policy>
const T* train_forward_chain(Policy& pol, T* params, const index_t* offsets, const T* x, index_t n,
                             const train_memory<T>& mem, const train_context& ctx) {
    constexpr auto& tp = train_plan<Chain>::value;
    constexpr std::size_t N = Chain::size;
    if constexpr (N == 0) {
        return x;
    } else {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (void)std::initializer_list<int>{
                (train_layer<T, typename Chain::template layer_t<I>, typename Chain::template input_t<I>,
                             typename Chain::template output_t<I>>(
                     pol, params + offsets[I], I == 0 ? x : saved_output<Chain>(mem, I - 1, n),
                     saved_output<Chain>(mem, I, n), n, saved_output<Chain>(mem, I, n) + n * tp.out_size[I],
                     mem.fixed + tp.fixed_off[I], ctx),
                 0)...};
        }(std::make_index_sequence<N>{});
        return saved_output<Chain>(mem, N - 1, n);
    }
}

// Backward pass: dy (n, Out; overwritten) -> parameter gradients (grads, same layout as params)
// and, unless dx is nullptr, the gradient w.r.t. the chain's input.
template <class T, class Chain, class Policy>
void backward_chain(Policy& pol, const T* params, T* grads, const index_t* offsets, const T* x, T* dy, T* dx,
                    index_t n, const train_memory<T>& mem, const train_context& ctx, bool last_is_output) {
    constexpr auto& tp = train_plan<Chain>::value;
    constexpr std::size_t N = Chain::size;
    if constexpr (N == 0) {
        if (dx) pol.copy(dx, dy, n * Chain::plan.shape[0].size());
    } else {
        T* gbuf[2] = {mem.scratch, mem.scratch + n * tp.grad};
        T* layer_scratch = mem.scratch + 2 * n * tp.grad;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            // Reverse order: step J handles layer N - 1 - J.
            (void)std::initializer_list<int>{(
                [&] {
                    constexpr std::size_t L = N - 1 - I;
                    T* d_out = L == N - 1 ? dy : gbuf[(L + 1) % 2];
                    T* d_in = L == 0 ? dx : gbuf[L % 2];
                    backward_layer<T, typename Chain::template layer_t<L>, typename Chain::template input_t<L>,
                                   typename Chain::template output_t<L>>(
                        pol, params + offsets[L], grads + offsets[L], L == 0 ? x : saved_output<Chain>(mem, L - 1, n),
                        saved_output<Chain>(mem, L, n), d_out, d_in, n,
                        saved_output<Chain>(mem, L, n) + n * tp.out_size[L], mem.fixed + tp.fixed_off[L],
                        layer_scratch, ctx, last_is_output && L == N - 1);
                }(),
                0)...};
        }(std::make_index_sequence<N>{});
    }
}

}  // namespace typenet::detail
