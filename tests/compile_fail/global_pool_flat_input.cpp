// global_average_pool2d on a dense layer's output: global pooling also needs (H, W, C).
//
// expect: diag::needs_hwc_input<at_layer<2, global_average_pool2d>, got<shape<16>>>
// first-error: static.assert.* failed.*typenet: layer needs an .H, W, C. input
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<8, 8, 3>, tn::flatten, tn::dense<16>, tn::global_average_pool2d, tn::dense<2>>;
#else
using net = tn::sequential<tn::input<8, 8, 3>, tn::global_average_pool2d, tn::dense<16>, tn::dense<2>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
