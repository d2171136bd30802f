// dropout: Keras' (inverted) Dropout, rate 0.25 or N/D; the identity at inference.
#pragma once

#include "layer.hpp"

namespace typenet {

struct dropout_tag {};

// Keras' Dropout(rate): dropout<0.25> where the compiler has floating-point template arguments
// (g++ >= 11; not clang 14), and on every compiler the rate as a fraction N/D with D = 100 by
// default: dropout<25> and dropout<1, 4> are Dropout(0.25), dropout<1, 2> is Dropout(0.5).
template <auto Rate, index_t D = 100>
struct dropout : layer_base {
    using category = dropout_tag;
    static constexpr double rate = detail::fraction<Rate, D, 100>();
    static constexpr const char* name = "dropout";
    static constexpr const char* keras_class = "Dropout";
    static constexpr inference_form at_inference = inference_form::same_bytes;

    // The rate is a number: dropout<0.25> (g++), dropout<25> or dropout<1, 4> (= 0.25).
    static_assert(detail::is_number_arg_v<Rate>,
                  "typenet::dropout<rate>: the rate must be a number: dropout<25> or dropout<1, 4> "
                  "(N/D, D = 100 by default), or dropout<0.25> with g++");

    static constexpr verdict check(dims, check_options = {}) {
        if constexpr (std::is_integral_v<decltype(Rate)>) {  // exact: N/D in [0, 1)
            if (D <= 0 || Rate < 0 || Rate >= D) return {problem::dropout_rate_out_of_range};
        } else if (!(rate >= 0 && rate < 1)) {  // also a NaN rate: dropout<0.5, 2> has no meaning
            return {problem::dropout_rate_out_of_range};
        }
        return {};
    }
    static constexpr dims output(dims in) { return in; }
    // Training keeps the mask (0 or 1 / (1 - rate) per element).
    static constexpr index_t train_state(dims in) { return in.size(); }
};

}  // namespace typenet
