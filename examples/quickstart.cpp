// quickstart: the README's example -- a network as a type, its facts at compile time, inference.
#include <iostream>
#include <typenet/typenet.hpp>

namespace tn = typenet;

using cnn = tn::sequential<tn::input<32, 32, 3>,
                           tn::conv2d<32, tn::kernel<3, 3>, tn::same, tn::relu>,
                           tn::max_pool2d<2>,
                           tn::flatten,
                           tn::dense<128, tn::relu>,
                           tn::dense<10, tn::softmax>>;

static_assert(cnn::output_shape == tn::shape<10>{});
static_assert(cnn::param_count == 1'050'890);
static_assert(cnn::arena_bytes < 200 * 1024);  // activation memory for one sample

int main() {
    auto m = tn::make_model<cnn>();  // heap-owned weights, Keras' initialisers
    m.summary(std::cout);

    tn::tensor<float, tn::shape<32, 32, 3>> image;  // one sample, stored in the object
    image.fill(0.5f);
    auto probs = m.predict(image);  // tn::tensor<float, tn::shape<10>>
    float sum = 0;
    for (float p : probs) sum += p;
    std::cout << "sum of probabilities: " << sum << "\n";

    if (tn::status s = m.save_npz("quickstart.weights.npz"); !s) {  // np.load() reads it
        std::cerr << s.message() << "\n";
        return 1;
    }
    tn::static_model<cnn> tiny;  // embedded: weights and activations inside the object
    if (tn::status s = tiny.load_npz("quickstart.weights.npz"); !s) {
        std::cerr << s.message() << "\n";
        return 1;
    }
    auto again = tiny.predict(image);
    std::cout << "static_model agrees: " << (again[3] == probs[3] ? "yes" : "no") << "\n";
    return again[3] == probs[3] ? 0 : 1;
}
