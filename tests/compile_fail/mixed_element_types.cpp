// a + b with a float and a double tensor: expressions do not convert element types.
//
// expect: elementwise operands have different element types .float vs double..
// first-error: static.assert.* failed.*elementwise operands have different element types
// max-errors: 4
#include <typenet/typenet.hpp>
namespace tn = typenet;

int main() {
    tn::tensor<float, tn::shape<4>> a, c;
#ifdef TYPENET_FAIL
    tn::tensor<double, tn::shape<4>> b;
#else
    tn::tensor<float, tn::shape<4>> b;
#endif
    c = a + b;
}
