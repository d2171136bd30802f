// chain: the composition core. Walks a flat list of layer descriptors from an input shape in one
// constexpr pass (no recursive templates, no fold over the network): every shape, check, parameter
// offset, FLOP count and buffer size; turns the first problem into its diagnostic; runs the layers
// over ping-pong buffers on a policy.
#pragma once

#include <array>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "../core/diagnostics.hpp"
#include "../core/epilogue.hpp"
#include "../core/shape.hpp"
#include "../layers/layer.hpp"

namespace typenet {
namespace detail {

// ---- I-th type of a pack without recursion (layers stored as indexed<I, L> bases) --------------
template <std::size_t I, class T>
struct indexed {
    using type = T;
};
template <class Seq, class... Ts>
struct indexer;
template <std::size_t... I, class... Ts>
struct indexer<std::index_sequence<I...>, Ts...> : indexed<I, Ts>... {};
template <std::size_t I, class T>
indexed<I, T> select_indexed(const indexed<I, T>&);
template <std::size_t I, class... Ts>
using type_at = typename decltype(select_indexed<I>(indexer<std::index_sequence_for<Ts...>, Ts...>{}))::type;

template <class L>
concept composite_layer = layer<L> && requires { L::is_composite; };

// ---- uniform access to a descriptor; tolerates non-layers so the chain can report them --------
template <class L>
struct ops {
    static constexpr bool is_layer = layer<L>;
    static constexpr verdict check(dims in, check_options o) {
        if constexpr (layer<L>) return L::check(in, o);
        else return {};
    }
    static constexpr dims output(dims in) {
        if constexpr (layer<L>) return L::output(in);
        else return in;
    }
    static constexpr int block_count() {
        if constexpr (layer<L>) return L::block_count;
        else return 0;
    }
    static constexpr void blocks(dims in, param_block* out) {
        if constexpr (layer<L>) L::blocks(in, out);
    }
    static constexpr index_t params(dims in) { return count(in, false); }
    static constexpr index_t trainable(dims in) { return count(in, true); }
    static constexpr index_t flops(dims in) {
        if constexpr (layer<L>) return L::flops(in);
        else return 0;
    }
    static constexpr index_t workspace(dims in) {
        if constexpr (layer<L>) return L::workspace(in);
        else return 0;
    }
    static constexpr int row_count() {
        if constexpr (layer<L>) return L::row_count;
        else return 0;
    }
    static constexpr bool takes_token_ids() {
        if constexpr (layer<L>) return L::takes_token_ids;
        else return false;
    }
    static constexpr inference_form form() {
        if constexpr (layer<L>) return L::at_inference;
        else return inference_form::other;
    }
    static constexpr void rows(dims in, summary_row* out, int depth) {
        if constexpr (composite_layer<L>) L::rows(in, out, depth);
        else if constexpr (layer<L>) leaf_rows<L>(in, out, depth);
    }

private:
    static constexpr index_t count(dims in, bool only_trainable) {
        if constexpr (!layer<L>) {
            return 0;
        } else if constexpr (L::block_count == 0) {
            return 0;
        } else {
            param_block b[L::block_count]{};
            L::blocks(in, b);
            index_t p = 0;
            for (const auto& x : b)
                if (!only_trainable || x.trainable) p += x.shape.size();
            return p;
        }
    }
};

constexpr index_t max_of(index_t a, index_t b) { return a > b ? a : b; }

// ---- the value-level plan of a layer list for one input shape ----------------------------------
template <class... Ls>
struct plan_of {
    static constexpr std::size_t N = sizeof...(Ls);
    static constexpr std::size_t M = N > 0 ? N : 1;

    struct type {
        dims shape[N + 1]{};         // shape[i] = input of layer i; shape[N] = output
        verdict v[M]{};              // each layer's verdict on its input
        int first_non_layer = -1;    // first type that is not a layer
        int first_bad = -1;          // first layer whose verdict is not ok
        index_t param_offset[N + 1]{};  // parameter elements before layer i (in list order)
        index_t params = 0, trainable = 0, flops = 0;
        // Inference runs the layers in groups: a producer (dense, conv2d, composite) and the
        // elementwise / same-bytes layers right after it, which its store applies (a fused epilogue).
        index_t group_end[M]{};      // for the first layer of a group: one past its last; else 0
        int in_buffer[M]{};          // for the first layer of a group: ping-pong buffer it reads, -1 = the input
        int out_buffer[M]{};         // ... and the one its group writes, -1 = the caller's output
        int groups = 0;
        index_t buffer[2] = {0, 0};  // per-sample sizes of the two ping-pong buffers
        index_t workspace = 0;       // per-sample scratch shared by all layers (max)
        constexpr bool valid() const { return first_non_layer < 0 && first_bad < 0; }
        constexpr index_t arena() const { return buffer[0] + buffer[1] + workspace; }
    };

    static constexpr type make(dims in, check_options opt) {
        constexpr bool is_layer[] = {ops<Ls>::is_layer..., true};
        constexpr verdict (*check[])(dims, check_options) = {&ops<Ls>::check..., nullptr};
        constexpr dims (*output[])(dims) = {&ops<Ls>::output..., nullptr};
        constexpr index_t (*params[])(dims) = {&ops<Ls>::params..., nullptr};
        constexpr index_t (*trainable[])(dims) = {&ops<Ls>::trainable..., nullptr};
        constexpr index_t (*flops[])(dims) = {&ops<Ls>::flops..., nullptr};
        constexpr index_t (*workspace[])(dims) = {&ops<Ls>::workspace..., nullptr};
        constexpr inference_form form[] = {ops<Ls>::form()..., inference_form::other};
        constexpr bool takes_ids[] = {ops<Ls>::takes_token_ids()..., false};

        type p;
        p.shape[0] = in;
        // An empty chain has no loops to run (nvcc would call `i < N` with N = 0 pointless).
        if constexpr (N > 0) {
            for (std::size_t i = 0; i < N; ++i) {
                if (!is_layer[i] && p.first_non_layer < 0) p.first_non_layer = int(i);
                // Token ids go into the first layer, and only an embedding reads them.
                const bool ids_here = i == 0 && opt.token_input;
                if (ids_here && !takes_ids[i]) p.v[i] = {problem::token_input_needs_embedding};
                else if (takes_ids[i] && !ids_here) p.v[i] = {problem::embedding_needs_token_input};
                // Only the first layer reads ids: a composite later in a text network (a residual
                // block, a frozen head) checks its own first layer as reading numbers.
                else p.v[i] = check[i](p.shape[i], check_options{opt.strict_tiling, ids_here});
                if (!p.v[i].ok() && p.first_bad < 0) p.first_bad = int(i);
                p.shape[i + 1] = output[i](p.shape[i]);
                const index_t np = params[i](p.shape[i]);
                p.param_offset[i + 1] = p.param_offset[i] + np;
                p.params += np;
                p.trainable += trainable[i](p.shape[i]);
                p.flops += flops[i](p.shape[i]);
                p.workspace = max_of(p.workspace, workspace[i](p.shape[i]));
            }
            // Groups: an elementwise or same-bytes layer joins the group of a producer before it.
            for (std::size_t i = 0, head = 0; i < N; ++i) {
                const bool joins = i > 0 && form[head] == inference_form::producer &&
                                   (form[i] == inference_form::elementwise || form[i] == inference_form::same_bytes);
                if (!joins) head = i;
                p.group_end[head] = index_t(i + 1);
            }
            // Group k reads what group k - 1 wrote and writes buffer k % 2 -- the last group writes the
            // caller's output -- so a group never reads the buffer it writes.
            for (std::size_t i = 0; i < N; ++i) {
                if (p.group_end[i] == 0) continue;
                const int k = p.groups++;
                p.in_buffer[i] = k == 0 ? -1 : (k - 1) % 2;
                p.out_buffer[i] = std::size_t(p.group_end[i]) == N ? -1 : k % 2;
                if (p.out_buffer[i] >= 0)
                    p.buffer[k % 2] = max_of(p.buffer[k % 2], p.shape[std::size_t(p.group_end[i])].size());
            }
        }
        return p;
    }

    static constexpr int total_blocks() {
        constexpr int c[] = {ops<Ls>::block_count()..., 0};
        int s = 0;
        for (int x : c) s += x;
        return s;
    }
    static constexpr int total_rows() {
        constexpr int c[] = {ops<Ls>::row_count()..., 0};
        int s = 0;
        for (int x : c) s += x;
        return s;
    }

    // All parameter blocks in list order; `row` is the summary row of the owning layer.
    static constexpr void blocks(dims in, param_block* out, int first_row = 0) {
        constexpr int (*count[])() = {&ops<Ls>::block_count..., nullptr};
        constexpr int (*nrows[])() = {&ops<Ls>::row_count..., nullptr};
        constexpr void (*fill[])(dims, param_block*) = {&ops<Ls>::blocks..., nullptr};
        constexpr dims (*output[])(dims) = {&ops<Ls>::output..., nullptr};
        dims s = in;
        int k = 0, row = first_row;
        for (std::size_t i = 0; i < N; ++i) {
            const int before = k;
            fill[i](s, out + k);
            k += count[i]();
            for (int j = before; j < k; ++j) out[j].row += row;  // composites fill rows relative to their first
            row += nrows[i]();
            s = output[i](s);
        }
    }
    // Per-layer access by index (composites interleave their branches' layers, as Keras does).
    static constexpr int layer_block_count(std::size_t i) {
        constexpr int (*count[])() = {&ops<Ls>::block_count..., nullptr};
        return count[i]();
    }
    static constexpr int layer_row_count(std::size_t i) {
        constexpr int (*nrows[])() = {&ops<Ls>::row_count..., nullptr};
        return nrows[i]();
    }
    static constexpr void layer_blocks(std::size_t i, dims in, param_block* out) {
        constexpr void (*fill[])(dims, param_block*) = {&ops<Ls>::blocks..., nullptr};
        fill[i](in, out);
    }
    static constexpr void layer_rows(std::size_t i, dims in, summary_row* out, int depth) {
        constexpr void (*fill[])(dims, summary_row*, int) = {&ops<Ls>::rows..., nullptr};
        fill[i](in, out, depth);
    }
    static constexpr index_t layer_params(std::size_t i, dims in) {
        constexpr index_t (*params[])(dims) = {&ops<Ls>::params..., nullptr};
        return params[i](in);
    }

    static constexpr void rows(dims in, summary_row* out, int depth) {
        constexpr int (*nrows[])() = {&ops<Ls>::row_count..., nullptr};
        constexpr void (*fill[])(dims, summary_row*, int) = {&ops<Ls>::rows..., nullptr};
        constexpr dims (*output[])(dims) = {&ops<Ls>::output..., nullptr};
        dims s = in;
        int r = 0;
        for (std::size_t i = 0; i < N; ++i) {
            fill[i](s, out + r, depth);
            r += nrows[i]();
            s = output[i](s);
        }
    }
};

// ---- diagnostics: the first problem of a chain, with position and shapes ------------------------
template <class Where>
struct layer_of;
template <index_t I, class L>
struct layer_of<at_layer<I, L>> {
    using type = L;
};

template <class Where, class In, class Chain, int I, bool Strict>
constexpr bool raise() {
    using G = got<In>;
    constexpr verdict V = Chain::plan.v[I];
    constexpr problem p = V.what;
    if constexpr (p == problem::needs_hwc_input) return diag::needs_hwc_input<Where, G>::value;
    else if constexpr (p == problem::needs_sequence_input) return diag::needs_sequence_input<Where, G>::value;
    else if constexpr (p == problem::embedding_needs_token_input)
        return diag::embedding_needs_token_input<Where, G>::value;
    else if constexpr (p == problem::token_input_needs_embedding)
        return diag::token_input_needs_embedding<Where, G>::value;
    else if constexpr (p == problem::window_larger_than_input)
        return diag::window_larger_than_input<Where, G, window<V.a.e[0], V.a.e[1]>>::value;
    else if constexpr (p == problem::window_does_not_tile_input)
        return diag::window_does_not_tile_input<Where, G, window<V.a.e[0], V.a.e[1]>, step<V.b.e[0], V.b.e[1]>>::value;
    else if constexpr (p == problem::zero_or_negative_units) return diag::zero_or_negative_units<Where>::value;
    else if constexpr (p == problem::zero_or_negative_filters) return diag::zero_or_negative_filters<Where>::value;
    else if constexpr (p == problem::zero_or_negative_kernel) return diag::zero_or_negative_kernel<Where>::value;
    else if constexpr (p == problem::zero_or_negative_stride) return diag::zero_or_negative_stride<Where>::value;
    else if constexpr (p == problem::zero_or_negative_pool) return diag::zero_or_negative_pool<Where>::value;
    else if constexpr (p == problem::dropout_rate_out_of_range) return diag::dropout_rate_out_of_range<Where>::value;
    else if constexpr (p == problem::reshape_size_mismatch)
        return diag::reshape_size_mismatch<Where, G, TYPENET_SHAPE_OF(V.a)>::value;
    else if constexpr (p == problem::residual_branch_mismatch)
        return diag::residual_branch_mismatch<Where, main_path_output<TYPENET_SHAPE_OF(V.a)>, shortcut_output<TYPENET_SHAPE_OF(V.b)>>::value;
    else if constexpr (p == problem::inner_layer)
        return layer_of<Where>::type::template report<In, Strict>();  // the composite names its own layer
    else return diag::invalid_layer_argument<Where>::value;
}

// The chain of Ls... bound to input shape In under check options O (Tokens: In holds token ids).
template <class In, bool Strict, bool Tokens, class... Ls>
struct bound_chain {
    using plan_type = plan_of<Ls...>;
    static constexpr std::size_t size = sizeof...(Ls);
    static constexpr typename plan_type::type plan = plan_type::make(In::value, check_options{Strict, Tokens});
    static constexpr bool valid = plan.valid();

    template <std::size_t I>
    using layer_t = type_at<I, Ls...>;
    template <std::size_t I>
    using input_t = TYPENET_SHAPE_OF(bound_chain::plan.shape[I]);
    template <std::size_t I>
    using output_t = TYPENET_SHAPE_OF(bound_chain::plan.shape[I + 1]);

    // Instantiates exactly one diagnostic -- for the first mistake -- and returns false; true if valid.
    static constexpr bool report() {
        if constexpr (plan.first_non_layer >= 0) {
            constexpr int I = plan.first_non_layer;
            return diag::not_a_layer<at_layer<I, layer_t<I>>>::value;
        } else if constexpr (plan.first_bad >= 0) {
            constexpr int I = plan.first_bad;
            return raise<at_layer<I, layer_t<I>>, input_t<I>, bound_chain, I, Strict>();
        } else {
            return true;
        }
    }
};

template <class In, bool Strict, bool Tokens, class... Ls>
using chain_output_t = TYPENET_SHAPE_OF(bound_chain<In, Strict, Tokens, Ls...>::plan.shape[sizeof...(Ls)]);

// How a policy sees layer L on input In. A 1-D layer (conv1d, the 1-D poolings) is its 2-D twin
// (L::planar) on a (1, steps, channels) image; a last-axis layer (dense) on a multi-axis input
// runs on rows of the last axis -- n samples of (time, features) are n * time samples of
// (features). Anything else as it is.
template <class S>
struct prepend_one;
template <index_t... Ds>
struct prepend_one<shape<Ds...>> {
    using type = shape<1, Ds...>;
};
template <class L>
concept planar_layer = requires { typename L::planar; };
template <class L, class In, class Out>
struct kernel_view {
    static constexpr bool changed = false;
    static constexpr index_t per_sample = 1;
    using layer = L;
    using in = In;
    using out = Out;
};
template <planar_layer L, class In, class Out>
struct kernel_view<L, In, Out> {
    static constexpr bool changed = true;
    static constexpr index_t per_sample = 1;
    using layer = typename L::planar;
    using in = typename prepend_one<In>::type;
    using out = std::conditional_t<Out::rank == 2, typename prepend_one<Out>::type, Out>;
};
template <class L, class In, class Out>
    requires(!planar_layer<L> && L::last_axis && In::rank > 1)
struct kernel_view<L, In, Out> {
    static constexpr bool changed = true;
    static constexpr index_t per_sample = In::size / In::value.back();
    using layer = L;
    using in = shape<In::value.back()>;
    using out = shape<Out::value.back()>;
};

// ---- running a chain on a policy -----------------------------------------------------------------
// The policy object supplies forward<L, In, Out>(params, x, y, n, ws) for leaf layers, plus copy and
// add; a policy with fused kernels also forward<L, In, Out>(params, x, y, n, ws, epilogue) for
// producers. It is passed by reference: a GPU policy carries its context (handles, stream); the CPU
// one its threads.

// The stages of an epilogue run one after another over y (n samples of Out), in place: the way a
// policy without a fused kernel for a group's producer still runs the group.
template <class Out, class T, class Policy, class... S>
void apply_in_place(Policy& pol, const epilogue<T, S...>& epi, T* y, index_t n, T* ws) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (void)std::initializer_list<int>{([&] {
            using St = type_at<K, S...>;
            if constexpr (std::is_same_v<St, add_stage>)
                pol.add(y, epi.arg[K], n * Out::size);
            else
                pol.template forward<typename St::layer, typename St::input, typename St::input>(epi.arg[K], y, y, n, ws);
        }(), 0)...};
    }(std::index_sequence_for<S...>{});
}

// The layers [J, E) of a chain as epilogue stages (same-bytes layers drop out: nothing to do).
template <class T, class Chain, std::size_t J, std::size_t E>
auto stages_of(const T* params, const index_t* offsets) {
    if constexpr (J == E) {
        return epilogue<T>{};
    } else {
        using L = typename Chain::template layer_t<J>;
        if constexpr (L::at_inference == inference_form::same_bytes)
            return stages_of<T, Chain, J + 1, E>(params, offsets);
        else
            return epilogue<T, layer_stage<L, typename Chain::template input_t<J>>>{{params + offsets[J]}} +
                   stages_of<T, Chain, J + 1, E>(params, offsets);
    }
}

template <class Policy, class L, class In, class Out, class T, class Epi>
concept fused_forward = requires(Policy& pol, const T* p, T* y, const Epi& e) {
    pol.template forward<L, In, Out>(p, p, y, index_t(1), y, e);
};

// A producer L with the elementwise work after it: one call where the policy has a fused kernel
// (or L is a composite, which passes the work on to its own last group), else L then the stages.
template <class T, class L, class In, class Out, class Policy, class Epi>
void run_layer(Policy& pol, const T* params, const T* x, T* y, index_t n, T* ws, const Epi& epi) {
    if constexpr (composite_layer<L>) {
        L::template forward<T, In, Out>(pol, params, x, y, n, ws, epi);
    } else if constexpr (kernel_view<L, In, Out>::changed) {
        using V = kernel_view<L, In, Out>;
        run_layer<T, typename V::layer, typename V::in, typename V::out>(pol, params, x, y, n * V::per_sample, ws, epi);
    } else if constexpr (Epi::size == 0) {
        pol.template forward<L, In, Out>(params, x, y, n, ws);
    } else if constexpr (L::at_inference == inference_form::producer && fused_forward<Policy, L, In, Out, T, Epi>) {
        pol.template forward<L, In, Out>(params, x, y, n, ws, epi);
    } else {
        pol.template forward<L, In, Out>(params, x, y, n, ws);
        apply_in_place<Out>(pol, epi, y, n, ws);
    }
}

// x: (n, In) -> y: (n, Out). offsets[i] = start of layer i's parameters relative to `params`.
// arena: n * plan.arena() elements, laid out [buffer 0 | buffer 1 | workspace]. `after`: elementwise
// work the caller wants done on the chain's output (a residual block's add and what follows it),
// given to the last group's store.
template <class T, class Chain, class Policy, class Epi = epilogue<T>>
void run_chain(Policy& pol, const T* params, const index_t* offsets, const T* x, T* y, index_t n, T* arena,
               const Epi& after = {}) {
    constexpr auto& p = Chain::plan;
    constexpr std::size_t N = Chain::size;
    if constexpr (N == 0) {
        pol.copy(y, x, n * Chain::plan.shape[0].size());
        if constexpr (Epi::size > 0) apply_in_place<typename Chain::template input_t<0>>(pol, after, y, n, arena);
    } else {
        T* buf[2] = {arena, arena + n * p.buffer[0]};
        T* ws = arena + n * (p.buffer[0] + p.buffer[1]);
        auto group = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
            if constexpr (p.group_end[I] > 0) {
                constexpr std::size_t E = std::size_t(p.group_end[I]);
                // -1 is the caller's input / output. Chosen at compile time: clang's -Warray-bounds
                // flags buf[-1] even in the branch of a ?: that is never taken.
                constexpr int bi = p.in_buffer[I], bo = p.out_buffer[I];
                const T* in = x;
                T* out = y;
                if constexpr (bi >= 0) in = buf[bi];
                if constexpr (bo >= 0) out = buf[bo];
                auto stages = stages_of<T, Chain, I + 1, E>(params, offsets);
                using L = typename Chain::template layer_t<I>;
                using In = typename Chain::template input_t<I>;
                using Out = typename Chain::template output_t<I>;
                if constexpr (E == N) run_layer<T, L, In, Out>(pol, params + offsets[I], in, out, n, ws, stages + after);
                else run_layer<T, L, In, Out>(pol, params + offsets[I], in, out, n, ws, stages);
            }
        };
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            // A braced list runs the groups in order without nesting (no fold over the network).
            (void)std::initializer_list<int>{(group(std::integral_constant<std::size_t, I>{}), 0)...};
        }(std::make_index_sequence<N>{});
    }
}

}  // namespace detail
}  // namespace typenet
