// A residual block whose main path contains a bad layer (a 5x5 valid kernel on a 4x4 input):
// the error names that inner layer, at its position inside the path.
//
// expect: diag::window_larger_than_input<at_layer<1, conv2d<16, 5>>, got<shape<4, 4, 16>>, window<5, 5>>
// expect: residual<path<conv2d<16, 3, same>, conv2d<16, 5>>
// first-error: static.assert.* failed.*typenet: kernel/pool window is larger than the .padded. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using main_path = tn::path<tn::conv2d<16, tn::kernel<3, 3>, tn::same>, tn::conv2d<16, tn::kernel<5, 5>>>;
#else
using main_path = tn::path<tn::conv2d<16, tn::kernel<3, 3>, tn::same>, tn::conv2d<16, tn::kernel<5, 5>, tn::same>>;
#endif
using net = tn::sequential<tn::input<4, 4, 16>, tn::residual<main_path>, tn::relu, tn::flatten, tn::dense<2>>;

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
