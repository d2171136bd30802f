// batch_norm<relu>: batch_norm takes no activation (add relu as a layer after it).
//
// expect: batch_norm: options are epsilon<n, d> and momentum<n, d>
// expect: batch_norm<relu>
// first-error: static.assert.* failed.*batch_norm: options are epsilon<n, d> and momentum<n, d>
// max-errors: 4  (clang marks the rejected batch_norm invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, 3>, tn::batch_norm<tn::relu>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, 3>, tn::batch_norm<>, tn::relu, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
