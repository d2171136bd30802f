// reshape: input<...> (the network's per-sample input shape), flatten (row-major over (H, W, C),
// as Keras) and reshape<dims...>. None of them moves data in a row-major layout.
#pragma once

#include "layer.hpp"

namespace typenet {

struct reshape_tag {};

// The first element of every network: the per-sample input shape (Keras' Input(shape=...)).
template <index_t... Ds>
struct input {
    using shape_type = shape<Ds...>;
    // input<>: Keras' Input(shape=(784,)) is input<784>.
    static_assert(sizeof...(Ds) >= 1, "typenet::input<dims...>: give at least one extent");
    // input<28, 0, 1>: a zero or negative extent (a computed one?).
    static_assert(((Ds > 0) && ...), "typenet::input<dims...>: every extent must be > 0");
    static constexpr bool valid = sizeof...(Ds) >= 1 && ((Ds > 0) && ...);
};

template <class T>
inline constexpr bool is_input_v = false;
template <index_t... Ds>
inline constexpr bool is_input_v<input<Ds...>> = true;

struct flatten : layer_base {
    using category = reshape_tag;
    static constexpr inference_form at_inference = inference_form::same_bytes;
    static constexpr const char* name = "flatten";
    static constexpr const char* keras_class = "Flatten";
    static constexpr verdict check(dims, check_options = {}) { return {}; }
    static constexpr dims output(dims in) { return flatten_dims(in); }
};

template <index_t... Ds>
struct reshape : layer_base {
    using category = reshape_tag;
    static constexpr inference_form at_inference = inference_form::same_bytes;
    static constexpr const char* name = "reshape";
    static constexpr const char* keras_class = "Reshape";
    static constexpr verdict check(dims in, check_options = {}) {
        if (((Ds <= 0) || ...) || shape<Ds...>::size != in.size())
            return {problem::reshape_size_mismatch, shape<Ds...>::value};
        return {};
    }
    static constexpr dims output(dims) { return shape<Ds...>::value; }
};

}  // namespace typenet
