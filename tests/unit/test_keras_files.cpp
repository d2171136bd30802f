// load_npz / read_npz given a Keras model file (.h5 / .weights.h5: HDF5; .keras: a ZIP holding
// config.json, metadata.json and model.weights.h5) say what the file is and how to export the
// weights as .npz, instead of "the file is truncated, or is not a .npz archive".
#include <doctest/doctest.h>

#include "temp_files.hpp"
#include <typenet/typenet.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace tn = typenet;

namespace {
fs::path temp_file(const std::string& name) {
    return typenet_test::process_temp_file("typenet_keras_file_tests", name);
}
void write_bytes(const fs::path& p, const std::vector<unsigned char>& b) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
void put16(std::vector<unsigned char>& v, unsigned x) {
    v.push_back(static_cast<unsigned char>(x & 0xff));
    v.push_back(static_cast<unsigned char>((x >> 8) & 0xff));
}
void put32(std::vector<unsigned char>& v, std::uint32_t x) {
    put16(v, x & 0xffff);
    put16(v, x >> 16);
}
// A minimal ZIP of stored members, as Python's zipfile writes a .keras file.
std::vector<unsigned char> zip_of(const std::vector<std::pair<std::string, std::string>>& members) {
    std::vector<unsigned char> z, cd;
    for (const auto& [name, data] : members) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
        const std::uint32_t crc = tn::io::detail::crc32_update(0, bytes, data.size());
        const std::uint32_t offset = std::uint32_t(z.size());
        for (int central = 0; central < 2; ++central) {
            std::vector<unsigned char>& r = central ? cd : z;
            put32(r, central ? 0x02014b50u : 0x04034b50u);
            if (central) put16(r, 20);  // made by
            put16(r, 20);               // needed
            put16(r, 0);                // flags
            put16(r, 0);                // stored
            put16(r, 0);
            put16(r, 0x21);  // time, date
            put32(r, crc);
            put32(r, std::uint32_t(data.size()));
            put32(r, std::uint32_t(data.size()));
            put16(r, unsigned(name.size()));
            put16(r, 0);  // extra
            if (central) {
                put16(r, 0);  // comment
                put16(r, 0);  // disk
                put16(r, 0);  // internal attributes
                put32(r, 0);  // external attributes
                put32(r, offset);
            }
            r.insert(r.end(), name.begin(), name.end());
            if (!central) r.insert(r.end(), data.begin(), data.end());
        }
    }
    const std::uint32_t cd_offset = std::uint32_t(z.size());
    z.insert(z.end(), cd.begin(), cd.end());
    put32(z, 0x06054b50u);
    put16(z, 0);
    put16(z, 0);
    put16(z, unsigned(members.size()));
    put16(z, unsigned(members.size()));
    put32(z, std::uint32_t(cd.size()));
    put32(z, cd_offset);
    put16(z, 0);
    return z;
}
const std::vector<unsigned char> hdf5_start = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0, 0, 8, 8, 0};

using net = tn::sequential<tn::input<4>, tn::dense<3, tn::softmax>>;
}  // namespace

TEST_CASE("load_npz on a Keras .h5 file: says it is a Keras (HDF5) file and how to export .npz") {
    const fs::path p = temp_file("model.h5");
    std::vector<unsigned char> bytes = hdf5_start;
    bytes.resize(2048, 0);
    write_bytes(p, bytes);
    auto m = tn::make_model<net>();
    const auto before = std::vector<float>(m.parameters().begin(), m.parameters().end());
    const tn::status s = m.load_npz(p);
    REQUIRE_FALSE(s.ok());
    const std::string msg = s.message();
    CHECK(msg.find(p.string() + ": this is an HDF5 file -- a Keras model file (.h5, .weights.h5) -- not an .npz") == 0);
    CHECK(msg.find("keras.models.load_model(\"" + p.string() + "\")") != std::string::npos);
    CHECK(msg.find("np.savez(\"weights.npz\", *model.get_weights())") != std::string::npos);
    CHECK(std::vector<float>(m.parameters().begin(), m.parameters().end()) == before);

    // An HDF5 file with a 512-byte user block (h5py's userblock_size) is recognised too.
    std::vector<unsigned char> ub(512, 0);
    ub.insert(ub.end(), hdf5_start.begin(), hdf5_start.end());
    ub.resize(4096, 0);
    write_bytes(p, ub);
    CHECK(m.load_npz(p).message().find("this is an HDF5 file") != std::string::npos);
    fs::remove(p);
}

TEST_CASE("load_npz on a .keras archive: says it is a Keras model archive and how to export .npz") {
    const fs::path p = temp_file("model.keras");
    write_bytes(p, zip_of({{"metadata.json", "{\"keras_version\": \"3.6.0\"}"},
                           {"config.json", "{\"class_name\": \"Sequential\"}"},
                           {"model.weights.h5", std::string(reinterpret_cast<const char*>(hdf5_start.data()), 16)}}));
    auto m = tn::make_model<net>();
    const tn::status s = m.load_npz(p);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find(p.string() + ": this is a Keras model archive (.keras: config.json, model.weights.h5)") == 0);
    CHECK(s.message().find("np.savez(\"weights.npz\", *model.get_weights())") != std::string::npos);

    // read_npz, the lower level, reports the same.
    std::vector<tn::io::npy_array> arrays;
    CHECK(tn::io::read_npz(p, arrays).message().find("Keras model archive") != std::string::npos);

    // A ZIP with other members and no arrays is not mistaken for one: it is an .npz without arrays.
    write_bytes(p, zip_of({{"readme.txt", "hello"}}));
    const tn::status other = m.load_npz(p);
    REQUIRE_FALSE(other.ok());
    CHECK(other.message().find("Keras model") == std::string::npos);
    CHECK(other.message().find("found 0") != std::string::npos);
    fs::remove(p);
}
