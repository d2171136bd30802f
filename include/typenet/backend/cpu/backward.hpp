// cpu backward: training-mode forward passes (batch_norm with batch statistics, dropout with a
// mask) and the backward pass of every leaf layer. x: the layer's input, y: its output, dy: the
// gradient of the loss w.r.t. y (may be overwritten), dx: w.r.t. x (nullptr: not wanted),
// grads: w.r.t. the layer's parameters, same layout as the parameters (overwritten).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "../../core/train_context.hpp"
#include "kernels.hpp"

namespace typenet::cpu_detail {

// dy <- dy * f'(.) for the layer's activation, computed from the output y. Softmax: the
// Jacobian-vector product per row, y * (dy - sum(dy * y)), unless the loss already did it.
// When the loss differentiated through the output's softmax or sigmoid (ctx.logits_grad, last
// layer only), dy already is the gradient w.r.t. the logits.
template <class Act, class T>
void activation_backward(const T* y, T* dy, index_t rows, index_t len, const train_context& ctx, bool last) {
    if constexpr (std::is_same_v<Act, softmax> || std::is_same_v<Act, sigmoid>)
        if (last && ctx.logits_grad) return;
    if constexpr (std::is_same_v<Act, softmax>) {
        for (index_t r = 0; r < rows; ++r) {
            const T* yr = y + r * len;
            T* d = dy + r * len;
            T dot = 0;
            for (index_t i = 0; i < len; ++i) dot += d[i] * yr[i];
            for (index_t i = 0; i < len; ++i) d[i] = yr[i] * (d[i] - dot);
        }
    } else if constexpr (!std::is_same_v<Act, linear>) {
        const auto g = Act::gradient();
        const index_t n = rows * len;
        for (index_t i = 0; i < n; ++i) dy[i] = g(y[i], dy[i]);
    }
}

// ---- dense ---------------------------------------------------------------------------------------
template <class L, class In, class Out, class T>
void dense_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                    const train_context& ctx, bool last) {
    constexpr index_t K = In::size, U = L::units;
    activation_backward<typename L::activation>(y, dy, n, U, ctx, last);
    const T* w = params;
    if (ctx.param_grads) {
        T* dw = grads;  // (K, U) = x^T (K, n) . dz (n, U)
        std::fill(dw, dw + K * U, T(0));
        for (index_t r = 0; r < n; ++r) {
            const T* dz = dy + r * U;
            const T* xr = x + r * K;
            for (index_t k = 0; k < K; ++k) {
                const T a = xr[k];
                if (a == T(0)) continue;  // relu inputs are often zero
                T* row = dw + k * U;
                for (index_t j = 0; j < U; ++j) row[j] += a * dz[j];
            }
        }
        if constexpr (L::has_bias) {
            T* db = grads + K * U;
            std::fill(db, db + U, T(0));
            for (index_t r = 0; r < n; ++r)
                for (index_t j = 0; j < U; ++j) db[j] += dy[r * U + j];
        }
    }
    if (dx) {  // dx (n, K) = dz (n, U) . w^T
        for (index_t r = 0; r < n; ++r) {
            const T* dz = dy + r * U;
            T* dxr = dx + r * K;
            for (index_t k = 0; k < K; ++k) {
                const T* wk = w + k * U;
                T s = 0;
                for (index_t j = 0; j < U; ++j) s += wk[j] * dz[j];
                dxr[k] = s;
            }
        }
    }
}

// ---- conv2d --------------------------------------------------------------------------------------
template <class L, class In, class Out, class T>
void conv2d_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                     const train_context& ctx, bool last) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters;
    constexpr index_t KH = L::kh, KW = L::kw, SH = L::sh, SW = L::sw;
    constexpr index_t PT = pad_before(H, KH, SH, L::pad), PL = pad_before(W, KW, SW, L::pad);
    activation_backward<typename L::activation>(y, dy, n * OH * OW, F, ctx, last);
    const T* w = params;
    T* dw = grads;
    if (ctx.param_grads) {
        std::fill(dw, dw + KH * KW * C * F, T(0));
        if constexpr (L::has_bias) std::fill(dw + KH * KW * C * F, dw + KH * KW * C * F + F, T(0));
    }
    if (dx) std::fill(dx, dx + n * H * W * C, T(0));
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* dxs = dx ? dx + s * H * W * C : nullptr;
        for (index_t oy = 0; oy < OH; ++oy)
            for (index_t ox = 0; ox < OW; ++ox) {
                const T* dz = dy + ((s * OH + oy) * OW + ox) * F;
                if (ctx.param_grads && L::has_bias) {
                    T* db = dw + KH * KW * C * F;
                    for (index_t f = 0; f < F; ++f) db[f] += dz[f];
                }
                const index_t iy0 = oy * SH - PT, ix0 = ox * SW - PL;
                for (index_t ky = std::max<index_t>(0, -iy0); ky < std::min<index_t>(KH, H - iy0); ++ky)
                    for (index_t kx = std::max<index_t>(0, -ix0); kx < std::min<index_t>(KW, W - ix0); ++kx) {
                        const index_t pix = (iy0 + ky) * W + (ix0 + kx);
                        const T* xp = xs + pix * C;
                        const index_t tap = (ky * KW + kx) * C * F;
                        for (index_t c = 0; c < C; ++c) {
                            if (ctx.param_grads) {
                                const T a = xp[c];
                                T* dwc = dw + tap + c * F;
                                for (index_t f = 0; f < F; ++f) dwc[f] += a * dz[f];
                            }
                            if (dxs) {
                                const T* wc = w + tap + c * F;
                                T acc = 0;
                                for (index_t f = 0; f < F; ++f) acc += wc[f] * dz[f];
                                dxs[pix * C + c] += acc;
                            }
                        }
                    }
            }
    }
}

// ---- pooling -------------------------------------------------------------------------------------
// Max pooling routes each gradient to the first maximum of its window (TensorFlow's rule);
// average pooling spreads it over the window's real cells.
template <class L, class In, class Out, class T>
void pool2d_backward(const T* x, const T* dy, T* dx, index_t n) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1];
    constexpr index_t PT = pad_before(H, L::ph, L::sh, L::pad), PL = pad_before(W, L::pw, L::sw, L::pad);
    std::fill(dx, dx + n * H * W * C, T(0));
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* dxs = dx + s * H * W * C;
        for (index_t oy = 0; oy < OH; ++oy)
            for (index_t ox = 0; ox < OW; ++ox) {
                const index_t iy0 = oy * L::sh - PT, ix0 = ox * L::sw - PL;
                const index_t y_lo = std::max<index_t>(0, iy0), y_hi = std::min<index_t>(H, iy0 + L::ph);
                const index_t x_lo = std::max<index_t>(0, ix0), x_hi = std::min<index_t>(W, ix0 + L::pw);
                const T* g = dy + ((s * OH + oy) * OW + ox) * C;
                for (index_t c = 0; c < C; ++c) {
                    if constexpr (L::is_max) {
                        index_t best = y_lo * W + x_lo;
                        for (index_t iy = y_lo; iy < y_hi; ++iy)
                            for (index_t ix = x_lo; ix < x_hi; ++ix)
                                if (xs[(iy * W + ix) * C + c] > xs[best * C + c]) best = iy * W + ix;
                        dxs[best * C + c] += g[c];
                    } else {
                        const T share = g[c] / T((y_hi - y_lo) * (x_hi - x_lo));
                        for (index_t iy = y_lo; iy < y_hi; ++iy)
                            for (index_t ix = x_lo; ix < x_hi; ++ix) dxs[(iy * W + ix) * C + c] += share;
                    }
                }
            }
    }
}

template <class L, class In, class T>
void global_pool2d_backward(const T* x, const T* dy, T* dx, index_t n) {
    constexpr index_t HW = In::extents[0] * In::extents[1], C = In::extents[2];
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * HW * C;
        T* dxs = dx + s * HW * C;
        const T* g = dy + s * C;
        if constexpr (L::is_max) {
            std::fill(dxs, dxs + HW * C, T(0));
            for (index_t c = 0; c < C; ++c) {
                index_t best = 0;
                for (index_t p = 1; p < HW; ++p)
                    if (xs[p * C + c] > xs[best * C + c]) best = p;
                dxs[best * C + c] = g[c];
            }
        } else {
            for (index_t p = 0; p < HW; ++p)
                for (index_t c = 0; c < C; ++c) dxs[p * C + c] = g[c] / T(HW);
        }
    }
}

// ---- batch normalisation -------------------------------------------------------------------------
// Training: batch statistics over (n, H, W) (biased variance, as Keras), moving statistics
// updated with Keras' momentum: moving = moving * m + batch * (1 - m).
template <class L, class In, class T>
void batch_norm_train_forward(T* params, const T* x, T* y, index_t n, T* xhat, T* stats,
                              const train_context& ctx) {
    constexpr index_t C = In::value.back(), P = In::size / C;
    T *gamma = params, *beta = params + C, *mmean = params + 2 * C, *mvar = params + 3 * C;
    if (!ctx.training) {  // frozen: inference behaviour; keep x^ and 1/sqrt(var+eps) for backward
        for (index_t c = 0; c < C; ++c) {
            stats[c] = mmean[c];
            stats[C + c] = T(1) / std::sqrt(mvar[c] + T(L::eps));
        }
    } else {
        const index_t count = n * P;
        for (index_t c = 0; c < C; ++c) stats[c] = 0, stats[C + c] = 0;
        for (index_t i = 0; i < count; ++i)
            for (index_t c = 0; c < C; ++c) stats[c] += x[i * C + c];
        for (index_t c = 0; c < C; ++c) stats[c] /= T(count);
        for (index_t i = 0; i < count; ++i)
            for (index_t c = 0; c < C; ++c) {
                const T d = x[i * C + c] - stats[c];
                stats[C + c] += d * d;
            }
        const T m = T(L::mom);
        for (index_t c = 0; c < C; ++c) {
            const T var = stats[C + c] / T(count);
            mmean[c] = mmean[c] * m + stats[c] * (T(1) - m);
            mvar[c] = mvar[c] * m + var * (T(1) - m);
            stats[C + c] = T(1) / std::sqrt(var + T(L::eps));
        }
    }
    for (index_t i = 0; i < n * P; ++i)
        for (index_t c = 0; c < C; ++c) {
            const T h = (x[i * C + c] - stats[c]) * stats[C + c];
            xhat[i * C + c] = h;
            y[i * C + c] = gamma[c] * h + beta[c];
        }
}

template <class L, class In, class T>
void batch_norm_backward(const T* params, T* grads, const T* dy, T* dx, index_t n, const T* xhat, const T* stats,
                         const train_context& ctx) {
    constexpr index_t C = In::value.back(), P = In::size / C;
    const T* gamma = params;
    const index_t count = n * P;
    T dgamma[C], dbeta[C];
    for (index_t c = 0; c < C; ++c) dgamma[c] = 0, dbeta[c] = 0;
    for (index_t i = 0; i < count; ++i)
        for (index_t c = 0; c < C; ++c) {
            dgamma[c] += dy[i * C + c] * xhat[i * C + c];
            dbeta[c] += dy[i * C + c];
        }
    if (ctx.param_grads) {
        for (index_t c = 0; c < C; ++c) {
            grads[c] = dgamma[c];
            grads[C + c] = dbeta[c];
            grads[2 * C + c] = 0;  // moving statistics are not trained
            grads[3 * C + c] = 0;
        }
    }
    if (!dx) return;
    if (!ctx.training) {  // inference behaviour: a per-channel scale
        for (index_t i = 0; i < count; ++i)
            for (index_t c = 0; c < C; ++c) dx[i * C + c] = dy[i * C + c] * gamma[c] * stats[C + c];
        return;
    }
    // dx = gamma * inv / N * (N * dy - sum(dy) - x^ * sum(dy * x^))
    for (index_t i = 0; i < count; ++i)
        for (index_t c = 0; c < C; ++c)
            dx[i * C + c] = gamma[c] * stats[C + c] / T(count) *
                            (T(count) * dy[i * C + c] - dbeta[c] - xhat[i * C + c] * dgamma[c]);
}

// ---- dropout (inverted) --------------------------------------------------------------------------
template <class L, class In, class T>
void dropout_train_forward(const T* x, T* y, index_t n, T* mask, const train_context& ctx) {
    const index_t count = n * In::size;
    if (!ctx.training || L::rate == 0.0) {
        for (index_t i = 0; i < count; ++i) mask[i] = T(1), y[i] = x[i];
        return;
    }
    const T keep = T(1) / T(1.0 - L::rate);
    for (index_t i = 0; i < count; ++i) {
        mask[i] = ctx.uniform() < L::rate ? T(0) : keep;
        y[i] = x[i] * mask[i];
    }
}

}  // namespace typenet::cpu_detail
