// npy: read and write numpy .npy arrays (format versions 1.0, 2.0 and 3.0), interoperable with numpy.
//
// A .npy blob is: the magic "\x93NUMPY", a major/minor version byte pair, the header length
// (2 bytes little-endian for 1.0, 4 bytes for 2.0/3.0), a header that is a Python dict literal
//     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and a final '\n', then the raw array bytes.
//
// Everything here reports failures through typenet::status and never throws, so it compiles
// with -fno-exceptions. The parser treats its input as hostile: every length is checked against
// the bytes actually present, the header length is capped, and shapes whose element count
// overflows or disagrees with the data size are rejected.
#pragma once

#include <typenet/core/status.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
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

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>   // open (the directory, to flush the rename)
#include <unistd.h>  // fsync
#endif

TYPENET_BEGIN_STATUS_ASSIGNMENTS  // nvcc only: see core/status.hpp

namespace typenet::io {

// One numpy array as stored in a .npy file (or one member of a .npz archive).
struct npy_array {
    std::string name;                 // member name without ".npy" (e.g. "arr_0", "kernel")
    std::string descr;                // numpy dtype string as in the file, e.g. "<f4", "<f8", "<i8", "|u1", ">f4"
    std::vector<std::int64_t> shape;  // C-order shape as numpy reports it ( () for 0-d )
    bool fortran_order = false;
    std::vector<unsigned char> data;  // raw bytes exactly as stored in the file

    // Number of elements: the product of shape (1 for 0-d). -1 if the shape is invalid
    // (a negative dimension, or a product that overflows std::int64_t).
    std::int64_t size() const;

    // Convert to T (float or double) in C order. Handles floating dtypes (f2/f4/f8) and integer
    // dtypes (i1..i8, u1..u8) of either byte order; fortran_order data is transposed into C
    // order. Returns an error naming the dtype when it cannot convert (bool, complex, strings,
    // datetimes, ...) or when data does not hold exactly size() items. `out` is untouched on
    // failure.
    template <class T>
    status to_vector(std::vector<T>& out) const;
};

// Makes an npy_array from `product(shape)` C-order elements at `data`: "<f4" for float, "<f8"
// for double (also "<i8", "|u1", ... for integer types). Little-endian whatever the host.
// A shape with a negative dimension or an overflowing product (or a null `data` with a non-zero
// element count) gives an array with empty data, which write_npy/write_npz then reject.
template <class T>
npy_array make_npy(std::string name, std::vector<std::int64_t> shape, const T* data);

// Parses one .npy blob. On success replaces every field of `out` (name becomes empty: the blob
// carries no name); on failure `out` is untouched and the message says what is wrong.
status parse_npy(const unsigned char* bytes, std::size_t n, npy_array& out);

// Serialises `a` exactly as numpy's np.save would (same header text and 64-byte alignment).
// Returns an empty vector if `a` is not a valid array (bad descr, bad shape, or a data size that
// does not match shape and dtype); write_npy/write_npz report those cases as errors.
std::vector<unsigned char> serialize_npy(const npy_array& a);

// Reads a .npy file; out.name is set to the file name without its extension.
status read_npy(const std::filesystem::path& p, npy_array& out);

// Writes a .npy file via a temporary file in the same directory that is then renamed over `p`,
// so a failure never leaves a half-written file behind.
status write_npy(const std::filesystem::path& p, const npy_array& a);

// ------------------------------------------------------------------------------------------
// Implementation details (shared with npz.hpp; not part of the public API).
// ------------------------------------------------------------------------------------------
namespace detail {

inline constexpr unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
inline constexpr std::size_t npy_max_header_len = std::size_t{1} << 20;  // far above any real header
inline constexpr std::size_t npy_max_ndim = 64;                          // numpy 2's NPY_MAXDIMS
inline constexpr std::size_t npy_max_itemsize = std::size_t{1} << 24;    // sanity cap for 'S'/'U'/'V'

// Renders untrusted text for an error message: quoted, non-printable bytes escaped, truncated.
inline std::string quote_text(std::string_view s) {
    constexpr std::size_t max_len = 200;
    std::string r = "'";
    for (std::size_t i = 0; i < s.size() && i < max_len; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            r += static_cast<char>(c);
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            r += "\\x";
            r += hex[c >> 4];
            r += hex[c & 15];
        }
    }
    if (s.size() > max_len) r += "...";
    r += "'";
    return r;
}

inline std::string path_prefix(const std::filesystem::path& p) { return p.string() + ": "; }

// Multiplication that reports overflow instead of wrapping.
inline bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t& r) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return true;
    r = a * b;
    return false;
}

// Element count of `shape`; false for a negative dimension or an overflowing product.
inline bool element_count(const std::vector<std::int64_t>& shape, std::int64_t& count) {
    std::uint64_t n = 1;
    for (std::int64_t d : shape) {
        if (d < 0) return false;
        if (mul_overflows(n, static_cast<std::uint64_t>(d), n)) return false;
        if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    }
    count = static_cast<std::int64_t>(n);
    return true;
}

// Python repr() of a shape tuple: "()", "(3,)", "(3, 4)".
inline std::string shape_repr(const std::vector<std::int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    s += ")";
    return s;
}

// A dtype string ("<f4", "|u1", "<U8", "<M8[ns]", ...) taken apart.
struct dtype_info {
    char order = '|';           // '<' little, '>' big, '|' not applicable, '=' native
    char kind = 0;              // numpy kind letter: b i u f c S U V m M
    std::size_t itemsize = 0;   // bytes per element
};

// Parses the simple (non-structured) numpy dtype strings that can appear in a .npy header.
inline status parse_descr(std::string_view d, dtype_info& out) {
    const std::string what = "dtype " + quote_text(d);
    dtype_info info;
    std::string_view rest = d;
    if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) {
        info.order = rest[0];
        rest.remove_prefix(1);
    } else {
        info.order = '=';  // numpy reads an unprefixed descr as native byte order
    }
    if (rest.empty()) return status::error(what + " is not a valid dtype");
    info.kind = rest[0];
    rest.remove_prefix(1);
    if (info.kind == 'O')
        return status::error(what + ": object arrays (pickled Python objects) are not supported");
    if (std::string_view("biufcSUVmM").find(info.kind) == std::string_view::npos)
        return status::error(what + " is not a supported dtype");
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || ptr == rest.data())
        return status::error(what + " has no valid item size");
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    if (info.kind == 'm' || info.kind == 'M') {  // optional unit, e.g. "[ns]", "[10us]"
        if (!rest.empty()) {
            if (rest.front() != '[' || rest.back() != ']' || rest.size() < 3)
                return status::error(what + " has a malformed time unit");
            for (char c : rest.substr(1, rest.size() - 2))
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                    return status::error(what + " has a malformed time unit");
            rest = {};
        }
    }
    if (!rest.empty()) return status::error(what + " is not a supported dtype");
    if (n == 0 || n > npy_max_itemsize) return status::error(what + " has an unsupported item size");
    info.itemsize = info.kind == 'U' ? n * 4 : n;  // 'U' counts UCS-4 characters
    out = info;
    return {};
}

// Checks that `a` is self-consistent and can be written: a valid descr made of safe
// characters, a valid shape, and exactly product(shape) * itemsize data bytes.
inline status check_array(const npy_array& a) {
    for (char c : a.descr)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
            c == '\'' || c == '"' || c == '\\')
            return status::error("dtype " + quote_text(a.descr) + " contains characters not allowed in a header");
    dtype_info info;
    if (status s = parse_descr(a.descr, info); !s) return s;
    if (a.shape.size() > npy_max_ndim)
        return status::error("shape has " + std::to_string(a.shape.size()) + " dimensions (at most " +
                             std::to_string(npy_max_ndim) + " are supported)");
    std::int64_t count = 0;
    if (!element_count(a.shape, count))
        return status::error("shape " + shape_repr(a.shape) +
                             " is invalid (negative dimension or element count overflow)");
    std::uint64_t bytes = 0;
    const bool overflow = mul_overflows(static_cast<std::uint64_t>(count), info.itemsize, bytes);
    if (overflow || bytes != static_cast<std::uint64_t>(a.data.size()))
        return status::error("data holds " + std::to_string(a.data.size()) + " bytes but shape " +
                             shape_repr(a.shape) + " of " + quote_text(a.descr) + " needs " +
                             (overflow ? std::string("more than 2^64") : std::to_string(bytes)));
    return {};
}

// The header numpy writes for `a` (magic, version, length, dict, padding, '\n'), or empty if the
// header would not fit a 2.0 header. Assumes check_array(a) passed.
inline std::vector<unsigned char> npy_header(const npy_array& a) {
    std::string dict = "{'descr': '" + a.descr + "', 'fortran_order': " +
                       (a.fortran_order ? "True" : "False") + ", 'shape': " + shape_repr(a.shape) + ", }";
    // numpy reserves room so the growth axis can be rewritten in place (GROWTH_AXIS_MAX_DIGITS).
    if (!a.shape.empty()) {
        const std::size_t digits = std::to_string(a.shape[a.fortran_order ? a.shape.size() - 1 : 0]).size();
        if (digits < 21) dict.append(21 - digits, ' ');
    }
    const std::size_t hlen = dict.size() + 1;  // + the final '\n'
    std::size_t prefix = 6 + 2 + 2;            // magic, version, 2-byte length (version 1.0)
    std::size_t pad = 64 - (prefix + hlen) % 64;
    unsigned char major = 1;
    if (hlen + pad > 0xffff) {  // does not fit version 1.0: use 2.0 with a 4-byte length
        major = 2;
        prefix = 6 + 2 + 4;
        pad = 64 - (prefix + hlen) % 64;
        if (hlen + pad > 0xffffffffu) return {};
    }
    const std::size_t total_len = hlen + pad;
    std::vector<unsigned char> h;
    h.reserve(prefix + total_len);
    h.insert(h.end(), npy_magic, npy_magic + 6);
    h.push_back(major);
    h.push_back(0);
    for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) h.push_back(static_cast<unsigned char>(total_len >> (8 * i)));
    h.insert(h.end(), dict.begin(), dict.end());
    h.insert(h.end(), pad, ' ');
    h.push_back('\n');
    return h;
}

// Strict but whitespace-tolerant parser for the header dict literal.
class npy_header_parser {
public:
    explicit npy_header_parser(std::string_view text) : s_(text) {}

    status parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
        bool have_descr = false, have_fortran = false, have_shape = false;
        skip_ws();
        if (!eat('{')) return fail("header is not a Python dict literal (no '{')");
        for (;;) {
            skip_ws();
            if (eat('}')) break;
            std::string key;
            if (status st = parse_string(key, "a key"); !st) return st;
            skip_ws();
            if (!eat(':')) return fail("expected ':' after key " + quote_text(key));
            skip_ws();
            if (key == "descr") {
                if (have_descr) return fail("duplicate key 'descr'");
                have_descr = true;
                if (peek() == '[' || peek() == '(')
                    return fail("structured dtypes (a list 'descr') are not supported");
                if (status st = parse_string(descr, "the 'descr' value"); !st) return st;
            } else if (key == "fortran_order") {
                if (have_fortran) return fail("duplicate key 'fortran_order'");
                have_fortran = true;
                if (status st = parse_bool(fortran); !st) return st;
            } else if (key == "shape") {
                if (have_shape) return fail("duplicate key 'shape'");
                have_shape = true;
                if (status st = parse_shape(shape); !st) return st;
            } else {
                return fail("unexpected key " + quote_text(key));
            }
            skip_ws();
            if (eat(',')) continue;
            if (eat('}')) break;
            return fail("expected ',' or '}' after the value of " + quote_text(key));
        }
        skip_ws();
        if (pos_ != s_.size()) return fail("unexpected text after the closing '}'");
        if (!have_descr) return fail("missing key 'descr'");
        if (!have_fortran) return fail("missing key 'fortran_order'");
        if (!have_shape) return fail("missing key 'shape'");
        return {};
    }

private:
    static status fail(const std::string& what) { return status::error("bad .npy header: " + what); }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    // A '...' or "..." literal without escapes (numpy never writes any in these fields).
    status parse_string(std::string& out, const char* what) {
        const char q = peek();
        if (q != '\'' && q != '"') return fail(std::string("expected a quoted string for ") + what);
        ++pos_;
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] != q) {
            const auto c = static_cast<unsigned char>(s_[pos_]);
            if (c == '\\' || c < 0x20) return fail(std::string("unsupported character in ") + what);
            ++pos_;
        }
        if (pos_ >= s_.size()) return fail(std::string("unterminated string for ") + what);
        out.assign(s_.substr(start, pos_ - start));
        ++pos_;
        return {};
    }

    status parse_bool(bool& out) {
        const std::string_view rest = s_.substr(pos_);
        if (rest.substr(0, 4) == "True") {
            out = true;
            pos_ += 4;
        } else if (rest.substr(0, 5) == "False") {
            out = false;
            pos_ += 5;
        } else {
            return fail("'fortran_order' must be True or False");
        }
        const char c = peek();
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
            return fail("'fortran_order' must be True or False");
        return {};
    }

    // A tuple of non-negative integers: "()", "(3,)", "(3, 4)", "(3, 4,)". "(3)" is not a tuple.
    status parse_shape(std::vector<std::int64_t>& out) {
        if (!eat('(')) return fail("'shape' must be a tuple such as (3, 4)");
        std::vector<std::int64_t> dims;
        skip_ws();
        if (eat(')')) {
            out = std::move(dims);
            return {};
        }
        for (;;) {
            skip_ws();
            if (peek() == '-') return fail("'shape' has a negative dimension");
            std::int64_t v = 0;
            const char* b = s_.data() + pos_;
            const char* e = s_.data() + s_.size();
            const auto [ptr, ec] = std::from_chars(b, e, v);
            if (ec == std::errc::result_out_of_range) return fail("'shape' dimension is too large");
            if (ec != std::errc() || ptr == b) return fail("'shape' must be a tuple of integers");
            pos_ += static_cast<std::size_t>(ptr - b);
            if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long literal, e.g. "(3L, 4L)"
            if (dims.size() >= npy_max_ndim)
                return fail("'shape' has more than " + std::to_string(npy_max_ndim) + " dimensions");
            dims.push_back(v);
            skip_ws();
            if (eat(',')) {
                skip_ws();
                if (eat(')')) break;
                continue;
            }
            if (eat(')')) {
                if (dims.size() == 1) return fail("'shape' (n) is not a tuple; numpy writes (n,)");
                break;
            }
            return fail("expected ',' or ')' in 'shape'");
        }
        out = std::move(dims);
        return {};
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

// Reads integers of 1..8 bytes in either byte order, independent of the host's.
inline std::uint64_t load_uint(const unsigned char* p, std::size_t n, bool little) {
    std::uint64_t v = 0;
    if (little)
        for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    else
        for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

inline void store_le(unsigned char* p, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

// IEEE binary16 -> float (exact).
inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1f;
    std::uint32_t mant = h & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;  // +-0
    } else {          // subnormal: normalise
        exp = 113;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
    return std::bit_cast<float>(bits);
}

template <class T>
constexpr const char* float_name() {
    return std::is_same_v<T, float> ? "float" : "double";
}

// The dtype string make_npy uses for T.
template <class T>
std::string descr_for() {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "make_npy: T must be a number type");
    if constexpr (std::is_floating_point_v<T>) {
        static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "make_npy: float or double only");
        return std::is_same_v<T, float> ? "<f4" : "<f8";
    } else {
        static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
        std::string d = sizeof(T) == 1 ? "|" : "<";
        d += std::is_signed_v<T> ? 'i' : 'u';
        d += static_cast<char>('0' + sizeof(T));
        return d;
    }
}

// --- files --------------------------------------------------------------------------------

inline std::FILE* open_file(const std::filesystem::path& p, bool write_exclusive) {
#ifdef _WIN32
    return _wfopen(p.c_str(), write_exclusive ? L"wbx" : L"rb");
#else
    return std::fopen(p.c_str(), write_exclusive ? "wbx" : "rb");
#endif
}

// Reads a whole file. Messages carry no path prefix (callers add it).
inline status read_file(const std::filesystem::path& p, std::vector<unsigned char>& out) {
    std::FILE* f = open_file(p, false);
    if (!f) return status::error(std::string("cannot open for reading (") + std::strerror(errno) + ")");
    std::vector<unsigned char> buf;
    std::error_code ec;
    const std::uintmax_t hint = std::filesystem::file_size(p, ec);
    if (!ec && hint < (std::uintmax_t{1} << 40)) buf.reserve(static_cast<std::size_t>(hint));
    constexpr std::size_t chunk = std::size_t{1} << 20;
    for (;;) {
        const std::size_t old = buf.size();
        buf.resize(old + chunk);
        const std::size_t got = std::fread(buf.data() + old, 1, chunk, f);
        buf.resize(old + got);
        if (got < chunk) break;
    }
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) return status::error(std::string("read error (") + std::strerror(err) + ")");
    out = std::move(buf);
    return {};
}

// Sequential writer over a std::FILE that remembers the first failure.
class file_sink {
public:
    explicit file_sink(std::FILE* f) : f_(f) {}
    bool write(const void* p, std::size_t n) {
        const auto* b = static_cast<const unsigned char*>(p);
        while (ok_ && n > 0) {  // chunked so huge buffers never hit platform size limits
            const std::size_t step = std::min<std::size_t>(n, std::size_t{1} << 30);
            if (std::fwrite(b, 1, step, f_) != step) {
                ok_ = false;
                err_ = errno;
                break;
            }
            b += step;
            n -= step;
            written_ += step;
        }
        return ok_;
    }
    bool write(const std::vector<unsigned char>& v) { return write(v.data(), v.size()); }
    bool ok() const { return ok_; }
    int error_number() const { return err_; }
    std::uint64_t written() const { return written_; }

private:
    std::FILE* f_;
    bool ok_ = true;
    int err_ = 0;
    std::uint64_t written_ = 0;
};

// Creates a uniquely named temporary file next to `target`, lets `fill(file_sink&) -> status`
// write it, flushes it to disk, then renames it over `target` and flushes the directory. A process
// killed at any moment leaves `target` either as it was or complete (tests/kill); with the two
// flushes the same holds across a power loss on POSIX file systems. On any failure the temporary
// file is removed and `target` is left as it was. Messages start with the target path.
template <class Fill>
status write_file_atomically(const std::filesystem::path& target, Fill&& fill) {
    const std::string prefix = path_prefix(target);
    const std::filesystem::path fname = target.filename();
    if (fname.empty() || fname == "." || fname == "..") return status::error(prefix + "not a file name");
    const std::filesystem::path dir = target.parent_path();

    // Unique name: exclusive creation ("x") makes collisions detectable, so retry on EEXIST.
    static std::atomic<std::uint64_t> counter{0};
    std::filesystem::path tmp;
    std::FILE* f = nullptr;
    int err = 0;
    for (int attempt = 0; attempt < 100 && !f; ++attempt) {
        const std::uint64_t seed =
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
            (reinterpret_cast<std::uintptr_t>(&tmp) << 16) ^ (counter.fetch_add(1) * 0x9e3779b97f4a7c15ull);
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(seed));
        // Appended piece by piece: `"." + std::string&&` makes g++ 12 at -O3 warn falsely
        // (-Wrestrict, GCC bug 105329) in every translation unit that writes a file.
        std::string name = ".";
        name += fname.string();
        name += ".tmp-";
        name += hex;
        tmp = dir / name;
        f = open_file(tmp, true);
        err = errno;
        if (!f && err != EEXIST) break;
    }
    if (!f)
        return status::error(prefix + "cannot create a temporary file in '" +
                             (dir.empty() ? std::string(".") : dir.string()) + "' (" + std::strerror(err) + ")");

    file_sink sink(f);
    status st = fill(sink);
    if (st && !sink.ok())
        st = status::error(prefix + "write failed (" + std::strerror(sink.error_number()) + ")");
    if (st && std::fflush(f) != 0) st = status::error(prefix + "write failed (" + std::strerror(errno) + ")");
#if defined(__unix__) || defined(__APPLE__)
    if (st && ::fsync(fileno(f)) != 0 && errno != EINVAL)
        st = status::error(prefix + "cannot flush to disk (" + std::strerror(errno) + ")");
#endif
    if (std::fclose(f) != 0 && st) st = status::error(prefix + "write failed (" + std::strerror(errno) + ")");
    std::error_code ec;
    if (st) {
        std::filesystem::rename(tmp, target, ec);
        if (ec) st = status::error(prefix + "cannot replace the file (" + ec.message() + ")");
#if defined(__unix__) || defined(__APPLE__)
        // The rename itself reaches the disk with the directory. Best effort: the new file is
        // already in place, and some file systems cannot flush a directory.
        if (st) {
            const int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
            if (d >= 0) {
                (void)::fsync(d);
                ::close(d);
            }
        }
#endif
    }
    if (!st) std::filesystem::remove(tmp, ec);
    return st;
}

}  // namespace detail

// ------------------------------------------------------------------------------------------
// npy_array members
// ------------------------------------------------------------------------------------------

inline std::int64_t npy_array::size() const {
    std::int64_t n = 0;
    return detail::element_count(shape, n) ? n : -1;
}

template <class T>
status npy_array::to_vector(std::vector<T>& out) const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "to_vector: T must be float or double");
    const std::string what = "array " + detail::quote_text(name) + ": ";
    detail::dtype_info info;
    if (status s = detail::parse_descr(descr, info); !s) return status::error(what + s.message());
    const bool numeric = ((info.kind == 'f') && (info.itemsize == 2 || info.itemsize == 4 || info.itemsize == 8)) ||
                         ((info.kind == 'i' || info.kind == 'u') &&
                          (info.itemsize == 1 || info.itemsize == 2 || info.itemsize == 4 || info.itemsize == 8));
    if (!numeric) {
        const char* kind = "";
        switch (info.kind) {
            case 'b': kind = " (bool)"; break;
            case 'c': kind = " (complex)"; break;
            case 'S': kind = " (byte string)"; break;
            case 'U': kind = " (unicode string)"; break;
            case 'V': kind = " (raw bytes)"; break;
            case 'm': kind = " (timedelta)"; break;
            case 'M': kind = " (datetime)"; break;
            default: break;
        }
        return status::error(what + "cannot convert dtype " + detail::quote_text(descr) + kind + " to " +
                             detail::float_name<T>());
    }
    if (status s = detail::check_array(*this); !s) return status::error(what + s.message());

    const auto n = static_cast<std::size_t>(size());
    const std::size_t isz = info.itemsize;
    const bool little = info.order == '<' || ((info.order == '=' || info.order == '|') &&
                                              std::endian::native == std::endian::little);
    // Element k of the file, converted.
    auto element = [&](std::size_t k) -> T {
        const std::uint64_t bits = detail::load_uint(data.data() + k * isz, isz, little);
        if (info.kind == 'f') {
            if (isz == 2) return static_cast<T>(detail::half_to_float(static_cast<std::uint16_t>(bits)));
            if (isz == 4) return static_cast<T>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
            return static_cast<T>(std::bit_cast<double>(bits));
        }
        if (info.kind == 'u') return static_cast<T>(bits);
        const unsigned shift = static_cast<unsigned>(64 - 8 * isz);  // sign-extend
        return static_cast<T>(static_cast<std::int64_t>(bits << shift) >> shift);
    };

    std::vector<T> result(n);
    const bool ordered = !fortran_order || shape.size() < 2;
    if (ordered && info.kind == 'f' && isz == sizeof(T) && little == (std::endian::native == std::endian::little)) {
        if (n) std::memcpy(result.data(), data.data(), n * sizeof(T));  // same layout: plain copy
    } else if (ordered) {
        for (std::size_t k = 0; k < n; ++k) result[k] = element(k);
    } else if (n > 0) {
        // Walk the C-order index and track the matching Fortran-order offset.
        const std::size_t nd = shape.size();
        std::vector<std::size_t> idx(nd, 0), fstride(nd, 1);
        for (std::size_t d = 1; d < nd; ++d) fstride[d] = fstride[d - 1] * static_cast<std::size_t>(shape[d - 1]);
        std::size_t off = 0;
        for (std::size_t c = 0; c < n; ++c) {
            result[c] = element(off);
            for (std::size_t d = nd; d-- > 0;) {
                off += fstride[d];
                if (++idx[d] < static_cast<std::size_t>(shape[d])) break;
                off -= fstride[d] * static_cast<std::size_t>(shape[d]);
                idx[d] = 0;
            }
        }
    }
    out = std::move(result);
    return {};
}

// ------------------------------------------------------------------------------------------
// Free functions
// ------------------------------------------------------------------------------------------

template <class T>
npy_array make_npy(std::string name, std::vector<std::int64_t> shape, const T* data) {
    npy_array a;
    a.name = std::move(name);
    a.descr = detail::descr_for<T>();
    a.shape = std::move(shape);
    std::int64_t count = 0;
    std::uint64_t bytes = 0;
    if (!detail::element_count(a.shape, count) ||
        detail::mul_overflows(static_cast<std::uint64_t>(count), sizeof(T), bytes) ||
        bytes > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()) ||
        (count > 0 && data == nullptr))
        return a;  // invalid: empty data, rejected by check_array when written
    a.data.resize(static_cast<std::size_t>(bytes));
    if (bytes == 0) return a;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(a.data.data(), data, static_cast<std::size_t>(bytes));  // already little-endian
    } else {
        unsigned char* p = a.data.data();
        for (std::int64_t i = 0; i < count; ++i, p += sizeof(T)) {
            if constexpr (std::is_same_v<T, float>)
                detail::store_le(p, std::bit_cast<std::uint32_t>(data[i]), 4);
            else if constexpr (std::is_same_v<T, double>)
                detail::store_le(p, std::bit_cast<std::uint64_t>(data[i]), 8);
            else
                detail::store_le(p, static_cast<std::uint64_t>(data[i]), sizeof(T));
        }
    }
    return a;
}

inline status parse_npy(const unsigned char* bytes, std::size_t n, npy_array& out) {
    if (bytes == nullptr && n != 0) return status::error("no data");
    if (n < 6 || std::memcmp(bytes, detail::npy_magic, 6) != 0) return status::error("not a .npy file (bad magic)");
    if (n < 8) return status::error("truncated .npy header");
    const unsigned major = bytes[6], minor = bytes[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return status::error("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    if (n < 8 + len_bytes) return status::error("truncated .npy header");
    const auto hlen = static_cast<std::size_t>(detail::load_uint(bytes + 8, len_bytes, true));
    if (hlen > detail::npy_max_header_len)
        return status::error(".npy header length " + std::to_string(hlen) + " is implausibly large");
    const std::size_t data_off = 8 + len_bytes + hlen;
    if (data_off > n)
        return status::error("truncated .npy header (needs " + std::to_string(hlen) + " bytes, " +
                             std::to_string(n - 8 - len_bytes) + " present)");

    npy_array a;
    const std::string_view text(reinterpret_cast<const char*>(bytes + 8 + len_bytes), hlen);
    if (status s = detail::npy_header_parser(text).parse(a.descr, a.fortran_order, a.shape); !s) return s;
    detail::dtype_info info;
    if (status s = detail::parse_descr(a.descr, info); !s) return s;
    std::int64_t count = 0;
    if (!detail::element_count(a.shape, count))
        return status::error("shape " + detail::shape_repr(a.shape) + " is invalid (element count overflows)");
    std::uint64_t need = 0;
    const std::size_t have = n - data_off;
    if (detail::mul_overflows(static_cast<std::uint64_t>(count), info.itemsize, need) || need > have)
        return status::error("truncated data: shape " + detail::shape_repr(a.shape) + " of " +
                             detail::quote_text(a.descr) + " needs more than the " + std::to_string(have) +
                             " bytes present");
    if (need < have)
        return status::error(std::to_string(have - need) + " unexpected bytes after the array data (shape " +
                             detail::shape_repr(a.shape) + " of " + detail::quote_text(a.descr) + " needs " +
                             std::to_string(need) + ")");
    a.data.assign(bytes + data_off, bytes + n);
    out = std::move(a);
    return {};
}

inline std::vector<unsigned char> serialize_npy(const npy_array& a) {
    if (!detail::check_array(a)) return {};
    std::vector<unsigned char> r = detail::npy_header(a);
    if (r.empty()) return {};
    r.insert(r.end(), a.data.begin(), a.data.end());
    return r;
}

inline status read_npy(const std::filesystem::path& p, npy_array& out) {
    std::vector<unsigned char> buf;
    if (status s = detail::read_file(p, buf); !s) return status::error(detail::path_prefix(p) + s.message());
    npy_array a;
    if (status s = parse_npy(buf.data(), buf.size(), a); !s) return status::error(detail::path_prefix(p) + s.message());
    a.name = p.stem().string();
    out = std::move(a);
    return {};
}

inline status write_npy(const std::filesystem::path& p, const npy_array& a) {
    if (status s = detail::check_array(a); !s) return status::error(detail::path_prefix(p) + s.message());
    const std::vector<unsigned char> header = detail::npy_header(a);
    if (header.empty()) return status::error(detail::path_prefix(p) + "array header too large");
    return detail::write_file_atomically(p, [&](detail::file_sink& out) -> status {
        out.write(header);
        out.write(a.data);
        return {};
    });
}

}  // namespace typenet::io

TYPENET_END_STATUS_ASSIGNMENTS
