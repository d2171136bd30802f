// A network that does not start with input<...>: no shape can be computed.
//
// expect: diag::network_must_start_with_input<dense<128, relu>>
// first-error: static.assert.* failed.*typenet: a network must start with input<dims...>
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
