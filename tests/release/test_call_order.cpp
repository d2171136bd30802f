// Keras' call order, enforced in a Release build: fit, evaluate, train_on_batch and the training
// state before compile() refuse with a message and change nothing (Keras raises). This file is
// compiled with NDEBUG whatever the build type, so no assert can be what makes it pass.
#ifndef NDEBUG
#error "tests/release must be compiled with NDEBUG (the checks under test must not rely on assert)"
#endif

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace tn = typenet;

namespace {
using net = tn::sequential<tn::input<4>, tn::dense<8, tn::relu>, tn::dense<3, tn::softmax>>;

struct data {
    tn::batch<float, tn::shape<4>> x{6};
    std::vector<std::int32_t> y{0, 1, 2, 0, 1, 2};
    data() {
        for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) / 5.0f;
    }
};

std::vector<float> weights(const tn::model<net>& m) {
    const auto p = m.parameters();
    return std::vector<float>(p.begin(), p.end());
}
}  // namespace

TEST_CASE("fit before compile: an error in history, nothing trained") {
    auto m = tn::make_model<net>(1);
    CHECK_FALSE(m.compiled());
    const auto before = weights(m);
    data d;
    std::FILE* log = std::tmpfile();
    REQUIRE(log != nullptr);
    const tn::history h = m.fit(d.x, d.y, {.epochs = 3, .out = log});
    CHECK_FALSE(h.error().ok());
    CHECK(h.error().message().find("typenet::fit: the model is not compiled; call compile(") == 0);
    CHECK(h.epochs() == 0);
    CHECK(weights(m) == before);
    // With verbose (the default) the message is printed where the progress would have gone.
    std::rewind(log);
    char line[512] = {};
    REQUIRE(std::fgets(line, sizeof line, log) != nullptr);
    CHECK(std::string(line).find("not compiled") != std::string::npos);
    std::fclose(log);

    // One-hot targets: the same.
    tn::batch<float, tn::shape<3>> onehot(6);
    const tn::history h2 = m.fit(d.x, onehot, {.epochs = 1, .verbose = 0});
    CHECK_FALSE(h2.error().ok());
    CHECK(weights(m) == before);
}

TEST_CASE("evaluate before compile: an error and NaN, not a silent NaN accuracy") {
    auto m = tn::make_model<net>(1);
    data d;
    const tn::evaluation e = m.evaluate(d.x, d.y);
    CHECK_FALSE(e.error.ok());
    CHECK(e.error.message().find("typenet::evaluate: the model is not compiled") == 0);
    CHECK(std::isnan(e.loss));
    CHECK(std::isnan(e.accuracy));
    tn::batch<float, tn::shape<3>> onehot(6);
    CHECK_FALSE(m.evaluate(d.x, onehot).error.ok());
}

TEST_CASE("train_on_batch before compile: NaN, weights unchanged") {
    auto m = tn::make_model<net>(1);
    const auto before = weights(m);
    data d;
    std::vector<float> t(d.y.begin(), d.y.end());
    CHECK(std::isnan(m.train_on_batch(d.x.data(), t.data(), 6)));
    CHECK(weights(m) == before);
    CHECK(m.iterations() == 0);
}

TEST_CASE("training state before compile: refused") {
    auto m = tn::make_model<net>(1);
    const auto p = std::filesystem::temp_directory_path() / "typenet_call_order_state.npz";
    const tn::status s = m.save_training_state(p);
    CHECK_FALSE(s.ok());
    CHECK(s.message().find("save_training_state: the model is not compiled") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(p));

    auto trained = tn::make_model<net>(2);
    trained.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    data d;
    REQUIRE(trained.fit(d.x, d.y, {.epochs = 1, .verbose = 0}).error().ok());
    REQUIRE(trained.save_training_state(p).ok());
    const auto before = weights(m);
    const tn::status l = m.load_training_state(p);
    CHECK_FALSE(l.ok());
    CHECK(l.message().find("load_training_state: the model is not compiled") != std::string::npos);
    CHECK(weights(m) == before);
    std::filesystem::remove(p);
}

TEST_CASE("after compile the same calls work") {
    auto m = tn::make_model<net>(1);
    m.compile(tn::sgd{.learning_rate = 0.1}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    CHECK(m.compiled());
    const auto before = weights(m);
    data d;
    const tn::history h = m.fit(d.x, d.y, {.epochs = 2, .verbose = 0});
    CHECK(h.error().ok());
    CHECK(h.epochs() == 2);
    CHECK(weights(m) != before);
    const tn::evaluation e = m.evaluate(d.x, d.y);
    CHECK(e.error.ok());
    CHECK(e.accuracy >= 0.0);
}
