// dropout<0.25>: Keras' Dropout(0.25). g++ (>= 11) has floating-point template arguments and
// accepts it; clang 14 does not and says so. The form every compiler takes is dropout<25>
// (N/100) or dropout<1, 4>: the corrected twin.
//
// accepted-by: gcc
// expect-clang: non-type template argument of type 'double' is not yet supported
// first-error-clang: non-type template argument of type 'double' is not yet supported
// max-errors-clang: 5  (clang then drops the alias: `net` is undeclared where it is used)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<0.25>, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<25>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
