// forward() given a batch of flat 784-vectors for a network whose input is 28x28x1.
//
// expect: diag::input_shape_mismatch<expected<shape<28, 28, 1>>, got<shape<784>>>
// first-error: static.assert.* failed.*typenet: tensor shape does not match the network input
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, tn::kernel<3, 3>, tn::relu>, tn::flatten,
                           tn::dense<10, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
#ifdef TYPENET_FAIL
    tn::batch<float, tn::shape<784>> x(32);
#else
    tn::batch<float, tn::shape<28, 28, 1>> x(32);
#endif
    tn::batch<float, tn::shape<10>> y(32);
    m.forward(x.view(), y.view());
}
