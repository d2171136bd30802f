// image_folder: labeled images from root/<class name>/*.png|jpg|jpeg|bmp|gif, like Keras'
// image_dataset_from_directory (labels inferred from the sorted class folder names, images
// resized with bilinear interpolation). JPEG is decoded with libjpeg-turbo as TensorFlow decodes
// it (typenet/io/jpeg.hpp: link -ljpeg, or CMake's typenet::images), PNG, BMP and GIF with
// stb_image (Debian: libstb-dev, header only). Needs the rest of typenet/io/datasets.hpp.
//
// How stb_image is compiled in, and why it cannot cause duplicate symbols: typenet is
// header-only, so it cannot own "the one translation unit" that defines STB_IMAGE_IMPLEMENTATION.
// A macro that users define in one file of their own (the usual stb recipe) breaks as soon as a
// program also links another copy of stb_image (libstb, SDL, a game engine...) -- two definitions
// of stbi_load_from_memory. So this header compiles stb_image with STB_IMAGE_STATIC: every stb
// function and variable has internal linkage, private to each translation unit that includes this
// header. Nothing is exported, so no combination of translation units or libraries can collide;
// the price is one copy of the decoder's code per translation unit that includes this header.
// If stb_image.h was already included (the user configured and links their own copy), that
// copy's declarations are used instead and nothing is compiled here. Include stb_image.h after
// this header only without STB_IMAGE_IMPLEMENTATION (its declarations are then already there).
// Either way stb_image never sees a JPEG: every file that starts with 0xFF goes to libjpeg.
#pragma once

#include <typenet/io/datasets.hpp>
#include <typenet/io/jpeg.hpp>

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdint>
#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if !defined(STBI_INCLUDE_STB_IMAGE_H)
#if defined(__GNUC__) || defined(__clang__)
// stb_image is C written for -Wall at most; a copy outside the system include path would
// otherwise fail a -Wextra -Werror build.
#pragma GCC diagnostic push
#if defined(__clang__)
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#endif
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
// Only the decoders behind the accepted extensions other than JPEG: stb_image picks the decoder by
// content, not by name, so this keeps its less-tested ones (PSD, TGA, HDR, PIC, PNM) away from the
// files, and its JPEG decoder too (libjpeg-turbo decodes those).
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>  // Debian's libstb-dev
#elif __has_include(<stb_image.h>)
#include <stb_image.h>
#else
#error "typenet/io/image_folder.hpp needs stb_image.h (Debian: apt-get install libstb-dev)"
#endif
#undef STB_IMAGE_IMPLEMENTATION
#undef STB_IMAGE_STATIC
#undef STBI_ONLY_PNG
#undef STBI_ONLY_BMP
#undef STBI_ONLY_GIF
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// Without libjpeg or stb_image, the #error that names the package is the only error
// (tests/compile_fail/setup).
#if defined(TYPENET_HAS_LIBJPEG) && defined(STBI_INCLUDE_STB_IMAGE_H)
namespace typenet::data {

// Loads every image under root/<class>/ (class folders sorted by name -> labels 0..K-1; files
// found recursively, ordered like Keras: by folder, then by name; extensions .bmp .gif .jpeg
// .jpg .png in any case). Each image is converted to S's channel count as tf.io.decode_image
// converts it (1: grey -- a JPEG's own luma plane, otherwise libpng's 0.299/0.587/0.114 weights;
// 3: RGB; 4: RGBA, alpha 255 where the file has none; alpha is dropped, not composited), resized to
// S's height x width with bilinear interpolation (TensorFlow's tf.image.resize: half-pixel
// centres, no antialiasing) and scaled by 1 / 255. Files directly under root are ignored, as
// Keras does. `class_names`, when given, receives the class folder names on success.
template <class S, class T = float>
status load_image_folder(const std::filesystem::path& root, labeled<T, S>& out,
                         std::vector<std::string>* class_names = nullptr);

namespace detail {

// One image file may have at most this many bytes and decode to at most this many pixels.
inline constexpr std::uint64_t max_image_file_bytes = std::uint64_t{1} << 28;  // 256 MiB
inline constexpr std::uint64_t max_image_pixels = std::uint64_t{1} << 28;      // e.g. 16384 x 16384

inline bool is_image_file(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".gif";
}

// Image files under `dir`, recursively, in Keras' order (folder path, then file name).
inline status list_images(const std::filesystem::path& dir, std::vector<std::filesystem::path>& files) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) return status::error(where(dir) + "cannot list the folder (" + ec.message() + ")");
    for (; it != end; it.increment(ec)) {
        if (ec) return status::error(where(dir) + "cannot list the folder (" + ec.message() + ")");
        std::error_code fe;
        if (it->is_regular_file(fe) && is_image_file(it->path())) found.push_back(it->path());
    }
    if (ec) return status::error(where(dir) + "cannot list the folder (" + ec.message() + ")");
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
        const std::string pa = a.parent_path().string(), pb = b.parent_path().string();
        return pa != pb ? pa < pb : a.filename().string() < b.filename().string();
    });
    files = std::move(found);
    return {};
}

// Bilinear resize of 8-bit pixels (ih, iw, C) into (OH, OW, C) as T / 255: TensorFlow 2's
// tf.image.resize(method="bilinear", antialias=False) arithmetic, half-pixel centres. Equal
// sizes copy exactly.
template <class T, index_t OH, index_t OW, index_t C>
void resize_bilinear(const unsigned char* in, index_t ih, index_t iw, T* out) {
    struct axis {
        index_t lo, hi;
        float frac;
    };
    auto weights = [](index_t o, index_t in_size, index_t out_size) {
        const float scale = float(in_size) / float(out_size);
        const float pos = (float(o) + 0.5f) * scale - 0.5f;
        const float fl = std::floor(pos);
        axis a;
        a.lo = std::max<index_t>(index_t(fl), 0);
        a.hi = std::min<index_t>(index_t(std::ceil(pos)), in_size - 1);
        a.frac = pos - fl;
        return a;
    };
    for (index_t y = 0; y < OH; ++y) {
        const axis ay = weights(y, ih, OH);
        for (index_t x = 0; x < OW; ++x) {
            const axis ax = weights(x, iw, OW);
            for (index_t c = 0; c < C; ++c) {
                const float tl = in[(ay.lo * iw + ax.lo) * C + c], tr = in[(ay.lo * iw + ax.hi) * C + c];
                const float bl = in[(ay.hi * iw + ax.lo) * C + c], br = in[(ay.hi * iw + ax.hi) * C + c];
                const float top = tl + (tr - tl) * ax.frac, bottom = bl + (br - bl) * ax.frac;
                out[(y * OW + x) * C + c] = static_cast<T>(top + (bottom - top) * ay.frac) / T(255);
            }
        }
    }
}

inline std::uint32_t rd_le32(const unsigned char* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// stb_image 2.27 reads zeros past the end of a BMP's pixel data instead of failing, so a truncated
// uncompressed BMP is rejected here.
inline status check_bmp_size(const unsigned char* d, std::size_t n) {
    if (n < 30) return {};  // too short for stb_image too: it reports that
    const std::uint32_t offset = rd_le32(d + 10), header = rd_le32(d + 14);
    std::int64_t w = 0, h = 0, bpp = 0, compression = 0;
    if (header == 12) {
        w = d[18] | (d[19] << 8);
        h = d[20] | (d[21] << 8);
        bpp = d[24] | (d[25] << 8);
    } else {
        if (n < 34) return {};
        w = std::int32_t(rd_le32(d + 18));
        h = std::int32_t(rd_le32(d + 22));
        bpp = d[28] | (d[29] << 8);
        compression = rd_le32(d + 30);
    }
    if (h < 0) h = -h;
    const std::int64_t max_side = std::int64_t{1} << 24;  // stb_image's own limit rejects more
    if (w <= 0 || h <= 0 || w > max_side || h > max_side || bpp <= 0 || bpp > 32) return {};
    if (compression != 0 && compression != 3) return {};  // RLE and others: stb_image rejects them
    const std::uint64_t row = std::uint64_t((w * bpp + 31) / 32 * 4), last = std::uint64_t((w * bpp + 7) / 8);
    const std::uint64_t need = std::uint64_t(offset) + row * std::uint64_t(h - 1) + last;
    if (need > n)
        return status::error("truncated BMP: " + std::to_string(w) + "x" + std::to_string(h) + " at " +
                             std::to_string(bpp) + " bits per pixel needs " + std::to_string(need) +
                             " bytes but the file has " + std::to_string(n));
    return {};
}

// Two things stb_image 2.27 does with a PNG's IDAT chunks (the compressed image data), found by
// tests/fuzz/fuzz_image; the chunks are walked as stb_image walks them and such a file is rejected
// first. A file without PNG's signature is left to stb_image.
//  - It grows its data buffer to the length an IDAT chunk claims before it reads the chunk: a
//    300-byte file claiming a 2 GB chunk made it allocate 2 GB. A chunk must fit in the file.
//  - An empty first IDAT leaves that buffer null, and it calls memcpy(nullptr, src, 0): undefined
//    behaviour (UBSan: "null pointer passed as argument 1").
inline status check_png_chunks(const unsigned char* d, std::size_t n) {
    static constexpr unsigned char signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    if (n < 8 || std::memcmp(d, signature, 8) != 0) return {};
    bool first_idat = true;
    for (std::size_t pos = 8; pos + 8 <= n;) {
        const std::uint64_t len = rd_be32(d + pos);
        const unsigned char* type = d + pos + 4;
        if (std::memcmp(type, "IEND", 4) == 0) return {};
        if (std::memcmp(type, "IDAT", 4) == 0) {
            if (first_idat && len == 0)
                return status::error("cannot decode the image (corrupt PNG: its first IDAT chunk is empty)");
            if (len > n - (pos + 8))
                return status::error("cannot decode the image (truncated PNG: an IDAT chunk claims " + std::to_string(len) +
                                     " bytes, " + std::to_string(n - (pos + 8)) + " remain in the file)");
            first_idat = false;
        }
        pos += 12 + std::size_t(std::min<std::uint64_t>(len, n));  // length, type, data, CRC
    }
    return {};
}

// Why a header's size is refused: more pixels than the limit, or than n bytes can plausibly hold.
// PNG's deflate stores at most 1032 bytes per input byte, 8 one-bit pixels each: no real image of
// any format needs more than that ratio.
inline std::uint64_t plausible_pixels(std::size_t n) {
    return std::min<std::uint64_t>(max_image_pixels, 8 * 1032 * std::uint64_t(n) + (1u << 16));
}
inline status refuse_image_size(std::int64_t w, std::int64_t h, std::size_t n) {
    const std::uint64_t plausible = plausible_pixels(n);
    return status::error("image header claims " + std::to_string(w) + "x" + std::to_string(h) + " pixels, more than " +
                         (plausible == max_image_pixels ? std::string("the limit of ") + std::to_string(max_image_pixels)
                                                        : std::to_string(n) + " bytes can hold") +
                         " (corrupt or hostile file)");
}

// PNG, BMP or GIF through stb_image, into C bytes per pixel. Grey from a colour file is computed
// here as TensorFlow's PNG decoder computes it (stb_image's own luma weights differ by one level in
// one value of seven): 8-bit with rgb_to_grey, 16-bit PNG with libpng's 16-bit rounding, then its
// top byte.
inline status decode_with_stb(const unsigned char* d, std::size_t n, int C, std::vector<unsigned char>& out, int& w,
                              int& h) {
    const auto* data = reinterpret_cast<const stbi_uc*>(d);
    const int len = static_cast<int>(n);
    int comp = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &comp))
        return status::error(std::string("cannot decode the image (stb_image: ") + stbi_failure_reason() + ")");
    if (w <= 0 || h <= 0 || std::uint64_t(w) * std::uint64_t(h) > plausible_pixels(n)) return refuse_image_size(w, h, n);
    const bool grey_from_colour = C == 1 && comp >= 3;
    const std::size_t pixels = std::size_t(w) * std::size_t(h);
    if (grey_from_colour && stbi_is_16_bit_from_memory(data, len)) {
        stbi_us* px = stbi_load_16_from_memory(data, len, &w, &h, &comp, 3);
        if (!px) return status::error(std::string("cannot decode the image (stb_image: ") + stbi_failure_reason() + ")");
        out.resize(pixels);
        for (std::size_t i = 0; i < pixels; ++i) {
            const std::uint64_t g = (9797u * std::uint64_t{px[3 * i]} + 19234u * std::uint64_t{px[3 * i + 1]} +
                                     3737u * std::uint64_t{px[3 * i + 2]} + 16384u) >> 15;
            out[i] = static_cast<unsigned char>(g >> 8);
        }
        stbi_image_free(px);
        return {};
    }
    stbi_uc* px = stbi_load_from_memory(data, len, &w, &h, &comp, grey_from_colour ? 3 : C);
    if (!px) return status::error(std::string("cannot decode the image (stb_image: ") + stbi_failure_reason() + ")");
    if (grey_from_colour) {
        out.resize(pixels);
        rgb_to_grey(px, pixels, out.data());
    } else {
        out.assign(px, px + pixels * std::size_t(C));
    }
    stbi_image_free(px);
    return {};
}

// Decodes one image file into one sample of S. Messages carry no path.
template <class T, class S>
status decode_image(const std::filesystem::path& p, T* sample) {
    constexpr int C = int(S::extents[2]);
    std::vector<unsigned char> bytes;
    if (status s = read_raw_file(p, bytes, max_image_file_bytes); !s) return s;
    if (bytes.empty()) return status::error("cannot decode the image (empty file)");
    if (bytes.size() > std::size_t(INT_MAX)) return status::error("image file too large");
    const unsigned char* d = bytes.data();
    const std::size_t n = bytes.size();
    std::vector<unsigned char> px;
    int w = 0, h = 0;
    if (d[0] == 0xff) {  // JPEG (or nothing): libjpeg-turbo. stb_image would also take FF FF .. FF D8.
        if (status s = decode_jpeg(d, n, C, plausible_pixels(n), px, w, h); !s)
            return w > 0 ? refuse_image_size(w, h, n) : s;
    } else {
        // Guard what stb_image will parse, found the way it finds it.
        if (n >= 2 && d[0] == 'B' && d[1] == 'M')
            if (status s = check_bmp_size(d, n); !s) return s;
        if (status s = check_png_chunks(d, n); !s) return s;
        if (status s = decode_with_stb(d, n, C, px, w, h); !s) return s;
    }
    resize_bilinear<T, S::extents[0], S::extents[1], S::extents[2]>(px.data(), h, w, sample);
    return {};
}

}  // namespace detail

template <class S, class T>
status load_image_folder(const std::filesystem::path& root, labeled<T, S>& out, std::vector<std::string>* class_names) {
    namespace fs = std::filesystem;
    static_assert(std::is_floating_point_v<T>, "typenet::data::load_image_folder: T must be a floating-point type");
    // S is the per-sample shape the images are resized to: shape<height, width, channels>.
    static_assert(is_shape_v<S> && S::rank == 3 && S::size > 0 &&
                      (S::extents[2] == 1 || S::extents[2] == 3 || S::extents[2] == 4),
                  "typenet::data::load_image_folder: S must be shape<height, width, 1 | 3 | 4>");
    const std::string at = detail::where(root);
    std::error_code ec;
    const auto st = fs::status(root, ec);
    if (st.type() == fs::file_type::not_found) return status::error(at + "no such folder");
    if (st.type() != fs::file_type::directory) return status::error(at + "not a folder");

    std::vector<std::string> names;
    fs::directory_iterator it(root, ec), end;
    if (ec) return status::error(at + "cannot list the folder (" + ec.message() + ")");
    for (; it != end; it.increment(ec)) {
        if (ec) return status::error(at + "cannot list the folder (" + ec.message() + ")");
        std::error_code de;
        if (it->is_directory(de)) names.push_back(it->path().filename().string());
    }
    if (ec) return status::error(at + "cannot list the folder (" + ec.message() + ")");
    std::sort(names.begin(), names.end());  // byte order = code-point order, like Python's sorted()
    if (names.empty()) return status::error(at + "no class folders (expected root/<class name>/<image files>)");

    std::vector<fs::path> files;
    std::vector<std::int32_t> labels;
    for (std::size_t k = 0; k < names.size(); ++k) {
        std::vector<fs::path> found;
        if (status s = detail::list_images(root / names[k], found); !s) return s;
        if (found.empty())
            return status::error(detail::where(root / names[k]) + "class folder '" + names[k] +
                                 "' holds no images (.bmp, .gif, .jpeg, .jpg, .png)");
        files.insert(files.end(), found.begin(), found.end());
        labels.insert(labels.end(), found.size(), static_cast<std::int32_t>(k));
    }
    if (status s = detail::check_dataset_size<T, S>(files.size()); !s) return status::error(at + s.message());

    labeled<T, S> tmp{batch<T, S>(index_t(files.size())), std::move(labels)};
    for (std::size_t i = 0; i < files.size(); ++i)
        if (status s = detail::decode_image<T, S>(files[i], tmp.x.data() + index_t(i) * S::size); !s)
            return status::error(detail::where(files[i]) + s.message());
    out = std::move(tmp);
    if (class_names) *class_names = std::move(names);
    return {};
}

}  // namespace typenet::data
#endif
