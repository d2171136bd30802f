// optimizer: Keras 3's SGD (momentum, Nesterov), Adam and RMSprop, with Keras' defaults and update
// rules. Each update is one fused pass over a parameter array and its slots (policy.zip with a
// host/device functor), so on CUDA it is one kernel per array.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>
#include <variant>

#include "../core/config.hpp"
#include "../core/functors.hpp"

namespace typenet {

struct sgd {
    double learning_rate = 0.01;
    double momentum = 0.0;
    bool nesterov = false;
    static constexpr std::string_view name = "SGD";
    int slots() const { return momentum != 0.0 ? 1 : 0; }
};
struct adam {
    double learning_rate = 0.001;
    double beta_1 = 0.9;
    double beta_2 = 0.999;
    double epsilon = 1e-7;
    static constexpr std::string_view name = "Adam";
    int slots() const { return 2; }
};
struct rmsprop {
    double learning_rate = 0.001;
    double rho = 0.9;
    double epsilon = 1e-7;
    static constexpr std::string_view name = "RMSprop";
    int slots() const { return 1; }
};

using optimizer = std::variant<sgd, adam, rmsprop>;

// The update steps (fn::sgd_step, fn::sgd_momentum_step, fn::adam_step, fn::rmsprop_step) are
// host/device functors in core/functors.hpp, beside the others, so the CPU kernels can run them on
// whole vectors.

namespace detail {
inline int optimizer_slots(const optimizer& o) {
    return std::visit([](const auto& x) { return x.slots(); }, o);
}
inline double optimizer_learning_rate(const optimizer& o) {
    return std::visit([](const auto& x) { return x.learning_rate; }, o);
}

// One update of `count` parameters w with gradient g; s0, s1: the optimizer's slots for them.
// `step` counts updates already made (Keras' iterations); lr: the current learning rate.
template <class Policy, class T>
void apply_update(Policy& pol, const optimizer& o, T* w, const T* g, T* s0, T* s1, index_t count, std::int64_t step,
                  double lr) {
    std::visit(
        [&](const auto& opt) {
            using O = std::remove_cvref_t<decltype(opt)>;
            if constexpr (std::is_same_v<O, sgd>) {
                if (opt.momentum != 0.0)
                    pol.zip(fn::sgd_momentum_step<T>{T(lr), T(opt.momentum), opt.nesterov}, count, w, g, s0);
                else
                    pol.zip(fn::sgd_step<T>{T(lr)}, count, w, g);
            } else if constexpr (std::is_same_v<O, adam>) {
                const double t = double(step + 1);
                const double alpha = lr * std::sqrt(1 - std::pow(opt.beta_2, t)) / (1 - std::pow(opt.beta_1, t));
                pol.zip(fn::adam_step<T>{T(alpha), T(1 - opt.beta_1), T(1 - opt.beta_2), T(opt.epsilon)}, count, w, g, s0,
                        s1);
            } else {
                pol.zip(fn::rmsprop_step<T>{T(lr), T(opt.rho), T(opt.epsilon)}, count, w, g, s0);
            }
        },
        o);
}
}  // namespace detail
}  // namespace typenet
