// conv1d and the 1-D poolings: Keras' Conv1D, MaxPooling1D, AveragePooling1D,
// GlobalAveragePooling1D, GlobalMaxPooling1D on a (steps, channels) input. Each is the matching
// 2-D layer on a (1, steps, channels) image -- the same arithmetic and, for conv1d, the same kernel
// memory ((k, in, filters) is (1, k, in, filters)) -- so every policy runs them as that layer
// (`planar`; model/chain.hpp makes the switch), and only shapes, checks and names live here.
#pragma once

#include "conv.hpp"
#include "layer.hpp"
#include "pool.hpp"

namespace typenet {

namespace detail {
// The checks of a 1-D window layer: a (steps, channels) input, then the 2-D checks on (1, steps, C).
constexpr verdict window_verdict_1d(dims in, index_t k, index_t s, padding pad, check_options opt) {
    if (s <= 0) return {problem::zero_or_negative_stride};
    if (in.rank != 2) return {problem::needs_sequence_input};
    // A window problem names the window as the 2-D layer sees it: window<1, k>, step<1, s>.
    return window_verdict(make_dims({1, in[0], in[1]}), 1, k, 1, s, pad, opt);
}
constexpr dims steps_output(dims in, index_t k, index_t s, padding pad, index_t c) {
    return make_dims({window_output(in[0], k, s, pad), c});
}
inline constexpr char conv1d_name[] = "conv1d";
inline constexpr char conv1d_class[] = "Conv1D";
inline constexpr char max_pool1d_name[] = "max_pooling1d";
inline constexpr char max_pool1d_class[] = "MaxPooling1D";
inline constexpr char avg_pool1d_name[] = "average_pooling1d";
inline constexpr char avg_pool1d_class[] = "AveragePooling1D";
inline constexpr char gap1d_name[] = "global_average_pooling1d";
inline constexpr char gap1d_class[] = "GlobalAveragePooling1D";
inline constexpr char gmp1d_name[] = "global_max_pooling1d";
inline constexpr char gmp1d_class[] = "GlobalMaxPooling1D";
}  // namespace detail

// Keras' Conv1D(filters, kernel_size, strides, padding, activation, use_bias): conv1d<64, 5, relu>,
// conv1d<32, 3, strides<2>, same>. ("causal" padding is not provided.)
template <index_t Filters, index_t KernelSize, class... Opts>
struct conv1d : layer_base {
    static constexpr index_t filters = Filters, k = KernelSize;
    static constexpr index_t s = detail::option_t<strides_option, strides<1>, Opts...>::h;
    static constexpr padding pad = detail::option_t<padding_option, valid, Opts...>::value;
    using activation = detail::option_t<activation_option, linear, Opts...>;
    static constexpr bool has_bias = detail::option_t<bias_option, use_bias<true>, Opts...>::value;
    using planar = conv2d<Filters, kernel<1, KernelSize>, strides<1, s>, detail::option_t<padding_option, valid, Opts...>,
                          activation, use_bias<has_bias>>;
    using category = typename planar::category;
    static constexpr const char* name = detail::conv1d_name;
    static constexpr const char* keras_class = detail::conv1d_class;
    static constexpr int block_count = has_bias ? 2 : 1;
    static constexpr inference_form at_inference = planar::at_inference;

    static_assert((detail::option_of_kind_v<Opts, strides_option, padding_option, bias_option, activation_option> && ...),
                  "typenet::conv1d: an option is not strides<>, same/valid, use_bias<> or an activation");

    static constexpr verdict check(dims in, check_options opt = {}) {
        if (Filters <= 0) return {problem::zero_or_negative_filters};
        if (KernelSize <= 0) return {problem::zero_or_negative_kernel};
        return detail::window_verdict_1d(in, KernelSize, s, pad, opt);
    }
    static constexpr dims output(dims in) { return detail::steps_output(in, KernelSize, s, pad, Filters); }
    static constexpr void blocks(dims in, param_block* out) {
        out[0] = {"kernel", make_dims({KernelSize, in.back(), Filters}), true};
        if constexpr (has_bias) out[1] = {"bias", make_dims({Filters}), true};
    }
    static constexpr index_t flops(dims in) { return planar::flops(make_dims({1, in[0], in[1]})); }
};

namespace detail {
template <bool IsMax, const char* Name, const char* Class, index_t P, class... Opts>
struct pool1d_base : layer_base {
    static constexpr index_t p = P;
    static constexpr index_t s = option_t<strides_option, strides<P>, Opts...>::h;  // default: the pool size
    static constexpr padding pad = option_t<padding_option, valid, Opts...>::value;
    using planar = std::conditional_t<IsMax, max_pool2d<1, pool<1, P>, strides<1, s>, option_t<padding_option, valid, Opts...>>,
                                      average_pool2d<1, pool<1, P>, strides<1, s>, option_t<padding_option, valid, Opts...>>>;
    using category = typename planar::category;
    static constexpr const char* name = Name;
    static constexpr const char* keras_class = Class;

    static_assert((option_of_kind_v<Opts, strides_option, padding_option> && ...),
                  "typenet: 1-D pooling options are strides<s> and same/valid");

    static constexpr verdict check(dims in, check_options opt = {}) {
        if (P <= 0) return {problem::zero_or_negative_pool};
        return window_verdict_1d(in, P, s, pad, opt);
    }
    static constexpr dims output(dims in) { return steps_output(in, P, s, pad, in.back()); }
    static constexpr index_t flops(dims in) { return output(in).size() * P; }
};

template <bool IsMax, const char* Name, const char* Class>
struct global_pool1d_base : layer_base {
    using planar = std::conditional_t<IsMax, global_max_pool2d, global_average_pool2d>;
    using category = typename planar::category;
    static constexpr const char* name = Name;
    static constexpr const char* keras_class = Class;
    static constexpr verdict check(dims in, check_options = {}) {
        if (in.rank != 2) return {problem::needs_sequence_input};
        return {};
    }
    static constexpr dims output(dims in) { return make_dims({in.back()}); }
    static constexpr index_t flops(dims in) { return in.size(); }
};
}  // namespace detail

// Keras' MaxPooling1D(pool_size=2, strides=None, padding="valid"): max_pool1d<>, max_pool1d<3, strides<2>, same>.
template <index_t P = 2, class... Opts>
struct max_pool1d : detail::pool1d_base<true, detail::max_pool1d_name, detail::max_pool1d_class, P, Opts...> {};
template <index_t P = 2, class... Opts>
struct average_pool1d : detail::pool1d_base<false, detail::avg_pool1d_name, detail::avg_pool1d_class, P, Opts...> {};

struct global_average_pool1d : detail::global_pool1d_base<false, detail::gap1d_name, detail::gap1d_class> {};
struct global_max_pool1d : detail::global_pool1d_base<true, detail::gmp1d_name, detail::gmp1d_class> {};

}  // namespace typenet
