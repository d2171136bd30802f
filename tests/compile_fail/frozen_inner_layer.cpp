// A frozen base with a dense layer inside it before the flatten: the error names the inner layer.
//
// expect: diag::needs_flat_input<at_layer<1, dense<8>>, got<shape<8, 8, 8>>>
// expect: frozen<conv2d<8, 3, relu>, dense<8>>
// first-error: static.assert.* failed.*typenet: dense needs a rank-1 input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using base = tn::frozen<tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::dense<8>>;
#else
using base = tn::frozen<tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::flatten, tn::dense<8>>;
#endif
using net = tn::sequential<tn::input<10, 10, 3>, base, tn::dense<2, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
