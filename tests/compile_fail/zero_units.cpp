// dense<0>: a dense layer without units.
//
// expect: diag::zero_or_negative_units<at_layer<1, dense<0, softmax>>>
// first-error: static.assert.* failed.*typenet: units must be > 0
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<0, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
