// typenet_seq_perf: M4 (Embedding(10000, 128) -> LSTM(64) -> Dense(1, sigmoid), 20 token ids per
// sample) in typenet and in libtorch (torch::nn::Embedding + torch::nn::LSTM + torch::nn::Linear),
// measured in one run on one machine: inference at batch 1 and 64, one training step (Adam, binary
// cross-entropy) at batch 1 and 64, on 1 and N threads. Both sides get the same weights and data;
// the run first checks that they compute the same outputs and the same loss.
//
//   typenet_seq_perf [--quick] [--threads N] [--repeats R]
//
// Each measurement warms up, then times R repeats (default 30; --quick: 3, a smoke run whose
// numbers mean nothing). Tables give the best (min) and the median time; speed-ups use the mins.
// The last line is machine-readable:
//   SEQ_SUMMARY min_speedup_vs_libtorch=... m4_batch1_infer_us=...
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

#include "seed_models.hpp"

#ifdef TYPENET_PERF_HAVE_TORCH
#include <dlfcn.h>

#include <ATen/Parallel.h>
#include <torch/torch.h>
#endif

namespace tn = typenet;

namespace {

using net = seed::m4;
constexpr int steps = 20, vocab = 10000, width = 128, units = 64;

struct stats {
    double min = 0, median = 0;  // seconds
};
template <class F>
stats time_it(F&& f, int repeats) {
    for (int i = 0; i < std::max(1, repeats / 10); ++i) f();  // warm-up
    std::vector<double> t;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return {t.front(), t[t.size() / 2]};
}

struct data {
    std::vector<std::int32_t> ids;  // n * steps
    std::vector<float> labels;      // n
};
data make_data(int n, std::uint64_t seed) {
    std::mt19937_64 g(seed);
    std::uniform_int_distribution<int> id(0, vocab - 1), bit(0, 1);
    data d;
    for (int i = 0; i < n * steps; ++i) d.ids.push_back(id(g));
    for (int i = 0; i < n; ++i) d.labels.push_back(float(bit(g)));
    return d;
}

// ---- typenet -----------------------------------------------------------------------------------------
struct typenet_side {
    tn::model<net> m;
    explicit typenet_side(int threads, const std::vector<tn::weight_array<float>>& w) : m(tn::cpu{threads}) {
        if (!m.set_weights(w).ok()) std::abort();
        m.compile(tn::adam{}, tn::binary_crossentropy{});
    }
    std::vector<float> predict(const data& d, int n) {
        tn::batch<float, net::input_shape_t> x(n);
        for (int i = 0; i < n * steps; ++i) x.data()[i] = float(d.ids[std::size_t(i)]);
        tn::batch<float, net::output_shape_t> y(n);
        m.forward(x.view(), y.view());
        return std::vector<float>(y.data(), y.data() + n);
    }
};

#ifdef TYPENET_PERF_HAVE_TORCH
// ---- libtorch ----------------------------------------------------------------------------------------
struct torch_m4 : torch::nn::Module {
    torch::nn::Embedding emb{torch::nn::EmbeddingOptions(vocab, width)};
    torch::nn::LSTM lstm{torch::nn::LSTMOptions(width, units).batch_first(true)};
    torch::nn::Linear fc{units, 1};
    torch_m4() {
        register_module("emb", emb);
        register_module("lstm", lstm);
        register_module("fc", fc);
    }
    torch::Tensor logits(const torch::Tensor& ids) {
        auto out = std::get<0>(lstm->forward(emb->forward(ids)));
        return fc->forward(out.select(1, steps - 1));
    }
};
// Keras layouts -> torch: kernel (D, 4U) -> weight_ih (4U, D); recurrent (U, 4U) -> weight_hh (4U, U);
// one bias -> bias_ih (bias_hh zero); gate order i, f, c(g), o in both; dense (U, 1) -> (1, U).
void load(torch_m4& t, const std::vector<tn::weight_array<float>>& w) {
    torch::NoGradGuard ng;
    auto tensor = [](const tn::weight_array<float>& a) {
        std::vector<std::int64_t> shape(a.shape.begin(), a.shape.end());
        return torch::from_blob(const_cast<float*>(a.values.data()), shape, torch::kFloat32).clone();
    };
    t.emb->weight.copy_(tensor(w[0]));
    t.lstm->named_parameters()["weight_ih_l0"].copy_(tensor(w[1]).t());
    t.lstm->named_parameters()["weight_hh_l0"].copy_(tensor(w[2]).t());
    t.lstm->named_parameters()["bias_ih_l0"].copy_(tensor(w[3]));
    t.lstm->named_parameters()["bias_hh_l0"].zero_();
    t.fc->weight.copy_(tensor(w[4]).t());
    t.fc->bias.copy_(tensor(w[5]));
}
// libtorch's threads: ATen's intra-op pool and Debian OpenBLAS's own pthreads (set apart, as
// bench/perf/common.hpp does: otherwise a "1-thread" libtorch GEMM runs on every core).
void torch_threads(int n) {
    at::set_num_threads(n);
    using fn = void (*)(int);
    static const fn f = reinterpret_cast<fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (f) f(n);
}
struct torch_side {
    torch_m4 m;
    torch::optim::Adam opt;
    explicit torch_side(const std::vector<tn::weight_array<float>>& w)
        : opt(m.parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7)) {
        load(m, w);
    }
    static torch::Tensor ids(const data& d, int n) {
        std::vector<std::int64_t> v(d.ids.begin(), d.ids.begin() + std::ptrdiff_t(n) * steps);
        return torch::from_blob(v.data(), {n, steps}, torch::kInt64).clone();
    }
    std::vector<float> predict(const torch::Tensor& x) {
        torch::InferenceMode guard;
        auto p = torch::sigmoid(m.logits(x)).contiguous();
        return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    }
    double step(const torch::Tensor& x, const torch::Tensor& y) {
        opt.zero_grad();
        auto loss = torch::binary_cross_entropy_with_logits(m.logits(x), y);
        loss.backward();
        opt.step();
        return loss.item<double>();
    }
};
#endif

std::string us(double s) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", s * 1e6);
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    int threads = 2, repeats = 30;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") quick = true;
        else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (a == "--repeats" && i + 1 < argc) repeats = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: typenet_seq_perf [--quick] [--threads N] [--repeats R]\n");
            return 2;
        }
    }
    if (quick) repeats = 3;
    std::printf("typenet_seq_perf: M4 (Embedding(10000,128) -> LSTM(64) -> Dense(1, sigmoid)), %d steps; typenet kernels %s\n",
                steps, tn::cpu_kernels_name());

    const std::vector<tn::weight_array<float>> w = tn::model<net>(7).get_weights();
    const data d64 = make_data(64, 1), d1 = make_data(1, 2);
    double worst_speedup = 1e300, batch1_us = 0;
    int failures = 0;

#ifdef TYPENET_PERF_HAVE_TORCH
    torch_threads(1);
    {  // the same numbers first
        typenet_side a(1, w);
        torch_side b(w);
        const auto pa = a.predict(d64, 64);
        const auto pb = b.predict(torch_side::ids(d64, 64));
        double diff = 0;
        for (std::size_t i = 0; i < pa.size(); ++i) diff = std::max(diff, double(std::abs(pa[i] - pb[i])));
        tn::batch<float, net::input_shape_t> x(64);
        for (int i = 0; i < 64 * steps; ++i) x.data()[i] = float(d64.ids[std::size_t(i)]);
        const double la = a.m.train_on_batch(x.data(), d64.labels.data(), 64);
        const double lb = b.step(torch_side::ids(d64, 64), torch::from_blob(const_cast<float*>(d64.labels.data()), {64, 1}).clone());
        const bool same = diff < 1e-4 && std::abs(la - lb) < 1e-4;
        failures += same ? 0 : 1;
        std::printf("check: max |typenet - libtorch| over 64 predictions %.2e, loss of one Adam step %.6f vs %.6f: %s\n", diff,
                    la, lb, same ? "same" : "DIFFERENT");
    }
#else
    std::printf("(built without libtorch: install libtorch-dev to compare)\n");
#endif

    std::printf("\n| case | threads | typenet min / median (us) | libtorch min / median (us) | speed-up (min) |\n|---|---:|---:|---:|---:|\n");
    for (const int th : {1, threads}) {
        for (const int n : {1, 64}) {
            const data& dd = n == 1 ? d1 : d64;
            for (const bool train : {false, true}) {
                if (th > 1 && n == 1) continue;  // batch 1 runs on one thread
                typenet_side a(th, w);
                tn::batch<float, net::input_shape_t> x(n);
                for (int i = 0; i < n * steps; ++i) x.data()[i] = float(dd.ids[std::size_t(i)]);
                tn::batch<float, net::output_shape_t> y(n);
                a.m.reserve(n);
                const stats ta = train ? time_it([&] { a.m.train_on_batch(x.data(), dd.labels.data(), n); }, repeats)
                                       : time_it([&] { a.m.forward(x.view(), y.view()); }, repeats);
                std::string torch_col = "n/a", ratio = "n/a";
#ifdef TYPENET_PERF_HAVE_TORCH
                torch_threads(th);
                torch_side b(w);
                const auto xi = torch_side::ids(dd, n);
                const auto yt = torch::from_blob(const_cast<float*>(dd.labels.data()), {n, 1}).clone();
                const stats tb = train ? time_it([&] { b.step(xi, yt); }, repeats)
                                       : time_it([&] { b.predict(xi); }, repeats);
                torch_col = us(tb.min) + " / " + us(tb.median);
                const double sp = tb.min / ta.min;
                worst_speedup = std::min(worst_speedup, sp);
                char r[32];
                std::snprintf(r, sizeof r, "%.2fx", sp);
                ratio = r;
#endif
                if (!train && n == 1) batch1_us = ta.min * 1e6;
                std::printf("| M4 %s, batch %d | %d | %s / %s | %s | %s |\n", train ? "training step (Adam)" : "inference", n,
                            th, us(ta.min).c_str(), us(ta.median).c_str(), torch_col.c_str(), ratio.c_str());
            }
        }
    }
    std::printf("\nSEQ_SUMMARY min_speedup_vs_libtorch=%s m4_batch1_infer_us=%.1f\n",
                worst_speedup < 1e300 ? std::to_string(worst_speedup).c_str() : "n/a", batch1_us);
    return failures ? 1 : 0;
}
