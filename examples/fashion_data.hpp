// fashion_data: Fashion-MNIST for the CIFAR-shaped tutorial models -- loaded from Debian's
// dataset-fashion-mnist, zero-padded to 32x32 and repeated to 3 channels.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include <typenet/io/datasets.hpp>
#include <typenet/typenet.hpp>

namespace examples {
namespace tn = typenet;

struct fashion32 {
    tn::data::labeled<float, tn::shape<32, 32, 3>> train, test;
};

inline bool load_fashion32(fashion32& out, tn::index_t train_limit, tn::index_t test_limit,
                           const std::filesystem::path& dir = "/usr/share/datasets/fashion-mnist") {
    tn::data::labeled<float, tn::shape<28, 28, 1>> tr, te;
    for (auto [images, labels, dst, limit] :
         {std::tuple{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", &tr, train_limit},
          std::tuple{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", &te, test_limit}}) {
        if (auto s = tn::data::load_idx(dir / images, dir / labels, *dst, limit); !s) {
            std::fprintf(stderr, "%s\n(install the Debian package dataset-fashion-mnist)\n", s.message().c_str());
            return false;
        }
    }
    out.train = tn::data::pad_and_repeat<32, 32, 3>(tr);
    out.test = tn::data::pad_and_repeat<32, 32, 3>(te);
    return true;
}

// Command-line options shared by the examples: --epochs, --limit (training images), --test-limit,
// --batch, --out.
struct options {
    int epochs;
    tn::index_t limit, test_limit, batch = 32;
    std::filesystem::path out = ".";
};
inline bool parse(int argc, char** argv, options& o) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--epochs") o.epochs = std::stoi(argv[i + 1]);
        else if (a == "--limit") o.limit = std::stol(argv[i + 1]);
        else if (a == "--test-limit") o.test_limit = std::stol(argv[i + 1]);
        else if (a == "--batch") o.batch = std::stol(argv[i + 1]);
        else if (a == "--out") o.out = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return false;
        }
    }
    std::filesystem::create_directories(o.out);
    return true;
}
}  // namespace examples
