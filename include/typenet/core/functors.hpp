// functors: every elementwise operation, written once and shared by the CPU loop and the CUDA
// kernels (TYPENET_HD = __host__ __device__ under nvcc), so the CPU tests check the device arithmetic.
#pragma once

#include <cmath>

#include "config.hpp"

namespace typenet::fn {

// Each functor: operator() plus `cost`, a rough count of flops per element (Eigen's cost trait),
// used for FLOP reports.

struct plus {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T a, T b) const { return a + b; }
};
struct minus {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T a, T b) const { return a - b; }
};
struct multiplies {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T a, T b) const { return a * b; }
};
struct divides {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T a, T b) const { return a / b; }
};
struct maximum {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T a, T b) const { return a > b ? a : b; }
};
struct minimum {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T a, T b) const { return a < b ? a : b; }
};

// a * b + c, rounded once where the target has a fused multiply-add (x86 with FMA, AArch64, every
// CUDA device), twice otherwise -- spelled out, so that the result does not depend on whether the
// compiler chose to contract a copy of `a * b + c` (g++ decides per inlined copy). The CPU
// micro-kernels' accumulations and batch normalisation's x * scale + shift both use it, which makes
// a fused epilogue give the same bits as the separate layers.
struct multiply_add {
    static constexpr int cost = 2;
    template <class T>
    TYPENET_HD T operator()(T a, T b, T c) const {
#if defined(__CUDA_ARCH__)
        return fma(a, b, c);
#elif defined(__FMA__) || defined(__aarch64__)
        if constexpr (sizeof(T) == 4) return __builtin_fmaf(a, b, c);
        else return __builtin_fma(a, b, c);
#else
        return a * b + c;
#endif
    }
};

struct identity {
    static constexpr int cost = 0;
    template <class T>
    TYPENET_HD T operator()(T x) const { return x; }
};
struct negate {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T x) const { return -x; }
};
struct relu {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T x) const { return x > T(0) ? x : T(0); }
};
// alpha is stored as double and converted once per call; with T = float the conversion folds
// when the functor is a compile-time constant (the layer case).
struct leaky_relu {
    static constexpr int cost = 2;
    double alpha = 0.3;
    template <class T>
    TYPENET_HD T operator()(T x) const { return x > T(0) ? x : T(alpha) * x; }
};
struct sigmoid {
    static constexpr int cost = 4;
    template <class T>
    TYPENET_HD T operator()(T x) const {
        using std::exp;
        // Split by sign so exp never overflows (same values as 1 / (1 + e^-x)).
        if (x >= T(0)) return T(1) / (T(1) + exp(-x));
        const T e = exp(x);
        return e / (T(1) + e);
    }
};
struct tanh {
    static constexpr int cost = 4;
    template <class T>
    TYPENET_HD T operator()(T x) const {
        using std::tanh;
        return tanh(x);
    }
};
struct exp {
    static constexpr int cost = 4;
    template <class T>
    TYPENET_HD T operator()(T x) const {
        using std::exp;
        return exp(x);
    }
};
struct log {
    static constexpr int cost = 4;
    template <class T>
    TYPENET_HD T operator()(T x) const {
        using std::log;
        return log(x);
    }
};
struct sqrt {
    static constexpr int cost = 2;
    template <class T>
    TYPENET_HD T operator()(T x) const {
        using std::sqrt;
        return sqrt(x);
    }
};
// Batch normalisation at inference, one channel, in TensorFlow's folded form: y = x * scale + shift
// with scale = gamma / sqrt(var + eps) and shift = beta - mean * scale (one rounding where the target
// has FMA). The CPU layer, the CPU fused epilogue and the CUDA kernel all fold with it.
struct batch_norm_fold {
    template <class T>
    TYPENET_HD void operator()(T gamma, T beta, T mean, T var, T eps, T& scale, T& shift) const {
        scale = gamma / sqrt{}(var + eps);
        shift = multiply_add{}(-mean, scale, beta);
    }
};
struct abs {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T x) const { return x < T(0) ? -x : x; }
};
struct square {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T x) const { return x * x; }
};
struct clamp {
    static constexpr int cost = 2;
    double lo = 0, hi = 1;
    template <class T>
    TYPENET_HD T operator()(T x) const { return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x); }
};

// ---- activation derivatives, from the activation's OUTPUT y and the incoming gradient dy ----------
// (every activation here is invertible enough for that, so the pre-activation need not be kept).
struct relu_grad {
    static constexpr int cost = 1;
    template <class T>
    TYPENET_HD T operator()(T y, T dy) const { return y > T(0) ? dy : T(0); }
};
struct leaky_relu_grad {  // slope > 0 keeps the sign, so y > 0 <=> x > 0
    static constexpr int cost = 1;
    double alpha = 0.3;
    template <class T>
    TYPENET_HD T operator()(T y, T dy) const { return y > T(0) ? dy : T(alpha) * dy; }
};
struct sigmoid_grad {
    static constexpr int cost = 3;
    template <class T>
    TYPENET_HD T operator()(T y, T dy) const { return dy * y * (T(1) - y); }
};
struct tanh_grad {
    static constexpr int cost = 3;
    template <class T>
    TYPENET_HD T operator()(T y, T dy) const { return dy * (T(1) - y * y); }
};
struct identity_grad {
    static constexpr int cost = 0;
    template <class T>
    TYPENET_HD T operator()(T, T dy) const { return dy; }
};

// ---- optimizer updates (train/optimizer.hpp), one parameter at a time -------------------------
// Keras: m = momentum * m - lr * g; w += m   (Nesterov: w += momentum * m - lr * g)
template <class T>
struct sgd_momentum_step {
    T lr, momentum;
    bool nesterov;
    TYPENET_HD void operator()(T& w, const T& g, T& m) const {
        m = momentum * m - lr * g;
        w += nesterov ? momentum * m - lr * g : m;
    }
};
template <class T>
struct sgd_step {
    T lr;
    TYPENET_HD void operator()(T& w, const T& g) const { w -= lr * g; }
};
// Keras: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt(v) + eps),
// alpha = lr sqrt(1 - b2^t) / (1 - b1^t).
// The CPU kernels also run Adam and RMSprop on whole vectors (isa/kernels.ipp: a loop over
// std::sqrt stays scalar under errno semantics) with these operations in this order.
template <class T>
struct adam_step {
    T alpha, one_minus_b1, one_minus_b2, eps;
    TYPENET_HD void operator()(T& w, const T& g, T& m, T& v) const {
        using std::sqrt;
        m += (g - m) * one_minus_b1;
        v += (g * g - v) * one_minus_b2;
        w -= alpha * m / (sqrt(v) + eps);
    }
};
// Keras: v = rho v + (1 - rho) g^2; w -= lr g / sqrt(v + eps)
template <class T>
struct rmsprop_step {
    T lr, rho, eps;
    TYPENET_HD void operator()(T& w, const T& g, T& v) const {
        using std::sqrt;
        v = rho * v + (T(1) - rho) * g * g;
        w -= lr * g / sqrt(v + eps);
    }
};
}  // namespace typenet::fn
