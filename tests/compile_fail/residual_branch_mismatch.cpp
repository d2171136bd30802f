// A residual block whose main path downsamples (stride 2, 64 filters) with an identity shortcut:
// (16, 16, 64) + (32, 32, 32) cannot be added.
//
// expect: diag::residual_branch_mismatch<at_layer<0, residual<path<conv2d<64, 3, strides<2(, 2)?>, same>, 
// expect: main_path_output<shape<16, 16, 64>>, shortcut_output<shape<32, 32, 32>>>
// first-error: static.assert.* failed.*typenet: residual branches produce different shapes
#include <typenet/typenet.hpp>
namespace tn = typenet;

using main_path = tn::path<tn::conv2d<64, tn::kernel<3, 3>, tn::strides<2>, tn::same>, tn::batch_norm<>, tn::relu,
                           tn::conv2d<64, tn::kernel<3, 3>, tn::same>, tn::batch_norm<>>;
#ifdef TYPENET_FAIL
using block = tn::residual<main_path>;  // identity shortcut
#else
using block = tn::residual<main_path, tn::path<tn::conv2d<64, tn::kernel<1, 1>, tn::strides<2>>, tn::batch_norm<>>>;
#endif
using net = tn::sequential<tn::input<32, 32, 32>, block, tn::relu, tn::global_average_pool2d, tn::dense<10>>;

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
