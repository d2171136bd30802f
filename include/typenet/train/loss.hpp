// loss: Keras' losses with their reductions (mean over the batch; element losses averaged over the
// last axis), their gradients w.r.t. the model output, and the fused softmax / sigmoid cases.
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>
#include <type_traits>
#include <variant>

#include "../core/config.hpp"
#include "../layers/activation.hpp"

namespace typenet {

// What the network's last layer applies, which decides whether a loss can differentiate
// through it in closed form (softmax + cross-entropy, sigmoid + binary cross-entropy), as Keras'
// TensorFlow backend does by using the logits it keeps on such outputs.
enum class output_activation { other, softmax, sigmoid };

struct categorical_crossentropy {
    bool from_logits = false;
    static constexpr std::string_view name = "categorical_crossentropy";
};
struct sparse_categorical_crossentropy {
    bool from_logits = false;
    static constexpr std::string_view name = "sparse_categorical_crossentropy";
};
struct binary_crossentropy {
    bool from_logits = false;
    static constexpr std::string_view name = "binary_crossentropy";
};
struct mean_squared_error {
    static constexpr std::string_view name = "mean_squared_error";
};
struct mean_absolute_error {
    static constexpr std::string_view name = "mean_absolute_error";
};
using mse = mean_squared_error;
using mae = mean_absolute_error;

using loss = std::variant<categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy,
                          mean_squared_error, mean_absolute_error>;

namespace detail {

inline constexpr double keras_epsilon = 1e-7;  // keras.config.epsilon()

// Loss of n samples of k outputs y against targets t (one-hot / probabilities / values; for the
// sparse loss t holds the class index as a number). Writes dL/dy -- or dL/dlogits when
// *logits_grad is set on return -- into grad (nullable). Returns the batch mean.
template <class T>
double loss_and_gradient(const loss& which, const T* y, const T* t, T* grad, index_t n, index_t k,
                         output_activation out, bool* logits_grad) {
    *logits_grad = false;
    if (n == 0) return 0.0;
    // Keras clips in the model's precision: in float32, 1 - 1e-7 is 0.99999988 (log(1 - p) at the
    // bound is -15.94, not -16.12), so the bounds are rounded to T.
    const double eps = double(T(keras_epsilon));
    const double one_minus_eps = double(T(1.0 - keras_epsilon));
    const double inv_n = 1.0 / double(n);
    double total = 0;
    auto target = [&](index_t r, index_t j, bool sparse) -> double {
        return sparse ? (index_t(t[r]) == j ? 1.0 : 0.0) : double(t[r * k + j]);
    };
    auto cross_entropy = [&](bool sparse, bool from_logits) {
        const bool fused = !from_logits && out == output_activation::softmax;
        *logits_grad = fused;
        for (index_t r = 0; r < n; ++r) {
            const T* yr = y + r * k;
            if (from_logits) {  // log-softmax of the logits, max-subtracted
                double m = yr[0];
                for (index_t j = 1; j < k; ++j) m = std::max(m, double(yr[j]));
                double s = 0;
                for (index_t j = 0; j < k; ++j) s += std::exp(double(yr[j]) - m);
                double tsum = 0;
                for (index_t j = 0; j < k; ++j) {
                    const double tj = target(r, j, sparse);
                    tsum += tj;
                    total -= tj * (double(yr[j]) - m - std::log(s));
                }
                if (grad)
                    for (index_t j = 0; j < k; ++j)
                        grad[r * k + j] = T((std::exp(double(yr[j]) - m) / s * tsum - target(r, j, sparse)) * inv_n);
            } else if (fused) {  // p = softmax(z): dL/dz = p * sum(t) - t
                double tsum = 0;
                for (index_t j = 0; j < k; ++j) {
                    const double tj = target(r, j, sparse);
                    tsum += tj;
                    if (tj != 0) total -= tj * std::log(std::max(double(yr[j]), 1e-45));
                }
                if (grad)
                    for (index_t j = 0; j < k; ++j)
                        grad[r * k + j] = T((double(yr[j]) * tsum - target(r, j, sparse)) * inv_n);
            } else if (sparse) {  // Keras: c = clip(p, eps, 1 - eps); L = -log c_y + log sum(c)
                double s = 0;
                for (index_t j = 0; j < k; ++j) s += std::clamp(double(yr[j]), eps, one_minus_eps);
                const index_t label = index_t(t[r]);
                total += -std::log(std::clamp(double(yr[label]), eps, one_minus_eps)) + std::log(s);
                if (grad)
                    for (index_t j = 0; j < k; ++j) {
                        const double p = yr[j];
                        const bool unclipped = p == std::clamp(p, eps, one_minus_eps);
                        grad[r * k + j] = T(unclipped ? ((j == label ? -1.0 / p : 0.0) + 1.0 / s) * inv_n : 0.0);
                    }
            } else {  // Keras: q = clip(p / sum(p), eps, 1 - eps); L = -sum(t log q); no gradient where clipped
                double s = 0;
                for (index_t j = 0; j < k; ++j) s += double(yr[j]);
                double tu = 0;  // sum of t over unclipped entries
                for (index_t j = 0; j < k; ++j) {
                    const double q = double(yr[j]) / s;
                    const double qc = std::clamp(q, eps, one_minus_eps);
                    const double tj = target(r, j, sparse);
                    total -= tj * std::log(qc);
                    if (q == qc) tu += tj;
                }
                if (grad)
                    for (index_t j = 0; j < k; ++j) {
                        const double q = double(yr[j]) / s;
                        const bool unclipped = q == std::clamp(q, eps, one_minus_eps);
                        const double g = (unclipped ? -target(r, j, sparse) / double(yr[j]) : 0.0) + tu / s;
                        grad[r * k + j] = T(g * inv_n);
                    }
            }
        }
    };
    std::visit(
        [&](const auto& l) {
            using L = std::remove_cvref_t<decltype(l)>;
            if constexpr (std::is_same_v<L, categorical_crossentropy>) {
                cross_entropy(false, l.from_logits);
            } else if constexpr (std::is_same_v<L, sparse_categorical_crossentropy>) {
                cross_entropy(true, l.from_logits);
            } else if constexpr (std::is_same_v<L, binary_crossentropy>) {
                const bool fused = !l.from_logits && out == output_activation::sigmoid;
                *logits_grad = fused;
                const double scale = inv_n / double(k);
                for (index_t i = 0; i < n * k; ++i) {
                    const double tv = t[i];
                    if (l.from_logits) {  // stable: max(z, 0) - z t + log(1 + e^-|z|)
                        const double z = y[i];
                        total += (std::max(z, 0.0) - z * tv + std::log1p(std::exp(-std::abs(z)))) / double(k);
                        if (grad) grad[i] = T((1.0 / (1.0 + std::exp(-z)) - tv) * scale);
                    } else {
                        const double p = y[i];
                        const double pc = std::clamp(p, eps, one_minus_eps);
                        total -= (tv * std::log(pc) + (1 - tv) * std::log(1 - pc)) / double(k);
                        if (grad) {
                            if (fused) grad[i] = T((p - tv) * scale);
                            else grad[i] = T(p == pc ? (-tv / pc + (1 - tv) / (1 - pc)) * scale : 0.0);
                        }
                    }
                }
            } else if constexpr (std::is_same_v<L, mean_squared_error>) {
                const double scale = inv_n / double(k);
                for (index_t i = 0; i < n * k; ++i) {
                    const double d = double(y[i]) - double(t[i]);
                    total += d * d / double(k);
                    if (grad) grad[i] = T(2 * d * scale);
                }
            } else {
                const double scale = inv_n / double(k);
                for (index_t i = 0; i < n * k; ++i) {
                    const double d = double(y[i]) - double(t[i]);
                    total += std::abs(d) / double(k);
                    if (grad) grad[i] = T((d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) * scale);
                }
            }
        },
        which);
    return total * inv_n;
}

inline bool is_sparse(const loss& l) { return std::holds_alternative<sparse_categorical_crossentropy>(l); }
inline std::string_view loss_name(const loss& l) {
    return std::visit([](const auto& x) { return x.name; }, l);
}

}  // namespace detail
}  // namespace typenet
