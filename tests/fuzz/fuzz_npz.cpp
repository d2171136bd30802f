// libFuzzer harness: the .npz reader, in memory and through model::load_npz (the route a user's
// weights take). A failed load must leave the model's weights exactly as they were.
#include <typenet/typenet.hpp>

#include <algorithm>
#include <vector>

#include "fuzz_common.hpp"
#include "fuzz_nets.hpp"

namespace tn = typenet;
using net = fuzz::weights_net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
    std::vector<tn::io::npy_array> arrays(1);
    arrays[0].name = "sentinel";
    const tn::status s = tn::io::detail::parse_npz(data, n, "fuzz.npz", arrays);
    if (!s) fuzz::require(arrays.size() == 1 && arrays[0].name == "sentinel", "parse_npz changed its output on failure");
    for (const auto& a : arrays) {  // every array converts, or says why not
        std::vector<double> v;
        if (a.to_vector<double>(v)) fuzz::require(std::int64_t(v.size()) == a.size(), "to_vector size");
    }
    static tn::model<net> m(3);
    static const std::vector<float> before(m.parameters().begin(), m.parameters().end());
    // Into the model: the parsed arrays through set_weights, and one input in 16 (chosen by its
    // first byte) through load_npz from a file, the route that also matches arr_<i> names.
    tn::status loaded;
    if (n > 0 && data[0] % 16 == 0) {
        loaded = m.load_npz(fuzz::write("w.npz", data, n));
    } else if (s) {
        std::vector<tn::weight_array<float>> ws(arrays.size());
        for (std::size_t i = 0; i < arrays.size() && loaded; ++i) {
            ws[i].shape.assign(arrays[i].shape.begin(), arrays[i].shape.end());
            loaded = arrays[i].to_vector<float>(ws[i].values);
        }
        if (loaded) loaded = m.set_weights(ws);
    } else {
        return 0;
    }
    if (!loaded)
        fuzz::require(std::equal(before.begin(), before.end(), m.parameters().begin()), "a failed load_npz changed the model");
    else
        std::copy(before.begin(), before.end(), m.parameters().begin());
    return 0;
}
