// max_pool2d after flatten: pooling needs an (H, W, C) input.
//
// expect: diag::needs_hwc_input<at_layer<2, max_pool2d<2>>, got<shape<10816>>>
// first-error: static.assert.* failed.*typenet: layer needs an .H, W, C. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<16, tn::kernel<3, 3>, tn::relu>, tn::flatten,
                           tn::max_pool2d<2>, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<16, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
