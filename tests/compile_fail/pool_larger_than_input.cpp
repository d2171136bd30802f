// Too many poolings: the 4x4 window of the last max_pool2d does not fit the 3x3 (unpadded) input.
//
// expect: diag::window_larger_than_input<at_layer<4, max_pool2d<4>>, got<shape<3, 3, 8>>, window<4, 4>>
// first-error: static.assert.* failed.*typenet: kernel/pool window is larger than the .padded. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::max_pool2d<2>, tn::max_pool2d<2>, tn::max_pool2d<4>, tn::flatten, tn::dense<10>>;
#else
// With same padding the input is padded up to the window, as Keras does.
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::max_pool2d<2>, tn::max_pool2d<2>, tn::max_pool2d<4, tn::same>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
