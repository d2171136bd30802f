// set_weight<0, 0> (layer 0's kernel) from a tensor of the wrong shape: the dense kernel is
// (784, 128), the tensor is its transpose (PyTorch's layout).
//
// expect: diag::weight_shape_mismatch<at_layer<0, dense<128, relu>>, param_index<0>, expected<shape<784, 128>>, got<shape<128, 784>>>
// first-error: static.assert.* failed.*typenet: weight tensor has the wrong shape
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();
#ifdef TYPENET_FAIL
    tn::heap_tensor<float, tn::shape<128, 784>> kernel;
#else
    tn::heap_tensor<float, tn::shape<784, 128>> kernel;
#endif
    m.set_weight<0, 0>(kernel);
}
