// Keras parity: golden fixtures written by tools/make_keras_fixtures.py (real Keras 3 / TF 2.21).
// For each model: load the weights exactly as np.savez(path, *model.get_weights()) wrote them,
// predict the fixture's input batch, and compare with Keras' output (1e-5 relative, 1e-6 absolute);
// compare every summary row (output shape, parameter count) and the totals with Keras' own.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../../examples/seed_models.hpp"

namespace tn = typenet;

namespace {

// Edge-case models (see tests/fixtures/keras/README.md).
using e1 = tn::sequential<tn::input<7, 7, 2>, tn::conv2d<3, tn::kernel<4>, tn::strides<2>, tn::same>,
                          tn::conv2d<2, tn::kernel<3>, tn::strides<2>, tn::same>>;
using e2 = tn::sequential<tn::input<8, 6, 3>, tn::conv2d<4, tn::kernel<2, 3>, tn::strides<2, 1>, tn::same, tn::use_bias<false>>,
                          tn::max_pool2d<3, tn::strides<2>, tn::same>, tn::average_pool2d<2, tn::same>, tn::flatten,
                          tn::dense<5, tn::tanh>>;
using e3 = tn::sequential<tn::input<5, 5, 4>, tn::batch_norm<>, tn::leaky_relu<>, tn::global_average_pool2d,
                          tn::dense<3, tn::sigmoid>>;
using e4 = tn::sequential<tn::input<9, 9, 2>, tn::max_pool2d<3, tn::strides<2>>, tn::global_max_pool2d, tn::dense<4>,
                          tn::softmax>;
using e5 = tn::sequential<tn::input<6>, tn::dense<4, tn::relu>, tn::dropout<25>, tn::reshape<2, 2>, tn::flatten,
                          tn::dense<2>>;

// "m2" is in keras/, "keras_rnn/m3" in its own folder.
std::string fixture(const std::string& name) {
    return std::string(TYPENET_FIXTURES) + (name.find('/') == std::string::npos ? "/keras/" : "/") + name;
}

std::vector<float> array_named(const std::vector<tn::io::npy_array>& arrays, const std::string& name) {
    std::vector<float> v;
    for (const auto& a : arrays)
        if (a.name == name) REQUIRE(a.to_vector(v).ok());
    return v;
}

// Keras' per-layer table: "<name> <Class> (None,a,b) <params> <trainable>", then the totals line.
struct keras_row {
    std::string name, cls, shape;
    long long params = 0;
};
std::vector<keras_row> read_layers(const std::string& model, long long totals[3]) {
    std::ifstream f(fixture(model + ".layers.txt"));
    REQUIRE(f.good());
    std::vector<keras_row> rows;
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream ls(line);
        keras_row r;
        ls >> r.name;
        if (r.name == "total") {
            std::string w;
            ls >> totals[0] >> w >> totals[1] >> w >> totals[2];
            break;
        }
        int trainable = 0;
        ls >> r.cls >> r.shape >> r.params >> trainable;
        rows.push_back(r);
    }
    return rows;
}

std::string compact_shape(const tn::dims& d) {
    std::string s = "(None";
    for (int i = 0; i < d.rank; ++i) {
        s += ',';
        s += std::to_string(d.e[i]);
    }
    s += ')';
    return s;
}

// Keras' rows minus the ones typenet folds into a layer option (none today) or the Add of a
// residual block, which typenet also prints: every Keras row must match ours in order.
template <class Net>
void check_rows(const std::string& model) {
    long long totals[3] = {-1, -1, -1};
    const auto rows = read_layers(model, totals);
    CHECK(totals[0] == Net::param_count);
    CHECK(totals[1] == Net::trainable_count);
    CHECK(totals[2] == Net::non_trainable_count);
    REQUIRE(rows.size() == Net::summary_rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO(model << " row " << i << " (" << rows[i].name << ")");
        CHECK(rows[i].shape == compact_shape(Net::summary_rows[i].output));
        CHECK(rows[i].params == Net::summary_rows[i].params);
    }
}

template <class Net>
void check_outputs(const std::string& model) {
    auto m = tn::make_model<Net>();
    const tn::status s = m.load_npz(fixture(model + ".weights.npz"));
    INFO(s.message());
    REQUIRE(s.ok());
    std::vector<tn::io::npy_array> io;
    REQUIRE(tn::io::read_npz(fixture(model + ".io.npz"), io).ok());
    const auto x = array_named(io, "x");
    const auto y = array_named(io, "y");
    const tn::index_t n = tn::index_t(x.size()) / Net::input_shape_t::size;
    REQUIRE(n >= 1);
    REQUIRE(tn::index_t(y.size()) == n * Net::output_shape_t::size);
    tn::batch<float, typename Net::input_shape_t> xb(n);
    std::copy(x.begin(), x.end(), xb.begin());
    const auto out = m.predict(xb);
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double err = std::abs(double(out[tn::index_t(i)]) - double(y[i]));
        const double tol = 1e-6 + 1e-5 * std::abs(double(y[i]));
        worst = std::max(worst, err / tol);
        if (err > tol) {
            FAIL_CHECK(model << ": output " << i << " is " << out[tn::index_t(i)] << ", Keras says " << y[i]);
            break;
        }
    }
    MESSAGE(model << ": worst error / tolerance = " << worst);
    // One sample at a time gives the same numbers as the batch.
    tn::tensor<float, typename Net::input_shape_t> one;
    std::copy(x.begin(), x.begin() + Net::input_shape_t::size, one.begin());
    const auto y0 = m.predict(one);
    for (tn::index_t i = 0; i < Net::output_shape_t::size; ++i) CHECK(y0[i] == doctest::Approx(out[i]).epsilon(1e-6));
}

// Our summary must print Keras' table (apart from the model's name in the title).
template <class Net>
void check_summary_text(const std::string& model) {
    std::ifstream f(fixture(model + ".summary.txt"));
    std::stringstream keras;
    keras << f.rdbuf();
    std::ostringstream ours;
    tn::summary<Net>(ours, model.substr(model.find('/') + 1));  // the title names the model, not its folder
    CHECK(ours.str() == keras.str());
}

// Sequence models (tools/make_keras_rnn_fixtures.py).
using r1 = tn::sequential<tn::input<12, 6>, tn::gru<8>, tn::dense<3, tn::softmax>>;
using r2 = tn::sequential<tn::input<10, 5>, tn::lstm<8, tn::return_sequences<true>>, tn::dense<6, tn::tanh>,
                          tn::gru<5, tn::return_sequences<true>, tn::go_backwards<true>>,
                          tn::simple_rnn<4, tn::go_backwards<true>>, tn::dense<2>>;
using r3 = tn::sequential<tn::tokens<9>, tn::embedding<50, 6>, tn::bidirectional<tn::lstm<5, tn::return_sequences<true>>>,
                          tn::bidirectional<tn::gru<4>>, tn::dense<2, tn::softmax>>;
using r4 = tn::sequential<tn::input<16, 3>, tn::conv1d<4, 3, tn::same, tn::relu>, tn::max_pool1d<2>,
                          tn::conv1d<5, 2, tn::strides<2>, tn::use_bias<false>>, tn::average_pool1d<3, tn::strides<1>, tn::same>,
                          tn::global_average_pool1d, tn::dense<2>>;
using r5 = tn::sequential<tn::input<9, 4>, tn::conv1d<3, 4, tn::strides<2>, tn::same, tn::tanh>,
                          tn::max_pool1d<3, tn::strides<2>, tn::same>, tn::gru<3, tn::return_sequences<true>>,
                          tn::global_max_pool1d, tn::dense<2, tn::softmax>>;

// Token models also predict from the int32 ids a tokenizer and pad_sequences give.
template <class Net>
void check_token_ids(const std::string& model) {
    auto m = tn::make_model<Net>();
    REQUIRE(m.load_npz(fixture(model + ".weights.npz")).ok());
    std::vector<tn::io::npy_array> io;
    REQUIRE(tn::io::read_npz(fixture(model + ".io.npz"), io).ok());
    const auto v = array_named(io, "ids");
    REQUIRE(v.size() == 3 * Net::input_shape_t::size);
    tn::batch<std::int32_t, typename Net::input_shape_t> ids(3);
    for (std::size_t i = 0; i < v.size(); ++i) ids.data()[i] = std::int32_t(v[i]);
    const auto y = array_named(io, "y");
    const auto out = m.predict(ids);
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(out[tn::index_t(i)] == doctest::Approx(y[i]).epsilon(1e-5));
}

template <class Net>
void check_all(const std::string& model) {
    check_rows<Net>(model);
    check_outputs<Net>(model);
    check_summary_text<Net>(model);
}

}  // namespace

TEST_CASE("Keras parity: M3 (Embedding, SimpleRNN)") {
    check_all<seed::m3>("keras_rnn/m3");
    check_token_ids<seed::m3>("keras_rnn/m3");
}
TEST_CASE("Keras parity: M4 (Embedding, LSTM)") {
    check_all<seed::m4>("keras_rnn/m4");
    check_token_ids<seed::m4>("keras_rnn/m4");
}
TEST_CASE("Keras parity: r1 GRU (reset_after)") { check_all<r1>("keras_rnn/r1"); }
TEST_CASE("Keras parity: r2 stacked return_sequences, dense on the last axis, go_backwards") { check_all<r2>("keras_rnn/r2"); }
TEST_CASE("Keras parity: r3 bidirectional LSTM and GRU after an embedding") {
    check_all<r3>("keras_rnn/r3");
    check_token_ids<r3>("keras_rnn/r3");
}
TEST_CASE("Keras parity: r4 conv1d, 1-D poolings") { check_all<r4>("keras_rnn/r4"); }
TEST_CASE("Keras parity: r5 conv1d with asymmetric same padding, strided same pooling, GRU, global max pool") {
    check_all<r5>("keras_rnn/r5");
}

TEST_CASE("Keras parity: M1") { check_rows<seed::m1>("m1"); check_outputs<seed::m1>("m1"); check_summary_text<seed::m1>("m1"); }
TEST_CASE("Keras parity: M2") { check_rows<seed::m2>("m2"); check_outputs<seed::m2>("m2"); check_summary_text<seed::m2>("m2"); }
TEST_CASE("Keras parity: M6 (ResNet, functional get_weights order)") { check_outputs<seed::m6>("m6"); }
TEST_CASE("Keras parity: M8") { check_rows<seed::m8>("m8"); check_outputs<seed::m8>("m8"); check_summary_text<seed::m8>("m8"); }
TEST_CASE("Keras parity: M9 (asymmetric same padding, even kernel)") {
    check_rows<seed::m9>("m9");
    check_outputs<seed::m9>("m9");
    check_summary_text<seed::m9>("m9");
}
TEST_CASE("Keras parity: M10 (BN epsilon, LeakyReLU 0.3)") {
    check_rows<seed::m10>("m10");
    check_outputs<seed::m10>("m10");
    check_summary_text<seed::m10>("m10");
}
TEST_CASE("Keras parity: e1 odd input, 4x4 kernel stride 2 same") { check_rows<e1>("e1"); check_outputs<e1>("e1"); }
TEST_CASE("Keras parity: e2 non-square kernel/stride, same pooling") { check_rows<e2>("e2"); check_outputs<e2>("e2"); }
TEST_CASE("Keras parity: e3 batch norm, leaky relu, global average pool") { check_rows<e3>("e3"); check_outputs<e3>("e3"); }
TEST_CASE("Keras parity: e4 valid strided pool, global max pool, softmax layer") { check_rows<e4>("e4"); check_outputs<e4>("e4"); }
TEST_CASE("Keras parity: e5 dropout, reshape") { check_rows<e5>("e5"); check_outputs<e5>("e5"); }

TEST_CASE("Keras parity: M6 summary rows in Keras' model.layers order") {
    // Keras' functional M6 lists an InputLayer first and names its activations "activation";
    // typenet's relu layer is Keras' ReLU ("re_lu"). Shapes and counts must agree row for row.
    long long totals[3];
    auto rows = read_layers("m6", totals);
    REQUIRE(rows.size() == seed::m6::summary_rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        INFO("row " << i << " " << rows[i].name);
        CHECK(rows[i].shape == compact_shape(seed::m6::summary_rows[i].output));
        CHECK(rows[i].params == seed::m6::summary_rows[i].params);
        if (rows[i].cls != "Activation") CHECK(rows[i].cls == seed::m6::summary_rows[i].keras_class);
    }
    CHECK(totals[0] == seed::m6::param_count);
    CHECK(totals[2] == seed::m6::non_trainable_count);
}
