// conv2d<16, same, relu>: the kernel size is missing (Keras' Conv2D(16, 3, padding="same")). The
// second argument must be a number, so both compilers reject the type there themselves, before
// typenet can say anything: their own messages are what the user sees.
//
// expect-gcc: type/value mismatch at argument 2 in template parameter list for 'template<long int Filters, auto KernelSize, class ... Opts> struct conv2d'
// expect-gcc: expected a constant of type 'auto', got 'same'
// expect-clang: template argument for non-type template parameter must be an expression
// max-errors-gcc: 6  (then the alias, the network and make_model are invalid too)
// max-errors-clang: 5  (then the alias is dropped: `net` is undeclared where it is used)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<16, tn::same, tn::relu>, tn::flatten, tn::dense<10>>;
#else
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<16, 3, tn::same, tn::relu>, tn::flatten, tn::dense<10>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
