// An elementwise expression between tensors of different shapes (no implicit broadcasting).
//
// expect: diag::operand_shape_mismatch<shape<4, 4, 3>, shape<4, 4>>
// first-error: static.assert.* failed.*typenet: elementwise operands have different shapes
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

int main() {
    tn::tensor<float, tn::shape<4, 4, 3>> a;
#ifdef TYPENET_FAIL
    tn::tensor<float, tn::shape<4, 4>> b;
#else
    tn::tensor<float, tn::shape<4, 4, 3>> b;
#endif
    tn::tensor<float, tn::shape<4, 4, 3>> c;
    c = a + b;
}
