// norm: Keras' BatchNormalization over the last axis. Parameters in get_weights() order: gamma,
// beta (trainable), moving_mean, moving_variance (non-trainable). Defaults epsilon 1e-3, momentum 0.99.
#pragma once

#include "layer.hpp"

namespace typenet {

struct batch_norm_tag {};

struct epsilon_option {};
struct momentum_option {};

// Keras' BatchNormalization(epsilon=1e-5, momentum=0.9): epsilon<1e-5>, momentum<0.9> (g++ >= 11),
// or as fractions on every compiler: epsilon<1, 100000>, momentum<9, 10>.
template <auto N, index_t D = 0>
struct epsilon {
    using option_kind = epsilon_option;
    static constexpr double value = detail::fraction<N, D, 0>();
};
template <auto N, index_t D = 0>
struct momentum {
    using option_kind = momentum_option;
    static constexpr double value = detail::fraction<N, D, 0>();
};

// batch_norm<>, batch_norm<epsilon<1, 100000>, momentum<9, 10>>, batch_norm<momentum<0.9>> (g++).
template <class... Opts>
struct batch_norm : layer_base {
    using category = batch_norm_tag;
    static constexpr double eps = detail::option_t<epsilon_option, epsilon<1, 1000>, Opts...>::value;
    static constexpr double mom = detail::option_t<momentum_option, momentum<99, 100>, Opts...>::value;
    static constexpr const char* name = "batch_normalization";
    static constexpr const char* keras_class = "BatchNormalization";
    static constexpr int block_count = 4;
    static constexpr inference_form at_inference = inference_form::elementwise;  // moving statistics

    // Options are epsilon<...> and momentum<...> (no activation: add it as a layer after).
    static_assert((detail::option_of_kind_v<Opts, epsilon_option, momentum_option> && ...),
                  "typenet::batch_norm: options are epsilon<n, d> and momentum<n, d>");

    static constexpr verdict check(dims in, check_options = {}) {
        if (!(eps > 0) || !(mom >= 0 && mom <= 1) || in.rank < 1) return {problem::invalid_layer_argument};
        return {};
    }
    static constexpr dims output(dims in) { return in; }
    static constexpr void blocks(dims in, param_block* out) {
        const dims c = make_dims({in.back()});
        out[0] = {"gamma", c, true};
        out[1] = {"beta", c, true};
        out[2] = {"moving_mean", c, false};
        out[3] = {"moving_variance", c, false};
    }
    static constexpr index_t flops(dims in) { return 2 * in.size(); }
    // Training keeps the normalised input x^ (per sample) and the batch mean and 1/sqrt(var + eps)
    // (per channel, per batch).
    static constexpr index_t train_state(dims in) { return in.size(); }
    static constexpr index_t train_state_fixed(dims in) { return 2 * in.back(); }
};

}  // namespace typenet
