// conv: Keras' Conv2D -- channels-last input (H, W, C), HWIO kernel (kh, kw, C, filters), strides,
// valid / same padding with TensorFlow's split (extra pixel bottom/right), optional activation.
#pragma once

#include "activation.hpp"
#include "layer.hpp"

namespace typenet {

struct conv2d_tag {};

// Keras' Conv2D(filters, kernel_size, strides, padding, activation, use_bias):
// conv2d<32, 3>, conv2d<32, 3, same, relu>, conv2d<10, 4, strides<2>, same>; a non-square kernel is
// conv2d<16, kernel<3, 5>>, and conv2d<32, kernel<3, 3>> is conv2d<32, 3>.
template <index_t Filters, auto KernelSize, class... Opts>
struct conv2d : layer_base {
    using category = conv2d_tag;
    using activation = detail::option_t<activation_option, linear, Opts...>;
    static constexpr index_t filters = Filters;
    static constexpr index_t kh = detail::kernel_h<KernelSize>(), kw = detail::kernel_w<KernelSize>();
    static constexpr index_t sh = detail::option_t<strides_option, strides<1>, Opts...>::h;
    static constexpr index_t sw = detail::option_t<strides_option, strides<1>, Opts...>::w;
    static constexpr padding pad = detail::option_t<padding_option, valid, Opts...>::value;
    static constexpr bool has_bias = detail::option_t<bias_option, use_bias<true>, Opts...>::value;
    static constexpr const char* name = "conv2d";
    static constexpr const char* keras_class = "Conv2D";
    static constexpr int block_count = has_bias ? 2 : 1;
    static constexpr inference_form at_inference =
        std::is_same_v<activation, softmax> ? inference_form::other : inference_form::producer;

    // The kernel size is a number of rows and columns: conv2d<16, 3> or conv2d<16, kernel<3, 5>>.
    static_assert(detail::is_kernel_arg_v<KernelSize>,
                  "typenet::conv2d<filters, kernel_size, options...>: kernel_size must be an integer "
                  "(conv2d<16, 3>) or kernel<h, w> (conv2d<16, kernel<3, 5>>)");
    // Options are types after the kernel size: strides<2>, same, relu, use_bias<false>.
    static_assert((detail::option_of_kind_v<Opts, strides_option, padding_option, bias_option, activation_option> && ...),
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
