// gemm: the CPU policy's matrix product, C = A . B, as a register-blocked micro-kernel inside a
// cache-blocked loop. Dense layers use it forward (y = x . W + b) and backward (dW = x^T . dz,
// dx^T = W . dz^T). A is read through two strides, so a transposed operand costs no copy.
//
// Micro-kernel: MR rows x NV vectors of accumulators held in registers for a whole block of K; each
// step loads NV vectors of B and broadcasts MR values of A (MR * NV FMAs for NV + MR loads).
//   AVX-512VL (32 ymm registers): 6 x 4 vectors = 6 x 32 floats, 24 accumulators
//   AVX2 (16 registers):          6 x 2 vectors = 6 x 16 floats, 12 accumulators
//   no AVX:                       4 x 8 scalars (the compiler may still vectorise)
// K is split into blocks of KC so the B panel in use (KC x NV vectors) stays in L1/L2 while every
// row tile of C passes over it. Row and column remainders get narrower instantiations of the same
// kernel (all shared across layers: templated on tile sizes and T only, never on a layer's shape).
#pragma once

#include <algorithm>
#include <utility>

#include "simd.hpp"

namespace typenet::cpu_detail {

enum class gemm_init { zero, bias, accumulate };

template <class T>
struct gemm_args {
    const T* a;           // A(i, k) = a[i * ars + k * acs]
    index_t ars, acs;
    const T* b;           // B(k, j) = b[k * ldb + j]
    index_t ldb;
    T* c;                 // C(i, j) = c[i * ldc + j]
    index_t ldc;
    const T* bias;        // bias[j], with gemm_init::bias
};

struct gemm_tiles {
    static constexpr index_t nv = TYPENET_VECTOR_EXTENSIONS ? (vector_registers >= 32 ? 4 : 2) : 8;
    static constexpr index_t mr = TYPENET_VECTOR_EXTENSIONS ? 6 : 4;
    static constexpr index_t kc = 256;
};

// C[i0 .. i0 + rows) x [j0 .. j0 + NV * width) over k in [k0, k0 + kc), rows <= MR. A remainder
// tile (rows < MR) computes its last row again in the spare accumulators and stores only its own
// rows: one instantiation per width instead of one per row count (compile time), and every row is
// computed by the same instructions wherever it falls.
template <index_t MR, index_t NV, class T, class R>
TYPENET_KERNEL void gemm_micro(const gemm_args<T>& g, index_t rows, index_t i0, index_t j0, index_t k0, index_t kc, gemm_init init,
                const R& reg) {
    using S = simd<T>;
    using V = typename S::type;
    constexpr index_t VW = S::width;
    const T* arow[MR];
    T* crow[MR];
    for (index_t r = 0; r < MR; ++r) {
        const index_t i = i0 + std::min(r, rows - 1);
        arow[r] = g.a + i * g.ars + k0 * g.acs;
        crow[r] = g.c + i * g.ldc + j0;
    }
    const T* TYPENET_RESTRICT b = g.b + k0 * g.ldb + j0;
    const index_t acs = g.acs, ldb = g.ldb;
    V acc[MR][NV];
    for (index_t j = 0; j < NV; ++j) {
        const V start = init == gemm_init::bias ? S::load(g.bias + j0 + j * VW) : V{};
        for (index_t r = 0; r < MR; ++r) acc[r][j] = init == gemm_init::accumulate ? S::load(crow[r] + j * VW) : start;
    }
    for (index_t k = 0; k < kc; ++k) {
        V bv[NV];
        for (index_t j = 0; j < NV; ++j) bv[j] = S::load(b + k * ldb + j * VW);
        for (index_t r = 0; r < MR; ++r) {
            const V av = S::splat(arow[r][k * acs]);
            for (index_t j = 0; j < NV; ++j) acc[r][j] = S::fma(av, bv[j], acc[r][j]);
        }
    }
    for (index_t r = 0; r < MR; ++r)
        if (r < rows)
            for (index_t j = 0; j < NV; ++j) S::store(crow[r] + j * VW, reg.vec(acc[r][j], crow[r] + j * VW, j0 + j * VW));
}

// The last columns of C, fewer than one vector: plain scalars.
template <index_t MR, class T, class R>
TYPENET_KERNEL void gemm_micro_cols(const gemm_args<T>& g, index_t rows, index_t i0, index_t j0, index_t cols, index_t k0, index_t kc,
                     gemm_init init, const R& reg) {
    constexpr index_t MAXC = simd<T>::width;
    const T* TYPENET_RESTRICT b = g.b + k0 * g.ldb + j0;
    for (index_t r = 0; r < rows; ++r) {
        const T* TYPENET_RESTRICT a = g.a + (i0 + r) * g.ars + k0 * g.acs;
        T* TYPENET_RESTRICT c = g.c + (i0 + r) * g.ldc + j0;
        T acc[MAXC];
        for (index_t j = 0; j < cols; ++j)
            acc[j] = init == gemm_init::accumulate ? c[j] : init == gemm_init::bias ? g.bias[j0 + j] : T(0);
        for (index_t k = 0; k < kc; ++k)
            for (index_t j = 0; j < cols; ++j) acc[j] = fmadd(a[k * g.acs], b[k * g.ldb + j], acc[j]);
        for (index_t j = 0; j < cols; ++j) c[j] = reg.scalar(acc[j], c + j, j0 + j);
    }
}

// One tile of `rows` (1..MR) rows and `cols` columns: NV vectors, one vector, or a scalar tail.
template <class T, class R>
void gemm_tile(const gemm_args<T>& g, index_t rows, index_t i0, index_t j0, index_t cols, index_t k0, index_t kc,
               gemm_init init, const R& act) {
    constexpr index_t NB = gemm_tiles::nv * simd<T>::width, VW = simd<T>::width, MR = gemm_tiles::mr;
    if (cols == NB) {
        // A single row (a batch-1 dense layer) gets its own kernel: six copies of it would cost
        // six times the multiply-adds (M1 batch 1: 151 us instead of 79).
        if (rows == 1) gemm_micro<1, gemm_tiles::nv>(g, rows, i0, j0, k0, kc, init, act);
        else gemm_micro<MR, gemm_tiles::nv>(g, rows, i0, j0, k0, kc, init, act);
    } else if (cols == VW) {
        if (rows == 1) gemm_micro<1, 1>(g, rows, i0, j0, k0, kc, init, act);
        else gemm_micro<MR, 1>(g, rows, i0, j0, k0, kc, init, act);
    } else {
        gemm_micro_cols<MR>(g, rows, i0, j0, cols, k0, kc, init, act);
    }
}

// C rows [m0, m1) x columns [n0, n1) of an (M x N) = (M x K) . (K x N) product. `init` says what C
// starts from; `act` -- a register epilogue (vec_act: relu, leaky_relu; or a fused epilogue,
// backend/cpu/epilogue.hpp) -- is applied in registers as the last K block is stored, and
// epi(row_pointer, count) runs on each finished piece of a row afterwards (other activations) --
// one row tile behind, since reading outputs right after their vector stores stalls on store
// forwarding. Threads call this on disjoint row or column ranges; every element's arithmetic is the
// same whatever the ranges and tiles (one FMA per k, in order), so results do not depend on the
// thread count.
template <class T, class R, class Epi>
void gemm(const gemm_args<T>& g, index_t m0, index_t m1, index_t n0, index_t n1, index_t K, gemm_init init,
          const R& act, Epi&& epi) {
    constexpr index_t NB = gemm_tiles::nv * simd<T>::width, VW = simd<T>::width, MR = gemm_tiles::mr;
    for (index_t k0 = 0; k0 == 0 || k0 < K; k0 += gemm_tiles::kc) {
        const index_t kc = std::min(gemm_tiles::kc, K - k0);
        const gemm_init step = k0 == 0 ? init : gemm_init::accumulate;
        const bool last = k0 + gemm_tiles::kc >= K;
        for (index_t j0 = n0; j0 < n1;) {
            const index_t cols = n1 - j0 >= NB ? NB : n1 - j0 >= VW ? VW : n1 - j0;
            index_t lag_i = m0, lag_rows = 0;
            for (index_t i0 = m0; i0 < m1; i0 += MR) {
                const index_t rows = std::min(MR, m1 - i0);
                // Earlier K blocks store plain partial sums; the last applies the epilogue.
                if (last) gemm_tile(g, rows, i0, j0, cols, k0, kc, step, act);
                else gemm_tile(g, rows, i0, j0, cols, k0, kc, step, vec_act<T>{});
                if (last) {
                    for (index_t r = 0; r < lag_rows; ++r) epi(g.c + (lag_i + r) * g.ldc + j0, cols);
                    lag_i = i0, lag_rows = rows;
                }
            }
            for (index_t r = 0; r < lag_rows; ++r) epi(g.c + (lag_i + r) * g.ldc + j0, cols);
            j0 += cols;
        }
    }
}

template <class T>
void gemm(const gemm_args<T>& g, index_t m0, index_t m1, index_t N, index_t K, gemm_init init) {
    gemm(g, m0, m1, 0, N, K, init, vec_act<T>{}, [](T*, index_t) {});
}

}  // namespace typenet::cpu_detail
