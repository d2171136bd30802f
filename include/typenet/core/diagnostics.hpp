// diagnostics: the compile errors typenet reports. Each type is named after the user's mistake;
// its template arguments (layer position and kind, shapes) are what the compiler prints with it.
// Every diagnostic here is listed in docs/errors.md and has a must-not-compile test.
#pragma once

#include <type_traits>

#include "config.hpp"
#include "shape.hpp"

namespace typenet {

// Where a mistake is: layer I (0-based, counting after input<...>) of kind L.
template <index_t I, class L>
struct at_layer {};
// Pieces that appear in diagnostics.
template <class S>
struct expected {};
template <class S>
struct got {};
template <index_t H, index_t W>
struct window {};
template <index_t H, index_t W>
struct step {};
template <class S>
struct main_path_output {};
template <class S>
struct shortcut_output {};
template <index_t I>
struct param_index {};

namespace diag {

// Never true: makes a static_assert depend on the diagnostic's arguments, so it fires only
// when the diagnostic is instantiated, and both g++ and clang print those arguments.
template <class...>
inline constexpr bool reported = false;

// check_v<ok, diag::X<...>>: true when ok; otherwise instantiates the diagnostic (and only then),
// so its static_assert prints. Use as static_assert(diag::check_v<...>).
template <bool Ok, class Diagnostic>
inline constexpr bool check_v = std::conditional_t<Ok, std::true_type, Diagnostic>::value;

template <class Where, class Got>
struct needs_hwc_input {
    // conv2d / pooling got an input that is not (H, W, C) -- often a flatten or dense came first.
    static_assert(reported<Where, Got>,
                  "typenet: layer needs an (H, W, C) input but got the shape shown in "
                  "needs_hwc_input<at_layer<position, layer>, got<shape>>; reshape to (H, W, C) "
                  "or move flatten after it");
    static constexpr bool value = false;
};

template <class Where, class Got>
struct needs_sequence_input {
    // simple_rnn / lstm / gru / conv1d / a 1-D pooling got an input that is not a (time, features)
    // sequence: after a flatten, after a recurrent layer without return_sequences<true>, or an
    // (H, W, C) image.
    static_assert(reported<Where, Got>,
                  "typenet: recurrent layers, conv1d and the 1-D poolings need a (time, features) input but "
                  "got the shape shown in needs_sequence_input<at_layer<position, layer>, got<shape>>; give "
                  "the recurrent layer before it return_sequences<true>, or reshape<time, features>");
    static constexpr bool value = false;
};

template <class Where, class Got>
struct embedding_needs_token_input {
    // An embedding reads token ids: it must be the first layer, after tokens<len>.
    static_assert(reported<Where, Got>,
                  "typenet: embedding reads token ids, so it must be the first layer and the network must "
                  "start with tokens<len>; see embedding_needs_token_input<at_layer<position, layer>, got<shape>>");
    static constexpr bool value = false;
};

template <class Where, class Got>
struct token_input_needs_embedding {
    // tokens<len> is a sequence of integer ids; only an embedding turns them into vectors.
    static_assert(reported<Where, Got>,
                  "typenet: a network that starts with tokens<len> needs an embedding as its first layer; "
                  "see token_input_needs_embedding<at_layer<position, layer>, got<shape>> (a float input "
                  "is input<dims...>)");
    static constexpr bool value = false;
};

template <class Where, class Got, class Window>
struct window_larger_than_input {
    // The kernel or pool window does not fit in the (padded) input: the input is too small
    // here -- too many poolings/strides before this layer, or the window is too large.
    static_assert(reported<Where, Got, Window>,
                  "typenet: kernel/pool window is larger than the (padded) input; see "
                  "window_larger_than_input<at_layer<position, layer>, got<input shape>, window<h, w>>; "
                  "use padding same, a smaller window, or fewer downsamplings before it");
    static constexpr bool value = false;
};

template <class Where, class Got, class Window, class Step>
struct window_does_not_tile_input {
    // Strict mode only: (in + padding - window) is not a multiple of the stride, so the last
    // rows/columns are silently dropped by Keras' floor rule.
    static_assert(reported<Where, Got, Window, Step>,
                  "typenet (strict_sequential): strided window does not tile its input exactly; see "
                  "window_does_not_tile_input<at_layer<position, layer>, got<input shape>, window<h, w>, "
                  "step<h, w>>; change the stride, kernel or padding, or use sequential (floors like Keras)");
    static constexpr bool value = false;
};

template <class Where>
struct zero_or_negative_units {
    // dense<0>, lstm<-N>: a dense or recurrent layer needs at least one unit.
    static_assert(reported<Where>, "typenet: units must be > 0 (see at_layer<position, layer>)");
    static constexpr bool value = false;
};

template <class Where>
struct zero_or_negative_filters {
    // conv2d<0, ...>: a convolution needs at least one filter.
    static_assert(reported<Where>, "typenet: conv2d filters must be > 0 (see at_layer<position, layer>)");
    static constexpr bool value = false;
};

template <class Where>
struct zero_or_negative_kernel {
    // kernel<0, 3> or a negative extent.
    static_assert(reported<Where>, "typenet: kernel extents must be > 0 (see at_layer<position, layer>)");
    static constexpr bool value = false;
};

template <class Where>
struct zero_or_negative_stride {
    // strides<0> or a negative stride.
    static_assert(reported<Where>, "typenet: strides must be > 0 (see at_layer<position, layer>)");
    static constexpr bool value = false;
};

template <class Where>
struct zero_or_negative_pool {
    // max_pool2d<0> or a negative pool window.
    static_assert(reported<Where>, "typenet: pool size must be > 0 (see at_layer<position, layer>)");
    static constexpr bool value = false;
};

template <class Where>
struct dropout_rate_out_of_range {
    // dropout<N, D>: the rate N/D must be in [0, 1) (Keras' rule); dropout<100> would drop everything.
    // dropout<0.5, 2>: a floating rate takes no denominator.
    static_assert(reported<Where>,
                  "typenet: dropout rate must be in [0, 1) (see at_layer<position, dropout<N, D>>, rate = N/D, "
                  "or dropout<rate>)");
    static constexpr bool value = false;
};

template <class Where>
struct invalid_layer_argument {
    // A layer argument outside its domain (e.g. a negative leaky_relu slope denominator,
    // batch_norm epsilon <= 0 or momentum outside [0, 1]).
    static_assert(reported<Where>, "typenet: invalid layer argument (see at_layer<position, layer>)");
    static constexpr bool value = false;
};

template <class Where, class Got, class Target>
struct reshape_size_mismatch {
    // reshape<...> must keep the number of elements: got<shape> and the target differ in size.
    static_assert(reported<Where, Got, Target>,
                  "typenet: reshape target has a different number of elements than its input; see "
                  "reshape_size_mismatch<at_layer<position, layer>, got<input shape>, target shape>");
    static constexpr bool value = false;
};

template <class Where, class Main, class Shortcut>
struct residual_branch_mismatch {
    // residual: main path and shortcut must produce the same shape; typenet never reconciles
    // them silently. Usually a stride or filter count differs: use a projection shortcut.
    static_assert(reported<Where, Main, Shortcut>,
                  "typenet: residual branches produce different shapes; see residual_branch_mismatch"
                  "<at_layer<position, layer>, main_path_output<shape>, shortcut_output<shape>>; "
                  "give the shortcut a conv2d<filters, kernel<1, 1>, strides<s, s>> projection");
    static constexpr bool value = false;
};

template <class Where>
struct not_a_layer {
    // A type in the layer list is not a typenet layer (a typo, a shape, or a model type).
    static_assert(reported<Where>,
                  "typenet: the type at this position is not a layer; see not_a_layer<at_layer<position, type>>");
    static constexpr bool value = false;
};

template <class First>
struct network_must_start_with_input {
    // sequential<...> must begin with input<...> (or tokens<len>) so every shape can be computed.
    static_assert(reported<First>,
                  "typenet: a network must start with input<dims...> or tokens<len>; "
                  "network_must_start_with_input<first type>");
    static constexpr bool value = false;
};

template <class Expected, class Got>
struct input_shape_mismatch {
    // predict/forward got a tensor whose per-sample shape is not the network's input shape.
    static_assert(reported<Expected, Got>,
                  "typenet: tensor shape does not match the network input; see "
                  "input_shape_mismatch<expected<shape>, got<shape>>");
    static constexpr bool value = false;
};

template <class Expected, class Got>
struct output_shape_mismatch {
    // A destination tensor's per-sample shape is not the network's output shape.
    static_assert(reported<Expected, Got>,
                  "typenet: destination shape does not match the network output; see "
                  "output_shape_mismatch<expected<shape>, got<shape>>");
    static constexpr bool value = false;
};

template <class Where, class Param, class Expected, class Got>
struct weight_shape_mismatch {
    // set_param<Layer, Param>(tensor): the tensor's shape is not that parameter's shape.
    static_assert(reported<Where, Param, Expected, Got>,
                  "typenet: weight tensor has the wrong shape; see weight_shape_mismatch"
                  "<at_layer<position, layer>, param_index<i>, expected<shape>, got<shape>>");
    static constexpr bool value = false;
};

template <class Where, class Count>
struct no_such_layer_or_param {
    // A layer or parameter index past the end.
    static_assert(reported<Where, Count>,
                  "typenet: layer or parameter index out of range; see no_such_layer_or_param");
    static constexpr bool value = false;
};

template <class Left, class Right>
struct operand_shape_mismatch {
    // An elementwise expression combines tensors of different shapes (no implicit broadcasting;
    // use broadcast_channels(v) for a per-channel vector).
    static_assert(reported<Left, Right>,
                  "typenet: elementwise operands have different shapes; see operand_shape_mismatch<left, right>");
    static constexpr bool value = false;
};

template <class Tensor, class Channels>
struct broadcast_channel_mismatch {
    // broadcast_channels(v) needs v to have as many elements as the last axis of the other operand.
    static_assert(reported<Tensor, Channels>,
                  "typenet: per-channel vector length differs from the last axis; see "
                  "broadcast_channel_mismatch<tensor shape, vector shape>");
    static constexpr bool value = false;
};

}  // namespace diag
}  // namespace typenet
