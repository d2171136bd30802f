// pool: max_pool2d / average_pool2d (Keras defaults: pool 2, strides = pool, valid) and the
// global poolings, on channels-last (H, W, C) input.
#pragma once

#include "layer.hpp"

namespace typenet {

struct pool2d_tag {};
struct global_pool2d_tag {};

namespace detail {
inline constexpr char max_pool_name[] = "max_pooling2d";
inline constexpr char max_pool_class[] = "MaxPooling2D";
inline constexpr char avg_pool_name[] = "average_pooling2d";
inline constexpr char avg_pool_class[] = "AveragePooling2D";

template <bool IsMax, const char* Name, const char* Class, index_t P, class... Opts>
struct pool2d_base : layer_base {
    using category = pool2d_tag;
    static constexpr bool is_max = IsMax;
    using window_t = option_t<pool_option, pool<P>, Opts...>;
    static constexpr index_t ph = window_t::h, pw = window_t::w;
    // Keras: strides default to the pool size.
    static constexpr index_t sh = option_t<strides_option, strides<ph, pw>, Opts...>::h;
    static constexpr index_t sw = option_t<strides_option, strides<ph, pw>, Opts...>::w;
    static constexpr padding pad = option_t<padding_option, valid, Opts...>::value;
    static constexpr const char* name = Name;
    static constexpr const char* keras_class = Class;

    // Options are pool<h, w>, strides<h, w> and same/valid (no activation: add it as a layer after).
    static_assert((option_of_kind_v<Opts, pool_option, strides_option, padding_option> && ...),
                  "typenet: pooling options are pool<h, w>, strides<h, w>, same/valid");

    static constexpr verdict check(dims in, check_options opt = {}) {
        if (ph <= 0 || pw <= 0) return {problem::zero_or_negative_pool};
        return window_verdict(in, ph, pw, sh, sw, pad, opt);
    }
    static constexpr dims output(dims in) { return window_output_dims(in, ph, pw, sh, sw, pad, in[2]); }
    static constexpr index_t flops(dims in) { return output(in).size() * ph * pw; }
};

inline constexpr char gap_name[] = "global_average_pooling2d";
inline constexpr char gap_class[] = "GlobalAveragePooling2D";
inline constexpr char gmp_name[] = "global_max_pooling2d";
inline constexpr char gmp_class[] = "GlobalMaxPooling2D";

template <bool IsMax, const char* Name, const char* Class>
struct global_pool2d_base : layer_base {
    using category = global_pool2d_tag;
    static constexpr bool is_max = IsMax;
    static constexpr const char* name = Name;
    static constexpr const char* keras_class = Class;
    static constexpr verdict check(dims in, check_options = {}) {
        if (!is_hwc(in)) return {problem::needs_hwc_input};
        return {};
    }
    static constexpr dims output(dims in) { return make_dims({in[2]}); }
    static constexpr index_t flops(dims in) { return in.size(); }
};
}  // namespace detail

// max_pool2d<> (2x2, stride 2), max_pool2d<3, strides<2>, same>, max_pool2d<2, pool<2, 3>>.
template <index_t P = 2, class... Opts>
struct max_pool2d : detail::pool2d_base<true, detail::max_pool_name, detail::max_pool_class, P, Opts...> {};
template <index_t P = 2, class... Opts>
struct average_pool2d : detail::pool2d_base<false, detail::avg_pool_name, detail::avg_pool_class, P, Opts...> {};

struct global_average_pool2d : detail::global_pool2d_base<false, detail::gap_name, detail::gap_class> {};
struct global_max_pool2d : detail::global_pool2d_base<true, detail::gmp_name, detail::gmp_class> {};

}  // namespace typenet
