// recurrent: Keras' SimpleRNN, LSTM and GRU on a (time, features) input, with Keras' gate order,
// weight layouts and defaults: kernel (features, k * units), recurrent_kernel (units, k * units),
// bias (k * units) -- GRU (reset_after, Keras 3's default): (2, 3 * units), the input bias then
// the recurrent one. Activation tanh, recurrent activation sigmoid, initial state zero.
//   simple_rnn (k = 1): h = act(x W + h U + b)
//   lstm (k = 4, gates i f c o): c = f * c + i * act(zc), h = o * act(c); the forget bias starts at
//     1 (unit_forget_bias)
//   gru (k = 3, gates z r h): hh = act(xh + r * (h U + b')h), h = z * h + (1 - z) * hh
#pragma once

#include <type_traits>

#include "activation.hpp"
#include "layer.hpp"

namespace typenet {

struct recurrent_tag {};
struct sequences_option {};
struct backwards_option {};

// return_sequences<true>: the output at every time step, (time, units); default: the last, (units).
template <bool B>
struct return_sequences {
    using option_kind = sequences_option;
    static constexpr bool value = B;
};
// go_backwards<true>: read the sequence from its end (with return_sequences, the outputs come in
// that reversed order, as Keras returns them).
template <bool B>
struct go_backwards {
    using option_kind = backwards_option;
    static constexpr bool value = B;
};

enum class cell_kind { simple, lstm, gru };

namespace detail {
template <cell_kind Cell>
inline constexpr index_t gate_count = Cell == cell_kind::simple ? 1 : Cell == cell_kind::lstm ? 4 : 3;
inline constexpr char simple_rnn_name[] = "simple_rnn";
inline constexpr char simple_rnn_class[] = "SimpleRNN";
inline constexpr char lstm_name[] = "lstm";
inline constexpr char lstm_class[] = "LSTM";
inline constexpr char gru_name[] = "gru";
inline constexpr char gru_class[] = "GRU";

template <cell_kind Cell, index_t Units, const char* Name, const char* Class, class... Opts>
struct recurrent_layer : layer_base {
    using category = recurrent_tag;
    static constexpr cell_kind cell = Cell;
    static constexpr index_t units = Units;
    static constexpr index_t gates = gate_count<Cell>;
    static constexpr index_t gate_width = gates * Units;  // k * units: one row of the kernels
    using activation = option_t<activation_option, typenet::tanh, Opts...>;
    static constexpr bool has_bias = option_t<bias_option, use_bias<true>, Opts...>::value;
    static constexpr bool sequences = option_t<sequences_option, return_sequences<false>, Opts...>::value;
    static constexpr bool backwards = option_t<backwards_option, go_backwards<false>, Opts...>::value;
    static constexpr const char* name = Name;
    static constexpr const char* keras_class = Class;
    static constexpr int block_count = has_bias ? 3 : 2;

    static_assert((option_of_kind_v<Opts, activation_option, bias_option, sequences_option, backwards_option> && ...),
                  "typenet recurrent layer<units, options...>: an option is not an activation, use_bias<bool>, "
                  "return_sequences<bool> or go_backwards<bool>");
    static_assert(!std::is_same_v<activation, softmax>,
                  "typenet recurrent layer: the activation must be elementwise (tanh, relu, sigmoid, ...), not softmax");

    static constexpr verdict check(dims in, check_options = {}) {
        if (Units <= 0) return {problem::zero_or_negative_units};
        if (in.rank != 2) return {problem::needs_sequence_input};
        return {};
    }
    static constexpr dims output(dims in) { return sequences ? make_dims({in[0], Units}) : make_dims({Units}); }
    static constexpr void blocks(dims in, param_block* out) {
        out[0] = {"kernel", make_dims({in.back(), gate_width}), true};
        out[1] = {"recurrent_kernel", make_dims({Units, gate_width}), true, 0, param_init::orthogonal};
        if constexpr (has_bias) {
            if constexpr (Cell == cell_kind::gru) out[2] = {"bias", make_dims({2, gate_width}), true};
            else if constexpr (Cell == cell_kind::lstm)
                out[2] = {"bias", make_dims({gate_width}), true, 0, param_init::unit_forget_bias};
            else out[2] = {"bias", make_dims({gate_width}), true};
        }
    }
    static constexpr index_t flops(dims in) {
        return in[0] * (2 * (in.back() + Units) * gate_width + 4 * gate_width + 4 * Units);
    }
    // Per sample at inference: the input projection of every step, one step's gates, the state
    // (h, and c for an LSTM) and the GRU's recurrent projection.
    static constexpr index_t workspace(dims in) { return in[0] * gate_width + 2 * gate_width + 2 * Units; }
    // Training keeps, per step: the gates after their activations, the state after the step (h,
    // and c for an LSTM) and, for the GRU, the recurrent projection of its candidate.
    static constexpr index_t train_state(dims in) { return in[0] * (gate_width + 3 * Units); }

    // The same layer reading the sequence the other way (Bidirectional's backward layer).
    using reversed = recurrent_layer<Cell, Units, Name, Class, go_backwards<!backwards>, Opts...>;
};

template <class L>
inline constexpr bool is_recurrent_v = false;
template <cell_kind Cell, index_t Units, const char* Name, const char* Class, class... Opts>
inline constexpr bool is_recurrent_v<recurrent_layer<Cell, Units, Name, Class, Opts...>> = true;
template <class L>
concept recurrent = requires { typename L::reversed; } && is_recurrent_v<typename L::reversed::reversed>;

// Bidirectional's two layers; for a layer that is not recurrent, a stand-in, so that only
// bidirectional's static_assert reports the mistake.
template <class L, bool = recurrent<L>>
struct directions {
    using forward = recurrent_layer<cell_kind::simple, 1, simple_rnn_name, simple_rnn_class>;
    using backward = forward;
};
template <class L>
struct directions<L, true> {
    using forward = typename L::reversed::reversed;
    using backward = typename L::reversed;
};
}  // namespace detail

// Keras' SimpleRNN(units): simple_rnn<64>, simple_rnn<32, return_sequences<true>, relu>.
template <index_t Units, class... Opts>
struct simple_rnn
    : detail::recurrent_layer<cell_kind::simple, Units, detail::simple_rnn_name, detail::simple_rnn_class, Opts...> {};
// Keras' LSTM(units): lstm<64>, lstm<64, return_sequences<true>>, lstm<64, go_backwards<true>>.
template <index_t Units, class... Opts>
struct lstm : detail::recurrent_layer<cell_kind::lstm, Units, detail::lstm_name, detail::lstm_class, Opts...> {};
// Keras' GRU(units) with reset_after=True (Keras 3's default).
template <index_t Units, class... Opts>
struct gru : detail::recurrent_layer<cell_kind::gru, Units, detail::gru_name, detail::gru_class, Opts...> {};

struct bidirectional_tag {};

// Keras' Bidirectional(layer) with merge_mode="concat": the layer, and a copy of it that reads the
// sequence the other way, side by side; outputs [forward, backward] on the last axis (with
// return_sequences the backward outputs are put back in time order, as Keras does). Weights: the
// forward layer's, then the backward layer's. bidirectional<lstm<64, return_sequences<true>>>.
template <class Layer>
struct bidirectional : layer_base {
    static_assert(detail::recurrent<Layer>,
                  "typenet::bidirectional<layer>: the layer must be a simple_rnn, lstm or gru");
    using category = bidirectional_tag;
    using forward_layer = typename detail::directions<Layer>::forward;
    using backward_layer = typename detail::directions<Layer>::backward;
    static constexpr const char* name = "bidirectional";
    static constexpr const char* keras_class = "Bidirectional";
    static constexpr int block_count = 2 * forward_layer::block_count;

    static constexpr verdict check(dims in, check_options o = {}) { return forward_layer::check(in, o); }
    static constexpr dims output(dims in) {
        dims d = forward_layer::output(in);
        d.e[d.rank - 1] *= 2;
        return d;
    }
    static constexpr void blocks(dims in, param_block* out) {
        forward_layer::blocks(in, out);
        backward_layer::blocks(in, out + forward_layer::block_count);
    }
    static constexpr index_t flops(dims in) { return 2 * forward_layer::flops(in); }
    // Each direction's output, then the inner layer's scratch.
    static constexpr index_t workspace(dims in) {
        return 2 * forward_layer::output(in).size() + forward_layer::workspace(in);
    }
    static constexpr index_t train_state(dims in) {
        return 2 * (forward_layer::output(in).size() + forward_layer::train_state(in));
    }
};

}  // namespace typenet
