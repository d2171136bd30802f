// bench/perf/typenet_side.cpp: typenet's measurements for typenet_perf. Only public API plus the
// cpu policy's backward kernel (for the per-layer backward timings).
#include "typenet_side.hpp"

#include <random>
#include <type_traits>
#include <utility>

#include <typenet/typenet.hpp>

#include "seed_models.hpp"

namespace perf::tn_side {
namespace tn = typenet;

const char* kernels() { return tn::cpu_kernels_name(); }

namespace {

template <class Net>
using model_t = tn::model<Net, tn::cpu, float>;

// Call f(std::type_identity<Net>{}) with the model's network type.
template <class F>
decltype(auto) with_net(model_id m, F&& f) {
    switch (m) {
        case model_id::m1: return f(std::type_identity<seed::m1>{});
        case model_id::m2: return f(std::type_identity<seed::m2>{});
        case model_id::m8: return f(std::type_identity<seed::m8>{});
        case model_id::m10: break;
    }
    return f(std::type_identity<seed::m10>{});
}

template <class T>
weights to_perf(const std::vector<tn::weight_array<T>>& ws) {
    weights out;
    for (const auto& w : ws) {
        array a;
        a.layer = w.layer;
        a.name = w.name;
        a.shape.assign(w.shape.begin(), w.shape.end());
        a.values.assign(w.values.begin(), w.values.end());
        out.push_back(std::move(a));
    }
    return out;
}

template <class Model>
void set_perf_weights(Model& m, const weights& w) {
    std::vector<tn::weight_array<float>> ws;
    for (const auto& a : w) {
        tn::weight_array<float> t;
        t.layer = a.layer;
        t.name = a.name;
        t.shape.assign(a.shape.begin(), a.shape.end());
        t.values = a.values;
        ws.push_back(std::move(t));
    }
    if (auto s = m.set_weights(ws); !s) {
        std::fprintf(stderr, "typenet_perf: set_weights failed: %s\n", s.message().c_str());
        std::abort();
    }
}

std::vector<float> random_inputs(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<float> x(count);
    for (auto& v : x) v = u(rng);
    return x;
}

template <class S>
struct input_for;
template <tn::index_t... Ds>
struct input_for<tn::shape<Ds...>> {
    using type = tn::input<Ds...>;
};

template <class A>
const char* activation_name() {
    if constexpr (std::is_same_v<A, tn::relu>) return "relu";
    else if constexpr (std::is_same_v<A, tn::softmax>) return "softmax";
    else if constexpr (std::is_same_v<A, tn::linear>) return "linear";
    else if constexpr (std::is_same_v<A, tn::sigmoid>) return "sigmoid";
    else if constexpr (std::is_same_v<A, tn::tanh>) return "tanh";
    else return "other";
}

template <class S>
std::string shape_text() {
    // append, not `(i ? "," : "") + to_string(...)`: g++ 12 -O3 warns (-Wrestrict, a false positive
    // of its std::string operator+) on that form once inlined.
    std::string s = "(";
    for (std::size_t i = 0; i < S::extents.size(); ++i) {
        if (i) s.push_back(',');
        s.append(std::to_string(S::extents[i]));
    }
    s.push_back(')');
    return s;
}

}  // namespace

input_dims input_of(model_id m) {
    return with_net(m, [](auto t) {
        using Net = typename decltype(t)::type;
        using S = typename Net::input_shape_t;
        return input_dims{int(S::extents[0]), int(S::extents[1]), int(S::extents[2])};
    });
}
int output_size(model_id m) {
    return with_net(m, [](auto t) { return int(decltype(t)::type::output_shape_t::size); });
}
std::int64_t param_count(model_id m) {
    return with_net(m, [](auto t) { return std::int64_t(decltype(t)::type::param_count); });
}
double flops_per_sample(model_id m) {
    return with_net(m, [](auto t) { return double(decltype(t)::type::flops); });
}

weights initial_weights(model_id m, std::uint64_t seed) {
    return with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        model_t<Net> mod(tn::cpu{1}, seed);
        return to_perf(mod.get_weights());
    });
}

std::vector<float> predict(model_id m, const weights& w, const float* x, int n) {
    return with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        using In = typename Net::input_shape_t;
        using Out = typename Net::output_shape_t;
        model_t<Net> mod(tn::cpu{1});
        set_perf_weights(mod, w);
        std::vector<float> y(std::size_t(n) * Out::size);
        mod.forward(tn::tensor_view<const float, In>(x, n), tn::tensor_view<float, Out>(y.data(), n));
        return y;
    });
}

stats infer(model_id m, int batch, int threads, const options& opt, bool data_parallel) {
    return with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        using In = typename Net::input_shape_t;
        using Out = typename Net::output_shape_t;
        const std::vector<float> x = random_inputs(std::size_t(batch) * In::size, 11);
        std::vector<float> y(std::size_t(batch) * Out::size);
        if (!data_parallel) {  // one model, the cpu policy's own threads
            model_t<Net> mod(tn::cpu{threads}, 7);
            mod.reserve(batch);
            return measure(opt, [&] {
                mod.forward(tn::tensor_view<const float, In>(x.data(), batch), tn::tensor_view<float, Out>(y.data(), batch));
            });
        }
        std::vector<std::unique_ptr<model_t<Net>>> models;  // one single-threaded model per thread
        for (int i = 0; i < threads; ++i) {
            models.push_back(std::make_unique<model_t<Net>>(tn::cpu{1}, 7));  // same seed: same weights
            models.back()->reserve(batch);
        }
        team crew(threads);
        return measure(opt, [&] {
            crew.run([&](int i) {
                const auto [lo, hi] = share(batch, i, threads);
                if (hi > lo)
                    models[std::size_t(i)]->forward(tn::tensor_view<const float, In>(x.data() + lo * In::size, hi - lo),
                                                    tn::tensor_view<float, Out>(y.data() + lo * Out::size, hi - lo));
            });
        });
    });
}

namespace {
template <class Net>
struct trainer {
    using In = typename Net::input_shape_t;
    static constexpr int nbatches = 8;
    model_t<Net> mod;
    std::vector<float> x, t;
    int batch, next = 0;
    trainer(bool adam, int b, int threads) : mod(tn::cpu{threads}, 7), batch(b) {
        if (adam) mod.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
        else mod.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{});
        x = random_inputs(std::size_t(nbatches) * std::size_t(b) * In::size, 21);
        std::mt19937_64 rng(5);
        t.resize(std::size_t(nbatches) * std::size_t(b));
        for (auto& v : t) v = float(rng() % Net::output_shape_t::size);
        mod.reserve_training(b);
    }
    const float* xb() const { return x.data() + std::size_t(next) * std::size_t(batch) * In::size; }
    const float* tb() const { return t.data() + std::size_t(next) * std::size_t(batch); }
    void step() {
        mod.train_on_batch(xb(), tb(), batch);
        next = (next + 1) % nbatches;
    }
};
}  // namespace

stats train(model_id m, bool adam, int batch, int threads, const options& opt) {
    return with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        trainer<Net> tr(adam, batch, threads);
        return measure(opt, [&] { tr.step(); });
    });
}

train_split train_breakdown(model_id m, bool adam, int batch, const options& opt) {
    return with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        trainer<Net> tr(adam, batch, 1);
        std::mt19937_64 rng(3);
        train_split s;
        s.step = measure(opt, [&] { tr.step(); });
        s.forward = measure(opt, [&] {
            tn::train_context ctx{true, true, false, &rng};
            tr.mod.train_forward(tr.xb(), batch, ctx);
        });
        s.forward_backward = measure(opt, [&] {
            tn::train_context ctx{true, true, false, &rng};
            tr.mod.train_forward(tr.xb(), batch, ctx);
            ctx.logits_grad = true;  // as the fused softmax + cross-entropy gradient does
            tr.mod.backward(tr.xb(), batch, ctx);
        });
        return s;
    });
}

step_result train_step(model_id m, bool adam, const weights& w, const float* x, const std::int32_t* labels, int n) {
    return with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        model_t<Net> mod(tn::cpu{1});
        set_perf_weights(mod, w);
        if (adam) mod.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
        else mod.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{});
        std::vector<float> tgt(labels, labels + n);
        step_result r;
        r.loss = mod.train_on_batch(x, tgt.data(), n);
        r.after = to_perf(mod.get_weights());
        return r;
    });
}

namespace {

template <class Net, std::size_t I>
void time_layer(std::vector<layer_timing>& out, const char* model, const std::vector<std::string>& names, int batch,
                bool all_layers, const options& opt) {
    using L = typename Net::template layer_type<I>;
    using In = typename Net::template layer_input_t<I>;
    using Out = typename Net::template layer_output_t<I>;
    using cat = typename L::category;
    constexpr bool is_conv = std::is_same_v<cat, tn::conv2d_tag>, is_dense = std::is_same_v<cat, tn::dense_tag>;
    if (!all_layers && !is_conv && !is_dense) return;
    if constexpr (!std::is_base_of_v<tn::layer_base, L>) {
        return;  // composites (path / residual) are not timed alone
    } else {
        using single = tn::sequential<typename input_for<In>::type, L>;
        layer_timing r;
        r.desc.model = model;
        r.desc.name = I < names.size() ? names[I] : L::name;
        r.desc.kind = is_conv ? "conv2d" : is_dense ? "dense" : L::name;
        r.desc.shape_in = shape_text<In>();
        r.desc.shape_out = shape_text<Out>();
        r.desc.flops = double(single::flops);
        if constexpr (is_conv) {
            r.desc.h = int(In::extents[0]), r.desc.w = int(In::extents[1]), r.desc.c = int(In::extents[2]);
            r.desc.oh = int(Out::extents[0]), r.desc.ow = int(Out::extents[1]), r.desc.f = int(L::filters);
            r.desc.kh = int(L::kh), r.desc.kw = int(L::kw), r.desc.sh = int(L::sh), r.desc.sw = int(L::sw);
            r.desc.pad_t = int(tn::pad_before(In::extents[0], L::kh, L::sh, L::pad));
            r.desc.pad_b = int(tn::pad_after(In::extents[0], L::kh, L::sh, L::pad));
            r.desc.pad_l = int(tn::pad_before(In::extents[1], L::kw, L::sw, L::pad));
            r.desc.pad_r = int(tn::pad_after(In::extents[1], L::kw, L::sw, L::pad));
            r.desc.activation = activation_name<typename L::activation>();
        } else if constexpr (is_dense) {
            r.desc.k = int(In::size), r.desc.u = int(L::units);
            r.desc.activation = activation_name<typename L::activation>();
        }
        model_t<single> mod(tn::cpu{1}, 13);
        mod.reserve(batch);
        const std::vector<float> x = random_inputs(std::size_t(batch) * In::size, 17);
        std::vector<float> y(std::size_t(batch) * Out::size);
        r.fwd_flops = double(single::flops) * batch;
        r.fwd = measure(opt, [&] {
            mod.forward(tn::tensor_view<const float, In>(x.data(), batch), tn::tensor_view<float, Out>(y.data(), batch));
        });
        // Backward: the cpu policy's kernel after its training-mode forward pass (batch norm's batch
        // statistics, dropout's mask), with a random output gradient; an input gradient unless the
        // layer is the model's first (as in backward_chain).
        {
            double macs = 0;
            if constexpr (is_conv) macs = double(Out::size) * double(L::kh * L::kw * In::extents[2]);
            else if constexpr (is_dense) macs = double(In::size) * double(L::units);
            r.bwd_has_dx = I > 0;
            r.bwd_flops = 2 * macs * batch * (r.bwd_has_dx ? 2 : 1);
            const std::vector<float> dy0 = random_inputs(y.size(), 19);
            std::vector<float> dy(dy0), dx(r.bwd_has_dx ? x.size() : 0), grads(std::size_t(single::param_count));
            std::vector<float> params(mod.parameters().begin(), mod.parameters().end());
            std::vector<float> state(std::size_t(L::train_state(In::value) * batch) + 1),
                fixed(std::size_t(L::train_state_fixed(In::value)) + 1), ty(y.size());
            std::mt19937_64 rng(1);
            tn::cpu pol{1};
            tn::train_context ctx{true, true, false, &rng};
            pol.template train_forward<L, In, Out, float>(params.data(), x.data(), ty.data(), batch, state.data(),
                                                          fixed.data(), ctx);
            r.bwd = measure(opt, [&] {
                std::copy(dy0.begin(), dy0.end(), dy.begin());  // the kernel may overwrite dy
                pol.template backward<L, In, Out, float>(params.data(), grads.data(), x.data(), ty.data(), dy.data(),
                                                         r.bwd_has_dx ? dx.data() : nullptr, batch, state.data(),
                                                         fixed.data(), ctx, false);
            });
        }
        out.push_back(std::move(r));
    }
}

template <class Net, std::size_t... I>
void time_layers(std::vector<layer_timing>& out, const char* model, int batch, bool all_layers, const options& opt,
                 std::index_sequence<I...>) {
    const auto names = tn::detail::keras_names(Net::summary_rows);
    (time_layer<Net, I>(out, model, names, batch, all_layers, opt), ...);
}

}  // namespace

std::vector<layer_timing> layers(model_id m, int batch, bool all_layers, const options& opt) {
    std::vector<layer_timing> out;
    with_net(m, [&](auto t) {
        using Net = typename decltype(t)::type;
        time_layers<Net>(out, model_name(m), batch, all_layers, opt, std::make_index_sequence<Net::layer_count>{});
        return 0;
    });
    return out;
}

}  // namespace perf::tn_side
