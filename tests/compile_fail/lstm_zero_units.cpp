// lstm<0>: a recurrent layer without units.
//
// expect: diag::zero_or_negative_units<at_layer<1, lstm<0>>>
// first-error: static.assert.* failed.*typenet: units must be > 0
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::tokens<20>, tn::embedding<1000, 32>, tn::lstm<0>, tn::dense<1, tn::sigmoid>>;
#else
using net = tn::sequential<tn::tokens<20>, tn::embedding<1000, 32>, tn::lstm<32>, tn::dense<1, tn::sigmoid>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
