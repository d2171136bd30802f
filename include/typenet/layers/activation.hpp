// activation: relu, leaky_relu, sigmoid, tanh, softmax, linear -- usable as layers and as the
// activation option of dense/conv2d (dense<128, relu>), as in Keras.
#pragma once

#include "../core/functors.hpp"
#include "layer.hpp"

namespace typenet {

struct activation_tag {};  // elementwise activation layer
struct softmax_tag {};     // softmax over the last axis

namespace detail {
template <class Functor, const char* Name, const char* Class>
struct elementwise_activation : layer_base {
    using category = activation_tag;
    using option_kind = activation_option;
    static constexpr bool elementwise = true;
    static constexpr inference_form at_inference = inference_form::elementwise;
    static constexpr const char* name = Name;
    static constexpr const char* keras_class = Class;
    static constexpr verdict check(dims, check_options = {}) { return {}; }
    static constexpr dims output(dims in) { return in; }
    static constexpr index_t flops(dims in) { return in.size() * Functor::cost; }
};
inline constexpr char activation_name[] = "activation";
inline constexpr char activation_class[] = "Activation";
inline constexpr char relu_name[] = "re_lu";
inline constexpr char relu_class[] = "ReLU";
inline constexpr char leaky_name[] = "leaky_re_lu";
inline constexpr char leaky_class[] = "LeakyReLU";
}  // namespace detail

// Keras' ReLU layer (the relu option of dense/conv2d applies the same function).
// Each activation names its function (functor) and its derivative in terms of the output (gradient).
struct relu : detail::elementwise_activation<fn::relu, detail::relu_name, detail::relu_class> {
    static constexpr fn::relu functor() { return {}; }
    static constexpr fn::relu_grad gradient() { return {}; }
};
struct sigmoid : detail::elementwise_activation<fn::sigmoid, detail::activation_name, detail::activation_class> {
    static constexpr fn::sigmoid functor() { return {}; }
    static constexpr fn::sigmoid_grad gradient() { return {}; }
};
struct tanh : detail::elementwise_activation<fn::tanh, detail::activation_name, detail::activation_class> {
    static constexpr fn::tanh functor() { return {}; }
    static constexpr fn::tanh_grad gradient() { return {}; }
};
struct linear : detail::elementwise_activation<fn::identity, detail::activation_name, detail::activation_class> {
    static constexpr fn::identity functor() { return {}; }
    static constexpr fn::identity_grad gradient() { return {}; }
};

// Keras' LeakyReLU(negative_slope): leaky_relu<0.2> (g++ >= 11), or the slope as a fraction N/D
// on every compiler, leaky_relu<2, 10>; Keras' default is 0.3 (PyTorch's is 0.01).
template <auto N = 3, index_t D = 10>
struct leaky_relu : detail::elementwise_activation<fn::leaky_relu, detail::leaky_name, detail::leaky_class> {
    static constexpr double slope = detail::fraction<N, D, 10>();
    static constexpr fn::leaky_relu functor() { return {slope}; }
    static constexpr fn::leaky_relu_grad gradient() { return {slope}; }
    static constexpr verdict check(dims, check_options = {}) {
        if constexpr (std::is_integral_v<decltype(N)>) {
            if (D <= 0 || N < 0) return {problem::invalid_layer_argument};
        } else if (!(slope >= 0)) {  // negative, NaN, or a floating slope given a denominator
            return {problem::invalid_layer_argument};
        }
        return {};
    }
};

// Softmax over the last axis.
struct softmax : layer_base {
    using category = softmax_tag;
    using option_kind = activation_option;
    static constexpr bool elementwise = false;
    static constexpr const char* name = "softmax";
    static constexpr const char* keras_class = "Softmax";
    static constexpr verdict check(dims, check_options = {}) { return {}; }
    static constexpr dims output(dims in) { return in; }
    static constexpr index_t flops(dims in) { return in.size() * 6; }
};

template <class A>
concept activation_spec = requires { typename A::option_kind; } &&
                          std::is_same_v<typename A::option_kind, activation_option>;

}  // namespace typenet
