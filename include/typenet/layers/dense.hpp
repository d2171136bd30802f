// dense: Keras' Dense -- y = activation(x . kernel + bias), kernel (in, units), on the last axis of
// its input (a rank-1 input, or each position of a (time, features) or (H, W, C) one, as Keras).
#pragma once

#include "activation.hpp"
#include "layer.hpp"

namespace typenet {

struct dense_tag {};

// dense<128>, dense<128, relu>, dense<10, softmax>, dense<64, relu, use_bias<false>>.
template <index_t Units, class... Opts>
struct dense : layer_base {
    using category = dense_tag;
    using activation = detail::option_t<activation_option, linear, Opts...>;
    static constexpr index_t units = Units;
    static constexpr bool has_bias = detail::option_t<bias_option, use_bias<true>, Opts...>::value;
    // softmax needs a whole row of outputs, so nothing can follow it in the store
    static constexpr inference_form at_inference =
        std::is_same_v<activation, softmax> ? inference_form::other : inference_form::producer;
    static constexpr const char* name = "dense";
    static constexpr const char* keras_class = "Dense";
    static constexpr int block_count = has_bias ? 2 : 1;
    static constexpr bool last_axis = true;

    // Options are an activation and use_bias<bool>: not padding (same/valid) or strides.
    static_assert((detail::option_of_kind_v<Opts, activation_option, bias_option> && ...),
                  "typenet::dense<units, options...>: an option is not an activation or use_bias<bool>");

    static constexpr verdict check(dims, check_options = {}) {
        if (Units <= 0) return {problem::zero_or_negative_units};
        return {};
    }
    // The last axis becomes `units` wide; the leading axes stay.
    static constexpr dims output(dims in) {
        dims o = in;
        o.e[o.rank - 1] = Units;
        return o;
    }
    static constexpr void blocks(dims in, param_block* out) {
        out[0] = {"kernel", make_dims({in.back(), Units}), true};
        if constexpr (has_bias) out[1] = {"bias", make_dims({Units}), true};
    }
    static constexpr index_t flops(dims in) {
        const index_t rows = in.back() > 0 ? in.size() / in.back() : 0;  // 0: after a layer already in error
        return rows * (2 * in.back() * Units + (has_bias ? Units : 0)) + activation::flops(output(in));
    }
};

}  // namespace typenet
