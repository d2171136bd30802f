// conv2d<8, 3.0>: the kernel size written as a floating-point number. g++ reports conv2d's own
// static_assert; clang 14 has no floating-point template arguments and says so itself.
//
// expect-gcc: conv2d<filters, kernel_size, options...>: kernel_size must be an integer
// expect-gcc: conv2d<8, 3.0e.0>
// first-error-gcc: static.assert.* failed.*kernel_size must be an integer
// expect-clang: non-type template argument of type 'double' is not yet supported
// first-error-clang: non-type template argument of type 'double' is not yet supported
// max-errors-clang: 5  (clang then drops the alias: `net` is undeclared where it is used)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, 3.0>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<8, 3>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
