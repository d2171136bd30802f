// datasets: labeled training data from the usual files -- MNIST/Fashion-MNIST IDX, CIFAR-10
// binary batches, sklearn's digits CSV, numpy .npy arrays -- plus one_hot, check_labels, split and
// pad_and_repeat.
//
// Every loader is all-or-nothing: on failure `out` is untouched and the status message starts
// with the file's path and says what is wrong. Input is treated as hostile: every size is checked
// against the bytes actually present before anything is allocated for it, a file may hold at most
// TYPENET_DATA_MAX_FILE_BYTES bytes (after decompression) and a loaded dataset at most
// TYPENET_DATA_MAX_BYTES bytes, and nothing throws (the code compiles with -fno-exceptions).
// Files may be gzipped (recognised by the magic bytes 1f 8b, not by the name). Link with zlib.
//
// Image folders (root/<class>/*.png ...) need stb_image: #include <typenet/io/image_folder.hpp>.
#pragma once

#include <typenet/core/config.hpp>
#include <typenet/core/shape.hpp>
#include <typenet/core/status.hpp>
#include <typenet/core/tensor.hpp>
#include <typenet/io/npy.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

// Largest file a loader reads, counted after decompression (4 GiB).
#ifndef TYPENET_DATA_MAX_FILE_BYTES
#define TYPENET_DATA_MAX_FILE_BYTES (std::uint64_t{1} << 32)
#endif
// Largest decoded dataset (samples x sample size x sizeof(T)) a loader allocates (16 GiB).
#ifndef TYPENET_DATA_MAX_BYTES
#define TYPENET_DATA_MAX_BYTES (std::uint64_t{1} << 34)
#endif

TYPENET_BEGIN_STATUS_ASSIGNMENTS  // nvcc only: see core/status.hpp

namespace typenet::data {

// n samples of shape S and their class indices.
template <class T, class S>
struct labeled {
    batch<T, S> x;                // (n, S...)
    std::vector<std::int32_t> y;  // (n)
    index_t size() const { return x.samples(); }
};

// MNIST / Fashion-MNIST: an IDX image file (magic 0x00000803: unsigned bytes, count x rows x cols)
// and its IDX label file (0x00000801), plain or gzipped. Pixels become x / 255. S must be
// shape<rows, cols, 1> with the file's rows and cols. `limit` >= 0 keeps the first `limit` samples
// (the whole files are still checked).
template <class S, class T = float>
status load_idx(const std::filesystem::path& images, const std::filesystem::path& labels, labeled<T, S>& out,
                index_t limit = -1);

// CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin), concatenated in the order
// given. Each record is 1 label byte (0..9) and 3072 pixel bytes, channel-planar (1024 R, 1024 G,
// 1024 B, each row-major 32x32); the result is channels-last (32, 32, 3), x / 255.
template <class T = float>
status load_cifar10(const std::vector<std::filesystem::path>& files, labeled<T, shape<32, 32, 3>>& out);

// sklearn's digits.csv.gz (plain or gzipped): one sample a line, 64 pixel values 0..16 then the
// label, comma-separated. Blank lines and lines starting with '#' are skipped. x / 16.
template <class T = float>
status load_digits_csv(const std::filesystem::path& p, labeled<T, shape<8, 8, 1>>& out);

// Class indices -> one-hot rows. A label outside 0..K-1 is a programming error (TYPENET_ASSERT);
// call check_labels on loaded data first.
template <index_t K, class T = float>
batch<T, shape<K>> one_hot(const std::vector<std::int32_t>& y);

// An error naming `source` when a label is outside 0..classes-1 or the counts differ.
template <class T, class S>
status check_labels(const labeled<T, S>& d, index_t classes, std::string_view source);

// Keras' validation_split: the first floor(n * (1 - validation_fraction)) samples train, the rest
// (the LAST part, before any shuffling) validate. 0 <= validation_fraction < 1. `train` and `val`
// may be `all` itself.
template <class T, class S>
void split(const labeled<T, S>& all, double validation_fraction, labeled<T, S>& train, labeled<T, S>& val);

// Zero-pads each sample, centred, to H2 x W2 (the extra row or column goes to the bottom/right,
// like tf.image.resize_with_crop_or_pad) and repeats its channels to C2 (a multiple of C):
// Fashion-MNIST (28, 28, 1) -> (32, 32, 3) for a network made for CIFAR-10.
template <index_t H2, index_t W2, index_t C2, class T, index_t H, index_t W, index_t C>
labeled<T, shape<H2, W2, C2>> pad_and_repeat(const labeled<T, shape<H, W, C>>& d);

// ------------------------------------------------------------------------------------------
// Implementation details (not part of the public API).
// ------------------------------------------------------------------------------------------
namespace detail {

inline constexpr std::uint64_t max_file_bytes = TYPENET_DATA_MAX_FILE_BYTES;
inline constexpr std::uint64_t max_dataset_bytes = TYPENET_DATA_MAX_BYTES;

inline std::string where(const std::filesystem::path& p) { return p.string() + ": "; }

template <class S>
std::string shape_text() {
    std::string s = "shape<";
    for (std::size_t i = 0; i < S::extents.size(); ++i) s += (i ? ", " : "") + std::to_string(S::extents[i]);
    return s + ">";
}

inline std::string hex_byte(unsigned v) {
    static constexpr char digits[] = "0123456789abcdef";
    return std::string("0x") + digits[(v >> 4) & 15] + digits[v & 15];
}

// v / 255 for every byte value v, exactly as Keras' x / 255.0 rounds it.
template <class T>
std::array<T, 256> byte_to_unit() {
    std::array<T, 256> t{};
    for (int v = 0; v < 256; ++v) t[std::size_t(v)] = static_cast<T>(v) / T(255);
    return t;
}

inline std::uint32_t rd_be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// Whether n samples of S as T fit within max_dataset_bytes (and in memory at all).
template <class T, class S>
status check_dataset_size(std::uint64_t n) {
    const std::uint64_t per_sample = std::uint64_t(S::size) * sizeof(T);
    if (per_sample != 0 && n > max_dataset_bytes / per_sample)
        return status::error(std::to_string(n) + " samples of " + shape_text<S>() + " would take " +
                             std::to_string(n * per_sample) + " bytes, more than the " + std::to_string(max_dataset_bytes) +
                             "-byte limit (TYPENET_DATA_MAX_BYTES)");
    return {};
}

// Inflates a gzip stream (one or more members, as gzip -c a b > ab makes) of at most `limit`
// output bytes. Messages carry no path.
inline status gunzip(const unsigned char* in, std::size_t n, std::uint64_t limit, std::vector<unsigned char>& out) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return status::error("cannot initialise zlib");
    constexpr std::size_t chunk = std::size_t{1} << 30;  // zlib counts in 32-bit uInt
    const std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(limit, std::numeric_limits<std::size_t>::max() - 1)) + 1;
    // Start near the usual ratio and grow with the data actually produced, never on a claim.
    std::vector<unsigned char> buf(std::min<std::size_t>(cap, std::max<std::size_t>(std::size_t{1} << 16, n / 2 * 8)));
    std::size_t in_pos = 0, produced = 0;
    status st;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < n) {
            const std::size_t step = std::min(chunk, n - in_pos);
            zs.next_in = const_cast<Bytef*>(in + in_pos);  // zlib's API is not const-correct
            zs.avail_in = static_cast<uInt>(step);
            in_pos += step;
        }
        if (produced == buf.size()) {
            if (buf.size() >= cap) {
                st = status::error("decompresses to more than the " + std::to_string(limit) +
                                   "-byte limit (TYPENET_DATA_MAX_FILE_BYTES)");
                break;
            }
            buf.resize(std::min(cap, buf.size() * 2));
        }
        const std::size_t room = std::min(chunk, buf.size() - produced);
        zs.next_out = buf.data() + produced;
        zs.avail_out = static_cast<uInt>(room);
        const int ret = inflate(&zs, Z_NO_FLUSH);
        produced += room - zs.avail_out;
        if (ret == Z_STREAM_END) {
            const std::size_t left = zs.avail_in + (n - in_pos);
            if (left == 0) break;
            const unsigned char* next = zs.avail_in ? zs.next_in : in + in_pos;
            if (left >= 2 && next[0] == 0x1f && next[1] == 0x8b && inflateReset(&zs) == Z_OK) continue;  // next member
            st = status::error(std::to_string(left) + " bytes of unexpected data after the end of the gzip stream");
            break;
        }
        if (ret == Z_OK) continue;
        if (ret == Z_BUF_ERROR) {  // no progress possible: every input byte was used
            st = status::error("truncated gzip data (the stream ends early)");
        } else if (ret == Z_MEM_ERROR) {
            st = status::error("out of memory while decompressing");
        } else {
            st = status::error(std::string("corrupt gzip data (zlib: ") + (zs.msg ? zs.msg : "unknown error") + ")");
        }
        break;
    }
    inflateEnd(&zs);
    if (!st) return st;
    if (produced > limit)
        return status::error("decompresses to more than the " + std::to_string(limit) + "-byte limit (TYPENET_DATA_MAX_FILE_BYTES)");
    buf.resize(produced);
    buf.shrink_to_fit();
    out = std::move(buf);
    return {};
}

// Reads a whole file of at most `limit` bytes as it is. Messages carry no path (callers add it).
inline status read_raw_file(const std::filesystem::path& p, std::vector<unsigned char>& out, std::uint64_t limit) {
    std::error_code ec;
    const auto st = std::filesystem::status(p, ec);
    if (st.type() == std::filesystem::file_type::not_found) return status::error("no such file");
    if (st.type() == std::filesystem::file_type::directory) return status::error("is a directory, not a file");
#ifdef _WIN32
    std::FILE* f = _wfopen(p.c_str(), L"rb");
#else
    std::FILE* f = std::fopen(p.c_str(), "rb");
#endif
    if (!f) return status::error(std::string("cannot open for reading (") + std::strerror(errno) + ")");
    const std::uintmax_t hint = std::filesystem::file_size(p, ec);
    if (!ec && hint > limit) {
        std::fclose(f);
        return status::error("the file has " + std::to_string(hint) + " bytes, more than the " + std::to_string(limit) +
                             "-byte limit");
    }
    std::vector<unsigned char> raw;
    if (!ec) raw.reserve(static_cast<std::size_t>(hint));
    constexpr std::size_t chunk = std::size_t{1} << 20;
    bool too_big = false;
    for (;;) {  // read to the end whatever the size said: the file may have grown or be a pipe
        const std::size_t old = raw.size();
        if (old > limit) {
            too_big = true;
            break;
        }
        raw.resize(old + chunk);
        const std::size_t got = std::fread(raw.data() + old, 1, chunk, f);
        raw.resize(old + got);
        if (got < chunk) break;
    }
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) return status::error(std::string("read error (") + std::strerror(err) + ")");
    if (too_big) return status::error("the file has more than " + std::to_string(limit) + " bytes (the limit)");
    out = std::move(raw);
    return {};
}

// Reads a whole file, decompressing it when it starts with the gzip magic 1f 8b; at most `limit`
// bytes before and after decompression. Messages carry no path (callers add it).
inline status read_data_file(const std::filesystem::path& p, std::vector<unsigned char>& out,
                             std::uint64_t limit = max_file_bytes) {
    std::vector<unsigned char> raw;
    if (status s = read_raw_file(p, raw, limit); !s) return s;
    if (raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        std::vector<unsigned char> plain;
        if (status s = gunzip(raw.data(), raw.size(), limit, plain); !s) return s;
        out = std::move(plain);
        return {};
    }
    out = std::move(raw);
    return {};
}

// One IDX array of unsigned bytes: checks magic, dimension count and that the data is exactly
// as long as the header says. `data` points into `file`.
struct idx_array {
    std::uint32_t dims[3] = {0, 0, 0};
    const unsigned char* data = nullptr;
    std::uint64_t bytes = 0;
};

inline status parse_idx(const std::vector<unsigned char>& file, unsigned want_dims, idx_array& a) {
    const char* what = want_dims == 3 ? "image" : "label";
    if (file.size() < 4)
        return status::error("too short to be an IDX file (" + std::to_string(file.size()) + " bytes)");
    const unsigned char* h = file.data();
    if (h[0] != 0 || h[1] != 0)
        return status::error("not an IDX file: wrong magic number " + hex_byte(h[0]) + " " + hex_byte(h[1]) + " " +
                             hex_byte(h[2]) + " " + hex_byte(h[3]) + " (an IDX " + what + " file starts 0x00 0x00 0x08 " +
                             hex_byte(want_dims) + ")");
    if (h[2] != 0x08)
        return status::error("IDX element type " + hex_byte(h[2]) +
                             " is not supported (only 0x08, unsigned bytes, as in MNIST and Fashion-MNIST)");
    if (h[3] != want_dims)
        return status::error("IDX array has " + std::to_string(h[3]) + " dimensions but an " + what + " file has " +
                             std::to_string(want_dims) +
                             (h[3] == 1 ? " (is this the label file?)" : h[3] == 3 ? " (is this the image file?)" : ""));
    const std::size_t header = 4 + 4 * std::size_t{want_dims};
    if (file.size() < header)
        return status::error("truncated IDX header (" + std::to_string(file.size()) + " of " + std::to_string(header) + " bytes)");
    std::uint64_t expected = 1;  // saturates instead of wrapping: three 32-bit factors can exceed 64 bits
    for (unsigned i = 0; i < want_dims; ++i) {
        a.dims[i] = rd_be32(h + 4 + 4 * i);
        expected = a.dims[i] != 0 && expected > std::numeric_limits<std::uint64_t>::max() / a.dims[i]
                       ? std::numeric_limits<std::uint64_t>::max()
                       : expected * a.dims[i];
    }
    const std::uint64_t have = file.size() - header;
    if (have < expected) {
        const std::string items = want_dims == 3 ? std::to_string(a.dims[0]) + " images of " + std::to_string(a.dims[1]) +
                                                       "x" + std::to_string(a.dims[2])
                                                 : std::to_string(a.dims[0]) + " labels";
        const std::string need = expected == std::numeric_limits<std::uint64_t>::max()
                                     ? std::string("more than 2^64 bytes")
                                     : std::to_string(expected) + " bytes";
        return status::error("truncated: the header promises " + items + " (" + need + ") but only " +
                             std::to_string(have) + " bytes follow");
    }
    if (have > expected)
        return status::error(std::to_string(have - expected) + " unexpected bytes after the data the header describes");
    a.data = h + header;
    a.bytes = expected;
    return {};
}

// Parses one digits line: 64 pixel values in 0..16 and an integer label. `pixels` may be null
// (validation pass). Messages carry no line number.
template <class T>
status parse_digits_line(std::string_view line, T* pixels, std::int32_t& label) {
    std::size_t pos = 0;
    for (int field = 0; field < 65; ++field) {
        const std::size_t comma = line.find(',', pos);
        const bool last = field == 64;
        if (!last && comma == std::string_view::npos)
            return status::error("has " + std::to_string(field + 1) + " fields; expected 65 (64 pixels, then the label)");
        if (last && comma != std::string_view::npos)
            return status::error("has more than 65 fields; expected 65 (64 pixels, then the label)");
        std::string_view text = line.substr(pos, last ? std::string_view::npos : comma - pos);
        while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
            std::string shown(text.substr(0, 40));
            return status::error("field " + std::to_string(field + 1) + " is not a number ('" + shown + "')");
        }
        if (!last) {
            if (v < 0 || v > 16)
                return status::error("pixel " + std::to_string(field + 1) + " is " + std::string(text) +
                                     ", outside 0..16");
            if (pixels) pixels[field] = static_cast<T>(v / 16.0);
        } else {
            if (v < 0 || v > double(std::numeric_limits<std::int32_t>::max()) || v != std::floor(v))
                return status::error("label " + std::string(text) + " is not a class index (a non-negative integer)");
            label = static_cast<std::int32_t>(v);
        }
        pos = comma + 1;
    }
    return {};
}

}  // namespace detail

// ------------------------------------------------------------------------------------------
// Loaders
// ------------------------------------------------------------------------------------------

template <class S, class T>
status load_idx(const std::filesystem::path& images, const std::filesystem::path& labels, labeled<T, S>& out,
                index_t limit) {
    static_assert(std::is_floating_point_v<T>, "typenet::data::load_idx: T must be a floating-point type");
    // S is the per-sample shape: MNIST and Fashion-MNIST need shape<28, 28, 1>.
    static_assert(is_shape_v<S> && S::rank == 3 && S::extents[2] == 1,
                  "typenet::data::load_idx: S must be shape<rows, cols, 1> (e.g. shape<28, 28, 1>)");
    constexpr index_t rows = S::extents[0], cols = S::extents[1];

    std::vector<unsigned char> img_file, lbl_file;
    detail::idx_array img, lbl;
    if (status s = detail::read_data_file(images, img_file); !s) return status::error(detail::where(images) + s.message());
    if (status s = detail::parse_idx(img_file, 3, img); !s) return status::error(detail::where(images) + s.message());
    if (img.dims[1] != rows || img.dims[2] != cols)
        return status::error(detail::where(images) + "images are " + std::to_string(img.dims[1]) + "x" +
                             std::to_string(img.dims[2]) + " (shape<" + std::to_string(img.dims[1]) + ", " +
                             std::to_string(img.dims[2]) + ", 1>) but the requested S is " + detail::shape_text<S>());
    if (status s = detail::read_data_file(labels, lbl_file); !s) return status::error(detail::where(labels) + s.message());
    if (status s = detail::parse_idx(lbl_file, 1, lbl); !s) return status::error(detail::where(labels) + s.message());
    if (lbl.dims[0] != img.dims[0])
        return status::error(detail::where(labels) + "holds " + std::to_string(lbl.dims[0]) + " labels but " +
                             images.string() + " holds " + std::to_string(img.dims[0]) + " images");

    index_t n = img.dims[0];
    if (limit >= 0 && limit < n) n = limit;
    if (status s = detail::check_dataset_size<T, S>(std::uint64_t(n)); !s)
        return status::error(detail::where(images) + s.message());
    labeled<T, S> tmp{batch<T, S>(n), std::vector<std::int32_t>(static_cast<std::size_t>(n))};
    const auto table = detail::byte_to_unit<T>();
    T* x = tmp.x.data();
    for (index_t i = 0; i < n * S::size; ++i) x[i] = table[img.data[i]];
    for (index_t i = 0; i < n; ++i) tmp.y[std::size_t(i)] = lbl.data[i];
    out = std::move(tmp);
    return {};
}

template <class T>
status load_cifar10(const std::vector<std::filesystem::path>& files, labeled<T, shape<32, 32, 3>>& out) {
    static_assert(std::is_floating_point_v<T>, "typenet::data::load_cifar10: T must be a floating-point type");
    using S = shape<32, 32, 3>;
    constexpr std::size_t plane = 32 * 32, record = 1 + 3 * plane;
    if (files.empty()) return status::error("load_cifar10: no files given");
    std::vector<std::vector<unsigned char>> raw(files.size());
    std::uint64_t n = 0;
    for (std::size_t f = 0; f < files.size(); ++f) {
        const std::string at = detail::where(files[f]);
        if (status s = detail::read_data_file(files[f], raw[f]); !s) return status::error(at + s.message());
        const std::size_t size = raw[f].size();
        if (size == 0) return status::error(at + "empty file (a CIFAR-10 batch holds 3073-byte records)");
        if (size % record != 0)
            return status::error(at + "size " + std::to_string(size) +
                                 " is not a multiple of the 3073-byte CIFAR-10 record (1 label byte, 3072 pixel bytes): "
                                 "truncated, or not a CIFAR-10 binary batch (CIFAR-100 records have 3074 bytes)");
        for (std::size_t r = 0; r < size / record; ++r)
            if (raw[f][r * record] > 9)
                return status::error(at + "record " + std::to_string(r) + " has label " +
                                     std::to_string(raw[f][r * record]) + "; CIFAR-10 labels are 0..9 (not a CIFAR-10 batch?)");
        n += size / record;
    }
    if (status s = detail::check_dataset_size<T, S>(n); !s) return status::error(detail::where(files[0]) + s.message());

    labeled<T, S> tmp{batch<T, S>(index_t(n)), std::vector<std::int32_t>(static_cast<std::size_t>(n))};
    const auto table = detail::byte_to_unit<T>();
    std::size_t i = 0;
    for (const auto& bytes : raw) {
        for (std::size_t r = 0; r < bytes.size() / record; ++r, ++i) {
            const unsigned char* rec = bytes.data() + r * record;
            tmp.y[i] = rec[0];
            T* x = tmp.x.data() + i * S::size;  // (32, 32, 3) channels-last
            for (std::size_t p = 0; p < plane; ++p)
                for (std::size_t c = 0; c < 3; ++c) x[p * 3 + c] = table[rec[1 + c * plane + p]];
        }
    }
    out = std::move(tmp);
    return {};
}

template <class T>
status load_digits_csv(const std::filesystem::path& p, labeled<T, shape<8, 8, 1>>& out) {
    static_assert(std::is_floating_point_v<T>, "typenet::data::load_digits_csv: T must be a floating-point type");
    using S = shape<8, 8, 1>;
    std::vector<unsigned char> file;
    if (status s = detail::read_data_file(p, file); !s) return status::error(detail::where(p) + s.message());
    const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());

    // Two passes: validate and count, then allocate exactly n samples and fill them.
    index_t n = 0;
    for (int pass = 0; pass < 2; ++pass) {
        labeled<T, S> tmp;
        if (pass == 1) {
            if (status s = detail::check_dataset_size<T, S>(std::uint64_t(n)); !s) return status::error(detail::where(p) + s.message());
            tmp.x = batch<T, S>(n);
            tmp.y.resize(static_cast<std::size_t>(n));
        }
        index_t i = 0;
        std::size_t pos = 0, line_no = 0;
        while (pos < text.size()) {
            std::size_t end = text.find('\n', pos);
            if (end == std::string_view::npos) end = text.size();
            std::string_view line = text.substr(pos, end - pos);
            pos = end + 1;
            ++line_no;
            std::string_view trimmed = line;
            while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t' || trimmed.front() == '\r'))
                trimmed.remove_prefix(1);
            if (trimmed.empty() || trimmed.front() == '#') continue;
            std::int32_t label = 0;
            T* px = pass == 1 ? tmp.x.data() + i * S::size : nullptr;
            if (status s = detail::parse_digits_line(line, px, label); !s)
                return status::error(detail::where(p) + "line " + std::to_string(line_no) + " " + s.message());
            if (pass == 1) tmp.y[std::size_t(i)] = label;
            ++i;
        }
        if (pass == 0) {
            if (i == 0) return status::error(detail::where(p) + "no samples (expected lines of 64 pixel values and a label)");
            n = i;
        } else {
            out = std::move(tmp);
        }
    }
    return {};
}

// ------------------------------------------------------------------------------------------
// numpy arrays: np.save("x_test.npy", x_test), np.save("y_test.npy", y_test)
// ------------------------------------------------------------------------------------------

namespace detail {
// The extents other than 1 (so (n, 28, 28) and (n, 28, 28, 1) both fit shape<28, 28, 1>).
template <class S>
std::string batch_shape_text() {  // "(n, 28, 28, 1)"
    std::string s = "(n";
    for (std::size_t i = 0; i < S::extents.size(); ++i) s += ", " + std::to_string(S::extents[i]);
    return s + ")";
}
// Integers stored in any numeric dtype (floats with integer values too) as std::int32_t; what = the
// values' name in the error ("class index", "token id").
inline status to_int32(const io::npy_array& a, const std::string& at, const char* what, std::vector<std::int32_t>& out) {
    std::vector<double> v;
    if (status s = a.to_vector<double>(v); !s) return status::error(at + s.message());
    std::vector<std::int32_t> r(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!(v[i] == std::floor(v[i])) || v[i] < double(std::numeric_limits<std::int32_t>::min()) ||
            v[i] > double(std::numeric_limits<std::int32_t>::max()))
            return status::error(at + "value " + std::to_string(v[i]) + " at index " + std::to_string(i) + " is not a " +
                                 what + " (an integer)");
        r[i] = std::int32_t(v[i]);
    }
    out = std::move(r);
    return {};
}
inline std::vector<std::int64_t> without_ones(const std::int64_t* d, std::size_t k) {
    std::vector<std::int64_t> r;
    for (std::size_t i = 0; i < k; ++i)
        if (d[i] != 1) r.push_back(d[i]);
    return r;
}
}  // namespace detail

// Samples of shape S from a .npy array of shape (n, S...) -- axes of extent 1 may be left out or
// added, as Keras' data often lacks the channel axis: (n, 28, 28) and (n, 28, 28, 1) both load
// into batch<float, shape<28, 28, 1>>. Any numeric dtype (uint8, int64, float16/32/64, either byte
// order) converts to T; values are kept as stored (divide by 255 yourself, as in Python).
// T = std::int32_t: token ids (np.save("x_train.npy", pad_sequences(...))), integers in any dtype.
template <class T, class S>
status load_npy(const std::filesystem::path& p, batch<T, S>& out) {
    static_assert(std::is_floating_point_v<T> || std::is_same_v<T, std::int32_t>,
                  "typenet::data::load_npy: T must be a floating-point type, or std::int32_t for token ids");
    io::npy_array a;
    if (status s = io::read_npy(p, a); !s) return s;
    const std::string at = detail::where(p);
    if (a.shape.empty())
        return status::error(at + "holds a 0-d array (a single value); expected samples of shape " +
                             detail::batch_shape_text<S>());
    const std::vector<std::int64_t> file_sample = detail::without_ones(a.shape.data() + 1, a.shape.size() - 1);
    std::vector<std::int64_t> want_ext(S::extents.begin(), S::extents.end());
    const std::vector<std::int64_t> want = detail::without_ones(want_ext.data(), want_ext.size());
    if (file_sample != want)
        return status::error(at + "array of shape " + io::detail::shape_repr(a.shape) +
                             " does not hold samples of " + detail::shape_text<S>() + " (expected " +
                             detail::batch_shape_text<S>() + "; axes of extent 1 may be left out)");
    if (status s = detail::check_dataset_size<T, S>(std::uint64_t(a.shape[0])); !s) return status::error(at + s.message());
    std::vector<T> values;
    if constexpr (std::is_same_v<T, std::int32_t>) {
        if (status s = detail::to_int32(a, at, "token id", values); !s) return s;
    } else {
        if (status s = a.to_vector<T>(values); !s) return status::error(at + s.message());
    }
    batch<T, S> r(index_t(a.shape[0]));
    std::copy(values.begin(), values.end(), r.data());
    out = std::move(r);
    return {};
}

// Class indices from a .npy array of shape (n,) or (n, 1): integers, or floats with integer
// values (Keras' y_train after astype("float32")), each within std::int32_t.
inline status load_npy(const std::filesystem::path& p, std::vector<std::int32_t>& out) {
    io::npy_array a;
    if (status s = io::read_npy(p, a); !s) return s;
    const std::string at = detail::where(p);
    if (a.shape.empty() || (a.shape.size() == 2 ? a.shape[1] != 1 : a.shape.size() != 1))
        return status::error(at + "array of shape " + io::detail::shape_repr(a.shape) +
                             " is not a list of class indices (expected (n,) or (n, 1))");
    return detail::to_int32(a, at, "class index", out);
}

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

template <index_t K, class T>
batch<T, shape<K>> one_hot(const std::vector<std::int32_t>& y) {
    static_assert(K > 0, "typenet::data::one_hot: K (the number of classes) must be positive");
    batch<T, shape<K>> r(index_t(y.size()));  // (n, K), zero-filled
    for (std::size_t i = 0; i < y.size(); ++i) {
        TYPENET_ASSERT(y[i] >= 0 && y[i] < K, "typenet::data::one_hot: label outside 0..K-1 (run check_labels first)");
        r.data()[index_t(i) * K + y[i]] = T(1);
    }
    return r;
}

template <class T, class S>
status check_labels(const labeled<T, S>& d, index_t classes, std::string_view source) {
    const std::string at = std::string(source) + ": ";
    if (index_t(d.y.size()) != d.x.samples())
        return status::error(at + std::to_string(d.x.samples()) + " samples but " + std::to_string(d.y.size()) + " labels");
    for (std::size_t i = 0; i < d.y.size(); ++i)
        if (d.y[i] < 0 || d.y[i] >= classes)
            return status::error(at + "label " + std::to_string(d.y[i]) + " of sample " + std::to_string(i) +
                                 " is outside 0.." + std::to_string(classes - 1) + " (" + std::to_string(classes) +
                                 " classes)");
    return {};
}

template <class T, class S>
void split(const labeled<T, S>& all, double validation_fraction, labeled<T, S>& train, labeled<T, S>& val) {
    TYPENET_ASSERT(validation_fraction >= 0 && validation_fraction < 1,
                   "typenet::data::split: validation_fraction must be in [0, 1)");
    TYPENET_ASSERT(index_t(all.y.size()) == all.x.samples(), "typenet::data::split: sample and label counts differ");
    const index_t n = all.x.samples();
    const index_t at = static_cast<index_t>(double(n) * (1.0 - validation_fraction));  // Keras: int(n * (1 - split))
    labeled<T, S> a{batch<T, S>(at), std::vector<std::int32_t>(all.y.begin(), all.y.begin() + at)};
    labeled<T, S> b{batch<T, S>(n - at), std::vector<std::int32_t>(all.y.begin() + at, all.y.end())};
    std::copy(all.x.begin(), all.x.begin() + at * S::size, a.x.begin());
    std::copy(all.x.begin() + at * S::size, all.x.end(), b.x.begin());
    train = std::move(a);  // built apart first, so train or val may alias all
    val = std::move(b);
}

template <index_t H2, index_t W2, index_t C2, class T, index_t H, index_t W, index_t C>
labeled<T, shape<H2, W2, C2>> pad_and_repeat(const labeled<T, shape<H, W, C>>& d) {
    // pad_and_repeat pads, it never crops: the target must be at least as large as the source.
    static_assert(H2 >= H && W2 >= W, "typenet::data::pad_and_repeat: H2 x W2 must be at least H x W");
    // Channels are repeated whole: C2 = 3 from C = 1 gives (g, g, g).
    static_assert(C > 0 && C2 > 0 && C2 % C == 0, "typenet::data::pad_and_repeat: C2 must be a multiple of C");
    const index_t n = d.x.samples();
    labeled<T, shape<H2, W2, C2>> r{batch<T, shape<H2, W2, C2>>(n), d.y};  // zero-filled
    constexpr index_t top = (H2 - H) / 2, left = (W2 - W) / 2;
    for (index_t i = 0; i < n; ++i) {
        const T* src = d.x.data() + i * (H * W * C);  // (H, W, C)
        T* dst = r.x.data() + i * (H2 * W2 * C2);     // (H2, W2, C2)
        for (index_t y = 0; y < H; ++y)
            for (index_t x = 0; x < W; ++x)
                for (index_t c = 0; c < C2; ++c)
                    dst[((y + top) * W2 + (x + left)) * C2 + c] = src[(y * W + x) * C + c % C];
    }
    return r;
}

}  // namespace typenet::data

TYPENET_END_STATUS_ASSIGNMENTS
