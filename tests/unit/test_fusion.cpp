// Fused epilogues at inference (model/chain.hpp, backend/cpu/epilogue.hpp): the composition groups
// a producer (dense, conv2d, composite) with the elementwise layers after it, and the CPU policy
// applies them -- with a residual block's add -- in the producer's store. The fused result must be
// bit for bit what running the same layers one after another gives: that is checked against a
// policy without fused kernels (the chain then runs each group's layers in place), on 1 and 2
// threads and several batch sizes, with random weights and batch-norm statistics.
#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace {
namespace tn = typenet;
using namespace typenet;

// The CPU policy minus its fused forward: chains fall back to producer, then stages in place.
struct unfused_cpu : tn::cpu {
    explicit unfused_cpu(int threads = 0) : tn::cpu(threads) {}
    template <class L, class In, class Out, class T>
    void forward(const T* params, const T* x, T* y, index_t n, T* ws) {
        tn::cpu::forward<L, In, Out>(params, x, y, n, ws);
    }
};
static_assert(!detail::fused_forward<unfused_cpu, conv2d<8, kernel<3>>, shape<5, 5, 8>, shape<3, 3, 8>, float,
                                     epilogue<float, add_stage>>);
static_assert(detail::fused_forward<tn::cpu, conv2d<8, kernel<3>>, shape<5, 5, 8>, shape<3, 3, 8>, float,
                                    epilogue<float, add_stage>>);

template <class Net, class Model>
void randomise(Model& m, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> w(-0.5f, 0.5f), var(0.3f, 2.0f), gamma(0.5f, 1.5f);
    auto p = m.parameters();
    for (std::size_t b = 0; b < Net::param_blocks.size(); ++b) {
        const std::string_view name = Net::param_blocks[b].name;
        const index_t at = Net::block_offsets[b], count = Net::param_blocks[b].shape.size();
        for (index_t i = 0; i < count; ++i)
            p[std::size_t(at + i)] = name == "moving_variance" ? var(rng) : name == "gamma" ? gamma(rng) : w(rng);
    }
}

template <class Net>
void check_fused_equals_unfused(const char* what) {
    using S = typename Net::input_shape_t;
    for (int threads : {1, 2}) {
        tn::basic_model<Net, tn::cpu> fused(tn::cpu{threads});
        tn::basic_model<Net, unfused_cpu> plain(unfused_cpu{threads});
        randomise<Net>(fused, 7);
        randomise<Net>(plain, 7);
        for (index_t n : {1, 3, 8}) {
            tn::batch<float, S> x(n);
            std::mt19937_64 rng(std::uint64_t(n) * 31 + 1);
            std::uniform_real_distribution<float> d(-1.0f, 1.0f);
            for (auto& v : x) v = d(rng);
            const auto a = fused.predict(x);
            const auto b = plain.predict(x);
            INFO(what << ", threads " << threads << ", batch " << n);
            REQUIRE(a.size() == b.size());
            CHECK(std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
            bool finite = true, varied = false;
            for (index_t i = 0; i < a.size(); ++i) {
                finite = finite && std::isfinite(a.data()[i]);
                varied = varied || a.data()[i] != a.data()[0];
            }
            CHECK(finite);
            CHECK(varied);  // a test on constant outputs would prove nothing
        }
    }
}

// ---- the networks ---------------------------------------------------------------------------------
// M10's triples: a 3-channel first layer (row kernel), strided and stride-1 implicit-GEMM convs;
// the dense head with BN, LeakyReLU and dropout fused, then dense + softmax layer (not fusable).
using cbl_net = sequential<input<12, 12, 3>, conv2d<16, kernel<3>, same>, batch_norm<>, leaky_relu<>,
                           conv2d<24, kernel<3>, strides<2>, same>, batch_norm<epsilon<1, 100000>>, leaky_relu<>,
                           conv2d<40, kernel<3>, same>, batch_norm<>, leaky_relu<>, flatten, dense<37>, batch_norm<>,
                           leaky_relu<>, dropout<1, 2>, dense<10>, softmax>;
// The producer's own activation first, then BN; a sigmoid option (not done in registers); BN over
// a flattened conv output (its channel is the flat index: 6 * 6 * 9 = 324 channels), then relu.
using act_then_bn = sequential<input<8, 8, 9>, conv2d<12, kernel<3>, relu>, batch_norm<>, conv2d<9, kernel<2>, tn::sigmoid>,
                               batch_norm<>, tn::tanh, flatten, batch_norm<>, relu, dense<5, relu>, batch_norm<>>;
// M6's blocks: identity and 1x1-conv shortcuts, the add and the relu after it in the last store.
template <index_t F, index_t S>
using rb_main = path<conv2d<F, kernel<3>, strides<S>, same>, batch_norm<>, relu, conv2d<F, kernel<3>, same>, batch_norm<>>;
using resnet_net = sequential<input<10, 10, 3>, conv2d<8, kernel<3>, same>, batch_norm<>, relu,  //
                              residual<rb_main<8, 1>>, relu,                                   //
                              residual<rb_main<16, 2>, path<conv2d<16, kernel<1>, strides<2>>, batch_norm<>>>, relu,
                              residual<rb_main<16, 1>>, relu, global_average_pool2d, dense<4, softmax>>;
// Branches whose last group cannot take the work in its store: a main branch ending in pooling,
// an empty main branch (the add and relu then run in place), a residual followed by BN and LeakyReLU.
using fallback_net = sequential<input<6, 6, 8>, residual<path<conv2d<8, kernel<3>, same>, max_pool2d<3, strides<1>, same>>>,
                                relu, residual<path<>, path<conv2d<8, kernel<1>>>>, relu,
                                residual<path<conv2d<8, kernel<3>, same>>>, batch_norm<>, leaky_relu<>, flatten, dense<3>>;
// A dense layer wide enough for the column split over threads (units > one 32-wide block).
using dense_net = sequential<input<20>, dense<100>, batch_norm<>, relu, dense<70, tn::tanh>, batch_norm<>, dense<6>>;

TEST_CASE("fused epilogues: bit-identical to the layers run one by one") {
    check_fused_equals_unfused<cbl_net>("conv/BN/LeakyReLU triples and a dense head");
    check_fused_equals_unfused<act_then_bn>("activation options before BN, BN over a flattened output");
    check_fused_equals_unfused<resnet_net>("residual blocks with identity and conv shortcuts");
    check_fused_equals_unfused<fallback_net>("residual branches that end without a producer");
    check_fused_equals_unfused<dense_net>("dense layers split by columns");
}

// ---- the plan: groups and buffers ---------------------------------------------------------------------
TEST_CASE("fused epilogues: the plan groups producers with what follows them") {
    constexpr auto& p = cbl_net::plan;
    // conv + BN + leaky, three times; flatten + dense + BN + leaky + dropout; dense; softmax.
    static_assert(p.groups == 6);
    static_assert(p.group_end[0] == 3 && p.group_end[3] == 6 && p.group_end[6] == 10);
    static_assert(p.group_end[10] == 14 && p.group_end[14] == 15 && p.group_end[15] == 16);
    static_assert(p.group_end[1] == 0 && p.group_end[13] == 0);  // members, not heads
    // Group k reads buffer (k - 1) % 2 and writes k % 2; the last writes the caller's output.
    static_assert(p.in_buffer[0] == -1 && p.out_buffer[0] == 0 && p.in_buffer[3] == 0 && p.out_buffer[3] == 1);
    static_assert(p.in_buffer[15] == 0 && p.out_buffer[15] == -1);
    // flatten follows a producer with nothing to do: it joins the group of the conv before it
    static_assert(p.group_end[9] == 0 && p.group_end[6] == 10);
    // A whole network that is one group needs no activation buffers at all.
    using one = sequential<input<8, 8, 3>, conv2d<8, kernel<3>, same>, batch_norm<>, leaky_relu<>>;
    static_assert(one::arena_elems == 0);
    // Before fusion M10's head needed a buffer for every layer's output; each buffer now holds a
    // group's output only: the largest is the first conv's 12 * 12 * 16.
    static_assert(p.buffer[0] == 12 * 12 * 16 && p.buffer[1] == 6 * 6 * 24);
    CHECK(p.groups == 6);
}

// Keras-defined numbers do not move: M10 is checked against Keras' outputs in test_keras_parity.cpp,
// M6 too; here the same M10-like network gives the same prediction through static_model (cpu{1}).
TEST_CASE("fused epilogues: static_model runs the same fused plan") {
    tn::basic_model<cbl_net, tn::cpu> m(tn::cpu{1});
    randomise<cbl_net>(m, 3);
    tn::static_model<cbl_net, 4> s;
    std::copy(m.parameters().begin(), m.parameters().end(), s.parameters().begin());
    tn::batch<float, cbl_net::input_shape_t> x(4);
    for (index_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 17) / 17.0f - 0.5f;
    const auto a = m.predict(x);
    const auto b = s.predict(x);
    CHECK(std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
}

}  // namespace
