// rom_model reads its parameters in place from read-only memory (a generated header's weights in
// flash): set_weights, load_npz, initialize and set_weight would write them.
//
// expect: rom_model: the parameters are read-only \(read in place\); use static_model or model to change them
// first-error: static.assert.* failed.*rom_model: the parameters are read-only
// max-errors: 2
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<4>, tn::dense<2>>;
alignas(64) constexpr float weights[net::param_count] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 0};

int main() {
    tn::rom_model<net> m{weights};
#ifdef TYPENET_FAIL
    m.initialize(7);
#else
    tn::static_model<net> s;
    if (!s.set_weights(m.get_weights())) return 1;
    s.initialize(7);
#endif
}
