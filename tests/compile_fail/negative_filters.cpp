// conv2d<-16, ...>: a negative filter count (a sign slip in a computed template argument).
//
// expect: diag::zero_or_negative_filters<at_layer<0, conv2d<-16, 3>>>
// first-error: static.assert.* failed.*typenet: conv2d filters must be > 0
#include <typenet/typenet.hpp>
namespace tn = typenet;

constexpr tn::index_t base = 16;
#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<base - 32, tn::kernel<3, 3>>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32 - base, tn::kernel<3, 3>>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
