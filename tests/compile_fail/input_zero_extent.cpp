// input<28, 0, 1>: an extent of zero.
//
// expect: input<dims...>: every extent must be > 0
// first-error: static.assert.* failed.*input<dims...>: every extent must be > 0
// max-errors: 6  (the network built on it fails in further places)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 0, 1>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
