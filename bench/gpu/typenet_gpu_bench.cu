// typenet_gpu_bench: typenet's CUDA policy timed on the seed models (issue #10), one table row per
// model, batch size and mode. bench/gpu/run.sh runs it beside bench/gpu/torch_bench.py (PyTorch on
// the same architectures) and prints the comparison with its GPU_SUMMARY line.
//
//   typenet_gpu_bench [--quick]       TSV on stdout: model batch mode best_us median_us images_per_s
//
// Timing: CUDA events around each forward pass on the model's stream, 3 warm-up passes, then 20
// timed ones (5 with --quick); best and median. Modes: eager (every layer launched by the host)
// and graph (use_graphs(true): the whole pass replayed as one CUDA graph), each in fp32 (tn::cuda)
// and with TF32 tensor cores (tn::cuda_tf32). Without a GPU it prints SKIPPED and exits 77.
#include <typenet/cuda.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "seed_models.hpp"

namespace tn = typenet;
using tn::index_t;

namespace {

int repeats = 20;

template <class Net, class Policy>
void bench_policy(const char* name, const char* precision, std::initializer_list<index_t> batches) {
    using In = typename Net::input_shape_t;
    using Out = typename Net::output_shape_t;
    for (const bool graph : {false, true}) {
        tn::model<Net, Policy> m(1);
        m.policy().use_graphs(graph);
        for (const index_t n : batches) {
            tn::cuda::buffer<float> x(n * In::size), y(n * Out::size);
            std::vector<float> host(std::size_t(n * In::size));
            std::mt19937 rng(7);
            std::uniform_real_distribution<float> u(-1.0f, 1.0f);
            for (auto& v : host) v = u(rng);
            x.upload(host.data(), n * In::size);
            const auto pass = [&] {
                m.forward(tn::tensor_view<const float, In>(x.data(), n), tn::tensor_view<float, Out>(y.data(), n));
            };
            for (int i = 0; i < 3; ++i) pass();  // plans, scratch, graph capture
            m.policy().synchronize();
            cudaEvent_t a, b;
            TYPENET_CUDA_CHECK(cudaEventCreate(&a));
            TYPENET_CUDA_CHECK(cudaEventCreate(&b));
            std::vector<double> us;
            for (int r = 0; r < repeats; ++r) {
                TYPENET_CUDA_CHECK(cudaEventRecord(a, m.policy().stream()));
                pass();
                TYPENET_CUDA_CHECK(cudaEventRecord(b, m.policy().stream()));
                TYPENET_CUDA_CHECK(cudaEventSynchronize(b));
                float ms = 0;
                TYPENET_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
                us.push_back(double(ms) * 1000.0);
            }
            TYPENET_CUDA_CHECK(cudaEventDestroy(a));
            TYPENET_CUDA_CHECK(cudaEventDestroy(b));
            std::sort(us.begin(), us.end());
            const double best = us.front(), median = us[us.size() / 2];
            std::printf("typenet\t%s\t%ld\t%s_%s\t%.1f\t%.1f\t%.0f\n", name, long(n), precision, graph ? "graph" : "eager",
                        best, median, double(n) / (best * 1e-6));
            std::fflush(stdout);
        }
    }
}

template <class Net>
void bench(const char* name, std::initializer_list<index_t> batches) {
    bench_policy<Net, tn::cuda>(name, "fp32", batches);
    bench_policy<Net, tn::cuda_tf32>(name, "tf32", batches);
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    if (quick) repeats = 5;
    if (tn::cuda_device_count() == 0) {
        std::printf("SKIPPED: no CUDA device\n");
        return 77;
    }
    cudaDeviceProp p{};
    TYPENET_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
    std::printf("# device\t%s\n# columns\tside model batch mode best_us median_us images_per_s\n", p.name);
    const std::initializer_list<index_t> batches = {1, 64, 1024};
    bench<seed::m1>("M1", batches);
    bench<seed::m2>("M2", batches);
    bench<seed::m6>("M6", {1, 64, 256});
    bench<seed::m8>("M8", batches);
    bench<seed::m10>("M10", batches);
    bench<seed::vgg16>("VGG16", {1, 16});
    return 0;
}
