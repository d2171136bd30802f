// Writes the fuzz harnesses' seed corpora (tests/fuzz/CMakeLists.txt runs it at build time): valid
// files of every format each reader takes, made by typenet's own writers and stb_image_write, plus
// the .npz/.npy fixtures of tests/fixtures/npz (argv[2]). Each harness's inputs are in
// argv[1]/<harness>/, in the harness's own framing (a selector byte first where it has one).
#include <typenet/typenet.hpp>

#if __has_include(<stb/stb_image_write.h>)
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#endif

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_nets.hpp"

namespace fs = std::filesystem;
namespace tn = typenet;
using bytes = std::vector<unsigned char>;

namespace {

bytes slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void put(const fs::path& p, const bytes& b) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
bytes framed(unsigned char selector, const bytes& b) {
    bytes out(b.size() + 1);
    out[0] = selector;
    std::copy(b.begin(), b.end(), out.begin() + 1);
    return out;
}
void be32(bytes& b, std::uint32_t v) {
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
bytes gzip(const bytes& b) {
    bytes out(compressBound(uLong(b.size())) + 64);
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // + 16: a gzip header
    z.next_in = const_cast<unsigned char*>(b.data());
    z.avail_in = uInt(b.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}
void stb_sink(void* ctx, void* data, int n) {
    auto* b = static_cast<bytes*>(ctx);
    b->insert(b->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + n);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_seeds OUT_DIR NPZ_FIXTURES_DIR\n");
        return 2;
    }
    const fs::path out = argv[1], fixtures = argv[2];
    fs::remove_all(out);
    for (const auto& e : fs::directory_iterator(fixtures)) {
        const auto ext = e.path().extension();
        if (ext == ".npz") put(out / "npz" / e.path().filename(), slurp(e.path()));
        if (ext == ".npy") put(out / "npy" / e.path().filename(), slurp(e.path()));
    }
    // Weights of the harness's network, and a training state (after one step, so the optimizer's
    // slots are not zero).
    for (const char* h : {"npz", "npy", "datasets", "image", "state", "text"}) fs::create_directories(out / h);
    const auto check = [](const tn::status& st) {
        if (!st) std::fprintf(stderr, "make_seeds: %s\n", st.message().c_str());
        return bool(st);
    };
    tn::model<fuzz::weights_net> w(1);
    if (!check(w.save_npz(out / "npz" / "weights_net.npz"))) return 1;
    tn::model<fuzz::state_net> s(2);
    s.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
    tn::batch<float, tn::shape<4>> x(4);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) / 5.0f;
    const float y[4] = {0, 1, 1, 0};
    s.train_on_batch(x.data(), y, 4);
    if (!check(s.save_training_state(out / "state" / "adam_state.npz"))) return 1;
    tn::io::npy_array labels = tn::io::make_npy<float>("labels", {4}, y);
    if (!check(tn::io::write_npy(out / "npy" / "labels.npy", labels))) return 1;

    // IDX: 2 images of 4 x 3 and their labels, plain (selector 0) and gzipped (1); the two bytes
    // after the selector are the image file's length.
    bytes images, labels_idx;
    be32(images, 0x00000803), be32(images, 2), be32(images, 4), be32(images, 3);
    for (int i = 0; i < 24; ++i) images.push_back(static_cast<unsigned char>(i * 10));
    be32(labels_idx, 0x00000801), be32(labels_idx, 2);
    labels_idx.push_back(3), labels_idx.push_back(7);
    for (int gz = 0; gz < 2; ++gz) {
        const bytes im = gz ? gzip(images) : images, lb = gz ? gzip(labels_idx) : labels_idx;
        bytes b{static_cast<unsigned char>(im.size() >> 8), static_cast<unsigned char>(im.size())};
        b.insert(b.end(), im.begin(), im.end());
        b.insert(b.end(), lb.begin(), lb.end());
        put(out / "datasets" / (gz ? "idx_gz" : "idx"), framed(static_cast<unsigned char>(gz), b));
    }
    bytes cifar;  // two records: label, then 3072 channel-planar pixels
    for (int r = 0; r < 2; ++r) {
        cifar.push_back(static_cast<unsigned char>(r * 4));
        for (int i = 0; i < 3072; ++i) cifar.push_back(static_cast<unsigned char>((i * 7 + r) % 256));
    }
    put(out / "datasets" / "cifar", framed(2, cifar));
    std::string csv;
    for (int r = 0; r < 2; ++r) {
        for (int i = 0; i < 64; ++i) csv += std::to_string((i + r) % 17) + ",";
        csv += std::to_string(r) + "\n";
    }
    put(out / "datasets" / "digits", framed(3, bytes(csv.begin(), csv.end())));

    // Images, one per format (selector: .png .jpg .bmp .gif).
    std::vector<unsigned char> px(8 * 8 * 3);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<unsigned char>(i * 3);
#ifdef STB_IMAGE_WRITE_IMPLEMENTATION
    bytes png{0}, jpg{1}, bmp{2};
    stbi_write_png_to_func(stb_sink, &png, 8, 8, 3, px.data(), 8 * 3);
    stbi_write_jpg_to_func(stb_sink, &jpg, 8, 8, 3, px.data(), 90);
    stbi_write_bmp_to_func(stb_sink, &bmp, 8, 8, 3, px.data());
    put(out / "image" / "png", png);
    put(out / "image" / "jpg", jpg);
    put(out / "image" / "bmp", bmp);
#endif
    // A 1 x 1 GIF89a (the smallest well-formed one: a 2-colour table and one LZW-coded pixel).
    const bytes gif = {3,    'G',  'I',  'F',  '8',  '9',  'a',  1,    0,    1,    0,    0x80, 0,    0,
                       0xff, 0xff, 0xff, 0,    0,    0,    0x2c, 0,    0,    0,    0,    1,    0,    1,
                       0,    0,    2,    2,    0x44, 0x01, 0,    0x3b};
    put(out / "image" / "gif", gif);
    // The image-decoding fixtures (tests/fixtures/images/files, next to the npz fixtures): every JPEG
    // kind (4:2:0, 4:4:4, progressive, grey, CMYK, YCCK) and PNG kind (RGB, RGBA, 16-bit, grey), each
    // loaded to 3 channels and, with a second seed, to 1 (grey from colour).
    const fs::path image_files = fixtures.parent_path() / "images" / "files";
    for (const auto& entry : fs::directory_iterator(image_files)) {
        const bytes file = slurp(entry.path());
        const unsigned char ext = entry.path().extension() == ".png" ? 0 : 1;
        for (unsigned char channels : {0, 1}) {  // selector / 4: 0 is 3 channels, 1 is grey
            bytes seed{static_cast<unsigned char>(ext + 4 * channels)};
            seed.insert(seed.end(), file.begin(), file.end());
            put(out / "image" / ("fixture_" + entry.path().filename().string() + (channels ? "_grey" : "")), seed);
        }
    }

    // Text: lines of words and characters, with punctuation and UTF-8 (selector: options).
    const std::string text = "the cat sat on the mat\nDer Hund, die Katze!\n\xc3\xa9t\xc3\xa9 caf\xc3\xa9\nhello world\n";
    for (unsigned char sel : {0x00, 0x01, 0x23, 0x42})
        put(out / "text" / ("text_" + std::to_string(sel)), framed(sel, bytes(text.begin(), text.end())));
    std::printf("seed corpora in %s\n", out.string().c_str());
    return 0;
}
