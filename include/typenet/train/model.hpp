// model: the Keras workflow on a network type -- compile(optimizer, loss, metrics), fit with
// validation, callbacks and a progress display, evaluate, batched predict, train_on_batch, and the
// whole training state (weights, optimizer moments, iteration, epoch, random stream) saved to npz.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "../core/diagnostics.hpp"
#include "../core/train_context.hpp"
#include "../model/model.hpp"
#include "augment.hpp"
#include "callbacks.hpp"
#include "history.hpp"
#include "loss.hpp"
#include "metrics.hpp"
#include "optimizer.hpp"
#include "progress.hpp"

TYPENET_BEGIN_STATUS_ASSIGNMENTS  // nvcc only: see core/status.hpp

namespace typenet {

namespace diag {
template <class Expected, class Got>
struct label_shape_mismatch {
    // fit / evaluate got targets whose per-sample shape is not the network's output shape
    // (one-hot targets need shape<classes>; class indices go in a std::vector<std::int32_t>).
    static_assert(reported<Expected, Got>,
                  "typenet: target (label) shape does not match the network output; see "
                  "label_shape_mismatch<expected<shape>, got<shape>>");
    static constexpr bool value = false;
};
}  // namespace diag

struct evaluation {
    double loss = 0;
    double accuracy = std::numeric_limits<double>::quiet_NaN();  // NaN when not compiled with accuracy
    status error{};  // set (loss NaN) when the targets were refused
};

namespace detail {
// What fit / evaluate / predict take as data: a batch, tensor or view (shape_type, data(),
// samples()), and class indices (anything that is a contiguous run of std::int32_t).
template <class X>
concept sample_tensor = requires(const X& x) {
    typename X::shape_type;
    typename X::value_type;
    x.data();
    x.samples();
};
template <class Y>
concept class_indices = std::is_convertible_v<const Y&, std::span<const std::int32_t>>;

template <class L>
constexpr output_activation output_activation_of() {
    if constexpr (std::is_same_v<L, softmax>) return output_activation::softmax;
    else if constexpr (std::is_same_v<L, sigmoid>) return output_activation::sigmoid;
    else if constexpr (requires { typename L::activation; }) return output_activation_of<typename L::activation>();
    else return output_activation::other;
}
}  // namespace detail

template <network Net, class Policy = cpu, class T = float>
class model : public basic_model<Net, Policy, T> {
    using base = basic_model<Net, Policy, T>;

public:
    using input_shape_t = typename Net::input_shape_t;
    using output_shape_t = typename Net::output_shape_t;
    static constexpr index_t out_size = output_shape_t::size;
    using labels = std::vector<std::int32_t>;

    using base::base;

    // ---- compile ---------------------------------------------------------------------------------
    void compile(optimizer opt, loss l, metrics::accuracy_t) { compile(opt, l, true); }
    void compile(optimizer opt, loss l, metrics::none_t = {}) { compile(opt, l, false); }
    // Whether compile() was called. fit, evaluate, train_on_batch and the training state need it:
    // before it they refuse with a message (history::error(), evaluation::error, a NaN loss) in
    // every build mode, where Keras raises "You must call `compile()` before using the model".
    bool compiled() const { return compiled_; }
    double learning_rate() const { return lr_; }
    void set_learning_rate(double lr) { lr_ = lr; }
    std::int64_t iterations() const { return iterations_; }

    // ---- data: batches, views of them (x.slice(0, 1000): no copy), class indices -------------------
    using input_view = tensor_view<const T, input_shape_t>;
    using target_view = tensor_view<const T, output_shape_t>;
    using label_span = std::span<const std::int32_t>;

    // Validation data: inputs (a batch or a view) with one-hot (or value) targets, or class indices.
    struct validation_data {
        std::shared_ptr<const batch<T, input_shape_t>> owned{};  // token ids given as std::int32_t, converted
        input_view x{};
        target_view y{};
        label_span y_labels{};
        bool given = false, has_labels = false;
        validation_data() = default;
        template <class X, class Y>
        validation_data(const X& vx, const Y& vy) : owned(token_copy(vx)), x(view_of(vx, owned)), given(true) {
            if constexpr (detail::class_indices<Y>) {
                y_labels = label_span(vy);
                has_labels = true;
            } else {
                y = targets_of(vy, "validation");
            }
        }

    private:
        template <class X>
        static std::shared_ptr<const batch<T, input_shape_t>> token_copy(const X& vx) {
            if constexpr (detail::int_token_tensor<X> && detail::token_network<Net>)
                return std::make_shared<const batch<T, input_shape_t>>(detail::token_values<T>(vx));
            else return nullptr;
        }
        template <class X>
        static input_view view_of(const X& vx, const std::shared_ptr<const batch<T, input_shape_t>>& owned) {
            if constexpr (detail::int_token_tensor<X> && detail::token_network<Net>)
                return input_view(owned->data(), owned->samples());
            else return inputs_of(vx, "validation");
        }
    };
    struct fit_options {
        int epochs = 1;
        index_t batch_size = 32;
        bool shuffle = true;
        double validation_split = 0;     // the last fraction of x (before shuffling), as Keras
        validation_data validation{};    // or explicit validation data
        std::vector<callback*> callbacks{};
        int verbose = 1;                 // 0 silent, 1 progress bar (one line per epoch if not a terminal), 2 one line
        std::uint64_t seed = 0;          // shuffling, dropout, augmentation
        int initial_epoch = 0;           // resume: continue numbering (and schedules) from here
        // On-the-fly augmentation of the training batches (never validation): random flips,
        // shifts, rotation, zoom, shear, brightness, contrast -- see train/augment.hpp.
        std::optional<data::augment_options> augmentation{};
        // Or any transform of a training batch, in place, with fit's random stream.
        std::function<void(tensor_view<T, input_shape_t>, std::mt19937_64&)> augment{};
        std::FILE* out = stdout;
    };

    // ---- fit ---------------------------------------------------------------------------------------
    // x: a batch of inputs, or a view of some of them (x.slice(0, 1000)). y: targets with the
    // output's shape (one-hot / values; batch or view), or class indices (std::vector<std::int32_t>,
    // or a std::span of some). A sparse loss given one-hot targets uses their argmax; any other loss
    // given indices gets one-hot targets (or the index itself as a 0/1 target for a one-unit output).
    template <class X, class Y>
    history fit(const X& x, const Y& y, fit_options o = {}) {
        if constexpr (detail::int_token_tensor<X> && detail::token_network<Net>) {
            return fit(detail::token_values<T>(x), y, std::move(o));
        } else {
            const input_view xv = inputs_of(x, "fit");
            if constexpr (detail::class_indices<Y>) {
                return fit_labels(xv, label_span(y), o);
            } else {
                const target_view yv = targets_of(y, "fit");
                if (!compiled_) return not_compiled(o);
                if (xv.samples() != yv.samples()) return refused(o, "fit", xv.samples(), yv.samples());
                if (sparse_targets()) {
                    const labels l = labels_from_targets(yv);
                    return fit_labels(xv, label_span(l), o);
                }
                return fit_impl(xv, yv.data(), false, o);
            }
        }
    }

    // ---- evaluate / predict ---------------------------------------------------------------------------
    // The same x and y as fit.
    template <class X, class Y>
    evaluation evaluate(const X& x, const Y& y, index_t batch_size = 32) {
        if constexpr (detail::int_token_tensor<X> && detail::token_network<Net>) {
            return evaluate(detail::token_values<T>(x), y, batch_size);
        } else {
            const input_view xv = inputs_of(x, "evaluate");
            if constexpr (detail::class_indices<Y>) {
                return evaluate_labels(xv, label_span(y), batch_size);
            } else {
                const target_view yv = targets_of(y, "evaluate");
                if (!compiled_) return refused_evaluation(not_compiled_message("evaluate"));
                if (xv.samples() != yv.samples()) return refused_evaluation("evaluate", xv.samples(), yv.samples());
                if (sparse_targets()) {
                    const labels l = labels_from_targets(yv);
                    return evaluate_labels(xv, label_span(l), batch_size);
                }
                return evaluate_impl(xv, yv.data(), false, batch_size);
            }
        }
    }
    using base::predict;
    // Batched prediction of a batch or a view, batch_size samples at a time (bounded activation memory).
    template <class X>
    batch<T, output_shape_t> predict(const X& x, index_t batch_size) {
        if constexpr (detail::int_token_tensor<X> && detail::token_network<Net>) {
            return predict(detail::token_values<T>(x), batch_size);
        } else {
            const input_view xv = inputs_of(x, "predict");
            batch<T, output_shape_t> y(xv.samples());
            for (index_t i = 0; i < xv.samples(); i += batch_size) {
                const index_t k = std::min(batch_size, xv.samples() - i);
                this->forward(input_view(xv.data() + i * input_shape_t::size, k),
                              tensor_view<T, output_shape_t>(y.data() + i * out_size, k));
            }
            return y;
        }
    }

    // ---- one step -----------------------------------------------------------------------------------
    // One optimizer step on n samples (x: n inputs; t: n targets -- one-hot/values, or class
    // indices as numbers for the sparse loss). Returns the batch loss. Allocates nothing once the
    // training memory is sized for n (reserve_training). Before compile() it changes nothing and
    // returns NaN.
    double train_on_batch(const T* x, const T* t, index_t n, index_t* correct = nullptr) {
        static_assert(Policy::host_memory, "typenet: training runs on host policies (cpu) in this version");
        if (!compiled_) return std::numeric_limits<double>::quiet_NaN();
        train_context ctx{true, true, false, &rng_};
        const T* y = this->train_forward(x, n, ctx);
        bool fused = false;
        const double l = detail::loss_and_gradient(loss_, y, t, this->output_gradient(), n, out_size, out_act, &fused);
        if (correct) *correct = detail::count_correct(y, t, n, out_size, sparse_targets());
        ctx.logits_grad = fused;
        this->backward(x, n, ctx);
        update();
        return l;
    }

    // ---- training state ------------------------------------------------------------------------------
    // Weights, optimizer slots, iteration count, next epoch, learning rate and random stream, so a
    // resumed fit continues exactly as an uninterrupted one would.
    status save_training_state(const std::filesystem::path& p) const {
        if (!compiled_)
            return status::error(p.string() + ": " + not_compiled_message("save_training_state") +
                                 " (the state holds the optimizer's moments; save_npz saves the weights alone)");
        std::vector<io::npy_array> a;
        const auto w = this->get_weights();
        for (std::size_t i = 0; i < w.size(); ++i)
            a.push_back(io::make_npy<T>("arr_" + std::to_string(i),
                                        std::vector<std::int64_t>(w[i].shape.begin(), w[i].shape.end()), w[i].values.data()));
        a.push_back(io::make_npy<T>("optimizer_slots", {std::int64_t(slots_.size())}, slots_.data()));
        const double scalars[3] = {double(iterations_), double(epoch_), lr_};
        a.push_back(io::make_npy<double>("state", {3}, scalars));
        std::ostringstream rs;
        rs << rng_;
        const std::string r = rs.str();
        io::npy_array rng;
        rng.name = "rng";
        rng.descr = "|u1";
        rng.shape = {std::int64_t(r.size())};
        rng.data.assign(r.begin(), r.end());
        a.push_back(std::move(rng));
        return io::write_npz(p, a);
    }
    status load_training_state(const std::filesystem::path& p) {
        if (!compiled_)
            return status::error(p.string() + ": " + not_compiled_message("load_training_state") +
                                 " (with the optimizer the state was saved with); model unchanged");
        std::vector<io::npy_array> a;
        if (status s = io::read_npz(p, a); !s) return s;
        const std::size_t k = this->weight_count;
        if (a.size() != k + 3 || a[k].name != "optimizer_slots" || a[k + 1].name != "state" || a[k + 2].name != "rng")
            return status::error(p.string() + ": not a typenet training state for this network (expected " +
                                 std::to_string(k) + " weight arrays, optimizer_slots, state, rng); model unchanged");
        std::vector<T> slots;
        std::vector<double> scalars;
        if (status s = a[k].template to_vector<T>(slots); !s) return status::error(p.string() + ": " + s.message());
        if (status s = a[k + 1].template to_vector<double>(scalars); !s || scalars.size() != 3)
            return status::error(p.string() + ": bad 'state' array (3 numbers: iterations, epoch, learning rate); model unchanged");
        if (slots.size() != slots_.size())
            return status::error(p.string() + ": optimizer slots hold " + std::to_string(slots.size()) +
                                 " values, the compiled optimizer needs " + std::to_string(slots_.size()) +
                                 " (compile with the same optimizer first); model unchanged");
        // Every field in range before anything is used (a corrupt or hostile file must not reach
        // an out-of-range float-to-integer conversion).
        const double its = scalars[0], ep = scalars[1], lr = scalars[2];
        if (!(its >= 0 && its <= 9007199254740992.0 && its == std::floor(its)))
            return status::error(p.string() + ": 'state' iteration count " + std::to_string(its) +
                                 " is not a whole number in [0, 2^53]; model unchanged");
        if (!(ep >= 0 && ep <= double(std::numeric_limits<int>::max()) && ep == std::floor(ep)))
            return status::error(p.string() + ": 'state' epoch " + std::to_string(ep) +
                                 " is not a whole number in [0, 2^31); model unchanged");
        if (!(lr >= 0 && std::isfinite(lr)))
            return status::error(p.string() + ": 'state' learning rate " + std::to_string(lr) +
                                 " is not a finite number >= 0; model unchanged");
        for (std::size_t i = 0; i < slots.size(); ++i)
            if (!std::isfinite(double(slots[i])))
                return status::error(p.string() + ": optimizer_slots[" + std::to_string(i) +
                                     "] is not finite; model unchanged");
        std::mt19937_64 rng;
        std::istringstream rs(std::string(a[k + 2].data.begin(), a[k + 2].data.end()));
        rs >> rng;
        if (rs.fail()) return status::error(p.string() + ": bad 'rng' array; model unchanged");
        a.resize(k);
        if (status s = this->set_weights_from(a, p.string()); !s) return s;
        slots_ = std::move(slots);
        iterations_ = std::int64_t(its);
        epoch_ = int(ep);
        lr_ = lr;
        rng_ = rng;
        return {};
    }
    // Epochs completed by fit so far (where a resumed fit starts).
    int epoch() const { return epoch_; }
    void seed(std::uint64_t s) { rng_.seed(s); }

private:
    static constexpr output_activation out_act =
        detail::output_activation_of<typename Net::template layer_type<Net::layer_count - 1>>();

    // x and y as fit / evaluate take them: checked at compile time (shapes, element type), viewed.
    template <class X>
    static input_view inputs_of(const X& x, const char* what) {
        static_assert(detail::sample_tensor<X>, "typenet: x must be a batch, tensor or view of the network's input shape");
        if constexpr (detail::sample_tensor<X>) {
            using XS = typename X::shape_type;
            static_assert(diag::check_v<std::is_same_v<XS, input_shape_t>,
                                        diag::input_shape_mismatch<expected<input_shape_t>, got<XS>>>);
            // fit / evaluate / predict on a batch<double> with a float model (or the reverse)
            static_assert(std::is_same_v<std::remove_const_t<typename X::value_type>, T>,
                          "typenet::model<Net, Policy, T>: x holds another element type than the model's T "
                          "(float vs double?)");
            (void)what;
            if constexpr (std::is_same_v<XS, input_shape_t> && std::is_same_v<std::remove_const_t<typename X::value_type>, T>)
                return input_view(x.data(), x.samples());
            else return input_view();
        } else {
            return input_view();
        }
    }
    template <class Y>
    static target_view targets_of(const Y& y, const char*) {
        static_assert(detail::sample_tensor<Y>,
                      "typenet: y must be targets of the network's output shape (a batch or view) or class "
                      "indices (std::vector<std::int32_t>, std::span<const std::int32_t>)");
        if constexpr (detail::sample_tensor<Y>) {
            using YS = typename Y::shape_type;
            static_assert(diag::check_v<std::is_same_v<YS, output_shape_t>,
                                        diag::label_shape_mismatch<expected<output_shape_t>, got<YS>>>);
            static_assert(std::is_same_v<std::remove_const_t<typename Y::value_type>, T>,
                          "typenet::model<Net, Policy, T>: y holds another element type than the model's T "
                          "(float vs double?)");
            if constexpr (std::is_same_v<YS, output_shape_t> && std::is_same_v<std::remove_const_t<typename Y::value_type>, T>)
                return target_view(y.data(), y.samples());
            else return target_view();
        } else {
            return target_view();
        }
    }
    history fit_labels(input_view x, label_span y, fit_options& o) {
        if (!compiled_) return not_compiled(o);
        if (x.samples() != index_t(y.size())) return refused(o, "fit", x.samples(), index_t(y.size()));
        if (status s = check_labels(y, "fit"); !s) {
            history h;
            if (o.verbose > 0) std::fprintf(o.out, "%s\n", s.message().c_str());
            h.set_error(std::move(s));
            return h;
        }
        std::vector<T> t = targets_from_labels(y);
        return fit_impl(x, t.data(), sparse_targets(), o);
    }
    evaluation evaluate_labels(input_view x, label_span y, index_t batch_size) {
        if (!compiled_) return refused_evaluation(not_compiled_message("evaluate"));
        if (x.samples() != index_t(y.size())) return refused_evaluation("evaluate", x.samples(), index_t(y.size()));
        if (status s = check_labels(y, "evaluate"); !s) return refused_evaluation(s.message());
        std::vector<T> t = targets_from_labels(y);
        return evaluate_impl(x, t.data(), sparse_targets(), batch_size);
    }

    void compile(optimizer opt, loss l, bool accuracy) {
        opt_ = opt;
        loss_ = l;
        accuracy_ = accuracy;
        lr_ = detail::optimizer_learning_rate(opt);
        iterations_ = 0;
        epoch_ = 0;
        slots_.assign(std::size_t(detail::optimizer_slots(opt)) * std::size_t(Net::param_count), T(0));
        compiled_ = true;
    }
    bool sparse_targets() const { return detail::is_sparse(loss_); }

    // Every class index must name an output (a one-unit output takes 0 or 1).
    status check_labels(label_span y, const char* what) const {
        const index_t classes = out_size == 1 ? 2 : out_size;
        for (std::size_t i = 0; i < y.size(); ++i)
            if (y[i] < 0 || y[i] >= classes)
                return status::error(std::string("typenet::") + what + ": label " + std::to_string(y[i]) + " at index " +
                                     std::to_string(i) + " is outside [0, " + std::to_string(classes) +
                                     ") for this network's output; nothing was trained or evaluated");
        return {};
    }
    static labels labels_from_targets(target_view y) {
        labels l(static_cast<std::size_t>(y.samples()));
        for (index_t i = 0; i < y.samples(); ++i) l[std::size_t(i)] = std::int32_t(detail::argmax(y.data() + i * out_size, out_size));
        return l;
    }
    static std::string not_compiled_message(const char* what) {
        return std::string("typenet::") + what + ": the model is not compiled; call compile(optimizer, loss[, " +
               "metrics::accuracy]) first, e.g. m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, " +
               "tn::metrics::accuracy)";
    }
    static history not_compiled(const fit_options& o) {
        history h;
        h.set_error(status::error(not_compiled_message("fit") + "; nothing was trained"));
        if (o.verbose > 0) std::fprintf(o.out, "%s\n", h.error().message().c_str());
        return h;
    }
    static evaluation refused_evaluation(std::string message) {
        evaluation e;
        e.loss = std::numeric_limits<double>::quiet_NaN();
        e.error = status::error(std::move(message));
        return e;
    }
    static history refused(const fit_options& o, const char* what, index_t nx, index_t ny) {
        history h;
        h.set_error(status::error(std::string("typenet::") + what + ": x holds " + std::to_string(nx) + " samples but y holds " +
                                  std::to_string(ny)));
        if (o.verbose > 0) std::fprintf(o.out, "%s\n", h.error().message().c_str());
        return h;
    }
    static evaluation refused_evaluation(const char* what, index_t nx, index_t ny) {
        evaluation e;
        e.loss = std::numeric_limits<double>::quiet_NaN();
        e.error = status::error(std::string("typenet::") + what + ": x holds " + std::to_string(nx) + " samples but y holds " +
                                std::to_string(ny));
        return e;
    }

    // Class indices -> the loss's targets: indices (sparse loss), 0/1 values (one output), or one-hot.
    std::vector<T> targets_from_labels(label_span y) const {
        if (sparse_targets() || out_size == 1) return std::vector<T>(y.begin(), y.end());
        std::vector<T> t(y.size() * std::size_t(out_size), T(0));
        for (std::size_t i = 0; i < y.size(); ++i) {
            TYPENET_ASSERT(y[i] >= 0 && y[i] < out_size, "typenet: class index out of range for the output");
            if (y[i] >= 0 && y[i] < out_size) t[i * std::size_t(out_size) + std::size_t(y[i])] = T(1);
        }
        return t;
    }
    index_t target_width(bool sparse) const { return sparse ? 1 : out_size; }

    // One optimizer step over every trainable parameter array.
    void update() {
        T* w = this->parameter_data();
        const T* g = this->gradient_data();
        const int nslots = detail::optimizer_slots(opt_);
        T* s0 = nslots > 0 ? slots_.data() : nullptr;
        T* s1 = nslots > 1 ? slots_.data() + Net::param_count : nullptr;
        for (std::size_t i = 0; i < Net::param_blocks.size(); ++i) {
            if (!Net::param_blocks[i].trainable) continue;
            const index_t at = Net::block_offsets[i], count = Net::block_offsets[i + 1] - at;
            detail::apply_update(this->policy(), opt_, w + at, g + at, s0 ? s0 + at : nullptr, s1 ? s1 + at : nullptr,
                                 count, iterations_, lr_);
        }
        ++iterations_;
    }

    evaluation evaluate_impl(input_view x, const T* t, bool sparse, index_t batch_size) {
        return evaluate_range(x.data(), t, x.samples(), sparse, batch_size);
    }
    evaluation evaluate_range(const T* x, const T* t, index_t n, bool sparse, index_t batch_size) {
        evaluation e;
        if (n == 0) return e;
        eval_out_.resize(std::size_t(std::min(batch_size, n) * out_size));
        double total = 0;
        index_t correct = 0;
        const index_t tw = target_width(sparse);
        for (index_t i = 0; i < n; i += batch_size) {
            const index_t k = std::min(batch_size, n - i);
            this->forward(tensor_view<const T, input_shape_t>(x + i * input_shape_t::size, k),
                          tensor_view<T, output_shape_t>(eval_out_.data(), k));
            bool fused = false;
            total += double(k) * detail::loss_and_gradient<T>(loss_, eval_out_.data(), t + i * tw, nullptr, k, out_size,
                                                               out_act, &fused);
            correct += detail::count_correct(eval_out_.data(), t + i * tw, k, out_size, sparse);
        }
        e.loss = total / double(n);
        if (accuracy_) e.accuracy = double(correct) / double(n);
        return e;
    }

    history fit_impl(input_view x, const T* t, bool sparse, fit_options& o) {
        static_assert(Policy::host_memory, "typenet: training runs on host policies (cpu) in this version");
        history h;
        const index_t tw = target_width(sparse);
        // Validation: explicit data, or the last fraction of x.
        index_t n = x.samples();
        const T* vx = nullptr;
        const T* vt = nullptr;
        index_t vn = 0;
        std::vector<T> vtargets;
        if (o.validation.given) {
            vx = o.validation.x.data();
            vn = o.validation.x.samples();
            if (!o.validation.has_labels && !sparse) {
                vt = o.validation.y.data();
                if (o.validation.y.samples() != vn) {
                    h.set_error(status::error("typenet::fit: validation x and y hold different numbers of samples"));
                    if (o.verbose > 0) std::fprintf(o.out, "%s\n", h.error().message().c_str());
                    return h;
                }
            } else {
                const labels vl = o.validation.has_labels
                                      ? labels(o.validation.y_labels.begin(), o.validation.y_labels.end())
                                      : labels_from_targets(o.validation.y);
                if (status s = check_labels(vl, "fit (validation data)"); !s || index_t(vl.size()) != vn) {
                    if (s) s = status::error("typenet::fit: validation x and y hold different numbers of samples");
                    if (o.verbose > 0) std::fprintf(o.out, "%s\n", s.message().c_str());
                    h.set_error(std::move(s));
                    return h;
                }
                vtargets = targets_from_labels(vl);
                vt = vtargets.data();
            }
        } else if (o.validation_split > 0) {
            vn = index_t(double(n) * o.validation_split);
            n -= vn;
            vx = x.data() + n * input_shape_t::size;
            vt = t + n * tw;
        }
        // A fresh fit seeds the random stream; a resumed one (initial_epoch > 0 after
        // load_training_state) continues the stream it saved.
        if (o.initial_epoch == 0) rng_.seed(o.seed ? o.seed : 0x7970656e6574ull);  // "typenet"
        const index_t bs = std::max<index_t>(1, std::min(o.batch_size, std::max<index_t>(n, 1)));
        this->reserve_training(bs);
        std::vector<index_t> order(static_cast<std::size_t>(n));
        for (index_t i = 0; i < n; ++i) order[std::size_t(i)] = i;
        TYPENET_ASSERT(!o.augmentation || input_shape_t::rank == 3, "typenet::fit: augmentation needs (H, W, C) inputs");
        batch<T, input_shape_t> xb(bs), xraw(o.augmentation ? bs : 0);
        std::vector<T> tb(std::size_t(bs * tw));

        training_control ctl;
        ctl.learning_rate = lr_;
        ctl.logs = &h;
        ctl.save_weights = [this](const std::filesystem::path& p) { return this->save_npz(p); };
        ctl.snapshot = [this](std::vector<double>& v) {
            const T* w = this->parameter_data();
            v.assign(w, w + Net::param_count);
        };
        ctl.restore = [this](const std::vector<double>& v) {
            T* w = this->parameter_data();
            for (index_t i = 0; i < Net::param_count; ++i) w[i] = T(v[std::size_t(i)]);
        };
        ctl.save_state = [this, &ctl](const std::filesystem::path& p) {
            lr_ = ctl.learning_rate;  // a schedule may have changed it earlier in this on_epoch_end
            return this->save_training_state(p);
        };
        ctl.load_state = [this, &ctl](const std::filesystem::path& p, int& ep) {
            status s = this->load_training_state(p);
            if (s) {
                ctl.learning_rate = lr_;
                ep = epoch_;
            }
            return s;
        };
        progress bar(o.out, o.verbose);
        // What the callbacks said (verbose > 0), after on_train_begin and after each epoch.
        const auto print_messages = [&] {
            if (o.verbose > 0)
                for (const auto& msg : ctl.messages) std::fprintf(o.out, "%s\n", msg.c_str());
            ctl.messages.clear();
        };
        for (callback* c : o.callbacks) c->on_train_begin(ctl);
        print_messages();
        if (!ctl.error) {
            if (o.verbose > 0) std::fprintf(o.out, "%s\n", ctl.error.message().c_str());
            h.set_error(std::move(ctl.error));
            return h;
        }

        const index_t steps = (n + bs - 1) / bs;
        const int first = ctl.resume_epoch >= 0 ? ctl.resume_epoch : o.initial_epoch;
        for (int epoch = first; epoch < o.epochs && !ctl.stop_training; ++epoch) {
            const auto t0 = std::chrono::steady_clock::now();
            for (callback* c : o.callbacks) c->on_epoch_begin(epoch, ctl);
            lr_ = ctl.learning_rate;
            for (index_t i = 0; i < n; ++i) order[std::size_t(i)] = i;  // each epoch's order depends on the stream only
            if (o.shuffle)
                for (index_t i = n - 1; i > 0; --i) {  // Fisher-Yates with 53-bit uniforms (portable)
                    const index_t j = index_t(double(rng_() >> 11) * 0x1.0p-53 * double(i + 1));
                    std::swap(order[std::size_t(i)], order[std::size_t(j)]);
                }
            bar.begin_epoch(epoch, o.epochs, steps);
            double loss_sum = 0;
            index_t correct = 0, seen = 0;
            progress::metrics m;
            for (index_t s = 0; s < steps && !ctl.stop_training; ++s) {
                const index_t k = std::min(bs, n - s * bs);
                T* gather = o.augmentation ? xraw.data() : xb.data();
                for (index_t r = 0; r < k; ++r) {  // gather the batch
                    const index_t src = order[std::size_t(s * bs + r)];
                    std::copy(x.data() + src * input_shape_t::size, x.data() + (src + 1) * input_shape_t::size,
                              gather + r * input_shape_t::size);
                    std::copy(t + src * tw, t + (src + 1) * tw, tb.data() + r * tw);
                }
                if constexpr (input_shape_t::rank == 3) {  // image augmentation needs (H, W, C) samples
                    if (o.augmentation)
                        data::augment<T, input_shape_t>(tensor_view<const T, input_shape_t>(xraw.data(), k),
                                                        tensor_view<T, input_shape_t>(xb.data(), k), *o.augmentation, rng_);
                }
                if (o.augment) o.augment(tensor_view<T, input_shape_t>(xb.data(), k), rng_);
                index_t c = 0;
                const double l = train_on_batch(xb.data(), tb.data(), k, &c);
                loss_sum += l * double(k);
                correct += c;
                seen += k;
                m.clear();
                m.add("loss", loss_sum / double(seen));
                if (accuracy_) m.add("accuracy", double(correct) / double(seen));
                bar.step(s + 1, m);
                for (callback* cb : o.callbacks) cb->on_batch_end(s, l, ctl);
            }
            h.append("loss", seen ? loss_sum / double(seen) : std::numeric_limits<double>::quiet_NaN());
            if (accuracy_) h.append("accuracy", seen ? double(correct) / double(seen) : 0.0);
            if (vn > 0) {
                const evaluation ev = evaluate_range(vx, vt, vn, sparse, bs);
                h.append("val_loss", ev.loss);
                if (accuracy_) h.append("val_accuracy", ev.accuracy);
                m.add("val_loss", ev.loss);
                if (accuracy_) m.add("val_accuracy", ev.accuracy);
            }
            h.append("learning_rate", lr_);
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            h.append("seconds", secs);
            bar.end_epoch(m, secs);
            epoch_ = epoch + 1;
            ctl.learning_rate = lr_;
            for (callback* c : o.callbacks) c->on_epoch_end(epoch, ctl);
            lr_ = ctl.learning_rate;
            print_messages();
        }
        for (callback* c : o.callbacks) c->on_train_end(ctl);
        return h;
    }

    optimizer opt_{};
    loss loss_{};
    bool accuracy_ = false, compiled_ = false;
    double lr_ = 0;
    std::int64_t iterations_ = 0;
    int epoch_ = 0;
    std::vector<T> slots_;
    std::vector<T> eval_out_;
    std::mt19937_64 rng_{0x7970656e6574ull};
};

// Convenience: auto m = make_model<cnn>();
template <network Net, class Policy = cpu, class T = float>
model<Net, Policy, T> make_model(std::uint64_t seed = 0) {
    return model<Net, Policy, T>(seed);
}

}  // namespace typenet

TYPENET_END_STATUS_ASSIGNMENTS
