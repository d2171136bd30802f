// leaky_relu<1, 0>: a slope with a zero denominator.
//
// expect: diag::invalid_layer_argument<at_layer<1, leaky_relu<1, 0>>>
// first-error: static.assert.* failed.*typenet: invalid layer argument
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128>, tn::leaky_relu<1, 0>, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128>, tn::leaky_relu<1, 10>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
