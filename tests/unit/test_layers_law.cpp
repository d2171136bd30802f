// The layer "law suite": one generic check run for every layer kind, on awkward sizes.
//
// For a network Net (usually one layer after input<...>), run_laws<Net>() checks that
//   1. the output shape the library computes equals the one a naive reference computes, and
//      predict() returns exactly n * output_shape::size values;
//   2. model.parameters().size() (the stored parameters) equals the constexpr param_count, and
//      param_count / trainable_count / non_trainable_count equal the reference's block table;
//   3. get_weights() returns the reference's blocks (Keras names, shapes, trainability, order),
//      and parameters() is their concatenation;
//   4. the CPU result equals a naive reference written here (plain nested loops in double, with
//      Keras/TensorFlow semantics: HWIO kernels, TF "same" padding split, pooling that ignores
//      padded cells, BN with moving statistics), on random inputs and random weights, for batches of
//      0, 1, 3 and 5 samples -- through model::predict, model::forward into a pre-filled batch, and
//      static_model<Net, 2> (which runs 5 samples as 2 + 2 + 1).
// The reference only reads a descriptor's parsed options (kh, sh, pad, has_bias, activation, ...);
// the parsing itself is pinned down by the static_asserts below.
//
// Gradient checks belong to a later issue.
#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace law {

namespace tn = typenet;
using tn::index_t;

using vdims = std::vector<index_t>;
using blocks_t = std::vector<std::vector<double>>;  // one layer's parameter arrays, Keras order

inline index_t vsize(const vdims& d) {
    index_t s = 1;
    for (index_t e : d) s *= e;
    return s;
}
inline vdims to_vdims(const tn::dims& d) { return vdims(d.e, d.e + d.rank); }

// A reference-side consistency check (a plain function: one doctest assertion, compiled once).
inline void need(bool ok, const char* what) { REQUIRE_MESSAGE(ok, "reference: " << what); }

struct expected_block {
    std::string name;
    vdims shape;
    bool trainable = true;
};
using expected_t = std::vector<expected_block>;

// ---- window arithmetic, written independently of core/shape.hpp ------------------------------------
inline index_t out_extent(index_t in, index_t k, index_t s, tn::padding p) {
    return p == tn::padding::same ? (in + s - 1) / s : (in - k) / s + 1;
}
inline index_t pad_top(index_t in, index_t k, index_t s, tn::padding p) {
    if (p == tn::padding::valid) return 0;
    const index_t need = (out_extent(in, k, s, p) - 1) * s + k - in;
    return need > 0 ? need / 2 : 0;  // TensorFlow: the odd pixel goes after
}

// ---- activations in double --------------------------------------------------------------------------
template <class A>
struct leaky_slope {
    static constexpr bool is = false;
};
template <auto N, index_t D>
struct leaky_slope<tn::leaky_relu<N, D>> {
    static constexpr bool is = true;
    static constexpr double value = tn::leaky_relu<N, D>::slope;
};

// Apply activation A to v, viewed as rows of `last` values (softmax normalises each row).
template <class A>
void activate(std::vector<double>& v, index_t last) {
    if constexpr (std::is_same_v<A, tn::linear>) {
        (void)v;
        (void)last;
    } else if constexpr (std::is_same_v<A, tn::relu>) {
        for (double& x : v) x = x > 0 ? x : 0.0;
    } else if constexpr (std::is_same_v<A, tn::sigmoid>) {
        for (double& x : v) x = 1.0 / (1.0 + std::exp(-x));
    } else if constexpr (std::is_same_v<A, tn::tanh>) {
        for (double& x : v) x = std::tanh(x);
    } else if constexpr (leaky_slope<A>::is) {
        for (double& x : v) x = x > 0 ? x : leaky_slope<A>::value * x;
    } else if constexpr (std::is_same_v<A, tn::softmax>) {
        for (std::size_t r = 0; r + std::size_t(last) <= v.size(); r += std::size_t(last)) {
            double m = -std::numeric_limits<double>::infinity(), s = 0;
            for (index_t i = 0; i < last; ++i) m = std::max(m, v[r + std::size_t(i)]);
            for (index_t i = 0; i < last; ++i) s += std::exp(v[r + std::size_t(i)] - m);
            for (index_t i = 0; i < last; ++i) v[r + std::size_t(i)] = std::exp(v[r + std::size_t(i)] - m) / s;
        }
    } else {
        static_assert(sizeof(A) == 0, "law: no reference for this activation");
    }
}

// ---- the reference layers ----------------------------------------------------------------------------
// ref<L>: out(in) -> output dims; blocks(in) -> parameter arrays in Keras get_weights() order;
// run(in, w, x, n) -> n output samples from n input samples (all in double).
template <class L>
struct ref;

// Elementwise activation layers.
template <class A>
struct ref_activation {
    static vdims out(const vdims& in) { return in; }
    static expected_t blocks(const vdims&) { return {}; }
    static std::vector<double> run(const vdims& in, const blocks_t&, std::vector<double> x, index_t) {
        activate<A>(x, in.back());
        return x;
    }
};
template <>
struct ref<tn::relu> : ref_activation<tn::relu> {};
template <>
struct ref<tn::sigmoid> : ref_activation<tn::sigmoid> {};
template <>
struct ref<tn::tanh> : ref_activation<tn::tanh> {};
template <>
struct ref<tn::linear> : ref_activation<tn::linear> {};
template <>
struct ref<tn::softmax> : ref_activation<tn::softmax> {};
template <auto N, index_t D>
struct ref<tn::leaky_relu<N, D>> : ref_activation<tn::leaky_relu<N, D>> {};

// Layers that do not change the data: dropout at inference, flatten, reshape (row-major).
struct ref_identity_data {
    static expected_t blocks(const vdims&) { return {}; }
    static std::vector<double> run(const vdims&, const blocks_t&, std::vector<double> x, index_t) { return x; }
};
template <auto N, index_t D>
struct ref<tn::dropout<N, D>> : ref_identity_data {
    static vdims out(const vdims& in) { return in; }
};
template <>
struct ref<tn::flatten> : ref_identity_data {
    static vdims out(const vdims& in) { return {vsize(in)}; }
};
template <index_t... Ds>
struct ref<tn::reshape<Ds...>> : ref_identity_data {
    static vdims out(const vdims& in) {
        const vdims o{Ds...};
        need(vsize(o) == vsize(in), "vsize(o) == vsize(in)");
        return o;
    }
};

// Dense: y = act(x . kernel + bias), kernel (K, U).
template <index_t U, class... O>
struct ref<tn::dense<U, O...>> {
    using L = tn::dense<U, O...>;
    static vdims out(const vdims& in) {
        need(in.size() == 1, "in.size() == 1");
        return {U};
    }
    static expected_t blocks(const vdims& in) {
        expected_t b{{"kernel", {in[0], U}, true}};
        if (L::has_bias) b.push_back({"bias", {U}, true});
        return b;
    }
    static std::vector<double> run(const vdims& in, const blocks_t& w, const std::vector<double>& x, index_t n) {
        const index_t K = in[0];
        std::vector<double> y(std::size_t(n * U));
        for (index_t s = 0; s < n; ++s)
            for (index_t j = 0; j < U; ++j) {
                double acc = L::has_bias ? w[1][std::size_t(j)] : 0.0;
                for (index_t k = 0; k < K; ++k) acc += x[std::size_t(s * K + k)] * w[0][std::size_t(k * U + j)];
                y[std::size_t(s * U + j)] = acc;
            }
        activate<typename L::activation>(y, U);
        return y;
    }
};

// Conv2D: channels-last, HWIO kernel, TF padding; taps on padded cells contribute nothing.
template <index_t F, auto K, class... O>
struct ref<tn::conv2d<F, K, O...>> {
    using L = tn::conv2d<F, K, O...>;
    static vdims out(const vdims& in) {
        need(in.size() == 3, "in.size() == 3");
        return {out_extent(in[0], L::kh, L::sh, L::pad), out_extent(in[1], L::kw, L::sw, L::pad), F};
    }
    static expected_t blocks(const vdims& in) {
        expected_t b{{"kernel", {L::kh, L::kw, in[2], F}, true}};
        if (L::has_bias) b.push_back({"bias", {F}, true});
        return b;
    }
    static std::vector<double> run(const vdims& in, const blocks_t& w, const std::vector<double>& x, index_t n) {
        const index_t H = in[0], W = in[1], C = in[2];
        const vdims o = out(in);
        const index_t OH = o[0], OW = o[1];
        const index_t pt = pad_top(H, L::kh, L::sh, L::pad), pl = pad_top(W, L::kw, L::sw, L::pad);
        std::vector<double> y(std::size_t(n * OH * OW * F));
        for (index_t s = 0; s < n; ++s)
            for (index_t oy = 0; oy < OH; ++oy)
                for (index_t ox = 0; ox < OW; ++ox)
                    for (index_t f = 0; f < F; ++f) {
                        double acc = L::has_bias ? w[1][std::size_t(f)] : 0.0;
                        for (index_t ky = 0; ky < L::kh; ++ky)
                            for (index_t kx = 0; kx < L::kw; ++kx) {
                                const index_t iy = oy * L::sh + ky - pt, ix = ox * L::sw + kx - pl;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                for (index_t c = 0; c < C; ++c)
                                    acc += x[std::size_t(((s * H + iy) * W + ix) * C + c)] *
                                           w[0][std::size_t(((ky * L::kw + kx) * C + c) * F + f)];
                            }
                        y[std::size_t(((s * OH + oy) * OW + ox) * F + f)] = acc;
                    }
        activate<typename L::activation>(y, F);
        return y;
    }
};

// Max / average pooling over the real (unpadded) cells of each window.
template <class L>
struct ref_pool {
    static vdims out(const vdims& in) {
        need(in.size() == 3, "in.size() == 3");
        return {out_extent(in[0], L::ph, L::sh, L::pad), out_extent(in[1], L::pw, L::sw, L::pad), in[2]};
    }
    static expected_t blocks(const vdims&) { return {}; }
    static std::vector<double> run(const vdims& in, const blocks_t&, const std::vector<double>& x, index_t n) {
        const index_t H = in[0], W = in[1], C = in[2];
        const vdims o = out(in);
        const index_t OH = o[0], OW = o[1];
        const index_t pt = pad_top(H, L::ph, L::sh, L::pad), pl = pad_top(W, L::pw, L::sw, L::pad);
        std::vector<double> y(std::size_t(n * OH * OW * C));
        for (index_t s = 0; s < n; ++s)
            for (index_t oy = 0; oy < OH; ++oy)
                for (index_t ox = 0; ox < OW; ++ox)
                    for (index_t c = 0; c < C; ++c) {
                        double m = -std::numeric_limits<double>::infinity(), sum = 0;
                        index_t cells = 0;
                        for (index_t ky = 0; ky < L::ph; ++ky)
                            for (index_t kx = 0; kx < L::pw; ++kx) {
                                const index_t iy = oy * L::sh + ky - pt, ix = ox * L::sw + kx - pl;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                const double v = x[std::size_t(((s * H + iy) * W + ix) * C + c)];
                                m = std::max(m, v);
                                sum += v;
                                ++cells;
                            }
                        need(cells > 0, "cells > 0");
                        y[std::size_t(((s * OH + oy) * OW + ox) * C + c)] = L::is_max ? m : sum / double(cells);
                    }
        return y;
    }
};
template <index_t P, class... O>
struct ref<tn::max_pool2d<P, O...>> : ref_pool<tn::max_pool2d<P, O...>> {
    static_assert(tn::max_pool2d<P, O...>::is_max);
};
template <index_t P, class... O>
struct ref<tn::average_pool2d<P, O...>> : ref_pool<tn::average_pool2d<P, O...>> {
    static_assert(!tn::average_pool2d<P, O...>::is_max);
};

template <bool IsMax>
struct ref_global_pool {
    static vdims out(const vdims& in) {
        need(in.size() == 3, "in.size() == 3");
        return {in[2]};
    }
    static expected_t blocks(const vdims&) { return {}; }
    static std::vector<double> run(const vdims& in, const blocks_t&, const std::vector<double>& x, index_t n) {
        const index_t HW = in[0] * in[1], C = in[2];
        std::vector<double> y(std::size_t(n * C));
        for (index_t s = 0; s < n; ++s)
            for (index_t c = 0; c < C; ++c) {
                double m = -std::numeric_limits<double>::infinity(), sum = 0;
                for (index_t p = 0; p < HW; ++p) {
                    const double v = x[std::size_t((s * HW + p) * C + c)];
                    m = std::max(m, v);
                    sum += v;
                }
                y[std::size_t(s * C + c)] = IsMax ? m : sum / double(HW);
            }
        return y;
    }
};
template <>
struct ref<tn::global_average_pool2d> : ref_global_pool<false> {};
template <>
struct ref<tn::global_max_pool2d> : ref_global_pool<true> {};

// BatchNormalization at inference: (x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta.
template <class... O>
struct ref<tn::batch_norm<O...>> {
    using L = tn::batch_norm<O...>;
    static vdims out(const vdims& in) { return in; }
    static expected_t blocks(const vdims& in) {
        const index_t C = in.back();
        return {{"gamma", {C}, true}, {"beta", {C}, true}, {"moving_mean", {C}, false}, {"moving_variance", {C}, false}};
    }
    static std::vector<double> run(const vdims& in, const blocks_t& w, std::vector<double> x, index_t) {
        const std::size_t C = std::size_t(in.back());
        for (std::size_t i = 0; i < x.size(); ++i) {
            const std::size_t c = i % C;
            x[i] = (x[i] - w[2][c]) / std::sqrt(w[3][c] + L::eps) * w[0][c] + w[1][c];
        }
        return x;
    }
};

// path<Ls...>: the layers in order; each takes its own run of parameter arrays.
template <class... Ls>
struct ref<tn::path<Ls...>> {
    static vdims out(vdims d) {
        ((d = ref<Ls>::out(d)), ...);
        return d;
    }
    static expected_t blocks(const vdims& in) {
        expected_t all;
        vdims d = in;
        auto one = [&]<class X>(std::type_identity<X>) {
            const expected_t b = ref<X>::blocks(d);
            all.insert(all.end(), b.begin(), b.end());
            d = ref<X>::out(d);
        };
        (void)one;  // unused when the path is empty
        (one(std::type_identity<Ls>{}), ...);
        return all;
    }
    static std::vector<double> run(const vdims& in, const blocks_t& w, std::vector<double> x, index_t n) {
        vdims d = in;
        std::size_t at = 0;
        auto one = [&]<class X>(std::type_identity<X>) {
            const std::size_t k = ref<X>::blocks(d).size();
            need(at + k <= w.size(), "at + k <= w.size()");
            const blocks_t mine(w.begin() + std::ptrdiff_t(at), w.begin() + std::ptrdiff_t(at + k));
            at += k;
            x = ref<X>::run(d, mine, std::move(x), n);
            d = ref<X>::out(d);
            need(x.size() == std::size_t(n * vsize(d)), "x.size() == std::size_t(n * vsize(d))");
        };
        (void)one;  // unused when the path is empty
        (one(std::type_identity<Ls>{}), ...);
        need(at == w.size(), "at == w.size()");
        return x;
    }
    // The layer-by-layer inputs and block counts (for residual's interleaving).
    static std::vector<std::size_t> layer_block_counts(const vdims& in) {
        std::vector<std::size_t> c;
        vdims d = in;
        auto one = [&]<class X>(std::type_identity<X>) {
            c.push_back(ref<X>::blocks(d).size());
            d = ref<X>::out(d);
        };
        (void)one;  // unused when the path is empty
        (one(std::type_identity<Ls>{}), ...);
        return c;
    }
    static std::vector<expected_t> layer_blocks(const vdims& in) {
        std::vector<expected_t> c;
        vdims d = in;
        auto one = [&]<class X>(std::type_identity<X>) {
            c.push_back(ref<X>::blocks(d));
            d = ref<X>::out(d);
        };
        (void)one;  // unused when the path is empty
        (one(std::type_identity<Ls>{}), ...);
        return c;
    }
};

// frozen<Ls...>: a path whose arrays are all non-trainable.
template <class... Ls>
struct ref<tn::frozen<Ls...>> : ref<tn::path<Ls...>> {
    static expected_t blocks(const vdims& in) {
        expected_t b = ref<tn::path<Ls...>>::blocks(in);
        for (auto& x : b) x.trainable = false;
        return b;
    }
};

// residual<Main, Shortcut>: main(x) + shortcut(x). Keras' get_weights() order for the same
// functional graph: layers by decreasing depth from the Add (main layer i has depth m - i, shortcut
// layer j depth s - j), main path first at equal depth.
template <class Main, class Short>
struct ref<tn::residual<Main, Short>> {
    struct slot {
        bool shortcut;
        std::size_t index;
        index_t depth;
    };
    static std::vector<slot> order() {
        constexpr std::size_t m = Main::size, s = Short::size;
        std::vector<slot> o;
        for (std::size_t i = 0; i < m; ++i) o.push_back({false, i, index_t(m - i)});
        for (std::size_t j = 0; j < s; ++j) o.push_back({true, j, index_t(s - j)});
        std::stable_sort(o.begin(), o.end(), [](const slot& a, const slot& b) { return a.depth > b.depth; });
        return o;
    }
    static vdims out(const vdims& in) {
        const vdims a = ref<Main>::out(in), b = ref<Short>::out(in);
        need(a == b, "a == b");
        return a;
    }
    static expected_t blocks(const vdims& in) {
        const auto mb = ref<Main>::layer_blocks(in), sb = ref<Short>::layer_blocks(in);
        expected_t all;
        for (const slot& sl : order()) {
            const expected_t& b = sl.shortcut ? sb[sl.index] : mb[sl.index];
            all.insert(all.end(), b.begin(), b.end());
        }
        return all;
    }
    static std::vector<double> run(const vdims& in, const blocks_t& w, const std::vector<double>& x, index_t n) {
        // De-interleave the arrays back into each branch's own order.
        const auto mc = ref<Main>::layer_block_counts(in), sc = ref<Short>::layer_block_counts(in);
        std::vector<blocks_t> mw(mc.size()), sw(sc.size());
        std::size_t at = 0;
        for (const slot& sl : order()) {
            const std::size_t k = sl.shortcut ? sc[sl.index] : mc[sl.index];
            need(at + k <= w.size(), "at + k <= w.size()");
            blocks_t& dst = sl.shortcut ? sw[sl.index] : mw[sl.index];
            dst.assign(w.begin() + std::ptrdiff_t(at), w.begin() + std::ptrdiff_t(at + k));
            at += k;
        }
        need(at == w.size(), "at == w.size()");
        blocks_t mflat, sflat;
        for (auto& b : mw) mflat.insert(mflat.end(), b.begin(), b.end());
        for (auto& b : sw) sflat.insert(sflat.end(), b.begin(), b.end());
        std::vector<double> a = ref<Main>::run(in, mflat, x, n);
        const std::vector<double> b = ref<Short>::run(in, sflat, x, n);
        need(a.size() == b.size(), "a.size() == b.size()");
        for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
        return a;
    }
};

// A whole sequential network is the path of its layers.
template <class Net>
struct ref_net;
template <class First, class... Ls>
struct ref_net<tn::sequential<First, Ls...>> : ref<tn::path<Ls...>> {};

// ---- random parameters -------------------------------------------------------------------------------
// Kernels scaled by 1/sqrt(fan_in) (outputs of order 1), biases and BN shifts in [-0.5, 0.5],
// gamma and moving variance in [0.5, 1.5] (well away from zero).
inline void randomize(std::vector<tn::weight_array<float>>& ws, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (auto& w : ws) {
        if (w.name == "kernel") {
            index_t fan_in = 1;
            for (std::size_t i = 0; i + 1 < w.shape.size(); ++i) fan_in *= w.shape[i];
            const double scale = std::sqrt(3.0 / double(fan_in));
            for (float& v : w.values) v = float(u(rng) * scale);
        } else if (w.name == "gamma" || w.name == "moving_variance") {
            for (float& v : w.values) v = float(1.0 + 0.5 * u(rng));
        } else {
            for (float& v : w.values) v = float(0.5 * u(rng));
        }
    }
}

// ---- the checks, as plain functions (compiled once, not once per network) ---------------------------
// The facts a network type states about itself, gathered by run_laws<Net>.
struct net_facts {
    vdims input, output, plan_output;
    index_t param_count = 0, trainable_count = 0, non_trainable_count = 0, weight_bytes = 0;
    std::vector<tn::param_block> table;  // Net::param_blocks
    std::size_t stored_params = 0;      // model.parameters().size()
    std::size_t static_stored_params = 0;
    std::size_t weight_count = 0;       // model<Net>::weight_count
};

// Laws 1-3: shapes, counts, and the get_weights() table.
inline void check_table_laws(const net_facts& f, const vdims& ref_output, const expected_t& expected,
                             const std::vector<tn::weight_array<float>>& w) {
    REQUIRE(f.output == ref_output);
    REQUIRE(f.plan_output == ref_output);
    CHECK(f.stored_params == std::size_t(f.param_count));
    CHECK(f.static_stored_params == std::size_t(f.param_count));
    index_t total = 0, trainable = 0;
    for (const auto& b : expected) {
        total += vsize(b.shape);
        if (b.trainable) trainable += vsize(b.shape);
    }
    CHECK(f.param_count == total);
    CHECK(f.trainable_count == trainable);
    CHECK(f.non_trainable_count == total - trainable);
    CHECK(f.weight_bytes == total * index_t(sizeof(float)));
    REQUIRE(w.size() == expected.size());
    REQUIRE(f.table.size() == expected.size());
    REQUIRE(f.weight_count == expected.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
        CAPTURE(i);
        CHECK(w[i].name == expected[i].name);
        CHECK(w[i].shape == expected[i].shape);
        CHECK(index_t(w[i].values.size()) == vsize(expected[i].shape));
        CHECK(to_vdims(f.table[i].shape) == expected[i].shape);
        CHECK(std::string(f.table[i].name) == expected[i].name);
        CHECK(f.table[i].trainable == expected[i].trainable);
    }
}

// parameters() is the concatenation of get_weights() in order.
inline void check_concatenation(const std::vector<tn::weight_array<float>>& w, std::span<const float> params) {
    std::size_t k = 0;
    bool same = true;
    for (const auto& a : w)
        for (float v : a.values) same = same && k < params.size() && params[k++] == v;
    CHECK(same);
    CHECK(k == params.size());
}

// float result vs double reference: a wrong index or a wrong padding is off by O(0.1); float
// accumulation over a few hundred terms of order one stays below 1e-5.
inline bool close(float got, double want) { return std::fabs(double(got) - want) <= 1e-4 + 1e-5 * std::fabs(want); }

// Law 4: y (n samples of `per` values) against the reference r.
inline void check_output(const char* what, const float* y, index_t samples, index_t size, index_t n, index_t per,
                         const std::vector<double>& r) {
    const std::string what_s = what;
    CAPTURE(what_s);
    REQUIRE(samples == n);
    REQUIRE(size == n * per);
    REQUIRE(r.size() == std::size_t(n * per));
    for (std::size_t i = 0; i < r.size(); ++i) {
        if (!close(y[i], r[i])) {
            FAIL_CHECK(std::string(what) << ": element " << i << " (sample " << index_t(i) / per << ", offset " << index_t(i) % per
                            << ") = " << y[i] << ", reference " << r[i]);
            return;  // one report per comparison is enough
        }
    }
}
inline void check_same(const char* what, const float* a, const float* b, index_t size) {
    const std::string what_s = what;
    CAPTURE(what_s);
    CHECK(std::equal(a, a + size, b));
}

// ---- the laws ---------------------------------------------------------------------------------------
template <class Net>
void run_laws(std::uint64_t seed, float in_lo = -1.0f, float in_hi = 1.0f) {
    using In = typename Net::input_shape_t;
    using Out = typename Net::output_shape_t;
    using R = ref_net<Net>;
    std::mt19937_64 rng(seed);

    tn::model<Net> m(seed);
    auto sm = std::make_unique<tn::static_model<Net, 2>>();
    net_facts f;
    f.input = to_vdims(In::value);
    f.output = to_vdims(Out::value);
    f.plan_output = to_vdims(Net::plan.shape[Net::layer_count]);
    f.param_count = Net::param_count;
    f.trainable_count = Net::trainable_count;
    f.non_trainable_count = Net::non_trainable_count;
    f.weight_bytes = Net::weight_bytes;
    f.table.assign(Net::param_blocks.begin(), Net::param_blocks.end());
    f.stored_params = m.parameters().size();
    f.static_stored_params = sm->parameters().size();
    f.weight_count = tn::model<Net>::weight_count;

    auto w = m.get_weights();
    check_table_laws(f, R::out(f.input), R::blocks(f.input), w);

    randomize(w, rng);
    const tn::status st = m.set_weights(w);
    REQUIRE_MESSAGE(st.ok(), st.message());
    check_concatenation(w, m.parameters());
    std::copy(m.parameters().begin(), m.parameters().end(), sm->parameters().begin());
    blocks_t wd;
    for (const auto& a : w) wd.emplace_back(a.values.begin(), a.values.end());

    // The CPU result against the reference, for several batch sizes (0 and odd ones included).
    std::uniform_real_distribution<float> ux(in_lo, in_hi);
    for (index_t n : {index_t(0), index_t(1), index_t(3), index_t(5)}) {
        CAPTURE(n);
        tn::batch<float, In> x(n);
        for (auto& v : x) v = ux(rng);
        const std::vector<double> r = R::run(f.input, wd, std::vector<double>(x.begin(), x.end()), n);

        const auto y = m.predict(x);
        static_assert(std::is_same_v<std::remove_cvref_t<decltype(y)>, tn::batch<float, Out>>);
        check_output("model::predict", y.data(), y.samples(), y.size(), n, Out::size, r);

        // forward into a batch full of NaN: every output element is written.
        tn::batch<float, Out> y2(n);
        y2.fill(std::numeric_limits<float>::quiet_NaN());
        m.forward(x.view(), y2.view());
        check_same("model::forward equals model::predict", y.data(), y2.data(), y.size());

        const auto y3 = sm->predict(x);
        check_output("static_model<Net, 2>::predict", y3.data(), y3.samples(), y3.size(), n, Out::size, r);
    }
    // The input is not modified, and a second run gives the same result (no state kept).
    tn::batch<float, In> x(3);
    for (auto& v : x) v = ux(rng);
    const tn::batch<float, In> x0 = x;
    const auto a = m.predict(x);
    const auto b = m.predict(x);
    check_same("input unchanged", x.data(), x0.data(), x.size());
    check_same("repeatable", a.data(), b.data(), a.size());
}

template <class L, index_t... Ds>
using net1 = tn::sequential<tn::input<Ds...>, L>;

// ---- option parsing the reference relies on ---------------------------------------------------------
using tn::kernel;
using tn::same;
using tn::strides;
using tn::use_bias;
using tn::valid;
static_assert(tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::kh == 3);
static_assert(tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::kw == 2);
static_assert(tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::sh == 2);
static_assert(tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::sw == 1);
static_assert(tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::pad == tn::padding::same);
static_assert(!tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::has_bias);
static_assert(std::is_same_v<tn::conv2d<8, kernel<3, 2>, strides<2, 1>, same, tn::relu, use_bias<false>>::activation, tn::relu>);
// Defaults: stride 1, valid, bias, linear; options in any order.
static_assert(tn::conv2d<8, kernel<3>>::sh == 1 && tn::conv2d<8, kernel<3>>::sw == 1 && tn::conv2d<8, kernel<3>>::kw == 3);
static_assert(tn::conv2d<8, kernel<3>>::pad == tn::padding::valid && tn::conv2d<8, kernel<3>>::has_bias);
static_assert(std::is_same_v<tn::conv2d<8, kernel<3>>::activation, tn::linear>);
static_assert(tn::conv2d<8, kernel<3>, tn::relu, same, strides<2>>::sh == 2 && tn::conv2d<8, kernel<3>, tn::relu, same, strides<2>>::sw == 2);
static_assert(std::is_same_v<tn::dense<4, use_bias<false>, tn::sigmoid>::activation, tn::sigmoid>);
static_assert(!tn::dense<4, use_bias<false>, tn::sigmoid>::has_bias && tn::dense<4>::has_bias);
static_assert(std::is_same_v<tn::dense<4>::activation, tn::linear>);
// Pooling: strides default to the pool size; pool<h, w> overrides the first argument.
static_assert(tn::max_pool2d<>::ph == 2 && tn::max_pool2d<>::sh == 2 && tn::max_pool2d<>::pad == tn::padding::valid);
static_assert(tn::max_pool2d<3, strides<2>, same>::ph == 3 && tn::max_pool2d<3, strides<2>, same>::sw == 2);
static_assert(tn::average_pool2d<3, tn::pool<2, 3>>::ph == 2 && tn::average_pool2d<3, tn::pool<2, 3>>::pw == 3 &&
              tn::average_pool2d<3, tn::pool<2, 3>>::sh == 2 && tn::average_pool2d<3, tn::pool<2, 3>>::sw == 3);
static_assert(tn::batch_norm<>::eps == 1e-3 && tn::batch_norm<tn::epsilon<1, 100000>>::eps == 1e-5);
static_assert(tn::leaky_relu<>::slope == 0.3 && tn::dropout<1, 2>::rate == 0.5);

// The CPU kernels cut dense units / conv filters into column tiles by tiers, widest first
// (backend/cpu/isa/simd.ipp): avx512 64, 32, 16 and 8 floats then scalars; avx2 16 and 8 then
// scalars; generic 8 then 1. The sizes the cases below use hit every tier of every instruction set
// (the suite runs once per set: ctest's unit_avx2 and unit_generic), checked here on the tier
// function itself.
#if TYPENET_CPU_X86
namespace z = tn::cpu_detail::isa_avx512;
static_assert(z::tier_for<float>(67) == 0 && z::tier_for<float>(3) == 4);     // 67 = 64 + a scalar rest
static_assert(z::tier_for<float>(72 - 64) == 3 && z::tier_for<float>(96 - 64) == 1);  // 72 = 64 + 8, 96 = 64 + 32
static_assert(z::tier_for<float>(17) == 2 && z::tier_for<float>(48) == 1 && z::tier_for<float>(48 - 32) == 2);
static_assert(z::tier_for<float>(130 - 128) == 4 && z::tier_for<float>(33) == 1 && z::tier_for<float>(7) == 4);
static_assert(z::column_tile_count<float>(130) == 3 && z::column_tile_count<float>(72) == 2);
#endif

}  // namespace law

using namespace law;
using typenet::path;

TEST_SUITE("layer laws") {

TEST_CASE("dense") {
    SUBCASE("bias, linear") { run_laws<net1<tn::dense<10>, 7>>(1); }
    SUBCASE("K = 1, units = 1 (M7)") { run_laws<net1<tn::dense<1>, 1>>(2); }
    SUBCASE("units = 1, sigmoid") { run_laws<net1<tn::dense<1, tn::sigmoid>, 33>>(3); }
    SUBCASE("K = 1, units 65 (blocks of 1), relu") { run_laws<net1<tn::dense<65, tn::relu>, 1>>(4); }
    SUBCASE("no bias, tanh, units 67 (prime)") { run_laws<net1<tn::dense<67, tn::tanh, use_bias<false>>, 19>>(5); }
    SUBCASE("units 72 (several full blocks), leaky_relu") { run_laws<net1<tn::dense<72, tn::leaky_relu<>>, 9>>(6); }
    SUBCASE("units 96 (several full blocks), softmax across blocks") { run_laws<net1<tn::dense<96, tn::softmax>, 130>>(7); }
    SUBCASE("units 130 (blocks of 2), relu") { run_laws<net1<tn::dense<130, tn::relu>, 65>>(8); }
    SUBCASE("units 200, K 3") { run_laws<net1<tn::dense<200>, 3>>(9); }
    SUBCASE("no bias, linear, 5 -> 7") { run_laws<net1<tn::dense<7, use_bias<false>>, 5>>(10); }
    SUBCASE("units 10, softmax, K 576 (M2's head)") { run_laws<net1<tn::dense<10, tn::softmax>, 576>>(11); }
    SUBCASE("units 32 (one full block), 33 (just above: blocks of 1), 48") {
        run_laws<net1<tn::dense<32, tn::relu>, 40>>(12);
        run_laws<net1<tn::dense<33>, 31>>(13);
        run_laws<net1<tn::dense<48, tn::sigmoid>, 17>>(14);
    }
}

TEST_CASE("conv2d") {
    SUBCASE("valid 3x3, C 3, F 5") { run_laws<net1<tn::conv2d<5, kernel<3>>, 9, 11, 3>>(20); }
    SUBCASE("same 3x3 relu, C 5, F 7") { run_laws<net1<tn::conv2d<7, kernel<3>, same, tn::relu>, 10, 13, 5>>(21); }
    SUBCASE("same 4x4 stride 2 (pads 1 / 2 on 7)") { run_laws<net1<tn::conv2d<6, kernel<4>, strides<2>, same>, 7, 7, 2>>(22); }
    SUBCASE("same 4x4 stride 2 on 32 (M9, pads 1 / 1)") { run_laws<net1<tn::conv2d<10, kernel<4>, strides<2>, same>, 32, 32, 3>>(23); }
    SUBCASE("same 3x3 stride 2 on 16 (pads 0 / 1)") { run_laws<net1<tn::conv2d<20, kernel<3>, strides<2>, same>, 16, 16, 10>>(24); }
    SUBCASE("1x1, F 67 (blocks of 1)") { run_laws<net1<tn::conv2d<67, kernel<1>>, 5, 6, 3>>(25); }
    SUBCASE("1x1 stride 2 valid relu, F 72 (several blocks)") { run_laws<net1<tn::conv2d<72, kernel<1>, strides<2>, valid, tn::relu>, 9, 9, 5>>(26); }
    SUBCASE("2x3 kernel, strides (2, 1), same, no bias (e2)") { run_laws<net1<tn::conv2d<4, kernel<2, 3>, strides<2, 1>, same, use_bias<false>>, 8, 6, 3>>(27); }
    SUBCASE("5x5 same on a 3x4 input (window larger than input)") { run_laws<net1<tn::conv2d<9, kernel<5>, same, tn::sigmoid>, 3, 4, 2>>(28); }
    SUBCASE("3x3 stride 3 valid tanh, C 1") { run_laws<net1<tn::conv2d<2, kernel<3>, strides<3>, valid, tn::tanh>, 11, 10, 1>>(29); }
    SUBCASE("softmax activation, F 130 (blocks of 2)") { run_laws<net1<tn::conv2d<130, kernel<3>, same, tn::softmax>, 6, 5, 3>>(30); }
    SUBCASE("3x1 kernel, strides (1, 2), same, leaky 0.2") { run_laws<net1<tn::conv2d<17, kernel<3, 1>, strides<1, 2>, same, tn::leaky_relu<1, 5>>, 7, 12, 6>>(31); }
    SUBCASE("F 96 (several full blocks), stride 2 same, C 7") { run_laws<net1<tn::conv2d<96, kernel<3>, strides<2>, same>, 13, 17, 7>>(32); }
    SUBCASE("window equals input (valid 5x5 on 5x5)") { run_laws<net1<tn::conv2d<3, kernel<5>>, 5, 5, 4>>(33); }
    SUBCASE("even 2x2 kernel, stride 1, same (pads 0 / 1)") { run_laws<net1<tn::conv2d<11, kernel<2>, same>, 6, 9, 3>>(34); }
    SUBCASE("F 1, C 13, wide row (4-pixel blocks and a tail)") { run_laws<net1<tn::conv2d<1, kernel<3>, same>, 4, 23, 13>>(35); }
    SUBCASE("stride 2 valid 3x3 on 10 (floors)") { run_laws<net1<tn::conv2d<8, kernel<3>, strides<2>>, 10, 10, 3>>(36); }
    SUBCASE("F 32, 33 and 48 around the block limit") {
        run_laws<net1<tn::conv2d<32, kernel<3>, same, tn::relu>, 7, 9, 3>>(37);
        run_laws<net1<tn::conv2d<33, kernel<3>>, 6, 7, 2>>(38);
        run_laws<net1<tn::conv2d<48, kernel<2>, strides<2>, same>, 7, 10, 4>>(39);
    }
}

TEST_CASE("pooling") {
    SUBCASE("max 2 valid on 11 (floors to 5)") { run_laws<net1<tn::max_pool2d<>, 11, 11, 3>>(40); }
    SUBCASE("max 2 same on 11 (ceil to 6)") { run_laws<net1<tn::max_pool2d<2, same>, 11, 11, 3>>(41); }
    SUBCASE("max 2 stride 1 (overlapping)") { run_laws<net1<tn::max_pool2d<2, strides<1>>, 5, 6, 5>>(42); }
    SUBCASE("max 3 stride 2 same (e2)") { run_laws<net1<tn::max_pool2d<3, strides<2>, same>, 8, 6, 4>>(43); }
    SUBCASE("max 3 stride 2 valid (e4)") { run_laws<net1<tn::max_pool2d<3, strides<2>, valid>, 9, 9, 2>>(44); }
    SUBCASE("average 2 same on 7x5 (edge windows average fewer cells)") { run_laws<net1<tn::average_pool2d<2, same>, 7, 5, 3>>(45); }
    SUBCASE("average 2 valid") { run_laws<net1<tn::average_pool2d<>, 8, 8, 6>>(46); }
    SUBCASE("average pool 2x3, strides (1, 2), same") { run_laws<net1<tn::average_pool2d<3, tn::pool<2, 3>, strides<1, 2>, same>, 7, 9, 5>>(47); }
    SUBCASE("average 4 on 8x8x128 (M6's head)") { run_laws<net1<tn::average_pool2d<4>, 8, 8, 128>>(48); }
    SUBCASE("max 3 same on 2x2 (window larger than input)") { run_laws<net1<tn::max_pool2d<3, same>, 2, 2, 7>>(49); }
    SUBCASE("global average") { run_laws<net1<tn::global_average_pool2d, 5, 5, 4>>(50); }
    SUBCASE("global max") { run_laws<net1<tn::global_max_pool2d, 3, 7, 9>>(51); }
    SUBCASE("global average on 1x1") { run_laws<net1<tn::global_average_pool2d, 1, 1, 67>>(52); }
}

TEST_CASE("batch_norm") {
    SUBCASE("(H, W, C)") { run_laws<net1<tn::batch_norm<>, 5, 5, 4>>(60); }
    SUBCASE("rank 1 (after dense)") { run_laws<net1<tn::batch_norm<>, 128>>(61); }
    SUBCASE("epsilon 1e-5, C 67") { run_laws<net1<tn::batch_norm<tn::epsilon<1, 100000>>, 6, 3, 67>>(62); }
    SUBCASE("C 1") { run_laws<net1<tn::batch_norm<>, 4, 4, 1>>(63); }
}

TEST_CASE("dropout, flatten, reshape") {
    SUBCASE("dropout 0.5 (identity at inference)") { run_laws<net1<tn::dropout<1, 2>, 10>>(70); }
    SUBCASE("dropout 0.25 on (H, W, C)") { run_laws<net1<tn::dropout<25>, 4, 4, 3>>(71); }
    SUBCASE("flatten") { run_laws<net1<tn::flatten, 5, 3, 2>>(72); }
    SUBCASE("flatten of rank 1") { run_laws<net1<tn::flatten, 9>>(73); }
    SUBCASE("reshape 4 -> (2, 2)") { run_laws<net1<tn::reshape<2, 2>, 4>>(74); }
    SUBCASE("reshape (3, 10) -> (6, 5)") { run_laws<net1<tn::reshape<6, 5>, 3, 10>>(75); }
}

TEST_CASE("activation layers") {
    SUBCASE("relu") { run_laws<net1<tn::relu, 4, 5, 3>>(80, -4, 4); }
    SUBCASE("sigmoid") { run_laws<net1<tn::sigmoid, 4, 5, 3>>(81, -30, 30); }
    SUBCASE("tanh") { run_laws<net1<tn::tanh, 17>>(82, -4, 4); }
    SUBCASE("linear") { run_laws<net1<tn::linear, 3, 3>>(83, -4, 4); }
    SUBCASE("leaky_relu (0.3)") { run_laws<net1<tn::leaky_relu<>, 4, 5, 3>>(84, -4, 4); }
    SUBCASE("leaky_relu (0.01)") { run_laws<net1<tn::leaky_relu<1, 100>, 7>>(85, -4, 4); }
    SUBCASE("softmax on rank 1") { run_laws<net1<tn::softmax, 10>>(86, -4, 4); }
    SUBCASE("softmax over the last axis of (H, W, C)") { run_laws<net1<tn::softmax, 3, 4, 7>>(87, -4, 4); }
    SUBCASE("softmax with large logits") { run_laws<net1<tn::softmax, 5>>(88, -80, 80); }
    SUBCASE("softmax of one value") { run_laws<net1<tn::softmax, 1>>(89, -4, 4); }
}

TEST_CASE("residual") {
    using main8 = path<tn::conv2d<8, kernel<3>, same>, tn::batch_norm<>, tn::relu, tn::conv2d<8, kernel<3>, same>, tn::batch_norm<>>;
    using main12s2 = path<tn::conv2d<12, kernel<3>, strides<2>, same>, tn::batch_norm<>, tn::relu, tn::conv2d<12, kernel<3>, same>,
                          tn::batch_norm<>>;
    using proj12 = path<tn::conv2d<12, kernel<1>, strides<2>, valid>, tn::batch_norm<>>;
    SUBCASE("identity shortcut") { run_laws<net1<tn::residual<main8>, 6, 6, 8>>(90); }
    SUBCASE("projection shortcut, stride 2 on an odd input") { run_laws<net1<tn::residual<main12s2, proj12>, 7, 7, 5>>(91); }
    SUBCASE("dense branches, one layer each") {
        run_laws<net1<tn::residual<path<tn::dense<6>>, path<tn::dense<6, tn::relu>>>, 11>>(92);
    }
    SUBCASE("shortcut longer than the main path") {
        run_laws<net1<tn::residual<path<tn::dense<5, tn::tanh>>, path<tn::dense<4>, tn::batch_norm<>, tn::dense<5>>>, 3>>(93);
    }
    SUBCASE("inside a network: stem, blocks, relu, head (M6 in small)") {
        using net = tn::sequential<tn::input<9, 9, 3>, tn::conv2d<8, kernel<3>, same>, tn::batch_norm<>, tn::relu,  //
                                   tn::residual<main8>, tn::relu,                                                     //
                                   tn::residual<main12s2, proj12>, tn::relu,                                          //
                                   tn::global_average_pool2d, tn::dense<10, tn::softmax>>;
        run_laws<net>(94);
    }
    SUBCASE("a residual nested in a residual branch") {
        using inner = tn::residual<path<tn::dense<6, tn::relu>, tn::dense<6>>>;
        run_laws<net1<tn::residual<path<inner, tn::relu>, path<tn::dense<6>>>, 6>>(95);
    }
}

TEST_CASE("path and frozen") {
    SUBCASE("path as a layer") { run_laws<net1<path<tn::conv2d<5, kernel<3>, same, tn::relu>, tn::max_pool2d<>>, 6, 6, 3>>(100); }
    SUBCASE("frozen conv + pool: every parameter non-trainable") {
        using net = net1<tn::frozen<tn::conv2d<5, kernel<3>, same, tn::relu>, tn::max_pool2d<>>, 6, 6, 3>;
        static_assert(net::trainable_count == 0 && net::non_trainable_count == net::param_count && net::param_count == 140);
        run_laws<net>(101);
    }
    SUBCASE("frozen base with BN, trainable head (M5 in small)") {
        using net = tn::sequential<tn::input<8, 8, 3>, tn::frozen<tn::conv2d<4, kernel<3>>, tn::batch_norm<>, tn::max_pool2d<>>,
                                   tn::flatten, tn::dense<3, tn::softmax>>;
        static_assert(net::non_trainable_count == 3 * 3 * 3 * 4 + 4 + 16 && net::trainable_count == 3 * 3 * 4 * 3 + 3);
        run_laws<net>(102);
    }
}

TEST_CASE("chains: ping-pong buffers across many layers") {
    SUBCASE("M2 in small") {
        using net = tn::sequential<tn::input<12, 12, 1>, tn::conv2d<6, kernel<3>, tn::relu>, tn::max_pool2d<>,
                                   tn::conv2d<9, kernel<3>, tn::relu>, tn::max_pool2d<>, tn::flatten, tn::dense<7, tn::relu>,
                                   tn::dense<3, tn::softmax>>;
        run_laws<net>(110);
    }
    SUBCASE("M10-style triples with a dense head") {
        using net = tn::sequential<tn::input<9, 7, 3>, tn::conv2d<5, kernel<3>, same>, tn::batch_norm<>, tn::leaky_relu<>,
                                   tn::conv2d<6, kernel<3>, strides<2>, same>, tn::batch_norm<>, tn::leaky_relu<>, tn::flatten,
                                   tn::dense<9>, tn::batch_norm<>, tn::leaky_relu<>, tn::dropout<1, 2>, tn::dense<4>, tn::softmax>;
        run_laws<net>(111);
    }
    SUBCASE("reshape back to (H, W, C) between dense and conv") {
        using net = tn::sequential<tn::input<6>, tn::dense<48, tn::relu>, tn::reshape<4, 4, 3>, tn::conv2d<2, kernel<3>, same>,
                                   tn::average_pool2d<2, same>, tn::flatten, tn::dense<1, tn::sigmoid>>;
        run_laws<net>(112);
    }
}

}  // TEST_SUITE
