// An installed-typenet consumer: declares a network type, checks its facts at compile time, runs it,
// prints its summary, and round-trips its weights through an .npz file (which needs zlib, found via
// typenet's package config). Usage: typenet_consumer <scratch .npz path>.
#include <typenet/typenet.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

using namespace typenet;

// M9: Conv2D(10, 4x4, s2, same) -> Conv2D(20, 3x3, s2, same) -> Flatten -> Dense(10, softmax).
using net = sequential<input<32, 32, 3>, conv2d<10, kernel<4>, strides<2>, same>, conv2d<20, kernel<3>, strides<2>, same>,
                       flatten, dense<10, softmax>>;
static_assert(net::param_count == 15'120);
static_assert(std::is_same_v<net::output_shape_t, shape<10>>);

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <scratch .npz path>\n", argv[0]);
        return 2;
    }
    model<net> m(1);
    summary<net>(std::cout);

    batch<float, shape<32, 32, 3>> x(2);
    for (index_t i = 0; i < x.size(); ++i) x[i] = float(i % 17) / 17.0f;
    const auto y = m.predict(x);
    for (index_t s = 0; s < 2; ++s) {
        float sum = 0;
        for (index_t j = 0; j < 10; ++j) sum += y[s * 10 + j];
        if (std::fabs(sum - 1.0f) > 1e-5f) {
            std::fprintf(stderr, "sample %ld: softmax sums to %f\n", long(s), double(sum));
            return 1;
        }
    }

    if (status st = m.save_npz(argv[1]); !st) {
        std::fprintf(stderr, "save_npz: %s\n", st.message().c_str());
        return 1;
    }
    model<net> other(2);
    if (status st = other.load_npz(argv[1]); !st) {
        std::fprintf(stderr, "load_npz: %s\n", st.message().c_str());
        return 1;
    }
    const auto y2 = other.predict(x);
    for (index_t i = 0; i < y.size(); ++i)
        if (y[i] != y2[i]) {
            std::fprintf(stderr, "weights did not round-trip (element %ld)\n", long(i));
            return 1;
        }
    // The first sample's outputs, exactly: the run script checks that a build linked with
    // typenet::kernels prints the same.
    std::printf("outputs:");
    for (index_t j = 0; j < 10; ++j) std::printf(" %a", double(y[j]));
    std::printf("\ntypenet consumer: ok (%ld parameters)\n", long(net::param_count));
    return 0;
}
