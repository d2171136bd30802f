// fit on a batch<double> with a float model: the data must have the model's element type.
//
// expect: model<Net, Policy, T>: x holds another element type than the model's T .float vs double..
// first-error: static.assert.* failed.*x holds another element type than the model's T
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<4>, tn::dense<3, tn::softmax>>;

int main() {
    auto m = tn::make_model<net>();  // float
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
#ifdef TYPENET_FAIL
    tn::batch<double, tn::shape<4>> x(8);
#else
    tn::batch<float, tn::shape<4>> x(8);
#endif
    std::vector<std::int32_t> y(8, 0);
    auto h = m.fit(x, y, {.verbose = 0});
    (void)h;
}
