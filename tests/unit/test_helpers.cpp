// The public helpers a Keras user reaches for: x.slice(a, b) (numpy's x[a:b], a view, no copy),
// argmax of a prediction (np.argmax), load_npy for arrays saved with np.save, and fit / evaluate /
// predict on slices.
#include <doctest/doctest.h>

#include "temp_files.hpp"
#include <typenet/io/datasets.hpp>
#include <typenet/typenet.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <utility>
#include <filesystem>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
namespace tn = typenet;

namespace {
tn::batch<float, tn::shape<2>> numbered(tn::index_t n) {  // sample i holds (2 i, 2 i + 1)
    tn::batch<float, tn::shape<2>> x(n);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i);
    return x;
}
fs::path temp_file(const std::string& name) {
    return typenet_test::process_temp_file("typenet_helper_tests", name);
}
}  // namespace

TEST_CASE("slice: numpy's x[a:b] as a view") {
    auto x = numbered(10);
    auto first3 = x.slice(0, 3);  // x[:3]
    static_assert(std::is_same_v<decltype(first3), tn::tensor_view<float, tn::shape<2>>>);
    CHECK(first3.samples() == 3);
    CHECK(first3.data() == x.data());  // no copy
    const auto last2 = x.slice(-2);    // x[-2:]
    CHECK(last2.samples() == 2);
    CHECK(last2[0] == 16.0f);
    CHECK(x.slice(5, 100).samples() == 5);  // clipped, as in Python
    CHECK(x.slice(7, 3).samples() == 0);
    CHECK(x.slice(-100, 2).samples() == 2);
    CHECK(x.slice(2, -5).samples() == 3);  // x[2:-5]: samples 2, 3, 4
    CHECK(x.slice(2, -5)[0] == 4.0f);
    // Writing through a slice writes the batch.
    x.slice(1, 2).fill(-1.0f);
    CHECK(x[2] == -1.0f);
    CHECK(x[3] == -1.0f);
    CHECK(x[4] == 4.0f);
    // A const batch gives a view of const elements; a view can be sliced again.
    const auto& cx = x;
    static_assert(std::is_same_v<decltype(cx.slice(0, 1)), tn::tensor_view<const float, tn::shape<2>>>);
    CHECK(x.view().slice(8).slice(1)[0] == 18.0f);
    tn::batch<float, tn::shape<2>> empty;
    CHECK(empty.slice(0, 10).samples() == 0);
}

TEST_CASE("argmax: the class of a prediction") {
    tn::tensor<float, tn::shape<4>> p{0.1f, 0.5f, 0.2f, 0.5f};
    CHECK(tn::argmax(p) == 1);  // ties: the first, as np.argmax
    tn::batch<float, tn::shape<3>> probs(3);
    const float v[] = {0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f, 0.3f, 0.4f, 0.3f};
    std::copy(std::begin(v), std::end(v), probs.data());
    CHECK(tn::argmax(probs, 1) == 2);
    CHECK(tn::argmax(probs.view(), 2) == 1);
    CHECK(tn::argmax(probs) == std::vector<std::int32_t>{0, 2, 1});
    CHECK(tn::argmax(probs.slice(1)) == std::vector<std::int32_t>{2, 1});
}

TEST_CASE("load_npy: arrays saved with np.save") {
    // x: (3, 2, 2) uint8, the (n, H, W) layout of Keras' MNIST, into samples of shape<2, 2, 1>.
    const std::vector<std::uint8_t> pixels = {0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252};
    const fs::path xp = temp_file("x.npy");
    REQUIRE(tn::io::write_npy(xp, tn::io::make_npy<std::uint8_t>("x", {3, 2, 2}, pixels.data())).ok());
    tn::batch<float, tn::shape<2, 2, 1>> x;
    REQUIRE(tn::data::load_npy(xp, x).ok());
    CHECK(x.samples() == 3);
    CHECK(x[4] == 10.0f);
    CHECK(x[8] == 255.0f);
    tn::batch<double, tn::shape<4>> flat;  // (3, 2, 2) is not (n, 4)
    const tn::status bad = tn::data::load_npy(xp, flat);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message() == xp.string() + ": array of shape (3, 2, 2) does not hold samples of shape<4> (expected (n, 4); "
                                         "axes of extent 1 may be left out)");
    CHECK(flat.samples() == 0);  // untouched

    // y: (3,) int64 class indices; floats with integer values load too.
    const std::vector<std::int64_t> labels = {7, 0, 3};
    const fs::path yp = temp_file("y.npy");
    REQUIRE(tn::io::write_npy(yp, tn::io::make_npy<std::int64_t>("y", {3}, labels.data())).ok());
    std::vector<std::int32_t> y;
    REQUIRE(tn::data::load_npy(yp, y).ok());
    CHECK(y == std::vector<std::int32_t>{7, 0, 3});
    const std::vector<float> fl = {1.0f, 2.5f};
    REQUIRE(tn::io::write_npy(yp, tn::io::make_npy<float>("y", {2}, fl.data())).ok());
    const tn::status notint = tn::data::load_npy(yp, y);
    REQUIRE_FALSE(notint.ok());
    CHECK(notint.message().find("value 2.500000 at index 1 is not a class index") != std::string::npos);
    CHECK(y.size() == 3);  // untouched
    CHECK_FALSE(tn::data::load_npy(xp, y).ok());  // (3, 2, 2) is not a list of indices
    CHECK(tn::data::load_npy(temp_file("missing.npy"), y).message().find("missing.npy") != std::string::npos);
    fs::remove(xp);
    fs::remove(yp);
}

TEST_CASE("load_npy: byte orders, Fortran order and narrow dtypes convert as numpy does; bad files change nothing") {
    // (3, 2, 2) float32 holding 0, 1, ..., 11 in C order, written in each of the ways numpy can.
    std::vector<float> v(12);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i) - 4.0f;
    const fs::path p = temp_file("forms.npy");
    auto load = [&](const tn::io::npy_array& a) {
        REQUIRE(tn::io::write_npy(p, a).ok());
        tn::batch<float, tn::shape<2, 2>> x;
        const tn::status s = tn::data::load_npy(p, x);
        return std::make_pair(s, std::vector<float>(x.data(), x.data() + x.size()));
    };
    SUBCASE("big-endian float32") {
        auto a = tn::io::make_npy<float>("x", {3, 2, 2}, v.data());
        a.descr = ">f4";
        for (std::size_t i = 0; i < a.data.size(); i += 4) std::reverse(a.data.begin() + std::ptrdiff_t(i), a.data.begin() + std::ptrdiff_t(i + 4));
        const auto [s, got] = load(a);
        REQUIRE(s.ok());
        CHECK(got == v);
    }
    SUBCASE("Fortran order") {
        std::vector<float> f(12);  // element (i, j, k) at i + 3 (j + 2 k)
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 2; ++j)
                for (int k = 0; k < 2; ++k) f[std::size_t(i + 3 * (j + 2 * k))] = v[std::size_t((i * 2 + j) * 2 + k)];
        auto a = tn::io::make_npy<float>("x", {3, 2, 2}, f.data());
        a.fortran_order = true;
        const auto [s, got] = load(a);
        REQUIRE(s.ok());
        CHECK(got == v);
    }
    SUBCASE("int8 and float16") {
        std::vector<std::int8_t> i8(v.begin(), v.end());
        const auto [s, got] = load(tn::io::make_npy<std::int8_t>("x", {3, 2, 2}, i8.data()));
        REQUIRE(s.ok());
        CHECK(got == v);
        auto h = tn::io::make_npy<std::uint16_t>("x", {3, 2, 2}, std::vector<std::uint16_t>(12, 0x3c00).data());  // 1.0
        h.descr = "<f2";
        const auto [s2, ones] = load(h);
        REQUIRE(s2.ok());
        CHECK(ones == std::vector<float>(12, 1.0f));
    }
    SUBCASE("bool is refused, naming the dtype") {
        auto b = tn::io::make_npy<std::uint8_t>("x", {3, 2, 2}, std::vector<std::uint8_t>(12, 1).data());
        b.descr = "|b1";
        const auto [s, got] = load(b);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message().find("forms.npy") != std::string::npos);
        CHECK(s.message().find("bool") != std::string::npos);
        CHECK(got.empty());
    }
    SUBCASE("an empty array is a batch of no samples; a 0-d array is refused") {
        const float none = 0;
        const auto [s, got] = load(tn::io::make_npy<float>("x", {0, 2, 2}, &none));
        REQUIRE(s.ok());
        CHECK(got.empty());
        const auto [s0, got0] = load(tn::io::make_npy<float>("x", {}, &none));
        REQUIRE_FALSE(s0.ok());
        CHECK(s0.message().find("0-d array") != std::string::npos);
    }
    SUBCASE("truncated and oversized files: an error naming the file; the batch untouched") {
        REQUIRE(tn::io::write_npy(p, tn::io::make_npy<float>("x", {3, 2, 2}, v.data())).ok());
        std::ifstream in(p, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        in.close();
        tn::batch<float, tn::shape<2, 2>> x(1);
        x[0] = 42.0f;
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(n));
            const tn::status s = tn::data::load_npy(p, x);
            REQUIRE_FALSE(s.ok());
            CHECK(s.message().rfind(p.string(), 0) == 0);
        }
        std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes << "extra";
        const tn::status s = tn::data::load_npy(p, x);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message() == p.string() + ": 5 unexpected bytes after the array data (shape (3, 2, 2) of '<f4' needs 48)");
        CHECK(x.samples() == 1);
        CHECK(x[0] == 42.0f);
    }
    fs::remove(p);
}

TEST_CASE("fit, evaluate and predict take slices and spans of labels") {
    using net = tn::sequential<tn::input<2>, tn::dense<4, tn::relu>, tn::dense<2, tn::softmax>>;
    auto x = numbered(12);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = x[i] / 24.0f;
    const std::vector<std::int32_t> y = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};

    // Training on x.slice(0, 8) is training on a copy of those 8 samples.
    auto a = tn::make_model<net>(5);
    auto b = tn::make_model<net>(5);
    a.compile(tn::sgd{.learning_rate = 0.5}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    b.compile(tn::sgd{.learning_rate = 0.5}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    tn::batch<float, tn::shape<2>> copy(8);
    std::copy(x.begin(), x.begin() + 16, copy.begin());
    const std::vector<std::int32_t> ycopy(y.begin(), y.begin() + 8);
    const auto ha = a.fit(x.slice(0, 8), std::span(y).first(8),
                          {.epochs = 2, .batch_size = 4, .validation = {x.slice(8), std::span(y).subspan(8)}, .verbose = 0});
    const auto hb = b.fit(copy, ycopy, {.epochs = 2, .batch_size = 4, .verbose = 0});
    REQUIRE(ha.error().ok());
    REQUIRE(hb.error().ok());
    CHECK(ha["loss"] == hb["loss"]);
    CHECK(ha.has("val_loss"));
    const auto wa = a.parameters(), wb = b.parameters();
    CHECK(std::vector<float>(wa.begin(), wa.end()) == std::vector<float>(wb.begin(), wb.end()));

    const auto e = a.evaluate(x.slice(8), std::span(y).subspan(8));
    CHECK(e.error.ok());
    CHECK(a.evaluate(x.slice(8), std::span(y).subspan(7)).error.message() ==
          "typenet::evaluate: x holds 4 samples but y holds 5");
    const auto p = a.predict(x.slice(0, 5), 2);
    CHECK(p.samples() == 5);
    CHECK(tn::argmax(p).size() == 5);
}
