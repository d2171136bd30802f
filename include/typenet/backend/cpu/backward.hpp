// cpu backward: training-mode forward passes (batch_norm with batch statistics, dropout with a
// mask) and the backward pass of every leaf layer but dense and conv2d (isa/backward.ipp). x: the layer's input, y: its output, dy: the
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
// The elementwise training kernels below are always inlined: the kernels of each instruction set
// call them (isa/kernels.ipp), so they compile (and vectorise) for that set, not for the baseline
// (M10's training step: leaky_relu and batch norm ran as SSE2 code in a user's build).
template <class Act, class T>
TYPENET_INLINE void activation_backward(const T* y, T* dy, index_t rows, index_t len, const train_context& ctx, bool last) {
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

// ---- dense and conv2d: the GEMM-shaped backward passes are per instruction set (isa/backward.ipp);
// here is the scratch they need, which the policy allocates.
// Dense: dz^T and dx^T.
template <class L, class In>
constexpr index_t dense_backward_scratch_elems(index_t n) {
    return (L::units + In::size) * n;
}

// Conv2d: the input as the dW pass reads it: x itself when no window leaves it, else a zero-padded copy.
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


// Conv2d dW: output pixels per pass (dz and x stay in cache), whatever the thread count.
inline constexpr index_t conv_dw_chunk = 512;

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
TYPENET_INLINE void batch_norm_train_forward(T* params, const T* x, T* y, index_t n, T* xhat, T* stats,
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
TYPENET_INLINE void batch_norm_backward(const T* params, T* grads, const T* dy, T* dx, index_t n, const T* xhat, const T* stats,
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
