// rom_model<net, 0>: an arena for no sample at all.
//
// expect: rom_model<Net, MaxBatch>: MaxBatch must be >= 1
// first-error: static.assert.* failed.*rom_model<Net, MaxBatch>: MaxBatch must be >= 1
// max-errors: 8  (its arena is sized from MaxBatch after it)
#include <typenet/embedded.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<4>, tn::dense<2>>;
alignas(64) constexpr float weights[net::param_count] = {};

int main() {
#ifdef TYPENET_FAIL
    tn::rom_model<net, 0> m{weights};
#else
    tn::rom_model<net, 1> m{weights};
#endif
    (void)m;
}
