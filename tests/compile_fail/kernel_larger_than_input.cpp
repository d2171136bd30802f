// A 5x5 kernel on a 4x4 input without padding: no output position exists.
//
// expect: diag::window_larger_than_input<at_layer<0, conv2d<8, 5>>, got<shape<4, 4, 1>>, window<5, 5>>
// first-error: static.assert.* failed.*typenet: kernel/pool window is larger than the .padded. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<4, 4, 1>, tn::conv2d<8, tn::kernel<5, 5>>, tn::flatten, tn::dense<2>>;
#else
using net = tn::sequential<tn::input<4, 4, 1>, tn::conv2d<8, tn::kernel<5, 5>, tn::same>, tn::flatten, tn::dense<2>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
