// lstm<64, same>: padding is not an option of a recurrent layer.
//
// expect: an option is not an activation, use_bias<bool>, return_sequences<bool> or go_backwards<bool>
// first-error: static.assert.* failed.*an option is not an activation, use_bias<bool>, return_sequences<bool> or go_backwards<bool>
// max-errors: 4  (clang marks the rejected lstm invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<10, 4>, tn::lstm<8, tn::same>, tn::dense<1>>;
#else
using net = tn::sequential<tn::input<10, 4>, tn::lstm<8, tn::return_sequences<false>>, tn::dense<1>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
