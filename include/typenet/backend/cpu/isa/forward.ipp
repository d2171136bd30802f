// isa/forward.ipp: the forward kernels of the GEMM-shaped layers (dense, conv2d) and of batch
// normalisation, for one instruction set (included by isa/kernels.ipp). Templated on the layer
// descriptor and its shapes at the top, on tile sizes and T below, so instantiations are shared.
// `reg`: what every store applies in registers (isa/epilogue.ipp: the layer's relu / leaky_relu, or
// nothing), then `epi` on each finished run of outputs (finish_run: an activation registers cannot
// do, or a producer's fused epilogue).

// ---- dense: y (n, U) = x (n, K) . w (K, U) + b -----------------------------------------------------
// Units [j0, j1) of every sample (the cpu policy gives threads disjoint column blocks, so each
// streams only its part of w); softmax is applied afterwards, by the caller, over whole rows.
template <class L, class In, class Out, class T, class R, class Epi>
void dense_forward_cols(const T* params, const T* x, T* y, index_t n, index_t j0, index_t j1, const R& reg,
                        const Epi& epi) {
    constexpr index_t K = In::size, U = L::units;
    const gemm_args<T> g{x, K, 1, params, U, y, U, params + K * U};
    gemm<tiers_of<T>(U)>(g, 0, n, j0, j1, K, L::has_bias ? gemm_init::bias : gemm_init::zero, reg, epi);
}

// ---- conv2d (direct, implicit GEMM): y (n, OH, OW, F) from x (n, H, W, C), w (KH, KW, C, F) ------
// The output pixels of the whole batch, in (sample, oy, ox) order, are taken PX at a time; for each
// kernel tap the PX input rows it reads are located once, then every channel feeds PX x NV vector
// FMAs from NV loads of the weights. A tile may span output rows and samples, so narrow outputs
// (3 x 3, 11 x 11) keep full tiles. Taps that fall into "same" padding read a row of zeros instead
// of being clipped, so edge pixels use the same full tile as interior ones.
// uh, uw > 1 (conv_geometry): the input is read as if dilated by them (a zero between its pixels),
// which makes the same kernel compute a strided convolution's input gradient (isa/backward.ipp).

// Pixels per tile for F filters: rows_full when the widest tier is used, else rows_narrow (avx512:
// 32 filters take 12 pixels x 2 zmm, 24 accumulators, instead of 6 x 2).
template <class T>
constexpr index_t conv_pixels_for(index_t F) {
    return tier_for<T>(F) == 0 ? rows_full : rows_narrow;
}

// Pointers to the input row (C channels) under tap (ky, kx) for each of PX pixels; a tap in the
// padding (or between the pixels of a dilated input) reads a row of zeros. False when every pixel's
// does (the tap adds nothing and is skipped).
template <index_t PX, class T>
TYPENET_INLINE bool conv_tap_rows(const conv_geometry& g, const T* x, const T* zeros, const conv_pixel* px, index_t ky,
                                  index_t kx, const T** rows) {
    bool any = false;
    TYPENET_UNROLL for (index_t p = 0; p < PX; ++p) {
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
template <class S, index_t PX, index_t NV, class V, class T>
TYPENET_INLINE void conv_accumulate(V (&acc)[PX][NV], const T* const* rows, const T* TYPENET_RESTRICT wt, index_t len,
                                    index_t F) {
    constexpr index_t VW = S::width;
    for (index_t t = 0; t < len; ++t) {
        V wv[NV];
        TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) wv[j] = S::load(wt + t * F + j * VW);
        TYPENET_UNROLL for (index_t p = 0; p < PX; ++p) {
            const V a = S::splat(rows[p][t]);
            TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) acc[p][j] = S::fma(a, wv[j], acc[p][j]);
        }
    }
}

template <class S, index_t PX, index_t NV, class T, class R>
TYPENET_KERNEL void conv_micro(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT bias,
                               const T* TYPENET_RESTRICT x, const T* zeros, const conv_pixel* px, index_t count,
                               bool interior, T* TYPENET_RESTRICT y, index_t j0, const R& reg) {
    using V = typename S::type;
    constexpr index_t VW = S::width;
    const index_t C = g.C, F = g.F;
    V acc[PX][NV];
    TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) {
        const V start = bias ? S::load(bias + j0 + j * VW) : V{};
        TYPENET_UNROLL for (index_t p = 0; p < PX; ++p) acc[p][j] = start;
    }
    const T* rows[PX];
    if (interior) {  // a kernel row's kw * C inputs are contiguous in x, and so are its weight rows
        const index_t run = g.kw * C;
        for (index_t ky = 0; ky < g.kh; ++ky) {
            TYPENET_UNROLL for (index_t p = 0; p < PX; ++p)
                rows[p] = x + px[p].sample_offset + ((px[p].iy0 + ky) * g.W + px[p].ix0) * C;
            conv_accumulate<S>(acc, rows, w + ky * run * F + j0, run, F);
        }
    } else {
        // With a dilated input the pixels of a tile share their phase (conv_forward_pixels), so
        // the first pixel tells which kernel rows and columns hit real input at all.
        for (index_t ky = 0; ky < g.kh; ++ky) {
            if (!on_dilated_grid(px[0].iy0 + ky, g.uh)) continue;
            for (index_t kx = 0; kx < g.kw; ++kx) {
                if (!on_dilated_grid(px[0].ix0 + kx, g.uw)) continue;
                if (!conv_tap_rows<PX>(g, x, zeros, px, ky, kx, rows)) continue;  // all in padding
                conv_accumulate<S>(acc, rows, w + ((ky * g.kw + kx) * C) * F + j0, C, F);
            }
        }
    }
    TYPENET_UNROLL for (index_t p = 0; p < PX; ++p)
        if (p < count)
            TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) {
                T* at = y + px[p].out * F + j0 + j * VW;
                S::store(at, reg.template vec<S>(acc[p][j], at, j0 + j * VW));
            }
}

// The last filters, fewer than the narrowest vector: plain scalars.
template <index_t PX, class T, class R>
TYPENET_KERNEL void conv_micro_cols(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT bias,
                                    const T* TYPENET_RESTRICT x, const T* zeros, const conv_pixel* px, index_t count,
                                    T* TYPENET_RESTRICT y, index_t j0, index_t cols, const R& reg) {
    constexpr index_t MAXC = simd_half<T>::width;
    const index_t C = g.C, F = g.F;
    T acc[PX][MAXC] = {};  // only cols are used (initialised: g++ -Wmaybe-uninitialized)
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
            *at = reg.scalar(acc[p][j], at, j0 + j);
        }
}

// count (<= PX) real pixels; the caller repeats the last one in the spare slots, which are computed
// but not stored (one instantiation per width instead of one per pixel count: compile time).
template <index_t PX, unsigned Tiers, class T, class R>
void conv_tile(const conv_geometry& g, const T* w, const T* bias, const T* x, const T* zeros, const conv_pixel* px,
               index_t count, bool interior, T* y, const R& reg) {
    // A tile of at most half the pixels (the end of a small output: M2's 3 x 3) uses a half-height
    // kernel rather than computing the spare pixels.
    const bool half = count <= PX / 2;
    for (index_t j0 = 0; j0 < g.F;) {
        const int tier = tier_for<T>(g.F - j0);
        const index_t cols = tier_cols<T>(tier, g.F - j0);
        TYPENET_ASSERT((Tiers >> tier) & 1u, "typenet: a column tier outside the kernel's instantiated set");
        switch (tier) {
        case 0:  // only with rows_full pixels (conv_pixels_for)
            if constexpr (PX == rows_full && (Tiers & 1u)) {
                if (half) conv_micro<simd<T>, PX / 2, nv_full>(g, w, bias, x, zeros, px, count, interior, y, j0, reg);
                else conv_micro<simd<T>, PX, nv_full>(g, w, bias, x, zeros, px, count, interior, y, j0, reg);
            }
            break;
        case 1:
            if constexpr (has_tier1 && (Tiers & 2u)) {
                if (half) conv_micro<simd<T>, PX / 2, 2>(g, w, bias, x, zeros, px, count, interior, y, j0, reg);
                else conv_micro<simd<T>, PX, 2>(g, w, bias, x, zeros, px, count, interior, y, j0, reg);
            }
            break;
        case 2:
            if constexpr (Tiers & 4u) conv_micro<simd<T>, PX, 1>(g, w, bias, x, zeros, px, count, interior, y, j0, reg);
            break;
        case 3:
            if constexpr (has_tier3 && (Tiers & 8u)) conv_micro<simd_half<T>, PX, 1>(g, w, bias, x, zeros, px, count, interior, y, j0, reg);
            break;
        default:
            if constexpr ((Tiers & 16u) != 0) conv_micro_cols<PX>(g, w, bias, x, zeros, px, count, y, j0, cols, reg);
        }
        j0 += cols;
    }
}

// The epilogue of a finished tile's pixels (output indices out[0 .. count)), one call per run of
// consecutive pixels -- a whole tile except with a dilated input (a fused epilogue per pixel cost
// M10 9 %: a call, and a division to find the column, for every 32 values).
template <class Epi, class T>
TYPENET_INLINE void finish_pixels(const Epi& epi, T* y, const index_t* out, index_t count, index_t F) {
    for (index_t p = 0; p < count;) {
        index_t e = p + 1;
        while (e < count && out[e] == out[e - 1] + 1) ++e;
        finish_run(epi, y + out[p] * F, (e - p) * F);
        p = e;
    }
}

// Output pixels [q0, q1) of the batch, in (sample, oy, ox) order -- except that with a dilated input
// (uw > 1) each output row is taken phase by phase (ox = 0, uw, 2 uw, ..., then 1, 1 + uw, ...), so
// the pixels of a tile mostly share the taps that hit real input and the others are skipped.
template <index_t PX, unsigned Tiers, class T, class R, class Epi>
void conv_forward_pixels(const conv_geometry& g, const T* w, const T* bias, const T* x, const T* zeros, T* y,
                         index_t q0, index_t q1, const R& reg, Epi&& epi) {
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
        conv_tile<PX, Tiers>(g, w, bias, x, zeros, px, count, interior, y, reg);
        // The epilogue runs one tile behind: reading the outputs right after the vector stores
        // stalls on store forwarding (M2's first conv ran at half speed that way).
        finish_pixels(epi, y, lag, lag_count, g.F);
        for (index_t p = 0; p < count; ++p) lag[p] = px[p].out;
        lag_count = count;
    }
    finish_pixels(epi, y, lag, lag_count, g.F);
}

// Few input channels (a first layer: C = 1 or 3): see uses_row_kernel (backend/cpu/kernels.hpp).
// PX neighbouring pixels of one output row share one address and a fixed stride; pixels whose
// window leaves the input go one at a time with the taps clipped. Filters in blocks of FB
// (filter_block). C, KW and SW are template arguments: with them as constants the short channel and
// tap loops unroll (shared with runtime C the tile ran at half speed, M2's first conv 35 instead of
// 85 GFLOP/s). A block is kept in the widest vectors that divide it, else in scalars.
template <index_t PX, index_t FB, bool Bias, index_t C, index_t KW, index_t SW, class T, class R>
void conv_row_tile(const conv_geometry& g, const T* TYPENET_RESTRICT w, const T* TYPENET_RESTRICT b,
                   const T* TYPENET_RESTRICT x, T* TYPENET_RESTRICT yrow, index_t oy, index_t ox, index_t f0,
                   const R& reg) {
    const index_t iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
    const index_t ky_lo = std::max<index_t>(0, -iy0), ky_hi = std::min<index_t>(g.kh, g.H - iy0);
    // With PX > 1 the caller guarantees all PX windows lie inside the input horizontally.
    const index_t kx_lo = PX > 1 ? 0 : std::max<index_t>(0, -ix0);
    const index_t kx_hi = PX > 1 ? KW : std::min<index_t>(KW, g.W - ix0);
    const index_t F = g.F;
    constexpr index_t xstep = SW * C;
    using S = vector_dividing<T, FB>;
    using V = typename S::type;
    constexpr index_t NV = FB / S::width, VW = S::width;
    V acc[PX][NV];
    TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) {
        const V bias = Bias ? S::load(b + f0 + j * VW) : V{};
        TYPENET_UNROLL for (index_t p = 0; p < PX; ++p) acc[p][j] = bias;
    }
    for (index_t ky = ky_lo; ky < ky_hi; ++ky) {
        const T* xrow = x + (iy0 + ky) * g.W * C;
        for (index_t kx = kx_lo; kx < kx_hi; ++kx) {
            const T* wt = w + ((ky * KW + kx) * C) * F + f0;
            const T* xp = xrow + (ix0 + kx) * C;
            TYPENET_UNROLL for (index_t c = 0; c < C; ++c) {
                V wv[NV];
                TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) wv[j] = S::load(wt + c * F + j * VW);
                TYPENET_UNROLL for (index_t p = 0; p < PX; ++p) {
                    const V a = S::splat(xp[p * xstep + c]);
                    TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) acc[p][j] = S::fma(a, wv[j], acc[p][j]);
                }
            }
        }
    }
    TYPENET_UNROLL for (index_t p = 0; p < PX; ++p) {
        T* yp = yrow + (ox + p) * F + f0;
        TYPENET_UNROLL for (index_t j = 0; j < NV; ++j)
            S::store(yp + j * VW, reg.template vec<S>(acc[p][j], yp + j * VW, f0 + j * VW));
    }
}

template <class L, class In, class Out, class T, class R, class Epi>
void conv2d_forward_rows(const conv_geometry& g, const T* w, const T* b, const T* x, T* y, index_t n, const R& reg,
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
                    conv_row_tile<1, FB, L::has_bias, C, L::kw, L::sw>(g, w, b, xs, yrow, oy, ox, f0, reg);
                for (index_t ox = ox_lo; ox < ox_mid; ox += 4)
                    conv_row_tile<4, FB, L::has_bias, C, L::kw, L::sw>(g, w, b, xs, yrow, oy, ox, f0, reg);
                for (index_t ox = ox_mid; ox < OW; ++ox)
                    conv_row_tile<1, FB, L::has_bias, C, L::kw, L::sw>(g, w, b, xs, yrow, oy, ox, f0, reg);
            }
            finish_run(epi, yrow, OW * F);  // what registers could not do, while the row is in L1
        }
    }
}

template <class L, class In, class Out, class T, class R, class Epi>
void conv2d_forward(const T* params, const T* x, T* y, index_t n, const R& reg, const Epi& epi) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters;
    constexpr index_t PT = pad_before(H, L::kh, L::sh, L::pad), PL = pad_before(W, L::kw, L::sw, L::pad);
    constexpr conv_geometry g{H, W, C, OH, OW, F, L::kh, L::kw, L::sh, L::sw, PT, PL};
    const T* w = params;
    const T* b = L::has_bias ? params + L::kh * L::kw * C * F : nullptr;
    if constexpr (uses_row_kernel(C)) {
        conv2d_forward_rows<L, In, Out>(g, w, b, x, y, n, reg, epi);
    } else {
        static constexpr T zeros[C] = {};  // what a tap in the padding reads
        conv_forward_pixels<conv_pixels_for<T>(F), tiers_of<T>(F)>(g, w, b, x, zeros, y, 0, n * OH * OW, reg, epi);
    }
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
                T* yp = ys + (oy * OW + ox) * C;
                const T inv = T(1) / T((y_hi - y_lo) * (x_hi - x_lo));
                // Vectors of channels, written out (g++ -O2 leaves the scalar loops below scalar).
                using S = vector_dividing<T, C>;
                if constexpr (S::width > 1) {
                    using V = typename S::type;
                    for (index_t c0 = 0; c0 < C; c0 += S::width) {
                        V acc = S::splat(L::is_max ? -std::numeric_limits<T>::infinity() : T(0));
                        for (index_t iy = y_lo; iy < y_hi; ++iy)
                            for (index_t ix = x_lo; ix < x_hi; ++ix) {
                                const V v = S::load(xs + (iy * W + ix) * C + c0);
                                if constexpr (L::is_max) acc = v > acc ? v : acc;
                                else acc = acc + v;
                            }
                        S::store(yp + c0, L::is_max ? acc : acc * S::splat(inv));
                    }
                    continue;
                }
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
                for (index_t c = 0; c < C; ++c) yp[c] = L::is_max ? acc[c] : acc[c] * inv;
            }
    }
}

// ---- batch normalisation (inference): TensorFlow's folded form --------------------------------------
// inv = gamma / sqrt(var + eps); y = x * inv + (beta - mean * inv): one pass, a channel row at a time
// (the per-element channel index of a flat expression cost 3x: M10, 1.7 ms for 2M values), with the
// fused epilogue's rounding (one fmadd), so fused and separate give the same bits. y may be x.
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
