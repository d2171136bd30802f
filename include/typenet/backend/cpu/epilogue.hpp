// cpu epilogue: binds a typenet::epilogue (the elementwise layers fused into a producer, and a
// residual add) to the CPU kernels' stores. Each finished run of outputs -- a tile's row, still in
// L1 -- is rewritten by one expression-template tree built from the stages:
//     conv2d<..., relu> -> batch_norm -> leaky_relu, + residual
//     p[i] = leaky(fma(relu(p[i]), scale[c + i], shift[c + i]) + res[off + i])
// with the same functors the separate layers use, so the result is bit for bit what running the
// layers one after another gives (tests/unit/test_fusion.cpp).
#pragma once

#include <cmath>
#include <tuple>
#include <type_traits>

#include "../../core/epilogue.hpp"
#include "../../core/expr.hpp"
#include "../../layers/activation.hpp"
#include "../../layers/norm.hpp"

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
// [off, off + len)); limit(off) is how far from off the stage's per-channel constants stay contiguous.
template <class T, class Stage>
struct bound_stage;

template <class T>
struct bound_stage<T, add_stage> {
    const T* addend;
    explicit bound_stage(const T* p) : addend(p) {}
    static constexpr index_t limit(index_t) { return index_t(1) << 62; }
    template <class E>
    auto apply(const E& e, index_t off, index_t len) const {
        return e + run_leaf(addend + off, len);
    }
};

template <class T, class L, class S>
    requires std::is_same_v<typename L::category, batch_norm_tag>
struct bound_stage<T, layer_stage<L, S>> {
    static constexpr index_t C = S::value.back();
    T scale[C], shift[C];  // like the separate layer: on the stack, computed once per call
    explicit bound_stage(const T* params) { batch_norm_fold<L, C>(params, scale, shift); }
    static constexpr index_t limit(index_t off) { return C - off % C; }
    template <class E>
    auto apply(const E& e, index_t off, index_t len) const {
        const index_t c = off % C;
        return ops::fma(e, run_leaf<T>(scale + c, len), run_leaf<T>(shift + c, len));
    }
};

template <class T, class L, class S>
    requires requires { L::functor(); }  // an elementwise activation layer
struct bound_stage<T, layer_stage<L, S>> {
    explicit bound_stage(const T*) {}
    static constexpr index_t limit(index_t) { return index_t(1) << 62; }
    template <class E>
    auto apply(const E& e, index_t, index_t) const {
        return ops::apply(L::functor(), e);
    }
};

// The producer's own activation option (conv2d<..., relu>), applied first; linear adds nothing.
template <class Act>
struct head_activation {
    template <class E>
    static auto apply(const E& e) {
        if constexpr (std::is_same_v<Act, linear>) return e;
        else return ops::apply(Act::functor(), e);
    }
};

// What a producer's kernel calls on each finished run of its output, epi(p, count): p inside the
// output that starts at y (the whole call's output, whichever thread stores the run).
template <class T, class Act, class... S>
class store_epilogue {
public:
    store_epilogue(const T* y, const epilogue<T, S...>& e)
        : y_(y), stages_([&]<std::size_t... K>(std::index_sequence<K...>) {
              return std::tuple<bound_stage<T, S>...>(bound_stage<T, S>(e.arg[K])...);
          }(std::index_sequence_for<S...>{})) {}
    store_epilogue(const store_epilogue&) = delete;

    void operator()(T* p, index_t count) const {
        index_t off = p - y_;
        while (count > 0) {
            // A piece that no stage's channel constants wrap around in (a pixel's filters at most).
            const index_t len = std::apply(
                [&](const auto&... st) {
                    index_t m = count;
                    ((m = st.limit(off) < m ? st.limit(off) : m), ...);
                    return m;
                },
                stages_);
            const auto e = build<0>(head_activation<Act>::apply(run_leaf<T>(p, len)), off, len);
            for (index_t i = 0; i < len; ++i) p[i] = e[i];
            p += len, off += len, count -= len;
        }
    }

private:
    template <std::size_t K, class E>
    auto build(const E& e, index_t off, index_t len) const {
        if constexpr (K == sizeof...(S)) return e;
        else return build<K + 1>(std::get<K>(stages_).apply(e, off, len), off, len);
    }

    const T* y_;
    std::tuple<bound_stage<T, S>...> stages_;
};

}  // namespace typenet::cpu_detail
