// isa/gemm.ipp: the CPU policy's matrix product, C = A . B, as register-blocked micro-kernels inside
// a cache-blocked loop, for one instruction set (included by isa/kernels.ipp). Dense layers use it
// forward (y = x . W + b) and backward (dW = x^T . dz, dx^T = W . dz^T). A is read through two
// strides, so a transposed operand costs no copy (gemm_args, backend/cpu/gemm.hpp).
//
// Micro-kernel: MR rows x NV vectors of accumulators held in registers for a whole block of K; each
// step loads NV vectors of B and broadcasts MR values of A (MR * NV FMAs for NV + MR loads). The
// tiles per instruction set are in isa/simd.ipp. K is split into blocks so that the B panel in use
// (KC x the tile's columns, 32 KB) stays in L1 while every row tile of C passes over it. Kernels are
// templated on the vector type, tile sizes and T only, never on a layer's shape.

// C[i0 .. i0 + rows) x [j0 .. j0 + NV * width) over k in [k0, k0 + kc), rows <= MR. A remainder
// tile (rows < MR) computes its last row again in the spare accumulators and stores only its own
// rows: one instantiation per width instead of one per row count (compile time), and every row is
// computed by the same instructions wherever it falls.
template <class S, index_t MR, index_t NV, class T, class R>
TYPENET_KERNEL void gemm_micro(const gemm_args<T>& g, index_t rows, index_t i0, index_t j0, index_t k0, index_t kc,
                               gemm_init init, const R& reg) {
    using V = typename S::type;
    constexpr index_t VW = S::width;
    const T* arow[MR];
    T* crow[MR];
    TYPENET_UNROLL for (index_t r = 0; r < MR; ++r) {
        const index_t i = i0 + std::min(r, rows - 1);
        arow[r] = g.a + i * g.ars + k0 * g.acs;
        crow[r] = g.c + i * g.ldc + j0;
    }
    const T* TYPENET_RESTRICT b = g.b + k0 * g.ldb + j0;
    const index_t acs = g.acs, ldb = g.ldb;
    V acc[MR][NV];
    TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) {
        const V start = init == gemm_init::bias ? S::load(g.bias + j0 + j * VW) : V{};
        TYPENET_UNROLL for (index_t r = 0; r < MR; ++r)
            acc[r][j] = init == gemm_init::accumulate ? S::load(crow[r] + j * VW) : start;
    }
    for (index_t k = 0; k < kc; ++k) {
        V bv[NV];
        TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) bv[j] = S::load(b + k * ldb + j * VW);
        TYPENET_UNROLL for (index_t r = 0; r < MR; ++r) {
            const V av = S::splat(arow[r][k * acs]);
            TYPENET_UNROLL for (index_t j = 0; j < NV; ++j) acc[r][j] = S::fma(av, bv[j], acc[r][j]);
        }
    }
    TYPENET_UNROLL for (index_t r = 0; r < MR; ++r)
        if (r < rows)
            TYPENET_UNROLL for (index_t j = 0; j < NV; ++j)
                S::store(crow[r] + j * VW, reg.template vec<S>(acc[r][j], crow[r] + j * VW, j0 + j * VW));
}

// The last columns of C, fewer than the narrowest vector: plain scalars.
template <class T, class R>
TYPENET_KERNEL void gemm_micro_cols(const gemm_args<T>& g, index_t rows, index_t i0, index_t j0, index_t cols, index_t k0,
                                    index_t kc, gemm_init init, const R& reg) {
    constexpr index_t MAXC = simd_half<T>::width;
    const T* TYPENET_RESTRICT b = g.b + k0 * g.ldb + j0;
    for (index_t r = 0; r < rows; ++r) {
        const T* TYPENET_RESTRICT a = g.a + (i0 + r) * g.ars + k0 * g.acs;
        T* TYPENET_RESTRICT c = g.c + (i0 + r) * g.ldc + j0;
        T acc[MAXC] = {};  // only cols are used (initialised: g++ -Wmaybe-uninitialized)
        for (index_t j = 0; j < cols; ++j)
            acc[j] = init == gemm_init::accumulate ? c[j] : init == gemm_init::bias ? g.bias[j0 + j] : T(0);
        for (index_t k = 0; k < kc; ++k)
            for (index_t j = 0; j < cols; ++j) acc[j] = fmadd(a[k * g.acs], b[k * g.ldb + j], acc[j]);
        for (index_t j = 0; j < cols; ++j) c[j] = reg.scalar(acc[j], c + j, j0 + j);
    }
}

// The rows a tile of this tier takes at once.
constexpr index_t gemm_tier_rows(int tier) { return tier == 0 || tier == 3 ? rows_full : rows_narrow; }

// One tile of `rows` (1..MR) rows and one tier's columns.
template <unsigned Tiers, class T, class R>
void gemm_tile(const gemm_args<T>& g, int tier, index_t rows, index_t i0, index_t j0, index_t cols, index_t k0,
               index_t kc, gemm_init init, const R& reg) {
    // A single row (a batch-1 dense layer) gets its own kernels: six copies of it would cost six
    // times the multiply-adds (M1 batch 1: 151 us instead of 79).
    const bool one = rows == 1;
    TYPENET_ASSERT((Tiers >> tier) & 1u, "typenet: a column tier outside the kernel's instantiated set");
    switch (tier) {
    case 0:
        if constexpr (!(Tiers & 1u)) return;
        else if (one) gemm_micro<simd<T>, 1, nv_full>(g, rows, i0, j0, k0, kc, init, reg);
        else gemm_micro<simd<T>, rows_full, nv_full>(g, rows, i0, j0, k0, kc, init, reg);
        return;
    case 1:
        if constexpr (has_tier1 && (Tiers & 2u)) {
            if (one) gemm_micro<simd<T>, 1, 2>(g, rows, i0, j0, k0, kc, init, reg);
            else gemm_micro<simd<T>, rows_narrow, 2>(g, rows, i0, j0, k0, kc, init, reg);
        }
        return;
    case 2:
        if constexpr (Tiers & 4u) {
            if (one) gemm_micro<simd<T>, 1, 1>(g, rows, i0, j0, k0, kc, init, reg);
            else gemm_micro<simd<T>, rows_narrow, 1>(g, rows, i0, j0, k0, kc, init, reg);
        }
        return;
    case 3:
        if constexpr (has_tier3 && (Tiers & 8u)) {
            if (one) gemm_micro<simd_half<T>, 1, 1>(g, rows, i0, j0, k0, kc, init, reg);
            else gemm_micro<simd_half<T>, rows_full, 1>(g, rows, i0, j0, k0, kc, init, reg);
        }
        return;
    default:
        if constexpr ((Tiers & 16u) != 0) gemm_micro_cols(g, rows, i0, j0, cols, k0, kc, init, reg);
    }
}

// C rows [m0, m1) x columns [n0, n1) of an (M x N) = (M x K) . (K x N) product. `init` says what C
// starts from; `reg` -- a store (isa/epilogue.ipp: the layer's relu / leaky_relu, or nothing) -- is
// applied in registers as the last K block is stored, and `epi` runs on each finished piece of a row
// afterwards (finish_run: another activation, or a fused epilogue) -- one row tile behind, since
// reading outputs right after their vector stores stalls on store forwarding. Threads call
// this on disjoint row or column ranges; every element's arithmetic is the same whatever the ranges,
// tiles and vector width (one FMA per k, in order), so results do not depend on the thread count or
// on which of avx2 and avx512 runs.
// Tiers: the column tiers the caller's N can use (tiers_of), all_tiers when N is a run-time value.
template <unsigned Tiers, class T, class R, class Epi>
void gemm(const gemm_args<T>& g, index_t m0, index_t m1, index_t n0, index_t n1, index_t K, gemm_init init,
          const R& reg, Epi&& epi) {
    const act_store<T> plain{};  // partial sums: stored as they are
    for (index_t j0 = n0; j0 < n1;) {
        const int tier = tier_for<T>(n1 - j0);
        const index_t cols = tier_cols<T>(tier, n1 - j0), MR = gemm_tier_rows(tier);
        // K blocks: the panel of B in use stays in L1 (32 KB) however wide the tile.
        const index_t kc_max = std::max<index_t>(64, 8192 / (cols * index_t(sizeof(T)) / 4));
        for (index_t k0 = 0; k0 == 0 || k0 < K; k0 += kc_max) {
            const index_t kc = std::min(kc_max, K - k0);
            const gemm_init step = k0 == 0 ? init : gemm_init::accumulate;
            const bool last = k0 + kc_max >= K;
            index_t lag_i = m0, lag_rows = 0;
            for (index_t i0 = m0; i0 < m1; i0 += MR) {
                const index_t rows = std::min(MR, m1 - i0);
                // Earlier K blocks store plain partial sums; the last applies the epilogue.
                if (last) gemm_tile<Tiers>(g, tier, rows, i0, j0, cols, k0, kc, step, reg);
                else gemm_tile<Tiers>(g, tier, rows, i0, j0, cols, k0, kc, step, plain);
                if (last) {
                    for (index_t r = 0; r < lag_rows; ++r) finish_run(epi, g.c + (lag_i + r) * g.ldc + j0, cols);
                    lag_i = i0, lag_rows = rows;
                }
            }
            for (index_t r = 0; r < lag_rows; ++r) finish_run(epi, g.c + (lag_i + r) * g.ldc + j0, cols);
        }
        j0 += cols;
    }
}

template <unsigned Tiers, class T>
void gemm(const gemm_args<T>& g, index_t m0, index_t m1, index_t N, index_t K, gemm_init init) {
    gemm<Tiers>(g, m0, m1, 0, N, K, init, act_store<T>{}, noop_epilogue{});
}
