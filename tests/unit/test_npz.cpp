// Tests for typenet/io/npy.hpp and typenet/io/npz.hpp: numpy fixtures, round trips, hostile input, atomic writes.
//
// The fixtures in tests/fixtures/npz were made by tools/make_npz_fixtures.py (numpy 2.4); the
// expected values below use the same formulas as that script. The fixture folder is
// TYPENET_FIXTURES/npz when the build defines TYPENET_FIXTURES, else found relative to this file.
#include <doctest/doctest.h>

#include <typenet/io/npy.hpp>
#include <typenet/io/npz.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using typenet::status;
using namespace typenet::io;

namespace {

fs::path fixture_dir() {
#ifdef TYPENET_FIXTURES
    return fs::path(TYPENET_FIXTURES) / "npz";
#else
    return fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "npz";
#endif
}

fs::path fixture(const char* name) { return fixture_dir() / name; }

std::vector<unsigned char> slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE_MESSAGE(f.good(), "cannot open fixture " << p.string());
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void dump(const fs::path& p, const unsigned char* d, std::size_t n) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(d), static_cast<std::streamsize>(n));
    REQUIRE(f.good());
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh, empty directory that is removed again at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        static std::atomic<int> counter{0};
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        path = fs::temp_directory_path() /
               ("typenet_npz_test_" + std::to_string(stamp) + "_" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
};

template <class T>
std::vector<T> converted(const npy_array& a) {
    std::vector<T> v;
    const status s = a.to_vector(v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    return v;
}

template <class F>
std::vector<double> generate(int n, F f) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) v.push_back(f(i));
    return v;
}

using shape_t = std::vector<std::int64_t>;

void check_array(const npy_array& a, const std::string& name, const std::string& descr, const shape_t& shape,
                 const std::vector<double>& values) {
    INFO("array ", name);
    CHECK(a.name == name);
    CHECK(a.descr == descr);
    CHECK(a.shape == shape);
    CHECK(a.size() == static_cast<std::int64_t>(values.size()));
    CHECK(converted<double>(a) == values);
    const std::vector<float> f = converted<float>(a);
    REQUIRE(f.size() == values.size());
    for (std::size_t i = 0; i < f.size(); ++i) CHECK(f[i] == static_cast<float>(values[i]));
}

// The arrays of savez_f32.npz / savez_compressed_f32.npz (see make_npz_fixtures.py).
void check_f32_set(const std::vector<npy_array>& v) {
    REQUIRE(v.size() == 5);
    check_array(v[0], "arr_0", "<f4", {}, {3.5});
    check_array(v[1], "arr_1", "<f4", {5}, generate(5, [](int i) { return i * 0.5 - 1; }));
    check_array(v[2], "arr_2", "<f4", {3, 4}, generate(12, [](int i) { return (i - 5) / 4.0; }));
    check_array(v[3], "arr_3", "<f4", {2, 3, 4}, generate(24, [](int i) { return i * 0.25; }));
    check_array(v[4], "arr_4", "<f4", {0, 3}, {});
    for (const auto& a : v) CHECK_FALSE(a.fortran_order);
}

void check_named_set(const std::vector<npy_array>& v) {
    REQUIRE(v.size() == 2);
    check_array(v[0], "kernel", "<f4", {2, 3}, generate(6, [](int i) { return (i - 2) / 8.0; }));
    check_array(v[1], "bias", "<f4", {3}, {0.5, -0.25, 1.0});
}

bool same_arrays(const std::vector<npy_array>& a, const std::vector<npy_array>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].name != b[i].name || a[i].descr != b[i].descr || a[i].shape != b[i].shape ||
            a[i].fortran_order != b[i].fortran_order || a[i].data != b[i].data)
            return false;
    return true;
}

// A sentinel value to check that out-parameters stay untouched on failure.
std::vector<npy_array> sentinel() {
    const float x = 42.0f;
    return {make_npy("sentinel", {}, &x)};
}

// Wraps a header dict into a v1.0 .npy blob followed by `data_bytes` zero bytes.
std::vector<unsigned char> npy_blob(const std::string& dict, std::size_t data_bytes, unsigned char major = 1) {
    std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
    const std::size_t len = dict.size();
    b.push_back(static_cast<unsigned char>(len & 0xff));
    b.push_back(static_cast<unsigned char>(len >> 8));
    if (major != 1) {
        b.push_back(static_cast<unsigned char>(len >> 16));
        b.push_back(static_cast<unsigned char>(len >> 24));
    }
    b.insert(b.end(), dict.begin(), dict.end());
    b.insert(b.end(), data_bytes, 0);
    return b;
}

status parse_dict(const std::string& dict, std::size_t data_bytes, npy_array& out) {
    const auto b = npy_blob(dict, data_bytes);
    return parse_npy(b.data(), b.size(), out);
}

}  // namespace

// ------------------------------------------------------------------------------------------
// numpy fixtures
// ------------------------------------------------------------------------------------------

TEST_CASE("npz: np.savez (stored) fixture with several ranks, a 0-d scalar and an empty array") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("savez_f32.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    check_f32_set(v);
}

TEST_CASE("npz: np.savez_compressed (deflate) fixture") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("savez_compressed_f32.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    check_f32_set(v);
}

TEST_CASE("npz: named keys keep their names and order") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("named.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    check_named_set(v);
}

TEST_CASE("npz: float64, int64, fortran-order and big-endian members") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("dtypes.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    REQUIRE(v.size() == 4);
    check_array(v[0], "f64", "<f8", {2, 3}, generate(6, [](int i) { return i / 8.0 - 0.25; }));
    check_array(v[1], "i64", "<i8", {7}, generate(7, [](int i) { return (i - 3) * 1000000007.0; }));
    CHECK(v[2].fortran_order);
    check_array(v[2], "fortran", "<f4", {2, 3, 4}, generate(24, [](int i) { return i * 0.5; }));
    check_array(v[3], "be_f4", ">f4", {3, 2}, generate(6, [](int i) { return (i - 2) * 0.75; }));
    // The raw bytes are kept exactly as stored: the Fortran member is column-major in the file.
    float second = 0;
    std::memcpy(&second, v[2].data.data() + 4, 4);  // element (1, 0, 0) = 12 * 0.5 on little-endian hosts
    if (std::endian::native == std::endian::little) CHECK(second == 6.0f);
}

TEST_CASE("npz: integer and float16 dtypes of both byte orders convert exactly") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("ints.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    REQUIRE(v.size() == 8);
    const auto sgn = generate(4, [](int i) { return i - 2.0; });
    const auto uns = generate(4, [](int i) { return i * 3.0; });
    check_array(v[0], "i1", "|i1", {4}, sgn);
    check_array(v[1], "u1", "|u1", {4}, uns);
    check_array(v[2], "i2", ">i2", {4}, sgn);
    check_array(v[3], "u2", "<u2", {4}, uns);
    check_array(v[4], "i4", "<i4", {4}, sgn);
    check_array(v[5], "u4", ">u4", {4}, uns);
    check_array(v[6], "u8", "<u8", {4}, generate(4, [](int i) { return i * 1099511627776.0; }));
    check_array(v[7], "f2", "<f2", {4}, {0.5, -2.0, 65504.0, std::ldexp(1.0, -14)});
}

TEST_CASE("npz: data descriptors (flag bit 3) with stored and deflated members") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("datadesc.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    REQUIRE(v.size() == 2);
    check_array(v[0], "x", "<f4", {3}, {0, 1, 2});
    check_array(v[1], "y", "<f8", {10}, generate(10, [](int i) { return i * 2.0; }));
}

TEST_CASE("npz: ZIP64 end-of-central-directory record") {
    std::vector<npy_array> v;
    const status s = read_npz(fixture("zip64_eocd.npz"), v);
    REQUIRE_MESSAGE(s.ok(), s.message());
    check_named_set(v);
}

TEST_CASE("npy: numpy .npy fixtures, and serialize_npy reproduces np.save byte for byte") {
    struct expect {
        const char* file;
        const char* descr;
        shape_t shape;
        bool fortran;
        std::vector<double> values;
    };
    const std::vector<expect> cases = {
        {"f64.npy", "<f8", {2, 3}, false, generate(6, [](int i) { return i / 8.0 - 0.25; })},
        {"i64.npy", "<i8", {7}, false, generate(7, [](int i) { return (i - 3) * 1000000007.0; })},
        {"fortran_f4.npy", "<f4", {2, 3, 4}, true, generate(24, [](int i) { return i * 0.5; })},
        {"be_f4.npy", ">f4", {3, 2}, false, generate(6, [](int i) { return (i - 2) * 0.75; })},
    };
    for (const auto& c : cases) {
        INFO(std::string(c.file));
        npy_array a;
        const status s = read_npy(fixture(c.file), a);
        REQUIRE_MESSAGE(s.ok(), s.message());
        CHECK(a.fortran_order == c.fortran);
        check_array(a, fs::path(c.file).stem().string(), c.descr, c.shape, c.values);
        CHECK(serialize_npy(a) == slurp(fixture(c.file)));
    }
}

TEST_CASE("npy: format versions 2.0 and 3.0") {
    for (const char* f : {"v2_f4.npy", "v3_f4.npy"}) {
        INFO(std::string(f));
        const auto bytes = slurp(fixture(f));
        CHECK(bytes[6] == (f[1] == '2' ? 2 : 3));
        npy_array a;
        const status s = parse_npy(bytes.data(), bytes.size(), a);
        REQUIRE_MESSAGE(s.ok(), s.message());
        check_array(a, "", "<f4", {4}, {0, 1, 2, 3});
    }
}

TEST_CASE("npy: bool cannot be converted; the error names the dtype and the output is untouched") {
    npy_array a;
    const status s = read_npy(fixture("bool.npy"), a);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(a.descr == "|b1");
    CHECK(a.shape == shape_t{3});
    CHECK(a.data == std::vector<unsigned char>{1, 0, 1});
    std::vector<float> out = {9.0f};
    const status c = a.to_vector(out);
    REQUIRE_FALSE(c.ok());
    CHECK(contains(c.message(), "'|b1'"));
    CHECK(contains(c.message(), "bool"));
    CHECK(out == std::vector<float>{9.0f});

    npy_array z = a;
    z.descr = "<c8";
    z.data.assign(24, 0);
    std::vector<double> d;
    const status c2 = z.to_vector(d);
    CHECK_FALSE(c2.ok());
    CHECK(contains(c2.message(), "'<c8'"));
}

// ------------------------------------------------------------------------------------------
// Round trips
// ------------------------------------------------------------------------------------------

TEST_CASE("npz: write_npz -> read_npz round trip for float and double of several ranks") {
    temp_dir dir;
    std::vector<float> f(120);
    std::vector<double> d(120);
    for (int i = 0; i < 120; ++i) {
        f[static_cast<std::size_t>(i)] = static_cast<float>(i) * 0.37f - 11.0f;
        d[static_cast<std::size_t>(i)] = i / 7.0 - 3.0;
    }
    const float scalar = -1.25f;
    std::vector<npy_array> arrays = {
        make_npy("", {}, &scalar),
        make_npy("", {5}, f.data()),
        make_npy("weights", {4, 6}, d.data()),
        make_npy("", {2, 3, 4}, f.data()),
        make_npy("", {2, 3, 4, 5}, d.data()),
        make_npy("", {0, 3}, f.data()),
        make_npy("", {0}, static_cast<const double*>(nullptr)),
    };
    std::int32_t ints[3] = {-7, 0, 123456};
    arrays.push_back(make_npy("ints", {3}, ints));
    const fs::path p = dir.path / "rt.npz";
    const status w = write_npz(p, arrays);
    REQUIRE_MESSAGE(w.ok(), w.message());
    CHECK(dir.entries() == std::vector<std::string>{"rt.npz"});  // no temporary left behind

    std::vector<npy_array> back;
    const status r = read_npz(p, back);
    REQUIRE_MESSAGE(r.ok(), r.message());
    REQUIRE(back.size() == arrays.size());
    const std::vector<std::string> names = {"arr_0", "arr_1", "weights", "arr_3", "arr_4", "arr_5", "arr_6", "ints"};
    for (std::size_t i = 0; i < back.size(); ++i) {
        CHECK(back[i].name == names[i]);
        CHECK(back[i].descr == arrays[i].descr);
        CHECK(back[i].shape == arrays[i].shape);
        CHECK(back[i].data == arrays[i].data);
    }
    CHECK(back[0].descr == "<f4");
    CHECK(back[2].descr == "<f8");
    CHECK(back[7].descr == "<i4");
    CHECK(converted<float>(back[0]) == std::vector<float>{-1.25f});
    CHECK(converted<float>(back[3]) == std::vector<float>(f.begin(), f.begin() + 24));
    CHECK(converted<double>(back[4]) == d);
    CHECK(converted<double>(back[5]).empty());
    CHECK(converted<double>(back[7]) == std::vector<double>{-7, 0, 123456});
}

TEST_CASE("npz: fortran_order survives a round trip and is transposed by to_vector") {
    temp_dir dir;
    // Column-major data of the C-order matrix [[0, 1, 2], [3, 4, 5]].
    const float colmajor[6] = {0, 3, 1, 4, 2, 5};
    npy_array a = make_npy("m", {2, 3}, colmajor);
    a.fortran_order = true;
    const fs::path p = dir.path / "f.npz";
    const status w = write_npz(p, {a});
    REQUIRE_MESSAGE(w.ok(), w.message());
    std::vector<npy_array> back;
    const status r = read_npz(p, back);
    REQUIRE_MESSAGE(r.ok(), r.message());
    REQUIRE(back.size() == 1);
    CHECK(back[0].fortran_order);
    CHECK(converted<float>(back[0]) == std::vector<float>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("npz: forced ZIP64 records round trip") {
    temp_dir dir;
    std::vector<npy_array> src;
    const status s = read_npz(fixture("savez_f32.npz"), src);
    REQUIRE_MESSAGE(s.ok(), s.message());
    const fs::path p = dir.path / "z64.npz";
    const status w = detail::write_npz_impl(p, src, {true});
    REQUIRE_MESSAGE(w.ok(), w.message());
    const auto bytes = slurp(p);
    const unsigned char z64sig[] = {'P', 'K', 6, 6};
    CHECK(std::search(bytes.begin(), bytes.end(), z64sig, z64sig + 4) != bytes.end());
    std::vector<npy_array> back;
    const status r = read_npz(p, back);
    REQUIRE_MESSAGE(r.ok(), r.message());
    check_f32_set(back);
}

TEST_CASE("npz: the written archive is structurally what numpy expects") {
    temp_dir dir;
    const float x[2] = {1.5f, -2.5f};
    const fs::path p = dir.path / "s.npz";
    const status w = write_npz(p, {make_npy("", {2}, x), make_npy("b", {1}, x)});
    REQUIRE_MESSAGE(w.ok(), w.message());
    const auto b = slurp(p);
    // Local header of the first member: signature, stored, member name, then the .npy blob.
    REQUIRE(b.size() > 64);
    CHECK(std::vector<unsigned char>(b.begin(), b.begin() + 4) == std::vector<unsigned char>{'P', 'K', 3, 4});
    CHECK(detail::rd16(&b[8]) == 0);                             // method: stored
    CHECK(detail::rd32(&b[18]) == detail::rd32(&b[22]));         // compressed size == size
    CHECK(std::string(b.begin() + 30, b.begin() + 39) == "arr_0.npy");
    CHECK(b[39] == 0x93);                                        // .npy magic right after the name
    const auto blob = serialize_npy(make_npy("", {2}, x));
    CHECK(std::equal(blob.begin(), blob.end(), b.begin() + 39));
    CHECK(detail::rd32(&b[14]) == detail::crc32_update(0, blob.data(), blob.size()));
    // EOCD at the very end, no comment, two entries.
    const std::size_t e = b.size() - 22;
    CHECK(detail::rd32(&b[e]) == detail::zip_eocd_sig);
    CHECK(detail::rd16(&b[e + 10]) == 2);
    CHECK(detail::rd32(&b[e + 12]) + detail::rd32(&b[e + 16]) == e);  // central directory ends at EOCD
    std::vector<npy_array> back;
    const status r = read_npz(p, back);
    REQUIRE_MESSAGE(r.ok(), r.message());
    REQUIRE(back.size() == 2);
    CHECK(back[1].name == "b");
}

TEST_CASE("npy: write_npy -> read_npy round trip and np.save-compatible bytes") {
    temp_dir dir;
    const double v[6] = {0.5, 1, 2, 3, 4, 5.25};
    const npy_array a = make_npy("ignored", {3, 2}, v);
    const fs::path p = dir.path / "v.npy";
    const status w = write_npy(p, a);
    REQUIRE_MESSAGE(w.ok(), w.message());
    npy_array back;
    const status r = read_npy(p, back);
    REQUIRE_MESSAGE(r.ok(), r.message());
    CHECK(back.name == "v");
    CHECK(back.descr == "<f8");
    CHECK(back.shape == shape_t{3, 2});
    CHECK(converted<double>(back) == std::vector<double>(v, v + 6));
    const auto bytes = slurp(p);
    CHECK(bytes == serialize_npy(a));
    CHECK(bytes.size() % 64 == 48);  // header is 128 bytes (64-aligned), then 48 bytes of data
    CHECK(std::string(bytes.begin() + 10, bytes.begin() + 69) ==
          "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }");
    CHECK(bytes[127] == '\n');
}

// ------------------------------------------------------------------------------------------
// Header parsing
// ------------------------------------------------------------------------------------------

TEST_CASE("npy: header dict is parsed tolerantly of whitespace, quotes, key order and trailing commas") {
    const char* ok_dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }\n",
        "{'shape': (3, 2), 'fortran_order': False, 'descr': '<f4'}",
        "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(3,2)}",
        "  {\n 'descr' : '<f4' ,\t'fortran_order' : False , 'shape' : ( 3 , 2 , ) , }   \n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }",  // Python 2 writers
    };
    for (const char* d : ok_dicts) {
        INFO(std::string(d));
        npy_array a;
        const status s = parse_dict(d, 24, a);
        REQUIRE_MESSAGE(s.ok(), s.message());
        CHECK(a.descr == "<f4");
        CHECK(a.shape == shape_t{3, 2});
        CHECK_FALSE(a.fortran_order);
    }
    npy_array a;
    REQUIRE(parse_dict("{'descr': '|u1', 'fortran_order': True, 'shape': (5,), }", 5, a).ok());
    CHECK(a.fortran_order);
    CHECK(a.shape == shape_t{5});
    REQUIRE(parse_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8, a).ok());
    CHECK(a.shape.empty());
    CHECK(a.size() == 1);
    REQUIRE(parse_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9223372036854775807), }", 0, a).ok());
    CHECK(a.size() == 0);
}

TEST_CASE("npy: malformed headers are rejected with a plain message and the output untouched") {
    struct bad {
        const char* dict;
        std::size_t data;
        const char* expect;  // part of the message
    };
    const bad cases[] = {
        {"{'descr': '<f4', 'fortran_order': False}", 4, "missing key 'shape'"},
        {"{'descr': '<f4', 'shape': (1,)}", 4, "missing key 'fortran_order'"},
        {"{'fortran_order': False, 'shape': (1,)}", 4, "missing key 'descr'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4, "duplicate key"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 4, "unexpected key"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", 4, "True or False"},
        {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (1,)}", 4, "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1)}", 4, "not a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", 4, "tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 4, "negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 4, "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 4, "overflow"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2147483648, 2147483648)}", 4, "needs more than"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 4, "truncated data"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 8, "unexpected bytes"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", 8, "object arrays"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", 4, "structured"},
        {"{'descr': '<x4', 'fortran_order': False, 'shape': (1,)}", 4, "not a supported dtype"},
        {"{'descr': '<f', 'fortran_order': False, 'shape': (1,)}", 4, "item size"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", 4, "header"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", 4, "after the closing"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, "header"},
        {"['descr', '<f4']", 4, "not a Python dict"},
        {"", 4, "header"},
    };
    for (const bad& c : cases) {
        INFO(std::string(c.dict));
        npy_array a = sentinel()[0];
        const status s = parse_dict(c.dict, c.data, a);
        REQUIRE_FALSE(s.ok());
        CHECK_MESSAGE(contains(s.message(), c.expect), s.message());
        CHECK(a.name == "sentinel");  // untouched
        CHECK(a.data.size() == 4);
    }
    // Too many dimensions.
    std::string many = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (int i = 0; i < 65; ++i) many += "1, ";
    many += "), }";
    npy_array a;
    CHECK(contains(parse_dict(many, 4, a).message(), "dimensions"));
}

TEST_CASE("npy: bad magic, versions and header lengths") {
    npy_array a;
    const unsigned char junk[] = "PK\x03\x04 not npy";
    const status s1 = parse_npy(junk, sizeof junk, a);
    CHECK(s1.message() == "not a .npy file (bad magic)");
    CHECK(parse_npy(nullptr, 0, a).message() == "not a .npy file (bad magic)");

    auto b = npy_blob("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4);
    b[6] = 4;
    CHECK(contains(parse_npy(b.data(), b.size(), a).message(), "unsupported .npy format version 4.0"));
    b[6] = 1;
    b[7] = 1;
    CHECK(contains(parse_npy(b.data(), b.size(), a).message(), "version 1.1"));
    b[7] = 0;
    b[8] = 0xff;  // header length beyond the data
    b[9] = 0xff;
    CHECK(contains(parse_npy(b.data(), b.size(), a).message(), "truncated .npy header"));
    // A 4-byte length that is absurd is refused before anything is read or allocated.
    auto v2 = npy_blob("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4, 2);
    v2[8] = v2[9] = v2[10] = v2[11] = 0xff;
    CHECK(contains(parse_npy(v2.data(), v2.size(), a).message(), "implausibly large"));
    for (std::size_t n = 0; n < 12; ++n) CHECK_FALSE(parse_npy(v2.data(), n, a).ok());
}

TEST_CASE("npy: to_vector refuses data whose size disagrees with the shape") {
    npy_array a = make_npy("x", {2, 2}, std::vector<float>{1, 2, 3, 4}.data());
    a.data.pop_back();
    std::vector<float> out;
    const status s = a.to_vector(out);
    CHECK_FALSE(s.ok());
    CHECK(contains(s.message(), "'x'"));
    CHECK(serialize_npy(a).empty());
}

// ------------------------------------------------------------------------------------------
// Hostile input
// ------------------------------------------------------------------------------------------

namespace {

// Truncates `name` at every length below its size and checks read_npz fails cleanly.
void truncate_everywhere(const char* name) {
    temp_dir dir;
    const auto bytes = slurp(fixture(name));
    const fs::path p = dir.path / name;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        dump(p, bytes.data(), n);
        std::vector<npy_array> out = sentinel();
        const status s = read_npz(p, out);
        INFO("truncated to ", n, " of ", bytes.size(), " bytes");
        REQUIRE_FALSE(s.ok());
        REQUIRE(starts_with(s.message(), p.string() + ": "));
        REQUIRE(same_arrays(out, sentinel()));
    }
}

// Applies single-byte corruptions at every offset. Every result must be an error or exactly the
// original arrays; corruption inside the member data (the CRC-covered .npy blobs, located by
// searching for their exact bytes when `stored`) must be an error.
void flip_everywhere(const char* name, bool stored) {
    const auto bytes = slurp(fixture(name));
    std::vector<npy_array> original;
    const std::string label = std::string("mem/") + name;
    REQUIRE(detail::parse_npz(bytes.data(), bytes.size(), label, original).ok());

    std::vector<bool> covered(bytes.size(), false);
    if (stored) {
        for (const auto& a : original) {
            const auto blob = serialize_npy(a);  // numpy's exact bytes (checked elsewhere)
            const auto it = std::search(bytes.begin(), bytes.end(), blob.begin(), blob.end());
            REQUIRE(it != bytes.end());
            std::fill(covered.begin() + (it - bytes.begin()), covered.begin() + (it - bytes.begin()) + static_cast<std::ptrdiff_t>(blob.size()), true);
        }
    }
    std::size_t errors = 0, harmless = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (unsigned char mask : {0x01, 0x10, 0x80, 0xff}) {
            auto copy = bytes;
            copy[i] ^= mask;
            std::vector<npy_array> out = sentinel();
            const status s = detail::parse_npz(copy.data(), copy.size(), label, out);
            INFO("byte ", i, " ^ ", int(mask));
            if (s.ok()) {
                ++harmless;
                REQUIRE_FALSE(covered[i]);
                REQUIRE(same_arrays(out, original));  // never silently different data
            } else {
                ++errors;
                REQUIRE(starts_with(s.message(), label + ": "));
                REQUIRE(same_arrays(out, sentinel()));
            }
        }
    }
    // Harmless ones hit metadata we do not rely on: timestamps, version and attribute fields.
    CHECK(errors > 4 * harmless);
}

}  // namespace

TEST_CASE("npz: truncation at every byte offset is an error, never a crash (stored)") {
    truncate_everywhere("savez_f32.npz");
}

TEST_CASE("npz: truncation at every byte offset is an error, never a crash (compressed)") {
    truncate_everywhere("savez_compressed_f32.npz");
}

TEST_CASE("npz: single-byte corruption anywhere is caught or harmless (stored)") {
    flip_everywhere("savez_f32.npz", true);
}

TEST_CASE("npz: single-byte corruption anywhere is caught or harmless (compressed)") {
    flip_everywhere("savez_compressed_f32.npz", false);
}

TEST_CASE("npz: corrupting a stored member's data is reported as a CRC-32 mismatch") {
    auto bytes = slurp(fixture("savez_f32.npz"));
    const unsigned char value_35[] = {0x00, 0x00, 0x60, 0x40};  // 3.5f, the data of arr_0
    const auto it = std::search(bytes.begin(), bytes.end(), value_35, value_35 + 4);
    REQUIRE(it != bytes.end());
    *it ^= 1;
    temp_dir dir;
    const fs::path p = dir.path / "w.npz";
    dump(p, bytes.data(), bytes.size());
    std::vector<npy_array> out;
    const status s = read_npz(p, out);
    CHECK(s.message() == p.string() + ": CRC-32 mismatch in member 'arr_0.npy'");
}

TEST_CASE("npz: random multi-byte corruption never crashes") {
    for (const char* name : {"savez_f32.npz", "savez_compressed_f32.npz", "datadesc.npz", "zip64_eocd.npz"}) {
        const auto bytes = slurp(fixture(name));
        std::uint64_t rng = 0x9e3779b97f4a7c15ull;
        auto next = [&] {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            return rng;
        };
        for (int iter = 0; iter < 1500; ++iter) {
            auto copy = bytes;
            const int flips = 1 + static_cast<int>(next() % 8);
            for (int k = 0; k < flips; ++k) copy[next() % copy.size()] = static_cast<unsigned char>(next());
            if (next() % 4 == 0) copy.resize(next() % copy.size());
            std::vector<npy_array> out = sentinel();
            const status s = detail::parse_npz(copy.data(), copy.size(), "f", out);
            if (!s.ok()) {
                CHECK(starts_with(s.message(), "f: "));
                CHECK(same_arrays(out, sentinel()));
            }
        }
    }
}

namespace {

// Our own writer's archive for one float array, to patch fields of.
std::vector<unsigned char> small_archive(bool zip64 = false) {
    temp_dir dir;
    const float x[3] = {1, 2, 3};
    const fs::path p = dir.path / "a.npz";
    REQUIRE(detail::write_npz_impl(p, {make_npy("", {3}, x)}, {zip64}).ok());
    return slurp(p);
}

std::string parse_error(const std::vector<unsigned char>& b) {
    std::vector<npy_array> out = sentinel();
    const status s = detail::parse_npz(b.data(), b.size(), "h.npz", out);
    if (!s.ok()) CHECK(same_arrays(out, sentinel()));
    return s.message();
}

void put32(std::vector<unsigned char>& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

TEST_CASE("npz: hand-crafted hostile archives") {
    const auto good = small_archive();
    REQUIRE(parse_error(good).empty());
    const std::size_t eocd = good.size() - 22;
    const std::size_t cd = detail::rd32(&good[eocd + 16]);

    SUBCASE("unsupported compression method") {
        auto b = good;
        b[8] = 12;       // local header
        b[cd + 10] = 12; // central directory
        CHECK(parse_error(b) == "h.npz: member 'arr_0.npy': unsupported compression method 12 (only stored and deflate are supported)");
    }
    SUBCASE("encrypted member") {
        auto b = good;
        b[6] |= 1;
        b[cd + 8] |= 1;
        CHECK(contains(parse_error(b), "encrypted"));
    }
    SUBCASE("huge entry count") {
        auto b = good;
        b[eocd + 8] = b[eocd + 9] = b[eocd + 10] = b[eocd + 11] = 0xff;
        CHECK(contains(parse_error(b), "too small for its 65535 entries"));
    }
    SUBCASE("central directory beyond the file") {
        auto b = good;
        put32(b, eocd + 16, 0x7fffffff);
        CHECK(contains(parse_error(b), "outside the file"));
    }
    SUBCASE("local header offset beyond the data") {
        auto b = good;
        put32(b, cd + 42, static_cast<std::uint32_t>(cd));
        CHECK(contains(parse_error(b), "local header is missing or corrupt"));
    }
    SUBCASE("sizes beyond the file") {
        auto b = good;
        put32(b, 18, 0x10000000);
        put32(b, 22, 0x10000000);
        put32(b, cd + 20, 0x10000000);
        put32(b, cd + 24, 0x10000000);
        CHECK(contains(parse_error(b), "runs past the end"));
    }
    SUBCASE("deflate member claiming an absurd uncompressed size") {
        auto b = good;
        b[8] = 8;
        b[cd + 10] = 8;
        put32(b, 22, 0xfffffff0u);
        put32(b, cd + 24, 0xfffffff0u);
        CHECK(contains(parse_error(b), "is impossible for"));
    }
    SUBCASE("ZIP64 escape without a ZIP64 extra field") {
        auto b = good;
        put32(b, cd + 42, 0xffffffffu);
        CHECK(contains(parse_error(b), "ZIP64 extra field"));
    }
    SUBCASE("ZIP64 locator pointing nowhere") {
        auto b = small_archive(true);
        const std::size_t loc = b.size() - 22 - 20;
        REQUIRE(detail::rd32(&b[loc]) == detail::zip64_locator_sig);
        put32(b, loc + 8, 0x7fffffff);
        CHECK(contains(parse_error(b), "ZIP64 end-of-central-directory locator"));
    }
    SUBCASE("ZIP64 extra field values are used and checked") {
        auto b = small_archive(true);
        REQUIRE(parse_error(b).empty());
        const std::size_t ecd = detail::rd64(&b[b.size() - 22 - 20 + 8]);
        const std::size_t cd64 = detail::rd64(&b[ecd + 48]);
        // Central ZIP64 extra: id, len, size, compressed size, offset. Make the offset wrong.
        const std::size_t extra = cd64 + 46 + 9;
        REQUIRE(detail::rd16(&b[extra]) == 1);
        b[extra + 4 + 16] = 1;
        CHECK(contains(parse_error(b), "local header is missing or corrupt"));
    }
    SUBCASE("not a zip at all") {
        const std::vector<unsigned char> b(100, 'x');
        CHECK(parse_error(b) == "h.npz: the file is truncated, or is not a .npz archive (no ZIP end-of-central-directory record at its end)");
        CHECK(parse_error({}) == "h.npz: the file is truncated, or is not a .npz archive (too short to be a ZIP archive)");
    }
    SUBCASE("member that is not a valid .npy") {
        auto b = good;
        // Break the .npy magic and fix up both CRCs so only the .npy parser can notice.
        b[30 + 9] = 'X';
        const std::uint32_t crc = detail::crc32_update(0, &b[39], detail::rd32(&b[22]));
        put32(b, 14, crc);
        put32(b, cd + 16, crc);
        CHECK(parse_error(b) == "h.npz: member 'arr_0.npy': not a .npy file (bad magic)");
    }
}

// The class of archive an independent fuzz run found: members whose data are one shared stream (a
// 34 KB file whose 200 members held 3.2 GB). Here member 0's local header is stretched (its extra
// field) so that its data are member 1's: both CRCs still match, and the archive was accepted.
TEST_CASE("npz: members that share bytes are refused; the total expanded size is capped") {
    temp_dir dir;
    const float x[3] = {1, 2, 3};
    const fs::path p = dir.path / "two.npz";
    REQUIRE(write_npz(p, {make_npy("a", {3}, x), make_npy("b", {3}, x)}).ok());
    const auto good = slurp(p);
    std::vector<npy_array> out;
    REQUIRE(detail::parse_npz(good.data(), good.size(), "h.npz", out).ok());
    REQUIRE(out.size() == 2);

    const std::size_t eocd = good.size() - 22, cd = detail::rd32(&good[eocd + 16]);
    const std::size_t local1 = detail::rd32(&good[cd + 46 + 5 + 42]);  // the second entry's (name "a.npy")
    REQUIRE(detail::rd32(&good[local1]) == detail::zip_local_sig);
    const std::size_t data0 = 30 + 5, data1 = local1 + 30 + 5;
    auto shared = good;
    shared[28] = static_cast<unsigned char>(data1 - data0);  // member 0's extra field now ends at member 1's data
    shared[29] = static_cast<unsigned char>((data1 - data0) >> 8);
    CHECK(contains(parse_error(shared), "h.npz: two members share bytes at offset"));

    npz_read_options small;
    small.max_total_bytes = 200;  // each member is 128 + 12 bytes
    out.clear();
    const status s = detail::parse_npz(good.data(), good.size(), "h.npz", out, small);
    CHECK(s.message() == "h.npz: the members expand to more than 200 bytes (npz_read_options::max_total_bytes); not read");
    CHECK(out.empty());
    small.max_total_bytes = 280;
    CHECK(detail::parse_npz(good.data(), good.size(), "h.npz", out, small).ok());
}

TEST_CASE("npz: an empty archive reads as no arrays") {
    temp_dir dir;
    const fs::path p = dir.path / "empty.npz";
    REQUIRE(write_npz(p, {}).ok());
    CHECK(fs::file_size(p) == 22);
    std::vector<npy_array> out = sentinel();
    const status s = read_npz(p, out);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(out.empty());
}

// ------------------------------------------------------------------------------------------
// Errors name the file; writes are atomic
// ------------------------------------------------------------------------------------------

TEST_CASE("npz: read errors start with the file path and leave the output untouched") {
    temp_dir dir;
    const fs::path missing = dir.path / "missing.npz";
    std::vector<npy_array> out = sentinel();
    const status s = read_npz(missing, out);
    CHECK(starts_with(s.message(), missing.string() + ": cannot open"));
    CHECK(same_arrays(out, sentinel()));

    const status s2 = read_npz(fixture("f64.npy"), out);
    CHECK(s2.message() == fixture("f64.npy").string() + ": the file is truncated, or is not a .npz archive (no ZIP end-of-central-directory record at its end)");
    CHECK(same_arrays(out, sentinel()));

    npy_array a = sentinel()[0];
    const status s3 = read_npy(fixture("named.npz"), a);
    CHECK(s3.message() == fixture("named.npz").string() + ": not a .npy file (bad magic)");
    CHECK(a.name == "sentinel");

    const status s4 = read_npz(dir.path, out);  // a directory
    CHECK(starts_with(s4.message(), dir.path.string() + ": "));
    CHECK(same_arrays(out, sentinel()));
}

TEST_CASE("npz: write into a missing directory fails and leaves nothing behind") {
    temp_dir dir;
    const float x = 1;
    const fs::path p = dir.path / "no" / "such" / "dir" / "w.npz";
    const status s = write_npz(p, {make_npy("", {}, &x)});
    REQUIRE_FALSE(s.ok());
    CHECK(starts_with(s.message(), p.string() + ": cannot create a temporary file"));
    CHECK(dir.entries().empty());
    const status s2 = write_npy(dir.path / "nope" / "w.npy", make_npy("", {}, &x));
    CHECK(starts_with(s2.message(), (dir.path / "nope" / "w.npy").string() + ": "));
    CHECK(dir.entries().empty());
}

TEST_CASE("npz: a failed rename (target is a directory) removes the temporary file") {
    temp_dir dir;
    const float x = 1;
    fs::create_directory(dir.path / "target.npz");
    const status s = write_npz(dir.path / "target.npz", {make_npy("", {}, &x)});
    REQUIRE_FALSE(s.ok());
    CHECK(starts_with(s.message(), (dir.path / "target.npz").string() + ": cannot replace"));
    CHECK(dir.entries() == std::vector<std::string>{"target.npz"});
    CHECK(fs::is_directory(dir.path / "target.npz"));
}

TEST_CASE("npz: write_npz replaces an existing file atomically; invalid input leaves it alone") {
    temp_dir dir;
    const fs::path p = dir.path / "model.npz";
    const float a[2] = {1, 2}, b[3] = {7, 8, 9};
    REQUIRE(write_npz(p, {make_npy("w", {2}, a)}).ok());
    const auto first = slurp(p);
    REQUIRE(write_npz(p, {make_npy("w", {3}, b), make_npy("v", {1}, b)}).ok());
    CHECK(dir.entries() == std::vector<std::string>{"model.npz"});
    std::vector<npy_array> back;
    REQUIRE(read_npz(p, back).ok());
    REQUIRE(back.size() == 2);
    CHECK(converted<float>(back[0]) == std::vector<float>{7, 8, 9});
    const auto second = slurp(p);
    CHECK(second != first);

    // Every invalid input is refused before the target is touched.
    npy_array bad_size = make_npy("s", {3}, b);
    bad_size.data.pop_back();
    npy_array bad_descr = make_npy("d", {3}, b);
    bad_descr.descr = "<f4'";
    npy_array bad_shape = make_npy("n", {-1, 3}, b);
    const std::vector<std::vector<npy_array>> invalid = {
        {bad_size},
        {bad_descr},
        {bad_shape},
        {make_npy("dup", {1}, a), make_npy("dup", {1}, a)},
        {make_npy("arr_1", {1}, a), make_npy("", {1}, a)},  // "arr_1" collides with the default name
        {make_npy(std::string("bad\nname"), {1}, a)},
    };
    for (const auto& arrays : invalid) {
        const status s = write_npz(p, arrays);
        CHECK_FALSE(s.ok());
        CHECK(starts_with(s.message(), p.string() + ": array "));
        CHECK(slurp(p) == second);
        CHECK(dir.entries() == std::vector<std::string>{"model.npz"});
    }
    CHECK(bad_shape.data.empty());  // make_npy with an invalid shape yields no data
}
