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
// y[i] += a * x[i]: restrict-qualified so the compiler vectorises it.
template <class T>
TYPENET_INLINE void axpy(T* TYPENET_RESTRICT y, const T* TYPENET_RESTRICT x, T a, index_t n) {
    for (index_t i = 0; i < n; ++i) y[i] += a * x[i];
}
// sum(a[i] * b[i]) with 16 independent partial sums: without -ffast-math a compiler must add in
// order, one lane at a time; separate lanes let it use whole vector registers (measured on M2's
// training step: the scalar reductions took 88% of the time).
template <class T>
TYPENET_INLINE T dot(const T* TYPENET_RESTRICT a, const T* TYPENET_RESTRICT b, index_t n) {
    constexpr index_t lanes = 16;
    T acc[lanes] = {};
    index_t i = 0;
    for (; i + lanes <= n; i += lanes)
        for (index_t l = 0; l < lanes; ++l) acc[l] += a[i + l] * b[i + l];
    T s = 0;
    for (; i < n; ++i) s += a[i] * b[i];
    for (index_t l = 0; l < lanes; ++l) s += acc[l];
    return s;
}

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
template <class L, class In, class Out, class T, class Par>
void dense_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                    const train_context& ctx, bool last, Par&& parallel) {
    constexpr index_t K = In::size, U = L::units;
    activation_backward<typename L::activation>(y, dy, n, U, ctx, last);
    const T* w = params;
    if (ctx.param_grads) {
        T* dw = grads;  // (K, U) = x^T (K, n) . dz (n, U); threads take disjoint rows of dw
        parallel(K, [&](index_t k0, index_t k1) {
            std::fill(dw + k0 * U, dw + k1 * U, T(0));
            for (index_t r = 0; r < n; ++r) {
                const T* dz = dy + r * U;
                const T* xr = x + r * K;
                for (index_t k = k0; k < k1; ++k) {
                    const T a = xr[k];
                    if (a == T(0)) continue;  // relu inputs are often zero
                    axpy(dw + k * U, dz, a, U);
                }
            }
        });
        if constexpr (L::has_bias) {
            T* db = grads + K * U;
            std::fill(db, db + U, T(0));
            for (index_t r = 0; r < n; ++r)
                for (index_t j = 0; j < U; ++j) db[j] += dy[r * U + j];
        }
    }
    if (dx)  // dx (n, K) = dz (n, U) . w^T; threads take disjoint samples
        parallel(n, [&](index_t r0, index_t r1) {
            for (index_t r = r0; r < r1; ++r)
                for (index_t k = 0; k < K; ++k) dx[r * K + k] = dot(w + k * U, dy + r * U, U);
        });
}

// ---- conv2d --------------------------------------------------------------------------------------
// Per kernel tap (ky, kx), both gradients are small matrix products over the output pixels whose
// window uses that tap:
//   dW[tap] (C, F) += x_tap^T (C, P) . dz (P, F)     -- register tile: CB input channels x F
//   dx_tap  (P, C) += dz (P, F) . W[tap]^T (F, C)     -- register tile: 4 pixels x CB channels
// so each loaded value feeds several FMAs (a per-pixel dot product loop ran at ~5 GFLOP/s).
template <index_t CB, index_t FB, class T>
void conv_dw_tile(T* TYPENET_RESTRICT dw, const T* TYPENET_RESTRICT x, const T* TYPENET_RESTRICT dz,
                  const index_t* TYPENET_RESTRICT xoff, const index_t* TYPENET_RESTRICT zoff, index_t count,
                  index_t c0, index_t f0, index_t F) {
#if TYPENET_VECTOR_EXTENSIONS
    if constexpr (FB % simd<T>::width == 0) {
        using V = typename simd<T>::type;
        constexpr index_t NV = FB / simd<T>::width, VW = simd<T>::width;
        V acc[CB][NV] = {};
        for (index_t p = 0; p < count; ++p) {
            const T* xr = x + xoff[p] + c0;
            const T* zr = dz + zoff[p] + f0;
            V zv[NV];
            for (index_t j = 0; j < NV; ++j) zv[j] = simd<T>::load(zr + j * VW);
            for (index_t c = 0; c < CB; ++c)
                for (index_t j = 0; j < NV; ++j) acc[c][j] += xr[c] * zv[j];
        }
        for (index_t c = 0; c < CB; ++c)
            for (index_t j = 0; j < NV; ++j) {
                T* d = dw + (c0 + c) * F + f0 + j * VW;
                simd<T>::store(d, simd<T>::load(d) + acc[c][j]);
            }
        return;
    }
#endif
    T acc[CB][FB] = {};
    for (index_t p = 0; p < count; ++p) {
        const T* xr = x + xoff[p] + c0;
        const T* zr = dz + zoff[p] + f0;
        for (index_t c = 0; c < CB; ++c) {
            const T a = xr[c];
            for (index_t f = 0; f < FB; ++f) acc[c][f] += a * zr[f];
        }
    }
    for (index_t c = 0; c < CB; ++c)
        for (index_t f = 0; f < FB; ++f) dw[(c0 + c) * F + f0 + f] += acc[c][f];
}

template <index_t PX, index_t CB, class T>
void conv_dx_tile(T* TYPENET_RESTRICT dx, const T* TYPENET_RESTRICT wt, const T* TYPENET_RESTRICT dz,
                  const index_t* TYPENET_RESTRICT xoff, const index_t* TYPENET_RESTRICT zoff, index_t c0, index_t C,
                  index_t F) {
#if TYPENET_VECTOR_EXTENSIONS
    if constexpr (CB % simd<T>::width == 0) {
        using V = typename simd<T>::type;
        constexpr index_t NV = CB / simd<T>::width, VW = simd<T>::width;
        V acc[PX][NV] = {};
        for (index_t f = 0; f < F; ++f) {
            V wv[NV];
            for (index_t j = 0; j < NV; ++j) wv[j] = simd<T>::load(wt + f * C + c0 + j * VW);
            for (index_t p = 0; p < PX; ++p) {
                const T a = dz[zoff[p] + f];
                for (index_t j = 0; j < NV; ++j) acc[p][j] += a * wv[j];
            }
        }
        for (index_t p = 0; p < PX; ++p)
            for (index_t j = 0; j < NV; ++j) {
                T* d = dx + xoff[p] + c0 + j * VW;
                simd<T>::store(d, simd<T>::load(d) + acc[p][j]);
            }
        return;
    }
#endif
    T acc[PX][CB] = {};
    for (index_t f = 0; f < F; ++f) {
        const T* wr = wt + f * C + c0;
        for (index_t p = 0; p < PX; ++p) {
            const T a = dz[zoff[p] + f];
            for (index_t c = 0; c < CB; ++c) acc[p][c] += a * wr[c];
        }
    }
    for (index_t p = 0; p < PX; ++p)
        for (index_t c = 0; c < CB; ++c) dx[xoff[p] + c0 + c] += acc[p][c];
}

// Channel block for the dW tile: up to 4 input channels (C is often 1 or 3 in a first layer).
constexpr index_t input_channel_block(index_t c) {
    for (index_t b : {4, 3, 2})
        if (c % b == 0) return b;
    return 1;
}

template <class L, class In, class Out, class T, class Par>
void conv2d_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                     const train_context& ctx, bool last, T* wt, index_t* offsets, Par&& parallel) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters;
    constexpr index_t KH = L::kh, KW = L::kw, SH = L::sh, SW = L::sw;
    constexpr index_t PT = pad_before(H, KH, SH, L::pad), PL = pad_before(W, KW, SW, L::pad);
    constexpr index_t FB = channel_block(F), CB = input_channel_block(C), CBX = channel_block(C);
    activation_backward<typename L::activation>(y, dy, n * OH * OW, F, ctx, last);
    const T* w = params;
    T* dw = grads;
    if (ctx.param_grads) {
        std::fill(dw, dw + KH * KW * C * F, T(0));
        if constexpr (L::has_bias) {
            T* db = dw + KH * KW * C * F;
            std::fill(db, db + F, T(0));
            for (index_t p = 0; p < n * OH * OW; ++p) axpy(db, dy + p * F, T(1), F);
        }
    }
    if (dx) std::fill(dx, dx + n * H * W * C, T(0));
    index_t* xoff = offsets;                 // input offsets of the pixels using this tap
    index_t* zoff = offsets + n * OH * OW;   // and of their output gradients
    for (index_t ky = 0; ky < KH; ++ky)
        for (index_t kx = 0; kx < KW; ++kx) {
            index_t count = 0;
            for (index_t s = 0; s < n; ++s)
                for (index_t oy = 0; oy < OH; ++oy) {
                    const index_t iy = oy * SH - PT + ky;
                    if (iy < 0 || iy >= H) continue;
                    for (index_t ox = 0; ox < OW; ++ox) {
                        const index_t ix = ox * SW - PL + kx;
                        if (ix < 0 || ix >= W) continue;
                        xoff[count] = ((s * H + iy) * W + ix) * C;
                        zoff[count] = ((s * OH + oy) * OW + ox) * F;
                        ++count;
                    }
                }
            const index_t tap = (ky * KW + kx) * C * F;
            if (ctx.param_grads) {  // threads take disjoint (c0, f0) tiles of dW
                constexpr index_t fblocks = F / FB;
                parallel((C / CB) * fblocks, [&](index_t t0, index_t t1) {
                    for (index_t t = t0; t < t1; ++t)
                        conv_dw_tile<CB, FB>(dw + tap, x, dy, xoff, zoff, count, (t / fblocks) * CB, (t % fblocks) * FB, F);
                });
            }
            if (dx) {
                for (index_t f = 0; f < F; ++f)  // W[tap]^T: (F, C)
                    for (index_t c = 0; c < C; ++c) wt[f * C + c] = w[tap + c * F + f];
                // For one tap, distinct output pixels read distinct input pixels: threads take
                // disjoint groups of 4 pixels.
                parallel((count + 3) / 4, [&](index_t g0, index_t g1) {
                    const index_t end = std::min(count, g1 * 4);
                    index_t p = g0 * 4;
                    for (; p + 4 <= end; p += 4)
                        for (index_t c0 = 0; c0 < C; c0 += CBX) conv_dx_tile<4, CBX>(dx, wt, dy, xoff + p, zoff + p, c0, C, F);
                    for (; p < end; ++p)
                        for (index_t c0 = 0; c0 < C; c0 += CBX) conv_dx_tile<1, CBX>(dx, wt, dy, xoff + p, zoff + p, c0, C, F);
                });
            }
        }
}

// Scratch the conv backward pass needs: the transposed tap (F * C) and two offset lists.
template <class L, class In, class Out>
constexpr index_t conv2d_backward_scratch_bytes(index_t n, std::size_t elem) {
    return index_t(elem) * L::filters * In::extents[2] + 2 * n * Out::extents[0] * Out::extents[1] * index_t(sizeof(index_t));
}

// ---- pooling -------------------------------------------------------------------------------------
// Max pooling routes each gradient to the first maximum of its window (TensorFlow's rule);
// average pooling spreads it over the window's real cells.
template <class L, class In, class Out, class T>
void pool2d_backward(const T* x, const T* dy, T* dx, index_t n) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1];
    std::fill(dx, dx + n * H * W * C, T(0));
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* dxs = dx + s * H * W * C;
        for (index_t oy = 0; oy < OH; ++oy)
            for (index_t ox = 0; ox < OW; ++ox) {
                const auto [y_lo, y_hi, x_lo, x_hi] = pool_window_at<L, In>(oy, ox);
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
