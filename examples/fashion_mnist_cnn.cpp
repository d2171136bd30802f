// fashion_mnist_cnn: the Keras Fashion-MNIST CNN tutorial (M2) on the real data from Debian's
// dataset-fashion-mnist: summary, fit with per-epoch progress and validation, test accuracy,
// confusion matrix, training curves (CSV and SVG).
//
//   fashion_mnist_cnn [--epochs N] [--limit N] [--batch N] [--out DIR] [--data DIR]
//
// --limit trains on the first N training images (the tests' short mode).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include <typenet/io/datasets.hpp>
#include <typenet/typenet.hpp>

#include "seed_models.hpp"

namespace tn = typenet;

int main(int argc, char** argv) {
    int epochs = 10;
    tn::index_t limit = -1, batch_size = 32;
    std::filesystem::path out = ".", data = "/usr/share/datasets/fashion-mnist";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--epochs") epochs = std::stoi(argv[i + 1]);
        else if (a == "--limit") limit = std::stol(argv[i + 1]);
        else if (a == "--batch") batch_size = std::stol(argv[i + 1]);
        else if (a == "--out") out = argv[i + 1];
        else if (a == "--data") data = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const char* names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

    tn::data::labeled<float, tn::shape<28, 28, 1>> train, test;
    if (auto s = tn::data::load_idx(data / "train-images-idx3-ubyte.gz", data / "train-labels-idx1-ubyte.gz", train, limit); !s) {
        std::fprintf(stderr, "%s\n(install the Debian package dataset-fashion-mnist)\n", s.message().c_str());
        return 1;
    }
    if (auto s = tn::data::load_idx(data / "t10k-images-idx3-ubyte.gz", data / "t10k-labels-idx1-ubyte.gz", test); !s) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
    }
    std::printf("Fashion-MNIST: %lld training and %lld test images\n", static_cast<long long>(train.size()),
                static_cast<long long>(test.size()));

    auto m = tn::make_model<seed::m2>(1);
    m.summary(std::cout);
    std::cout.flush();
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const tn::history h = m.fit(train.x, train.y,
                                {.epochs = epochs, .batch_size = batch_size, .validation = {test.x, test.y}, .seed = 42});

    const tn::evaluation ev = m.evaluate(test.x, test.y);
    std::filesystem::create_directories(out);
    if (auto s = h.to_csv(out / "fashion_mnist_history.csv"); !s) std::fprintf(stderr, "%s\n", s.message().c_str());
    if (auto s = h.to_svg(out / "fashion_mnist_curves.svg", "Fashion-MNIST CNN (M2)"); !s)
        std::fprintf(stderr, "%s\n", s.message().c_str());

    tn::confusion_matrix cm(10);
    const auto probs = m.predict(test.x, 256);
    for (tn::index_t i = 0; i < test.size(); ++i)
        cm.add(test.y[std::size_t(i)], int(tn::detail::argmax(probs.data() + i * 10, 10)));
    std::vector<std::string> labels(names, names + 10);
    cm.print(std::cout, labels);
    if (auto s = cm.to_svg(out / "fashion_mnist_confusion.svg", labels); !s) std::fprintf(stderr, "%s\n", s.message().c_str());

    std::printf("test loss: %.4f\ntest accuracy: %.4f\n", ev.loss, ev.accuracy);
    return 0;
}
