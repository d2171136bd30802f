// toy_regression: the first Keras tutorial (M7) -- learn y = 2x - 1 from six points with one
// Dense(1) unit, SGD and mean squared error, 500 epochs.
//
//   toy_regression [--epochs N] [--curves out.svg]
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <typenet/typenet.hpp>

namespace tn = typenet;

using m7 = tn::sequential<tn::input<1>, tn::dense<1>>;

int main(int argc, char** argv) {
    int epochs = 500;
    std::string curves = "toy_regression_curves.svg";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--epochs")) epochs = std::stoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--curves")) curves = argv[i + 1];
    }

    auto m = tn::make_model<m7>();
    m.summary(std::cout);
    m.compile(tn::sgd{.learning_rate = 0.01}, tn::mean_squared_error{});

    tn::batch<float, tn::shape<1>> x(6), y(6);
    const float xs[] = {-1, 0, 1, 2, 3, 4};
    for (int i = 0; i < 6; ++i) {
        x[i] = xs[i];
        y[i] = 2 * xs[i] - 1;
    }
    const auto h = m.fit(x, y, {.epochs = epochs, .batch_size = 32, .verbose = 2});
    if (auto s = h.to_svg(curves, "toy regression"); !s) std::cerr << s.message() << "\n";

    const auto w = m.get_weights();
    tn::tensor<float, tn::shape<1>> ten{10.0f};
    const float p = m.predict(ten)[0];
    std::printf("w=%.4f b=%.4f predict(10)=%.4f final loss=%.6f\n", double(w[0].values[0]), double(w[1].values[0]),
                double(p), h["loss"].back());
    const bool ok = std::abs(w[0].values[0] - 2.0f) < 0.01f && std::abs(w[1].values[0] + 1.0f) < 0.02f &&
                    std::abs(p - 19.0f) < 0.1f;
    return ok || epochs < 500 ? 0 : 1;
}
