// conv: Keras' Conv2D -- channels-last input (H, W, C), HWIO kernel (kh, kw, C, filters), strides,
// valid / same padding with TensorFlow's split (extra pixel bottom/right), optional activation.
#pragma once

#include "activation.hpp"
#include "layer.hpp"

namespace typenet {

struct conv2d_tag {};

// conv2d<32, kernel<3, 3>>, conv2d<32, kernel<3>, same, relu>, conv2d<10, kernel<4>, strides<2>, same>.
template <index_t Filters, class Kernel, class... Opts>
struct conv2d : layer_base {
    using category = conv2d_tag;
    using activation = detail::option_t<activation_option, linear, Opts...>;
    static constexpr index_t filters = Filters;
    static constexpr index_t kh = Kernel::h, kw = Kernel::w;
    static constexpr index_t sh = detail::option_t<strides_option, strides<1>, Opts...>::h;
    static constexpr index_t sw = detail::option_t<strides_option, strides<1>, Opts...>::w;
    static constexpr padding pad = detail::option_t<padding_option, valid, Opts...>::value;
    static constexpr bool has_bias = detail::option_t<bias_option, use_bias<true>, Opts...>::value;
    static constexpr const char* name = "conv2d";
    static constexpr const char* keras_class = "Conv2D";
    static constexpr int block_count = has_bias ? 2 : 1;
    static constexpr inference_form at_inference =
        std::is_same_v<activation, softmax> ? inference_form::other : inference_form::producer;

    static_assert(std::is_same_v<typename detail::option_kind_of<Kernel>::type, kernel_option>,
                  "typenet::conv2d<filters, kernel<h, w>, options...>: the second argument must be kernel<h, w>");
    static_assert(detail::options_known_v<Opts...>,
                  "typenet::conv2d: an option is not strides<>, same/valid, use_bias<> or an activation");

    static constexpr verdict check(dims in, check_options opt = {}) {
        if (Filters <= 0) return {problem::zero_or_negative_filters};
        if (kh <= 0 || kw <= 0) return {problem::zero_or_negative_kernel};
        return window_verdict(in, kh, kw, sh, sw, pad, opt);
    }
    static constexpr dims output(dims in) { return window_output_dims(in, kh, kw, sh, sw, pad, Filters); }
    static constexpr void blocks(dims in, param_block* out) {
        out[0] = {"kernel", make_dims({kh, kw, in.back(), Filters}), true};
        if constexpr (has_bias) out[1] = {"bias", make_dims({Filters}), true};
    }
    static constexpr index_t flops(dims in) {
        const dims o = output(in);
        return o.size() * (2 * kh * kw * in.back() + (has_bias ? 1 : 0)) + activation::flops(o);
    }
};

}  // namespace typenet
