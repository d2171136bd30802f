// Tests for typenet/core/expr.hpp, core/tensor.hpp and core/functors.hpp: expression templates
// against plain loops, broadcasting, tensors and views, the functors' arithmetic, and a proof that an
// expression is evaluated in a single pass with no temporaries (a counting leaf: every leaf element
// is read exactly once). The no-allocation half of that proof is tests/alloc (global operator new).
#include <doctest/doctest.h>

#include <typenet/core/expr.hpp>
#include <typenet/core/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace {

using typenet::batch;
using typenet::index_t;
using typenet::shape;
using typenet::tensor;
using typenet::tensor_view;
namespace ops = typenet::ops;
namespace fn = typenet::fn;

using S = shape<3, 4, 5>;  // 60 elements per sample, last axis 5
constexpr index_t N = 3;   // samples in the batch tests

template <class Tensor>
void fill_random(Tensor& t, std::uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (auto& v : t) v = u(rng);
}

// ---- a leaf that counts its reads -------------------------------------------------------------------
// Same protocol as typenet::leaf (value_type, shape_type, size(), operator[]); every operator[] call
// increments reads[i], so a test can see exactly how often each element was read.
template <class Shape>
struct counting_leaf : typenet::expr_node {
    using value_type = float;
    using shape_type = Shape;
    const float* p;
    index_t n;
    std::vector<int>* reads;
    index_t size() const { return n * Shape::size; }
    float operator[](index_t i) const {
        ++(*reads)[std::size_t(i)];
        return p[i];
    }
};

// ---- compile-time facts: expressions are lazy node types, not tensors ---------------------------------
using T3 = tensor<float, shape<3>>;
using expr_t = decltype(ops::relu(std::declval<const batch<float, S>&>() * 2 + std::declval<const batch<float, S>&>()) -
                        std::declval<const batch<float, S>&>());
static_assert(typenet::expression<expr_t>);
static_assert(std::is_same_v<expr_t::shape_type, S>);
static_assert(std::is_same_v<expr_t::value_type, float>);
using L = typenet::leaf<const float, S>;
static_assert(std::is_same_v<expr_t,
                             typenet::binary_node<fn::minus,
                                                  typenet::unary_node<fn::relu,
                                                                      typenet::binary_node<fn::plus,
                                                                                           typenet::binary_node<fn::multiplies, L, typenet::scalar_node<float>>,
                                                                                           L>>,
                                                  L>>);
// The tree holds pointers and counts, never element storage (no hidden temporaries).
static_assert(sizeof(expr_t) <= 4 * sizeof(L) + 2 * sizeof(float) + 8 * sizeof(void*));
static_assert(std::is_trivially_copyable_v<expr_t>);
// Scalars take the other side's element type; a channel vector broadcasts over the last axis.
static_assert(std::is_same_v<decltype(std::declval<const T3&>() * 2.0)::value_type, float>);
static_assert(std::is_same_v<decltype(std::declval<const batch<float, S>&>() +
                                      typenet::broadcast_channels(std::declval<const tensor<float, shape<5>>&>()))::shape_type,
                             S>);
static_assert(!typenet::operand<int> && typenet::operand<T3> && typenet::operand<expr_t>);
static_assert(fn::relu::cost == 1 && fn::sigmoid::cost == 4 && fn::identity::cost == 0);

}  // namespace

TEST_SUITE("expr") {

TEST_CASE("binary operators with tensors and scalars match plain loops") {
    batch<float, S> a(N), b(N), c(N);
    fill_random(a, 1);
    fill_random(b, 2);
    fill_random(c, 3, 0.5f, 2.0f);  // divisor away from 0

    batch<float, S> y(N);
    const index_t n = a.size();
    REQUIRE(n == N * S::size);

    y = a + b;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] + b[i]);
    y = a - b;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] - b[i]);
    y = a * b;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] * b[i]);
    y = a / c;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] / c[i]);

    y = a + 1.5;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] + 1.5f);
    y = 2 - a;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == 2.0f - a[i]);
    y = a * 3;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] * 3.0f);
    y = 1.0f / c;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == 1.0f / c[i]);
    y = a / 4.0;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] / 4.0f);
    y = -a;
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == -a[i]);

    // A compound expression: one pass, same values as the loop written out.
    y = (a * 2 + b) * c - a / c + 0.25;
    for (index_t i = 0; i < n; ++i)
        REQUIRE(y[i] == doctest::Approx((a[i] * 2.0f + b[i]) * c[i] - a[i] / c[i] + 0.25f).epsilon(1e-6));
    y = ops::max(a, b) - ops::min(a, 0.5);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::max(a[i], b[i]) - std::min(a[i], 0.5f));
}

TEST_CASE("compound assignment and aliasing the destination") {
    batch<float, S> a(N), b(N);
    fill_random(a, 4);
    fill_random(b, 5);
    const batch<float, S> a0 = a;
    a += b;
    for (index_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == a0[i] + b[i]);
    a -= b;
    a *= 2;
    for (index_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == (a0[i] + b[i] - b[i]) * 2.0f);
    a /= 2;
    a = a * a;  // elementwise: reading a[i] and writing a[i] in the same step is safe
    for (index_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == ((a0[i] + b[i] - b[i]) * 2.0f / 2.0f) * ((a0[i] + b[i] - b[i]) * 2.0f / 2.0f));
}

TEST_CASE("unary functions match <cmath>") {
    batch<float, S> a(N), p(N);
    fill_random(a, 6, -4.0f, 4.0f);
    fill_random(p, 7, 0.01f, 9.0f);  // positive, for log and sqrt
    batch<float, S> y(N);
    const index_t n = a.size();

    y = ops::relu(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == (a[i] > 0 ? a[i] : 0.0f));
    y = ops::leaky_relu(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == (a[i] > 0 ? a[i] : 0.3f * a[i]));
    y = ops::leaky_relu(a, 0.01);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == (a[i] > 0 ? a[i] : 0.01f * a[i]));
    y = ops::sigmoid(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == doctest::Approx(1.0 / (1.0 + std::exp(-double(a[i])))).epsilon(1e-6));
    y = ops::tanh(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::tanh(a[i]));
    y = ops::exp(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::exp(a[i]));
    y = ops::log(p);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::log(p[i]));
    y = ops::sqrt(p);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::sqrt(p[i]));
    y = ops::abs(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::fabs(a[i]));
    y = ops::square(a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == a[i] * a[i]);
    y = ops::clamp(a, -0.5, 1.5);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::clamp(a[i], -0.5f, 1.5f));
    // Nested unary and binary.
    y = ops::sqrt(ops::square(a) + 1) - ops::abs(ops::tanh(a * 0.5));
    for (index_t i = 0; i < n; ++i)
        REQUIRE(y[i] == doctest::Approx(std::sqrt(a[i] * a[i] + 1.0f) - std::fabs(std::tanh(a[i] * 0.5f))).epsilon(1e-6));
    // An explicit functor through ops::apply.
    y = ops::apply(fn::negate{}, a);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == -a[i]);
    y = ops::apply(fn::maximum{}, a, 0);
    for (index_t i = 0; i < n; ++i) REQUIRE(y[i] == std::max(a[i], 0.0f));
}

TEST_CASE("broadcast_channels over (H, W, C)") {
    batch<float, S> x(N);
    tensor<float, shape<5>> scale{0.5f, -1.0f, 2.0f, 0.0f, 3.0f};
    tensor<float, shape<5>> shift{1.0f, 2.0f, -3.0f, 4.0f, 0.125f};
    fill_random(x, 8);
    batch<float, S> y(N);
    y = x * typenet::broadcast_channels(scale) + typenet::broadcast_channels(shift);
    for (index_t s = 0; s < N; ++s)
        for (index_t h = 0; h < 3; ++h)
            for (index_t w = 0; w < 4; ++w)
                for (index_t c = 0; c < 5; ++c) {
                    const index_t i = ((s * 3 + h) * 4 + w) * 5 + c;
                    REQUIRE(y[i] == x[i] * scale[c] + shift[c]);
                }
    // The BN-style fold, relu on top, and a broadcast on the left of the operator.
    y = ops::relu(typenet::broadcast_channels(shift) - x * typenet::broadcast_channels(scale));
    for (index_t i = 0; i < y.size(); ++i) {
        const float v = shift[i % 5] - x[i] * scale[i % 5];
        REQUIRE(y[i] == (v > 0 ? v : 0.0f));
    }
    // Two broadcasts combine into a per-channel expression, then broadcast over x.
    y = x + (typenet::broadcast_channels(scale) * typenet::broadcast_channels(shift));
    for (index_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == x[i] + scale[i % 5] * shift[i % 5]);
}

TEST_CASE("tensors, views, at() and eval") {
    tensor<float, shape<2, 3>> t{1, 2, 3, 4, 5, 6};
    CHECK(t.size() == 6);
    CHECK(t.at(0, 0) == 1);
    CHECK(t.at(0, 2) == 3);
    CHECK(t.at(1, 0) == 4);
    CHECK(t.at(1, 2) == 6);
    t.at(1, 1) = 50;
    CHECK(t[4] == 50);

    tensor<float, shape<2, 3>> u(t * 2);  // explicit construction from an expression
    for (index_t i = 0; i < 6; ++i) CHECK(u[i] == t[i] * 2);

    // eval() keeps a result beyond the expression's operands.
    auto e = typenet::eval(t + u);
    static_assert(std::is_same_v<decltype(e), batch<float, shape<2, 3>>>);
    CHECK(e.samples() == 1);
    for (index_t i = 0; i < 6; ++i) CHECK(e[i] == t[i] + u[i]);

    // A batch built from an expression takes its sample count.
    batch<float, S> x(4);
    fill_random(x, 9);
    batch<float, S> y(ops::abs(x));
    CHECK(y.samples() == 4);
    for (index_t i = 0; i < y.size(); ++i) CHECK(y[i] == std::fabs(x[i]));

    // Assigning to a view writes through to the viewed batch; other samples are untouched.
    batch<float, S> z(3);
    z.fill(7.0f);
    z.sample(1) = ops::relu(x.sample(2)) + 1;
    for (index_t i = 0; i < S::size; ++i) {
        CHECK(z[i] == 7.0f);
        CHECK(z[S::size + i] == (x[2 * S::size + i] > 0 ? x[2 * S::size + i] : 0.0f) + 1.0f);
        CHECK(z[2 * S::size + i] == 7.0f);
    }
    // Copy-assigning a view copies data, not the pointer.
    tensor_view<float, S> v0 = z.sample(0);
    v0 = x.sample(3);
    for (index_t i = 0; i < S::size; ++i) CHECK(z[i] == x[3 * S::size + i]);

    // An empty batch: expressions over zero samples do nothing.
    batch<float, S> none(0), none2(0);
    none = none2 * 2 + 1;
    CHECK(none.size() == 0);
}

TEST_CASE("single pass: every leaf element is read exactly once, no temporaries") {
    constexpr index_t n = 4;
    batch<float, S> a(n), b(n), c(n);
    fill_random(a, 10);
    fill_random(b, 11);
    fill_random(c, 12);
    std::vector<int> ra(std::size_t(n * S::size)), rb(ra.size()), rc(ra.size());
    const counting_leaf<S> la{{}, a.data(), n, &ra};
    const counting_leaf<S> lb{{}, b.data(), n, &rb};
    const counting_leaf<S> lc{{}, c.data(), n, &rc};

    // Building the expression reads nothing.
    const auto e = ops::relu(la * 2 + lb) - lc;
    CHECK(std::all_of(ra.begin(), ra.end(), [](int k) { return k == 0; }));
    static_assert(typenet::expression<decltype(e)>);

    batch<float, S> y(n);
    y = e;
    for (std::size_t i = 0; i < ra.size(); ++i) {
        CAPTURE(i);
        REQUIRE(ra[i] == 1);
        REQUIRE(rb[i] == 1);
        REQUIRE(rc[i] == 1);
    }
    for (index_t i = 0; i < y.size(); ++i) {
        const float v = a[i] * 2.0f + b[i];
        REQUIRE(y[i] == (v > 0 ? v : 0.0f) - c[i]);
    }

    // A leaf used twice is read twice per element (once per occurrence) -- still one pass.
    std::fill(ra.begin(), ra.end(), 0);
    y = la * la + 1;
    CHECK(std::all_of(ra.begin(), ra.end(), [](int k) { return k == 2; }));

    // Into a single-sample tensor and through a view: the same single pass.
    std::fill(ra.begin(), ra.end(), 0);
    std::fill(rb.begin(), rb.end(), 0);
    const counting_leaf<S> la1{{}, a.data(), 1, &ra};
    const counting_leaf<S> lb1{{}, b.data(), 1, &rb};
    tensor<float, S> t;
    t = ops::sigmoid(la1 - lb1 * 0.5);
    for (index_t i = 0; i < S::size; ++i) {
        REQUIRE(ra[std::size_t(i)] == 1);
        REQUIRE(rb[std::size_t(i)] == 1);
        REQUIRE(t[i] == fn::sigmoid{}(a[i] - b[i] * 0.5f));
    }
    for (index_t i = S::size; i < n * S::size; ++i) REQUIRE(ra[std::size_t(i)] == 0);  // other samples untouched
}

TEST_CASE("functor arithmetic") {
    // Keras' LeakyReLU default slope is 0.3.
    CHECK(fn::leaky_relu{}.alpha == 0.3);
    CHECK(fn::leaky_relu{}(-10.0) == doctest::Approx(-3.0));
    CHECK(fn::leaky_relu{}(-10.0f) == doctest::Approx(-3.0).epsilon(1e-6));
    CHECK(fn::leaky_relu{}(2.0f) == 2.0f);
    CHECK(fn::leaky_relu{0.01}(-1.0) == doctest::Approx(-0.01));
    CHECK(fn::relu{}(-0.0f) == 0.0f);
    CHECK(fn::relu{}(3.0) == 3.0);

    // sigmoid is stable for large |x|: no overflow, no NaN, correct tails.
    const fn::sigmoid sg;
    for (double x : {-1e4, -1000.0, -745.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0, 1e4}) {
        CAPTURE(x);
        const double d = sg(x);
        const float f = sg(float(x));
        CHECK(std::isfinite(d));
        CHECK(std::isfinite(f));
        CHECK(d >= 0.0);
        CHECK(d <= 1.0);
        CHECK(f >= 0.0f);
        CHECK(f <= 1.0f);
        CHECK(sg(x) + sg(-x) == doctest::Approx(1.0));
    }
    CHECK(sg(0.0) == 0.5);
    CHECK(sg(1000.0) == 1.0);
    CHECK(sg(1000.0f) == 1.0f);
    CHECK(sg(-1000.0) == 0.0);
    CHECK(sg(-1000.0f) == 0.0f);
    // In the tail the result keeps its relative accuracy (1 / (1 + e^-x) would round to 0 early).
    CHECK(sg(-100.0) == doctest::Approx(std::exp(-100.0)).epsilon(1e-12).scale(0));
    CHECK(sg(-30.0f) == doctest::Approx(std::exp(-30.0)).epsilon(1e-5).scale(0));
    CHECK(sg(2.0) == doctest::Approx(1.0 / (1.0 + std::exp(-2.0))));
    CHECK(sg(-2.0) == doctest::Approx(1.0 / (1.0 + std::exp(2.0))));

    CHECK(fn::clamp{-1, 1}(5.0f) == 1.0f);
    CHECK(fn::clamp{-1, 1}(-5.0f) == -1.0f);
    CHECK(fn::clamp{-1, 1}(0.25f) == 0.25f);
    CHECK(fn::abs{}(-2.5) == 2.5);
    CHECK(fn::square{}(-3) == 9);
    CHECK(fn::maximum{}(1, 2) == 2);
    CHECK(fn::minimum{}(1, 2) == 1);
    CHECK(fn::identity{}(1.25) == 1.25);
    CHECK(fn::tanh{}(100.0f) == 1.0f);
    CHECK(fn::exp{}(0.0) == 1.0);
    CHECK(fn::log{}(1.0) == 0.0);
    CHECK(fn::sqrt{}(16.0f) == 4.0f);
    CHECK(fn::divides{}(1.0, 4.0) == 0.25);
}

TEST_CASE("double-precision expressions") {
    batch<double, shape<7>> a(2), y(2);
    for (index_t i = 0; i < a.size(); ++i) a[i] = double(i) - 6.5;
    y = ops::leaky_relu(a) * 2 + ops::exp(a * 0.1);
    for (index_t i = 0; i < a.size(); ++i)
        CHECK(y[i] == doctest::Approx((a[i] > 0 ? a[i] : 0.3 * a[i]) * 2.0 + std::exp(a[i] * 0.1)).epsilon(1e-14));
}

}  // TEST_SUITE
