// npz: read and write numpy .npz archives (ZIP files of .npy members), as made by np.savez and np.savez_compressed.
//
// Reading locates members through the central directory and supports stored (method 0) and
// deflated (method 8, raw zlib inflate) members, ZIP64 extra fields in local and central headers,
// ZIP64 end-of-central-directory records, and data descriptors (flag bit 3). The CRC-32 of every
// member is verified. Writing produces stored members (ZIP64 only where sizes or offsets need
// it) through a temporary file that is renamed over the target, so a failed write never leaves
// a half-written archive.
//
// Input is treated as hostile: every offset and size is checked against the file, claimed
// uncompressed sizes are bounded by the maximum deflate ratio, and nothing throws (the code
// compiles with -fno-exceptions). Link with zlib (CMake: find_package(ZLIB), ZLIB::ZLIB).
//
// Limitations: no encryption, no multi-disk archives, no archives with data prepended before the
// first member (self-extractors); members whose names do not end in ".npy" are checked (CRC)
// but not returned, and directory entries are skipped.
#pragma once

#include <typenet/core/status.hpp>
#include <typenet/io/npy.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

TYPENET_BEGIN_STATUS_ASSIGNMENTS  // nvcc only: see core/status.hpp

namespace typenet::io {

// What a reader accepts. A crafted archive can make a small file expand without bound (members
// whose data overlap, or one stream at a huge compression ratio); overlapping members are always
// refused, and the members' total uncompressed size is capped here.
struct npz_read_options {
    std::uint64_t max_total_bytes = std::uint64_t{4} << 30;  // 4 GiB: VGG16 with its top is 0.55 GB
};

// Reads every .npy member of a .npz file, in central-directory order; each array's name is its
// member name without ".npy". `out` is untouched on failure.
status read_npz(const std::filesystem::path& p, std::vector<npy_array>& out, const npz_read_options& opt = {});

// Writes `arrays` as an uncompressed .npz (readable by np.load). Member i is named
// "<arrays[i].name>.npy", or "arr_<i>.npy" when the name is empty (like np.savez). Names must be
// unique. Written to a temporary file that is then renamed over `p`.
status write_npz(const std::filesystem::path& p, const std::vector<npy_array>& arrays);

namespace detail {

// ZIP record signatures and limits.
inline constexpr std::uint32_t zip_local_sig = 0x04034b50;
inline constexpr std::uint32_t zip_central_sig = 0x02014b50;
inline constexpr std::uint32_t zip_eocd_sig = 0x06054b50;
inline constexpr std::uint32_t zip64_eocd_sig = 0x06064b50;
inline constexpr std::uint32_t zip64_locator_sig = 0x07064b50;
inline constexpr std::size_t zip_local_size = 30, zip_central_size = 46, zip_eocd_size = 22;
inline constexpr std::size_t zip64_eocd_size = 56, zip64_locator_size = 20;
// Deflate cannot expand data by more than ~1032:1, so a larger claimed size is a lie.
inline constexpr std::uint64_t deflate_max_ratio = 1032;
// Values above this get ZIP64 records when writing (the same limit Python's zipfile uses).
inline constexpr std::uint64_t zip64_limit = 0x7fffffff;

inline std::uint16_t rd16(const unsigned char* p) { return static_cast<std::uint16_t>(load_uint(p, 2, true)); }
inline std::uint32_t rd32(const unsigned char* p) { return static_cast<std::uint32_t>(load_uint(p, 4, true)); }
inline std::uint64_t rd64(const unsigned char* p) { return load_uint(p, 8, true); }

inline void put16(std::vector<unsigned char>& b, std::uint64_t v) { for (int i = 0; i < 2; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i))); }
inline void put32(std::vector<unsigned char>& b, std::uint64_t v) { for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i))); }
inline void put64(std::vector<unsigned char>& b, std::uint64_t v) { for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i))); }

// zlib's crc32 over a buffer of any size (its length parameter is only 32 bits wide).
inline std::uint32_t crc32_update(std::uint32_t crc, const unsigned char* p, std::size_t n) {
    uLong c = crc;
    while (n > 0) {
        const std::size_t step = std::min<std::size_t>(n, std::size_t{1} << 30);
        c = ::crc32(c, p, static_cast<uInt>(step));
        p += step;
        n -= step;
    }
    return static_cast<std::uint32_t>(c);
}

// One central-directory entry, with ZIP64 values already applied.
struct zip_entry {
    std::string name;
    std::uint16_t flags = 0;
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint64_t comp_size = 0;
    std::uint64_t size = 0;
    std::uint64_t local_offset = 0;
};

// Reads the ZIP64 extended-information extra field (id 0x0001) out of `extra`: each of the
// values passed as non-null is present, in this order, exactly when its 32-bit header field
// held the 0xffffffff escape. Returns false if the field is needed but missing or too short.
inline bool read_zip64_extra(const unsigned char* extra, std::size_t len, std::uint64_t* size,
                             std::uint64_t* comp_size, std::uint64_t* offset) {
    std::size_t pos = 0;
    while (pos + 4 <= len) {
        const std::uint16_t id = rd16(extra + pos);
        const std::uint16_t sz = rd16(extra + pos + 2);
        pos += 4;
        if (sz > len - pos) return false;  // field runs past the extra area
        if (id == 0x0001) {
            const unsigned char* f = extra + pos;
            std::size_t left = sz;
            for (std::uint64_t* v : {size, comp_size, offset}) {
                if (!v) continue;
                if (left < 8) return false;
                *v = rd64(f);
                f += 8;
                left -= 8;
            }
            return true;
        }
        pos += sz;
    }
    return size == nullptr && comp_size == nullptr && offset == nullptr;
}

// Inflates a raw deflate stream into exactly `expected` bytes. Messages carry no prefix.
inline status inflate_raw(const unsigned char* in, std::size_t in_len, std::uint64_t expected,
                          std::vector<unsigned char>& out) {
    if (expected > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()) - 1)
        return status::error("uncompressed size is too large for this machine");
    // One spare byte lets us notice a stream that produces more than it claims.
    std::vector<unsigned char> buf(static_cast<std::size_t>(expected) + 1);
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return status::error("cannot initialise zlib");
    constexpr std::size_t chunk = std::size_t{1} << 30;  // zlib counts in 32-bit uInt
    std::size_t in_pos = 0, out_pos = 0;
    status st;
    for (;;) {
        if (zs.avail_in == 0 && in_pos < in_len) {
            const std::size_t step = std::min(chunk, in_len - in_pos);
            zs.next_in = const_cast<Bytef*>(in + in_pos);  // zlib's API is not const-correct
            zs.avail_in = static_cast<uInt>(step);
            in_pos += step;
        }
        if (zs.avail_out == 0 && out_pos < buf.size()) {
            const std::size_t step = std::min(chunk, buf.size() - out_pos);
            zs.next_out = buf.data() + out_pos;
            zs.avail_out = static_cast<uInt>(step);
            out_pos += step;
        }
        const int ret = inflate(&zs, Z_NO_FLUSH);
        if (zs.total_out > expected) {
            st = status::error("decompressed data is larger than the recorded size");
            break;
        }
        if (ret == Z_STREAM_END) break;
        if (ret == Z_OK) continue;  // progress was made
        if (ret == Z_BUF_ERROR) {   // no progress possible: input exhausted before the end
            st = status::error("truncated deflate stream");
        } else if (ret == Z_MEM_ERROR) {
            st = status::error("out of memory while inflating");
        } else {
            st = status::error(std::string("corrupt deflate data (zlib: ") + (zs.msg ? zs.msg : "unknown error") + ")");
        }
        break;
    }
    const std::uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (!st) return st;
    if (produced != expected) return status::error("decompressed data is shorter than the recorded size");
    buf.resize(static_cast<std::size_t>(expected));
    out = std::move(buf);
    return {};
}

// Locates the end of central directory (classic, and ZIP64 if present). Outputs the central
// directory's offset, size and entry count, and where the central directory must end.
inline status find_central_directory(const unsigned char* d, std::size_t n, std::uint64_t& cd_offset,
                                      std::uint64_t& cd_size, std::uint64_t& entries, std::uint64_t& cd_limit) {
    if (n < zip_eocd_size)
        return status::error("the file is truncated, or is not a .npz archive (too short to be a ZIP archive)");
    // The EOCD is the last record; only a comment of at most 65535 bytes may follow it.
    std::size_t eocd = n;  // n = not found
    const std::size_t lowest = n - zip_eocd_size > 0xffff ? n - zip_eocd_size - 0xffff : 0;
    for (std::size_t pos = n - zip_eocd_size + 1; pos-- > lowest;) {
        if (rd32(d + pos) == zip_eocd_sig && pos + zip_eocd_size + rd16(d + pos + 20) <= n) {
            eocd = pos;
            break;
        }
    }
    if (eocd == n)
        return status::error("the file is truncated, or is not a .npz archive (no ZIP end-of-central-directory "
                             "record at its end)");
    const unsigned char* e = d + eocd;
    std::uint64_t disk = rd16(e + 4), cd_disk = rd16(e + 6);
    entries = rd16(e + 10);
    cd_size = rd32(e + 12);
    cd_offset = rd32(e + 16);
    cd_limit = eocd;

    if (eocd >= zip64_locator_size && rd32(d + eocd - zip64_locator_size) == zip64_locator_sig) {
        const unsigned char* loc = d + eocd - zip64_locator_size;
        const std::uint64_t z64 = rd64(loc + 8);
        if (rd32(loc + 4) != 0 || rd32(loc + 16) > 1)
            return status::error("multi-disk ZIP archives are not supported");
        const std::uint64_t loc_pos = eocd - zip64_locator_size;
        if (z64 > loc_pos || loc_pos - z64 < zip64_eocd_size || rd32(d + z64) != zip64_eocd_sig)
            return status::error("corrupt ZIP64 end-of-central-directory locator");
        const unsigned char* r = d + z64;
        const std::uint64_t rec_size = rd64(r + 4);  // size of the rest of the record
        if (rec_size < zip64_eocd_size - 12 || rec_size > loc_pos - z64 - 12)
            return status::error("corrupt ZIP64 end-of-central-directory record");
        disk = rd32(r + 16);
        cd_disk = rd32(r + 20);
        entries = rd64(r + 32);
        cd_size = rd64(r + 40);
        cd_offset = rd64(r + 48);
        cd_limit = z64;
    }
    if (disk != 0 || cd_disk != 0) return status::error("multi-disk ZIP archives are not supported");
    if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
        return status::error("central directory lies outside the file (truncated or corrupt archive)");
    if (entries > cd_size / zip_central_size)
        return status::error("central directory is too small for its " + std::to_string(entries) + " entries");
    return {};
}

// Parses `entries` central-directory records that must exactly fill [cd_offset, cd_offset + cd_size).
inline status read_central_directory(const unsigned char* d, std::uint64_t cd_offset, std::uint64_t cd_size,
                                     std::uint64_t entries, std::vector<zip_entry>& out) {
    std::vector<zip_entry> list;
    list.reserve(static_cast<std::size_t>(entries));  // bounded by cd_size / 46
    std::uint64_t pos = cd_offset;
    const std::uint64_t end = cd_offset + cd_size;
    for (std::uint64_t i = 0; i < entries; ++i) {
        const std::string which = "central directory entry " + std::to_string(i);
        if (end - pos < zip_central_size || rd32(d + pos) != zip_central_sig)
            return status::error(which + " is corrupt (bad signature or truncated)");
        const unsigned char* c = d + pos;
        const std::size_t name_len = rd16(c + 28), extra_len = rd16(c + 30), comment_len = rd16(c + 32);
        if (end - pos - zip_central_size < std::uint64_t{name_len} + extra_len + comment_len)
            return status::error(which + " runs past the end of the central directory");
        zip_entry z;
        z.flags = rd16(c + 8);
        z.method = rd16(c + 10);
        z.crc = rd32(c + 16);
        z.comp_size = rd32(c + 20);
        z.size = rd32(c + 24);
        const std::uint32_t disk_start = rd16(c + 34);
        z.local_offset = rd32(c + 42);
        z.name.assign(reinterpret_cast<const char*>(c + zip_central_size), name_len);
        const bool esc_size = z.size == 0xffffffffu, esc_comp = z.comp_size == 0xffffffffu,
                   esc_off = z.local_offset == 0xffffffffu;
        if ((esc_size || esc_comp || esc_off) &&
            !read_zip64_extra(c + zip_central_size + name_len, extra_len, esc_size ? &z.size : nullptr,
                              esc_comp ? &z.comp_size : nullptr, esc_off ? &z.local_offset : nullptr))
            return status::error("member " + quote_text(z.name) + ": missing or corrupt ZIP64 extra field");
        if (disk_start != 0 && disk_start != 0xffff)
            return status::error("multi-disk ZIP archives are not supported");
        pos += zip_central_size + name_len + extra_len + comment_len;
        list.push_back(std::move(z));
    }
    if (pos != end) return status::error("central directory size does not match its entry count");
    out = std::move(list);
    return {};
}

// Finds a member's data through its local header and checks the header against the central
// directory. Outputs the offset of the (possibly compressed) data.
inline status locate_member(const unsigned char* d, std::uint64_t data_limit, const zip_entry& z,
                            std::uint64_t& data_offset) {
    if (z.local_offset > data_limit || data_limit - z.local_offset < zip_local_size ||
        rd32(d + z.local_offset) != zip_local_sig)
        return status::error("local header is missing or corrupt");
    const unsigned char* l = d + z.local_offset;
    const std::size_t name_len = rd16(l + 26), extra_len = rd16(l + 28);
    const std::uint64_t start = z.local_offset + zip_local_size + name_len + extra_len;
    if (start > data_limit) return status::error("local header runs past the member data area");
    if (std::string_view(reinterpret_cast<const char*>(l + zip_local_size), name_len) != z.name)
        return status::error("local header name does not match the central directory");
    if (rd16(l + 8) != z.method) return status::error("local header compression method does not match the central directory");
    if ((z.flags & 0x08) == 0) {  // no data descriptor: the local header carries CRC and sizes
        std::uint64_t comp = rd32(l + 18), size = rd32(l + 22);
        const bool esc_comp = comp == 0xffffffffu, esc_size = size == 0xffffffffu;
        if ((esc_comp || esc_size) &&
            !read_zip64_extra(l + zip_local_size + name_len, extra_len, esc_size ? &size : nullptr,
                              esc_comp ? &comp : nullptr, nullptr))
            return status::error("local header has a missing or corrupt ZIP64 extra field");
        if (rd32(l + 14) != z.crc || comp != z.comp_size || size != z.size)
            return status::error("local header CRC or sizes do not match the central directory");
    }
    if (z.comp_size > data_limit - start) return status::error("member data runs past the end of the archive");
    data_offset = start;
    return {};
}

// A Keras model file given where an .npz was expected: say what it is and how to export the
// weights (typenet reads numpy files; it has no HDF5 reader).
inline constexpr unsigned char hdf5_magic[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
inline bool is_hdf5(const unsigned char* d, std::size_t n) {
    // The superblock is at 0, or after a user block of 512, 1024, 2048 ... bytes.
    for (std::size_t at = 0; at + 8 <= n && at <= (std::size_t{1} << 20); at = at == 0 ? 512 : at * 2)
        if (std::memcmp(d + at, hdf5_magic, 8) == 0) return true;
    return false;
}
inline std::string keras_export_hint(const std::string& label) {
    const std::string file = label.empty() ? std::string("model.keras") : label;
    return "export the weights from Python with numpy: model = keras.models.load_model(\"" + file +
           "\"); np.savez(\"weights.npz\", *model.get_weights()) (for a .weights.h5 file, build the model "
           "and call model.load_weights first), then load weights.npz";
}

// Parses a whole .npz held in memory. `label` (the file path, or empty) prefixes every message.
inline status parse_npz(const unsigned char* d, std::size_t n, const std::string& label, std::vector<npy_array>& out,
                        const npz_read_options& opt = {}) {
    const std::string prefix = label.empty() ? std::string() : label + ": ";
    if (d == nullptr && n != 0) return status::error(prefix + "no data");
    if (d != nullptr && is_hdf5(d, n))
        return status::error(prefix + "this is an HDF5 file -- a Keras model file (.h5, .weights.h5) -- not an .npz "
                             "archive of numpy arrays; " + keras_export_hint(label));
    std::uint64_t cd_offset = 0, cd_size = 0, entries = 0, cd_limit = 0;
    if (status s = find_central_directory(d, n, cd_offset, cd_size, entries, cd_limit); !s)
        return status::error(prefix + s.message());
    std::vector<zip_entry> list;
    if (status s = read_central_directory(d, cd_offset, cd_size, entries, list); !s)
        return status::error(prefix + s.message());
    // A Keras 3 .keras file is a ZIP too: config.json, metadata.json and model.weights.h5.
    const auto has = [&](std::string_view name) {
        return std::any_of(list.begin(), list.end(), [&](const zip_entry& z) { return z.name == name; });
    };
    const bool any_npy = std::any_of(list.begin(), list.end(), [](const zip_entry& z) {
        return z.name.size() >= 4 && std::string_view(z.name).substr(z.name.size() - 4) == ".npy";
    });
    if (!any_npy && (has("model.weights.h5") || (has("config.json") && has("metadata.json"))))
        return status::error(prefix + "this is a Keras model archive (.keras: config.json, model.weights.h5), not an "
                             ".npz archive of numpy arrays; " + keras_export_hint(label));

    // Every member's bytes (local header and data) are its own: members that share bytes are a
    // crafted archive (one compressed stream listed 200 times held 3.2 GB in a 34 KB file).
    // Each member's data offset is found here, once, and used below.
    const auto directory_entry = [](const zip_entry& z) { return !z.name.empty() && z.name.back() == '/' && z.size == 0; };
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // [local header, end of data)
    std::vector<std::uint64_t> starts(list.size(), 0);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const zip_entry& z = list[i];
        if (directory_entry(z)) continue;
        if (status s = locate_member(d, cd_offset, z, starts[i]); !s)
            return status::error(prefix + "member " + quote_text(z.name) + ": " + s.message());
        spans.emplace_back(z.local_offset, starts[i] + z.comp_size);
        if (z.size > opt.max_total_bytes - total)  // total <= max_total_bytes throughout
            return status::error(prefix + "the members expand to more than " + std::to_string(opt.max_total_bytes) +
                                 " bytes (npz_read_options::max_total_bytes); not read");
        total += z.size;
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
        if (spans[i].first < spans[i - 1].second)
            return status::error(prefix + "two members share bytes at offset " + std::to_string(spans[i].first) +
                                 ": a crafted or corrupt archive; not read");

    std::vector<npy_array> arrays;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const zip_entry& z = list[i];
        const std::string member = "member " + quote_text(z.name) + ": ";
        if (directory_entry(z)) continue;
        if (z.flags & 0x01) return status::error(prefix + member + "encrypted members are not supported");
        if (!seen.insert(z.name).second) return status::error(prefix + member + "appears twice in the archive");
        const std::uint64_t start = starts[i];

        std::vector<unsigned char> inflated;
        const unsigned char* bytes = d + start;
        std::size_t len = static_cast<std::size_t>(z.comp_size);
        if (z.method == 0) {
            if (z.comp_size != z.size)
                return status::error(prefix + member + "stored member has different compressed and uncompressed sizes");
        } else if (z.method == 8) {
            if (z.size > z.comp_size * deflate_max_ratio + 64)
                return status::error(prefix + member + "recorded uncompressed size " + std::to_string(z.size) +
                                     " is impossible for " + std::to_string(z.comp_size) + " compressed bytes");
            if (status s = inflate_raw(bytes, len, z.size, inflated); !s)
                return status::error(prefix + member + s.message());
            bytes = inflated.data();
            len = inflated.size();
        } else {
            return status::error(prefix + member + "unsupported compression method " + std::to_string(z.method) +
                                 " (only stored and deflate are supported)");
        }
        if (crc32_update(0, bytes, len) != z.crc)
            return status::error(prefix + "CRC-32 mismatch in member " + quote_text(z.name));

        constexpr std::string_view ext = ".npy";
        if (z.name.size() < ext.size() || std::string_view(z.name).substr(z.name.size() - ext.size()) != ext)
            continue;  // not an array (np.load would hand it back as raw bytes)
        npy_array a;
        if (status s = parse_npy(bytes, len, a); !s) return status::error(prefix + member + s.message());
        a.name = z.name.substr(0, z.name.size() - ext.size());
        arrays.push_back(std::move(a));
    }
    out = std::move(arrays);
    return {};
}

struct npz_write_options {
    bool force_zip64 = false;  // write ZIP64 records even where not needed (for tests)
};

// Member names: no control characters (they would corrupt tools that list the archive).
inline status check_member_name(const std::string& name) {
    if (name.size() > 0xffff - 4) return status::error("name is too long");
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return status::error("name contains a control character");
    return {};
}

inline status write_npz_impl(const std::filesystem::path& p, const std::vector<npy_array>& arrays,
                             npz_write_options opt) {
    const std::string prefix = path_prefix(p);
    struct member {
        std::string name;
        std::vector<unsigned char> header;  // the .npy header; the data follows from the array
        std::uint32_t crc = 0;
        std::uint64_t size = 0, offset = 0;
    };
    std::vector<member> members(arrays.size());
    std::set<std::string> seen;
    for (std::size_t i = 0; i < arrays.size(); ++i) {
        const npy_array& a = arrays[i];
        member& m = members[i];
        m.name = (a.name.empty() ? "arr_" + std::to_string(i) : a.name) + ".npy";
        const std::string what = prefix + "array " + std::to_string(i) + " (" + quote_text(m.name) + "): ";
        if (status s = check_member_name(m.name); !s) return status::error(what + s.message());
        if (!seen.insert(m.name).second) return status::error(what + "duplicate member name");
        if (status s = check_array(a); !s) return status::error(what + s.message());
        m.header = npy_header(a);
        if (m.header.empty()) return status::error(what + "array header too large");
        m.size = m.header.size() + a.data.size();
        m.crc = crc32_update(crc32_update(0, m.header.data(), m.header.size()), a.data.data(), a.data.size());
    }

    return write_file_atomically(p, [&](file_sink& out) -> status {
        constexpr std::uint16_t dos_time = 0, dos_date = (0 << 9) | (1 << 5) | 1;  // 1980-01-01 00:00
        std::vector<unsigned char> rec;
        for (std::size_t i = 0; i < members.size() && out.ok(); ++i) {
            member& m = members[i];
            m.offset = out.written();
            const bool z64 = opt.force_zip64 || m.size > zip64_limit;
            const bool utf8 = std::any_of(m.name.begin(), m.name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
            rec.clear();
            put32(rec, zip_local_sig);
            put16(rec, z64 ? 45 : 20);       // version needed to extract
            put16(rec, utf8 ? 0x0800 : 0);   // flags: bit 11 = UTF-8 name
            put16(rec, 0);                   // method: stored
            put16(rec, dos_time);
            put16(rec, dos_date);
            put32(rec, m.crc);
            put32(rec, z64 ? 0xffffffffu : m.size);  // compressed size
            put32(rec, z64 ? 0xffffffffu : m.size);  // uncompressed size
            put16(rec, m.name.size());
            put16(rec, z64 ? 20 : 0);  // extra length
            rec.insert(rec.end(), m.name.begin(), m.name.end());
            if (z64) {  // ZIP64 extra: both sizes, as the local header requires
                put16(rec, 0x0001);
                put16(rec, 16);
                put64(rec, m.size);
                put64(rec, m.size);
            }
            out.write(rec);
            out.write(m.header);
            out.write(arrays[i].data);
        }

        const std::uint64_t cd_offset = out.written();
        for (std::size_t i = 0; i < members.size() && out.ok(); ++i) {
            const member& m = members[i];
            const bool big_size = opt.force_zip64 || m.size > zip64_limit;
            const bool big_off = opt.force_zip64 || m.offset > zip64_limit;
            const bool utf8 = std::any_of(m.name.begin(), m.name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
            const std::size_t extra = (big_size ? 16 : 0) + (big_off ? 8 : 0);
            rec.clear();
            put32(rec, zip_central_sig);
            put16(rec, (3 << 8) | 45);  // made by: Unix, spec 4.5
            put16(rec, big_size || big_off ? 45 : 20);
            put16(rec, utf8 ? 0x0800 : 0);
            put16(rec, 0);
            put16(rec, dos_time);
            put16(rec, dos_date);
            put32(rec, m.crc);
            put32(rec, big_size ? 0xffffffffu : m.size);
            put32(rec, big_size ? 0xffffffffu : m.size);
            put16(rec, m.name.size());
            put16(rec, extra ? extra + 4 : 0);
            put16(rec, 0);                    // comment length
            put16(rec, 0);                    // disk number start
            put16(rec, 0);                    // internal attributes
            put32(rec, 0100644u << 16);       // external attributes: regular file, rw-r--r--
            put32(rec, big_off ? 0xffffffffu : m.offset);
            rec.insert(rec.end(), m.name.begin(), m.name.end());
            if (extra) {
                put16(rec, 0x0001);
                put16(rec, extra);
                if (big_size) {
                    put64(rec, m.size);
                    put64(rec, m.size);
                }
                if (big_off) put64(rec, m.offset);
            }
            out.write(rec);
        }

        const std::uint64_t cd_end = out.written();
        const std::uint64_t cd_size = cd_end - cd_offset, count = members.size();
        const bool z64 = opt.force_zip64 || count > 0xffff || cd_size > zip64_limit || cd_offset > zip64_limit;
        rec.clear();
        if (z64) {
            put32(rec, zip64_eocd_sig);
            put64(rec, zip64_eocd_size - 12);  // size of the rest of this record
            put16(rec, (3 << 8) | 45);
            put16(rec, 45);
            put32(rec, 0);  // this disk
            put32(rec, 0);  // disk with the central directory
            put64(rec, count);
            put64(rec, count);
            put64(rec, cd_size);
            put64(rec, cd_offset);
            put32(rec, zip64_locator_sig);
            put32(rec, 0);
            put64(rec, cd_end);  // offset of the ZIP64 EOCD record
            put32(rec, 1);       // total number of disks
        }
        put32(rec, zip_eocd_sig);
        put16(rec, 0);
        put16(rec, 0);
        put16(rec, z64 ? 0xffff : count);
        put16(rec, z64 ? 0xffff : count);
        put32(rec, z64 ? 0xffffffffu : cd_size);
        put32(rec, z64 ? 0xffffffffu : cd_offset);
        put16(rec, 0);  // comment length
        out.write(rec);
        return {};
    });
}

}  // namespace detail

inline status read_npz(const std::filesystem::path& p, std::vector<npy_array>& out, const npz_read_options& opt) {
    std::vector<unsigned char> buf;
    if (status s = detail::read_file(p, buf); !s) return status::error(detail::path_prefix(p) + s.message());
    return detail::parse_npz(buf.data(), buf.size(), p.string(), out, opt);
}

inline status write_npz(const std::filesystem::path& p, const std::vector<npy_array>& arrays) {
    return detail::write_npz_impl(p, arrays, {});
}

}  // namespace typenet::io

TYPENET_END_STATUS_ASSIGNMENTS
