// eval of an expression without a shape (a per-channel vector times a scalar): eval needs to know
// how many elements to make.
//
// expect: eval needs an expression with a shape .not only scalars.
// first-error: static.assert.* failed.*eval needs an expression with a shape
// max-errors: 6
#include <typenet/typenet.hpp>
namespace tn = typenet;

int main() {
    tn::tensor<float, tn::shape<3>> bias;
#ifdef TYPENET_FAIL
    auto twice = tn::eval(tn::broadcast_channels(bias) * 2.0f);
#else
    auto twice = tn::eval(bias * 2.0f);
#endif
    (void)twice;
}
