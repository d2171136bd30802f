// cpu epilogue: binds a typenet::epilogue (the elementwise layers fused into a producer, and a
// residual add) to the CPU kernels (evaluated by isa/epilogue.ipp). Each output vector, in L1 just
// after its tile was stored, goes through one expression-template tree built from the stages:
//     conv2d<..., relu> -> batch_norm -> leaky_relu, + residual
//     v = leaky(fma(relu(y), scale[c .. c+8), shift[c .. c+8)) + res[off .. off+8))
// with the same functors the separate layers use, evaluated a vector at a time (packet_eval, as
// Eigen's packet evaluators do), so the result is bit for bit what running the layers one after
// another gives (tests/unit/test_fusion.cpp), in one pass over the output while it is in cache.
#pragma once

#include <tuple>
#include <type_traits>

#include "../../core/epilogue.hpp"
#include "../../core/expr.hpp"
#include "../../layers/activation.hpp"
#include "../../layers/norm.hpp"

namespace typenet::cpu_detail {

// Batch normalisation's per-channel constants (fn::batch_norm_fold) for all C channels: the separate
// layer and the fused epilogue fold the same way, so they compute the same bits.
// Never inlined: the separate layer calls it from the kernels of an instruction set (isa/forward.ipp),
// the fused epilogue from the policy; inlined into FMA-targeted code, g++ contracted its
// multiply-add there and not here, and the two disagreed in the last bit.
template <class L, index_t C, class T>
TYPENET_KERNEL void batch_norm_fold(const T* params, T* scale, T* shift) {
    const T *gamma = params, *beta = params + C, *mean = params + 2 * C, *var = params + 3 * C;
    for (index_t c = 0; c < C; ++c) fn::batch_norm_fold{}(gamma[c], beta[c], mean[c], var[c], T(L::eps), scale[c], shift[c]);
}

// A run of `len` values at p, as an expression leaf.
template <class T>
TYPENET_INLINE leaf<const T, shape<1>> run_leaf(const T* p, index_t len) {
    return {{}, p, len};
}

// The value being stored (a register: a vector of accumulators, or one of them) as an expression leaf.
template <class T, class V>
struct value_node : expr_node {
    using value_type = T;
    using shape_type = no_shape;
    V v;
    // TYPENET_HD like every other node's: nvcc compiles the CPU policy's trees too.
    TYPENET_HD index_t size() const { return -1; }
    TYPENET_HD T operator[](index_t i) const {
        if constexpr (std::is_same_v<V, T>) return (void)i, v;
        else return v[i];
    }
};

// ---- the fused epilogue --------------------------------------------------------------------------
// Its type names only the kinds of its stages (sizes and pointers are values), so producers of every
// shape share one instantiation of its pass per kind sequence; the micro-kernels never see it.
struct affine_kind {};  // batch norm: fma(v, scale[c], shift[c])
template <class F>
struct unary_kind {};  // an activation functor (the producer's own option, or an activation layer)
struct add_kind {};    // + the element of another tensor laid out like the output

// One stage, bound: apply(e, off, col, len) wraps expression e, the values at output offset off
// (from the start of the whole output) and column col of their row (a pixel's filter, a unit).
template <class T, class Kind>
struct stage_view;
template <class T>
struct stage_view<T, affine_kind> {
    const T* scale;
    const T* shift;
    index_t C;
    bool by_col;  // C is the producer's row width: the channel is the column
    TYPENET_INLINE index_t channel(index_t off, index_t col) const { return by_col ? col : off % C; }
    template <class E>
    TYPENET_INLINE auto apply(const E& e, index_t off, index_t col, index_t len) const {
        const index_t c = channel(off, col);
        return ops::fma(e, run_leaf<T>(scale + c, len), run_leaf<T>(shift + c, len));
    }
};
template <class T, class F>
struct stage_view<T, unary_kind<F>> {
    F f;
    template <class E>
    TYPENET_INLINE auto apply(const E& e, index_t, index_t, index_t) const {
        return ops::apply(f, e);
    }
};
template <class T>
struct stage_view<T, add_kind> {
    const T* addend;
    template <class E>
    TYPENET_INLINE auto apply(const E& e, index_t off, index_t, index_t len) const {
        return e + run_leaf<T>(addend + off, len);
    }
};

// What the fused epilogue (isa/epilogue.ipp) is built from: the output the offsets are taken from,
// its row width (the producer's filters or units: a value's column is its offset modulo the width),
// and the bound stages. Passed to the kernels as the epilogue of finished runs of output, not as a
// register epilogue: the micro-kernels then never depend on it (compile time, docs/compile-time.md).
template <class T, class... K>
struct register_stages {
    const T* y;
    index_t width;
    std::tuple<stage_view<T, K>...> st;
};

// ---- binding a typenet::epilogue to a producer -------------------------------------------------------
template <class St>
struct kind_of {
    using type = add_kind;
};
template <class L, class S>
    requires std::is_same_v<typename L::category, batch_norm_tag>
struct kind_of<layer_stage<L, S>> {
    using type = affine_kind;
};
template <class L, class S>
    requires requires { L::functor(); }
struct kind_of<layer_stage<L, S>> {
    using type = unary_kind<decltype(L::functor())>;
};
// The channels a stage folds constants for (batch norm), else 0.
template <class St>
constexpr index_t folded_channels() {
    if constexpr (std::is_same_v<typename kind_of<St>::type, affine_kind>) return St::input::value.back();
    else return 0;
}

// A producer's own activation option (conv2d<..., relu>) as the first stage; linear adds none.
template <class T, class Act>
constexpr auto own_activation_stage() {
    if constexpr (std::is_same_v<Act, linear>) return epilogue<T>{};
    else return epilogue<T, layer_stage<Act, shape<1>>>{};  // an activation needs no pointer
}

// Owns what the stages need for one call (batch norm's scale and shift, folded as the separate layer
// folds them, on the stack) and the register epilogue built over it. Width: the producer's row
// (filters or units).
template <class T, index_t Width, class Epi>
class fused_binding;
template <class T, index_t Width, class... S>
class fused_binding<T, Width, epilogue<T, S...>> {
public:
    using reg_type = register_stages<T, typename kind_of<S>::type...>;

    fused_binding(const T* y, const epilogue<T, S...>& e) : reg_{y, Width, views(e)} {}
    fused_binding(const fused_binding&) = delete;  // its views point into itself
    const reg_type& reg() const { return reg_; }

private:
    static constexpr index_t folded = (folded_channels<S>() + ... + 0);

    auto views(const epilogue<T, S...>& e) {
        index_t at = 0;
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return std::tuple<stage_view<T, typename kind_of<S>::type>...>{view<S>(e.arg[I], at)...};
        }(std::index_sequence_for<S...>{});
    }
    template <class St>
    stage_view<T, typename kind_of<St>::type> view(const T* arg, index_t& at) {
        using Kd = typename kind_of<St>::type;
        if constexpr (std::is_same_v<Kd, affine_kind>) {
            using L = typename St::layer;
            constexpr index_t C = St::input::value.back();
            T* scale = folds_ + at;
            T* shift = folds_ + at + C;
            at += 2 * C;
            batch_norm_fold<L, C>(arg, scale, shift);
            return {scale, shift, C, C == Width};
        } else if constexpr (std::is_same_v<Kd, add_kind>) {
            return {arg};
        } else {
            return {St::layer::functor()};
        }
    }

    T folds_[2 * folded > 0 ? 2 * folded : 1];
    reg_type reg_;
};

}  // namespace typenet::cpu_detail
