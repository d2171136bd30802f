// A shape where a layer belongs (shape<10> instead of dense<10>).
//
// expect: diag::not_a_layer<at_layer<1, shape<10>>>
// first-error: static.assert.* failed.*typenet: the type at this position is not a layer
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::shape<10>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
