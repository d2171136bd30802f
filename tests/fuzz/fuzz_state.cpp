// libFuzzer harness: the training-state reader (load_training_state), the checkpoint route that
// resumes a fit. A failed load must leave the weights, the optimizer and the epoch unchanged.
#include <typenet/typenet.hpp>

#include <algorithm>
#include <vector>

#include "fuzz_common.hpp"
#include "fuzz_nets.hpp"

namespace tn = typenet;
using net = fuzz::state_net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
    static tn::model<net> m = [] {
        tn::model<net> k(5);
        k.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
        return k;
    }();
    static const std::vector<float> before(m.parameters().begin(), m.parameters().end());
    const int epoch = m.epoch();
    if (!m.load_training_state(fuzz::write("state.npz", data, n))) {
        fuzz::require(std::equal(before.begin(), before.end(), m.parameters().begin()), "a failed load changed the weights");
        fuzz::require(m.epoch() == epoch, "a failed load changed the epoch");
    } else {
        fuzz::require(m.epoch() >= 0, "epoch in range");
        std::copy(before.begin(), before.end(), m.parameters().begin());
    }
    return 0;
}
