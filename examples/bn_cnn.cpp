// bn_cnn: M10 -- conv / batch norm / LeakyReLU blocks with a BN + Dropout head -- on Fashion-MNIST
// padded to 32x32x3, as the Keras tutorial does on CIFAR-10.
//
//   bn_cnn [--epochs N] [--limit N] [--test-limit N] [--batch N] [--out DIR]
#include <cstdio>
#include <iostream>

#include "fashion_data.hpp"
#include "seed_models.hpp"

int main(int argc, char** argv) {
    namespace tn = typenet;
    examples::options o{.epochs = 3, .limit = 10000, .test_limit = 2000};
    examples::fashion32 data;
    if (!examples::parse(argc, argv, o) || !examples::load_fashion32(data, o.limit, o.test_limit)) return 1;

    auto m = tn::make_model<seed::m10>(1);
    m.summary(std::cout);
    std::cout.flush();
    m.compile(tn::adam{.learning_rate = 0.0005}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto h = m.fit(data.train.x, data.train.y,
                         {.epochs = o.epochs, .batch_size = o.batch, .validation = {data.test.x, data.test.y}, .seed = 3});
    (void)h.to_csv(o.out / "bn_cnn_history.csv");
    (void)h.to_svg(o.out / "bn_cnn_curves.svg", "M10: conv / BN / LeakyReLU");
    const auto ev = m.evaluate(data.test.x, data.test.y);
    std::printf("test loss: %.4f\ntest accuracy: %.4f\n", ev.loss, ev.accuracy);
    return h["loss"].back() < h["loss"].front() || o.epochs < 2 ? 0 : 1;
}
