// dense<10, same>: padding is an option of conv2d and the poolings, not of dense.
//
// expect: dense<units, options...>: an option is not an activation or use_bias<bool>
// expect: dense<10, same>
// first-error: static.assert.* failed.*dense<units, options...>: an option is not an activation or use_bias<bool>
// max-errors: 4  (clang marks the rejected dense invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::same>>;
#else
using net = tn::sequential<tn::input<784>, tn::dense<128, tn::relu>, tn::dense<10, tn::softmax>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
