// set_weight<1, 2>: layer 1 (dense) has two parameter arrays, kernel (0) and bias (1); there is no 2.
//
// expect: diag::no_such_layer_or_param<at_layer<1, dense<10, softmax>>, param_index<2>>
// first-error: static.assert.* failed.*typenet: layer or parameter index out of range
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
    tn::tensor<float, tn::shape<10>> bias;
#ifdef TYPENET_FAIL
    m.set_weight<1, 2>(bias);
#else
    m.set_weight<1, 1>(bias);
#endif
}
