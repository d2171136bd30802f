// conv2d after flatten: the convolution gets a rank-1 input instead of (H, W, C).
//
// expect: diag::needs_hwc_input<at_layer<3, conv2d<64, 3, relu>>, got<shape<5408>>>
// first-error: static.assert.* failed.*typenet: layer needs an .H, W, C. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::flatten, tn::conv2d<64, tn::kernel<3, 3>, tn::relu>, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::conv2d<64, tn::kernel<3, 3>, tn::relu>, tn::flatten, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
