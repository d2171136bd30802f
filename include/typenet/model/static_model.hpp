// static_model and rom_model: a network type with its activation arena inside the object -- no heap,
// no threads, no files; they compile bare-metal (typenet/embedded.hpp). static_model<Net, MaxBatch, T>
// keeps its parameters inside the object too; rom_model<Net, MaxBatch, T> reads them in place from
// read-only memory. Both run inference and move weights in Keras' get_weights() order and layouts;
// with the hosted headers (model/model_io.hpp) they also load and save .npz files and print Keras'
// summary. model<Net, Policy, T> (model/model.hpp) shares all of it and owns its parameters on the heap.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../backend/cpu/basic_policy.hpp"
#include "../core/status.hpp"
#include "../core/tensor.hpp"
#include "../core/train_context.hpp"
#include "sequential.hpp"
#include "training.hpp"

namespace typenet {

// One parameter array as Keras' get_weights() returns it.
template <class T>
struct weight_array {
    std::string layer;                 // Keras-style layer name: "conv2d_1"
    std::string name;                  // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"
    std::vector<index_t> shape;        // Keras layout: conv (kh, kw, in, out), dense (in, out)
    std::vector<T> values;             // C order
};

namespace detail {

inline std::string shape_string(const index_t* d, std::size_t rank) {
    std::string s = "(";
    for (std::size_t i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + (rank == 1 ? ",)" : ")");
}
inline std::string shape_string(const dims& d) { return shape_string(d.e, std::size_t(d.rank)); }
inline std::string shape_string(const std::vector<index_t>& d) { return shape_string(d.data(), d.size()); }
inline std::string shape_string(const std::vector<std::int64_t>& d, int) {
    std::vector<index_t> v(d.begin(), d.end());
    return shape_string(v);
}

// Keras' default initialisers: glorot_uniform kernels, zero biases, BN gamma 1, beta 0,
// moving mean 0, moving variance 1. Deterministic for a given seed.
template <class T>
void keras_initialize(const param_block& b, T* out, std::mt19937_64& rng) {
    const index_t n = b.shape.size();
    const std::string_view name = b.name;
    if (b.init == param_init::uniform_005) {  // Keras' Embedding: uniform(-0.05, 0.05)
        std::uniform_real_distribution<double> u(-0.05, 0.05);
        for (index_t i = 0; i < n; ++i) out[i] = T(u(rng));
    } else if (b.init == param_init::unit_forget_bias) {  // LSTM: gates i f c o, forget bias 1
        const index_t u = n / 4;
        for (index_t i = 0; i < n; ++i) out[i] = T(i >= u && i < 2 * u ? 1 : 0);
    } else if (b.init == param_init::orthogonal) {
        // Keras' Orthogonal on (units, k * units): rows of a normal matrix made orthonormal
        // (Gram-Schmidt, twice for accuracy), as the Q of its QR decomposition.
        const index_t rows = b.shape.e[0], cols = n / rows;
        std::normal_distribution<double> g(0.0, 1.0);
        std::vector<double> q(static_cast<std::size_t>(n));
        for (auto& v : q) v = g(rng);
        for (index_t r = 0; r < rows; ++r) {
            double* qr = q.data() + r * cols;
            for (int pass = 0; pass < 2; ++pass)
                for (index_t p = 0; p < r; ++p) {
                    const double* qp = q.data() + p * cols;
                    double d = 0;
                    for (index_t c = 0; c < cols; ++c) d += qr[c] * qp[c];
                    for (index_t c = 0; c < cols; ++c) qr[c] -= d * qp[c];
                }
            double norm = 0;
            for (index_t c = 0; c < cols; ++c) norm += qr[c] * qr[c];
            norm = std::sqrt(norm);
            for (index_t c = 0; c < cols; ++c) qr[c] = norm > 0 ? qr[c] / norm : 0;
        }
        for (index_t i = 0; i < n; ++i) out[i] = T(q[std::size_t(i)]);
    } else if (name == "kernel") {
        index_t fan_in = 1, fan_out = 1;
        if (b.shape.rank >= 2) {
            index_t receptive = 1;
            for (int i = 0; i + 2 < b.shape.rank; ++i) receptive *= b.shape.e[i];
            fan_in = receptive * b.shape.e[b.shape.rank - 2];
            fan_out = receptive * b.shape.e[b.shape.rank - 1];
        }
        const double limit = std::sqrt(6.0 / double(fan_in + fan_out));
        std::uniform_real_distribution<double> u(-limit, limit);
        for (index_t i = 0; i < n; ++i) out[i] = T(u(rng));
    } else {
        const T v = (name == "gamma" || name == "moving_variance") ? T(1) : T(0);
        std::fill(out, out + n, v);
    }
}

// Token ids as a tokenizer and pad_sequences give them (std::int32_t), for a network that starts
// with tokens<len>: the model reads them as exact values of its element type.
template <class X>
concept int_token_tensor = requires {
    typename X::value_type;
    typename X::shape_type;
} && std::is_same_v<std::remove_const_t<typename X::value_type>, std::int32_t>;
template <class Net>
concept token_network = requires {
    { Net::token_input } -> std::convertible_to<bool>;
} && Net::token_input;
template <class T, class X>
batch<T, typename X::shape_type> token_values(const X& ids) {
    batch<T, typename X::shape_type> b(ids.samples());
    const index_t count = ids.samples() * X::shape_type::size;
    for (index_t i = 0; i < count; ++i) b.data()[i] = T(ids.data()[i]);
    return b;
}

// io forwards here (model/model_io.hpp defines it).
template <class Net, class T>
struct model_io;

// Inference of n samples, MaxBatch at a time, on one thread and the given arena (cpu_serial: no
// worker threads, no allocation).
template <class Net, index_t MaxBatch, class T>
void run_serial(const T* params, T* arena, const T* x, T* y, index_t n) {
    if constexpr (Net::valid)
        for (index_t i = 0; i < n; i += MaxBatch) {
            const index_t k = std::min(MaxBatch, n - i);
            cpu_serial pol{};
            detail::run_chain<T, typename Net::chain>(pol, params, Net::plan.param_offset, x + i * Net::input_shape_t::size,
                                                      y + i * Net::output_shape_t::size, k, arena);
        }
}

// Everything the model kinds share; Derived provides read/write of its parameters (host memory or
// its policy's buffer) and run(x, y, n). What needs files or text (npz, summaries) is forwarded
// to model_io<Net, T>, defined by model/model_io.hpp: a bare-metal program that never calls
// those never includes it.
template <class Derived, class Net, class T>
class model_base {
public:
    using network_type = Net;
    using value_type = T;
    using input_shape_t = typename Net::input_shape_t;
    using output_shape_t = typename Net::output_shape_t;
    static constexpr index_t param_count = Net::param_count;

    // ---- inference -------------------------------------------------------------------------------
    // x: n samples of the input shape -> y: n samples of the output shape (n may be 0). The views
    // point into the policy's memory: host memory for cpu, device memory for cuda. predict()
    // takes host tensors with every policy (a device policy stages them through its buffers).
    template <class XS, class YS, class TX, class TY>
    void forward(tensor_view<TX, XS> x, tensor_view<TY, YS> y) {
        static_assert(diag::check_v<std::is_same_v<XS, input_shape_t>,
                                    diag::input_shape_mismatch<expected<input_shape_t>, got<XS>>>);
        static_assert(diag::check_v<std::is_same_v<YS, output_shape_t>,
                                    diag::output_shape_mismatch<expected<output_shape_t>, got<YS>>>);
        TYPENET_ASSERT(x.samples() == y.samples(), "typenet: forward needs as many output samples as inputs");
        if constexpr (std::is_same_v<XS, input_shape_t> && std::is_same_v<YS, output_shape_t>)
            self().run(x.data(), y.data(), x.samples());
    }

    // One sample in, one sample out (in-object tensors: no heap).
    template <class S>
    tensor<T, output_shape_t> predict(const tensor<T, S>& x) {
        static_assert(diag::check_v<std::is_same_v<S, input_shape_t>,
                                    diag::input_shape_mismatch<expected<input_shape_t>, got<S>>>);
        tensor<T, output_shape_t> y;
        if constexpr (std::is_same_v<S, input_shape_t>) self().run_host(x.data(), y.data(), 1);
        return y;
    }
    // A batch of n samples (run-time n, 0 allowed).
    template <class S>
    batch<T, output_shape_t> predict(const batch<T, S>& x) {
        static_assert(diag::check_v<std::is_same_v<S, input_shape_t>,
                                    diag::input_shape_mismatch<expected<input_shape_t>, got<S>>>);
        batch<T, output_shape_t> y(x.samples());
        if constexpr (std::is_same_v<S, input_shape_t>) self().run_host(x.data(), y.data(), x.samples());
        return y;
    }
    // Token ids (networks that start with tokens<len>): the same, from std::int32_t ids.
    template <class S>
        requires detail::token_network<Net>
    tensor<T, output_shape_t> predict(const tensor<std::int32_t, S>& ids) {
        tensor<T, S> x;
        for (index_t i = 0; i < S::size; ++i) x[i] = T(ids[i]);
        return predict(x);
    }
    template <class S>
        requires detail::token_network<Net>
    batch<T, output_shape_t> predict(const batch<std::int32_t, S>& ids) {
        return predict(detail::token_values<T>(ids));
    }
    template <class S, class U>
    batch<T, output_shape_t> predict(tensor_view<U, S> x) {
        static_assert(diag::check_v<std::is_same_v<S, input_shape_t>,
                                    diag::input_shape_mismatch<expected<input_shape_t>, got<S>>>);
        batch<T, output_shape_t> y(x.samples());
        if constexpr (std::is_same_v<S, input_shape_t>) self().run_host(x.data(), y.data(), x.samples());
        return y;
    }

    // ---- weights in Keras get_weights() order ---------------------------------------------------------
    static constexpr std::size_t weight_count = Net::param_blocks.size();

    // Keras-style names of the layers that own each parameter array ("conv2d_1").
    static std::vector<std::string> layer_names() { return model_io<Net, T>::layer_names(); }

    std::vector<weight_array<T>> get_weights() const {
        std::vector<T> flat(static_cast<std::size_t>(param_count));
        self().read_params(flat.data());
        const auto names = layer_names();
        std::vector<weight_array<T>> out;
        for (std::size_t i = 0; i < weight_count; ++i) {
            const auto& b = Net::param_blocks[i];
            weight_array<T> w;
            w.layer = names[std::size_t(b.row)];
            w.name = b.name;
            w.shape.assign(b.shape.e, b.shape.e + b.shape.rank);
            w.values.assign(flat.begin() + Net::block_offsets[i], flat.begin() + Net::block_offsets[i + 1]);
            out.push_back(std::move(w));
        }
        return out;
    }

    // All-or-nothing: on any mismatch nothing is changed and the error names the layer and shapes.
    status set_weights(const std::vector<weight_array<T>>& ws) { return model_io<Net, T>::set_weights(*this, ws); }

    // Loads a file written by np.savez(path, *keras_model.get_weights()) (or savez_compressed).
    // Path: anything std::filesystem::path is made from. File formats are opt-in
    // (<typenet/model/model_io.hpp>, which <typenet/typenet.hpp> includes).
    template <class Path>
    status load_npz(const Path& path) {
        return model_io<Net, T>::load_npz(*this, path);
    }
    // Writes arr_0 ... arr_{K-1} in get_weights() order: np.load(path) reads it back.
    template <class Path>
    status save_npz(const Path& path) const {
        return model_io<Net, T>::save_npz(*this, path);
    }

    // Keras' initialisers (glorot_uniform kernels, zero biases, BN identity), seeded.
    void initialize(std::uint64_t seed = 0) {
        std::vector<T> flat(static_cast<std::size_t>(param_count));
        std::mt19937_64 rng(seed);
        for (std::size_t i = 0; i < weight_count; ++i)
            keras_initialize(Net::param_blocks[i], flat.data() + Net::block_offsets[i], rng);
        self().write_params(flat.data());
    }

    // Keras' summary table. To std::cout it fits the terminal's width (min(88, columns - 4), as
    // Keras); to anything else it is 88 columns wide; line_length > 0 chooses (at least 40).
    template <class Os>
    void summary(Os& os, std::string_view name = "sequential", int line_length = 0) const {
        model_io<Net, T>::summary(os, name, line_length);
    }

    // Parameter array P (0 = kernel, 1 = bias, ...) of top-level layer I, with its exact shape.
    template <std::size_t I, std::size_t P>
    static constexpr std::size_t block_index() {
        static_assert(diag::check_v<(I < Net::layer_count), diag::no_such_layer_or_param<param_index<index_t(I)>, param_index<index_t(Net::layer_count)>>>);
        if constexpr (I < Net::layer_count) {
            constexpr int count = detail::ops<typename Net::template layer_type<I>>::block_count();
            static_assert(diag::check_v<(int(P) < count), diag::no_such_layer_or_param<at_layer<index_t(I), typename Net::template layer_type<I>>, param_index<index_t(P)>>>);
            return Net::layer_first_block[I] + P;
        } else {
            return 0;
        }
    }
    template <std::size_t I, std::size_t P>
    using weight_shape_t = TYPENET_SHAPE_OF(Net::param_blocks[block_index<I, P>()].shape);

    // Assign one parameter array from a typed tensor; a wrong shape is a compile error.
    template <std::size_t I, std::size_t P>
    static constexpr bool has_block() {
        if constexpr (I < Net::layer_count)
            return int(P) < detail::ops<typename Net::template layer_type<I>>::block_count();
        else
            return false;
    }
    template <std::size_t I, std::size_t P, class S, class Tensor>
    void set_weight_checked(const Tensor& t) {
        if constexpr (!has_block<I, P>()) {
            (void)block_index<I, P>();  // reports no_such_layer_or_param, and nothing else
        } else {
        using E = weight_shape_t<I, P>;
        static_assert(diag::check_v<std::is_same_v<S, E>,
                                    diag::weight_shape_mismatch<at_layer<index_t(I), typename Net::template layer_type<I>>,
                                                                param_index<index_t(P)>, expected<E>, got<S>>>);
        if constexpr (std::is_same_v<S, E>) {
            constexpr std::size_t k = block_index<I, P>();
            self().write_block(t.data(), Net::block_offsets[k], E::size);
        }
        }
    }
    template <std::size_t I, std::size_t P, class S>
    void set_weight(const tensor<T, S>& t) { set_weight_checked<I, P, S>(t); }
    template <std::size_t I, std::size_t P, class S>
    void set_weight(const heap_tensor<T, S>& t) { set_weight_checked<I, P, S>(t); }
    template <std::size_t I, std::size_t P>
    heap_tensor<T, weight_shape_t<I, P>> get_weight() const {
        constexpr std::size_t k = block_index<I, P>();
        heap_tensor<T, weight_shape_t<I, P>> t;
        self().read_block(t.data(), Net::block_offsets[k], t.size());
        return t;
    }

protected:
    template <class, class>
    friend struct model_io;
    std::vector<T> flat_parameters() const {
        std::vector<T> flat(static_cast<std::size_t>(param_count));
        self().read_params(flat.data());
        return flat;
    }

    // Validate everything first, convert into a staging copy, then write: all or nothing.
    // arrays: io::npy_array (model/model_io.hpp), in get_weights() order or named arr_0, arr_1, ...
    template <class Arrays>
    status set_weights_from(const Arrays& arrays, const std::string& source) {
        const auto names = layer_names();
        if (arrays.size() != weight_count)
            return status::error(source + ": expected " + std::to_string(weight_count) +
                                 " arrays (Keras get_weights() order) but found " + std::to_string(arrays.size()) +
                                 "; model unchanged");
        // np.savez(*arrays) names members arr_0, arr_1, ...: use that index when every member has it.
        std::vector<std::size_t> order(arrays.size());
        bool numbered = true;
        for (std::size_t i = 0; i < arrays.size(); ++i) {
            const std::string& n = arrays[i].name;
            std::size_t k = 0;
            bool ok = n.rfind("arr_", 0) == 0 && n.size() > 4 && n.size() < 12;
            for (std::size_t c = 4; ok && c < n.size(); ++c) {
                ok = n[c] >= '0' && n[c] <= '9';
                k = k * 10 + std::size_t(n[c] - '0');
            }
            if (!ok || k >= arrays.size()) numbered = false;
            else order[k] = i;
        }
        if (!numbered)
            for (std::size_t i = 0; i < arrays.size(); ++i) order[i] = i;

        std::vector<T> staged(static_cast<std::size_t>(param_count));
        std::vector<T> values;
        for (std::size_t i = 0; i < weight_count; ++i) {
            const auto& b = Net::param_blocks[i];
            const auto& a = arrays[order[i]];
            const std::string where = source + ": array '" + a.name + "' (get_weights()[" + std::to_string(i) +
                                      "]) for layer " + names[std::size_t(b.row)] + " (" +
                                      Net::summary_rows[std::size_t(b.row)].keras_class + ") " + b.name;
            bool same_shape = int(a.shape.size()) == b.shape.rank;
            for (int d = 0; same_shape && d < b.shape.rank; ++d) same_shape = a.shape[std::size_t(d)] == b.shape.e[d];
            if (!same_shape)
                return status::error(where + ": expected shape " + shape_string(b.shape) + ", got " +
                                     shape_string(a.shape, 0) + "; model unchanged");
            const bool floating = a.descr.size() == 3 && a.descr[1] == 'f' && (a.descr[2] == '4' || a.descr[2] == '8');
            if (!floating)
                return status::error(where + ": dtype '" + a.descr +
                                     "' is not float32/float64; model unchanged");
            if (status s = a.template to_vector<T>(values); !s)
                return status::error(where + ": " + s.message() + "; model unchanged");
            // NaN or infinity in a weight is a corrupt file, not a model: it would make every output NaN.
            for (std::size_t v = 0; v < values.size(); ++v)
                if (!std::isfinite(values[v])) {
                    index_t rest = index_t(v);
                    std::string at;
                    for (int d = b.shape.rank - 1; d >= 0; --d) {
                        at = (d ? ", " : "") + std::to_string(rest % b.shape.e[d]) + at;
                        rest /= b.shape.e[d];
                    }
                    return status::error(where + " " + shape_string(b.shape) + ": value [" + at + "] is " +
                                         (std::isnan(values[v]) ? "NaN" : "infinite") + "; model unchanged");
                }
            std::copy(values.begin(), values.end(), staged.begin() + Net::block_offsets[i]);
        }
        self().write_params(staged.data());
        return {};
    }

private:
    Derived& self() { return static_cast<Derived&>(*this); }
    const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace detail

// Everything inside the object: parameters and the activation arena for MaxBatch samples (larger
// batches run MaxBatch at a time).
// No heap allocation, ever; usable with -fno-exceptions -fno-rtti and on bare metal. CPU kernels
// on one thread (cpu_serial).
template <network Net, index_t MaxBatch = 1, class T = float>
class static_model : public detail::model_base<static_model<Net, MaxBatch, T>, Net, T> {
    static_assert(MaxBatch >= 1, "typenet::static_model<Net, MaxBatch>: MaxBatch must be >= 1");
    using base = detail::model_base<static_model<Net, MaxBatch, T>, Net, T>;
    friend base;

public:
    static constexpr index_t max_batch = MaxBatch;
    static_model() = default;  // parameters zero; initialize(seed), set_weights or load_npz to fill

    std::span<T> parameters() { return {params_.data(), params_.size()}; }
    std::span<const T> parameters() const { return {params_.data(), params_.size()}; }
    // The activation arena (Net::arena_bytes per sample of MaxBatch): to measure what inference uses.
    std::span<const T> arena() const { return {arena_.data(), arena_.size()}; }

private:
    void run(const T* x, T* y, index_t n) { detail::run_serial<Net, MaxBatch>(params_.data(), arena_.data(), x, y, n); }
    void run_host(const T* x, T* y, index_t n) { run(x, y, n); }
    void read_params(T* host) const { std::copy(params_.begin(), params_.end(), host); }
    void write_params(const T* host) { std::copy(host, host + params_.size(), params_.begin()); }
    void read_block(T* host, index_t at, index_t n) const { std::copy(params_.data() + at, params_.data() + at + n, host); }
    void write_block(const T* host, index_t at, index_t n) { std::copy(host, host + n, params_.data() + at); }

    // On cache lines, like the cpu policy's heap buffers (the kernels' vector loads split no line).
    alignas(64) std::array<T, std::size_t(Net::param_count)> params_{};
    alignas(64) std::array<T, std::size_t(Net::arena_elems * MaxBatch)> arena_{};
};


// Parameters that live elsewhere and are read in place -- a const array in read-only memory (the
// headers tools/keras_to_typenet.py writes put it in flash), or any memory that outlives the model
// -- with the activation arena inside the object. No heap, no copy of the parameters; otherwise
// static_model (get_weights, summary and save_npz read; nothing writes).
template <network Net, index_t MaxBatch = 1, class T = float>
class rom_model : public detail::model_base<rom_model<Net, MaxBatch, T>, Net, T> {
    static_assert(MaxBatch >= 1, "typenet::rom_model<Net, MaxBatch>: MaxBatch must be >= 1");
    using base = detail::model_base<rom_model<Net, MaxBatch, T>, Net, T>;
    friend base;

public:
    static constexpr index_t max_batch = MaxBatch;
    // params: Net::param_count values in get_weights() order, concatenated (Keras' layouts).
    explicit constexpr rom_model(const T* params) : params_(params) {}
    explicit constexpr rom_model(std::span<const T, std::size_t(Net::param_count)> params) : params_(params.data()) {}

    std::span<const T> parameters() const { return {params_, std::size_t(Net::param_count)}; }
    // The activation arena (Net::arena_bytes per sample of MaxBatch): to measure what inference uses.
    std::span<const T> arena() const { return {arena_.data(), arena_.size()}; }

private:
    void run(const T* x, T* y, index_t n) { detail::run_serial<Net, MaxBatch>(params_, arena_.data(), x, y, n); }
    void run_host(const T* x, T* y, index_t n) { run(x, y, n); }
    void read_params(T* host) const { std::copy(params_, params_ + Net::param_count, host); }
    void read_block(T* host, index_t at, index_t n) const { std::copy(params_ + at, params_ + at + n, host); }
    template <class U>
    void write_params(const U*) {
        static_assert(sizeof(U) == 0, "typenet::rom_model: the parameters are read-only (read in place); "
                                      "use static_model or model to change them");
    }
    template <class U>
    void write_block(const U*, index_t, index_t) {
        static_assert(sizeof(U) == 0, "typenet::rom_model: the parameters are read-only (read in place); "
                                      "use static_model or model to change them");
    }

    const T* params_;
    alignas(64) std::array<T, std::size_t(Net::arena_elems * MaxBatch)> arena_{};
};

}  // namespace typenet
