// dropout<100>: the rate is 100/100 = 1 -- it would drop everything (Keras requires rate < 1).
// The intent was dropout<1, 100> (or dropout<100, 1000>).
//
// expect: diag::dropout_rate_out_of_range<at_layer<1, dropout<100(, 100)?>>>
// first-error: static.assert.* failed.*typenet: dropout rate must be in .0, 1.
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<100>, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dropout<10>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
