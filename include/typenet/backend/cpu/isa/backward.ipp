// isa/backward.ipp: the backward passes of the GEMM-shaped layers (dense, conv2d) for one
// instruction set (included by isa/kernels.ipp); the other layers' backward passes are in
// backend/cpu/backward.hpp. x: the layer's input, y: its output, dy: the gradient of the loss w.r.t.
// y (may be overwritten), dx: w.r.t. x (nullptr: not wanted), grads: w.r.t. the layer's parameters,
// same layout as the parameters (overwritten).

// dy <- dy * f'(.) (backend/cpu/backward.hpp's activation_backward), relu and leaky_relu in vectors
// written out: g++ -O2 left that loop scalar, and it runs over a whole conv output (M2's fit at -O2).
template <class Act, class T>
void act_backward(const T* y, T* dy, index_t rows, index_t len, const train_context& ctx, bool last) {
    using G = std::remove_cvref_t<decltype(functor_of<Act>())>;
    if constexpr (std::is_same_v<G, fn::relu> || std::is_same_v<G, fn::leaky_relu>) {
        using S = simd<T>;
        using V = typename S::type;
        const auto g = Act::gradient();
        const index_t n = rows * len;
        T alpha = 0;
        if constexpr (std::is_same_v<G, fn::leaky_relu>) alpha = T(functor_of<Act>().alpha);
        const V zero{}, slope = S::splat(alpha);
        index_t i = 0;
        for (; i + S::width <= n; i += S::width) {
            const V yv = S::load(y + i), d = S::load(dy + i);
            if constexpr (std::is_same_v<G, fn::relu>) S::store(dy + i, yv > zero ? d : zero);
            else S::store(dy + i, yv > zero ? d : slope * d);
        }
        for (; i < n; ++i) dy[i] = g(y[i], dy[i]);
    } else {
        cpu_detail::activation_backward<Act>(y, dy, rows, len, ctx, last);
    }
}

// ---- dense ---------------------------------------------------------------------------------------
// Both gradients are gemm products (isa/gemm.ipp):
//   dW (K, U)   = x^T (K, n) . dz (n, U)     -- x read through its strides, no copy
//   dx^T (K, n) = W (K, U) . dz^T (U, n)     -- then transposed into dx (n, K)
// scratch: dense_backward_scratch_elems (dz^T and dx^T). Threads take disjoint rows (k) of both.
template <class L, class In, class Out, class T, class Par>
void dense_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                    const train_context& ctx, bool last, T* scratch, Par&& parallel) {
    constexpr index_t K = In::size, U = L::units;
    act_backward<typename L::activation>(y, dy, n, U, ctx, last);
    const T* w = params;
    if (ctx.param_grads) {
        const gemm_args<T> g{x, 1, K, dy, U, grads, U, nullptr};
        parallel(K, [&](index_t k0, index_t k1) { gemm<tiers_of<T>(U)>(g, k0, k1, U, n, gemm_init::zero); });
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
            gemm<all_tiers>(g, k0, k1, n, U, gemm_init::zero);  // N = n: the batch, known at run time
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
// dW rows [t0, t0 + rows) x columns [f0, f0 + NV vectors), rows <= MR (dw points at row t0, column
// f0); a remainder tile recomputes its last row in the spare accumulators and does not store it.
template <class S, index_t MR, index_t NV, class T>
TYPENET_KERNEL void conv_dw_micro(T* TYPENET_RESTRICT dw, const T* TYPENET_RESTRICT xs, const index_t* TYPENET_RESTRICT xoff,
                   const T* TYPENET_RESTRICT dz, index_t count, index_t F, index_t rows, bool accumulate) {
    using V = typename S::type;
    constexpr index_t VW = S::width;
    index_t row[MR];
    TYPENET_UNROLL for (index_t r = 0; r < MR; ++r) row[r] = std::min(r, rows - 1);
    V acc[MR][NV];
    TYPENET_UNROLL for (index_t r = 0; r < MR; ++r)
        TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) acc[r][j] = accumulate ? S::load(dw + row[r] * F + j * VW) : V{};
    for (index_t o = 0; o < count; ++o) {
        const T* xr = xs + xoff[o];
        V zv[NV];
        TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) zv[j] = S::load(dz + o * F + j * VW);
        TYPENET_UNROLL for (index_t r = 0; r < MR; ++r) {
            const V a = S::splat(xr[row[r]]);
            TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) acc[r][j] = S::fma(a, zv[j], acc[r][j]);
        }
    }
    TYPENET_UNROLL for (index_t r = 0; r < MR; ++r)
        if (r < rows)
            TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) S::store(dw + r * F + j * VW, acc[r][j]);
}

template <class T>
TYPENET_KERNEL void conv_dw_micro_cols(T* TYPENET_RESTRICT dw, const T* TYPENET_RESTRICT xs, const index_t* TYPENET_RESTRICT xoff,
                        const T* TYPENET_RESTRICT dz, index_t count, index_t F, index_t rows, index_t cols,
                        bool accumulate) {
    constexpr index_t MAXC = simd_half<T>::width;
    for (index_t r = 0; r < rows; ++r) {
        T acc[MAXC] = {};  // only cols are used (initialised: g++ -Wmaybe-uninitialized)
        for (index_t j = 0; j < cols; ++j) acc[j] = accumulate ? dw[r * F + j] : T(0);
        for (index_t o = 0; o < count; ++o)
            for (index_t j = 0; j < cols; ++j) acc[j] = fmadd(xs[xoff[o] + r], dz[o * F + j], acc[j]);
        for (index_t j = 0; j < cols; ++j) dw[r * F + j] = acc[j];
    }
}

// dW rows of one tier's columns; MR = rows_full for every tier (the row tiles of a kernel row are
// counted once for all its column tiles).
template <unsigned Tiers, class T>
void conv_dw_tile(T* dw, const T* xs, const index_t* xoff, const T* dz, index_t count, index_t F, index_t rows,
                  int tier, index_t cols, bool accumulate) {
    constexpr index_t MR = rows_full;
    TYPENET_ASSERT((Tiers >> tier) & 1u, "typenet: a column tier outside the kernel's instantiated set");
    switch (tier) {
    case 0:
        if constexpr (!(Tiers & 1u)) return;
        // Half-height tiles when at most half the rows are real (a first layer: kw * C = 3 rows of dW).
        else if (rows <= MR / 2) conv_dw_micro<simd<T>, MR / 2, nv_full>(dw, xs, xoff, dz, count, F, rows, accumulate);
        else conv_dw_micro<simd<T>, MR, nv_full>(dw, xs, xoff, dz, count, F, rows, accumulate);
        return;
    case 1:
        if constexpr (has_tier1 && (Tiers & 2u)) conv_dw_micro<simd<T>, MR, 2>(dw, xs, xoff, dz, count, F, rows, accumulate);
        return;
    case 2:
        if constexpr (Tiers & 4u) conv_dw_micro<simd<T>, MR, 1>(dw, xs, xoff, dz, count, F, rows, accumulate);
        return;
    case 3:
        if constexpr (has_tier3 && (Tiers & 8u)) conv_dw_micro<simd_half<T>, MR, 1>(dw, xs, xoff, dz, count, F, rows, accumulate);
        return;
    default:
        if constexpr ((Tiers & 16u) != 0) conv_dw_micro_cols(dw, xs, xoff, dz, count, F, rows, cols, accumulate);
    }
}

template <class L, class In, class Out, class T, class Par>
void conv2d_backward(const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                     const train_context& ctx, bool last, unsigned char* scratch, Par&& parallel) {
    constexpr index_t H = In::extents[0], W = In::extents[1], C = In::extents[2];
    constexpr index_t OH = Out::extents[0], OW = Out::extents[1], F = L::filters;
    constexpr index_t KH = L::kh, KW = L::kw, SH = L::sh, SW = L::sw;
    using P = conv_padded_input<L, In, Out>;
    act_backward<typename L::activation>(y, dy, n * OH * OW, F, ctx, last);
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
        constexpr index_t RUN = KW * C, MR = rows_full;
        constexpr index_t row_tiles = (RUN + MR - 1) / MR, col_tiles = column_tile_count<T>(F);
        const index_t pixels = n * OH * OW;
        for (index_t o0 = 0; o0 < pixels; o0 += conv_dw_chunk) {
            const index_t count = std::min(conv_dw_chunk, pixels - o0);
            parallel(KH * row_tiles * col_tiles, [&](index_t t0, index_t t1) {
                for (index_t t = t0; t < t1; ++t) {
                    const index_t ky = t / (row_tiles * col_tiles), rt = (t / col_tiles) % row_tiles, ct = t % col_tiles;
                    index_t f0, cols;  // column tile ct, as the tiers cut a row of F
                    column_tile<T>(F, ct, f0, cols);
                    const index_t r0 = rt * MR, rows = std::min(MR, RUN - r0);
                    conv_dw_tile<tiers_of<T>(F)>(dw + (ky * RUN + r0) * F + f0, xs + ky * P::cols * C + r0, xoff + o0, dy + o0 * F + f0, count, F,
                                 rows, tier_for<T>(F - f0), cols, o0 > 0);
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
            conv_forward_pixels<conv_pixels_for<T>(C), tiers_of<T>(C)>(gt, static_cast<const T*>(wt), static_cast<const T*>(nullptr), static_cast<const T*>(dy), zeros, dx,
                                q0, q1, act_store<T>{}, noop_epilogue{});
        });
    }
}


// ---- pooling -------------------------------------------------------------------------------------
// Max pooling routes each gradient to the first maximum of its window (TensorFlow's rule);
// average pooling spreads it over the window's real cells.
// For every channel, the cell (iy * W + ix) of the window's first maximum: one pass over the window
// with all channels at once; strict > keeps the first maximum (TensorFlow), and a NaN never wins.
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

// The same with vectors of channels, written out (g++ -O2 left the loops above scalar: 38 % of an
// M2 training step): the cell of each lane's first maximum is kept in an integer vector of the same
// lanes, and a window that tiles the input writes its cells straight from it.
template <class S>
struct max_lanes {
    using V = typename S::type;
    using I = decltype(V{} > V{});  // one signed integer per lane, as wide as T
    using E = std::remove_cvref_t<decltype(I{}[0])>;
    TYPENET_INLINE static I splat(index_t cell) { return I{} + E(cell); }
    template <index_t C, index_t W, class T>
    TYPENET_INLINE static I first_max(const T* xs, index_t y_lo, index_t y_hi, index_t x_lo, index_t x_hi) {
        const index_t first = y_lo * W + x_lo;
        V best = S::load(xs + first * C);
        I at = splat(first);
        for (index_t iy = y_lo; iy < y_hi; ++iy)
            for (index_t ix = x_lo; ix < x_hi; ++ix) {
                const index_t cell = iy * W + ix;
                const V v = S::load(xs + cell * C);
                const I more = v > best;
                best = more ? v : best;
                at = more ? splat(cell) : at;
            }
        return at;
    }
};

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
                using S = vector_dividing<T, C>;
                if constexpr (L::is_max && S::width > 1) {
                    using M = max_lanes<S>;
                    for (index_t c0 = 0; c0 < C; c0 += S::width) {
                        const auto at = M::template first_max<C, W>(xs + c0, y_lo, y_hi, x_lo, x_hi);
                        const auto gv = S::load(g + c0);
                        if constexpr (tiles) {
                            for (index_t iy = y_lo; iy < y_hi; ++iy)
                                for (index_t ix = x_lo; ix < x_hi; ++ix) {
                                    const index_t cell = iy * W + ix;
                                    S::store(dxs + cell * C + c0, at == M::splat(cell) ? gv : typename S::type{});
                                }
                        } else {
                            for (index_t l = 0; l < S::width; ++l) dxs[index_t(at[l]) * C + c0 + l] += g[c0 + l];
                        }
                    }
                } else if constexpr (tiles) {
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

