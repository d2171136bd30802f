// Tests for typenet/train/augment.hpp: exact geometric transforms through detail::affine_of and
// detail::affine_sample, and augment()'s seeded determinism, ranges and value bounds. The last
// test augments images loaded from a folder (this file and test_datasets.cpp both include
// image_folder.hpp, which also checks that two translation units with stb_image link together).
#include <doctest/doctest.h>

#include <typenet/io/image_folder.hpp>
#include <typenet/train/augment.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

namespace fs = std::filesystem;
namespace td = typenet::data;
using typenet::batch;
using typenet::index_t;
using typenet::shape;
using typenet::tensor_view;

namespace {

// Element (r, c, k) of sample n of a batch of (H, W, C) samples, and the start of sample n.
template <class T, class S>
T px(const batch<T, S>& b, index_t n, index_t r, index_t c, index_t k) {
    return b[n * S::size + (r * S::extents[1] + c) * S::extents[2] + k];
}
template <class T, class S>
const T* first(const batch<T, S>& b, index_t n) {
    return b.data() + n * S::size;
}

template <class S>
batch<float, S> random_images(index_t n, std::uint64_t seed) {
    batch<float, S> x(n);
    std::mt19937_64 g(seed);
    for (float& v : x) v = float(double(g() >> 11) * 0x1.0p-53);
    return x;
}

template <class S>
batch<float, S> transformed(const batch<float, S>& in, const td::detail::transform_params& t) {
    batch<float, S> out(in.samples());
    td::detail::affine_sample<float, S>(in.view(), out.view(), td::detail::affine_of(t, S::extents[0], S::extents[1]));
    return out;
}

template <class S>
bool equal(const batch<float, S>& a, const batch<float, S>& b) {
    return a.samples() == b.samples() && std::equal(a.begin(), a.end(), b.begin());
}

td::augment_options everything() {
    td::augment_options o;
    o.horizontal_flip = true;
    o.rotation_degrees = 30;
    o.width_shift = 0.2;
    o.height_shift = 0.2;
    o.zoom = 0.2;
    o.shear_degrees = 10;
    o.brightness = 0.3;
    o.contrast = 0.5;
    return o;
}

}  // namespace

TEST_CASE("augment: with every option off the output equals the input exactly") {
    using S = shape<5, 7, 3>;
    const auto in = random_images<S>(4, 1);
    batch<float, S> out(4);
    std::mt19937_64 rng(7);
    td::augment(in, out, td::augment_options{}, rng);
    CHECK(equal(in, out));
    td::detail::transform_params none;
    CHECK(td::detail::affine_of(none, 5, 7).is_identity());
    CHECK(equal(transformed(in, none), in));  // the resampler itself is exact on the identity
}

TEST_CASE("augment: a horizontal flip mirrors columns, and twice is the input") {
    using S = shape<3, 4, 2>;
    const auto in = random_images<S>(2, 2);
    td::detail::transform_params flip;
    flip.flip = true;
    const auto once = transformed(in, flip);
    for (index_t n = 0; n < 2; ++n)
        for (index_t r = 0; r < 3; ++r)
            for (index_t c = 0; c < 4; ++c)
                for (index_t k = 0; k < 2; ++k) CHECK(px(once, n, r, c, k) == px(in, n, r, 3 - c, k));
    CHECK(equal(transformed(once, flip), in));

    // Through augment: every sample is either the input or its mirror, and both happen.
    const auto many = random_images<S>(64, 3);
    batch<float, S> out(64);
    td::augment_options o;
    o.horizontal_flip = true;
    std::mt19937_64 rng(11);
    td::augment(many, out, o, rng);
    const auto mirrored = transformed(many, flip);
    int flipped = 0, kept = 0;
    for (index_t n = 0; n < 64; ++n) {
        const bool same = std::equal(first(out, n), first(out, n) + S::size, first(many, n));
        const bool mirror = std::equal(first(out, n), first(out, n) + S::size, first(mirrored, n));
        CHECK((same || mirror));
        flipped += mirror;
        kept += same;
    }
    CHECK(flipped > 16);
    CHECK(kept > 16);
}

TEST_CASE("augment: a whole-pixel shift moves content by that many pixels; edges fill with the nearest pixel") {
    using S = shape<4, 6, 1>;
    const auto in = random_images<S>(1, 4);
    td::detail::transform_params right;
    right.shift_cols = 1;
    const auto r = transformed(in, right);
    for (index_t y = 0; y < 4; ++y) {
        for (index_t x = 1; x < 6; ++x) CHECK(px(r, 0, y, x, 0) == px(in, 0, y, x - 1, 0));
        CHECK(px(r, 0, y, 0, 0) == px(in, 0, y, 0, 0));  // 'nearest' fill
    }
    td::detail::transform_params up;
    up.shift_rows = -2;
    const auto u = transformed(in, up);
    for (index_t y = 0; y < 4; ++y)
        for (index_t x = 0; x < 6; ++x) CHECK(px(u, 0, y, x, 0) == px(in, 0, std::min<index_t>(y + 2, 3), x, 0));

    // Half a pixel: bilinear, the mean of two neighbours.
    td::detail::transform_params half;
    half.shift_cols = 0.5;
    const auto h = transformed(in, half);
    for (index_t y = 0; y < 4; ++y)
        for (index_t x = 1; x < 6; ++x)
            CHECK(px(h, 0, y, x, 0) ==
                  doctest::Approx((px(in, 0, y, x - 1, 0) + px(in, 0, y, x, 0)) / 2).epsilon(1e-6));
}

TEST_CASE("augment: quarter turns rotate a small asymmetric image exactly (positive = counter-clockwise)") {
    using S = shape<3, 3, 2>;
    batch<float, S> in(1);
    for (int i = 0; i < 9; ++i) {
        in[2 * i] = float(i + 1) / 10;       // channel 0: 1 2 3 / 4 5 6 / 7 8 9
        in[2 * i + 1] = float(i + 1) / 100;  // channel 1: the same / 100
    }
    auto image = [](const batch<float, S>& b, int k) {
        std::vector<int> v;
        for (int i = 0; i < 9; ++i) v.push_back(int(std::lround(b[2 * i + k] * (k == 0 ? 10 : 100))));
        return v;
    };
    td::detail::transform_params t;
    t.rotation_degrees = 90;
    const auto ccw = transformed(in, t);
    CHECK(image(ccw, 0) == std::vector<int>{3, 6, 9, 2, 5, 8, 1, 4, 7});  // numpy.rot90
    CHECK(image(ccw, 1) == std::vector<int>{3, 6, 9, 2, 5, 8, 1, 4, 7});
    for (int i = 0; i < 18; ++i) {  // exact values, not only after rounding
        const int src[9] = {2, 5, 8, 1, 4, 7, 0, 3, 6};
        CHECK(ccw[i] == in[2 * src[i / 2] + i % 2]);
    }
    t.rotation_degrees = -90;
    CHECK(image(transformed(in, t), 0) == std::vector<int>{7, 4, 1, 8, 5, 2, 9, 6, 3});
    t.rotation_degrees = 180;
    CHECK(image(transformed(in, t), 0) == std::vector<int>{9, 8, 7, 6, 5, 4, 3, 2, 1});
    t.rotation_degrees = 360;
    CHECK(equal(transformed(in, t), in));
    t.rotation_degrees = 90;
    CHECK(equal(transformed(transformed(transformed(transformed(in, t), t), t), t), in));

    // An even size turns about the centre between pixels, still exactly.
    using E = shape<4, 4, 1>;
    const auto e = random_images<E>(1, 5);
    const auto e90 = transformed(e, t);
    for (index_t r = 0; r < 4; ++r)
        for (index_t c = 0; c < 4; ++c) CHECK(px(e90, 0, r, c, 0) == px(e, 0, c, 3 - r, 0));

    // Any angle keeps the centre pixel of an odd-sized image.
    using O = shape<5, 5, 1>;
    const auto o = random_images<O>(1, 6);
    t.rotation_degrees = 37;
    CHECK(px(transformed(o, t), 0, 2, 2, 0) == doctest::Approx(px(o, 0, 2, 2, 0)).epsilon(1e-6));
    t = {};
    t.zoom_rows = t.zoom_cols = 0.5;
    const auto z = transformed(o, t);
    CHECK(px(z, 0, 2, 2, 0) == px(o, 0, 2, 2, 0));
    CHECK(px(z, 0, 0, 0, 0) == px(o, 0, 1, 1, 0));  // 0.5 x (0 - 2) + 2 = 1: zoomed in
}

TEST_CASE("augment: the same seed gives the same output, different seeds differ, values stay in [0, 1]") {
    using S = shape<8, 8, 3>;
    const auto in = random_images<S>(16, 8);
    batch<float, S> a(16), b(16), c(16);
    std::mt19937_64 r1(42), r2(42), r3(43);
    td::augment(in, a, everything(), r1);
    td::augment(in, b, everything(), r2);
    td::augment(in, c, everything(), r3);
    CHECK(equal(a, b));
    CHECK_FALSE(equal(a, c));
    CHECK_FALSE(equal(a, in));
    for (const auto* x : {&a, &c})
        for (float v : *x) {
            CHECK(v >= 0.0f);
            CHECK(v <= 1.0f);
        }
    // Samples get different transforms within one call, and the generator moves on between calls.
    batch<float, S> same(2), next(16);
    std::copy(first(in, 0), first(in, 0) + S::size, same.begin());
    std::copy(first(in, 0), first(in, 0) + S::size, same.begin() + S::size);
    batch<float, S> same_out(2);
    td::augment(same, same_out, everything(), r1);
    CHECK_FALSE(std::equal(first(same_out, 0), first(same_out, 0) + S::size, first(same_out, 1)));
    td::augment(in, next, everything(), r2);
    CHECK_FALSE(equal(next, a));

    // augmenter owns the options and the generator.
    td::augmenter aug(everything(), 42);
    batch<float, S> d(16);
    aug(in, d);
    CHECK(equal(a, d));
    aug.seed(42);
    batch<float, S> e(16);
    aug(tensor_view<const float, S>(in.data(), 16), e.view());
    CHECK(equal(a, e));
}

TEST_CASE("augment: brightness adds one offset per sample, contrast keeps a flat image, both clamp to [0, 1]") {
    using S = shape<4, 4, 2>;
    batch<float, S> in(8);
    for (index_t i = 0; i < in.size(); ++i) in[i] = 0.4f + 0.2f * float(i % 7) / 6;  // within [0.4, 0.6]
    batch<float, S> out(8);
    td::augment_options o;
    o.brightness = 0.3;
    std::mt19937_64 rng(1);
    td::augment(in, out, o, rng);
    for (index_t n = 0; n < 8; ++n) {
        const double delta = double(first(out, n)[0]) - double(first(in, n)[0]);
        CHECK(std::abs(delta) <= 0.3);
        for (index_t i = 0; i < S::size; ++i)
            CHECK(double(first(out, n)[i]) - double(first(in, n)[i]) == doctest::Approx(delta).epsilon(1e-5));
    }
    o.brightness = 1;
    td::augment(in, out, o, rng);
    for (float v : out) CHECK((v >= 0.0f && v <= 1.0f));

    batch<float, S> flat(3);
    flat.fill(0.25f);
    batch<float, S> flat_out(3);
    td::augment_options c;
    c.contrast = 0.9;
    td::augment(flat, flat_out, c, rng);
    for (float v : flat_out) CHECK(v == doctest::Approx(0.25f));
    td::augment(in, out, c, rng);
    CHECK_FALSE(equal(in, out));
    for (float v : out) CHECK((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("augment: draws stay inside their ranges; shifts below 1 are fractions, from 1 pixels") {
    std::mt19937_64 rng(5);
    td::augment_options o;
    o.rotation_degrees = 20;
    o.width_shift = 0.25;  // of W = 40: up to 10 pixels
    o.height_shift = 3;    // pixels
    o.zoom = 0.1;
    o.shear_degrees = 5;
    double max_shift_c = 0, max_shift_r = 0;
    for (int i = 0; i < 2000; ++i) {
        const auto t = td::detail::draw(o, 30, 40, rng);
        CHECK(std::abs(t.rotation_degrees) <= 20);
        CHECK(std::abs(t.shear_degrees) <= 5);
        CHECK((t.zoom_rows >= 0.9 && t.zoom_rows <= 1.1 && t.zoom_cols >= 0.9 && t.zoom_cols <= 1.1));
        CHECK(!t.flip);
        max_shift_c = std::max(max_shift_c, std::abs(t.shift_cols));
        max_shift_r = std::max(max_shift_r, std::abs(t.shift_rows));
    }
    CHECK(max_shift_c <= 10);
    CHECK(max_shift_c > 9);
    CHECK(max_shift_r <= 3);
    CHECK(max_shift_r > 2.9);
}

TEST_CASE("augment: images from a folder, augmented per training batch") {
    const fs::path root = fs::temp_directory_path() / "typenet_data_tests" /
                          ("augment_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(root / "a");
    // A 2 x 2 24-bit BMP (rows bottom-up, each padded to 4 bytes) written by hand.
    const unsigned char bmp[] = {'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,                    // file header
                                 40, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0,   // info header
                                 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 255, 0, 255, 0, 0, 0,       // bottom row: red, green (BGR), pad
                                 255, 0, 0, 255, 255, 255, 0, 0};  // top row: blue, white, pad
    {
        std::ofstream f(root / "a" / "x.bmp", std::ios::binary);
        f.write(reinterpret_cast<const char*>(bmp), sizeof bmp);
    }
    td::labeled<float, shape<2, 2, 3>> d;
    const auto s = td::load_image_folder(root, d);
    std::error_code ec;
    fs::remove_all(root, ec);
    REQUIRE_MESSAGE(s.ok(), s.message());
    const float want[12] = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0};  // blue, white / red, green
    for (int i = 0; i < 12; ++i) CHECK(d.x[i] == want[i]);
    batch<float, shape<2, 2, 3>> out(1);
    td::augmenter aug(everything(), 3);
    aug(d.x, out);
    for (float v : out) CHECK((v >= 0.0f && v <= 1.0f));
}
