// Weights in and out: Keras get_weights() order, npz round trips, and every way a load can fail --
// each error names the file, the array, the layer and both shapes, and leaves the model unchanged.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "temp_files.hpp"
#include <typenet/typenet.hpp>

namespace tn = typenet;
namespace fs = std::filesystem;

namespace {
using net = tn::sequential<tn::input<6, 6, 2>, tn::conv2d<3, tn::kernel<3>, tn::relu>, tn::batch_norm<>,
                           tn::flatten, tn::dense<4, tn::softmax>>;

fs::path temp_path(const std::string& name) {
    return typenet_test::process_temp_file("typenet_test_weights", name);
}

std::vector<float> snapshot(const tn::model<net>& m) { return {m.parameters().begin(), m.parameters().end()}; }

std::vector<tn::io::npy_array> arrays_of(const tn::model<net>& m) {
    std::vector<tn::io::npy_array> a;
    const auto ws = m.get_weights();
    for (std::size_t i = 0; i < ws.size(); ++i)
        a.push_back(tn::io::make_npy<float>("arr_" + std::to_string(i),
                                            std::vector<std::int64_t>(ws[i].shape.begin(), ws[i].shape.end()),
                                            ws[i].values.data()));
    return a;
}
}  // namespace

TEST_CASE("get_weights follows Keras' order, names and layouts") {
    tn::model<net> m(7);
    const auto ws = m.get_weights();
    REQUIRE(ws.size() == 8);
    CHECK(ws[0].layer == "conv2d");
    CHECK(ws[0].name == "kernel");
    CHECK(ws[0].shape == std::vector<tn::index_t>{3, 3, 2, 3});
    CHECK(ws[1].name == "bias");
    CHECK(ws[2].layer == "batch_normalization");
    CHECK(ws[2].name == "gamma");
    CHECK(ws[5].name == "moving_variance");
    CHECK(ws[6].layer == "dense");
    CHECK(ws[6].shape == std::vector<tn::index_t>{48, 4});
    // Keras' initialisers: zero bias, BN gamma 1 / beta 0 / mean 0 / variance 1, glorot kernels.
    for (float v : ws[1].values) CHECK(v == 0.0f);
    for (float v : ws[2].values) CHECK(v == 1.0f);
    for (float v : ws[5].values) CHECK(v == 1.0f);
    const double limit = std::sqrt(6.0 / (48 + 4));
    bool nonzero = false;
    for (float v : ws[6].values) {
        CHECK(std::abs(v) <= limit);
        nonzero = nonzero || v != 0.0f;
    }
    CHECK(nonzero);
}

TEST_CASE("save_npz / load_npz round trip, and set_weights") {
    tn::model<net> a(1), b(2);
    CHECK(snapshot(a) != snapshot(b));
    const fs::path p = temp_path("round_trip.npz");
    REQUIRE(a.save_npz(p).ok());
    REQUIRE(b.load_npz(p).ok());
    CHECK(snapshot(a) == snapshot(b));

    tn::model<net> c(3);
    REQUIRE(c.set_weights(a.get_weights()).ok());
    CHECK(snapshot(c) == snapshot(a));

    // Members may come in any order when they are numbered arr_N (np.savez's names).
    auto arrays = arrays_of(a);
    std::swap(arrays[0], arrays[5]);
    const fs::path shuffled = temp_path("shuffled.npz");
    REQUIRE(tn::io::write_npz(shuffled, arrays).ok());
    tn::model<net> d(4);
    REQUIRE(d.load_npz(shuffled).ok());
    CHECK(snapshot(d) == snapshot(a));
}

TEST_CASE("typed weight access") {
    tn::model<net> m(5);
    tn::tensor<float, tn::shape<3>> bias{1.0f, 2.0f, 3.0f};
    m.set_weight<0, 1>(bias);  // conv2d's bias
    CHECK(m.get_weights()[1].values == std::vector<float>{1.0f, 2.0f, 3.0f});
    const auto k = m.get_weight<3, 0>();  // dense kernel: heap_tensor<float, shape<48, 4>>
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(k)>, tn::heap_tensor<float, tn::shape<48, 4>>>);
    CHECK(k[0] == m.get_weights()[6].values[0]);
}

TEST_CASE("a failed load names the problem and leaves the model unchanged") {
    tn::model<net> m(11);
    const auto before = snapshot(m);
    const auto good = arrays_of(tn::model<net>(12));

    SUBCASE("wrong number of arrays") {
        auto arrays = good;
        arrays.pop_back();
        const fs::path p = temp_path("too_few.npz");
        REQUIRE(tn::io::write_npz(p, arrays).ok());
        const tn::status s = m.load_npz(p);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message().find("too_few.npz") != std::string::npos);
        CHECK(s.message().find("expected 8 arrays") != std::string::npos);
        CHECK(s.message().find("found 7") != std::string::npos);
    }
    SUBCASE("wrong shape: the error names the layer, the array and both shapes") {
        auto arrays = good;
        std::vector<float> wrong(48 * 5, 0.5f);
        arrays[6] = tn::io::make_npy<float>("arr_6", {48, 5}, wrong.data());
        const fs::path p = temp_path("bad_shape.npz");
        REQUIRE(tn::io::write_npz(p, arrays).ok());
        const tn::status s = m.load_npz(p);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message() ==
              p.string() +
                  ": array 'arr_6' (get_weights()[6]) for layer dense (Dense) kernel: expected shape (48, 4), "
                  "got (48, 5); model unchanged");
    }
    SUBCASE("wrong dtype") {
        auto arrays = good;
        std::vector<std::int64_t> ints(3, 1);
        tn::io::npy_array a = tn::io::make_npy<float>("arr_1", {3}, std::vector<float>(3).data());
        a.descr = "<i8";
        a.data.assign(reinterpret_cast<const unsigned char*>(ints.data()),
                      reinterpret_cast<const unsigned char*>(ints.data() + 3));
        arrays[1] = a;
        const fs::path p = temp_path("bad_dtype.npz");
        REQUIRE(tn::io::write_npz(p, arrays).ok());
        const tn::status s = m.load_npz(p);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message().find("conv2d (Conv2D) bias") != std::string::npos);
        CHECK(s.message().find("<i8") != std::string::npos);
    }
    SUBCASE("float64 arrays are converted") {
        std::vector<tn::io::npy_array> arrays;
        const auto ws = tn::model<net>(12).get_weights();
        for (std::size_t i = 0; i < ws.size(); ++i) {
            std::vector<double> v(ws[i].values.begin(), ws[i].values.end());
            arrays.push_back(tn::io::make_npy<double>("arr_" + std::to_string(i),
                                                      std::vector<std::int64_t>(ws[i].shape.begin(), ws[i].shape.end()),
                                                      v.data()));
        }
        const fs::path p = temp_path("f64.npz");
        REQUIRE(tn::io::write_npz(p, arrays).ok());
        REQUIRE(m.load_npz(p).ok());
        CHECK(snapshot(m) == snapshot(tn::model<net>(12)));
        return;
    }
    SUBCASE("NaN or infinity in a weight: the error names the layer, the array and the element") {
        for (const float bad : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
            auto arrays = good;
            std::vector<float> v(48 * 4, 0.25f);
            v[2 * 4 + 3] = bad;
            arrays[6] = tn::io::make_npy<float>("arr_6", {48, 4}, v.data());
            const fs::path p = temp_path("nan.npz");
            REQUIRE(tn::io::write_npz(p, arrays).ok());
            const tn::status s = m.load_npz(p);
            REQUIRE_FALSE(s.ok());
            CHECK(s.message() == p.string() + ": array 'arr_6' (get_weights()[6]) for layer dense (Dense) kernel (48, 4): "
                                              "value [2, 3] is " + (bad != bad ? "NaN" : "infinite") + "; model unchanged");
        }
    }
    SUBCASE("an empty array where a layer needs values") {
        auto arrays = good;
        const float none = 0;
        arrays[1] = tn::io::make_npy<float>("arr_1", {0}, &none);
        const fs::path p = temp_path("empty.npz");
        REQUIRE(tn::io::write_npz(p, arrays).ok());
        const tn::status s = m.load_npz(p);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message() == p.string() + ": array 'arr_1' (get_weights()[1]) for layer conv2d (Conv2D) bias: "
                                          "expected shape (3,), got (0,); model unchanged");
    }
    SUBCASE("int8 and float16 arrays are refused, with the dtype named") {
        for (const char* descr : {"|i1", "<f2"}) {
            auto arrays = good;
            tn::io::npy_array a = arrays[1];  // three values
            a.descr = descr;
            a.data.assign(std::size_t(descr[2] - '0') * 3, 0);
            arrays[1] = a;
            const fs::path p = temp_path("narrow.npz");
            REQUIRE(tn::io::write_npz(p, arrays).ok());
            const tn::status s = m.load_npz(p);
            REQUIRE_FALSE(s.ok());
            CHECK(s.message() == p.string() + ": array 'arr_1' (get_weights()[1]) for layer conv2d (Conv2D) bias: dtype '" +
                                     descr + "' is not float32/float64; model unchanged");
        }
    }
    SUBCASE("oversized: an extra array, an array larger than its layer's") {
        auto extra = good;
        extra.push_back(good[7]);
        extra.back().name = "arr_8";
        const fs::path p = temp_path("oversized.npz");
        REQUIRE(tn::io::write_npz(p, extra).ok());
        CHECK(m.load_npz(p).message() == p.string() + ": expected 8 arrays (Keras get_weights() order) but found 9; model unchanged");

        auto larger = good;
        const std::vector<float> big(49 * 4, 0.5f);
        larger[6] = tn::io::make_npy<float>("arr_6", {49, 4}, big.data());
        REQUIRE(tn::io::write_npz(p, larger).ok());
        CHECK(m.load_npz(p).message().find("dense (Dense) kernel: expected shape (48, 4), got (49, 4); model unchanged") !=
              std::string::npos);

    }
    SUBCASE("set_weights: values that do not fill their shape are refused before they are read") {
        auto ws = tn::model<net>(12).get_weights();
        ws[6].values = std::vector<float>(10, 0.5f);  // a 10-value allocation; the shape still says (48, 4)
        const tn::status s = m.set_weights(ws);
        REQUIRE_FALSE(s.ok());
        CHECK(s.message() == "set_weights: array 6 holds 10 values but its shape (48, 4) needs 192; model unchanged");
        ws = tn::model<net>(12).get_weights();
        ws[7].values[2] = std::numeric_limits<float>::infinity();
        const tn::status inf = m.set_weights(ws);
        REQUIRE_FALSE(inf.ok());
        CHECK(inf.message() == "set_weights: array 'arr_7' (get_weights()[7]) for layer dense (Dense) bias (4,): "
                               "value [2] is infinite; model unchanged");
    }
    SUBCASE("big-endian and Fortran-order arrays are read as numpy reads them") {
        auto arrays = arrays_of(tn::model<net>(12));
        // The dense kernel (48, 4) big-endian, the conv kernel (3, 3, 2, 3) in Fortran order.
        tn::io::npy_array& k = arrays[6];
        k.descr = ">f4";
        for (std::size_t i = 0; i + 4 <= k.data.size(); i += 4) std::reverse(k.data.begin() + std::ptrdiff_t(i),
                                                                              k.data.begin() + std::ptrdiff_t(i + 4));
        tn::io::npy_array& c = arrays[0];
        const std::vector<float> cv(reinterpret_cast<const float*>(c.data.data()),
                                    reinterpret_cast<const float*>(c.data.data()) + 54);
        std::vector<float> f(54);  // element (a, b, d, e) of C order at a + 3 (b + 3 (d + 2 e))
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b)
                for (int d = 0; d < 2; ++d)
                    for (int e = 0; e < 3; ++e)
                        f[std::size_t(a + 3 * (b + 3 * (d + 2 * e)))] = cv[std::size_t(((a * 3 + b) * 2 + d) * 3 + e)];
        c = tn::io::make_npy<float>("arr_0", {3, 3, 2, 3}, f.data());
        c.fortran_order = true;
        const fs::path p = temp_path("byte_order.npz");
        REQUIRE(tn::io::write_npz(p, arrays).ok());
        REQUIRE(m.load_npz(p).ok());
        CHECK(snapshot(m) == snapshot(tn::model<net>(12)));
        return;
    }
    SUBCASE("missing file") {
        const tn::status s = m.load_npz(temp_path("does_not_exist.npz"));
        REQUIRE_FALSE(s.ok());
        CHECK(s.message().find("does_not_exist.npz") != std::string::npos);
    }
    SUBCASE("truncated file: every prefix fails cleanly") {
        const fs::path p = temp_path("whole.npz");
        REQUIRE(tn::io::write_npz(p, good).ok());
        std::ifstream in(p, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const fs::path cut = temp_path("cut.npz");
        for (std::size_t n = 0; n < bytes.size(); n += 7) {
            std::ofstream(cut, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(n));
            const tn::status s = m.load_npz(cut);
            CHECK_FALSE(s.ok());
        }
    }
    CHECK(snapshot(m) == before);
}

TEST_CASE("static_model loads the same weights and predicts the same") {
    tn::model<net> m(21);
    const fs::path p = temp_path("static.npz");
    REQUIRE(m.save_npz(p).ok());
    tn::static_model<net> s;
    REQUIRE(s.load_npz(p).ok());
    tn::tensor<float, tn::shape<6, 6, 2>> x;
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) - 2.0f;
    const auto a = m.predict(x);
    const auto b = s.predict(x);
    for (tn::index_t i = 0; i < 4; ++i) CHECK(a[i] == b[i]);
}
