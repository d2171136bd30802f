// dense right after a convolution: the flatten is missing.
//
// expect: diag::needs_flat_input<at_layer<2, dense<10, softmax>>, got<shape<13, 13, 32>>>
// first-error: static.assert.* failed.*typenet: dense needs a rank-1 input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                           tn::flatten, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
