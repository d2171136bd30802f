// conv1d on an (H, W, C) image: it slides along the steps of a (steps, channels) input.
//
// expect: diag::needs_sequence_input<at_layer<0, conv1d<8, 3>>, got<shape<28, 28, 1>>>
// first-error: static.assert.* failed.*typenet: recurrent layers, conv1d and the 1-D poolings need a .time, features. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv1d<8, 3>, tn::global_max_pool1d, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<28, 28>, tn::conv1d<8, 3>, tn::global_max_pool1d, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
