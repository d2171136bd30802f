// newcomer: the program of issue #9's trial, as a Keras user writes it -- a model nobody here wrote
// (Conv2D 5x5 stride 2 "same" -> BatchNormalization -> Conv2D -> MaxPooling2D -> Dropout -> Dense
// tanh -> Dense softmax), trained with fit, scored with evaluate, run with predict, saved as .npz
// and loaded back. It is also the "typical training program" whose compile time
// bench/compile_time tracks (docs/compile-time.md).
//
//   newcomer [--epochs N] [--limit N] [--data DIR] [--out DIR]
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <typenet/io/datasets.hpp>
#include <typenet/typenet.hpp>

namespace tn = typenet;

// keras.Sequential([Input((28, 28, 1)), Conv2D(16, 5, strides=2, padding="same"), BatchNormalization(),
//                   Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Dropout(0.25), Flatten(),
//                   Dense(64, activation="tanh"), Dense(10, activation="softmax")])
using net = tn::sequential<tn::input<28, 28, 1>,
                           tn::conv2d<16, 5, tn::strides<2>, tn::same>, tn::batch_norm<>,
                           tn::conv2d<32, 3, tn::relu>, tn::max_pool2d<2>, tn::dropout<1, 4>,
                           tn::flatten,
                           tn::dense<64, tn::tanh>,
                           tn::dense<10, tn::softmax>>;
static_assert(net::param_count == 79'562);  // Keras' model.count_params()

int main(int argc, char** argv) {
    int epochs = 2;
    tn::index_t limit = -1;
    std::filesystem::path data = "/usr/share/datasets/fashion-mnist", out = ".";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--epochs") epochs = std::stoi(argv[i + 1]);
        else if (a == "--limit") limit = std::stol(argv[i + 1]);
        else if (a == "--data") data = argv[i + 1];
        else if (a == "--out") out = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    tn::data::labeled<float, tn::shape<28, 28, 1>> train, test;
    if (auto s = tn::data::load_idx(data / "train-images-idx3-ubyte.gz", data / "train-labels-idx1-ubyte.gz", train, limit); !s) {
        std::fprintf(stderr, "%s\n(install the Debian package dataset-fashion-mnist)\n", s.message().c_str());
        return 1;
    }
    if (auto s = tn::data::load_idx(data / "t10k-images-idx3-ubyte.gz", data / "t10k-labels-idx1-ubyte.gz", test, limit); !s) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
    }

    auto m = tn::make_model<net>(7);
    m.summary(std::cout);
    std::cout.flush();
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    m.fit(train.x, train.y, {.epochs = epochs, .batch_size = 32, .validation = {test.x, test.y}, .seed = 7});
    const tn::evaluation ev = m.evaluate(test.x, test.y);

    // Predictions, then the weights through an .npz file (np.load reads it; Keras' set_weights takes
    // its arrays in order) into a second model, which must predict the same bits.
    const auto probs = m.predict(test.x, 256);
    std::filesystem::create_directories(out);
    const std::filesystem::path file = out / "newcomer.weights.npz";
    if (auto s = m.save_npz(file); !s) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
    }
    auto back = tn::make_model<net>(1);
    if (auto s = back.load_npz(file); !s) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
    }
    const auto again = back.predict(test.x, 256);
    tn::index_t same = 0;
    for (tn::index_t i = 0; i < probs.size(); ++i) same += probs[i] == again[i];
    std::printf("test loss: %.4f\ntest accuracy: %.4f\nreloaded model: %s\n", ev.loss, ev.accuracy,
                same == probs.size() ? "same predictions" : "DIFFERENT predictions");
    return same == probs.size() ? 0 : 1;
}
