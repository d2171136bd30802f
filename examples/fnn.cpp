// fnn: M8 -- a plain fully connected network (Flatten, Dense 200, Dense 150, Dense 10) -- on
// Fashion-MNIST padded to 32x32x3.
//
//   fnn [--epochs N] [--limit N] [--test-limit N] [--batch N] [--out DIR]
#include <cstdio>
#include <iostream>

#include "fashion_data.hpp"
#include "seed_models.hpp"

int main(int argc, char** argv) {
    namespace tn = typenet;
    examples::options o{.epochs = 5, .limit = -1, .test_limit = -1};
    examples::fashion32 data;
    if (!examples::parse(argc, argv, o) || !examples::load_fashion32(data, o.limit, o.test_limit)) return 1;

    auto m = tn::make_model<seed::m8>(1);
    m.summary(std::cout);
    std::cout.flush();
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto h = m.fit(data.train.x, data.train.y,
                         {.epochs = o.epochs, .batch_size = o.batch, .validation_split = 0.1, .seed = 8});
    (void)h.to_csv(o.out / "fnn_history.csv");
    (void)h.to_svg(o.out / "fnn_curves.svg", "M8: fully connected");
    const auto ev = m.evaluate(data.test.x, data.test.y);
    std::printf("test loss: %.4f\ntest accuracy: %.4f\n", ev.loss, ev.accuracy);
    return h["loss"].back() < h["loss"].front() || o.epochs < 2 ? 0 : 1;
}
