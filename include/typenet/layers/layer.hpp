// layer: what every layer descriptor provides, and the arguments and option types layers take
// (kernel<3, 5>, strides<2>, same, use_bias<false>). Descriptors are recipes: shape algebra,
// parameter tables and checks as constexpr functions of the input dims -- no kernels, no storage.
#pragma once

#include <limits>
#include <string_view>
#include <type_traits>

#include "../core/config.hpp"
#include "../core/shape.hpp"

namespace typenet {

// Why a layer cannot take a given input (or its own arguments are wrong). The chain turns the
// first problem into the matching diag:: type, with the layer's position and the shapes.
enum class problem {
    none,
    needs_hwc_input,
    needs_sequence_input,
    embedding_needs_token_input,
    token_input_needs_embedding,
    window_larger_than_input,
    window_does_not_tile_input,
    zero_or_negative_units,
    zero_or_negative_filters,
    zero_or_negative_kernel,
    zero_or_negative_stride,
    zero_or_negative_pool,
    dropout_rate_out_of_range,
    invalid_layer_argument,
    reshape_size_mismatch,
    residual_branch_mismatch,
    inner_layer,  // a layer inside a composite (residual, frozen) failed: the composite reports it
};

struct verdict {
    problem what = problem::none;
    dims a{};  // problem-specific detail: window, target shape, branch output...
    dims b{};
    constexpr bool ok() const { return what == problem::none; }
};

// Checks made while walking a network; strict mode adds the exact-tiling rule. token_input: the
// network's input is a sequence of token ids (tokens<len>), which only an embedding can take.
struct check_options {
    bool strict_tiling = false;
    bool token_input = false;
};

// How a parameter array starts (Keras' default initialisers): by its name (glorot_uniform kernels,
// zero biases, BN gamma 1 ...), or as the layer asks.
enum class param_init {
    by_name,
    orthogonal,        // recurrent kernels
    uniform_005,       // embeddings: uniform in [-0.05, 0.05]
    unit_forget_bias,  // LSTM bias: ones for the forget gate (the second quarter), zeros elsewhere
};

// One parameter array, in Keras get_weights() order and layout.
struct param_block {
    const char* name = "";  // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"
    dims shape{};
    bool trainable = true;
    int row = 0;  // summary row of the layer that owns it (filled in by the chain)
    param_init init = param_init::by_name;
};

// One line of summary(): Keras' layer name stem and class, output shape, parameter count.
struct summary_row {
    const char* name = "";
    const char* keras_class = "";
    dims output{};
    index_t params = 0;
    int depth = 0;  // nesting level inside composites
};

// What a layer is at inference, for the composition's fusion plan (model/chain.hpp): which layers
// can run inside the store of the one before them. A property of the mathematics, not of a kernel.
enum class inference_form {
    other,        // pooling, softmax: needs more than one input element per output
    producer,     // computes and stores each output (dense, conv2d, composites): elementwise layers
                  // after it can be applied to the values as they are stored
    elementwise,  // each output from one input element and per-channel constants (activations,
                  // batch_norm with its moving statistics)
    same_bytes,   // output bytes = input bytes (flatten, reshape, dropout at inference)
};

// Base of every layer descriptor (the `layer` concept tests for it). Provides the defaults of a
// parameterless, shape-preserving layer with one summary row.
struct layer_base {
    static constexpr int block_count = 0;
    static constexpr void blocks(dims, param_block*) {}
    static constexpr index_t flops(dims) { return 0; }
    static constexpr index_t workspace(dims) { return 0; }  // per-sample scratch elements
    static constexpr int row_count = 1;
    static constexpr inference_form at_inference = inference_form::other;
    // Training: what the layer's mathematics must keep from its forward pass for its backward
    // pass, beyond its input and output -- per sample, and per batch (fixed).
    static constexpr index_t train_state(dims) { return 0; }
    static constexpr index_t train_state_fixed(dims) { return 0; }
    // Only an embedding takes token ids (the network's first layer after tokens<len>).
    static constexpr bool takes_token_ids = false;
    // The layer acts on the last axis alone, the same way at every position of the leading ones
    // (Keras' Dense on an (time, features) or (H, W, C) input): the composition runs it on
    // n * (leading positions) rows of the last axis.
    static constexpr bool last_axis = false;
};

template <class L>
concept layer = std::is_base_of_v<layer_base, L> && requires {
    L::name;
    L::keras_class;
};

// Parameter elements of a leaf layer on input `in` (every block).
template <class L>
constexpr index_t leaf_param_count(dims in) {
    param_block b[L::block_count > 0 ? L::block_count : 1]{};
    L::blocks(in, b);
    index_t p = 0;
    for (int i = 0; i < L::block_count; ++i) p += b[i].shape.size();
    return p;
}

// Summary rows of a leaf layer (composites override).
template <class L>
constexpr void leaf_rows(dims in, summary_row* out, int depth) {
    out[0] = summary_row{L::name, L::keras_class, L::output(in), leaf_param_count<L>(in), depth};
}

// ---- options ------------------------------------------------------------------------------------
struct strides_option {};
struct pool_option {};
struct padding_option {};
struct bias_option {};
struct activation_option {};

// conv2d's kernel size, its second argument, as Keras' Conv2D(filters, kernel_size): an integer
// for a square kernel (conv2d<16, 3>), or kernel<h, w> (conv2d<16, kernel<3, 5>>). kernel<3> and
// kernel<3, 3> are the integer 3, so every spelling of a square kernel is the same type and prints
// as conv2d<16, 3>; a non-square one is the value kernel_size{3, 5} (clang prints it as {3, 5}).
struct kernel_size {
    index_t h = 0, w = 0;
};
namespace detail {
template <index_t H, index_t W>
constexpr auto make_kernel() {
    if constexpr (H == W && H >= -2147483647 - 1 && H <= 2147483647) return int(H);
    else return kernel_size{H, W};
}
}  // namespace detail
template <index_t H, index_t W = H>
inline constexpr auto kernel = detail::make_kernel<H, W>();

template <index_t H, index_t W = H>
struct strides {
    using option_kind = strides_option;
    static constexpr index_t h = H, w = W;
};
template <index_t H, index_t W = H>
struct pool {
    using option_kind = pool_option;
    static constexpr index_t h = H, w = W;
};
struct same {
    using option_kind = padding_option;
    static constexpr padding value = padding::same;
};
struct valid {
    using option_kind = padding_option;
    static constexpr padding value = padding::valid;
};
template <bool B>
struct use_bias {
    using option_kind = bias_option;
    static constexpr bool value = B;
};

namespace detail {
template <class O, class = void>
struct option_kind_of {
    using type = void;
};
template <class O>
struct option_kind_of<O, std::void_t<typename O::option_kind>> {
    using type = typename O::option_kind;
};

// The first option of kind K in Opts..., or Default. Option lists are a handful of types long.
template <class K, class Default, class... Opts>
struct find_option {
    using type = Default;
};
template <class K, class Default, class O, class... Rest>
struct find_option<K, Default, O, Rest...>
    : std::conditional_t<std::is_same_v<typename option_kind_of<O>::type, K>, std::type_identity<O>,
                         find_option<K, Default, Rest...>> {};

template <class K, class Default, class... Opts>
using option_t = typename find_option<K, Default, Opts...>::type;

// Whether option O is one of the kinds a layer takes (dense<10, same> is not: padding is an option
// of conv2d and the poolings only).
template <class O, class... Kinds>
inline constexpr bool option_of_kind_v = (std::is_same_v<typename option_kind_of<O>::type, Kinds> || ...);

// A number given as a template argument: an integer, or (g++ >= 11, any compiler with
// __cpp_nontype_template_args >= 201911L) a floating-point value.
template <auto V>
inline constexpr bool is_number_arg_v =
    (std::is_integral_v<decltype(V)> && !std::is_same_v<decltype(V), bool>) || std::is_floating_point_v<decltype(V)>;

// A layer argument written as Keras writes it, a floating value (dropout<0.25>, where the compiler
// has floating-point template arguments), or as a fraction of integers N/D (dropout<25, 100>, every
// compiler). A floating value takes no denominator: given one other than the layer's default D,
// or given something that is not a number, the value is NaN, which every layer's range check
// rejects.
template <auto N, index_t D, index_t DefaultD>
constexpr double fraction() {
    if constexpr (std::is_floating_point_v<decltype(N)>)
        return D == DefaultD ? double(N) : std::numeric_limits<double>::quiet_NaN();
    else if constexpr (is_number_arg_v<N>)
        return D != 0 ? double(N) / double(D) : std::numeric_limits<double>::quiet_NaN();
    else
        return std::numeric_limits<double>::quiet_NaN();
}

// conv2d's kernel size argument: an integer, or kernel_size{h, w} (what kernel<h, w> gives).
template <auto K>
inline constexpr bool is_kernel_arg_v =
    (std::is_integral_v<decltype(K)> && !std::is_same_v<decltype(K), bool>) ||
    std::is_same_v<std::remove_cvref_t<decltype(K)>, kernel_size>;
template <auto K>
constexpr index_t kernel_h() {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(K)>, kernel_size>) return K.h;
    else if constexpr (is_kernel_arg_v<K>) return index_t(K);
    else return 1;  // not a kernel size: conv2d's static_assert reports it
}
template <auto K>
constexpr index_t kernel_w() {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(K)>, kernel_size>) return K.w;
    else return kernel_h<K>();
}
}  // namespace detail

// Helper for descriptors: rank and size checks on the input.
constexpr bool is_hwc(dims d) { return d.rank == 3; }

// The checks every sliding-window layer (conv2d, pooling) makes after its own arguments: an
// (H, W, C) input, a window that fits the padded input, and (strict mode) exact tiling.
constexpr verdict window_verdict(dims in, index_t kh, index_t kw, index_t sh, index_t sw, padding pad,
                                 check_options opt) {
    if (sh <= 0 || sw <= 0) return {problem::zero_or_negative_stride};
    if (!is_hwc(in)) return {problem::needs_hwc_input};
    if (window_output(in[0], kh, sh, pad) <= 0 || window_output(in[1], kw, sw, pad) <= 0)
        return {problem::window_larger_than_input, make_dims({kh, kw})};
    if (opt.strict_tiling && (!window_tiles_exactly(in[0], kh, sh, pad) || !window_tiles_exactly(in[1], kw, sw, pad)))
        return {problem::window_does_not_tile_input, make_dims({kh, kw}), make_dims({sh, sw})};
    return {};
}
// Output (H', W') of such a layer, with C' channels.
constexpr dims window_output_dims(dims in, index_t kh, index_t kw, index_t sh, index_t sw, padding pad, index_t c) {
    return make_dims({window_output(in[0], kh, sh, pad), window_output(in[1], kw, sw, pad), c});
}

}  // namespace typenet
