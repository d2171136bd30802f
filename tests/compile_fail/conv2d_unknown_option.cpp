// conv2d given something that is not an option (a shape instead of strides<2, 2>).
// Not a diag:: type: the layer's own static_assert reports it.
//
// expect: conv2d<8, 3, shape<2, 2>>
// first-error: static.assert.* failed.*conv2d: an option is not strides<>, same/valid, use_bias<> or an activation
// max-errors: 4  (clang marks the rejected conv2d invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>, tn::shape<2, 2>>, tn::flatten,
                           tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>, tn::strides<2, 2>>, tn::flatten,
                           tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
