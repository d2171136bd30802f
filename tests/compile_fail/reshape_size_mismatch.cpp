// reshape<28, 28, 3> of a 784-element input: 2352 elements cannot come from 784.
//
// expect: diag::reshape_size_mismatch<at_layer<0, reshape<28, 28, 3>>, got<shape<784>>, shape<28, 28, 3>>
// first-error: static.assert.* failed.*typenet: reshape target has a different number of elements than its input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::reshape<28, 28, 3>, tn::conv2d<8, tn::kernel<3, 3>>, tn::flatten,
                           tn::dense<10>>;
#else
using net = tn::sequential<tn::input<784>, tn::reshape<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>>, tn::flatten,
                           tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
