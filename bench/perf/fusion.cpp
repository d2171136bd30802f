// typenet_fusion: what the fused inference epilogues (model/chain.hpp, backend/cpu/epilogue.hpp)
// buy on M6 (ResNet) and M10 (conv / BN / LeakyReLU): the same models with the CPU policy, whose
// producers apply batch norm, activations and the residual add in their stores, and with a policy
// that has no fused kernel, so the chain runs each group's layers one after another in place.
// Both run in one process, interleaved, so the ratio is measured under the same conditions.
// Prints min and median of the repeats (docs/performance.md, "Fused epilogues").
//
//   build/bench/perf/typenet_fusion [repeats]
//
// Built with -DTYPENET_FUSION_BASELINE it times only model<Net> through the public API, so it can
// be compiled against an older checkout's headers to compare commits back to back.
#include <typenet/typenet.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "seed_models.hpp"

namespace {
namespace tn = typenet;

#ifndef TYPENET_FUSION_BASELINE
// The CPU policy without its fused forward: groups run as producer, then stages in place.
struct unfused_cpu : tn::cpu {
    explicit unfused_cpu(int threads = 0) : tn::cpu(threads) {}
    template <class L, class In, class Out, class T>
    void forward(const T* params, const T* x, T* y, tn::index_t n, T* ws) {
        tn::cpu::forward<L, In, Out>(params, x, y, n, ws);
    }
};
#endif

// Best time of `inner` calls, in seconds per call.
template <class F>
double time_once(F&& f, int inner) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / inner;
}

template <class Net, class Policy>
struct runner {
    tn::basic_model<Net, Policy> m;
    tn::batch<float, typename Net::input_shape_t> x;
    tn::batch<float, typename Net::output_shape_t> y;
    runner(int threads, int n) : m(Policy{threads}, 1), x(n), y(n) {
        for (tn::index_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 7) * 0.1f - 0.3f;
        m.reserve(n);
        m.forward(x.view(), y.view());
    }
    void operator()() { m.forward(x.view(), y.view()); }
};

void report(const char* what, std::vector<double> t) {
    std::sort(t.begin(), t.end());
    std::printf("%-56s min %9.1f us  median %9.1f us\n", what, t.front() * 1e6, t[t.size() / 2] * 1e6);
}

template <class Net>
void measure(const char* name, int threads, int n, int repeats) {
    const int inner = n == 1 ? 200 : 10;
    runner<Net, tn::cpu> fused(threads, n);
    std::vector<double> tf;
#ifndef TYPENET_FUSION_BASELINE
    runner<Net, unfused_cpu> plain(threads, n);
    std::vector<double> tp, ratio;
#endif
    for (int r = 0; r < repeats; ++r) {
        tf.push_back(time_once(fused, inner));
#ifndef TYPENET_FUSION_BASELINE
        tp.push_back(time_once(plain, inner));
        ratio.push_back(tp.back() / tf.back());
#endif
    }
    char label[128];
    std::snprintf(label, sizeof label, "%s batch %d, %d thread(s), fused", name, n, threads);
    report(label, tf);
#ifndef TYPENET_FUSION_BASELINE
    std::snprintf(label, sizeof label, "%s batch %d, %d thread(s), in place", name, n, threads);
    report(label, tp);
    std::sort(ratio.begin(), ratio.end());
    std::printf("%-56s min %9.3f     median %9.3f  (in place / fused)\n", "  speed-up", ratio.front(),
                ratio[ratio.size() / 2]);
#endif
    std::printf("%-56s %ld floats per sample\n", "  inference arena", long(Net::arena_elems));
}

// M10's groups alone.
using m10_g1 = tn::sequential<tn::input<32, 32, 3>, tn::conv2d<32, tn::kernel<3>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>>;
using m10_g2 = tn::sequential<tn::input<32, 32, 32>, tn::conv2d<32, tn::kernel<3>, tn::strides<2>, tn::same>,
                              tn::batch_norm<>, tn::leaky_relu<>>;
using m10_g3 = tn::sequential<tn::input<16, 16, 32>, tn::conv2d<64, tn::kernel<3>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>>;
using m10_g4 = tn::sequential<tn::input<16, 16, 64>, tn::conv2d<64, tn::kernel<3>, tn::strides<2>, tn::same>,
                              tn::batch_norm<>, tn::leaky_relu<>>;
using m10_g5 = tn::sequential<tn::input<4096>, tn::dense<128>, tn::batch_norm<>, tn::leaky_relu<>, tn::dropout<1, 2>>;

}  // namespace

int main(int argc, char** argv) {
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 9;
    measure<seed::m10>("M10", 1, 1, repeats);
    measure<seed::m10>("M10", 1, 64, repeats);
    measure<seed::m10>("M10", 2, 64, repeats);
    measure<seed::m6>("M6", 1, 1, repeats);
    measure<seed::m6>("M6", 1, 64, repeats);
    measure<seed::m6>("M6", 2, 64, repeats);
    measure<m10_g1>("M10 conv (C=3) + BN + LeakyReLU", 1, 64, repeats);
    measure<m10_g2>("M10 conv_1 (s2) + BN + LeakyReLU", 1, 64, repeats);
    measure<m10_g3>("M10 conv_2 + BN + LeakyReLU", 1, 64, repeats);
    measure<m10_g4>("M10 conv_3 (s2) + BN + LeakyReLU", 1, 64, repeats);
    measure<m10_g5>("M10 dense + BN + LeakyReLU + dropout", 1, 64, repeats);
}
