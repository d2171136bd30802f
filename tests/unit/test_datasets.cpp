// Tests for typenet/io/datasets.hpp and typenet/io/image_folder.hpp: IDX, CIFAR-10, digits CSV and
// image-folder loaders on files the tests write (plain and gzipped, valid and corrupt), the
// helpers, and -- when the Debian packages are installed -- the real Fashion-MNIST and sklearn
// digits files. Fixture files go to temp_directory_path()/typenet_data_tests and are removed.
#include <doctest/doctest.h>

#include <typenet/io/datasets.hpp>
#include <typenet/io/image_folder.hpp>
#include <typenet/io/npz.hpp>

// PNG/BMP/JPEG writers for the image-folder fixtures; static, like the reader.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if __has_include(<stb/stb_image_write.h>)
#include <stb/stb_image_write.h>
#else
#include <stb_image_write.h>
#endif

#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace td = typenet::data;
using typenet::batch;
using typenet::index_t;
using typenet::shape;
using typenet::status;

namespace {

// Prints why a test case with a skip decorator and a description did not run, so a missing
// optional dataset is visible in the output and never looks like a pass.
struct skip_notice : doctest::IReporter {
    explicit skip_notice(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData& tc) override {
        if (tc.m_skip && tc.m_description) std::printf("SKIPPED: %s -- %s\n", tc.m_name, tc.m_description);
    }
};
REGISTER_LISTENER("typenet_skip_notice", 1, skip_notice);

// Element (r, c, k) of sample n of a batch of (H, W, C) samples.
template <class T, class S>
T px(const batch<T, S>& b, index_t n, index_t r, index_t c, index_t k) {
    return b[n * S::size + (r * S::extents[1] + c) * S::extents[2] + k];
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh directory under temp_directory_path()/typenet_data_tests, removed at the end.
struct temp_dir {
    fs::path path;
    temp_dir() {
        static std::atomic<int> counter{0};
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        path = fs::temp_directory_path() / "typenet_data_tests" /
               ("datasets_" + std::to_string(stamp) + "_" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path operator/(const std::string& name) const { return path / name; }
};

using bytes = std::vector<unsigned char>;

void write_file(const fs::path& p, const bytes& b) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    REQUIRE(f.good());
}

bytes read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE(f.good());
    return bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& p, const std::string& s) { write_file(p, bytes(s.begin(), s.end())); }

bytes gzip(const bytes& b) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    bytes out(deflateBound(&zs, uLong(b.size())) + 64);
    zs.next_in = const_cast<Bytef*>(b.data());
    zs.avail_in = uInt(b.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void put_be32(bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

unsigned char pixel_of(std::uint32_t i, std::uint32_t p) { return static_cast<unsigned char>((i * 37 + p * 11) % 256); }

bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    bytes b = {0, 0, 8, 3};
    put_be32(b, n);
    put_be32(b, rows);
    put_be32(b, cols);
    for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t p = 0; p < rows * cols; ++p) b.push_back(pixel_of(i, p));
    return b;
}

bytes idx_labels(const std::vector<unsigned char>& y) {
    bytes b = {0, 0, 8, 1};
    put_be32(b, std::uint32_t(y.size()));
    b.insert(b.end(), y.begin(), y.end());
    return b;
}

// A dataset that a failed load must leave exactly as it was.
template <class S>
td::labeled<float, S> sentinel() {
    td::labeled<float, S> d{batch<float, S>(1), {42}};
    d.x.fill(0.5f);
    return d;
}
template <class S>
bool is_sentinel(const td::labeled<float, S>& d) {
    return d.size() == 1 && d.y.size() == 1 && d.y[0] == 42 &&
           std::all_of(d.x.begin(), d.x.end(), [](float v) { return v == 0.5f; });
}

// The operation succeeds; otherwise its message is shown.
#define REQUIRE_OK(...)                           \
    do {                                          \
        const status s_ = (__VA_ARGS__);          \
        REQUIRE_MESSAGE(s_.ok(), s_.message());   \
    } while (0)

// The failure names the file and says what is wrong.
#define CHECK_FAILS_NAMING(expr, file, part)                                                  \
    do {                                                                                      \
        const status s_ = (expr);                                                             \
        CHECK_FALSE(s_.ok());                                                                 \
        CHECK_MESSAGE(contains(s_.message(), fs::path(file).string()), s_.message());         \
        CHECK_MESSAGE(contains(s_.message(), part), s_.message());                            \
    } while (0)

}  // namespace

// ---- IDX ----------------------------------------------------------------------------------------

TEST_CASE("datasets: IDX images and labels, plain and gzipped, with a limit") {
    temp_dir dir;
    using S = shape<4, 3, 1>;
    const std::vector<unsigned char> y = {3, 1, 4, 1, 5};
    write_file(dir / "img", idx_images(5, 4, 3));
    write_file(dir / "lbl", idx_labels(y));
    write_file(dir / "img.gz", gzip(idx_images(5, 4, 3)));
    write_file(dir / "lbl.gz", gzip(idx_labels(y)));

    for (const char* suffix : {"", ".gz"}) {
        CAPTURE(suffix);
        td::labeled<float, S> d;
        REQUIRE_OK(td::load_idx<S>(dir / (std::string("img") + suffix), dir / (std::string("lbl") + suffix), d));
        REQUIRE(d.size() == 5);
        CHECK(d.y == std::vector<std::int32_t>{3, 1, 4, 1, 5});
        for (index_t i = 0; i < 5; ++i)
            for (index_t p = 0; p < 12; ++p) CHECK(d.x[i * 12 + p] == float(pixel_of(std::uint32_t(i), std::uint32_t(p))) / 255.0f);
    }
    td::labeled<double, S> two;
    REQUIRE_OK(td::load_idx<S, double>(dir / "img.gz", dir / "lbl", two, 2));
    CHECK(two.size() == 2);
    CHECK(two.y == std::vector<std::int32_t>{3, 1});
    CHECK(two.x[12] == double(pixel_of(1, 0)) / 255.0);
    td::labeled<float, S> none;
    REQUIRE_OK(td::load_idx<S>(dir / "img", dir / "lbl", none, 0));
    CHECK(none.size() == 0);
    td::labeled<float, S> all;
    REQUIRE_OK(td::load_idx<S>(dir / "img", dir / "lbl", all, 99));  // a limit above n keeps all
    CHECK(all.size() == 5);
}

TEST_CASE("datasets: corrupt IDX files give an error naming the file, and leave the output untouched") {
    temp_dir dir;
    using S = shape<4, 3, 1>;
    write_file(dir / "img", idx_images(5, 4, 3));
    write_file(dir / "lbl", idx_labels({0, 1, 2, 3, 4}));
    auto d = sentinel<S>();
    auto load = [&](const fs::path& i, const fs::path& l) { return td::load_idx<S>(i, l, d); };

    CHECK_FAILS_NAMING(load(dir / "missing", dir / "lbl"), dir / "missing", "no such file");
    CHECK_FAILS_NAMING(load(dir / "img", dir / "missing"), dir / "missing", "no such file");
    CHECK_FAILS_NAMING(load(dir.path, dir / "lbl"), dir.path, "directory");

    bytes magic = idx_images(5, 4, 3);
    magic[0] = 0x89;
    write_file(dir / "magic", magic);
    CHECK_FAILS_NAMING(load(dir / "magic", dir / "lbl"), dir / "magic", "wrong magic");
    bytes type = idx_images(5, 4, 3);
    type[2] = 0x0d;
    write_file(dir / "type", type);
    CHECK_FAILS_NAMING(load(dir / "type", dir / "lbl"), dir / "type", "element type 0x0d");
    CHECK_FAILS_NAMING(load(dir / "lbl", dir / "img"), dir / "lbl", "label file");  // swapped arguments
    write_file(dir / "tiny", {0, 0});
    CHECK_FAILS_NAMING(load(dir / "tiny", dir / "lbl"), dir / "tiny", "too short");
    write_file(dir / "header", {0, 0, 8, 3, 0, 0, 0, 5});
    CHECK_FAILS_NAMING(load(dir / "header", dir / "lbl"), dir / "header", "truncated IDX header");

    bytes cut = idx_images(5, 4, 3);
    cut.resize(cut.size() - 7);
    write_file(dir / "cut_img", cut);
    CHECK_FAILS_NAMING(load(dir / "cut_img", dir / "lbl"), dir / "cut_img", "truncated");
    bytes cut_l = idx_labels({0, 1, 2, 3, 4});
    cut_l.pop_back();
    write_file(dir / "cut_lbl", cut_l);
    CHECK_FAILS_NAMING(load(dir / "img", dir / "cut_lbl"), dir / "cut_lbl", "truncated");
    bytes extra = idx_images(5, 4, 3);
    extra.push_back(0);
    write_file(dir / "extra", extra);
    CHECK_FAILS_NAMING(load(dir / "extra", dir / "lbl"), dir / "extra", "1 unexpected bytes");

    // A header claiming 2^32-1 images of 2^32-1 x 2^32-1: no allocation, just an error.
    bytes huge = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3};
    write_file(dir / "huge", huge);
    CHECK_FAILS_NAMING(load(dir / "huge", dir / "lbl"), dir / "huge",
                       "truncated: the header promises 4294967295 images of 4294967295x4294967295 (more than 2^64 bytes)");
    huge[8] = huge[9] = huge[10] = huge[12] = huge[13] = huge[14] = 0;
    huge[11] = 4;
    huge[15] = 3;
    write_file(dir / "huge2", huge);
    CHECK_FAILS_NAMING(load(dir / "huge2", dir / "lbl"), dir / "huge2", "truncated: the header promises 4294967295 images");

    write_file(dir / "six", idx_labels({0, 1, 2, 3, 4, 5}));
    {
        const status s = load(dir / "img", dir / "six");
        CHECK_FALSE(s.ok());
        CHECK_MESSAGE(contains(s.message(), (dir / "six").string()), s.message());
        CHECK_MESSAGE(contains(s.message(), (dir / "img").string()), s.message());
        CHECK_MESSAGE(contains(s.message(), "holds 6 labels but"), s.message());
        CHECK_MESSAGE(contains(s.message(), "holds 5 images"), s.message());
    }
    {
        td::labeled<float, shape<3, 4, 1>> wrong;
        const status s = td::load_idx<shape<3, 4, 1>>(dir / "img", dir / "lbl", wrong);
        CHECK_FALSE(s.ok());
        CHECK_MESSAGE(contains(s.message(), (dir / "img").string()), s.message());
        CHECK_MESSAGE(contains(s.message(), "shape<4, 3, 1>"), s.message());
        CHECK_MESSAGE(contains(s.message(), "shape<3, 4, 1>"), s.message());
    }

    bytes gz = gzip(idx_images(5, 4, 3));
    bytes gz_cut(gz.begin(), gz.begin() + std::ptrdiff_t(gz.size() / 2));
    write_file(dir / "cut.gz", gz_cut);
    CHECK_FAILS_NAMING(load(dir / "cut.gz", dir / "lbl"), dir / "cut.gz", "truncated gzip");
    bytes gz_bad = gz;
    gz_bad[gz_bad.size() - 6] ^= 0xff;  // the CRC-32 in the gzip trailer
    write_file(dir / "bad.gz", gz_bad);
    CHECK_FAILS_NAMING(load(dir / "bad.gz", dir / "lbl"), dir / "bad.gz", "corrupt gzip");
    bytes gz_tail = gz;
    gz_tail.push_back('x');
    write_file(dir / "tail.gz", gz_tail);
    CHECK_FAILS_NAMING(load(dir / "tail.gz", dir / "lbl"), dir / "tail.gz", "after the end of the gzip stream");

    CHECK(is_sentinel(d));
}

TEST_CASE("datasets: concatenated gzip members read as one file, like zcat") {
    temp_dir dir;
    const bytes all = idx_images(3, 2, 2);
    const bytes a(all.begin(), all.begin() + 10), b(all.begin() + 10, all.end());
    bytes gz = gzip(a);
    const bytes gz_b = gzip(b);
    gz.insert(gz.end(), gz_b.begin(), gz_b.end());
    write_file(dir / "img.gz", gz);
    write_file(dir / "lbl", idx_labels({7, 8, 9}));
    td::labeled<float, shape<2, 2, 1>> d;
    REQUIRE_OK(td::load_idx<shape<2, 2, 1>>(dir / "img.gz", dir / "lbl", d));
    CHECK(d.size() == 3);
    CHECK(d.x[11] == float(pixel_of(2, 3)) / 255.0f);
}

// ---- CIFAR-10 -----------------------------------------------------------------------------------

namespace {
unsigned char cifar_value(int file, int rec, int channel, int p) { return static_cast<unsigned char>((file * 50 + rec * 7 + channel * 80 + p) % 256); }

bytes cifar_file(int file, int records) {
    bytes b;
    for (int r = 0; r < records; ++r) {
        b.push_back(static_cast<unsigned char>((file * 3 + r) % 10));
        for (int c = 0; c < 3; ++c)
            for (int p = 0; p < 1024; ++p) b.push_back(cifar_value(file, r, c, p));
    }
    return b;
}
}  // namespace

TEST_CASE("datasets: CIFAR-10 batches become channels-last samples, files concatenated in order") {
    temp_dir dir;
    write_file(dir / "data_batch_1.bin", cifar_file(0, 3));
    write_file(dir / "data_batch_2.bin.gz", gzip(cifar_file(1, 2)));
    td::labeled<float, shape<32, 32, 3>> d;
    REQUIRE_OK(td::load_cifar10({dir / "data_batch_1.bin", dir / "data_batch_2.bin.gz"}, d));
    REQUIRE(d.size() == 5);
    CHECK(d.y == std::vector<std::int32_t>{0, 1, 2, 3, 4});
    const int file_of[5] = {0, 0, 0, 1, 1}, rec_of[5] = {0, 1, 2, 0, 1};
    bool all_equal = true;
    for (int i = 0; i < 5; ++i)
        for (int p = 0; p < 1024; ++p)
            for (int c = 0; c < 3; ++c)
                all_equal &= d.x[index_t(i) * 3072 + p * 3 + c] == float(cifar_value(file_of[i], rec_of[i], c, p)) / 255.0f;
    CHECK(all_equal);
    // Row 1, column 2 of sample 0, green: plane offset 1 * 32 + 2.
    CHECK(px(d.x, 0, 1, 2, 1) == float(cifar_value(0, 0, 1, 34)) / 255.0f);
}

TEST_CASE("datasets: corrupt CIFAR-10 batches give an error naming the file") {
    temp_dir dir;
    write_file(dir / "good.bin", cifar_file(0, 2));
    bytes cut = cifar_file(0, 2);
    cut.resize(cut.size() - 100);
    write_file(dir / "cut.bin", cut);
    bytes bad_label = cifar_file(0, 2);
    bad_label[3073] = 10;
    write_file(dir / "label.bin", bad_label);
    write_file(dir / "empty.bin", {});
    auto d = sentinel<shape<32, 32, 3>>();

    CHECK_FAILS_NAMING(td::load_cifar10({dir / "good.bin", dir / "cut.bin"}, d), dir / "cut.bin", "not a multiple of the 3073-byte");
    CHECK_FAILS_NAMING(td::load_cifar10({dir / "good.bin", dir / "nope.bin"}, d), dir / "nope.bin", "no such file");
    CHECK_FAILS_NAMING(td::load_cifar10({dir / "label.bin"}, d), dir / "label.bin", "record 1 has label 10");
    CHECK_FAILS_NAMING(td::load_cifar10({dir / "empty.bin"}, d), dir / "empty.bin", "empty file");
    CHECK_FALSE(td::load_cifar10({}, d).ok());
    CHECK(is_sentinel(d));
}

// ---- sklearn digits CSV -------------------------------------------------------------------------

namespace {
std::string digits_line(int k, int label) {
    std::string s;
    for (int p = 0; p < 64; ++p) s += std::to_string((k + p) % 17) + ",";
    return s + std::to_string(label) + "\n";
}
}  // namespace

TEST_CASE("datasets: sklearn digits CSV, plain and gzipped") {
    temp_dir dir;
    const std::string text = digits_line(0, 0) + "\n# a comment\n" + digits_line(5, 9) + "0.0, 16.0" + std::string(",1.0") + [] {
        std::string s;
        for (int p = 3; p < 64; ++p) s += ",0";
        return s;
    }() + ",7.0\r\n";
    write_text(dir / "digits.csv", text);
    write_file(dir / "digits.csv.gz", gzip(bytes(text.begin(), text.end())));
    for (const char* name : {"digits.csv", "digits.csv.gz"}) {
        CAPTURE(name);
        td::labeled<float, shape<8, 8, 1>> d;
        REQUIRE_OK(td::load_digits_csv(dir / name, d));
        REQUIRE(d.size() == 3);
        CHECK(d.y == std::vector<std::int32_t>{0, 9, 7});
        CHECK(d.x[0] == 0.0f);
        CHECK(d.x[1] == 1.0f / 16.0f);
        CHECK(d.x[64 + 11] == float((5 + 11) % 17) / 16.0f);
        CHECK(d.x[128 + 1] == 1.0f);
        CHECK(d.x[128 + 2] == 1.0f / 16.0f);
    }
}

TEST_CASE("datasets: corrupt digits CSV files give an error naming the file and line") {
    temp_dir dir;
    auto d = sentinel<shape<8, 8, 1>>();
    auto fails = [&](const std::string& name, const std::string& text, const std::string& part) {
        write_text(dir / name, text);
        CHECK_FAILS_NAMING(td::load_digits_csv(dir / name, d), dir / name, part);
    };
    const std::string good = digits_line(0, 1);
    fails("short.csv", good + "1,2,3\n", "line 2 has 3 fields; expected 65");
    fails("long.csv", good.substr(0, good.size() - 1) + ",4\n", "line 1 has more than 65 fields");
    fails("text.csv", "pixel0" + good.substr(1), "line 1 field 1 is not a number");
    fails("range.csv", "17" + good.substr(1), "pixel 1 is 17, outside 0..16");
    fails("label.csv", good.substr(0, good.size() - 2) + "2.5\n", "label 2.5 is not a class index");
    fails("negative.csv", good.substr(0, good.size() - 2) + "-1\n", "label -1 is not a class index");
    fails("empty.csv", "\n\n", "no samples");
    CHECK_FAILS_NAMING(td::load_digits_csv(dir / "missing.csv", d), dir / "missing.csv", "no such file");
    CHECK(is_sentinel(d));
}

// ---- image folders ------------------------------------------------------------------------------

namespace {
// A w x h image with `comp` channels, every pixel (v, v + 1, v + 2, ...).
std::vector<unsigned char> flat_image(int w, int h, int comp, int v) {
    std::vector<unsigned char> pixels(std::size_t(w * h * comp));
    for (int i = 0; i < w * h; ++i)
        for (int c = 0; c < comp; ++c) pixels[std::size_t(i * comp + c)] = static_cast<unsigned char>(v + c);
    return pixels;
}
void write_png(const fs::path& p, int w, int h, int comp, const std::vector<unsigned char>& px) {
    fs::create_directories(p.parent_path());
    REQUIRE(stbi_write_png(p.string().c_str(), w, h, comp, px.data(), w * comp) != 0);
}
void write_bmp(const fs::path& p, int w, int h, int comp, const std::vector<unsigned char>& px) {
    fs::create_directories(p.parent_path());
    REQUIRE(stbi_write_bmp(p.string().c_str(), w, h, comp, px.data()) != 0);
}
void write_jpg(const fs::path& p, int w, int h, int comp, const std::vector<unsigned char>& px) {
    fs::create_directories(p.parent_path());
    REQUIRE(stbi_write_jpg(p.string().c_str(), w, h, comp, px.data(), 100) != 0);
}
}  // namespace

TEST_CASE("datasets: image folders -- classes sorted by name, files in Keras' order, formats, channels") {
    temp_dir dir;
    const fs::path root = dir / "images";
    // Written out of order on purpose; v identifies each image.
    write_png(root / "b_dog" / "2.png", 2, 2, 3, flat_image(2, 2, 3, 60));
    write_bmp(root / "b_dog" / "1.BMP", 2, 2, 3, flat_image(2, 2, 3, 50));
    write_png(root / "a_cat" / "more" / "0.png", 2, 2, 3, flat_image(2, 2, 3, 30));
    write_png(root / "a_cat" / "2.PNG", 2, 2, 1, flat_image(2, 2, 1, 20));  // grayscale file
    write_png(root / "a_cat" / "1.png", 2, 2, 4, flat_image(2, 2, 4, 10));  // RGBA file
    write_jpg(root / "c_bird" / "1.jpeg", 8, 8, 3, flat_image(8, 8, 3, 128));
    write_text(root / "a_cat" / "notes.txt", "not an image");
    write_png(root / "stray.png", 2, 2, 3, flat_image(2, 2, 3, 0));  // at root: ignored, as in Keras

    td::labeled<float, shape<2, 2, 3>> d;
    std::vector<std::string> names;
    REQUIRE_OK(td::load_image_folder(root, d, &names));
    CHECK(names == std::vector<std::string>{"a_cat", "b_dog", "c_bird"});
    REQUIRE(d.size() == 6);
    CHECK(d.y == std::vector<std::int32_t>{0, 0, 0, 1, 1, 2});
    // a_cat/1.png (RGBA, alpha dropped), a_cat/2.PNG (gray -> g g g), a_cat/more/0.png, b_dog/1.BMP, b_dog/2.png
    const float expect[5][3] = {{10, 11, 12}, {20, 20, 20}, {30, 31, 32}, {50, 51, 52}, {60, 61, 62}};
    for (int i = 0; i < 5; ++i)
        for (int p = 0; p < 4; ++p)
            for (int c = 0; c < 3; ++c) {
                CAPTURE(i);
                CHECK(d.x[index_t(i) * 12 + p * 3 + c] == expect[i][c] / 255.0f);
            }
    // The 8x8 JPEG of (128, 129, 130), downsized to 2x2: lossy, so close.
    for (int k = 0; k < 12; ++k) CHECK(d.x[60 + k] == doctest::Approx((128.0 + k % 3) / 255.0).epsilon(0.02));

    // Grey target from a colour file: libpng's weights and truncation, as TensorFlow's PNG decoder
    // (stb_image's own (77 R + 150 G + 29 B) >> 8 gives 28 here, TensorFlow 29).
    const fs::path gray = dir / "gray";
    std::vector<unsigned char> rgb = {0, 0, 255};
    write_png(gray / "x" / "a.png", 1, 1, 3, rgb);
    td::labeled<float, shape<1, 1, 1>> g;
    REQUIRE_OK(td::load_image_folder(gray, g));
    CHECK(g.x[0] == float((255 * 3737) >> 15) / 255.0f);
    CHECK(g.x[0] == 29.0f / 255.0f);
}

namespace {
const fs::path image_fixtures = fs::path(TYPENET_FIXTURES) / "images";

// Every array of an .npz fixture as floats, by name.
std::map<std::string, std::vector<float>> npz_arrays(const fs::path& file) {
    std::vector<typenet::io::npy_array> arrays;
    REQUIRE_OK(typenet::io::read_npz(file, arrays));
    std::map<std::string, std::vector<float>> out;
    for (const auto& a : arrays) REQUIRE_OK(a.to_vector(out[a.name]));
    return out;
}
const std::vector<float>& member(const std::map<std::string, std::vector<float>>& arrays, const std::string& name) {
    const auto it = arrays.find(name);
    REQUIRE_MESSAGE(it != arrays.end(), "no array " << name << " in the fixture");
    return it->second;
}

// One fixture file decoded alone to its own size (29 x 35): no resize, the decoder's bytes / 255.
template <int C>
std::vector<float> decode_fixture(const temp_dir& dir, const std::string& name) {
    const fs::path root = dir / ("one_" + name + std::to_string(C));
    fs::remove_all(root);
    fs::create_directories(root / "k");
    fs::copy_file(image_fixtures / "files" / name, root / "k" / name);
    td::labeled<float, shape<29, 35, C>> d;
    REQUIRE_OK(td::load_image_folder(root, d));
    return std::vector<float>(d.x.data(), d.x.data() + d.x.size());
}
}  // namespace

TEST_CASE("datasets: images decode to TensorFlow's pixels, bit for bit (JPEG through libjpeg-turbo)") {
    // tests/fixtures/images/decoded.npz: tf.io.decode_image of each file (tools/make_image_fixtures.py).
    // stb_image, which decoded JPEG before, differed from these in about 2 of 3 values, by up to 6 levels.
    temp_dir dir;
    const auto decoded = npz_arrays(image_fixtures / "decoded.npz");
    for (const char* name : {"rgb420.jpg", "rgb444.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg", "ycck.jpg",
                             "rgb8.png", "rgba8.png", "rgb16.png", "grey8.png"}) {
        CAPTURE(name);
        const std::vector<float>& want3 = member(decoded, std::string(name) + ".c3");
        const std::vector<float> got3 = decode_fixture<3>(dir, name);
        REQUIRE(got3.size() == want3.size());
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < got3.size(); ++i) wrong += got3[i] != want3[i] / 255.0f;
        CHECK(wrong == 0);
        const std::string n(name);
        if (n == "cmyk.jpg" || n == "ycck.jpg") continue;  // TensorFlow refuses grey from CMYK
        const std::vector<float>& want1 = member(decoded, n + ".c1");
        const std::vector<float> got1 = decode_fixture<1>(dir, name);
        REQUIRE(got1.size() == want1.size());
        wrong = 0;
        for (std::size_t i = 0; i < got1.size(); ++i) wrong += got1[i] != want1[i] / 255.0f;
        CHECK(wrong == 0);
    }
    // Four channels from a JPEG (TensorFlow refuses): RGB and alpha 255. Grey from CMYK (refused
    // too): the RGB with the PNG decoder's weights.
    const std::vector<float> rgb = decode_fixture<3>(dir, "rgb420.jpg"), rgba = decode_fixture<4>(dir, "rgb420.jpg");
    for (std::size_t p = 0; p < rgb.size() / 3; ++p) {
        for (std::size_t c = 0; c < 3; ++c) REQUIRE(rgba[4 * p + c] == rgb[3 * p + c]);
        REQUIRE(rgba[4 * p + 3] == 1.0f);
    }
    const std::vector<float> cmyk3 = decode_fixture<3>(dir, "cmyk.jpg"), cmyk1 = decode_fixture<1>(dir, "cmyk.jpg");
    for (std::size_t p = 0; p < cmyk1.size(); ++p) {
        const auto v = [&](std::size_t c) { return unsigned(std::lround(cmyk3[3 * p + c] * 255.0f)); };
        REQUIRE(cmyk1[p] == float((9797 * v(0) + 19234 * v(1) + 3737 * v(2)) >> 15) / 255.0f);
    }
}

TEST_CASE("datasets: an image folder loads as keras.utils.image_dataset_from_directory does") {
    // tests/fixtures/images/keras.npz: Keras' dataset of images/folder at image_size (12, 17), RGB and
    // grayscale, in its file order, as 0..255 floats; typenet scales by 1 / 255.
    const fs::path folder = image_fixtures / "folder";
    const auto ref = npz_arrays(image_fixtures / "keras.npz");
    td::labeled<float, shape<12, 17, 3>> rgb;
    td::labeled<float, shape<12, 17, 1>> grey;
    std::vector<std::string> names;
    REQUIRE_OK(td::load_image_folder(folder, rgb, &names));
    REQUIRE_OK(td::load_image_folder(folder, grey));
    CHECK(names == std::vector<std::string>{"a_photos", "b_drawings"});
    const std::vector<float>& labels = member(ref, "labels");
    REQUIRE(labels.size() == rgb.y.size());
    for (std::size_t i = 0; i < labels.size(); ++i) CHECK(float(rgb.y[i]) == labels[i]);
    CHECK(grey.y == rgb.y);
    const auto compare = [&](const float* got, std::size_t n, const char* key) {
        const std::vector<float>& want = member(ref, key);
        REQUIRE(n == want.size());
        double worst = 0;
        for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, double(std::fabs(got[i] * 255.0f - want[i])));
        CAPTURE(key);
        CHECK(worst < 2e-3);  // float rounding of the same bilinear arithmetic
    };
    compare(rgb.x.data(), std::size_t(rgb.x.size()), "rgb");
    compare(grey.x.data(), std::size_t(grey.x.size()), "grey");
}

TEST_CASE("datasets: image folders resize with TensorFlow's bilinear arithmetic (half-pixel centres)") {
    temp_dir dir;
    // 1 x 2 -> 1 x 4: positions -0.25, 0.25, 0.75, 1.25 -> 0, 63.75, 191.25, 255.
    write_png(dir / "up" / "k" / "a.png", 2, 1, 1, {0, 255});
    td::labeled<float, shape<1, 4, 1>> up;
    REQUIRE_OK(td::load_image_folder(dir / "up", up));
    CHECK(up.x[0] == 0.0f);
    CHECK(up.x[1] == doctest::Approx(63.75 / 255));
    CHECK(up.x[2] == doctest::Approx(191.25 / 255));
    CHECK(up.x[3] == 1.0f);
    // 4 x 4 -> 2 x 2: each output pixel is the mean of a 2 x 2 block (positions 0.5 and 2.5).
    std::vector<unsigned char> pixels(16);
    std::iota(pixels.begin(), pixels.end(), static_cast<unsigned char>(0));
    for (auto& v : pixels) v = static_cast<unsigned char>(v * 10);
    write_png(dir / "down" / "k" / "a.png", 4, 4, 1, pixels);
    td::labeled<float, shape<2, 2, 1>> down;
    REQUIRE_OK(td::load_image_folder(dir / "down", down));
    CHECK(down.x[0] == doctest::Approx((0 + 10 + 40 + 50) / 4.0 / 255));
    CHECK(down.x[3] == doctest::Approx((100 + 110 + 140 + 150) / 4.0 / 255));
}

TEST_CASE("datasets: broken image folders give an error naming the file or folder") {
    temp_dir dir;
    auto d = sentinel<shape<2, 2, 3>>();
    const fs::path root = dir / "images";
    write_png(root / "cat" / "ok.png", 2, 2, 3, flat_image(2, 2, 3, 1));
    write_text(root / "cat" / "broken.png", "this is not a PNG file");
    CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "cat" / "broken.png", "cannot decode");
    fs::remove(root / "cat" / "broken.png");

    // A PNG cut in half.
    write_png(dir / "whole.png", 16, 16, 3, flat_image(16, 16, 3, 7));
    bytes png = read_file(dir / "whole.png");
    png.resize(png.size() / 2);
    write_file(root / "cat" / "cut.png", png);
    CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "cat" / "cut.png", "cannot decode");
    fs::remove(root / "cat" / "cut.png");
    write_file(root / "cat" / "empty.jpg", {});
    CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "cat" / "empty.jpg", "empty file");
    fs::remove(root / "cat" / "empty.jpg");

    // Files whose headers lie: a JPEG Huffman table with 4080 codes (stb_image 2.27 would write
    // past its tables), a BMP cut short (stb_image would read zeros), a small PNG claiming
    // 10000 x 10000 pixels.
    write_jpg(dir / "j.jpg", 16, 16, 3, flat_image(16, 16, 3, 7));
    const bytes valid_jpg = read_file(dir / "j.jpg");
    // Where the first FF <m> marker of a copy of the valid JPEG is.
    const auto marker = [](bytes& b, unsigned char m) {
        const unsigned char mk[2] = {0xff, m};
        const auto at = std::search(b.begin(), b.end(), std::begin(mk), std::end(mk));
        REQUIRE(at != b.end());
        return at;
    };
    const auto refused = [&](const char* name, const bytes& b, const char* why) {
        write_file(root / "cat" / name, b);
        CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "cat" / name, why);
        fs::remove(root / "cat" / name);
    };
    bytes jpg = valid_jpg;
    const auto dht = marker(jpg, 0xc4);
    std::fill(dht + 5, dht + 21, 0xff);  // after marker, length and table id: the 16 code counts
    refused("dht.jpg", jpg, "libjpeg: Bogus Huffman table definition");
    // The same file behind 0xFF fill bytes, which stb_image skipped before the start-of-image
    // marker (an independent fuzz run found the old guard bypassed that way). Every file that
    // starts with 0xFF now goes to libjpeg, which wants FF D8 first.
    bytes filled = {0xff, 0xff, 0xff};
    filled.insert(filled.end(), jpg.begin(), jpg.end());
    refused("filled.jpg", filled, "Not a JPEG file: starts with 0xff 0xff");
    // A scan that names a Huffman table no DHT segment defined (stb_image 2.27 decoded it with
    // uninitialised memory; found by tests/fuzz/fuzz_image). The first scan component is pointed
    // at DC and AC table 3.
    bytes undefined_table = valid_jpg;
    marker(undefined_table, 0xda)[6] = 0x33;  // marker, length (2), Ns, component id, then its tables
    refused("table.jpg", undefined_table, "Huffman table 0x03 was not defined");
    // Cut short: an error, as in TensorFlow (libjpeg alone would fill the rest with grey). Even
    // the end-of-image marker alone missing.
    refused("cut.jpg", bytes(valid_jpg.begin(), valid_jpg.begin() + std::ptrdiff_t(valid_jpg.size() * 3 / 4)),
            "truncated JPEG");
    refused("no_eoi.jpg", bytes(valid_jpg.begin(), valid_jpg.end() - 2), "truncated JPEG");
    // A header claiming 60000 x 60000 pixels: refused before any pixel memory is allocated.
    bytes huge_jpg = valid_jpg;
    const auto sof = marker(huge_jpg, 0xc0);
    sof[5] = sof[7] = 0xea;  // marker, length (2), precision, then height and width, big-endian
    sof[6] = sof[8] = 0x60;
    refused("huge.jpg", huge_jpg, "claims 60000x60000 pixels, more than");
    // A progressive JPEG of more than 500 scans (each costs a pass over the image): its last scan
    // repeated. libjpeg-turbo recommends this limit for untrusted files.
    {
        const bytes prog = read_file(image_fixtures / "files" / "progressive.jpg");
        const unsigned char sos[2] = {0xff, 0xda};
        auto last = prog.end();
        for (auto at = prog.begin(); (at = std::search(at, prog.end(), std::begin(sos), std::end(sos))) != prog.end(); ++at)
            last = at;
        REQUIRE(last != prog.end());
        bytes many(prog.begin(), last);
        for (int i = 0; i < 510; ++i) many.insert(many.end(), last, prog.end() - 2);
        many.insert(many.end(), prog.end() - 2, prog.end());
        refused("scans.jpg", many, "more than 500 scans");
        bytes fewer(prog.begin(), last);  // the same with 20 repeats: decodes
        for (int i = 0; i < 20; ++i) fewer.insert(fewer.end(), last, prog.end() - 2);
        fewer.insert(fewer.end(), prog.end() - 2, prog.end());
        write_file(root / "cat" / "fewer.jpg", fewer);
        REQUIRE_OK(td::load_image_folder(root, d));
        fs::remove(root / "cat" / "fewer.jpg");
    }
    // Corrupt entropy-coded data decodes (libjpeg warns; TensorFlow and Keras take it too).
    bytes garbled = valid_jpg;
    for (std::size_t i = garbled.size() / 2; i < garbled.size() / 2 + 30; i += 3) garbled[i] ^= 0x55;
    write_file(root / "cat" / "garbled.jpg", garbled);
    REQUIRE_OK(td::load_image_folder(root, d));
    fs::remove(root / "cat" / "garbled.jpg");

    write_bmp(dir / "b.bmp", 16, 16, 3, flat_image(16, 16, 3, 7));
    bytes bmp = read_file(dir / "b.bmp");
    bmp.resize(bmp.size() - 50);
    write_file(root / "cat" / "cut.bmp", bmp);
    CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "cat" / "cut.bmp", "truncated BMP");
    fs::remove(root / "cat" / "cut.bmp");

    write_png(dir / "p.png", 2, 2, 3, flat_image(2, 2, 3, 7));
    const bytes small_png = read_file(dir / "p.png");
    bytes big = small_png;
    for (int i : {16, 20}) {  // IHDR width and height, big-endian
        big[std::size_t(i)] = 0;
        big[std::size_t(i) + 1] = 0;
        big[std::size_t(i) + 2] = 0x27;
        big[std::size_t(i) + 3] = 0x10;
    }
    write_file(root / "cat" / "big.png", big);
    CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "cat" / "big.png", "claims 10000x10000 pixels");
    fs::remove(root / "cat" / "big.png");
    // An empty IDAT chunk before the image data: stb_image 2.27 then calls memcpy(nullptr, src, 0),
    // undefined behaviour (found by tests/fuzz/fuzz_image under UBSan). Inserted after IHDR
    // (signature 8 bytes, IHDR 25), with its correct CRC.
    bytes empty_idat = small_png;
    const unsigned char chunk[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xaf, 0x06, 0x1e};
    empty_idat.insert(empty_idat.begin() + 33, std::begin(chunk), std::end(chunk));
    refused("empty_idat.png", empty_idat, "first IDAT chunk is empty");
    // An IDAT chunk claiming 2 GB: stb_image 2.27 grows its buffer to the claim before reading
    // (a 300-byte file allocated 2 GB under tests/fuzz/fuzz_image).
    bytes huge_idat(empty_idat.begin(), empty_idat.begin() + 33);
    huge_idat.insert(huge_idat.end(), empty_idat.begin() + 45, empty_idat.end());  // the valid file again
    REQUIRE(std::equal(huge_idat.begin() + 37, huge_idat.begin() + 41, "IDAT"));
    huge_idat[33] = 0x7f;
    huge_idat[34] = huge_idat[35] = huge_idat[36] = 0xff;
    refused("huge_idat.png", huge_idat, "truncated PNG: an IDAT chunk claims 2147483647 bytes");

    fs::create_directories(root / "dog");
    write_text(root / "dog" / "readme.txt", "no images here");
    CHECK_FAILS_NAMING(td::load_image_folder(root, d), root / "dog", "class folder 'dog' holds no images");
    write_png(root / "dog" / "ok.png", 2, 2, 3, flat_image(2, 2, 3, 1));
    std::vector<std::string> names = {"untouched"};
    REQUIRE_OK(td::load_image_folder(root, d, &names));  // now fine
    CHECK(names == std::vector<std::string>{"cat", "dog"});

    auto e = sentinel<shape<2, 2, 3>>();
    CHECK_FAILS_NAMING(td::load_image_folder(dir / "nowhere", e), dir / "nowhere", "no such folder");
    CHECK_FAILS_NAMING(td::load_image_folder(dir / "whole.png", e), dir / "whole.png", "not a folder");
    fs::create_directories(dir / "bare");
    write_png(dir / "bare" / "a.png", 2, 2, 3, flat_image(2, 2, 3, 1));
    CHECK_FAILS_NAMING(td::load_image_folder(dir / "bare", e), dir / "bare", "no class folders");
    CHECK(is_sentinel(e));
}

// ---- helpers ------------------------------------------------------------------------------------

TEST_CASE("datasets: one_hot, check_labels") {
    const auto h = td::one_hot<4>(std::vector<std::int32_t>{2, 0, 3});
    static_assert(std::is_same_v<std::remove_const_t<decltype(h)>, batch<float, shape<4>>>);
    REQUIRE(h.samples() == 3);
    const float want[12] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
    for (int i = 0; i < 12; ++i) CHECK(h[i] == want[i]);
    CHECK(td::one_hot<2, double>({}).samples() == 0);

    td::labeled<float, shape<1>> d{batch<float, shape<1>>(3), {0, 9, 2}};
    CHECK(td::check_labels(d, 10, "train.idx"));
    const status s = td::check_labels(d, 5, "train.idx");
    CHECK_FALSE(s.ok());
    CHECK(s.message() == "train.idx: label 9 of sample 1 is outside 0..4 (5 classes)");
    d.y[1] = -1;
    CHECK(contains(td::check_labels(d, 10, "x").message(), "label -1 of sample 1"));
    d.y.pop_back();
    CHECK(td::check_labels(d, 10, "x").message() == "x: 3 samples but 2 labels");
}

TEST_CASE("datasets: split takes the last fraction for validation, like Keras' validation_split") {
    td::labeled<float, shape<2>> all{batch<float, shape<2>>(10), {}};
    for (int i = 0; i < 10; ++i) {
        all.x[2 * i] = float(i);
        all.x[2 * i + 1] = float(-i);
        all.y.push_back(i);
    }
    td::labeled<float, shape<2>> train, val;
    td::split(all, 0.2, train, val);
    CHECK(train.size() == 8);
    CHECK(val.size() == 2);
    CHECK(val.y == std::vector<std::int32_t>{8, 9});
    CHECK(val.x[0] == 8.0f);
    CHECK(val.x[3] == -9.0f);
    CHECK(train.x[15] == -7.0f);

    td::split(all, 0.0, train, val);
    CHECK(train.size() == 10);
    CHECK(val.size() == 0);
    td::split(all, 0.35, train, val);  // int(10 * 0.65) = 6
    CHECK(train.size() == 6);
    CHECK(val.y.front() == 6);

    td::labeled<float, shape<2>> seven{batch<float, shape<2>>(7), {0, 1, 2, 3, 4, 5, 6}};
    td::split(seven, 0.3, seven, val);  // int(7 * 0.7) = int(4.8999999999999995) = 4; aliasing is fine
    CHECK(seven.size() == 4);
    CHECK(seven.y == std::vector<std::int32_t>{0, 1, 2, 3});
    CHECK(val.y == std::vector<std::int32_t>{4, 5, 6});
}

TEST_CASE("datasets: pad_and_repeat centres each sample and repeats its channels") {
    td::labeled<float, shape<2, 2, 1>> d{batch<float, shape<2, 2, 1>>(2), {5, 6}};
    for (int i = 0; i < 8; ++i) d.x[i] = float(i + 1);
    const auto r = td::pad_and_repeat<4, 5, 3>(d);
    static_assert(std::is_same_v<std::remove_const_t<decltype(r)>, td::labeled<float, shape<4, 5, 3>>>);
    REQUIRE(r.size() == 2);
    CHECK(r.y == std::vector<std::int32_t>{5, 6});
    // top = (4 - 2) / 2 = 1, left = (5 - 2) / 2 = 1; the extra column goes right.
    float sum = 0;
    for (float v : r.x) sum += v;
    CHECK(sum == 3 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8));
    for (int c = 0; c < 3; ++c) {
        CHECK(px(r.x, 0, 1, 1, c) == 1.0f);
        CHECK(px(r.x, 0, 1, 2, c) == 2.0f);
        CHECK(px(r.x, 0, 2, 1, c) == 3.0f);
        CHECK(px(r.x, 1, 2, 2, c) == 8.0f);
        CHECK(px(r.x, 1, 0, 0, c) == 0.0f);
        CHECK(px(r.x, 1, 3, 4, c) == 0.0f);
    }
    const auto same = td::pad_and_repeat<2, 2, 2>(d);
    CHECK(px(same.x, 1, 1, 0, 1) == 7.0f);
}

// ---- the real data sets, when their Debian packages are installed -------------------------------

namespace {
const fs::path fashion_dir = "/usr/share/datasets/fashion-mnist";
bool have_fashion() {
    std::error_code ec;
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                          "t10k-labels-idx1-ubyte.gz"})
        if (!fs::exists(fashion_dir / f, ec)) return false;
    return true;
}
fs::path digits_path() {
    const char* env = std::getenv("TYPENET_DIGITS_CSV");  // e.g. a copy unpacked from the .deb
    return env && *env ? fs::path(env) : fs::path("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz");
}
bool have_digits() {
    std::error_code ec;
    return fs::exists(digits_path(), ec);
}

template <class S>
std::array<int, 10> class_counts(const td::labeled<float, S>& d) {
    std::array<int, 10> n{};
    for (auto y : d.y)
        if (y >= 0 && y < 10) ++n[std::size_t(y)];
    return n;
}
}  // namespace

TEST_CASE("datasets: Fashion-MNIST from the Debian package dataset-fashion-mnist" *
          doctest::skip(!have_fashion()) *
          doctest::description("needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)")) {
    if (!have_fashion()) {  // only with --no-skip
        MESSAGE("SKIPPED: " << fashion_dir.string() << " not found (apt-get install dataset-fashion-mnist)");
        return;
    }
    using S = shape<28, 28, 1>;
    const auto t0 = std::chrono::steady_clock::now();
    td::labeled<float, S> train, test;
    const status a = td::load_idx<S>(fashion_dir / "train-images-idx3-ubyte.gz", fashion_dir / "train-labels-idx1-ubyte.gz", train);
    const status b = td::load_idx<S>(fashion_dir / "t10k-images-idx3-ubyte.gz", fashion_dir / "t10k-labels-idx1-ubyte.gz", test);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_MESSAGE(a.ok(), a.message());
    REQUIRE_MESSAGE(b.ok(), b.message());
    CHECK(train.size() == 60000);
    CHECK(test.size() == 10000);
    CHECK(td::check_labels(train, 10, "fashion-mnist train"));
    CHECK(td::check_labels(test, 10, "fashion-mnist test"));
    const std::vector<std::int32_t> first(train.y.begin(), train.y.begin() + 16);
    CHECK(first == std::vector<std::int32_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9, 5, 5, 7, 9});
    const auto ntrain = class_counts(train), ntest = class_counts(test);
    for (std::size_t k = 0; k < 10; ++k) {
        CHECK(ntrain[k] == 6000);
        CHECK(ntest[k] == 1000);
    }
    double sum = 0;
    float lo = 1, hi = 0;
    for (float v : train.x) {
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    const double mean = sum / double(train.x.size());
    CHECK(lo == 0.0f);
    CHECK(hi == 1.0f);
    std::ostringstream first_text;
    for (auto y : first) first_text << y << ' ';
    MESSAGE("Fashion-MNIST: " << train.size() << " train + " << test.size() << " test images loaded in " << seconds
                              << " s; first 16 training labels " << first_text.str() << "; every class " << ntrain[0]
                              << " train / " << ntest[0] << " test; training pixel mean " << mean);
}

TEST_CASE("datasets: sklearn digits from the Debian package python3-sklearn" * doctest::skip(!have_digits()) *
          doctest::description("needs /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz "
                               "(apt-get install python3-sklearn) or TYPENET_DIGITS_CSV")) {
    if (!have_digits()) {  // only with --no-skip
        MESSAGE("SKIPPED: " << digits_path().string() << " not found (apt-get install python3-sklearn)");
        return;
    }
    td::labeled<float, shape<8, 8, 1>> d;
    const status s = td::load_digits_csv(digits_path(), d);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(d.size() == 1797);
    CHECK(td::check_labels(d, 10, "digits"));
    CHECK(d.y.front() == 0);
    CHECK(class_counts(d) == std::array<int, 10>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
    CHECK(d.x[2] == 5.0f / 16.0f);  // the first row starts 0, 0, 5, 13, 9, 1
    CHECK(d.x[3] == 13.0f / 16.0f);
    MESSAGE("sklearn digits: " << d.size() << " samples from " << digits_path().string());
}
