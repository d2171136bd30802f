// Layer arguments written as Keras writes them: Conv2D(16, 5) is conv2d<16, 5>, MaxPooling2D(2, 1)
// is max_pool2d<2, strides<1>>, Dropout(0.25) is dropout<0.25> (g++ >= 11) or dropout<25> /
// dropout<1, 4> (every compiler). Output shapes are Keras' (the Keras numbers in the comments).
#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <cmath>
#include <type_traits>

namespace tn = typenet;

namespace {

constexpr tn::dims mnist = tn::make_dims({28, 28, 1});

// ---- conv2d: the kernel size as an integer, or kernel<h, w> --------------------------------------
// Every spelling of a square kernel is one type, printed conv2d<16, 5>.
static_assert(std::is_same_v<tn::conv2d<16, 5>, tn::conv2d<16, tn::kernel<5, 5>>>);
static_assert(std::is_same_v<tn::conv2d<16, 5>, tn::conv2d<16, tn::kernel<5>>>);
static_assert(std::is_same_v<tn::conv2d<16, 3, tn::same, tn::relu>, tn::conv2d<16, tn::kernel<3, 3>, tn::same, tn::relu>>);
static_assert(tn::conv2d<16, 5>::kh == 5 && tn::conv2d<16, 5>::kw == 5);
static_assert(tn::conv2d<16, tn::kernel<3, 5>>::kh == 3 && tn::conv2d<16, tn::kernel<3, 5>>::kw == 5);
static_assert(std::is_same_v<std::remove_cv_t<decltype(tn::kernel<3, 5>)>, tn::kernel_size>);
// A long (or any integral) size works too.
static_assert(tn::conv2d<16, tn::index_t{5}>::kh == 5);

// Conv2D(16, 5): (24, 24, 16), 416 params.
static_assert(tn::conv2d<16, 5>::output(mnist) == tn::make_dims({24, 24, 16}));
// Conv2D(16, 3, strides=2): floor((28 - 3) / 2) + 1 = 13.
static_assert(tn::conv2d<16, 3, tn::strides<2>>::output(mnist) == tn::make_dims({13, 13, 16}));
// Conv2D(16, (3, 5), padding="same"): (28, 28, 16).
static_assert(tn::conv2d<16, tn::kernel<3, 5>, tn::same>::output(mnist) == tn::make_dims({28, 28, 16}));
// Conv2D(8, (3, 5)): (26, 24, 8); kernel (3, 5, 1, 8).
static_assert(tn::conv2d<8, tn::kernel<3, 5>>::output(mnist) == tn::make_dims({26, 24, 8}));

using keras_cnn = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32, 3, tn::relu>, tn::max_pool2d<2>,
                                 tn::conv2d<64, 3, tn::strides<2>, tn::same, tn::relu>, tn::dropout<25>, tn::flatten,
                                 tn::dense<10, tn::softmax>>;
// Keras: Conv2D(32, 3) 320, MaxPooling2D(2) -> (13, 13, 32), Conv2D(64, 3, strides=2, padding="same")
// -> (7, 7, 64) 18,496, Dense(10) 31,370.
static_assert(keras_cnn::param_count == 320 + 18'496 + 31'370);
static_assert(keras_cnn::layer_output_t<2>{} == tn::shape<7, 7, 64>{});

// A kernel size that is not a number of rows and columns is refused by conv2d's own static_assert
// (tests/compile_fail/conv2d_kernel_not_integer.cpp); the predicate:
static_assert(tn::detail::is_kernel_arg_v<3> && tn::detail::is_kernel_arg_v<tn::kernel<1, 7>>);
static_assert(!tn::detail::is_kernel_arg_v<true>);

// Zero and negative kernels are reported by the chain (diag::zero_or_negative_kernel).
static_assert(tn::conv2d<8, tn::kernel<0, 3>>::check(mnist).what == tn::problem::zero_or_negative_kernel);
static_assert(tn::conv2d<8, 0>::check(mnist).what == tn::problem::zero_or_negative_kernel);

// ---- pooling: MaxPooling2D(pool_size, strides=None -> pool_size, padding) ------------------------
constexpr tn::dims four = tn::make_dims({4, 4, 3});
static_assert(tn::max_pool2d<>::output(four) == tn::make_dims({2, 2, 3}));                       // MaxPooling2D()
static_assert(tn::max_pool2d<2, tn::strides<1>>::output(four) == tn::make_dims({3, 3, 3}));      // MaxPooling2D(2, 1)
static_assert(tn::max_pool2d<3, tn::strides<2>, tn::same>::output(four) == tn::make_dims({2, 2, 3}));
static_assert(tn::max_pool2d<3>::output(tn::make_dims({10, 10, 1})) == tn::make_dims({3, 3, 1}));  // strides = 3
static_assert(tn::average_pool2d<2, tn::pool<2, 1>>::output(four) == tn::make_dims({2, 4, 3}));   // pool_size=(2, 1)

// ---- dropout: Dropout(rate) -------------------------------------------------------------------------
static_assert(tn::dropout<1, 2>::rate == 0.5);
static_assert(tn::dropout<25>::rate == 0.25);     // N/100
static_assert(tn::dropout<1, 4>::rate == 0.25);
static_assert(tn::dropout<0>::rate == 0.0);
static_assert(tn::dropout<25>::check(mnist).ok());
static_assert(tn::dropout<100>::check(mnist).what == tn::problem::dropout_rate_out_of_range);  // rate 1
static_assert(tn::dropout<-1, 10>::check(mnist).what == tn::problem::dropout_rate_out_of_range);
static_assert(tn::dropout<1, 0>::check(mnist).what == tn::problem::dropout_rate_out_of_range);

// ---- leaky_relu, batch_norm's epsilon and momentum: the same two forms -------------------------------
static_assert(tn::leaky_relu<>::slope == 0.3);
static_assert(tn::leaky_relu<1, 10>::slope == 0.1);
static_assert(tn::leaky_relu<1, 0>::check(mnist).what == tn::problem::invalid_layer_argument);
static_assert(tn::batch_norm<tn::epsilon<1, 100000>, tn::momentum<9, 10>>::eps == 1e-5);
static_assert(tn::batch_norm<tn::epsilon<1, 100000>, tn::momentum<9, 10>>::mom == 0.9);
static_assert(tn::batch_norm<tn::momentum<11, 10>>::check(mnist).what == tn::problem::invalid_layer_argument);
static_assert(tn::batch_norm<tn::epsilon<1>>::check(mnist).what == tn::problem::invalid_layer_argument);  // no denominator

#if __cpp_nontype_template_args >= 201911L  // floating-point template arguments: g++ >= 11, not clang 14
static_assert(tn::dropout<0.25>::rate == 0.25);
static_assert(tn::dropout<0.5>::rate == tn::dropout<1, 2>::rate);
static_assert(tn::dropout<0.25f>::rate == 0.25);
static_assert(tn::dropout<0.0>::check(mnist).ok());
static_assert(tn::dropout<1.0>::check(mnist).what == tn::problem::dropout_rate_out_of_range);
static_assert(tn::dropout<-0.1>::check(mnist).what == tn::problem::dropout_rate_out_of_range);
static_assert(tn::dropout<0.5, 2>::check(mnist).what == tn::problem::dropout_rate_out_of_range);  // no denominator
static_assert(tn::leaky_relu<0.2>::slope == 0.2);
static_assert(tn::leaky_relu<-0.2>::check(mnist).what == tn::problem::invalid_layer_argument);
static_assert(tn::batch_norm<tn::epsilon<1e-5>, tn::momentum<0.9>>::eps == 1e-5);
static_assert(tn::batch_norm<tn::epsilon<1e-5>, tn::momentum<0.9>>::mom == 0.9);
static_assert(tn::batch_norm<tn::momentum<0.9, 10>>::check(mnist).what == tn::problem::invalid_layer_argument);
using keras_dropout = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<0.2>, tn::dense<10, tn::softmax>>;
static_assert(keras_dropout::param_count == 101'770);
#endif

}  // namespace

TEST_CASE("layer arguments: Keras' integer kernel sizes train like kernel<h, w>") {
    // Same type, so the same model: one fit step from the same seed gives the same weights.
    using a = tn::sequential<tn::input<8, 8, 1>, tn::conv2d<4, 3, tn::relu>, tn::flatten, tn::dense<2, tn::softmax>>;
    using b = tn::sequential<tn::input<8, 8, 1>, tn::conv2d<4, tn::kernel<3, 3>, tn::relu>, tn::flatten,
                             tn::dense<2, tn::softmax>>;
    static_assert(std::is_same_v<a, b>);
    auto m = tn::make_model<a>(3);
    tn::batch<float, tn::shape<8, 8, 1>> x(4);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7.0f;
    auto y = m.predict(x);
    for (tn::index_t i = 0; i < y.samples(); ++i) CHECK(y[2 * i] + y[2 * i + 1] == doctest::Approx(1.0));
}

TEST_CASE("layer arguments: a non-square kernel computes as Keras' (3, 5) kernel") {
    // Conv2D(1, (3, 5), use_bias=False) with every weight 1 sums its 3 x 5 window.
    using net = tn::sequential<tn::input<4, 6, 1>, tn::conv2d<1, tn::kernel<3, 5>, tn::use_bias<false>>>;
    static_assert(net::output_shape == tn::shape<2, 2, 1>{});
    auto m = tn::make_model<net>();
    for (float& w : m.parameters()) w = 1.0f;
    tn::tensor<float, tn::shape<4, 6, 1>> x;
    for (tn::index_t i = 0; i < 24; ++i) x[i] = float(i);  // x[r][c] = 6 r + c
    const auto y = m.predict(x);
    // window at (0, 0): rows 0..2, columns 0..4: sum of 6 r + c = 5 * (0 + 6 + 12) + 3 * (0 + ... + 4)
    CHECK(y[0] == doctest::Approx(5 * 18 + 3 * 10));
    CHECK(y[1] == doctest::Approx(5 * 18 + 3 * 15));  // columns 1..5
    CHECK(y[2] == doctest::Approx(5 * 36 + 3 * 10));  // rows 1..3
}
