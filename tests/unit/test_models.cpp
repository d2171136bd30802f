// Compile-time facts of the seed models, written out as typenet types, against Keras' numbers
// (model.summary() / count_params() of the reference models; see tests/fixtures/keras/README.md).
// Run-time: VGG16 with its top constructs on the heap, M2 predicts on 0 samples, and
// static_model<M2> is as large as its parameters plus its arena and predicts exactly as model<M2>.
#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <type_traits>

namespace seed {
using namespace typenet;

// M1: Conv2D(32, 3x3, relu, same) -> MaxPool2 -> Flatten -> Dense(128, relu) -> Dense(10, softmax).
using M1 = sequential<input<32, 32, 3>, conv2d<32, kernel<3>, same, relu>, max_pool2d<>, flatten, dense<128, relu>,
                      dense<10, softmax>>;

// M2: the TensorFlow CNN tutorial on 28x28x1.
using M2 = sequential<input<28, 28, 1>, conv2d<32, kernel<3>, relu>, max_pool2d<>, conv2d<64, kernel<3>, relu>,
                      max_pool2d<>, conv2d<64, kernel<3>, relu>, flatten, dense<64, relu>, dense<10, softmax>>;

// M7: linear regression, Dense(1) on one feature.
using M7 = sequential<input<1>, dense<1>>;

// M8: an MLP on CIFAR-sized input.
using M8 = sequential<input<32, 32, 3>, flatten, dense<200, relu>, dense<150, relu>, dense<10, softmax>>;

// M9: strided "same" convolutions (even 4x4 kernel), no pooling.
using M9 = sequential<input<32, 32, 3>, conv2d<10, kernel<4>, strides<2>, same>, conv2d<20, kernel<3>, strides<2>, same>,
                      flatten, dense<10, softmax>>;

// M10: four conv / BN / LeakyReLU triples, then a dense head with BN, dropout and a softmax layer.
template <index_t F, index_t S>
using cbl = path<conv2d<F, kernel<3>, strides<S>, same>, batch_norm<>, leaky_relu<>>;
using M10 = sequential<input<32, 32, 3>,                                                   //
                       conv2d<32, kernel<3>, same>, batch_norm<>, leaky_relu<>,              //
                       conv2d<32, kernel<3>, strides<2>, same>, batch_norm<>, leaky_relu<>,  //
                       conv2d<64, kernel<3>, same>, batch_norm<>, leaky_relu<>,              //
                       conv2d<64, kernel<3>, strides<2>, same>, batch_norm<>, leaky_relu<>,  //
                       flatten, dense<128>, batch_norm<>, leaky_relu<>, dropout<1, 2>, dense<10>, softmax>;
// The same network with its triples as path<> blocks: same facts, same parameter layout.
using M10_paths = sequential<input<32, 32, 3>, cbl<32, 1>, cbl<32, 2>, cbl<64, 1>, cbl<64, 2>, flatten, dense<128>,
                             batch_norm<>, leaky_relu<>, dropout<1, 2>, dense<10>, softmax>;

// M11-M13: binary classifiers on 125x94x3 images.
using M11 = sequential<input<125, 94, 3>, flatten, dense<512, relu>, dense<1, sigmoid>>;
using M12 = sequential<input<125, 94, 3>, conv2d<24, kernel<3>, relu>, max_pool2d<>, flatten, dense<128, relu>,
                       dense<128, relu>, dense<1, sigmoid>>;
using M13 = sequential<input<125, 94, 3>, conv2d<48, kernel<3>, relu>, max_pool2d<>, conv2d<48, kernel<3>, relu>,
                       max_pool2d<>, flatten, dense<256, relu>, dense<256, relu>, dense<1, sigmoid>>;

// VGG16 (Keras applications), convolutional base and with its top.
template <index_t F>
using c3 = conv2d<F, kernel<3>, same, relu>;
#define TYPENET_VGG16_BASE                                                                 \
    c3<64>, c3<64>, max_pool2d<>, c3<128>, c3<128>, max_pool2d<>, c3<256>, c3<256>, c3<256>, \
        max_pool2d<>, c3<512>, c3<512>, c3<512>, max_pool2d<>, c3<512>, c3<512>, c3<512>, max_pool2d<>
using VGG16 = sequential<input<224, 224, 3>, TYPENET_VGG16_BASE, flatten, dense<4096, relu>, dense<4096, relu>,
                         dense<1000, softmax>>;
using VGG16_base = sequential<input<224, 224, 3>, TYPENET_VGG16_BASE>;

// M5: transfer learning -- the frozen VGG16 base, then a new trainable head.
using M5 = sequential<input<224, 224, 3>, frozen<TYPENET_VGG16_BASE>, flatten, dense<256, relu>, dense<10, softmax>>;
#undef TYPENET_VGG16_BASE

// M6: a small ResNet. rb = residual<main, shortcut> followed by relu.
template <index_t F, index_t S = 1>
using main_path = path<conv2d<F, kernel<3>, strides<S>, same>, batch_norm<>, relu, conv2d<F, kernel<3>, same>, batch_norm<>>;
template <index_t F>
using projection = path<conv2d<F, kernel<1, 1>, strides<2, 2>, valid>, batch_norm<>>;
template <index_t F>
using rb = residual<main_path<F>>;                  // identity shortcut
template <index_t F>
using rb_down = residual<main_path<F, 2>, projection<F>>;  // stride 2, 1x1 conv shortcut
using M6 = sequential<input<32, 32, 3>,                                            //
                      conv2d<32, kernel<3>, same>, batch_norm<>, relu,               // stem
                      rb<32>, relu, rb<32>, relu,                                    //
                      rb_down<64>, relu, rb<64>, relu,                               //
                      rb_down<128>, relu, rb<128>, relu,                             //
                      average_pool2d<4>, flatten, dense<256>, batch_norm<>, relu, dropout<1, 2>, dense<10, softmax>>;

}  // namespace seed

namespace {
using typenet::index_t;
using typenet::shape;
using namespace seed;

// ---- parameter counts: total / trainable / non-trainable (Keras' summary footer) ------------------
static_assert(M1::param_count == 1'050'890 && M1::trainable_count == 1'050'890 && M1::non_trainable_count == 0);
static_assert(M2::param_count == 93'322 && M2::trainable_count == 93'322 && M2::non_trainable_count == 0);
static_assert(M7::param_count == 2 && M7::trainable_count == 2 && M7::non_trainable_count == 0);
static_assert(M8::param_count == 646'260 && M8::trainable_count == 646'260 && M8::non_trainable_count == 0);
static_assert(M9::param_count == 15'120 && M9::trainable_count == 15'120 && M9::non_trainable_count == 0);
static_assert(M10::param_count == 592'554 && M10::trainable_count == 591'914 && M10::non_trainable_count == 640);
static_assert(M10_paths::param_count == 592'554 && M10_paths::trainable_count == 591'914);
static_assert(M11::param_count == 18'049'025 && M11::trainable_count == 18'049'025);
static_assert(M12::param_count == 8'637'473 && M12::trainable_count == 8'637'473);
static_assert(M13::param_count == 7'928'177 && M13::trainable_count == 7'928'177);
static_assert(VGG16::param_count == 138'357'544 && VGG16::trainable_count == 138'357'544);
static_assert(VGG16_base::param_count == 14'714'688);
static_assert(M5::param_count == 21'140'042 && M5::trainable_count == 6'425'354 && M5::non_trainable_count == 14'714'688);
static_assert(M6::param_count == 833'610 && M6::trainable_count == 830'858 && M6::non_trainable_count == 2'752);

// Per-layer counts where the table gives them (Keras' "Param #" column).
// Layer I's arrays are blocks [layer_first_block[I], layer_first_block[I + 1]) of the flat parameter vector.
template <class Net, std::size_t I>
constexpr index_t layer_params =
    Net::block_offsets[Net::layer_first_block[I + 1]] - Net::block_offsets[Net::layer_first_block[I]];
static_assert(layer_params<M8, 0> == 0 && layer_params<M8, 1> == 614'600 && layer_params<M8, 2> == 30'150 &&
              layer_params<M8, 3> == 1'510);
static_assert(layer_params<M9, 0> == 490 && layer_params<M9, 1> == 1'820 && layer_params<M9, 2> == 0 &&
              layer_params<M9, 3> == 12'810);
static_assert(layer_params<M2, 0> == 320 && layer_params<M2, 2> == 18'496 && layer_params<M2, 4> == 36'928 &&
              layer_params<M2, 6> == 36'928 && layer_params<M2, 7> == 650);
static_assert(layer_params<M1, 0> == 896 && layer_params<M1, 3> == 1'048'704 && layer_params<M1, 4> == 1'290);
static_assert(layer_params<M5, 0> == 14'714'688 && layer_params<M5, 2> == 6'422'784 && layer_params<M5, 3> == 2'570);
// M6's blocks: rb(32) = 2 * (9248 + 128); rb_down(64) = 18496 + 256 + 36928 + 2112 + 256 + 256.
static_assert(layer_params<M6, 3> == 18'752 && layer_params<M6, 7> == 58'304 && layer_params<M6, 11> == 231'296);

// ---- output shapes ---------------------------------------------------------------------------------
static_assert(std::is_same_v<M1::output_shape_t, shape<10>> && std::is_same_v<M1::input_shape_t, shape<32, 32, 3>>);
static_assert(std::is_same_v<M2::output_shape_t, shape<10>> && std::is_same_v<M2::input_shape_t, shape<28, 28, 1>>);
static_assert(std::is_same_v<M5::output_shape_t, shape<10>>);
static_assert(std::is_same_v<M6::output_shape_t, shape<10>>);
static_assert(std::is_same_v<M7::output_shape_t, shape<1>>);
static_assert(std::is_same_v<M8::output_shape_t, shape<10>>);
static_assert(std::is_same_v<M9::output_shape_t, shape<10>>);
static_assert(std::is_same_v<M10::output_shape_t, shape<10>>);
static_assert(std::is_same_v<M11::output_shape_t, shape<1>>);
static_assert(std::is_same_v<M12::output_shape_t, shape<1>>);
static_assert(std::is_same_v<M13::output_shape_t, shape<1>>);
static_assert(std::is_same_v<VGG16::output_shape_t, shape<1000>>);
static_assert(std::is_same_v<VGG16_base::output_shape_t, shape<7, 7, 512>>);
static_assert(M1::output_shape == shape<10>{});

// Intermediate shapes (Keras' "Output Shape" column).
static_assert(std::is_same_v<M1::layer_output_t<0>, shape<32, 32, 32>> && std::is_same_v<M1::layer_output_t<1>, shape<16, 16, 32>> &&
              std::is_same_v<M1::layer_output_t<2>, shape<8192>>);
static_assert(std::is_same_v<M2::layer_output_t<0>, shape<26, 26, 32>> && std::is_same_v<M2::layer_output_t<1>, shape<13, 13, 32>> &&
              std::is_same_v<M2::layer_output_t<2>, shape<11, 11, 64>> && std::is_same_v<M2::layer_output_t<3>, shape<5, 5, 64>> &&
              std::is_same_v<M2::layer_output_t<4>, shape<3, 3, 64>> && std::is_same_v<M2::layer_output_t<5>, shape<576>> &&
              std::is_same_v<M2::layer_output_t<6>, shape<64>>);
static_assert(std::is_same_v<M9::layer_output_t<0>, shape<16, 16, 10>> && std::is_same_v<M9::layer_output_t<1>, shape<8, 8, 20>> &&
              std::is_same_v<M9::layer_output_t<2>, shape<1280>>);
static_assert(std::is_same_v<M10::layer_output_t<3>, shape<16, 16, 32>> && std::is_same_v<M10::layer_output_t<9>, shape<8, 8, 64>> &&
              std::is_same_v<M10::layer_output_t<12>, shape<4096>>);
static_assert(std::is_same_v<M12::layer_output_t<0>, shape<123, 92, 24>> && std::is_same_v<M12::layer_output_t<1>, shape<61, 46, 24>>);
static_assert(std::is_same_v<M13::layer_output_t<3>, shape<29, 22, 48>> && std::is_same_v<M13::layer_output_t<4>, shape<30624>>);
static_assert(std::is_same_v<M5::layer_output_t<0>, shape<7, 7, 512>> && std::is_same_v<M5::layer_output_t<1>, shape<25088>>);
static_assert(std::is_same_v<M6::layer_output_t<7>, shape<16, 16, 64>> && std::is_same_v<M6::layer_output_t<11>, shape<8, 8, 128>> &&
              std::is_same_v<M6::layer_output_t<15>, shape<2, 2, 128>> && std::is_same_v<M6::layer_output_t<16>, shape<512>>);

// ---- parameter arrays: count and Keras get_weights() order --------------------------------------------
static_assert(M2::param_blocks.size() == 10 && M1::param_blocks.size() == 6 && M7::param_blocks.size() == 2);
static_assert(M10::param_blocks.size() == 4 * 6 + 2 + 4 + 2);
static_assert(VGG16::param_blocks.size() == 32);
static_assert(M6::param_blocks.size() == 98);  // Keras' m6.weights.txt: arr_0 ... arr_97
static_assert(M6::block_offsets.back() == M6::param_count && M2::block_offsets.back() == M2::param_count);
// M5: every block of the frozen base is non-trainable; the head's are trainable.
static_assert([] {
    for (std::size_t i = 0; i < 26; ++i)
        if (M5::param_blocks[i].trainable) return false;
    for (std::size_t i = 26; i < 30; ++i)
        if (!M5::param_blocks[i].trainable) return false;
    return M5::param_blocks.size() == 30;
}());

// ---- activation arena ----------------------------------------------------------------------------------
// M2, per sample, in floats. Layer i writes ping-pong buffer i % 2, except the last (layer 7), which
// writes the caller's output; the input is the caller's too. Outputs:
//   layer 0 conv2d        26 x 26 x 32 = 21,632  -> buffer 0
//   layer 1 max_pool2d    13 x 13 x 32 =  5,408  -> buffer 1
//   layer 2 conv2d_1      11 x 11 x 64 =  7,744  -> buffer 0
//   layer 3 max_pool2d_1   5 x  5 x 64 =  1,600  -> buffer 1
//   layer 4 conv2d_2       3 x  3 x 64 =    576  -> buffer 0
//   layer 5 flatten                         576  -> buffer 1
//   layer 6 dense                            64  -> buffer 0
//   layer 7 dense_1                          10  -> the caller's y
// buffer 0 = max(21632, 7744, 576, 64) = 21,632; buffer 1 = max(5408, 1600, 576) = 5,408; no layer
// needs scratch on the CPU. Arena = 27,040 floats = 108,160 bytes per sample.
static_assert(M2::plan.buffer[0] == 21'632 && M2::plan.buffer[1] == 5'408 && M2::plan.workspace == 0);
static_assert(M2::arena_elems == 27'040);
static_assert(M2::arena_bytes == 108'160);
static_assert(M2::arena_bytes_for<float>(3) == 3 * 108'160 && M2::arena_bytes_for<double>(1) == 216'320);
static_assert(M2::weight_bytes == 93'322 * 4 && M2::weight_bytes_for<double> == 93'322 * 8);
// M7: one layer writes straight into the caller's output: no arena at all.
static_assert(M7::arena_elems == 0);

// M2's forward FLOPs (multiply-add = 2): convs 2*k*k*C*F per output pixel + bias, pools window
// compares, dense 2*K*U + U, and the activations' costs (relu 1, softmax 6 per element).
static_assert(M2::flops == (26 * 26 * 32 * (2 * 9 * 1 + 1) + 26 * 26 * 32) + 13 * 13 * 32 * 4 +
                               (11 * 11 * 64 * (2 * 9 * 32 + 1) + 11 * 11 * 64) + 5 * 5 * 64 * 4 +
                               (3 * 3 * 64 * (2 * 9 * 64 + 1) + 3 * 3 * 64) + (2 * 576 * 64 + 64 + 64) +
                               (2 * 64 * 10 + 10 + 10 * 6));

using M2_static = typenet::static_model<M2>;
static_assert(sizeof(M2_static) >= std::size_t(M2::param_count * 4 + M2::arena_bytes));
static_assert(sizeof(typenet::static_model<M2, 4>) >= std::size_t(M2::param_count * 4 + 4 * M2::arena_bytes));
static_assert(typenet::model<M2>::param_count == 93'322);

}  // namespace

TEST_SUITE("models") {

TEST_CASE("VGG16 with its top constructs on the heap") {
    auto m = std::make_unique<typenet::model<VGG16>>(7);
    REQUIRE(m->parameters().size() == std::size_t(138'357'544));
    // Keras' initialisers: glorot-uniform kernels (non-zero), zero biases.
    const auto p = m->parameters();
    const std::size_t first_bias = std::size_t(VGG16::block_offsets[1]);
    CHECK(p[0] != 0.0f);
    CHECK(std::all_of(p.begin() + std::ptrdiff_t(first_bias), p.begin() + std::ptrdiff_t(first_bias + 64),
                      [](float v) { return v == 0.0f; }));
    // glorot limit of the last kernel: sqrt(6 / (4096 + 1000)).
    const std::size_t last_kernel = std::size_t(VGG16::block_offsets[30]);
    const float limit = float(std::sqrt(6.0 / (4096 + 1000)));
    CHECK(std::all_of(p.begin() + std::ptrdiff_t(last_kernel), p.begin() + std::ptrdiff_t(last_kernel + 4096 * 1000),
                      [&](float v) { return v >= -limit && v <= limit; }));
}

TEST_CASE("M2 predicts on a batch of 0 samples") {
    typenet::model<M2> m(1);
    typenet::batch<float, shape<28, 28, 1>> x(0);
    auto y = m.predict(x);
    CHECK(y.samples() == 0);
    CHECK(y.size() == 0);
    CHECK(std::is_same_v<decltype(y), typenet::batch<float, shape<10>>>);
    // And the same through forward with views.
    typenet::batch<float, shape<10>> out(0);
    m.forward(x.view(), out.view());
    CHECK(out.samples() == 0);
}

TEST_CASE("static_model<M2> predicts exactly as model<M2>") {
    typenet::model<M2> m(42);
    auto s = std::make_unique<M2_static>();
    REQUIRE(s->parameters().size() == m.parameters().size());
    std::copy(m.parameters().begin(), m.parameters().end(), s->parameters().begin());

    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    typenet::batch<float, shape<28, 28, 1>> x(5);
    for (auto& v : x) v = u(rng);

    const auto ym = m.predict(x);
    for (index_t i = 0; i < 5; ++i) {
        typenet::tensor<float, shape<28, 28, 1>> xi;
        std::copy(x.sample(i).begin(), x.sample(i).end(), xi.begin());
        const auto ys = s->predict(xi);
        const auto ymi = m.predict(xi);
        for (index_t j = 0; j < 10; ++j) {
            CHECK(ys[j] == ym[i * 10 + j]);
            CHECK(ymi[j] == ym[i * 10 + j]);
        }
    }
    // A batch through static_model (MaxBatch 1: one sample at a time).
    const auto yb = s->predict(x);
    REQUIRE(yb.samples() == 5);
    CHECK(std::equal(yb.begin(), yb.end(), ym.begin()));

    // A softmax output: each row sums to one.
    for (index_t i = 0; i < 5; ++i) {
        double sum = 0;
        for (index_t j = 0; j < 10; ++j) sum += ym[i * 10 + j];
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    }

    // MaxBatch 2 over 5 samples runs chunks of 2, 2, 1 and agrees with the others.
    auto s2 = std::make_unique<typenet::static_model<M2, 2>>();
    std::copy(m.parameters().begin(), m.parameters().end(), s2->parameters().begin());
    const auto y2 = s2->predict(x);
    for (index_t k = 0; k < y2.size(); ++k) CHECK(y2[k] == doctest::Approx(ym[k]).epsilon(1e-6));
}

TEST_CASE("rom_model<M2> reads const parameters in place and predicts exactly as static_model") {
    typenet::model<M2> m(42);
    // Parameters in read-only memory, as a generated header's `alignas(64) inline constexpr float
    // weights[...]`: here a const vector the model only reads.
    const std::vector<float> weights(m.parameters().begin(), m.parameters().end());
    auto r = std::make_unique<typenet::rom_model<M2>>(weights.data());
    auto r2 = std::make_unique<typenet::rom_model<M2, 2>>(std::span<const float, std::size_t(M2::param_count)>(weights));
    auto s = std::make_unique<M2_static>();
    REQUIRE(s->set_weights(m.get_weights()));
    CHECK(r->parameters().data() == weights.data());  // no copy
    CHECK(r->arena().size() == std::size_t(M2::arena_elems));
    CHECK(r2->arena().size() == std::size_t(2 * M2::arena_elems));

    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    typenet::batch<float, shape<28, 28, 1>> x(5);
    for (auto& v : x) v = u(rng);
    const auto ys = s->predict(x);
    const auto yr = r->predict(x);
    const auto yr2 = r2->predict(x);  // chunks of 2, 2, 1
    CHECK(std::equal(yr.begin(), yr.end(), ys.begin()));
    for (index_t k = 0; k < yr2.size(); ++k) CHECK(yr2[k] == doctest::Approx(ys[k]).epsilon(1e-6));

    // Reading works as on the other kinds: get_weights gives Keras' arrays back.
    const auto w = r->get_weights();
    REQUIRE(w.size() == typenet::rom_model<M2>::weight_count);
    CHECK(w[0].layer == "conv2d");
    CHECK(w[0].shape == std::vector<index_t>{3, 3, 1, 32});
    CHECK(std::equal(w[0].values.begin(), w[0].values.end(), weights.begin()));
    CHECK(std::equal(weights.begin(), weights.end(), m.parameters().begin()));  // never written
}
static_assert(sizeof(typenet::rom_model<M2>) < std::size_t(M2::arena_bytes + 128),
              "a rom_model is its arena and a pointer");

TEST_CASE("M7 is y = w x + b") {
    typenet::model<M7> m;
    m.parameters()[0] = 3.0f;
    m.parameters()[1] = -1.0f;
    typenet::batch<float, shape<1>> x(3);
    x[0] = 0.0f;
    x[1] = 1.0f;
    x[2] = 2.5f;
    const auto y = m.predict(x);
    CHECK(y[0] == -1.0f);
    CHECK(y[1] == 2.0f);
    CHECK(y[2] == 6.5f);
}

TEST_CASE("M10 with path blocks has M10's parameter layout") {
    for (std::size_t i = 0; i < M10::param_blocks.size(); ++i) {
        CAPTURE(i);
        CHECK(M10::param_blocks[i].shape == M10_paths::param_blocks[i].shape);
        CHECK(std::string_view(M10::param_blocks[i].name) == M10_paths::param_blocks[i].name);
        CHECK(M10::param_blocks[i].trainable == M10_paths::param_blocks[i].trainable);
    }
    // And the same outputs for the same parameters.
    typenet::model<M10> a(3);
    typenet::model<M10_paths> b(4);
    std::copy(a.parameters().begin(), a.parameters().end(), b.parameters().begin());
    typenet::batch<float, shape<32, 32, 3>> x(2);
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (auto& v : x) v = u(rng);
    const auto ya = a.predict(x);
    const auto yb = b.predict(x);
    for (index_t k = 0; k < ya.size(); ++k) CHECK(ya[k] == doctest::Approx(yb[k]).epsilon(1e-5));
}

}  // TEST_SUITE
