// conv2d<0, ...>: a convolution without filters.
//
// expect: diag::zero_or_negative_filters<at_layer<0, conv2d<0, 3>>>
// first-error: static.assert.* failed.*typenet: conv2d filters must be > 0
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<0, tn::kernel<3, 3>>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
