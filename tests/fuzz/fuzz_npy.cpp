// libFuzzer harness: the .npy parser and its conversions (every dtype, byte order and layout it
// accepts), and data::load_npy into a typed batch and into labels.
#include <typenet/typenet.hpp>
#include <typenet/io/datasets.hpp>

#include <vector>

#include "fuzz_common.hpp"

namespace tn = typenet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
    tn::io::npy_array a;
    if (tn::io::parse_npy(data, n, a)) {
        std::vector<float> f;
        std::vector<double> d;
        if (a.to_vector<float>(f)) fuzz::require(std::int64_t(f.size()) == a.size(), "to_vector<float> size");
        if (a.to_vector<double>(d)) fuzz::require(std::int64_t(d.size()) == a.size(), "to_vector<double> size");
    }
    const auto p = fuzz::write("a.npy", data, n);
    tn::batch<float, tn::shape<4, 3>> x;
    std::vector<std::int32_t> labels;
    if (tn::data::load_npy(p, x)) fuzz::require(x.size() == x.samples() * 12, "load_npy batch size");
    (void)tn::data::load_npy(p, labels);
    return 0;
}
