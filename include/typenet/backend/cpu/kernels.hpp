// cpu kernels: the forward computation of every leaf layer on the host. Templated on the layer
// descriptor and its input/output shapes only (never on the network), so instantiations are shared.
// Bias and activation are applied in the store of the accumulators (fused epilogue).
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
#include "../../layers/norm.hpp"
#include "../../layers/pool.hpp"
#include "../../layers/reshape.hpp"

namespace typenet::cpu_detail {

// Width of the output-channel block held in registers: F itself up to 32, else the largest of
// 32, 24, 16, 8, 4, 2, 1 dividing F (so every block is full and the inner loop has a compile-time
// trip count the compiler vectorises). 4 rows x 32 floats = 16 256-bit accumulators; 64-wide
// blocks spilled on this AVX2-tuned build (M2 conv forward: 8 GFLOP/s with 64, see docs/performance).
constexpr index_t channel_block(index_t f) {
    if (f <= 32) return f;
    for (index_t b : {32, 24, 16, 8, 4, 2})
        if (f % b == 0) return b;
    return 1;
}

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

// The register-blocked micro-kernels below are templated only on the block sizes, the activation
// and T -- not on the layer's shapes -- so every layer with the same block width shares one
// instantiation (examples/seed_models.cpp, g++ 12 -O2 user time: 11.2 s before, 8.8 s after).

// ---- dense: y (n, U) = x (n, K) . w (K, U) + b ---------------------------------------------------
// MR rows x UB columns of accumulators; the column loop is contiguous in w and y.
template <index_t MR, index_t UB, class Act, bool Bias, class T>
void dense_tile(const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT b, const T* TYPENET_RESTRICT x,
                T* TYPENET_RESTRICT y, index_t K, index_t U, index_t j0) {
    T acc[MR][UB];
    for (index_t r = 0; r < MR; ++r)
        for (index_t j = 0; j < UB; ++j) acc[r][j] = Bias ? b[j0 + j] : T(0);
    for (index_t k = 0; k < K; ++k) {
        const T* wk = w + k * U + j0;
        for (index_t r = 0; r < MR; ++r) {
            const T a = x[r * K + k];
            for (index_t j = 0; j < UB; ++j) acc[r][j] += a * wk[j];
        }
    }
    for (index_t r = 0; r < MR; ++r)
        for (index_t j = 0; j < UB; ++j) y[r * U + j0 + j] = activate<Act>(acc[r][j]);
}

template <class L, class In, class Out, class T>
void dense_forward(const T* params, const T* x, T* y, index_t n) {
    constexpr index_t K = In::size, U = L::units, UB = channel_block(U);
    using Act = typename L::activation;
    const T* w = params;           // (K, U)
    const T* b = params + K * U;   // (U)
    index_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (index_t j0 = 0; j0 < U; j0 += UB) dense_tile<4, UB, Act, L::has_bias>(w, b, x + i * K, y + i * U, K, U, j0);
    for (; i < n; ++i)
        for (index_t j0 = 0; j0 < U; j0 += UB) dense_tile<1, UB, Act, L::has_bias>(w, b, x + i * K, y + i * U, K, U, j0);
    finish_activation<Act>(y, n, U);
}

// ---- conv2d (direct): y (n, OH, OW, F) from x (n, H, W, C), w (KH, KW, C, F) -------------------
// Interior output pixels are processed four at a time (each weight load feeds four FMAs);
// edge pixels (where "same" padding cuts the window) one at a time with clipped tap ranges.
struct conv_geometry {
    index_t H, W, C, OW, F, kh, kw, sh, sw, pt, pl;
};

// Accumulators as explicit vectors (GCC/clang vector extensions) so they stay in registers:
// with plain arrays g++ 12 kept the 4 x 32 tile in memory (M2 inference: 10 GFLOP/s).
// Only with AVX: passing 32-byte vectors by value without it changes the ABI (g++ -Wpsabi).
#if (defined(__GNUC__) || defined(__clang__)) && defined(__AVX__)
#define TYPENET_VECTOR_EXTENSIONS 1
template <class T>
struct simd {
    static constexpr index_t width = 32 / index_t(sizeof(T));  // 256-bit vectors
    typedef T type __attribute__((vector_size(32)));
    static type load(const T* p) {
        type v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    static void store(T* p, type v) { __builtin_memcpy(p, &v, sizeof v); }
};
#else
#define TYPENET_VECTOR_EXTENSIONS 0
#endif

template <index_t PX, index_t FB, class Act, bool Bias, class T>
void conv_tile(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT b,
               const T* TYPENET_RESTRICT x, T* TYPENET_RESTRICT y, index_t oy, index_t ox, index_t f0) {
    const index_t iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
    const index_t ky_lo = std::max<index_t>(0, -iy0), ky_hi = std::min<index_t>(g.kh, g.H - iy0);
    // With PX > 1 the caller guarantees all PX windows lie inside the input horizontally.
    const index_t kx_lo = PX > 1 ? 0 : std::max<index_t>(0, -ix0);
    const index_t kx_hi = PX > 1 ? g.kw : std::min<index_t>(g.kw, g.W - ix0);
    const index_t C = g.C, F = g.F, xstep = g.sw * C;
#if TYPENET_VECTOR_EXTENSIONS
    if constexpr (FB % simd<T>::width == 0) {
        using V = typename simd<T>::type;
        constexpr index_t NV = FB / simd<T>::width, VW = simd<T>::width;
        V acc[PX][NV];
        for (index_t j = 0; j < NV; ++j) {
            const V bias = Bias ? simd<T>::load(b + f0 + j * VW) : V{};
            for (index_t p = 0; p < PX; ++p) acc[p][j] = bias;
        }
        for (index_t ky = ky_lo; ky < ky_hi; ++ky) {
            const T* xrow = x + (iy0 + ky) * g.W * C;
            for (index_t kx = kx_lo; kx < kx_hi; ++kx) {
                const T* wt = w + ((ky * g.kw + kx) * C) * F + f0;
                const T* xp = xrow + (ix0 + kx) * C;
                for (index_t c = 0; c < C; ++c) {
                    V wv[NV];
                    for (index_t j = 0; j < NV; ++j) wv[j] = simd<T>::load(wt + c * F + j * VW);
                    for (index_t p = 0; p < PX; ++p) {
                        const T a = xp[p * xstep + c];
                        for (index_t j = 0; j < NV; ++j) acc[p][j] += a * wv[j];
                    }
                }
            }
        }
        for (index_t p = 0; p < PX; ++p) {
            T* yp = y + ((oy * g.OW) + ox + p) * F + f0;
            for (index_t j = 0; j < NV; ++j) simd<T>::store(yp + j * VW, acc[p][j]);
            for (index_t j = 0; j < FB; ++j) yp[j] = activate<Act>(yp[j]);
        }
        return;
    }
#endif
    T acc[PX][FB];
    for (index_t p = 0; p < PX; ++p)
        for (index_t j = 0; j < FB; ++j) acc[p][j] = Bias ? b[f0 + j] : T(0);
    for (index_t ky = ky_lo; ky < ky_hi; ++ky) {
        const T* xrow = x + (iy0 + ky) * g.W * C;
        for (index_t kx = kx_lo; kx < kx_hi; ++kx) {
            const T* wt = w + ((ky * g.kw + kx) * C) * F + f0;
            const T* xp = xrow + (ix0 + kx) * C;
            for (index_t c = 0; c < C; ++c) {
                const T* wc = wt + c * F;
                for (index_t p = 0; p < PX; ++p) {
                    const T a = xp[p * xstep + c];
                    for (index_t j = 0; j < FB; ++j) acc[p][j] += a * wc[j];
                }
            }
        }
    }
    for (index_t p = 0; p < PX; ++p)
        for (index_t j = 0; j < FB; ++j) y[((oy * g.OW) + ox + p) * F + f0 + j] = activate<Act>(acc[p][j]);
}

template <class L, class In, class Out, class T>
void conv2d_forward(const T* params, const T* x, T* y, index_t n) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters, FB = channel_block(F);
    constexpr index_t PT = pad_before(H, L::kh, L::sh, L::pad), PL = pad_before(W, L::kw, L::sw, L::pad);
    constexpr conv_geometry g{H, W, C, OW, F, L::kh, L::kw, L::sh, L::sw, PT, PL};
    using Act = typename L::activation;
    const T* w = params;
    const T* b = params + L::kh * L::kw * C * F;
    // Output columns whose whole window is inside the input: [ox_lo, ox_hi).
    constexpr index_t ox_lo = std::min<index_t>(OW, (PL + L::sw - 1) / L::sw);
    constexpr index_t ox_hi_raw = (W + PL - L::kw) >= 0 ? (W + PL - L::kw) / L::sw + 1 : 0;
    constexpr index_t ox_hi = std::max<index_t>(ox_lo, std::min<index_t>(OW, ox_hi_raw));
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* ys = y + s * OH * OW * F;
        for (index_t oy = 0; oy < OH; ++oy)
            for (index_t f0 = 0; f0 < F; f0 += FB) {
                index_t ox = 0;
                for (; ox < ox_lo; ++ox) conv_tile<1, FB, Act, L::has_bias>(g, w, b, xs, ys, oy, ox, f0);
                for (; ox + 4 <= ox_hi; ox += 4) conv_tile<4, FB, Act, L::has_bias>(g, w, b, xs, ys, oy, ox, f0);
                for (; ox < OW; ++ox) conv_tile<1, FB, Act, L::has_bias>(g, w, b, xs, ys, oy, ox, f0);
            }
    }
    finish_activation<Act>(y, n * OH * OW, F);
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

// ---- pooling --------------------------------------------------------------------------------------
// Max pooling ignores padded cells (TensorFlow pads with -inf); average pooling divides by the
// number of real cells in the window (TensorFlow's "same" average excludes padding).
template <class L, class In, class Out, class T>
void pool2d_forward(const T* x, T* y, index_t n) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1];
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* ys = y + s * OH * OW * C;
        for (index_t oy = 0; oy < OH; ++oy)
            for (index_t ox = 0; ox < OW; ++ox) {
                const auto [y_lo, y_hi, x_lo, x_hi] = pool_window_at<L, In>(oy, ox);
                T acc[C];
                for (index_t c = 0; c < C; ++c) acc[c] = L::is_max ? -std::numeric_limits<T>::infinity() : T(0);
                for (index_t iy = y_lo; iy < y_hi; ++iy)
                    for (index_t ix = x_lo; ix < x_hi; ++ix) {
                        const T* xp = xs + (iy * W + ix) * C;
                        for (index_t c = 0; c < C; ++c) {
                            if constexpr (L::is_max) acc[c] = xp[c] > acc[c] ? xp[c] : acc[c];
                            else acc[c] += xp[c];
                        }
                    }
                T* yp = ys + (oy * OW + ox) * C;
                const T inv = T(1) / T((y_hi - y_lo) * (x_hi - x_lo));
                for (index_t c = 0; c < C; ++c) yp[c] = L::is_max ? acc[c] : acc[c] * inv;
            }
    }
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

// ---- batch normalisation (inference): TensorFlow's folded form --------------------------------------
// inv = gamma / sqrt(var + eps); y = x * inv + (beta - mean * inv) -- one fused expression pass.
template <class L, class In, class T>
void batch_norm_forward(const T* params, const T* x, T* y, index_t n) {
    constexpr index_t C = In::value.back();
    const T *gamma = params, *beta = params + C, *mean = params + 2 * C, *var = params + 3 * C;
    T scale[C], shift[C];
    for (index_t c = 0; c < C; ++c) {
        scale[c] = gamma[c] / std::sqrt(var[c] + T(L::eps));
        shift[c] = beta[c] - mean[c] * scale[c];
    }
    const leaf<const T, In> in{{}, x, n};
    const auto e = in * channel_node<T, C>{{}, scale} + channel_node<T, C>{{}, shift};
    evaluate_into(y, n * In::size, e);
}

}  // namespace typenet::cpu_detail
