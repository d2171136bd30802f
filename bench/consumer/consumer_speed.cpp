// consumer_speed: what a user's own build of typenet gets. A plain program, as a user writes it
// (model, compile, fit, predict), compiled by bench/consumer/run.sh with each of the flag sets
// users build with (-O2, -O3, with and without -march=native) and timed; docs/performance.md has
// the figures. It prints one line per measurement:
//
//   RESULT <what> <min> <median>       (images per second over the repeats, higher is better)
//
//   consumer_speed [--repeats N] [--quick]
#include <typenet/typenet.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "seed_models.hpp"

namespace tn = typenet;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class S>
tn::batch<float, S> random_images(tn::index_t n, unsigned seed) {
    tn::batch<float, S> x(n);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = u(rng);
    return x;
}

void report(const char* what, std::vector<double> rates) {
    std::sort(rates.begin(), rates.end());
    std::printf("RESULT %-24s %.0f %.0f\n", what, rates.front(), rates[rates.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
    int repeats = 5;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--quick")) quick = true;
    }
    if (quick) repeats = 1;
    const tn::index_t train_n = quick ? 256 : 2048, infer_n = quick ? 256 : 4096;
#ifndef TYPENET_CONSUMER_NO_KERNEL_NAME
    std::printf("kernels: %s\n", tn::cpu_kernels_name());
#endif

    // M2 (Keras' Fashion-MNIST CNN): one epoch of fit (Adam, batch 32), then predict (batch 64).
    auto m2 = tn::make_model<seed::m2>();
    m2.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto train_x = random_images<tn::shape<28, 28, 1>>(train_n, 1);
    std::vector<int> train_y(static_cast<std::size_t>(train_n));
    for (std::size_t i = 0; i < train_y.size(); ++i) train_y[i] = int(i % 10);
    const auto x2 = random_images<tn::shape<28, 28, 1>>(infer_n, 3);
    // M10 (BatchNorm + LeakyReLU CNN on 32 x 32 x 3): predict (batch 64).
    auto m10 = tn::make_model<seed::m10>();
    const auto x10 = random_images<tn::shape<32, 32, 3>>(infer_n / 2, 2);

    // M2 one sample at a time on one thread, three ways: model<cpu{1}> (heap), static_model
    // (parameters in the object) and rom_model (parameters read in place from a const array, as a
    // generated header's weights in flash): the same kernels, so the same speed (docs/embedded.md).
    tn::model<seed::m2> m2_one{tn::cpu{1}};
    auto m2_static = std::make_unique<tn::static_model<seed::m2>>();
    if (!m2_static->set_weights(m2_one.get_weights())) return 1;
    // On a cache line, as the generated headers' `alignas(64)` arrays (a vector's 16-byte alignment
    // splits the kernels' vector loads across lines: 5 % slower here).
    const auto rom_weights = tn::cpu::allocate<float>(seed::m2::param_count);
    std::copy(m2_one.parameters().begin(), m2_one.parameters().end(), rom_weights.get());
    tn::rom_model<seed::m2> m2_rom{rom_weights.get()};
    const tn::index_t single_n = quick ? 64 : 1024;

    std::vector<double> fit2, infer2, infer10, one_heap, one_static, one_rom;
    for (int r = 0; r < repeats + 1; ++r) {  // the first round warms up and is not counted
        auto t0 = std::chrono::steady_clock::now();
        const tn::history h = m2.fit(train_x, train_y, {.epochs = 1, .batch_size = 32, .verbose = 0, .seed = 7});
        const double t_fit = seconds_since(t0);
        if (const tn::status& s = h.error(); !s) {
            std::fprintf(stderr, "fit: %s\n", s.message().c_str());
            return 1;
        }
        t0 = std::chrono::steady_clock::now();
        const auto p2 = m2.predict(x2, 64);
        const double t_infer2 = seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        const auto p10 = m10.predict(x10, 64);
        const double t_infer10 = seconds_since(t0);
        double t_one[3] = {0, 0, 0};
        float checksum[3] = {0, 0, 0};
        tn::tensor<float, tn::shape<28, 28, 1>> one;
        for (int k = 0; k < 3; ++k) {
            t0 = std::chrono::steady_clock::now();
            for (tn::index_t i = 0; i < single_n; ++i) {
                std::copy(x2.data() + i * 784, x2.data() + (i + 1) * 784, one.data());
                const auto y = k == 0 ? m2_one.predict(one) : k == 1 ? m2_static->predict(one)
                                                                     : m2_rom.predict(one);
                checksum[k] += y[3];
            }
            t_one[k] = seconds_since(t0);
        }
        if (checksum[0] != checksum[1] || checksum[0] != checksum[2]) {
            std::fprintf(stderr, "model, static_model and rom_model disagree\n");
            return 1;
        }
        if (r == 0) continue;
        one_heap.push_back(double(single_n) / t_one[0]);
        one_static.push_back(double(single_n) / t_one[1]);
        one_rom.push_back(double(single_n) / t_one[2]);
        fit2.push_back(double(train_n) / t_fit);
        infer2.push_back(double(x2.samples()) / t_infer2);
        infer10.push_back(double(x10.samples()) / t_infer10);
        (void)p2, (void)p10;
    }
    report("m2_fit_images_per_s", fit2);
    report("m2_predict_images_per_s", infer2);
    report("m10_predict_images_per_s", infer10);
    report("m2_one_model_cpu1_per_s", one_heap);
    report("m2_one_static_model_per_s", one_static);
    report("m2_one_rom_model_per_s", one_rom);
    return 0;
}
