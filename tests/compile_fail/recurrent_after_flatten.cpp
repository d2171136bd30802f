// An LSTM after flatten: a recurrent layer needs a (time, features) sequence.
//
// expect: diag::needs_sequence_input<at_layer<2, lstm<16>>, got<shape<160>>>
// first-error: static.assert.* failed.*typenet: recurrent layers, conv1d and the 1-D poolings need a .time, features. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<20, 8>, tn::dense<8, tn::relu>, tn::flatten, tn::lstm<16>, tn::dense<1, tn::sigmoid>>;
#else
using net = tn::sequential<tn::input<20, 8>, tn::dense<8, tn::relu>, tn::lstm<16>, tn::dense<1, tn::sigmoid>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
