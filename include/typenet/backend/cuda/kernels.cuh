// cuda kernels: the device side of the CUDA policy. Deliberately simple and mirroring
// backend/cpu/kernels.hpp operation for operation (same tap order, same padding split, same
// folded batch-norm formula), so CPU-versus-GPU comparisons are tight.
//
//  * assign_kernel: ONE generic grid-stride kernel that evaluates any typenet expression tree
//    (core/expr.hpp) -- bias + activation epilogues, activation layers, residual adds and batch
//    normalisation all run through it, each as a single fused pass over memory.
//  * direct kernels for conv2d (one thread per output element), pool2d, global pools, and a
//    numerically stable row-wise softmax (one warp per row).
//
// Geometry (extents, strides, TensorFlow "same" padding) is computed on the host with the same
// constexpr functions the CPU policy uses (core/shape.hpp) and passed to the kernels as plain
// integers; kernels are templated only on the element type and the epilogue functor.
#pragma once

#include <cuda_runtime.h>

#include "../../core/config.hpp"
#include "../../core/expr.hpp"
#include "../../core/functors.hpp"
#include "../recurrent_cell.hpp"
#include "../../core/shape.hpp"
#include "check.cuh"

namespace typenet::cuda_detail {

inline constexpr int threads_per_block = 256;
inline constexpr index_t max_blocks = index_t(1) << 20;  // grid-stride loops cover the rest

// Blocks for a grid-stride loop over `count` items (count > 0).
inline unsigned blocks_for(index_t count) {
    const index_t b = (count + threads_per_block - 1) / threads_per_block;
    return unsigned(b < max_blocks ? b : max_blocks);
}

#define TYPENET_GRID_STRIDE_LOOP(i, count)                                                         \
    for (::typenet::index_t i = ::typenet::index_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (count); \
         i += ::typenet::index_t(blockDim.x) * gridDim.x)

// ---- the generic elementwise kernel ----------------------------------------------------------------
// y[i] = e[i] for i < n. E is any expression node: trivially copyable, leaves hold raw (device)
// pointers, every operator[] and functor is TYPENET_HD -- so the tree is passed by value as is.
template <class T, class E>
__global__ void assign_kernel(T* y, index_t n, E e) {
    TYPENET_GRID_STRIDE_LOOP(i, n) { y[i] = e[i]; }
}

template <class T, class E>
void launch_assign(cudaStream_t stream, T* y, index_t n, const E& e) {
    if (n <= 0) return;
    assign_kernel<T, E><<<blocks_for(n), threads_per_block, 0, stream>>>(y, n, e);
    TYPENET_CUDA_CHECK_LAUNCH();
}

// ---- batch normalisation (inference) as an expression node -------------------------------------------
// TensorFlow's folded form with the CPU's arithmetic (fn::batch_norm_fold, fn::multiply_add),
// channel c = i % C. The per-channel fold is recomputed per element from the parameters (device
// memory), which needs no scratch buffer.
template <class T, class S, index_t C>
struct batch_norm_node : expr_node {
    using value_type = T;
    using shape_type = S;
    const T* x;
    const T* gamma;  // params: gamma, beta, moving_mean, moving_variance, C each
    index_t n;
    T eps;
    TYPENET_HD index_t size() const { return n * S::size; }
    TYPENET_HD T operator[](index_t i) const {
        const index_t c = i % C;
        T scale, shift;
        fn::batch_norm_fold{}(gamma[c], gamma[C + c], gamma[2 * C + c], gamma[3 * C + c], eps, scale, shift);
        return fn::multiply_add{}(x[i], scale, shift);
    }
};

// Batch normalisation applied to an expression (a fused epilogue's stage): batch_norm_node's
// arithmetic -- the same fold, one multiply_add -- on e[i] instead of x[i], so fused and separate
// give the same bits. C: the channels (the innermost extent).
template <class T, index_t C, class E>
struct batch_norm_of : expr_node {
    using value_type = T;
    using shape_type = typename E::shape_type;
    E e;
    const T* gamma;  // params: gamma, beta, moving_mean, moving_variance, C each
    T eps;
    TYPENET_HD index_t size() const { return e.size(); }
    TYPENET_HD T operator[](index_t i) const {
        const index_t c = i % C;
        T scale, shift;
        fn::batch_norm_fold{}(gamma[c], gamma[C + c], gamma[2 * C + c], gamma[3 * C + c], eps, scale, shift);
        return fn::multiply_add{}(e[i], scale, shift);
    }
};

// ---- conv2d (direct) -------------------------------------------------------------------------------
// y (n, OH, OW, F) from x (n, H, W, C) and w (KH, KW, C, F) (HWIO, Keras); window origin
// (oy * SH - PT, ox * SW - PL), taps outside the input are padding (zero) and skipped.
struct conv_geometry {
    index_t H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL;
};

// One thread per output element (s, oy, ox, f): acc = bias, then taps in (ky, kx, c) order, as the CPU.
template <class T, bool HasBias, class Act>
__global__ void conv2d_kernel(const T* x, const T* w, const T* b,
                              T* y, index_t n, conv_geometry g, Act act) {
    const index_t total = n * g.OH * g.OW * g.F;
    TYPENET_GRID_STRIDE_LOOP(i, total) {
        const index_t f = i % g.F;
        index_t r = i / g.F;
        const index_t ox = r % g.OW;
        r /= g.OW;
        const index_t oy = r % g.OH;
        const index_t s = r / g.OH;
        const index_t iy0 = oy * g.SH - g.PT, ix0 = ox * g.SW - g.PL;
        T acc = HasBias ? b[f] : T(0);
        for (index_t ky = 0; ky < g.KH; ++ky) {
            const index_t iy = iy0 + ky;
            if (iy < 0 || iy >= g.H) continue;
            for (index_t kx = 0; kx < g.KW; ++kx) {
                const index_t ix = ix0 + kx;
                if (ix < 0 || ix >= g.W) continue;
                const T* xp = x + ((s * g.H + iy) * g.W + ix) * g.C;
                const T* wp = w + ((ky * g.KW + kx) * g.C) * g.F + f;
                for (index_t c = 0; c < g.C; ++c) acc += xp[c] * wp[c * g.F];
            }
        }
        y[i] = act(acc);
    }
}

// ---- pooling ---------------------------------------------------------------------------------------
// Max ignores padded cells; average divides by the number of real cells in the window (TensorFlow).
// Every window of a valid or "same" pooling holds at least one real cell, so max starts from one.
struct pool_geometry {
    index_t H, W, C, OH, OW, PH, PW, SH, SW, PT, PL;
};

template <class T, bool IsMax>
__global__ void pool2d_kernel(const T* x, T* y, index_t n, pool_geometry g) {
    const index_t total = n * g.OH * g.OW * g.C;
    TYPENET_GRID_STRIDE_LOOP(i, total) {
        const index_t c = i % g.C;
        index_t r = i / g.C;
        const index_t ox = r % g.OW;
        r /= g.OW;
        const index_t oy = r % g.OH;
        const index_t s = r / g.OH;
        const index_t iy0 = oy * g.SH - g.PT, ix0 = ox * g.SW - g.PL;
        const index_t y_lo = iy0 > 0 ? iy0 : 0, y_hi = iy0 + g.PH < g.H ? iy0 + g.PH : g.H;
        const index_t x_lo = ix0 > 0 ? ix0 : 0, x_hi = ix0 + g.PW < g.W ? ix0 + g.PW : g.W;
        const T* xs = x + s * g.H * g.W * g.C + c;
        T acc = IsMax ? xs[(y_lo * g.W + x_lo) * g.C] : T(0);
        for (index_t iy = y_lo; iy < y_hi; ++iy)
            for (index_t ix = x_lo; ix < x_hi; ++ix) {
                const T v = xs[(iy * g.W + ix) * g.C];
                if constexpr (IsMax) acc = v > acc ? v : acc;
                else acc += v;
            }
        if constexpr (IsMax) {
            y[i] = acc;
        } else {
            const T inv = T(1) / T((y_hi - y_lo) * (x_hi - x_lo));
            y[i] = acc * inv;
        }
    }
}

// Global pooling: one thread per (sample, channel), positions in order.
template <class T, bool IsMax>
__global__ void global_pool2d_kernel(const T* x, T* y, index_t n, index_t HW, index_t C) {
    TYPENET_GRID_STRIDE_LOOP(i, n * C) {
        const index_t c = i % C, s = i / C;
        const T* xs = x + s * HW * C + c;
        T acc = IsMax ? xs[0] : T(0);
        for (index_t p = IsMax ? 1 : 0; p < HW; ++p) {
            const T v = xs[p * C];
            if constexpr (IsMax) acc = v > acc ? v : acc;
            else acc += v;
        }
        if constexpr (IsMax) y[i] = acc;
        else y[i] = acc / T(HW);
    }
}

// ---- softmax over rows of `len` (numerically stable: subtract the row max) -----------------------------
// One warp per row: each lane takes every 32nd element, the row's max and sum are reduced with warp
// shuffles (a thread per row left 31 of 32 lanes idle and read each row three times serially).
// x and y may be the same array (each element is read before it is written, by the same lane).
inline constexpr int warp = 32;
template <class T>
__global__ void softmax_rows_kernel(const T* x, T* y, index_t rows, index_t len) {
    const index_t lane = threadIdx.x % warp, warps = blockDim.x / warp;
    for (index_t r = index_t(blockIdx.x) * warps + threadIdx.x / warp; r < rows; r += index_t(gridDim.x) * warps) {
        const T* v = x + r * len;
        T* o = y + r * len;
        T m = v[lane < len ? lane : 0];
        for (index_t i = lane + warp; i < len; i += warp) m = v[i] > m ? v[i] : m;
        for (int off = warp / 2; off > 0; off /= 2) {
            const T other = __shfl_xor_sync(0xffffffffu, m, off);
            m = other > m ? other : m;
        }
        T s = 0;
        for (index_t i = lane; i < len; i += warp) {
            const T e = fn::exp{}(v[i] - m);
            o[i] = e;
            s += e;
        }
        for (int off = warp / 2; off > 0; off /= 2) s += __shfl_xor_sync(0xffffffffu, s, off);
        const T inv = T(1) / s;
        for (index_t i = lane; i < len; i += warp) o[i] *= inv;
    }
}

template <class T>
void launch_softmax_rows(cudaStream_t stream, const T* x, T* y, index_t rows, index_t len) {
    if (rows <= 0 || len <= 0) return;
    constexpr index_t rows_per_block = threads_per_block / warp;
    const index_t blocks = (rows + rows_per_block - 1) / rows_per_block;
    softmax_rows_kernel<T><<<unsigned(blocks < max_blocks ? blocks : max_blocks), threads_per_block, 0, stream>>>(
        x, y, rows, len);
    TYPENET_CUDA_CHECK_LAUNCH();
}

// ---- sequence layers -------------------------------------------------------------------------------
// Embedding rows for n * len ids (as values of T). An id that is not an integer in [0, V) reads
// nothing: its row is zero and the lowest such flat position is kept in *bad (-1: none), which the
// policy reports on the host.
template <class T>
__global__ void embedding_kernel(const T* table, const T* ids, T* y, index_t count, index_t D, index_t V,
                                 unsigned long long* bad) {
    TYPENET_GRID_STRIDE_LOOP(i, count * D) {
        const index_t k = i / D;
        const T v = ids[k];
        if (!(v >= T(0) && v < T(V)) || T(index_t(v)) != v) {
            y[i] = T(0);
            atomicMin(bad, static_cast<unsigned long long>(k));
        } else {
            y[i] = table[index_t(v) * D + i % D];
        }
    }
}

// One time step of a recurrent layer for n samples, one thread per (sample, unit): the CPU's
// arithmetic (detail::recurrent_unit). proj: the step's input projections (sample stride ps).
template <cell_kind Cell, class T, class Act>
__global__ void recurrent_step_kernel(Act act, index_t U, index_t G, const T* proj, index_t ps, const T* rec,
                                      const T* bias, T* h, T* c, index_t n) {
    TYPENET_GRID_STRIDE_LOOP(i, n * U) {
        const index_t r = i / U, j = i % U;
        detail::recurrent_unit<Cell>(act, U, j, proj + r * ps, rec ? rec + r * G : nullptr, bias, h + r * U, c + r * U,
                                     static_cast<T*>(nullptr));
    }
}

// dst[(i * steps + t) * dst_width + offset + j] = src[(i * steps + t') * width + j], t' = t or
// steps - 1 - t (reverse): a step's h into a return_sequences output, or a bidirectional half.
template <class T>
__global__ void place_rows_kernel(const T* src, T* dst, index_t n, index_t steps, index_t width, index_t dst_width,
                                  index_t offset, bool reverse) {
    TYPENET_GRID_STRIDE_LOOP(i, n * steps * width) {
        const index_t j = i % width, t = (i / width) % steps, s = i / (width * steps);
        const index_t from = reverse ? steps - 1 - t : t;
        dst[(s * steps + t) * dst_width + offset + j] = src[(s * steps + from) * width + j];
    }
}

#undef TYPENET_GRID_STRIDE_LOOP

}  // namespace typenet::cuda_detail
