// cpu kernels: the forward computation of the leaf layers on the host that are not GEMM-shaped
// (pooling, global pooling, softmax), and what the GEMM-shaped kernels (isa/forward.ipp, one copy per
// instruction set) share with the policy. Templated on the layer descriptor and its input/output
// shapes only (never on the network), so instantiations are shared.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "../../core/expr.hpp"
#include "../../layers/activation.hpp"
#include "../../layers/conv.hpp"
#include "../../layers/dense.hpp"
#include "../../layers/dropout.hpp"
#include "../../layers/embedding.hpp"
#include "../../layers/norm.hpp"
#include "../../layers/recurrent.hpp"
#include "../../layers/pool.hpp"
#include "../../layers/reshape.hpp"
#include "epilogue.hpp"
#include "gemm.hpp"
#include "simd.hpp"

namespace typenet::cpu_detail {

template <class T>
void softmax_rows(T* y, index_t rows, index_t len) {
    for (index_t r = 0; r < rows; ++r) {
        T* v = y + r * len;
        T m = v[0];
        for (index_t i = 1; i < len; ++i) m = v[i] > m ? v[i] : m;
        T s = 0;
        for (index_t i = 0; i < len; ++i) {
            v[i] = std::exp(v[i] - m);
            s += v[i];
        }
        const T inv = T(1) / s;
        for (index_t i = 0; i < len; ++i) v[i] *= inv;
    }
}

// Apply a layer's activation option to a finished output run (elementwise, or softmax per row).
template <class Act, class T>
void finish_activation(T* y, index_t rows, index_t len) {
    if constexpr (std::is_same_v<Act, softmax>) softmax_rows(y, rows, len);
}

template <class Act, class T>
TYPENET_INLINE T activate(T v) {
    if constexpr (std::is_same_v<Act, softmax>) return v;  // done per row afterwards
    else return Act::functor()(v);
}

// The register-blocked micro-kernels below are templated only on the tile sizes and T -- not on
// the layer's shapes -- so every layer shares one set of instantiations (examples/seed_models.cpp,
// g++ 12 -O2 user time: 11.2 s before, 8.8 s after).

// A layer's activation in the kernels' stores: relu and leaky_relu in registers (store_activation),
// anything else (sigmoid, tanh, ...) as an epilogue on each finished piece of output while it is
// still in cache (activation_epilogue). linear needs neither; softmax is done per row afterwards
// (finish_activation).
template <class Act>
constexpr auto functor_of() {
    if constexpr (requires { Act::functor(); }) return Act::functor();
    else return fn::identity{};  // softmax: applied per row afterwards
}
template <class Act, class T>
constexpr vec_act<T> store_activation() {
    using F = decltype(functor_of<Act>());
    if constexpr (std::is_same_v<F, fn::relu>) return {store_act::relu, T(0)};
    else if constexpr (std::is_same_v<F, fn::leaky_relu>) return {store_act::leaky, T(functor_of<Act>().alpha)};
    else return {};
}

// A layer's own activation as a register epilogue whose kind is a compile-time constant (the stores
// then carry no branch on it, and g++ 12 keeps seeing the row kernel's loop bounds).
template <class Act, class T>
struct layer_act {
    static constexpr vec_act<T> act = store_activation<Act, T>();
};

// First layers (few input channels) use the row kernel, instantiated per layer; everything else the
// shared implicit-GEMM kernels.
constexpr bool uses_row_kernel(index_t channels) { return channels < 8; }

// A producer's own activation as the register epilogue of its stores: a type (layer_act) for the row
// kernel, which is instantiated per layer anyway; a value (vec_act) for the shared GEMM and
// implicit-GEMM kernels (one instantiation for every layer).
template <class L, class In, class T>
constexpr auto own_activation() {
    using Act = typename L::activation;
    if constexpr (std::is_same_v<typename L::category, conv2d_tag> && uses_row_kernel(In::value.back()))
        return layer_act<Act, T>{};
    else
        return store_activation<Act, T>();
}

// The first stage of a producer's fused epilogue: its own activation, unless its stores apply it
// (own_activation: relu and leaky_relu in registers).
template <class T, class Act>
constexpr auto unstored_activation_stage() {
    if constexpr (store_activation<Act, T>().kind != store_act::none) return epilogue<T>{};
    else return own_activation_stage<T, Act>();
}

template <class Act, class T>
constexpr auto activation_epilogue() {
    if constexpr (std::is_same_v<Act, linear> || std::is_same_v<Act, softmax> ||
                  store_activation<Act, T>().kind != store_act::none)
        return noop_epilogue{};  // one type for every layer (a lambda here was one per activation)
    else
        return [](T* p, index_t count) {
            for (index_t j = 0; j < count; ++j) p[j] = activate<Act>(p[j]);
        };
}

// ---- dense and conv2d forward: per instruction set (isa/forward.ipp); their shared plain types -----
// A convolution's geometry; uh, uw > 1: the input is read as if dilated by them (a zero between its
// pixels), which makes the forward kernel compute a strided convolution's input gradient.
struct conv_geometry {
    index_t H, W, C, OH, OW, F, kh, kw, sh, sw, pt, pl, uh = 1, uw = 1;
};

// Where each pixel of a tile reads (its sample's input and the top-left corner of its window) and
// writes (its index among the output pixels).
struct conv_pixel {
    index_t sample_offset, iy0, ix0, out;
};

// Whether position d of a dilated input (dilation u) holds a real pixel.
constexpr bool on_dilated_grid(index_t d, index_t u) { return u == 1 || (u == 2 ? (d & 1) == 0 : d % u == 0); }

// First layers (few input channels) use the row kernel: a tap's run of C values is too short to
// amortise locating each pixel's input rows, or copying its window (im2col: measured slower, the
// copy costs more than the 9 x F multiply-adds it feeds). Filters in blocks of FB (the largest of
// 32, 24, 16, 8, 4, 2, 1 dividing F).
constexpr index_t filter_block(index_t f) {
    if (f <= 32) return f;
    for (index_t b : {32, 24, 16, 8, 4, 2})
        if (f % b == 0) return b;
    return 1;
}

// The real (unpadded) input cells under a pooling window at output (oy, ox): [y_lo, y_hi) x [x_lo, x_hi).
// Shared by the forward and backward pooling kernels.
struct pool_window {
    index_t y_lo, y_hi, x_lo, x_hi;
};
template <class L, class In>
TYPENET_INLINE pool_window pool_window_at(index_t oy, index_t ox) {
    constexpr index_t H = In::extents[0], W = In::extents[1];
    constexpr index_t PT = pad_before(H, L::ph, L::sh, L::pad), PL = pad_before(W, L::pw, L::sw, L::pad);
    const index_t iy0 = oy * L::sh - PT, ix0 = ox * L::sw - PL;
    return {std::max<index_t>(0, iy0), std::min<index_t>(H, iy0 + L::ph), std::max<index_t>(0, ix0),
            std::min<index_t>(W, ix0 + L::pw)};
}

template <class L, class In, class T>
void global_pool2d_forward(const T* x, T* y, index_t n) {
    constexpr index_t HW = In::extents[0] * In::extents[1], C = In::extents[2];
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * HW * C;
        T* ys = y + s * C;
        for (index_t c = 0; c < C; ++c) ys[c] = L::is_max ? xs[c] : T(0);
        for (index_t p = L::is_max ? 1 : 0; p < HW; ++p)
            for (index_t c = 0; c < C; ++c) {
                if constexpr (L::is_max) ys[c] = xs[p * C + c] > ys[c] ? xs[p * C + c] : ys[c];
                else ys[c] += xs[p * C + c];
            }
        if constexpr (!L::is_max)
            for (index_t c = 0; c < C; ++c) ys[c] /= T(HW);
    }
}

}  // namespace typenet::cpu_detail
