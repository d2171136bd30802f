// set_weight<2, 0>: the network has two layers after input (0 and 1); counting input<...> as
// layer 0 is the usual off-by-one.
//
// expect: diag::no_such_layer_or_param<param_index<2>, param_index<2>>
// first-error: static.assert.* failed.*typenet: layer or parameter index out of range
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
    tn::heap_tensor<float, tn::shape<128, 10>> kernel;
#ifdef TYPENET_FAIL
    m.set_weight<2, 0>(kernel);
#else
    m.set_weight<1, 0>(kernel);
#endif
}
