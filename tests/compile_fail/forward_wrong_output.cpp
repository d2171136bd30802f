// forward() with a destination that is not the network's output shape (10 classes, not 100).
//
// expect: diag::output_shape_mismatch<expected<shape<10>>, got<shape<100>>>
// first-error: static.assert.* failed.*typenet: destination shape does not match the network output
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::flatten,
                           tn::dense<10, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
    tn::batch<float, tn::shape<28, 28, 1>> x(32);
#ifdef TYPENET_FAIL
    tn::batch<float, tn::shape<100>> y(32);
#else
    tn::batch<float, tn::shape<10>> y(32);
#endif
    m.forward(x.view(), y.view());
}
