// Gradient law: for every layer kind, the backward pass agrees with central finite differences of
// the training-mode forward pass (double: relative error <= 1e-6; float: <= 1e-3). The objective
// is L = sum(y * r) for a fixed random r, so dL/dy = r reaches every output. The relative error
// is |a - n| / max(|a| + |n|, floor): gradients far below the floor (e.g. exactly zero ones, which
// finite differences see as round-off noise of about 1e-10) are compared absolutely.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

namespace tn = typenet;

namespace {

template <class Net, class T>
struct gradient_checker {
    static constexpr tn::index_t n = 3;
    tn::basic_model<Net, tn::cpu, T> m{17};
    std::vector<T> x, r;
    std::mt19937_64 rng;

    gradient_checker() {
        std::mt19937_64 g(5);
        std::normal_distribution<double> d(0.0, 1.0);
        x.resize(std::size_t(n * Net::input_shape_t::size));
        r.resize(std::size_t(n * Net::output_shape_t::size));
        if constexpr (Net::token_input) {  // ids for the embedding, every one in its table
            using E = typename Net::template layer_type<0>;
            for (auto& v : x) v = T(std::uniform_int_distribution<tn::index_t>(0, E::input_dim - 1)(g));
        } else {
            for (auto& v : x) v = T(d(g));
        }
        for (auto& v : r) v = T(d(g));
        // Non-trivial parameters everywhere (BN gamma around 1, variances positive).
        auto p = m.parameters();
        for (std::size_t i = 0; i < Net::param_blocks.size(); ++i) {
            const std::string_view name = Net::param_blocks[i].name;
            for (tn::index_t k = Net::block_offsets[i]; k < Net::block_offsets[i + 1]; ++k) {
                const double u = d(g);
                p[std::size_t(k)] = T(name == "gamma" || name == "moving_variance" ? 1.0 + 0.3 * std::abs(u) : 0.5 * u);
            }
        }
    }
    double objective() {
        rng.seed(99);  // the same dropout mask on every evaluation
        tn::train_context ctx{true, true, false, &rng};
        const T* y = m.train_forward(x.data(), n, ctx);
        double s = 0;
        for (std::size_t i = 0; i < r.size(); ++i) s += double(y[i]) * double(r[i]);
        return s;
    }
    // Returns the worst relative error over all trainable parameters.
    double worst_error(double h, double floor) {
        rng.seed(99);
        tn::train_context ctx{true, true, false, &rng};
        m.train_forward(x.data(), n, ctx);
        std::copy(r.begin(), r.end(), m.output_gradient());
        m.backward(x.data(), n, ctx);
        const std::vector<T> analytic(m.gradients().begin(), m.gradients().end());
        double worst = 0;
        auto p = m.parameters();
        for (std::size_t b = 0; b < Net::param_blocks.size(); ++b) {
            if (!Net::param_blocks[b].trainable) continue;
            for (tn::index_t k = Net::block_offsets[b]; k < Net::block_offsets[b + 1]; ++k) {
                const T saved = p[std::size_t(k)];
                // Five-point central difference: truncation error O(h^4), so h can be large enough
                // for float round-off (about 1e-7 |L| / h) to stay small.
                auto at = [&](double d) {
                    p[std::size_t(k)] = T(double(saved) + d);
                    return objective();
                };
                const double numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
                p[std::size_t(k)] = saved;
                const double a = double(analytic[std::size_t(k)]);
                const double err = std::abs(a - numeric) / std::max(std::abs(a) + std::abs(numeric), floor);
                if (err > worst) {
                    worst = err;
                    INFO("block " << b << " (" << Net::param_blocks[b].name << ") element " << k - Net::block_offsets[b]
                                  << ": analytic " << a << ", numeric " << numeric);
                    CHECK(err < (std::is_same_v<T, double> ? 1e-6 : 1e-3));
                }
            }
        }
        return worst;
    }
};

template <class Net>
void check_double() {
    gradient_checker<Net, double> c;
    const double w = c.worst_error(1e-4, 1e-3);
    MESSAGE("worst relative error (double): " << w);
    CHECK(w <= 1e-6);
}
template <class Net>
void check_float() {
    gradient_checker<Net, float> c;
    const double w = c.worst_error(3e-2, 5e-2);
    MESSAGE("worst relative error (float): " << w);
    CHECK(w <= 1e-3);
}

// Every network starts with a conv2d (so gradients reach the layer under test from its input
// side) and ends with a dense layer.
template <class... Ls>
using probe = tn::sequential<tn::input<6, 5, 3>, tn::conv2d<4, tn::kernel<3>, tn::same, tn::tanh>, Ls...>;

using dense_net = tn::sequential<tn::input<7>, tn::dense<5, tn::relu>, tn::dense<4, tn::sigmoid>, tn::dense<3, tn::tanh>,
                                 tn::dense<3, tn::leaky_relu<>>, tn::dense<2, tn::use_bias<false>>, tn::dense<4, tn::softmax>>;
using conv_net = probe<tn::conv2d<3, tn::kernel<2>, tn::strides<2>, tn::same>, tn::conv2d<2, tn::kernel<3, 2>, tn::valid, tn::relu>,
                       tn::flatten, tn::dense<3>>;
using conv_stride = probe<tn::conv2d<5, tn::kernel<4>, tn::strides<2, 1>, tn::same, tn::use_bias<false>>, tn::flatten, tn::dense<2>>;
using max_pool_net = probe<tn::max_pool2d<2, tn::same>, tn::flatten, tn::dense<3>>;
using avg_pool_net = probe<tn::average_pool2d<3, tn::strides<2>, tn::same>, tn::flatten, tn::dense<3>>;
using pool_valid = probe<tn::max_pool2d<2>, tn::average_pool2d<2, tn::strides<1>>, tn::flatten, tn::dense<3>>;
using global_net = probe<tn::global_average_pool2d, tn::dense<3>>;
using global_max_net = probe<tn::global_max_pool2d, tn::dense<3>>;
using bn_net = probe<tn::batch_norm<>, tn::leaky_relu<>, tn::flatten, tn::dense<3>, tn::batch_norm<>, tn::dense<2>>;
using dropout_net = probe<tn::flatten, tn::dense<8, tn::relu>, tn::dropout<1, 2>, tn::dense<3>>;
using shape_net = probe<tn::reshape<30, 4>, tn::flatten, tn::reshape<120>, tn::dense<3, tn::sigmoid>, tn::softmax>;
using act_layers = probe<tn::relu, tn::sigmoid, tn::tanh, tn::leaky_relu<1, 10>, tn::linear, tn::flatten, tn::dense<3>>;
using residual_identity =
    probe<tn::residual<tn::path<tn::conv2d<4, tn::kernel<3>, tn::same>, tn::batch_norm<>, tn::relu,
                                tn::conv2d<4, tn::kernel<3>, tn::same>>>,
          tn::relu, tn::flatten, tn::dense<2>>;
using residual_projection =
    probe<tn::residual<tn::path<tn::conv2d<6, tn::kernel<3>, tn::strides<2>, tn::same>, tn::tanh>,
                       tn::path<tn::conv2d<6, tn::kernel<1>, tn::strides<2>>, tn::batch_norm<>>>,
          tn::flatten, tn::dense<3>>;
using frozen_net = probe<tn::frozen<tn::conv2d<3, tn::kernel<3>, tn::same, tn::relu>, tn::batch_norm<>>, tn::flatten, tn::dense<2>>;

// Recurrent layers on float sequences (time 5, features 3): every cell, return_sequences into a
// dense on the last axis, go_backwards, and stacks (gradients reach the first cell from its output
// sequence).
using seq_in = tn::input<5, 3>;
using simple_rnn_net = tn::sequential<seq_in, tn::simple_rnn<4, tn::return_sequences<true>>, tn::dense<3, tn::tanh>,
                                      tn::simple_rnn<3, tn::relu>, tn::dense<2>>;
using lstm_net = tn::sequential<seq_in, tn::lstm<4, tn::return_sequences<true>>, tn::lstm<3, tn::go_backwards<true>>,
                                tn::dense<2>>;
using gru_net = tn::sequential<seq_in, tn::gru<4, tn::return_sequences<true>, tn::go_backwards<true>>, tn::gru<3>,
                               tn::dense<2>>;
using rnn_no_bias = tn::sequential<seq_in, tn::gru<3, tn::use_bias<false>, tn::return_sequences<true>>,
                                   tn::lstm<2, tn::use_bias<false>>, tn::dense<2>>;
using dense_last_axis = tn::sequential<tn::input<4, 3, 2>, tn::dense<3, tn::sigmoid>, tn::dense<2>, tn::flatten, tn::dense<2>>;
using bidirectional_net =
    tn::sequential<seq_in, tn::bidirectional<tn::lstm<3, tn::return_sequences<true>>>,
                   tn::bidirectional<tn::gru<2, tn::return_sequences<true>, tn::go_backwards<true>>>,
                   tn::bidirectional<tn::simple_rnn<2>>, tn::dense<2>>;
using conv1d_net = tn::sequential<tn::input<9, 3>, tn::conv1d<4, 3, tn::same, tn::tanh>, tn::max_pool1d<2, tn::same>,
                                  tn::conv1d<3, 2, tn::strides<2>, tn::use_bias<false>>, tn::average_pool1d<2, tn::strides<1>>,
                                  tn::lstm<2, tn::return_sequences<true>>, tn::global_max_pool1d, tn::dense<2>>;
using conv1d_avg = tn::sequential<tn::input<8, 2>, tn::conv1d<3, 4, tn::strides<2>, tn::same>, tn::global_average_pool1d,
                                  tn::dense<2>>;
using embedding_net = tn::sequential<tn::tokens<6>, tn::embedding<9, 4>, tn::lstm<3, tn::return_sequences<true>>,
                                     tn::simple_rnn<2>, tn::dense<1, tn::sigmoid>>;

}  // namespace

TEST_CASE("gradients: simple_rnn, return_sequences, dense on the last axis") { check_double<simple_rnn_net>(); }
TEST_CASE("gradients: lstm, stacked, go_backwards") { check_double<lstm_net>(); }
TEST_CASE("gradients: gru (reset_after), stacked, go_backwards") { check_double<gru_net>(); }
TEST_CASE("gradients: recurrent layers without bias") { check_double<rnn_no_bias>(); }
TEST_CASE("gradients: dense on the last axis of a rank-3 input") { check_double<dense_last_axis>(); }
TEST_CASE("gradients: bidirectional lstm / gru / simple_rnn") { check_double<bidirectional_net>(); }
TEST_CASE("gradients: conv1d, 1-D poolings") {
    check_double<conv1d_net>();
    check_double<conv1d_avg>();
}
TEST_CASE("gradients: embedding into recurrent layers") { check_double<embedding_net>(); }
TEST_CASE("gradients: recurrent layers in float within 1e-3") {
    check_float<lstm_net>();
    check_float<gru_net>();
}

TEST_CASE("gradients: dense with every activation (double)") { check_double<dense_net>(); }
TEST_CASE("gradients: conv2d valid / same / strided / even and non-square kernels") {
    check_double<conv_net>();
    check_double<conv_stride>();
}
TEST_CASE("gradients: pooling") {
    check_double<max_pool_net>();
    check_double<avg_pool_net>();
    check_double<pool_valid>();
    check_double<global_net>();
    check_double<global_max_net>();
}
TEST_CASE("gradients: batch_norm in training mode") { check_double<bn_net>(); }
TEST_CASE("gradients: dropout with a fixed mask") { check_double<dropout_net>(); }
TEST_CASE("gradients: reshape, flatten, softmax layer") { check_double<shape_net>(); }
TEST_CASE("gradients: activation layers") { check_double<act_layers>(); }
TEST_CASE("gradients: residual blocks") {
    check_double<residual_identity>();
    check_double<residual_projection>();
}
TEST_CASE("gradients: frozen sub-network passes gradients through, trains nothing") {
    check_double<frozen_net>();
    static_assert(frozen_net::non_trainable_count == 3 * 3 * 4 * 3 + 3 + 4 * 3);
}
// In float, finite differences are only as good as float round-off allows (about 1e-7 * |L| / h)
// and kinks (relu, max) or batch statistics over 3 samples bend the function within h; these
// networks are smooth so the check measures the gradients, not the method.
using smooth_conv = probe<tn::conv2d<3, tn::kernel<2>, tn::strides<2>, tn::same, tn::tanh>, tn::average_pool2d<2, tn::same>,
                          tn::flatten, tn::dense<3, tn::sigmoid>, tn::dense<3, tn::softmax>>;
using smooth_residual = probe<tn::residual<tn::path<tn::conv2d<6, tn::kernel<3>, tn::strides<2>, tn::same>, tn::tanh>,
                                           tn::path<tn::conv2d<6, tn::kernel<1>, tn::strides<2>>>>,
                              tn::global_average_pool2d, tn::dense<3>>;
using smooth_dense = tn::sequential<tn::input<7>, tn::dense<5, tn::tanh>, tn::dense<4, tn::sigmoid>, tn::dense<3, tn::softmax>>;
TEST_CASE("gradients: float within 1e-3") {
    check_float<smooth_dense>();
    check_float<smooth_conv>();
    check_float<smooth_residual>();
}
