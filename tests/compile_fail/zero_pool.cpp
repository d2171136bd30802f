// max_pool2d<0>: a pooling window of size zero.
//
// expect: diag::zero_or_negative_pool<at_layer<1, max_pool2d<0>>>
// first-error: static.assert.* failed.*typenet: pool size must be > 0
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>>, tn::max_pool2d<0>, tn::flatten,
                           tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>>, tn::max_pool2d<2>, tn::flatten,
                           tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
