// The CUDA policy against the CPU policy: the same networks, weights and inputs must give the same
// outputs (relative tolerance 1e-4), and the generic assign_kernel must evaluate expression trees
// exactly like the host evaluator.
//
// Without a CUDA device this program prints a SKIPPED line and exits with 77 (ctest's
// SKIP_RETURN_CODE): it never reports a pass it did not check.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <typenet/cuda.hpp>

#include "seed_models.hpp"  // examples/: the seed models M1-M13

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace tn = typenet;
using tn::index_t;

namespace {

// |gpu - cpu| <= 1e-4 * max(1, |cpu|) for every element (relative, with an absolute floor near 0).
template <class T>
void require_close(const T* gpu, const T* cpu, index_t count, const std::string& what, double rel = 1e-4) {
    index_t bad = 0;
    for (index_t i = 0; i < count; ++i) {
        const double a = double(cpu[i]), b = double(gpu[i]);
        const double tol = rel * std::max(1.0, std::abs(a));
        if (!(std::abs(a - b) <= tol)) {  // also catches NaN
            if (bad < 8) MESSAGE(what << ": element " << i << ": cpu " << a << " cuda " << b);
            ++bad;
        }
    }
    CHECK_MESSAGE(bad == 0, what << ": " << bad << " of " << count << " elements differ");
}

// Random weights in get_weights() order, the same on both policies. Kernels are scaled by their
// fan-in (unit variance through each layer) so activations stay O(1) and softmax outputs do not
// saturate to one-hot vectors, which would hide errors; BN scales and variances are positive.
template <class Model>
void randomize(Model& m, std::uint64_t seed) {
    auto ws = m.get_weights();
    std::mt19937_64 rng(seed);
    for (auto& w : ws) {
        double lo = -0.5, hi = 0.5;
        if (w.name == "kernel") {
            index_t fan_in = 1;
            for (std::size_t d = 0; d + 1 < w.shape.size(); ++d) fan_in *= w.shape[d];
            hi = std::sqrt(3.0 / double(fan_in));
            lo = -hi;
        } else if (w.name == "gamma" || w.name == "moving_variance") {
            lo = 0.5;
            hi = 1.5;
        }
        std::uniform_real_distribution<double> u(lo, hi);
        for (auto& v : w.values) v = typename Model::value_type(u(rng));
    }
    REQUIRE(m.set_weights(ws).ok());
}

// Runs Net on both policies for each batch size (one pair of models, so the device arena grows
// and is reused) and compares the outputs.
template <class Net, class T = float, class Policy = tn::cuda>
void compare_cpu_cuda(std::uint64_t seed, std::initializer_list<index_t> batches = {1, 3, 17}, double rel = 1e-4) {
    using In = typename Net::input_shape_t;
    using Out = typename Net::output_shape_t;
    tn::model<Net, tn::cpu, T> host;
    randomize(host, seed);
    tn::model<Net, Policy, T> dev;
    REQUIRE(dev.set_weights(host.get_weights()).ok());

    // The weights made the round trip through device memory unchanged.
    const auto back = dev.get_weights();
    const auto want = host.get_weights();
    REQUIRE(back.size() == want.size());
    for (std::size_t i = 0; i < back.size(); ++i) CHECK(back[i].values == want[i].values);

    std::mt19937_64 rng(seed + 1);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (const index_t n : batches) {
        tn::batch<T, In> x(n);
        if constexpr (Net::token_input) {  // ids for the embedding (its last row included)
            using E = typename Net::template layer_type<0>;
            std::uniform_int_distribution<index_t> id(0, E::input_dim - 1);
            for (auto& v : x) v = T(id(rng));
            x.data()[0] = T(E::input_dim - 1);
        } else {
            for (auto& v : x) v = T(u(rng));
        }
        tn::batch<T, Out> y(n);
        host.forward(x.view(), y.view());

        tn::cuda::buffer<T> dx(n * In::size), dy(n * Out::size);
        dx.upload(x.data(), n * In::size);
        dev.forward(tn::tensor_view<const T, In>(dx.data(), n), tn::tensor_view<T, Out>(dy.data(), n));
        dev.policy().synchronize();
        std::vector<T> got(std::size_t(n * Out::size));
        dy.download(got.data(), n * Out::size);
        require_close(got.data(), y.data(), n * Out::size, "batch of " + std::to_string(n), rel);
    }
}

// ---- networks ----------------------------------------------------------------------------------------
using dense_net = tn::sequential<tn::input<20>, tn::dense<32, tn::relu>, tn::dense<16, tn::relu>, tn::dense<10, tn::softmax>>;

// Every other dense epilogue and the layers without parameters.
using dense_misc_net =
    tn::sequential<tn::input<3, 4, 2>, tn::flatten, tn::dense<24, tn::tanh, tn::use_bias<false>>, tn::dropout<1, 2>,
                   tn::sigmoid, tn::reshape<4, 6>, tn::softmax, tn::flatten, tn::dense<7, tn::leaky_relu<1, 10>>,
                   tn::dense<5, tn::sigmoid>, tn::dense<6>, tn::softmax>;

// "Same" padding, stride 2, even kernel (TensorFlow's split: extra pixel bottom/right), batch norm,
// leaky relu, max and average pooling with partial windows, conv with softmax activation.
using conv_net = tn::sequential<tn::input<11, 10, 3>,
                                tn::conv2d<8, tn::kernel<4>, tn::strides<2>, tn::same>,  // 6x5x8
                                tn::batch_norm<>, tn::leaky_relu<>,
                                tn::max_pool2d<3, tn::strides<2>, tn::same>,          // 3x3x8
                                tn::conv2d<6, tn::kernel<2, 3>, tn::same, tn::relu>,  // 3x3x6
                                tn::average_pool2d<2, tn::strides<2>, tn::same>,      // 2x2x6
                                tn::conv2d<4, tn::kernel<1>, tn::softmax>,            // 2x2x4
                                tn::flatten, tn::dense<5>>;

// Valid padding that does not tile (last column dropped), padded average pool on both sides.
using conv_valid_net = tn::sequential<tn::input<9, 9, 2>,
                                      tn::conv2d<3, tn::kernel<2>, tn::strides<2>, tn::use_bias<false>>,  // 4x4x3
                                      tn::average_pool2d<3, tn::strides<1>, tn::same>,                    // 4x4x3
                                      tn::max_pool2d<2>,                                                  // 2x2x3
                                      tn::batch_norm<tn::epsilon<1, 100000>>, tn::flatten, tn::dense<3, tn::sigmoid>>;

// A projection residual block (stride 2) and an identity one.
using residual_net = tn::sequential<
    tn::input<8, 8, 3>, tn::conv2d<4, tn::kernel<3>, tn::same, tn::relu>,
    tn::residual<tn::path<tn::conv2d<8, tn::kernel<3>, tn::strides<2>, tn::same>, tn::batch_norm<>, tn::relu,
                          tn::conv2d<8, tn::kernel<3>, tn::same>>,
                 tn::path<tn::conv2d<8, tn::kernel<1>, tn::strides<2>>>>,
    tn::relu, tn::residual<tn::path<tn::conv2d<8, tn::kernel<3>, tn::same>, tn::batch_norm<>>>, tn::relu,
    tn::global_average_pool2d, tn::dense<3>>;

using global_max_net = tn::sequential<tn::input<5, 7, 6>, tn::conv2d<4, tn::kernel<2>>, tn::global_max_pool2d>;
using global_avg_net = tn::sequential<tn::input<5, 7, 6>, tn::global_average_pool2d, tn::dense<2>>;

// Sequence layers: every cell, return_sequences, go_backwards, bidirectional, dense on the last
// axis, conv1d and the 1-D poolings (their 2-D twins on the device).
using sequence_net = tn::sequential<tn::input<12, 5>, tn::conv1d<6, 3, tn::same, tn::relu>, tn::max_pool1d<2>,
                                    tn::lstm<8, tn::return_sequences<true>>, tn::dense<6, tn::tanh>,
                                    tn::gru<5, tn::return_sequences<true>, tn::go_backwards<true>>,
                                    tn::bidirectional<tn::simple_rnn<4, tn::return_sequences<true>>>,
                                    tn::bidirectional<tn::lstm<3>>, tn::dense<2, tn::softmax>>;
using pooled_sequence_net = tn::sequential<tn::tokens<9>, tn::embedding<40, 6>, tn::gru<4, tn::return_sequences<true>>,
                                           tn::average_pool1d<2, tn::same>, tn::global_max_pool1d, tn::dense<2>>;

}  // namespace

TEST_CASE("cuda: dense + relu + softmax network matches the CPU") { compare_cpu_cuda<dense_net>(11, {1, 3, 64}); }

TEST_CASE("cuda: dense epilogues, activation, dropout, reshape and softmax layers match the CPU") {
    compare_cpu_cuda<dense_misc_net>(12);
}

TEST_CASE("cuda: conv2d same/stride 2/even kernel, pools, batch norm, leaky relu match the CPU") {
    compare_cpu_cuda<conv_net>(13);
    compare_cpu_cuda<conv_valid_net>(14);
}

TEST_CASE("cuda: residual blocks (projection and identity shortcuts) match the CPU") {
    compare_cpu_cuda<residual_net>(15);
}

TEST_CASE("cuda: global pools match the CPU") {
    compare_cpu_cuda<global_max_net>(16);
    compare_cpu_cuda<global_avg_net>(17);
}

TEST_CASE("cuda: double precision (cublasDgemm and the double kernels) matches the CPU") {
    compare_cpu_cuda<dense_net, double>(18);
    compare_cpu_cuda<conv_net, double>(19);
}

// The seed models (../shared/SEED_MODELS.md) with the same weights on both policies; batch 257 is
// not a power of two. Convolutions run through cuDNN (backend/cuda/cudnn.cuh): M9 has TensorFlow's
// asymmetric "same" padding, which is made explicit; M10 and M6 have batch norm and residual adds.
TEST_CASE("cuda: the seed models match the CPU at batches 1, 3, 64 and 257") {
    const std::initializer_list<index_t> batches = {1, 3, 64, 257};
    SUBCASE("M1") { compare_cpu_cuda<seed::m1>(21, batches); }
    SUBCASE("M2") { compare_cpu_cuda<seed::m2>(22, batches); }
    SUBCASE("M6") { compare_cpu_cuda<seed::m6>(26, batches); }
    SUBCASE("M8") { compare_cpu_cuda<seed::m8>(28, batches); }
    SUBCASE("M9") { compare_cpu_cuda<seed::m9>(29, batches); }
    SUBCASE("M10") { compare_cpu_cuda<seed::m10>(30, batches); }
    SUBCASE("M11") { compare_cpu_cuda<seed::m11>(31, {1, 3, 64}); }
    SUBCASE("M12") { compare_cpu_cuda<seed::m12>(32, {1, 3, 64}); }
    SUBCASE("M13") { compare_cpu_cuda<seed::m13>(33, {1, 3, 64}); }
    SUBCASE("M5 (VGG16 base)") { compare_cpu_cuda<seed::m5>(25, {1, 3}); }  // 15 GFLOP an image on the CPU side
}

// The tensor-core mode (TF32 products in convolutions and GEMMs): within 1e-2 relative of the CPU.
TEST_CASE("cuda: sequence layers and the text seed models (M3, M4) match the CPU") {
    compare_cpu_cuda<sequence_net>(40, {1, 3, 17});
    compare_cpu_cuda<sequence_net, double>(41, {1, 5});
    compare_cpu_cuda<pooled_sequence_net>(42, {1, 3, 17});
    SUBCASE("M3") { compare_cpu_cuda<seed::m3>(43, {1, 3, 64, 257}); }
    SUBCASE("M4") { compare_cpu_cuda<seed::m4>(44, {1, 3, 64, 257}); }
}

TEST_CASE("cuda_tf32: the seed models match the CPU within 1e-2") {
    CHECK(tn::cuda_tf32{}.arithmetic() == tn::cuda::math::tf32);
    CHECK(tn::cuda{}.arithmetic() == tn::cuda::math::fp32);
    SUBCASE("M2") { compare_cpu_cuda<seed::m2, float, tn::cuda_tf32>(52, {1, 64}, 1e-2); }
    SUBCASE("M6") { compare_cpu_cuda<seed::m6, float, tn::cuda_tf32>(56, {1, 64}, 1e-2); }
    SUBCASE("M10") { compare_cpu_cuda<seed::m10, float, tn::cuda_tf32>(60, {1, 64}, 1e-2); }
}

// reserve(n) makes the cuDNN and cuBLASLt plans and their scratch (one pass over zeros): forwards
// at that size after it allocate no device memory, the first one included.
TEST_CASE("cuda: a forward after reserve allocates no device memory") {
    using net = seed::m9;
    tn::model<net, tn::cuda> m(1);
    constexpr index_t n = 64;
    tn::cuda::buffer<float> dx(n * net::input_shape_t::size), dy(n * net::output_shape_t::size);
    const auto run = [&] {
        m.forward(tn::tensor_view<const float, net::input_shape_t>(dx.data(), n),
                  tn::tensor_view<float, net::output_shape_t>(dy.data(), n));
        m.policy().synchronize();
    };
    m.reserve(n);
    const long before = tn::cuda_detail::device_allocation_count().load();
    for (int i = 0; i < 3; ++i) run();
    CHECK(tn::cuda_detail::device_allocation_count().load() == before);
}

// use_graphs(true): the first forward at a key runs eagerly, the second is captured, later ones
// replay the graph. Replays give the eager pass's bits, and weights changed in place are used.
TEST_CASE("cuda: CUDA graph replay equals the eager pass") {
    using net = seed::m10;
    using In = net::input_shape_t;
    using Out = net::output_shape_t;
    constexpr index_t n = 64;
    tn::model<net, tn::cuda> eager(1), graphed(1);
    randomize(eager, 41);
    REQUIRE(graphed.set_weights(eager.get_weights()).ok());
    graphed.policy().use_graphs(true);
    CHECK(graphed.policy().graphs());

    std::mt19937_64 rng(42);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> x(std::size_t(n * In::size));
    for (auto& v : x) v = u(rng);
    tn::cuda::buffer<float> dx(n * In::size), dy(n * Out::size), dz(n * Out::size);
    dx.upload(x.data(), n * In::size);
    const auto outputs = [&](tn::model<net, tn::cuda>& m, tn::cuda::buffer<float>& out) {
        m.forward(tn::tensor_view<const float, In>(dx.data(), n), tn::tensor_view<float, Out>(out.data(), n));
        m.policy().synchronize();
        std::vector<float> got(std::size_t(n * Out::size));
        out.download(got.data(), n * Out::size);
        return got;
    };
    const auto want = outputs(eager, dz);
    for (int pass = 0; pass < 4; ++pass) {  // eager, capture + replay, replay, replay
        CAPTURE(pass);
        CHECK(outputs(graphed, dy) == want);
    }
    // New weights in the same memory: the replayed graph must use them.
    randomize(eager, 43);
    REQUIRE(graphed.set_weights(eager.get_weights()).ok());
    const auto want2 = outputs(eager, dz);
    CHECK(want2 != want);
    CHECK(outputs(graphed, dy) == want2);
}

TEST_CASE("cuda: models can share one user-owned context") {
    tn::cuda_context ctx;
    tn::model<dense_net, tn::cuda> a(tn::cuda{ctx}, 1), b(tn::cuda{ctx}, 2);
    CHECK(a.policy().stream() == b.policy().stream());
    tn::model<dense_net, tn::cpu> ha(1);
    REQUIRE(ha.set_weights(a.get_weights()).ok());
    tn::batch<float, tn::shape<20>> x(2);
    for (index_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) * 0.25f - 0.75f;
    tn::batch<float, tn::shape<10>> want(2);
    ha.forward(x.view(), want.view());
    tn::cuda::buffer<float> dx(40), dy(20);
    dx.upload(x.data(), 40);
    a.forward(tn::tensor_view<const float, tn::shape<20>>(dx.data(), 2), tn::tensor_view<float, tn::shape<10>>(dy.data(), 2));
    ctx.synchronize();
    std::vector<float> got(20);
    dy.download(got.data(), 20);
    require_close(got.data(), want.data(), 20, "shared context");
}

TEST_CASE("cuda: assign_kernel evaluates expression trees like the CPU evaluator") {
    using S = tn::shape<4, 5, 6>;
    constexpr index_t n = 3, count = n * S::size;
    std::mt19937_64 rng(21);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    std::vector<float> a(count), b(6);
    for (auto& v : a) v = u(rng);
    for (auto& v : b) v = u(rng);
    tn::cuda::buffer<float> da(count), db(6), dy(count);
    da.upload(a.data(), count);
    db.upload(b.data(), 6);

    // Leaves (pointer + sample count) of host and device arrays; tensor views work the same on the host.
    const tn::leaf<const float, S> ha{{}, a.data(), n}, xa{{}, da.data(), n};
    const tn::tensor_view<const float, tn::shape<6>> hb(b.data()), xb(db.data());
    std::vector<float> want(count), got(count);

    SUBCASE("relu(a * 2 + broadcast_channels(b)) through the policy") {
        auto expr = [](const auto& x, const auto& v) { return tn::ops::relu(x * 2 + tn::broadcast_channels(v)); };
        tn::evaluate_into(want.data(), count, expr(ha, hb));
        tn::cuda pol;
        pol.assign(dy.data(), count, expr(xa, xb));
        pol.synchronize();
        dy.download(got.data(), count);
        require_close(got.data(), want.data(), count, "relu(a * 2 + b)");
    }
    SUBCASE("every functor, launched directly") {
        auto expr = [](const auto& x) {
            using namespace tn::ops;
            return sigmoid(x) * tanh(x - 0.5f) + exp(clamp(x, -1.0, 1.0)) + sqrt(abs(x)) - max(x, 0.25f) +
                   min(leaky_relu(x, 0.1), log(square(x) + 1.0f)) / (square(x) + 2.0f) - (-x);
        };
        tn::evaluate_into(want.data(), count, expr(ha));
        const auto e = expr(xa);
        tn::cuda_detail::assign_kernel<float, decltype(e)><<<4, 64>>>(dy.data(), count, e);  // grid-stride: 256 threads
        TYPENET_CUDA_CHECK_LAUNCH();
        dy.download(got.data(), count);
        require_close(got.data(), want.data(), count, "all functors");
    }
}

int main(int argc, char** argv) {
    if (tn::cuda_device_count() == 0) {
        std::printf("SKIPPED: no CUDA device (the CUDA policy was compiled and linked; its tests need a GPU)\n");
        return 77;
    }
    doctest::Context context;
    context.applyCommandLine(argc, argv);
    return context.run();
}
