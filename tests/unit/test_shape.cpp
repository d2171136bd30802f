// Tests for typenet/core/shape.hpp: shape types, dims values, and the Keras/TensorFlow window
// arithmetic (output extents, "same" padding split, exact tiling, flatten).
//
// Everything here is constexpr, so most checks are namespace-scope static_asserts (they fail the
// build); the doctest cases repeat a few of them at run time and sweep ranges against the formulas.
#include <doctest/doctest.h>

#include <typenet/core/shape.hpp>

#include <type_traits>

namespace {

using typenet::dims;
using typenet::index_t;
using typenet::make_dims;
using typenet::padding;
using typenet::shape;
using typenet::window_output;
using typenet::pad_before;
using typenet::pad_after;
using typenet::pad_total;
using typenet::window_tiles_exactly;
using typenet::flatten_dims;

constexpr padding V = padding::valid;
constexpr padding S = padding::same;

// ---- window_output: valid floors, same is ceil(in / s) ------------------------------------------
static_assert(window_output(11, 2, 2, V) == 5);   // 11 pooled by 2 -> 5 (the last row is dropped)
static_assert(window_output(11, 2, 2, S) == 6);   // same -> ceil(11 / 2)
static_assert(window_output(10, 2, 2, V) == 5);
static_assert(window_output(10, 2, 2, S) == 5);
static_assert(window_output(28, 3, 1, V) == 26);  // M2's first conv
static_assert(window_output(26, 2, 2, V) == 13);  // M2's first pool
static_assert(window_output(13, 3, 1, V) == 11);
static_assert(window_output(11, 2, 2, V) == 5);
static_assert(window_output(5, 3, 1, V) == 3);
static_assert(window_output(32, 3, 1, S) == 32);
static_assert(window_output(32, 4, 2, S) == 16);  // M9
static_assert(window_output(16, 3, 2, S) == 8);
static_assert(window_output(7, 4, 2, S) == 4);    // e1: ceil(7 / 2)
static_assert(window_output(4, 3, 2, S) == 2);
static_assert(window_output(125, 3, 1, V) == 123);
static_assert(window_output(123, 2, 2, V) == 61);
static_assert(window_output(94, 3, 1, V) == 92);
static_assert(window_output(92, 2, 2, V) == 46);
static_assert(window_output(10, 3, 2, V) == 4);   // floor((10 - 3) / 2) + 1
static_assert(window_output(3, 3, 1, V) == 1);    // exactly fits
static_assert(window_output(2, 3, 1, V) == 0);    // does not fit: 0 (the layers report it)
static_assert(window_output(2, 3, 1, S) == 2);    // same always fits
static_assert(window_output(1, 5, 3, S) == 1);
static_assert(window_output(5, 1, 1, V) == 5);    // 1x1 kernels
static_assert(window_output(5, 1, 2, V) == 3);
// Degenerate arguments give 0 rather than dividing by zero.
static_assert(window_output(10, 3, 0, V) == 0);
static_assert(window_output(10, 0, 1, V) == 0);
static_assert(window_output(0, 3, 1, S) == 0);
static_assert(window_output(-4, 3, 1, V) == 0);

// ---- TensorFlow's "same" split: total = max((out - 1) * s + k - in, 0), extra pixel after ----
static_assert(pad_before(32, 3, 2, S) == 0 && pad_after(32, 3, 2, S) == 1);  // 32 -> 16, k3 s2: (0, 1)
static_assert(pad_before(32, 4, 2, S) == 1 && pad_after(32, 4, 2, S) == 1);  // k4 s2: (1, 1)
static_assert(pad_before(7, 4, 2, S) == 1 && pad_after(7, 4, 2, S) == 2);    // 7, k4 s2: (1, 2)
static_assert(pad_before(32, 3, 1, S) == 1 && pad_after(32, 3, 1, S) == 1);  // the usual (1, 1)
static_assert(pad_before(16, 3, 2, S) == 0 && pad_after(16, 3, 2, S) == 1);
static_assert(pad_before(4, 3, 2, S) == 0 && pad_after(4, 3, 2, S) == 1);    // e1's second conv
static_assert(pad_before(8, 2, 2, S) == 0 && pad_after(8, 2, 2, S) == 0);    // even tiling: none
static_assert(pad_before(9, 2, 2, S) == 0 && pad_after(9, 2, 2, S) == 1);
static_assert(pad_before(8, 3, 2, S) == 0 && pad_after(8, 3, 2, S) == 1);
static_assert(pad_before(6, 2, 1, S) == 0 && pad_after(6, 2, 1, S) == 1);    // even kernel, stride 1
static_assert(pad_before(5, 5, 1, S) == 2 && pad_after(5, 5, 1, S) == 2);
static_assert(pad_before(5, 1, 1, S) == 0 && pad_after(5, 1, 1, S) == 0);    // 1x1: never padded
static_assert(pad_total(1, 5, 3, S) == 4 && pad_before(1, 5, 3, S) == 2);
static_assert(pad_total(10, 1, 4, S) == 0);  // (3 - 1) * 4 + 1 - 10 < 0 -> clamped to 0
// valid never pads.
static_assert(pad_total(7, 4, 2, V) == 0 && pad_before(7, 4, 2, V) == 0 && pad_after(7, 4, 2, V) == 0);

// ---- window_tiles_exactly: the strict-mode rule ---------------------------------------------------
static_assert(!window_tiles_exactly(10, 3, 2, V));  // W=10, F=3, S=2, P=0 leaves one column
static_assert(window_tiles_exactly(11, 3, 2, V));
static_assert(!window_tiles_exactly(11, 2, 2, V));  // 11 pooled by 2 drops a row
static_assert(window_tiles_exactly(10, 2, 2, V));
static_assert(window_tiles_exactly(28, 3, 1, V));   // stride 1 always tiles when it fits
static_assert(!window_tiles_exactly(2, 3, 1, V));   // does not even fit
static_assert(window_tiles_exactly(32, 3, 2, S));   // same padding is chosen to tile exactly
static_assert(window_tiles_exactly(7, 4, 2, S));
static_assert(window_tiles_exactly(11, 2, 2, S));
static_assert(!window_tiles_exactly(10, 1, 4, S));  // 1x1 stride 4 on 10: (10 - 1) % 4 != 0

// ---- flatten and dims ---------------------------------------------------------------------------
static_assert(flatten_dims(make_dims({3, 3, 64})) == make_dims({576}));
static_assert(flatten_dims(make_dims({16, 16, 32})).rank == 1);
static_assert(flatten_dims(make_dims({16, 16, 32}))[0] == 8192);
static_assert(flatten_dims(make_dims({7})) == make_dims({7}));
static_assert(flatten_dims(dims{}) == make_dims({1}));  // a rank-0 value flattens to one element
static_assert(make_dims({2, 3, 4}).size() == 24 && make_dims({2, 3, 4}).rank == 3);
static_assert(make_dims({2, 3, 4}).back() == 4 && dims{}.back() == 1 && dims{}.size() == 1);
static_assert(!(make_dims({2, 3}) == make_dims({3, 2})));
static_assert(!(make_dims({6}) == make_dims({6, 1})));
static_assert(make_dims({6, 1}) == make_dims({6, 1}));
// Unused trailing entries never take part in equality.
static_assert([] {
    dims a = make_dims({4, 5});
    dims b = make_dims({4, 5});
    b.e[3] = 99;
    return a == b;
}());

// ---- shape<...>: size, rank, value, extents, equality ---------------------------------------------
static_assert(shape<32, 32, 3>::size == 3072);
static_assert(shape<32, 32, 3>::rank == 3);
static_assert(shape<32, 32, 3>::value == make_dims({32, 32, 3}));
static_assert(shape<32, 32, 3>::extents[0] == 32 && shape<32, 32, 3>::extents[2] == 3);
static_assert(shape<10>::size == 10 && shape<10>::rank == 1);
static_assert(shape<>::size == 1 && shape<>::rank == 0 && shape<>::value == dims{});
static_assert(shape<1, 2, 3, 4, 5, 6>::size == 720 && shape<1, 2, 3, 4, 5, 6>::rank == 6);
static_assert(shape<224, 224, 3>::size == 150528);
static_assert(std::is_same_v<decltype(shape<2, 3>::size), const index_t>);

static_assert(shape<2, 3>{} == shape<2, 3>{});
static_assert(!(shape<2, 3>{} == shape<3, 2>{}));
static_assert(!(shape<6>{} == shape<2, 3>{}));     // same size, different rank
static_assert(!(shape<2, 3>{} == shape<2, 3, 1>{}));
static_assert(shape<>{} == shape<>{});
static_assert(typenet::is_shape_v<shape<1>> && typenet::is_shape_v<shape<>> && !typenet::is_shape_v<dims>);

// dims -> shape type (the macro the chain uses to turn plans back into types).
static_assert(std::is_same_v<TYPENET_SHAPE_OF(make_dims({26, 26, 32})), shape<26, 26, 32>>);
static_assert(std::is_same_v<TYPENET_SHAPE_OF(flatten_dims(make_dims({3, 3, 64}))), shape<576>>);
static_assert(std::is_same_v<TYPENET_SHAPE_OF(dims{}), shape<>>);
static_assert(std::is_same_v<TYPENET_SHAPE_OF(shape<1, 2, 3, 4, 5, 6>::value), shape<1, 2, 3, 4, 5, 6>>);

}  // namespace

TEST_SUITE("shape") {

TEST_CASE("window_output: valid floors, same is ceil") {
    CHECK(window_output(11, 2, 2, V) == 5);
    CHECK(window_output(11, 2, 2, S) == 6);
    CHECK(window_output(2, 3, 1, V) == 0);
    // Sweep against the closed forms.
    for (index_t in = 1; in <= 40; ++in)
        for (index_t k = 1; k <= 7; ++k)
            for (index_t s = 1; s <= 4; ++s) {
                CAPTURE(in);
                CAPTURE(k);
                CAPTURE(s);
                const index_t same = window_output(in, k, s, S);
                const index_t valid = window_output(in, k, s, V);
                REQUIRE(same * s >= in);         // ceil: covers the input ...
                REQUIRE((same - 1) * s < in);    // ... and no more than needed
                if (in < k) {
                    REQUIRE(valid == 0);
                } else {
                    REQUIRE((valid - 1) * s + k <= in);  // the last window fits ...
                    REQUIRE(valid * s + k > in);         // ... and one more would not
                }
            }
}

TEST_CASE("same padding: TensorFlow split, extra pixel after") {
    CHECK(pad_before(32, 3, 2, S) == 0);
    CHECK(pad_after(32, 3, 2, S) == 1);
    CHECK(pad_before(32, 4, 2, S) == 1);
    CHECK(pad_after(32, 4, 2, S) == 1);
    CHECK(pad_before(7, 4, 2, S) == 1);
    CHECK(pad_after(7, 4, 2, S) == 2);
    for (index_t in = 1; in <= 40; ++in)
        for (index_t k = 1; k <= 7; ++k)
            for (index_t s = 1; s <= 4; ++s) {
                CAPTURE(in);
                CAPTURE(k);
                CAPTURE(s);
                const index_t out = window_output(in, k, s, S);
                const index_t b = pad_before(in, k, s, S), a = pad_after(in, k, s, S);
                REQUIRE(b >= 0);
                REQUIRE((a == b || a == b + 1));  // never more before than after
                // The padded input holds exactly the windows TensorFlow computes, or more (padding
                // is never negative: when the windows already fit, no padding at all).
                const index_t need = (out - 1) * s + k - in;
                REQUIRE(a + b == (need > 0 ? need : 0));
                REQUIRE(pad_total(in, k, s, V) == 0);
            }
}

TEST_CASE("window_tiles_exactly") {
    CHECK_FALSE(window_tiles_exactly(10, 3, 2, V));
    CHECK(window_tiles_exactly(11, 3, 2, V));
    CHECK(window_tiles_exactly(7, 4, 2, S));
    for (index_t in = 1; in <= 30; ++in)
        for (index_t k = 1; k <= in; ++k) {
            CAPTURE(in);
            CAPTURE(k);
            REQUIRE(window_tiles_exactly(in, k, 1, V));  // stride 1 tiles whenever it fits
            REQUIRE(window_tiles_exactly(in, k, 2, V) == ((in - k) % 2 == 0));
        }
}

TEST_CASE("flatten and shape values") {
    CHECK(flatten_dims(shape<5, 5, 64>::value) == make_dims({1600}));
    CHECK(shape<5, 5, 64>::size == 1600);
    CHECK(shape<5, 5, 64>::rank == 3);
    CHECK(shape<5, 5, 64>::value[1] == 5);
    CHECK(shape<4, 4>{} == shape<4, 4>{});
    CHECK_FALSE(shape<4, 4>{} == shape<16>{});
    CHECK_FALSE(shape<4, 4>{} == shape<4, 2>{});
}

}  // TEST_SUITE
