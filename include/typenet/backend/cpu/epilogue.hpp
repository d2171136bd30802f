// cpu epilogue: binds a typenet::epilogue (the elementwise layers fused into a producer, and a
// residual add) to the CPU micro-kernels' stores. Each accumulator vector, on its way from the
// registers to memory, goes through one expression-template tree built from the stages:
//     conv2d<..., relu> -> batch_norm -> leaky_relu, + residual
//     v = leaky(fma(relu(acc), scale[c .. c+8), shift[c .. c+8)) + res[off .. off+8))
// with the same functors the separate layers use, evaluated a vector at a time (packet_eval, as
// Eigen's packet evaluators do), so the result is bit for bit what running the layers one after
// another gives (tests/unit/test_fusion.cpp), without writing and re-reading the output.
#pragma once

#include <cmath>
#include <numeric>
#include <tuple>
#include <type_traits>

#include "../../core/epilogue.hpp"
#include "../../core/expr.hpp"
#include "../../layers/activation.hpp"
#include "../../layers/norm.hpp"
#include "simd.hpp"

namespace typenet::cpu_detail {

// Batch normalisation at inference in TensorFlow's folded form: y = x * scale + shift with
// scale = gamma / sqrt(var + eps), shift = beta - mean * scale. Written with explicit FMAs so the
// separate layer and the fused epilogue compute the same bits.
template <class L, index_t C, class T>
void batch_norm_fold(const T* params, T* scale, T* shift) {
    const T *gamma = params, *beta = params + C, *mean = params + 2 * C, *var = params + 3 * C;
    for (index_t c = 0; c < C; ++c) {
        scale[c] = gamma[c] / std::sqrt(var[c] + T(L::eps));
        shift[c] = fn::multiply_add{}(-mean[c], scale[c], beta[c]);
    }
}

// A run of `len` values at p, as an expression leaf.
template <class T>
TYPENET_INLINE leaf<const T, shape<1>> run_leaf(const T* p, index_t len) {
    return {{}, p, len};
}

// One stage, bound: apply(e, off, len) wraps expression e (the values at output offsets
// [off, off + len)); its constants repeat every `period` outputs.
template <class T, class Stage>
struct bound_stage;

template <class T>
struct bound_stage<T, add_stage> {
    const T* addend;
    explicit bound_stage(const T* p) : addend(p) {}
    static constexpr index_t period = 1;
    template <class E>
    TYPENET_INLINE auto apply(const E& e, index_t off, index_t len) const {
        return e + run_leaf(addend + off, len);
    }
};

template <class T, class L, class S>
    requires std::is_same_v<typename L::category, batch_norm_tag>
struct bound_stage<T, layer_stage<L, S>> {
    static constexpr index_t C = S::value.back();
    T scale[C], shift[C];  // like the separate layer: on the stack, computed once per call
    explicit bound_stage(const T* params) { batch_norm_fold<L, C>(params, scale, shift); }
    static constexpr index_t period = C;  // the constants repeat every C outputs
    template <class E>
    TYPENET_INLINE auto apply(const E& e, index_t off, index_t len) const {
        const index_t c = off % C;
        return ops::fma(e, run_leaf<T>(scale + c, len), run_leaf<T>(shift + c, len));
    }
};

template <class T, class L, class S>
    requires requires { L::functor(); }  // an elementwise activation layer
struct bound_stage<T, layer_stage<L, S>> {
    explicit bound_stage(const T*) {}
    static constexpr index_t period = 1;
    template <class E>
    TYPENET_INLINE auto apply(const E& e, index_t, index_t) const {
        return ops::apply(L::functor(), e);
    }
};

// The value being stored (a register: a vector of accumulators, or one of them) as an expression leaf.
template <class T, class V>
struct value_node : expr_node {
    using value_type = T;
    using shape_type = no_shape;
    V v;
    index_t size() const { return -1; }
    T operator[](index_t i) const {
        if constexpr (std::is_same_v<V, T>) return (void)i, v;
        else return v[i];
    }
};

// An epilogue tree evaluated a vector at a time: leaves are loaded from the addresses they were
// bound to, arithmetic nodes use the vector operations that give the scalar functors' exact
// results (one FMA for fn::multiply_add, max / blend for relu / leaky_relu), and any other functor
// (sigmoid, tanh, ...) runs lane by lane.
template <class T>
struct packet_eval {
    using S = simd<T>;
    using V = typename S::type;
    TYPENET_INLINE static V at(const value_node<T, V>& e) { return e.v; }
    template <class P, class Sh>
    TYPENET_INLINE static V at(const leaf<P, Sh>& e) {
        return S::load(e.p);
    }
    template <class F, class E>
    TYPENET_INLINE static V at(const unary_node<F, E>& e) {
        return unary(e.f, at(e.e));
    }
    template <class F, class A, class B>
    TYPENET_INLINE static V at(const binary_node<F, A, B>& e) {
        const V a = at(e.l), b = at(e.r);
        if constexpr (std::is_same_v<F, fn::plus>) return a + b;
        else if constexpr (std::is_same_v<F, fn::minus>) return a - b;
        else if constexpr (std::is_same_v<F, fn::multiplies>) return a * b;
        else return lanes([&](index_t l) { return e.f(lane(a, l), lane(b, l)); });
    }
    template <class A, class B, class C>
    TYPENET_INLINE static V at(const ternary_node<fn::multiply_add, A, B, C>& e) {
        return S::fma(at(e.a), at(e.b), at(e.c));
    }

private:
    template <class F>
    TYPENET_INLINE static V unary(const F& f, V v) {
        if constexpr (std::is_same_v<F, fn::identity>) return v;
        else if constexpr (std::is_same_v<F, fn::relu>) return S::activate(v, vec_act<T>{store_act::relu, T(0)});
        else if constexpr (std::is_same_v<F, fn::leaky_relu>) return S::activate(v, vec_act<T>{store_act::leaky, T(f.alpha)});
        else return lanes([&](index_t l) { return f(lane(v, l)); });
    }
    TYPENET_INLINE static T lane(const V& v, index_t l) {
        if constexpr (std::is_same_v<V, T>) return (void)l, v;
        else return v[l];
    }
    template <class F>
    TYPENET_INLINE static V lanes(F f) {
        if constexpr (std::is_same_v<V, T>) {
            return f(0);
        } else {
            V r{};
            for (index_t l = 0; l < S::width; ++l) r[l] = f(l);
            return r;
        }
    }
};

// The producer's own activation option (conv2d<..., relu>), applied first; linear adds nothing.
template <class Act>
struct head_activation {
    template <class E>
    TYPENET_INLINE static auto apply(const E& e) {
        if constexpr (std::is_same_v<Act, linear>) return e;
        else return ops::apply(Act::functor(), e);
    }
};

// The register epilogue of a producer with fused stages (simd.hpp's R protocol): vec(v, at) and
// scalar(x, at) give what is to be stored at `at`, inside the output that starts at y (the whole
// call's output, whichever thread stores there).
template <class T, class Act, class... S>
class store_epilogue {
public:
    store_epilogue(const T* y, const epilogue<T, S...>& e)
        : y_(y), stages_([&]<std::size_t... K>(std::index_sequence<K...>) {
              return std::tuple<bound_stage<T, S>...>(bound_stage<T, S>(e.arg[K])...);
          }(std::index_sequence_for<S...>{})) {}
    store_epilogue(const store_epilogue&) = delete;

    template <class V>
    TYPENET_INLINE V vec(V v, const T* at) const {
        constexpr index_t W = simd<T>::width;
        const index_t off = at - y_;
        if constexpr (W > 1 && period > 1 && period % W != 0) {
            // A vector across the end of the channel constants (batch norm over a flattened
            // output whose size is not a multiple of the width): one lane at a time.
            if (off % period > period - W) {
                V r{};
                for (index_t l = 0; l < W; ++l) r[l] = scalar(v[l], at + l);
                return r;
            }
        }
        return packet_eval<T>::at(build<0>(head_activation<Act>::apply(value_node<T, V>{{}, v}), off, W));
    }
    TYPENET_INLINE T scalar(T x, const T* at) const {
        return build<0>(head_activation<Act>::apply(value_node<T, T>{{}, x}), at - y_, 1)[0];
    }

private:
    // Every stage's constants repeat with this period (the channel count; 1 without batch norm).
    static constexpr index_t period = [] {
        index_t r = 1;
        ((r = std::lcm(r, bound_stage<T, S>::period)), ...);
        return r;
    }();
    template <std::size_t K, class E>
    TYPENET_INLINE auto build(const E& e, index_t off, index_t len) const {
        if constexpr (K == sizeof...(S)) return e;
        else return build<K + 1>(std::get<K>(stages_).apply(e, off, len), off, len);
    }

    const T* y_;
    std::tuple<bound_stage<T, S>...> stages_;
};

}  // namespace typenet::cpu_detail
