// Two stacked LSTMs, the first without return_sequences: it gives one vector, not a sequence.
//
// expect: diag::needs_sequence_input<at_layer<2, lstm<32>>, got<shape<64>>>
// first-error: static.assert.* failed.*typenet: recurrent layers, conv1d and the 1-D poolings need a .time, features. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::tokens<20>, tn::embedding<1000, 32>, tn::lstm<64>, tn::lstm<32>, tn::dense<1, tn::sigmoid>>;
#else
using net = tn::sequential<tn::tokens<20>, tn::embedding<1000, 32>, tn::lstm<64, tn::return_sequences<true>>, tn::lstm<32>,
                           tn::dense<1, tn::sigmoid>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
