// A type in the layer list that is not a layer (here: int, e.g. a leftover from a refactoring).
//
// expect: diag::not_a_layer<at_layer<1, int>>
// first-error: static.assert.* failed.*typenet: the type at this position is not a layer
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, int, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
