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
// Both gradients are gemm products (backend/cpu/gemm.hpp):
//   dW (K, U)   = x^T (K, n) . dz (n, U)     -- x read through its strides, no copy
//   dx^T (K, n) = W (K, U) . dz^T (U, n)     -- then transposed into dx (n, K)
// scratch: dense_backward_scratch_elems (dz^T and dx^T). Threads take disjoint rows (k) of both.
template <class L, class In>
constexpr index_t dense_backward_scratch_elems(index_t n) {
    return (L::units + In::size) * n;
}

template <class L, class In, class Out, class T, class Par>
void dense_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                    const train_context& ctx, bool last, T* scratch, Par&& parallel) {
    constexpr index_t K = In::size, U = L::units;
    activation_backward<typename L::activation>(y, dy, n, U, ctx, last);
    const T* w = params;
    if (ctx.param_grads) {
        const gemm_args<T> g{x, 1, K, dy, U, grads, U, nullptr};
        parallel(K, [&](index_t k0, index_t k1) { gemm(g, k0, k1, U, n, gemm_init::zero); });
        if constexpr (L::has_bias) {
            T* db = grads + K * U;
            std::fill(db, db + U, T(0));
            for (index_t r = 0; r < n; ++r) axpy(db, dy + r * U, T(1), U);
        }
    }
    if (dx) {
        T* dzt = scratch;         // (U, n)
        T* dxt = scratch + U * n; // (K, n)
        for (index_t r = 0; r < n; ++r)
            for (index_t u = 0; u < U; ++u) dzt[u * n + r] = dy[r * U + u];
        const gemm_args<T> g{w, U, 1, dzt, n, dxt, n, nullptr};
        parallel(K, [&](index_t k0, index_t k1) {
            gemm(g, k0, k1, n, U, gemm_init::zero);
            for (index_t r = 0; r < n; ++r)
                for (index_t k = k0; k < k1; ++k) dx[r * K + k] = dxt[k * n + r];
        });
    }
}

// ---- conv2d --------------------------------------------------------------------------------------
// dx is a convolution of dz with the kernel flipped and transposed (F in, C out): the forward
// kernel computes it (conv_forward_pixels), reading dz as if dilated by the strides -- each input
// pixel gathers its gradient once, so threads take disjoint input pixels and nothing accumulates.
//
// dW: for kernel row ky, the kw * C inputs under a window's row are contiguous (after "same"
// padding is made explicit in a padded copy of x), and so are the matching kw * C rows of dW, so
//   dW[ky] (kw * C, F) = sum over output pixels o of  xrun(o, ky)^T (kw * C) . dz(o) (F)
// is a matrix product whose inner dimension is the pixels: MR rows x NV vectors of dW stay in
// registers while the pixels of a chunk stream past (conv_dw_micro). Threads take disjoint tiles
// of dW; the pixels go in fixed chunks (so dz and x stay in cache) whatever the thread count.
struct conv_dw_tiles {
    static constexpr index_t nv = TYPENET_VECTOR_EXTENSIONS ? (vector_registers >= 32 ? 4 : 2) : 8;
    static constexpr index_t mr = TYPENET_VECTOR_EXTENSIONS ? 6 : 4;
    static constexpr index_t chunk = 512;  // output pixels per pass
};

// dW rows [t0, t0 + rows) x columns [f0, f0 + NV vectors), rows <= MR (dw points at row t0, column
// f0); a remainder tile recomputes its last row in the spare accumulators and does not store it.
template <index_t MR, index_t NV, class T>
void conv_dw_micro(T* TYPENET_RESTRICT dw, const T* TYPENET_RESTRICT xs, const index_t* TYPENET_RESTRICT xoff,
                   const T* TYPENET_RESTRICT dz, index_t count, index_t F, index_t rows, bool accumulate) {
    using S = simd<T>;
    using V = typename S::type;
    constexpr index_t VW = S::width;
    index_t row[MR];
    for (index_t r = 0; r < MR; ++r) row[r] = std::min(r, rows - 1);
    V acc[MR][NV];
    for (index_t r = 0; r < MR; ++r)
        for (index_t j = 0; j < NV; ++j) acc[r][j] = accumulate ? S::load(dw + row[r] * F + j * VW) : V{};
    for (index_t o = 0; o < count; ++o) {
        const T* xr = xs + xoff[o];
        V zv[NV];
        for (index_t j = 0; j < NV; ++j) zv[j] = S::load(dz + o * F + j * VW);
        for (index_t r = 0; r < MR; ++r) {
            const V a = S::splat(xr[row[r]]);
            for (index_t j = 0; j < NV; ++j) acc[r][j] = S::fma(a, zv[j], acc[r][j]);
        }
    }
    for (index_t r = 0; r < MR; ++r)
        if (r < rows)
            for (index_t j = 0; j < NV; ++j) S::store(dw + r * F + j * VW, acc[r][j]);
}

template <class T>
void conv_dw_micro_cols(T* TYPENET_RESTRICT dw, const T* TYPENET_RESTRICT xs, const index_t* TYPENET_RESTRICT xoff,
                        const T* TYPENET_RESTRICT dz, index_t count, index_t F, index_t rows, index_t cols,
                        bool accumulate) {
    constexpr index_t MAXC = simd<T>::width;
    for (index_t r = 0; r < rows; ++r) {
        T acc[MAXC];
        for (index_t j = 0; j < cols; ++j) acc[j] = accumulate ? dw[r * F + j] : T(0);
        for (index_t o = 0; o < count; ++o)
            for (index_t j = 0; j < cols; ++j) acc[j] = fmadd(xs[xoff[o] + r], dz[o * F + j], acc[j]);
        for (index_t j = 0; j < cols; ++j) dw[r * F + j] = acc[j];
    }
}

template <class T>
void conv_dw_tile(T* dw, const T* xs, const index_t* xoff, const T* dz, index_t count, index_t F, index_t rows,
                  index_t cols, bool accumulate) {
    constexpr index_t VW = simd<T>::width, NB = conv_dw_tiles::nv * VW, MR = conv_dw_tiles::mr;
    // Half-height tiles when at most half the rows are real (a first layer: kw * C = 3 rows of dW).
    if (cols == NB && rows <= MR / 2) conv_dw_micro<MR / 2, conv_dw_tiles::nv>(dw, xs, xoff, dz, count, F, rows, accumulate);
    else if (cols == NB) conv_dw_micro<MR, conv_dw_tiles::nv>(dw, xs, xoff, dz, count, F, rows, accumulate);
    else if (cols == VW) conv_dw_micro<MR, 1>(dw, xs, xoff, dz, count, F, rows, accumulate);
    else conv_dw_micro_cols(dw, xs, xoff, dz, count, F, rows, cols, accumulate);
}

// The input as the dW pass reads it: x itself when no window leaves it, else a zero-padded copy.
template <class L, class In, class Out>
struct conv_padded_input {
    static constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    static constexpr index_t PT = pad_before(H, L::kh, L::sh, L::pad), PL = pad_before(W, L::kw, L::sw, L::pad);
    static constexpr index_t HP = (Out::extents[0] - 1) * L::sh + L::kh, WP = (Out::extents[1] - 1) * L::sw + L::kw;
    static constexpr bool copy = PT > 0 || PL > 0 || HP > H || WP > W;
    static constexpr index_t rows = copy ? HP : H, cols = copy ? WP : W;  // the layout dW reads
};

// Scratch: the flipped kernel (dx), the pixel offsets and the padded input (dW).
template <class L, class In, class Out>
constexpr index_t conv2d_backward_scratch_bytes(index_t n, std::size_t elem) {
    using P = conv_padded_input<L, In, Out>;
    const index_t wt = L::kh * L::kw * In::extents[2] * L::filters;
    const index_t pad = P::copy ? n * P::HP * P::WP * P::C : 0;
    const index_t offs = n * Out::extents[0] * Out::extents[1];
    auto up = [](index_t b) { return (b + 63) / 64 * 64; };
    return up(index_t(elem) * wt) + up(index_t(elem) * pad) + up(offs * index_t(sizeof(index_t)));
}

template <class L, class In, class Out, class T, class Par>
void conv2d_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                     const train_context& ctx, bool last, unsigned char* scratch, Par&& parallel) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters;
    constexpr index_t KH = L::kh, KW = L::kw, SH = L::sh, SW = L::sw;
    using P = conv_padded_input<L, In, Out>;
    activation_backward<typename L::activation>(y, dy, n * OH * OW, F, ctx, last);
    auto up = [](index_t b) { return (b + 63) / 64 * 64; };
    T* wt = reinterpret_cast<T*>(scratch);
    T* xpad = reinterpret_cast<T*>(scratch + up(index_t(sizeof(T)) * KH * KW * C * F));
    index_t* xoff = reinterpret_cast<index_t*>(reinterpret_cast<unsigned char*>(xpad) +
                                               up(index_t(sizeof(T)) * (P::copy ? n * P::HP * P::WP * C : 0)));
    const T* w = params;
    if (ctx.param_grads) {
        T* dw = grads;
        if constexpr (L::has_bias) {
            T* db = dw + KH * KW * C * F;
            std::fill(db, db + F, T(0));
            for (index_t p = 0; p < n * OH * OW; ++p) axpy(db, dy + p * F, T(1), F);
        }
        const T* xs = x;
        if constexpr (P::copy) {
            parallel(n, [&](index_t s0, index_t s1) {
                std::fill(xpad + s0 * P::HP * P::WP * C, xpad + s1 * P::HP * P::WP * C, T(0));
                for (index_t s = s0; s < s1; ++s)
                    for (index_t iy = 0; iy < H; ++iy) {
                        const index_t py = iy + P::PT;
                        if (py >= P::HP) break;
                        const index_t lo = std::max<index_t>(0, -P::PL), hi = std::min<index_t>(W, P::WP - P::PL);
                        if (hi > lo)
                            std::copy(x + ((s * H + iy) * W + lo) * C, x + ((s * H + iy) * W + hi) * C,
                                      xpad + ((s * P::HP + py) * P::WP + lo + P::PL) * C);
                    }
            });
            xs = xpad;
        }
        index_t o = 0;
        for (index_t s = 0; s < n; ++s)
            for (index_t oy = 0; oy < OH; ++oy)
                for (index_t ox = 0; ox < OW; ++ox) xoff[o++] = ((s * P::rows + oy * SH) * P::cols + ox * SW) * C;
        constexpr index_t RUN = KW * C, MR = conv_dw_tiles::mr, VW = simd<T>::width, NB = conv_dw_tiles::nv * VW;
        constexpr index_t row_tiles = (RUN + MR - 1) / MR, col_tiles = F / NB + (F % NB) / VW + (F % VW ? 1 : 0);
        const index_t pixels = n * OH * OW;
        for (index_t o0 = 0; o0 < pixels; o0 += conv_dw_tiles::chunk) {
            const index_t count = std::min(conv_dw_tiles::chunk, pixels - o0);
            parallel(KH * row_tiles * col_tiles, [&](index_t t0, index_t t1) {
                for (index_t t = t0; t < t1; ++t) {
                    const index_t ky = t / (row_tiles * col_tiles), rt = (t / col_tiles) % row_tiles, ct = t % col_tiles;
                    // column tile ct: full NB blocks, then single vectors, then the scalar rest
                    index_t f0, cols;
                    if (ct < F / NB) f0 = ct * NB, cols = NB;
                    else if (ct < F / NB + (F % NB) / VW) f0 = (F / NB) * NB + (ct - F / NB) * VW, cols = VW;
                    else f0 = F - F % VW, cols = F % VW;
                    const index_t r0 = rt * MR, rows = std::min(MR, RUN - r0);
                    conv_dw_tile(dw + (ky * RUN + r0) * F + f0, xs + ky * P::cols * C + r0, xoff + o0, dy + o0 * F + f0, count, F,
                                 rows, cols, o0 > 0);
                }
            });
        }
    }
    if (dx) {
        for (index_t ky = 0; ky < KH; ++ky)  // flipped and transposed: wt[KH-1-ky][KW-1-kx][f][c] = w[ky][kx][c][f]
            for (index_t kx = 0; kx < KW; ++kx)
                for (index_t c = 0; c < C; ++c)
                    for (index_t f = 0; f < F; ++f)
                        wt[(((KH - 1 - ky) * KW + (KW - 1 - kx)) * F + f) * C + c] = w[((ky * KW + kx) * C + c) * F + f];
        constexpr index_t PT = pad_before(H, KH, SH, L::pad), PL = pad_before(W, KW, SW, L::pad);
        constexpr conv_geometry gt{OH, OW, F, H, W, C, KH, KW, 1, 1, KH - 1 - PT, KW - 1 - PL, SH, SW};
        static constexpr T zeros[F] = {};
        parallel(n * H * W, [&](index_t q0, index_t q1) {
            conv_forward_pixels(gt, static_cast<const T*>(wt), static_cast<const T*>(nullptr), static_cast<const T*>(dy), zeros, dx,
                                q0, q1, vec_act<T>{}, [](T*, index_t) {});
        });
    }
}

// ---- pooling -------------------------------------------------------------------------------------
// Max pooling routes each gradient to the first maximum of its window (TensorFlow's rule);
// average pooling spreads it over the window's real cells.
// For every channel, the cell (iy * W + ix) of the window's first maximum: one pass over the window
// with all channels at once (contiguous, vectorised); strict > keeps the first maximum (TensorFlow).
template <index_t C, index_t W, class T>
TYPENET_INLINE void first_max_cells(const T* xs, index_t y_lo, index_t y_hi, index_t x_lo, index_t x_hi, index_t* at) {
    T best[C];
    const index_t first = y_lo * W + x_lo;
    for (index_t c = 0; c < C; ++c) best[c] = xs[first * C + c], at[c] = first;
    for (index_t iy = y_lo; iy < y_hi; ++iy)
        for (index_t ix = x_lo; ix < x_hi; ++ix) {
            const index_t cell = iy * W + ix;
            const T* xp = xs + cell * C;
            for (index_t c = 0; c < C; ++c) {
                const bool more = xp[c] > best[c];
                best[c] = more ? xp[c] : best[c];
                at[c] = more ? cell : at[c];
            }
        }
}

template <class L, class In, class Out, class T>
void pool2d_backward(const T* x, const T* dy, T* dx, index_t n) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1];
    // Max pooling whose windows tile the input exactly (2 x 2 stride 2 on an even input) writes
    // every cell of dx once, from its window; otherwise dx is cleared and the windows add to it.
    constexpr bool tiles = L::is_max && L::sh == L::ph && L::sw == L::pw && OH * L::sh == H && OW * L::sw == W &&
                           pad_before(H, L::ph, L::sh, L::pad) == 0 && pad_before(W, L::pw, L::sw, L::pad) == 0;
    if constexpr (!tiles) std::fill(dx, dx + n * H * W * C, T(0));
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* dxs = dx + s * H * W * C;
        for (index_t oy = 0; oy < OH; ++oy)
            for (index_t ox = 0; ox < OW; ++ox) {
                const auto [y_lo, y_hi, x_lo, x_hi] = pool_window_at<L, In>(oy, ox);
                const T* g = dy + ((s * OH + oy) * OW + ox) * C;
                if constexpr (tiles) {
                    index_t at[C];
                    first_max_cells<C, W>(xs, y_lo, y_hi, x_lo, x_hi, at);
                    for (index_t iy = y_lo; iy < y_hi; ++iy)
                        for (index_t ix = x_lo; ix < x_hi; ++ix) {
                            const index_t cell = iy * W + ix;
                            T* d = dxs + cell * C;
                            for (index_t c = 0; c < C; ++c) d[c] = at[c] == cell ? g[c] : T(0);
                        }
                } else if constexpr (L::is_max) {
                    index_t at[C];
                    first_max_cells<C, W>(xs, y_lo, y_hi, x_lo, x_hi, at);
                    for (index_t c = 0; c < C; ++c) dxs[at[c] * C + c] += g[c];
                } else {
                    const T cells = T((y_hi - y_lo) * (x_hi - x_lo));
                    for (index_t iy = y_lo; iy < y_hi; ++iy)
                        for (index_t ix = x_lo; ix < x_hi; ++ix) {
                            T* d = dxs + (iy * W + ix) * C;
                            for (index_t c = 0; c < C; ++c) d[c] += g[c] / cells;
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
