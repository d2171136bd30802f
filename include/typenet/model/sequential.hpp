// sequential: a network as a flat list of layers after an input<...>. Every fact about it --
// shapes, parameter counts, FLOPs, weight and activation memory -- is a compile-time constant.
#pragma once

#include <array>
#include <type_traits>

#include "../layers/embedding.hpp"
#include "../layers/reshape.hpp"
#include "chain.hpp"
#include "composite.hpp"

namespace typenet {

// Rules for checking a network: Keras' (strided windows floor), or strict (must tile exactly).
struct keras_rules {
    static constexpr bool strict = false;
};
struct strict_rules {
    static constexpr bool strict = true;
};

namespace detail {
template <class First>
struct input_shape_of {
    using type = shape<1>;
};
template <index_t... Ds>
struct input_shape_of<input<Ds...>> {
    using type = shape<Ds...>;
};
template <index_t Len>
struct input_shape_of<tokens<Len>> {
    using type = shape<Len>;
};
template <class First>
inline constexpr bool is_tokens_v = false;
template <index_t Len>
inline constexpr bool is_tokens_v<tokens<Len>> = true;
}  // namespace detail

template <class Rules, class First, class... Ls>
struct basic_sequential {
    using input_shape_t = typename detail::input_shape_of<First>::type;
    // The input is a sequence of token ids (tokens<len>), carried as integer values of the model's
    // element type; predict / fit / evaluate also take them as batch<std::int32_t, shape<len>>.
    static constexpr bool token_input = detail::is_tokens_v<First>;
    using chain = detail::bound_chain<input_shape_t, Rules::strict, token_input, Ls...>;

private:
    static constexpr bool checked_input() {
        if constexpr (is_input_v<First> || token_input) return First::valid;
        else return false;
    }
    static constexpr bool checked() {
        if constexpr (!is_input_v<First> && !token_input) return diag::network_must_start_with_input<First>::value;
        else if constexpr (!First::valid) return false;  // input<>'s own static_assert says why
        else return chain::report();
    }

public:
    // If this fails, the first error above names the layer, its position and the shapes.
    static_assert(checked(), "typenet::sequential: invalid network (see the diag:: error above)");
    static constexpr bool valid = checked_input() && chain::valid;

    static constexpr const char* name = "sequential";
    static constexpr auto& plan = chain::plan;
    static constexpr std::size_t layer_count = sizeof...(Ls);
    using output_shape_t = detail::chain_output_t<input_shape_t, Rules::strict, token_input, Ls...>;
    static constexpr input_shape_t input_shape{};
    static constexpr output_shape_t output_shape{};

    template <std::size_t I>
    using layer_type = typename chain::template layer_t<I>;
    template <std::size_t I>
    using layer_input_t = typename chain::template input_t<I>;
    template <std::size_t I>
    using layer_output_t = typename chain::template output_t<I>;

    // Parameter counts as Keras reports them.
    static constexpr index_t param_count = plan.params;
    static constexpr index_t trainable_count = plan.trainable;
    static constexpr index_t non_trainable_count = plan.params - plan.trainable;
    // Floating-point operations of one sample's forward pass (a multiply-add counts 2).
    static constexpr index_t flops = plan.flops;

    template <class T = float>
    static constexpr index_t weight_bytes_for = param_count * index_t(sizeof(T));
    static constexpr index_t weight_bytes = weight_bytes_for<float>;

    // Inference activation arena: two ping-pong buffers (each the largest of the activations it
    // holds) plus the largest layer scratch, per sample. The input and output are the caller's.
    static constexpr index_t arena_elems = plan.arena();
    template <class T = float>
    static constexpr index_t arena_bytes_for(index_t batch = 1) {
        return arena_elems * batch * index_t(sizeof(T));
    }
    static constexpr index_t arena_bytes = arena_bytes_for<float>(1);

private:
    using plan_of_list = detail::plan_of<Ls...>;

public:
    // Every parameter array in Keras get_weights() order, and summary() rows.
    static constexpr int block_count = plan_of_list::total_blocks();
    static constexpr int row_count = plan_of_list::total_rows();
    static constexpr std::array<param_block, std::size_t(plan_of_list::total_blocks())> param_blocks = [] {
        std::array<param_block, std::size_t(plan_of_list::total_blocks())> b{};
        if constexpr (plan_of_list::total_blocks() > 0) plan_of_list::blocks(input_shape_t::value, b.data());
        return b;
    }();
    static constexpr std::array<summary_row, std::size_t(plan_of_list::total_rows())> summary_rows = [] {
        std::array<summary_row, std::size_t(plan_of_list::total_rows())> r{};
        if constexpr (plan_of_list::total_rows() > 0) plan_of_list::rows(input_shape_t::value, r.data(), 0);
        return r;
    }();
    // Index of each top-level layer's first parameter block (its arrays follow contiguously).
    static constexpr std::array<std::size_t, sizeof...(Ls) + 1> layer_first_block = [] {
        constexpr int c[] = {detail::ops<Ls>::block_count()..., 0};
        std::array<std::size_t, sizeof...(Ls) + 1> f{};
        for (std::size_t i = 0; i < sizeof...(Ls); ++i) f[i + 1] = f[i] + std::size_t(c[i]);
        return f;
    }();
    // Offset of each parameter block in the flat parameter vector.
    static constexpr std::array<index_t, param_blocks.size() + 1> block_offsets = [] {
        std::array<index_t, param_blocks.size() + 1> o{};
        for (std::size_t i = 0; i < param_blocks.size(); ++i) o[i + 1] = o[i] + param_blocks[i].shape.size();
        return o;
    }();
};

// sequential<input<28, 28, 1>, conv2d<32, kernel<3, 3>, relu>, ...>: Keras' rules.
template <class First, class... Ls>
struct sequential : basic_sequential<keras_rules, First, Ls...> {};

// strict_sequential<...>: also rejects strided windows that do not tile their input exactly.
template <class First, class... Ls>
struct strict_sequential : basic_sequential<strict_rules, First, Ls...> {};

template <class N>
concept network = requires {
    typename N::input_shape_t;
    typename N::output_shape_t;
    N::param_count;
    N::plan;
};

}  // namespace typenet
