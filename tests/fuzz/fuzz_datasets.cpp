// libFuzzer harness: the dataset readers -- IDX (MNIST, plain and gzipped), CIFAR-10 binary
// batches, the digits CSV -- given one input. The first byte picks the reader; for IDX the next
// two bytes split the rest into the image and the label file.
#include <typenet/typenet.hpp>
#include <typenet/io/datasets.hpp>

#include <algorithm>

#include "fuzz_common.hpp"

namespace tn = typenet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
    if (n < 3) return 0;
    const unsigned which = data[0] % 4;
    data += 1;
    n -= 1;
    if (which <= 1) {  // IDX; 1: gzipped names, so the reader inflates them
        const std::size_t split = std::min<std::size_t>(n - 2, (std::size_t(data[0]) << 8 | data[1]));
        const char* ext = which == 1 ? ".gz" : "";
        const auto images = fuzz::write(std::string("images.idx") + ext, data + 2, split);
        const auto labels = fuzz::write(std::string("labels.idx") + ext, data + 2 + split, n - 2 - split);
        tn::data::labeled<float, tn::shape<4, 3, 1>> out;
        if (tn::data::load_idx(images, labels, out))
            fuzz::require(std::size_t(out.size()) == out.y.size(), "load_idx: as many labels as images");
    } else if (which == 2) {
        tn::data::labeled<float, tn::shape<32, 32, 3>> out;
        if (tn::data::load_cifar10({fuzz::write("batch.bin", data, n)}, out))
            fuzz::require(std::size_t(out.size()) == out.y.size(), "load_cifar10: as many labels as images");
    } else {
        tn::data::labeled<float, tn::shape<8, 8, 1>> out;
        if (tn::data::load_digits_csv(fuzz::write("digits.csv", data, n), out))
            fuzz::require(std::size_t(out.size()) == out.y.size(), "load_digits_csv: as many labels as images");
    }
    return 0;
}
