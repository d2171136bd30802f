// dropout<1.0>: a floating rate of 1 would drop everything (g++; clang 14 rejects any floating
// template argument).
//
// expect-gcc: diag::dropout_rate_out_of_range<at_layer<1, dropout<1.0e.0>>>
// first-error-gcc: static.assert.* failed.*typenet: dropout rate must be in .0, 1.
// expect-clang: non-type template argument of type 'double' is not yet supported
// max-errors-clang: 5  (clang then drops the alias: `net` is undeclared where it is used)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<1.0>, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<10>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
