// A frozen base with a pooling inside it after the flatten: the error names the inner layer.
//
// expect: diag::needs_hwc_input<at_layer<2, max_pool2d<2>>, got<shape<512>>>
// expect: frozen<conv2d<8, 3, relu>, flatten, max_pool2d<2>>
// first-error: static.assert.* failed.*typenet: layer needs an .H, W, C. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using base = tn::frozen<tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::flatten, tn::max_pool2d<2>>;
#else
using base = tn::frozen<tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>, tn::flatten>;
#endif
using net = tn::sequential<tn::input<10, 10, 3>, base, tn::dense<2, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
