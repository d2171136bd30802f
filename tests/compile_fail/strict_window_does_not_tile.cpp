// strict_sequential: a 3x3 kernel with stride 2 on a 10x10 input leaves the last row and column
// unused ((10 - 3) is not a multiple of 2). sequential<...> accepts it (Keras floors); strict mode does not.
//
// expect: diag::window_does_not_tile_input<at_layer<0, conv2d<1, 3, strides<2(, 2)?>>>, got<shape<10, 10, 1>>, window<3, 3>, step<2, 2>>
// first-error: static.assert.* failed.*strided window does not tile its input exactly
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::strict_sequential<tn::input<10, 10, 1>, tn::conv2d<1, tn::kernel<3, 3>, tn::strides<2, 2>>>;
#else
using net = tn::sequential<tn::input<10, 10, 1>, tn::conv2d<1, tn::kernel<3, 3>, tn::strides<2, 2>>>;
static_assert(std::is_same_v<net::output_shape_t, tn::shape<4, 4, 1>>);
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
