// input<>: the input shape has no extent.
//
// expect: input<dims...>: give at least one extent
// first-error: static.assert.* failed.*input<dims...>: give at least one extent
// max-errors: 6  (the network built on it fails in further places)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<>, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
