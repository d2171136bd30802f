// kernel<0, 3>: a kernel with a zero extent.
//
// expect: diag::zero_or_negative_kernel<at_layer<0, conv2d<8, (kernel_size)?.0, 3.>>>
// first-error: static.assert.* failed.*typenet: kernel extents must be > 0
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<0, 3>>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<1, 3>>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
