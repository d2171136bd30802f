// bench/perf/torch_side.cpp: libtorch's measurements for typenet_perf (see torch_side.hpp).
#include "torch_side.hpp"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>

namespace perf::torch_side {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

// The flattened activation feeding each model's first Linear, in torch's (C, H, W).
struct flat_chw {
    int c, h, w;
};
flat_chw flatten_of(model_id m) {
    switch (m) {
        case model_id::m1: return {32, 16, 16};
        case model_id::m2: return {64, 3, 3};
        case model_id::m8: return {3, 32, 32};
        case model_id::m10: break;
    }
    return {64, 8, 8};
}

nn::Conv2d conv(int in, int out, int k, int stride, int pad) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad));
}
nn::BatchNorm2d bn2d(int c) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(c).eps(1e-3).momentum(0.01)); }
nn::LeakyReLU leaky() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.3)); }
nn::ZeroPad2d pad_br() { return nn::ZeroPad2d(nn::ZeroPad2dOptions({0, 1, 0, 1})); }  // left, right, top, bottom

// The network up to the logits (softmax is applied by the caller for inference).
nn::Sequential build(model_id m) {
    switch (m) {
        case model_id::m1:
            return nn::Sequential(conv(3, 32, 3, 1, 1), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                                  nn::Linear(8192, 128), nn::ReLU(), nn::Linear(128, 10));
        case model_id::m2:
            return nn::Sequential(conv(1, 32, 3, 1, 0), nn::ReLU(), nn::MaxPool2d(2), conv(32, 64, 3, 1, 0), nn::ReLU(),
                                  nn::MaxPool2d(2), conv(64, 64, 3, 1, 0), nn::ReLU(), nn::Flatten(),
                                  nn::Linear(576, 64), nn::ReLU(), nn::Linear(64, 10));
        case model_id::m8:
            return nn::Sequential(nn::Flatten(), nn::Linear(3072, 200), nn::ReLU(), nn::Linear(200, 150), nn::ReLU(),
                                  nn::Linear(150, 10));
        case model_id::m10: break;
    }
    return nn::Sequential(conv(3, 32, 3, 1, 1), bn2d(32), leaky(),                  //
                          pad_br(), conv(32, 32, 3, 2, 0), bn2d(32), leaky(),       //
                          conv(32, 64, 3, 1, 1), bn2d(64), leaky(),                 //
                          pad_br(), conv(64, 64, 3, 2, 0), bn2d(64), leaky(),       //
                          nn::Flatten(), nn::Linear(4096, 128),                     //
                          nn::BatchNorm1d(nn::BatchNorm1dOptions(128).eps(1e-3).momentum(0.01)), leaky(),
                          nn::Dropout(0.5), nn::Linear(128, 10));
}

torch::Tensor tensor_of(const std::vector<float>& v, std::vector<std::int64_t> shape) {
    return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

// Keras index k of a flattened (h, w, c) activation -> torch's (c, h, w) index.
std::vector<std::int64_t> flatten_permutation(flat_chw f) {
    std::vector<std::int64_t> p(std::size_t(f.c) * f.h * f.w);
    for (int h = 0; h < f.h; ++h)
        for (int w = 0; w < f.w; ++w)
            for (int c = 0; c < f.c; ++c) p[std::size_t((h * f.w + w) * f.c + c)] = (std::int64_t(c) * f.h + h) * f.w + w;
    return p;
}

// Visit the parameterised modules in order with the Keras arrays they take.
template <class Fn>
void for_each_param_module(nn::Sequential& body, Fn&& fn) {
    for (auto& mod : body->children()) {
        if (auto* c = mod->as<nn::Conv2d>()) fn(0, mod.get(), c->weight, c->bias, torch::Tensor(), torch::Tensor());
        else if (auto* l = mod->as<nn::Linear>()) fn(1, mod.get(), l->weight, l->bias, torch::Tensor(), torch::Tensor());
        else if (auto* b = mod->as<nn::BatchNorm2d>()) fn(2, mod.get(), b->weight, b->bias, b->running_mean, b->running_var);
        else if (auto* b1 = mod->as<nn::BatchNorm1d>()) fn(2, mod.get(), b1->weight, b1->bias, b1->running_mean, b1->running_var);
    }
}

void die(const std::string& why) {
    std::fprintf(stderr, "typenet_perf (libtorch): %s\n", why.c_str());
    std::abort();
}

void load(model_id m, nn::Sequential& body, const weights& w) {
    torch::NoGradGuard ng;
    std::size_t i = 0;
    bool first_linear = true;
    auto next = [&]() -> const array& {
        if (i >= w.size()) die("too few weight arrays");
        return w[i++];
    };
    for_each_param_module(body, [&](int kind, nn::Module*, torch::Tensor wt, torch::Tensor bias, torch::Tensor mean,
                                     torch::Tensor var) {
        if (kind == 0) {  // (kh, kw, in, out) -> (out, in, kh, kw)
            const array& k = next();
            wt.copy_(tensor_of(k.values, k.shape).permute({3, 2, 0, 1}));
            const array& b = next();
            bias.copy_(tensor_of(b.values, b.shape));
        } else if (kind == 1) {  // (in, out) -> (out, in), rows of the first one reordered (h, w, c) -> (c, h, w)
            const array& k = next();
            torch::Tensor t = tensor_of(k.values, k.shape);
            if (first_linear) {
                const auto p = flatten_permutation(flatten_of(m));
                torch::Tensor reordered = torch::empty_like(t);
                reordered.index_copy_(0, torch::tensor(p, torch::kInt64), t);
                t = reordered;
                first_linear = false;
            }
            wt.copy_(t.t());
            const array& b = next();
            bias.copy_(tensor_of(b.values, b.shape));
        } else {  // gamma, beta, moving_mean, moving_variance
            wt.copy_(tensor_of(next().values, {wt.size(0)}));
            bias.copy_(tensor_of(next().values, {bias.size(0)}));
            mean.copy_(tensor_of(next().values, {mean.size(0)}));
            var.copy_(tensor_of(next().values, {var.size(0)}));
        }
    });
    if (i != w.size()) die("weight arrays left over");
}

// The inverse of load: the model's parameters in Keras' layouts (names and shapes from `like`).
weights save(model_id m, nn::Sequential& body, const weights& like) {
    weights out = like;
    std::size_t i = 0;
    bool first_linear = true;
    auto put = [&](torch::Tensor t) {
        t = t.detach().contiguous();
        auto& a = out[i++];
        a.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    };
    for_each_param_module(body, [&](int kind, nn::Module*, torch::Tensor wt, torch::Tensor bias, torch::Tensor mean,
                                     torch::Tensor var) {
        if (kind == 0) {
            put(wt.permute({2, 3, 1, 0}));
            put(bias);
        } else if (kind == 1) {
            torch::Tensor t = wt.t();  // (in, out) in torch's input order
            if (first_linear) {
                const auto p = flatten_permutation(flatten_of(m));
                t = t.index_select(0, torch::tensor(p, torch::kInt64));
                first_linear = false;
            }
            put(t);
            put(bias);
        } else {
            put(wt);
            put(bias);
            put(mean);
            put(var);
        }
    });
    return out;
}

torch::Tensor nchw(const float* x_nhwc, const input_dims& in, int n) {
    return torch::from_blob(const_cast<float*>(x_nhwc), {n, in.h, in.w, in.c}, torch::kFloat32)
        .permute({0, 3, 1, 2})
        .contiguous();
}

std::vector<float> random_inputs(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<float> x(count);
    for (auto& v : x) v = u(rng);
    return x;
}

// Intra-op threads for ATen (OpenMP) and for the BLAS behind Linear (blas < 1: as many).
void use_threads(int n, int blas = 0) {
    at::set_num_threads(n);
    set_blas_threads(blas >= 1 ? blas : n);
}

}  // namespace

std::string describe() {
    std::ostringstream s;
    s << "libtorch " << TORCH_VERSION << ", MKLDNN " << (at::hasMKLDNN() ? "on" : "off");
    const std::string cfg = at::show_config();
    for (const char* key : {"BLAS_INFO=", "LAPACK_INFO="}) {
        const auto p = cfg.find(key);
        if (p != std::string::npos) s << ", " << cfg.substr(p, cfg.find_first_of(",\n", p) - p);
    }
    const std::string par = at::get_parallel_info();
    const auto p = par.find("ATen parallel backend:");
    if (p != std::string::npos) s << ", " << par.substr(p, par.find('\n', p) - p);
    return s.str();
}

std::vector<float> predict(model_id m, const weights& w, const float* x_nhwc, const input_dims& in, int n) {
    use_threads(1);
    nn::Sequential body = build(m);
    load(m, body, w);
    body->eval();
    torch::InferenceMode guard;
    torch::Tensor y = torch::softmax(body->forward(nchw(x_nhwc, in, n)), 1).contiguous();
    return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

stats infer(model_id m, const weights& w, const input_dims& in, int batch, int threads, const options& opt,
            int blas_threads) {
    use_threads(threads, blas_threads);
    nn::Sequential body = build(m);
    load(m, body, w);
    body->eval();
    torch::InferenceMode guard;
    const std::vector<float> xs = random_inputs(std::size_t(batch) * in.size(), 11);
    const torch::Tensor x = nchw(xs.data(), in, batch);
    stats s = measure(opt, [&] {
        torch::Tensor y = torch::softmax(body->forward(x), 1);
        (void)y;
    });
    use_threads(1);
    return s;
}

namespace {
struct trainer {
    static constexpr int nbatches = 8;
    nn::Sequential body;
    std::unique_ptr<torch::optim::Optimizer> opt;
    std::vector<torch::Tensor> xs, ts;
    int next = 0;
    trainer(model_id m, const weights& w, const input_dims& in, bool adam, int batch, double adam_eps = 1e-7)
        : body(build(m)) {
        load(m, body, w);
        body->train();
        if (adam) opt = std::make_unique<torch::optim::Adam>(body->parameters(), torch::optim::AdamOptions(1e-3).eps(adam_eps));
        else opt = std::make_unique<torch::optim::SGD>(body->parameters(), torch::optim::SGDOptions(0.01));
        std::mt19937_64 rng(5);
        for (int b = 0; b < nbatches; ++b) {
            const std::vector<float> x = random_inputs(std::size_t(batch) * in.size(), 21 + std::uint64_t(b));
            xs.push_back(nchw(x.data(), in, batch));
            std::vector<std::int64_t> t(static_cast<std::size_t>(batch));
            for (auto& v : t) v = std::int64_t(rng() % 10);
            ts.push_back(torch::tensor(t, torch::kInt64));
        }
    }
    double step(const torch::Tensor& x, const torch::Tensor& t) {
        opt->zero_grad();
        torch::Tensor loss = F::cross_entropy(body->forward(x), t);
        loss.backward();
        opt->step();
        return loss.item<double>();
    }
    void step() {
        step(xs[std::size_t(next)], ts[std::size_t(next)]);
        next = (next + 1) % nbatches;
    }
};
}  // namespace

stats train(model_id m, const weights& w, const input_dims& in, bool adam, int batch, int threads, const options& opt,
            int blas_threads) {
    use_threads(threads, blas_threads);
    trainer tr(m, w, in, adam, batch);
    stats s = measure(opt, [&] { tr.step(); });
    use_threads(1);
    return s;
}

step_result train_step(model_id m, bool adam, const weights& w, const float* x_nhwc, const input_dims& in,
                       const std::int32_t* labels, int n) {
    use_threads(1);
    // Keras adds epsilon to sqrt(v), torch to sqrt(v_hat) = sqrt(v / (1 - beta_2^t)): on the first
    // step Keras' 1e-7 is torch's 1e-7 / sqrt(1 - 0.999), which makes the two updates identical.
    trainer tr(m, w, in, adam, 1, 1e-7 / std::sqrt(1.0 - 0.999));
    std::vector<std::int64_t> t(labels, labels + n);
    step_result r;
    r.loss = tr.step(nchw(x_nhwc, in, n), torch::tensor(t, torch::kInt64));
    r.after = save(m, tr.body, w);
    return r;
}

layer_timing layer(const layer_desc& d, int batch, bool first_layer, const options& opt) {
    use_threads(1);
    layer_timing r;
    std::shared_ptr<nn::Module> keep;
    std::function<torch::Tensor(const torch::Tensor&)> fwd;
    torch::Tensor x;
    if (d.kind == "conv2d") {
        // TensorFlow's asymmetric "same" padding: the larger side on both (same output size, same FLOPs).
        const int ph = std::max(d.pad_t, d.pad_b), pw = std::max(d.pad_l, d.pad_r);
        nn::Conv2d c(nn::Conv2dOptions(d.c, d.f, {d.kh, d.kw}).stride({d.sh, d.sw}).padding({ph, pw}));
        x = torch::rand({batch, d.c, d.h, d.w});
        if (c->forward(x).size(2) != d.oh || c->forward(x).size(3) != d.ow) return r;
        keep = c.ptr();
        fwd = [c](const torch::Tensor& t) mutable { return c->forward(t); };
    } else if (d.kind == "dense") {
        nn::Linear l(d.k, d.u);
        x = torch::rand({batch, d.k});
        keep = l.ptr();
        fwd = [l](const torch::Tensor& t) mutable { return l->forward(t); };
    } else {
        return r;
    }
    auto act = [&d](torch::Tensor y) {
        if (d.activation == "relu") return torch::relu(y);
        if (d.activation == "softmax") return torch::softmax(y, 1);
        return y;
    };
    {
        torch::InferenceMode guard;
        r.fwd = measure(opt, [&] { (void)act(fwd(x)); });
    }
    torch::Tensor xg = x.clone().requires_grad_(!first_layer);
    torch::Tensor dy = torch::rand_like(fwd(x).detach());
    r.fwd_bwd = measure(opt, [&] {
        for (auto& p : keep->parameters()) p.mutable_grad() = torch::Tensor();
        if (xg.requires_grad()) xg.mutable_grad() = torch::Tensor();
        act(fwd(xg)).backward(dy);
    });
    r.ok = true;
    return r;
}

}  // namespace perf::torch_side
