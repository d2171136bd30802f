// Training parity with Keras 3 (fixtures from tools/make_keras_train_fixtures.py): gradients of a
// conv/BN/dense model, three optimizer steps for SGD (plain, momentum, Nesterov), Adam and
// RMSprop including batch-norm moving statistics, every loss value and gradient, and the toy
// regression's 500 epochs. Tolerance: 1e-5 relative (plus 1e-6 absolute for values near zero).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

namespace tn = typenet;

namespace {
// "x" + std::to_string(i), appended piece by piece: the operator+ form makes g++ 12 warn falsely
// (-Wrestrict, GCC bug 105329) where it inlines it.
template <class I>
std::string numbered(const char* prefix, I i) {
    std::string s = prefix;
    s += std::to_string(i);
    return s;
}
using net_t = tn::sequential<tn::input<6, 6, 2>, tn::conv2d<3, tn::kernel<3>, tn::same, tn::relu>, tn::batch_norm<>,
                             tn::max_pool2d<2>, tn::flatten, tn::dense<5>, tn::dense<4, tn::softmax>>;
static_assert(net_t::param_count == 233 && net_t::trainable_count == 227);
using seed_m4 = tn::sequential<tn::tokens<20>, tn::embedding<10000, 128>, tn::lstm<64>, tn::dense<1, tn::sigmoid>>;

std::string fixture(const std::string& f) { return std::string(TYPENET_FIXTURES) + "/keras_train/" + f; }

struct archive {
    std::vector<tn::io::npy_array> arrays;
    explicit archive(const std::string& f) { REQUIRE(tn::io::read_npz(fixture(f), arrays).ok()); }
    std::vector<float> operator[](const std::string& name) const {
        for (const auto& a : arrays)
            if (a.name == name) {
                std::vector<float> v;
                REQUIRE(a.to_vector(v).ok());
                return v;
            }
        FAIL("no array " << name);
        return {};
    }
};

bool close(double a, double b, double rel = 1e-5, double abs = 1e-6) { return std::abs(a - b) <= abs + rel * std::abs(b); }

void check_close(const std::vector<float>& ours, const std::vector<float>& keras, const std::string& what,
                 double rel = 1e-5, double abs = 1e-6) {
    REQUIRE(ours.size() == keras.size());
    for (std::size_t i = 0; i < ours.size(); ++i)
        if (!close(ours[i], keras[i], rel, abs)) {
            FAIL_CHECK(what << "[" << i << "]: typenet " << ours[i] << ", Keras " << keras[i]);
            return;
        }
}

tn::model<net_t> initial_model() {
    tn::model<net_t> m;
    REQUIRE(m.load_npz(fixture("train_init.weights.npz")).ok());
    return m;
}

void run_optimizer(const std::string& config, tn::optimizer opt) {
    auto m = initial_model();
    m.compile(opt, tn::categorical_crossentropy{});
    const archive batches("train_batches.npz"), expected(config + ".npz");
    const auto losses = expected["loss"];
    for (int step = 0; step < 3; ++step) {
        const auto x = batches[numbered("x", step)];
        const auto y = batches[numbered("y", step)];
        const double loss = m.train_on_batch(x.data(), y.data(), 8);
        INFO(config << " step " << step + 1);
        CHECK(close(loss, losses[std::size_t(step)]));
        const auto w = m.get_weights();
        for (std::size_t i = 0; i < w.size(); ++i)
            check_close(w[i].values, expected[numbered("w", step + 1) + numbered("_", i)],
                        config + numbered(" step ", step + 1) + numbered(" weight ", i) + " (" + w[i].layer +
                            " " + w[i].name + ")");
    }
}
}  // namespace

TEST_CASE("training parity: gradients of conv / batch norm (training mode) / dense / softmax + cross-entropy") {
    auto m = initial_model();
    m.compile(tn::sgd{}, tn::categorical_crossentropy{});
    const archive batches("train_batches.npz"), grads("train_grads.npz");
    const auto x = batches["x0"];
    const auto y = batches["y0"];
    std::mt19937_64 rng(1);
    tn::train_context ctx{true, true, false, &rng};
    const float* out = m.train_forward(x.data(), 8, ctx);
    bool fused = false;
    tn::detail::loss_and_gradient<float>(tn::categorical_crossentropy{}, out, y.data(), m.output_gradient(), 8, 4,
                                         tn::output_activation::softmax, &fused);
    CHECK(fused);
    ctx.logits_grad = fused;
    m.backward(x.data(), 8, ctx);
    const int keras_index[] = {0, 1, 2, 3, 6, 7, 8, 9};  // trainable_weights -> get_weights order
    for (int j = 0; j < 8; ++j) {
        const auto k = std::size_t(keras_index[j]);
        const auto g = m.gradients().subspan(std::size_t(net_t::block_offsets[k]),
                                             std::size_t(net_t::block_offsets[k + 1] - net_t::block_offsets[k]));
        check_close(std::vector<float>(g.begin(), g.end()), grads[numbered("g_", j)], numbered("gradient ", j),
                    1e-4, 1e-6);
    }
}

TEST_CASE("training parity: SGD") { run_optimizer("sgd", tn::sgd{.learning_rate = 0.1}); }
TEST_CASE("training parity: SGD with momentum") { run_optimizer("sgd_momentum", tn::sgd{.learning_rate = 0.1, .momentum = 0.9}); }
TEST_CASE("training parity: SGD with Nesterov momentum") {
    run_optimizer("sgd_nesterov", tn::sgd{.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
}
TEST_CASE("training parity: Adam") { run_optimizer("adam", tn::adam{.learning_rate = 0.01}); }
TEST_CASE("training parity: RMSprop") { run_optimizer("rmsprop", tn::rmsprop{.learning_rate = 0.01}); }

TEST_CASE("training parity: loss values and gradients on plain tensors (Keras' clipping rules)") {
    const archive a("losses.npz");
    auto check = [&](const std::string& key, const tn::loss& l, const std::vector<float>& p, const std::vector<float>& t,
                     tn::index_t n, tn::index_t k) {
        std::vector<float> grad(std::size_t(n * k));
        bool fused = true;
        const double v = tn::detail::loss_and_gradient<float>(l, p.data(), t.data(), grad.data(), n, k,
                                                              tn::output_activation::other, &fused);
        INFO(key);
        CHECK_FALSE(fused);
        CHECK(close(v, a[key + "_loss"][0]));
        check_close(grad, a[key + "_grad"], key + " gradient");
    };
    check("cce", tn::categorical_crossentropy{}, a["cce_p"], a["cce_t"], 4, 5);
    check("cce_logits", tn::categorical_crossentropy{.from_logits = true}, a["cce_logits_logits"], a["cce_logits_t"], 4, 5);
    check("sce", tn::sparse_categorical_crossentropy{}, a["sce_p"], a["sce_labels"], 4, 5);
    check("bce", tn::binary_crossentropy{}, a["bce_p"], a["bce_t"], 4, 3);
    check("mse", tn::mean_squared_error{}, a["mse_p"], a["mse_t"], 4, 3);
    check("mae", tn::mean_absolute_error{}, a["mae_p"], a["mae_t"], 4, 3);
}

TEST_CASE("training parity: toy regression, 500 epochs of SGD on y = 2x - 1") {
    using m7 = tn::sequential<tn::input<1>, tn::dense<1>>;
    tn::model<m7> m;
    tn::tensor<float, tn::shape<1, 1>> w{0.5f};
    tn::tensor<float, tn::shape<1>> b{0.0f};
    m.set_weight<0, 0>(w);
    m.set_weight<0, 1>(b);
    m.compile(tn::sgd{.learning_rate = 0.01}, tn::mean_squared_error{});
    tn::batch<float, tn::shape<1>> x(6), y(6);
    for (int i = 0; i < 6; ++i) x[i] = float(i - 1), y[i] = 2.0f * float(i - 1) - 1.0f;
    const auto h = m.fit(x, y, {.epochs = 500, .batch_size = 6, .shuffle = false, .verbose = 0});
    const archive a("toy.npz");
    const auto keras_loss = a["loss"];
    REQUIRE(h["loss"].size() == 500);
    for (std::size_t e = 0; e < 500; e += 50) CHECK(close(h["loss"][e], keras_loss[e], 1e-4));
    const auto ws = m.get_weights();
    CHECK(close(ws[0].values[0], a["w"][0], 1e-5));
    CHECK(close(ws[1].values[0], a["b"][0], 1e-5));
    tn::tensor<float, tn::shape<1>> ten{10.0f};
    CHECK(close(m.predict(ten)[0], a["predict10"][0], 1e-5));
}

// ---- M4 (Embedding -> LSTM -> Dense(1, sigmoid)), binary cross-entropy, Adam -----------------------
// keras_rnn/m4_train.npz (tools/make_keras_rnn_fixtures.py): batches of 4, ids below 256 and none
// twice in a batch, so the fixture holds embedding rows 0..255; every other row must come out of
// training unchanged.
namespace {
struct m4_training {
    static constexpr tn::index_t rows = 256, n = 4;
    tn::model<seed_m4> m;
    archive a{"../keras_rnn/m4_train.npz"};
    std::vector<float> untouched;  // embedding rows 64.. as initialised here
    m4_training() {
        auto w = m.get_weights();
        for (std::size_t i = 0; i < w.size(); ++i) {
            const auto v = a[numbered("init_", i)];
            std::copy(v.begin(), v.end(), w[i].values.begin());
        }
        untouched.assign(w[0].values.begin() + rows * 128, w[0].values.end());
        REQUIRE(m.set_weights(w).ok());
    }
    void check_weights(const std::string& prefix, const std::string& what) {
        const auto w = m.get_weights();
        for (std::size_t i = 0; i < w.size(); ++i) {
            const auto expected = a[prefix + std::to_string(i)];
            std::vector<float> ours(w[i].values.begin(), w[i].values.begin() + tn::index_t(expected.size()));
            check_close(ours, expected, what + numbered(" weight ", i) + " (" + w[i].layer + " " + w[i].name + ")");
        }
        CHECK(std::equal(untouched.begin(), untouched.end(), w[0].values.begin() + rows * 128));
    }
};
}  // namespace

TEST_CASE("training parity: M4 gradients (embedding, LSTM, dense, binary cross-entropy)") {
    m4_training t;
    t.m.compile(tn::sgd{}, tn::binary_crossentropy{});
    const auto x = t.a["x0"];
    const auto y = t.a["y0"];
    std::mt19937_64 rng(1);
    tn::train_context ctx{true, true, false, &rng};
    const float* out = t.m.train_forward(x.data(), m4_training::n, ctx);
    bool fused = false;
    tn::detail::loss_and_gradient<float>(tn::binary_crossentropy{}, out, y.data(), t.m.output_gradient(), m4_training::n,
                                         1, tn::output_activation::sigmoid, &fused);
    ctx.logits_grad = fused;
    t.m.backward(x.data(), m4_training::n, ctx);
    for (std::size_t k = 0; k < seed_m4::param_blocks.size(); ++k) {
        const auto expected = t.a[numbered("g_", k)];
        const auto g = t.m.gradients().subspan(std::size_t(seed_m4::block_offsets[k]), expected.size());
        check_close(std::vector<float>(g.begin(), g.end()), expected, numbered("M4 gradient ", k));
    }
    // Rows no id of the batch names get no gradient.
    const auto g0 = t.m.gradients().subspan(std::size_t(m4_training::rows * 128), std::size_t((10000 - m4_training::rows) * 128));
    CHECK(std::all_of(g0.begin(), g0.end(), [](float v) { return v == 0.0f; }));
}

TEST_CASE("training parity: M4, three Adam steps") {
    m4_training t;
    t.m.compile(tn::adam{}, tn::binary_crossentropy{});  // Keras' default, learning rate 0.001
    const auto losses = t.a["loss"];
    for (int step = 0; step < 3; ++step) {
        const auto x = t.a[numbered("x", step)];
        const auto y = t.a[numbered("y", step)];
        const double loss = t.m.train_on_batch(x.data(), y.data(), m4_training::n);
        INFO("M4 Adam step " << step + 1);
        CHECK(close(loss, losses[std::size_t(step)]));
        t.check_weights(numbered("w", step + 1) + "_", numbered("M4 Adam step ", step + 1));
    }
}
