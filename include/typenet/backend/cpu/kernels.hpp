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

// A layer's own activation as a register epilogue, its kind a compile-time constant (the stores then
// carry no branch on it, and g++ 12 keeps seeing the row kernel's loop bounds).
template <class Act, class T>
struct layer_act {
    static constexpr vec_act<T> act = store_activation<Act, T>();
    template <class V>
    TYPENET_INLINE V vec(V v, const T*, index_t) const {
        return simd<T>::activate(v, act);
    }
    TYPENET_INLINE T scalar(T x, const T*, index_t) const { return act(x); }
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

template <class Act, class T>
constexpr auto activation_epilogue() {
    if constexpr (std::is_same_v<Act, linear> || std::is_same_v<Act, softmax> ||
                  store_activation<Act, T>().kind != store_act::none)
        return [](T*, index_t) {};
    else
        return [](T* p, index_t count) {
            for (index_t j = 0; j < count; ++j) p[j] = activate<Act>(p[j]);
        };
}

// ---- dense: y (n, U) = x (n, K) . w (K, U) + b -----------------------------------------------------
// Units [j0, j1) of every sample (the cpu policy gives threads disjoint column blocks, so each
// streams only its part of w); softmax is applied afterwards, by the caller, over whole rows.
// act: the register epilogue of every store (backend/cpu/simd.hpp: the layer's relu / leaky_relu, or a
// fused epilogue), then epi(p, count) on each finished run (an activation registers cannot do).
template <class L, class In, class Out, class T, class R, class Epi>
void dense_forward_cols(const T* params, const T* x, T* y, index_t n, index_t j0, index_t j1, const R& act,
                        const Epi& epi) {
    constexpr index_t K = In::size, U = L::units;
    const gemm_args<T> g{x, K, 1, params, U, y, U, params + K * U};
    gemm(g, 0, n, j0, j1, K, L::has_bias ? gemm_init::bias : gemm_init::zero, act, epi);
}

// ---- conv2d (direct, implicit GEMM): y (n, OH, OW, F) from x (n, H, W, C), w (KH, KW, C, F) ------
// The output pixels of the whole batch, in (sample, oy, ox) order, are taken PX at a time; for each
// kernel tap the PX input rows it reads are located once, then every channel feeds PX x NV vector
// FMAs from NV loads of the weights. A tile may span output rows and samples, so narrow outputs
// (3 x 3, 11 x 11) keep full tiles. Taps that fall into "same" padding read a row of zeros instead
// of being clipped, so edge pixels use the same full tile as interior ones.
// uh, uw > 1: the input is read as if dilated by them (a zero between its pixels), which makes the
// same kernel compute a strided convolution's input gradient (backend/cpu/backward.hpp).
struct conv_geometry {
    index_t H, W, C, OH, OW, F, kh, kw, sh, sw, pt, pl, uh = 1, uw = 1;
};

struct conv_tiles {
    static constexpr index_t nv = TYPENET_VECTOR_EXTENSIONS ? (vector_registers >= 32 ? 4 : 2) : 8;
    static constexpr index_t px = TYPENET_VECTOR_EXTENSIONS ? 6 : 4;
};

// Where each pixel of a tile reads (its sample's input and the top-left corner of its window) and
// writes (its index among the output pixels).
struct conv_pixel {
    index_t sample_offset, iy0, ix0, out;
};

// Pointers to the input row (C channels) under tap (ky, kx) for each of PX pixels; a tap in the
// padding (or between the pixels of a dilated input) reads a row of zeros. False when every pixel's
// does (the tap adds nothing and is skipped).
template <index_t PX, class T>
TYPENET_INLINE bool conv_tap_rows(const conv_geometry& g, const T* x, const T* zeros, const conv_pixel* px, index_t ky,
                                  index_t kx, const T** rows) {
    bool any = false;
    for (index_t p = 0; p < PX; ++p) {
        index_t iy = px[p].iy0 + ky, ix = px[p].ix0 + kx;
        bool in = iy >= 0 && ix >= 0;
        // Dilated input: only every u-th position is real. Stride 2, the common case, without a
        // division (a tile checks 9 taps x 6 pixels: divisions were most of a strided dx pass).
        if (g.uh == 2) in = in && (iy & 1) == 0, iy >>= 1;
        else if (g.uh > 1) in = in && iy % g.uh == 0, iy /= g.uh;
        if (g.uw == 2) in = in && (ix & 1) == 0, ix >>= 1;
        else if (g.uw > 1) in = in && ix % g.uw == 0, ix /= g.uw;
        in = in && iy < g.H && ix < g.W;
        rows[p] = in ? x + px[p].sample_offset + (iy * g.W + ix) * g.C : zeros;
        any = any || in;
    }
    return any;
}

// acc[p][.] += sum over t < len of rows[p][t] * wt[t * F + .]: one run of input channels (a whole
// kernel row of them when the window is inside the input) against the matching weight rows.
template <index_t PX, index_t NV, class V, class T>
TYPENET_INLINE void conv_accumulate(V (&acc)[PX][NV], const T* const* rows, const T* TYPENET_RESTRICT wt, index_t len,
                                    index_t F) {
    using S = simd<T>;
    constexpr index_t VW = S::width;
    for (index_t t = 0; t < len; ++t) {
        V wv[NV];
        for (index_t j = 0; j < NV; ++j) wv[j] = S::load(wt + t * F + j * VW);
        for (index_t p = 0; p < PX; ++p) {
            const V a = S::splat(rows[p][t]);
            for (index_t j = 0; j < NV; ++j) acc[p][j] = S::fma(a, wv[j], acc[p][j]);
        }
    }
}

template <index_t PX, index_t NV, class T, class R>
TYPENET_KERNEL void conv_micro(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT bias,
                const T* TYPENET_RESTRICT x, const T* zeros, const conv_pixel* px, index_t count, bool interior,
                T* TYPENET_RESTRICT y, index_t j0, const R& act) {
    using S = simd<T>;
    using V = typename S::type;
    constexpr index_t VW = S::width;
    const index_t C = g.C, F = g.F;
    V acc[PX][NV];
    for (index_t j = 0; j < NV; ++j) {
        const V start = bias ? S::load(bias + j0 + j * VW) : V{};
        for (index_t p = 0; p < PX; ++p) acc[p][j] = start;
    }
    const T* rows[PX];
    if (interior) {  // a kernel row's kw * C inputs are contiguous in x, and so are its weight rows
        const index_t run = g.kw * C;
        for (index_t ky = 0; ky < g.kh; ++ky) {
            for (index_t p = 0; p < PX; ++p)
                rows[p] = x + px[p].sample_offset + ((px[p].iy0 + ky) * g.W + px[p].ix0) * C;
            conv_accumulate(acc, rows, w + ky * run * F + j0, run, F);
        }
    } else {
        // With a dilated input the pixels of a tile share their phase (conv_forward_pixels), so
        // the first pixel tells which kernel rows and columns hit real input at all.
        auto on_grid = [](index_t d, index_t u) { return u == 1 || (u == 2 ? (d & 1) == 0 : d % u == 0); };
        for (index_t ky = 0; ky < g.kh; ++ky) {
            if (!on_grid(px[0].iy0 + ky, g.uh)) continue;
            for (index_t kx = 0; kx < g.kw; ++kx) {
                if (!on_grid(px[0].ix0 + kx, g.uw)) continue;
                if (!conv_tap_rows<PX>(g, x, zeros, px, ky, kx, rows)) continue;  // all in padding
                conv_accumulate(acc, rows, w + ((ky * g.kw + kx) * C) * F + j0, C, F);
            }
        }
    }
    for (index_t p = 0; p < PX; ++p)
        if (p < count)
            for (index_t j = 0; j < NV; ++j) {
                T* at = y + px[p].out * F + j0 + j * VW;
                S::store(at, act.vec(acc[p][j], at, j0 + j * VW));
            }
}

// The last filters, fewer than one vector: plain scalars.
template <index_t PX, class T, class R>
TYPENET_KERNEL void conv_micro_cols(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT bias,
                     const T* TYPENET_RESTRICT x, const T* zeros, const conv_pixel* px, index_t count,
                     bool /*interior*/, T* TYPENET_RESTRICT y, index_t j0, index_t cols, const R& act) {
    constexpr index_t MAXC = simd<T>::width;
    const index_t C = g.C, F = g.F;
    T acc[PX][MAXC];
    for (index_t p = 0; p < PX; ++p)
        for (index_t j = 0; j < cols; ++j) acc[p][j] = bias ? bias[j0 + j] : T(0);
    for (index_t ky = 0; ky < g.kh; ++ky)
        for (index_t kx = 0; kx < g.kw; ++kx) {
            const T* rows[PX];
            if (!conv_tap_rows<PX>(g, x, zeros, px, ky, kx, rows)) continue;
            const T* wt = w + ((ky * g.kw + kx) * C) * F + j0;
            for (index_t c = 0; c < C; ++c)
                for (index_t p = 0; p < PX; ++p)
                    for (index_t j = 0; j < cols; ++j) acc[p][j] = fmadd(rows[p][c], wt[c * F + j], acc[p][j]);
        }
    for (index_t p = 0; p < count; ++p)
        for (index_t j = 0; j < cols; ++j) {
            T* at = y + px[p].out * F + j0 + j;
            *at = act.scalar(acc[p][j], at, j0 + j);
        }
}

// count (<= PX) real pixels; the caller repeats the last one in the spare slots, which are computed
// but not stored (one instantiation per width instead of one per pixel count: compile time).
template <class T, class R>
void conv_tile(const conv_geometry& g, const T* w, const T* bias, const T* x, const T* zeros, const conv_pixel* px,
               index_t count, bool interior, T* y, const R& act) {
    constexpr index_t VW = simd<T>::width, NB = conv_tiles::nv * VW, PX = conv_tiles::px;
    for (index_t j0 = 0; j0 < g.F;) {
        const index_t cols = g.F - j0 >= NB ? NB : g.F - j0 >= VW ? VW : g.F - j0;
        // A tile of at most half the pixels (the end of a small output: M2's 3 x 3) uses a half-height
        // kernel rather than computing three spare pixels.
        if (cols == NB && count <= PX / 2) conv_micro<PX / 2, conv_tiles::nv>(g, w, bias, x, zeros, px, count, interior, y, j0, act);
        else if (cols == NB) conv_micro<PX, conv_tiles::nv>(g, w, bias, x, zeros, px, count, interior, y, j0, act);
        else if (cols == VW) conv_micro<PX, 1>(g, w, bias, x, zeros, px, count, interior, y, j0, act);
        else conv_micro_cols<PX>(g, w, bias, x, zeros, px, count, interior, y, j0, cols, act);
        j0 += cols;
    }
}

// Output pixels [q0, q1) of the batch, in (sample, oy, ox) order -- except that with a dilated input
// (uw > 1) each output row is taken phase by phase (ox = 0, uw, 2 uw, ..., then 1, 1 + uw, ...), so
// the pixels of a tile mostly share the taps that hit real input and the others are skipped.
template <class T, class R, class Epi>
void conv_forward_pixels(const conv_geometry& g, const T* w, const T* bias, const T* x, const T* zeros, T* y,
                         index_t q0, index_t q1, const R& act, Epi&& epi) {
    constexpr index_t PX = conv_tiles::px;
    const index_t plane = g.OH * g.OW, uw = g.uw;
    index_t s = q0 / plane, oy = (q0 % plane) / g.OW, phase = 0, ox = q0 % g.OW;
    if (uw > 1) {  // the k-th pixel of the row in phase order
        index_t k = ox;
        for (phase = 0; k >= (g.OW - phase + uw - 1) / uw; ++phase) k -= (g.OW - phase + uw - 1) / uw;
        ox = phase + k * uw;
    }
    index_t lag[PX], lag_count = 0;
    for (index_t q = q0, count = 0; q < q1; q += count) {
        // With a dilated input a tile ends where its phase run does, so all its pixels use the same
        // taps (a mixed tile visits the union: M10's stride-2 dx ran a third slower).
        count = std::min(PX, q1 - q);
        if (uw > 1 || g.uh > 1) count = std::min(count, (g.OW - ox + uw - 1) / uw);  // >= 1: ox < OW
        count = std::max<index_t>(count, 1);
        conv_pixel px[PX] = {};
        bool interior = g.uh == 1 && uw == 1;
        for (index_t p = 0; p < count; ++p) {
            px[p] = {s * g.H * g.W * g.C, oy * g.sh - g.pt, ox * g.sw - g.pl, (s * g.OH + oy) * g.OW + ox};
            interior = interior && px[p].iy0 >= 0 && px[p].iy0 + g.kh <= g.H && px[p].ix0 >= 0 && px[p].ix0 + g.kw <= g.W;
            if ((ox += uw) >= g.OW && ++phase >= uw) {
                phase = 0;
                if (++oy == g.OH) oy = 0, ++s;
            }
            if (ox >= g.OW) ox = phase;
        }
        for (index_t p = count; p < PX; ++p) px[p] = px[count - 1];
        conv_tile(g, w, bias, x, zeros, px, count, interior, y, act);
        // The epilogue runs one tile behind: reading the outputs right after the vector stores
        // stalls on store forwarding (M2's first conv ran at half speed that way).
        for (index_t p = 0; p < lag_count; ++p) epi(y + lag[p] * g.F, g.F);
        for (index_t p = 0; p < count; ++p) lag[p] = px[p].out;
        lag_count = count;
    }
    for (index_t p = 0; p < lag_count; ++p) epi(y + lag[p] * g.F, g.F);
}

// Few input channels (a first layer: C = 1 or 3): a tap's run of C values is too short to amortise
// locating each pixel's input rows, or copying its window (im2col: measured slower, the copy costs
// more than the 9 x F multiply-adds it feeds). So PX neighbouring pixels of one output row share one
// address and a fixed stride; pixels whose window leaves the input go one at a time with the taps
// clipped. Filters in blocks of FB (the largest of 32, 24, 16, 8, 4, 2, 1 dividing F). C, KW and SW
// are template arguments: with them as constants the short channel and tap loops unroll (shared
// with runtime C the tile ran at half speed, M2's first conv 35 instead of 85 GFLOP/s).
constexpr index_t filter_block(index_t f) {
    if (f <= 32) return f;
    for (index_t b : {32, 24, 16, 8, 4, 2})
        if (f % b == 0) return b;
    return 1;
}

template <index_t PX, index_t FB, bool Bias, index_t C, index_t KW, index_t SW, class T, class R>
void conv_row_tile(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT b,
                   const T* TYPENET_RESTRICT x, T* TYPENET_RESTRICT yrow, index_t oy, index_t ox, index_t f0,
                   const R& act) {
    const index_t iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
    const index_t ky_lo = std::max<index_t>(0, -iy0), ky_hi = std::min<index_t>(g.kh, g.H - iy0);
    // With PX > 1 the caller guarantees all PX windows lie inside the input horizontally.
    const index_t kx_lo = PX > 1 ? 0 : std::max<index_t>(0, -ix0);
    const index_t kx_hi = PX > 1 ? KW : std::min<index_t>(KW, g.W - ix0);
    const index_t F = g.F;
    constexpr index_t xstep = SW * C;
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
                const T* wt = w + ((ky * KW + kx) * C) * F + f0;
                const T* xp = xrow + (ix0 + kx) * C;
                for (index_t c = 0; c < C; ++c) {
                    V wv[NV];
                    for (index_t j = 0; j < NV; ++j) wv[j] = simd<T>::load(wt + c * F + j * VW);
                    for (index_t p = 0; p < PX; ++p) {
                        const V a = simd<T>::splat(xp[p * xstep + c]);
                        for (index_t j = 0; j < NV; ++j) acc[p][j] = simd<T>::fma(a, wv[j], acc[p][j]);
                    }
                }
            }
        }
        for (index_t p = 0; p < PX; ++p) {
            T* yp = yrow + (ox + p) * F + f0;
            for (index_t j = 0; j < NV; ++j) simd<T>::store(yp + j * VW, act.vec(acc[p][j], yp + j * VW, f0 + j * VW));
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
            const T* wt = w + ((ky * KW + kx) * C) * F + f0;
            const T* xp = xrow + (ix0 + kx) * C;
            for (index_t c = 0; c < C; ++c) {
                const T* wc = wt + c * F;
                for (index_t p = 0; p < PX; ++p) {
                    const T a = xp[p * xstep + c];
                    for (index_t j = 0; j < FB; ++j) acc[p][j] = fmadd(a, wc[j], acc[p][j]);
                }
            }
        }
    }
    for (index_t p = 0; p < PX; ++p)
        for (index_t j = 0; j < FB; ++j) {
            T* at = yrow + (ox + p) * F + f0 + j;
            *at = act.scalar(acc[p][j], at, f0 + j);
        }
}


template <class L, class In, class Out, class T, class R, class Epi>
void conv2d_forward_rows(const conv_geometry& g, const T* w, const T* b, const T* x, T* y, index_t n, const R& act,
                         const Epi& epi) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters, FB = filter_block(F);
    constexpr index_t PL = pad_before(W, L::kw, L::sw, L::pad);
    // Output columns whose whole window is inside the input: [ox_lo, ox_hi).
    constexpr index_t ox_lo = std::min<index_t>(OW, (PL + L::sw - 1) / L::sw);
    constexpr index_t ox_hi_raw = (W + PL - L::kw) >= 0 ? (W + PL - L::kw) / L::sw + 1 : 0;
    constexpr index_t ox_hi = std::max<index_t>(ox_lo, std::min<index_t>(OW, ox_hi_raw));
    constexpr index_t ox_mid = ox_lo + (ox_hi - ox_lo) / 4 * 4;  // four at a time up to here
    for (index_t s = 0; s < n; ++s) {
        const T* xs = x + s * H * W * C;
        T* ys = y + s * OH * OW * F;
        for (index_t oy = 0; oy < OH; ++oy) {
            T* yrow = ys + oy * OW * F;
            for (index_t f0 = 0; f0 < F; f0 += FB) {
                // Constant bounds for each part (carrying ox from loop to loop made g++ 12 warn that
                // the last loop could overflow the output pointer).
                for (index_t ox = 0; ox < ox_lo; ++ox)
                    conv_row_tile<1, FB, L::has_bias, C, L::kw, L::sw>(g, w, b, xs, yrow, oy, ox, f0, act);
                for (index_t ox = ox_lo; ox < ox_mid; ox += 4)
                    conv_row_tile<4, FB, L::has_bias, C, L::kw, L::sw>(g, w, b, xs, yrow, oy, ox, f0, act);
                for (index_t ox = ox_mid; ox < OW; ++ox)
                    conv_row_tile<1, FB, L::has_bias, C, L::kw, L::sw>(g, w, b, xs, yrow, oy, ox, f0, act);
            }
            epi(yrow, OW * F);  // what registers could not do, while the row is in L1
        }
    }
}

// act: the register epilogue of every store (the layer's relu / leaky_relu, or a fused epilogue);
// epi(p, count) then runs on each finished run of outputs.
template <class L, class In, class Out, class T, class R, class Epi>
void conv2d_forward(const T* params, const T* x, T* y, index_t n, const R& act, const Epi& epi) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters;
    constexpr index_t PT = pad_before(H, L::kh, L::sh, L::pad), PL = pad_before(W, L::kw, L::sw, L::pad);
    constexpr conv_geometry g{H, W, C, OH, OW, F, L::kh, L::kw, L::sh, L::sw, PT, PL};
    const T* w = params;
    const T* b = L::has_bias ? params + L::kh * L::kw * C * F : nullptr;
    if constexpr (uses_row_kernel(C)) {
        conv2d_forward_rows<L, In, Out>(g, w, b, x, y, n, act, epi);
    } else {
        static constexpr T zeros[C] = {};  // what a tap in the padding reads
        conv_forward_pixels(g, w, b, x, zeros, y, 0, n * OH * OW, act, epi);
    }
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
// inv = gamma / sqrt(var + eps); y = x * inv + (beta - mean * inv): one pass, a channel row at a time
// (the per-element channel index of a flat expression cost 3x: M10, 1.7 ms for 2M values).
// y may be x (a fused group run in place).
template <class L, class In, class T>
void batch_norm_forward(const T* params, const T* x, T* y, index_t n) {
    constexpr index_t C = In::value.back(), P = In::size / C;
    T scale[C], shift[C];
    batch_norm_fold<L, C>(params, scale, shift);
    for (index_t i = 0; i < n * P; ++i) {
        const T* xr = x + i * C;
        T* yr = y + i * C;
        for (index_t c = 0; c < C; ++c) yr[c] = fmadd(xr[c], scale[c], shift[c]);
    }
}

}  // namespace typenet::cpu_detail
