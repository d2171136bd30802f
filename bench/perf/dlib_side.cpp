// bench/perf/dlib_side.cpp: dlib's measurements for typenet_perf (see dlib_side.hpp).
#include "dlib_side.hpp"

#include <dlib/dnn.h>
#include <dlib/revision.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

namespace perf::dlib_side {

namespace {

template <long F, typename S>
using conv_valid = dlib::add_layer<dlib::con_<F, 3, 3, 1, 1, 0, 0>, S>;
template <long F, typename S>
using conv_same = dlib::add_layer<dlib::con_<F, 3, 3, 1, 1, 1, 1>, S>;
template <typename S>
using pool2 = dlib::max_pool<2, 2, 2, 2, S>;
using rgb = dlib::input<std::array<dlib::matrix<float>, 3>>;
using gray = dlib::input<dlib::matrix<float>>;

using m1_net = dlib::softmax<dlib::fc<10, dlib::relu<dlib::fc<128, pool2<dlib::relu<conv_same<32, rgb>>>>>>>;
using m2_net = dlib::softmax<dlib::fc<10, dlib::relu<dlib::fc<64,
               dlib::relu<conv_valid<64, pool2<dlib::relu<conv_valid<64, pool2<dlib::relu<conv_valid<32, gray>>>>>>>>>>>>;
using m8_net = dlib::softmax<dlib::fc<10, dlib::relu<dlib::fc<150, dlib::relu<dlib::fc<200, rgb>>>>>>;

struct flat_chw {
    int c, h, w;
};
flat_chw flatten_of(model_id m) {
    switch (m) {
        case model_id::m1: return {32, 16, 16};
        case model_id::m2: return {64, 3, 3};
        default: return {3, 32, 32};
    }
}

// The con_ and fc_ layers' parameter tensors, input to output.
struct collect {
    std::vector<std::pair<int, dlib::tensor*>>* out;  // 0 conv, 1 fc
    template <long F, long NR, long NC, int SY, int SX, int PY, int PX>
    void operator()(dlib::con_<F, NR, NC, SY, SX, PY, PX>& l) {
        out->push_back({0, &l.get_layer_params()});
    }
    template <unsigned long N, dlib::fc_bias_mode B>
    void operator()(dlib::fc_<N, B>& l) {
        out->push_back({1, &l.get_layer_params()});
    }
    template <class L>
    void operator()(L&) {}
};

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "typenet_perf (dlib): %s\n", why.c_str());
    std::abort();
}

template <class Net>
void load(model_id m, Net& net, const weights& w) {
    std::vector<std::pair<int, dlib::tensor*>> ps;
    dlib::visit_computational_layers(net, collect{&ps});
    std::reverse(ps.begin(), ps.end());
    std::size_t i = 0;
    bool first_fc = true;
    for (auto [kind, t] : ps) {
        if (i + 2 > w.size()) die("too few weight arrays");
        const array& k = w[i++];
        const array& b = w[i++];
        float* p = t->host();
        if (kind == 0) {  // (kh, kw, c, f) -> (f, c, kh, kw), then the biases
            const auto kh = k.shape[0], kw = k.shape[1], c = k.shape[2], f = k.shape[3];
            if (std::int64_t(t->size()) != kh * kw * c * f + f) die("conv parameter size mismatch");
            for (std::int64_t y = 0; y < kh; ++y)
                for (std::int64_t x = 0; x < kw; ++x)
                    for (std::int64_t ci = 0; ci < c; ++ci)
                        for (std::int64_t fi = 0; fi < f; ++fi)
                            p[((fi * c + ci) * kh + y) * kw + x] = k.values[std::size_t(((y * kw + x) * c + ci) * f + fi)];
            std::copy(b.values.begin(), b.values.end(), p + kh * kw * c * f);
        } else {  // (in, out) rows, the first fc's rows reordered (h, w, c) -> (c, h, w); bias row last
            const auto K = k.shape[0], U = k.shape[1];
            if (std::int64_t(t->size()) != (K + 1) * U) die("fc parameter size mismatch");
            const flat_chw fl = flatten_of(m);
            for (std::int64_t r = 0; r < K; ++r) {
                std::int64_t dst = r;
                if (first_fc) {
                    const std::int64_t c = r % fl.c, hw = r / fl.c, h = hw / fl.w, x = hw % fl.w;
                    dst = (c * fl.h + h) * fl.w + x;
                }
                std::copy(k.values.begin() + r * U, k.values.begin() + (r + 1) * U, p + dst * U);
            }
            std::copy(b.values.begin(), b.values.end(), p + K * U);
            first_fc = false;
        }
    }
    if (i != w.size()) die("weight arrays left over");
}

// An NCHW tensor from NHWC data, through the net's own input layer (which also records the
// sample expansion factor forward(tensor) needs).
template <class Net>
void to_tensor(Net& net, const float* x, const input_dims& in, int n, dlib::resizable_tensor& out) {
    using input_type = typename Net::input_type;
    std::vector<input_type> samples(static_cast<std::size_t>(n));
    for (int s = 0; s < n; ++s) {
        const float* xs = x + std::size_t(s) * in.size();
        if constexpr (std::is_same_v<input_type, dlib::matrix<float>>) {
            samples[std::size_t(s)].set_size(in.h, in.w);
            for (int r = 0; r < in.h; ++r)
                for (int c = 0; c < in.w; ++c) samples[std::size_t(s)](r, c) = xs[r * in.w + c];
        } else {
            for (int k = 0; k < 3; ++k) {
                samples[std::size_t(s)][std::size_t(k)].set_size(in.h, in.w);
                for (int r = 0; r < in.h; ++r)
                    for (int c = 0; c < in.w; ++c) samples[std::size_t(s)][std::size_t(k)](r, c) = xs[(r * in.w + c) * 3 + k];
            }
        }
    }
    net.to_tensor(samples.begin(), samples.end(), out);
}

std::vector<float> random_inputs(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<float> x(count);
    for (auto& v : x) v = u(rng);
    return x;
}

template <class F>
decltype(auto) with_net(model_id m, F&& f) {
    switch (m) {
        case model_id::m1: return f(std::type_identity<m1_net>{});
        case model_id::m2: return f(std::type_identity<m2_net>{});
        default: break;
    }
    return f(std::type_identity<m8_net>{});
}

template <class Net>
std::unique_ptr<Net> make_net(model_id m, const weights& w, const input_dims& in) {
    auto net = std::make_unique<Net>();
    dlib::resizable_tensor t;
    const std::vector<float> x(std::size_t(in.size()), 0.5f);
    to_tensor(*net, x.data(), in, 1, t);
    net->forward(t);  // allocates the parameters
    load(m, *net, w);
    return net;
}

}  // namespace

std::string describe() {
    return "dlib " + std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
           std::to_string(DLIB_PATCH_VERSION) + " (CPU; conv = im2col + BLAS gemm, fc = BLAS gemm; libblas.so.3)";
}
bool expressible(model_id m) { return m != model_id::m10; }
std::string why_not(model_id m) {
    return m == model_id::m10 ? "TF stride-2 'same' padding (0 before, 1 after) is not expressible with dlib's symmetric con_ padding"
                              : "";
}

std::vector<float> predict(model_id m, const weights& w, const float* x_nhwc, const input_dims& in, int n) {
    if (!expressible(m)) return {};
    return with_net(m, [&](auto tag) {
        using Net = typename decltype(tag)::type;
        auto net = make_net<Net>(m, w, in);
        dlib::resizable_tensor t;
        to_tensor(*net, x_nhwc, in, n, t);
        const dlib::tensor& y = net->forward(t);
        return std::vector<float>(y.host(), y.host() + y.size());
    });
}

stats infer(model_id m, const weights& w, const input_dims& in, int batch, int threads, const options& opt) {
    if (!expressible(m)) return {};
    return with_net(m, [&](auto tag) {
        using Net = typename decltype(tag)::type;
        set_blas_threads(1);  // one BLAS thread per net copy: the N-thread runs are data-parallel
        const std::vector<float> x = random_inputs(std::size_t(batch) * in.size(), 11);
        std::vector<std::unique_ptr<Net>> nets;
        std::vector<dlib::resizable_tensor> xs(static_cast<std::size_t>(threads));
        for (int i = 0; i < threads; ++i) {
            nets.push_back(make_net<Net>(m, w, in));
            const auto [lo, hi] = share(batch, i, threads);
            to_tensor(*nets.back(), x.data() + std::size_t(lo) * in.size(), in, hi - lo, xs[std::size_t(i)]);
        }
        team crew(threads);
        return measure(opt, [&] {
            crew.run([&](int i) {
                if (xs[std::size_t(i)].num_samples() > 0) nets[std::size_t(i)]->forward(xs[std::size_t(i)]);
            });
        });
    });
}

}  // namespace perf::dlib_side
