// max_pool2d<2, relu>: pooling takes no activation (add relu as a layer after it).
//
// expect: pooling options are pool<h, w>, strides<h, w>, same/valid
// expect: max_pool2d<2, relu>
// first-error: static.assert.* failed.*pooling options are pool<h, w>, strides<h, w>, same/valid
// max-errors: 4  (clang marks the rejected pooling invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, 3>, tn::max_pool2d<2, tn::relu>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, 3>, tn::max_pool2d<2>, tn::relu, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
