// seed_models: the main demo. Declares the Keras tutorial models as types (their parameter counts
// are checked at compile time in seed_models.hpp), prints each summary, loads Keras-trained weights
// saved with np.savez(path, *model.get_weights()) and compares typenet's predictions with Keras'.
//
//   seed_models [fixtures-dir]     (default: the repository's tests/fixtures/keras)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "seed_models.hpp"

namespace tn = typenet;

#ifndef TYPENET_FIXTURES
#define TYPENET_FIXTURES "tests/fixtures"
#endif

namespace {

std::string g_dir = std::string(TYPENET_FIXTURES) + "/keras";
int g_failures = 0;

template <class Net>
void show(const char* title, const char* keras_name) {
    std::cout << "\n=== " << title << " ===\n";
    tn::summary<Net>(std::cout, keras_name);
    std::cout << "  FLOPs per sample: " << tn::detail::with_commas(Net::flops)
              << ", inference arena per sample: " << tn::detail::readable_bytes(double(Net::arena_bytes)) << "\n";
}

// Load Keras' weights and input batch, predict, compare with Keras' output. `folder`: under the
// fixtures' parent ("keras" for the image models, "keras_rnn" for the text ones).
template <class Net>
void compare_with_keras(const std::string& name, const std::string& folder = "keras") {
    auto m = tn::make_model<Net>();
    const std::string dir = folder == "keras" ? g_dir : g_dir + "/../" + folder;
    const std::string weights = dir + "/" + name + ".weights.npz";
    if (tn::status s = m.load_npz(weights); !s) {
        std::cout << "  could not load weights: " << s.message() << "\n";
        ++g_failures;
        return;
    }
    std::vector<tn::io::npy_array> io;
    if (tn::status s = tn::io::read_npz(dir + "/" + name + ".io.npz", io); !s) {
        std::cout << "  could not read inputs: " << s.message() << "\n";
        ++g_failures;
        return;
    }
    std::vector<float> x, y;
    for (const auto& a : io) {
        if (a.name == "x") (void)a.to_vector(x);
        if (a.name == "y") (void)a.to_vector(y);
    }
    const tn::index_t n = tn::index_t(x.size()) / Net::input_shape_t::size;
    tn::batch<float, typename Net::input_shape_t> xb(n);
    std::copy(x.begin(), x.end(), xb.begin());
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = m.predict(xb);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, double(std::abs(out[tn::index_t(i)] - y[i])));
    const bool ok = worst <= 1e-5;
    g_failures += ok ? 0 : 1;
    constexpr tn::index_t k = Net::output_shape_t::size;
    const auto* first = out.data();
    const auto top = std::max_element(first, first + k) - first;
    std::printf("  weights: %s loaded (%zu arrays)\n  predicted %lld samples in %.2f ms; sample 0 -> class %lld (p = %.4f)\n"
                "  max |typenet - Keras| = %.2e  %s\n",
                weights.c_str(), m.weight_count, static_cast<long long>(n), ms, static_cast<long long>(top),
                double(first[top]), worst, ok ? "(matches Keras)" : "(MISMATCH)");
}

// Models without Keras fixtures: Keras-initialised weights, one prediction on a test pattern.
template <class Net>
void run_once() {
    auto m = tn::make_model<Net>(42);
    tn::batch<float, typename Net::input_shape_t> x(1);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i % 17 + 1) / 16.0f;
    const auto t0 = std::chrono::steady_clock::now();
    const auto y = m.predict(x);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  Keras-initialised weights; one prediction in %.2f ms; output[0] = %.6f\n", ms, double(y[0]));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1) g_dir = argv[1];
    std::cout << "typenet seed models: shapes and parameter counts computed by the compiler\n";

    show<seed::m1>("M1: small CNN, CIFAR-sized input", "m1");
    compare_with_keras<seed::m1>("m1");
    show<seed::m2>("M2: Fashion-MNIST CNN", "m2");
    compare_with_keras<seed::m2>("m2");
    show<seed::m3>("M3: text classifier, Embedding + SimpleRNN (token ids in)", "m3");
    compare_with_keras<seed::m3>("m3", "keras_rnn");
    show<seed::m4>("M4: text classifier, Embedding + LSTM (token ids in)", "m4");
    compare_with_keras<seed::m4>("m4", "keras_rnn");
    show<seed::m5>("M5: frozen VGG16 base + new head (transfer learning)", "m5");
    run_once<seed::m5>();
    show<seed::m6>("M6: ResNet for CIFAR-10", "m6");
    compare_with_keras<seed::m6>("m6");
    show<seed::m7>("M7: linear regression", "m7");
    run_once<seed::m7>();
    show<seed::m8>("M8: fully connected", "m8");
    compare_with_keras<seed::m8>("m8");
    show<seed::m9>("M9: strided convolutions, TensorFlow 'same' padding", "m9");
    compare_with_keras<seed::m9>("m9");
    show<seed::m10>("M10: conv/BN/LeakyReLU blocks", "m10");
    compare_with_keras<seed::m10>("m10");
    show<seed::m11>("M11: cats vs dogs, dense", "m11");
    run_once<seed::m11>();
    show<seed::m12>("M12: cats vs dogs, one conv block", "m12");
    run_once<seed::m12>();
    show<seed::m13>("M13: cats vs dogs, two conv blocks", "m13");
    run_once<seed::m13>();

    std::cout << "\nVGG16 with its top: " << tn::detail::with_commas(seed::vgg16::param_count)
              << " parameters (checked at compile time)\n";
    if (g_failures) {
        std::cout << g_failures << " model(s) did not match Keras\n";
        return 1;
    }
    std::cout << "all models with Keras fixtures match Keras\n";
    return 0;
}
