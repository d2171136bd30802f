// residual<conv2d<...>>: a residual's branches must be path<...> (or identity).
// Not a diag:: type: residual's own static_assert reports it.
//
// expect: residual<conv2d<16, 3, same>
// first-error: static.assert.* failed.*residual<Main, Shortcut>: both branches must be path<layers...> .or identity.
// max-errors: 4  (clang marks the rejected residual invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using block = tn::residual<tn::conv2d<16, tn::kernel<3, 3>, tn::same>>;
#else
using block = tn::residual<tn::path<tn::conv2d<16, tn::kernel<3, 3>, tn::same>>>;
#endif
using net = tn::sequential<tn::input<8, 8, 16>, block, tn::relu, tn::flatten, tn::dense<2>>;

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
