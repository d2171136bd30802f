// dropout: Keras' (inverted) Dropout with rate N/D; the identity at inference.
#pragma once

#include "layer.hpp"

namespace typenet {

struct dropout_tag {};

// dropout<1, 2> is Keras' Dropout(0.5); dropout<25, 100> is Dropout(0.25).
template <index_t N, index_t D = 100>
struct dropout : layer_base {
    using category = dropout_tag;
    static constexpr double rate = D > 0 ? double(N) / double(D) : -1.0;
    static constexpr const char* name = "dropout";
    static constexpr const char* keras_class = "Dropout";
    static constexpr inference_form at_inference = inference_form::same_bytes;
    static constexpr verdict check(dims, check_options = {}) {
        if (D <= 0 || N < 0 || N >= D) return {problem::dropout_rate_out_of_range};
        return {};
    }
    static constexpr dims output(dims in) { return in; }
    // Training keeps the mask (0 or 1 / (1 - rate) per element).
    static constexpr index_t train_state(dims in) { return in.size(); }
};

}  // namespace typenet
