// cpu recurrent: the elementwise work of SimpleRNN / LSTM / GRU cells at one time step, forward
// (the shared per-unit arithmetic of backend/recurrent_cell.hpp; float on vector instruction sets
// uses isa/recurrent.ipp instead) and backward. The GEMMs -- the input projection of every step at
// once, each step's h . recurrent_kernel, and the weight gradients and dx after the step loop -- run
// on the register-tiled dense kernels (backend/cpu/policy.hpp). Everything here is always inlined
// into the per-instruction-set entry points (isa/kernels.ipp), so it compiles for the set chosen at
// run time.
//
// Per step and sample a training pass keeps `save` (detail::cell_save): the gates after their
// activations (k * units), h and c after the step, and the LSTM's act(c) or the GRU's recurrent
// projection of its candidate, (h . U + b')h. See layers/recurrent.hpp for the equations.
#pragma once

#include <algorithm>
#include <type_traits>

#include "../../core/config.hpp"
#include "../../core/functors.hpp"
#include "../../layers/recurrent.hpp"
#include "../recurrent_cell.hpp"
#include "backward.hpp"

namespace typenet::cpu_detail {

template <class L>
struct cell_layout {
    static constexpr index_t U = L::units, G = L::gate_width;
    static constexpr index_t save = detail::cell_save::size(U, G);  // per step and sample
    static constexpr detail::cell_save at{U, G};
    static constexpr index_t gates = 0, h = at.h, c = at.c, rec = at.rec;
};

// One step for `rows` samples. p: the step's input projection x . W of each sample (stride ps);
// rec: h . U (rows, G), or nullptr for the zero initial state; bias: the layer's bias or nullptr;
// h, c: the state (rows, U), updated; save: what training keeps (stride ss), or nullptr.
template <class L, class T>
TYPENET_INLINE void recurrent_cells(const T* p, index_t ps, const T* rec, const T* bias, T* h, T* c, T* save,
                                    index_t ss, index_t rows) {
    constexpr index_t U = L::units, G = L::gate_width;
    const auto act = L::activation::functor();
    for (index_t r = 0; r < rows; ++r)
        for (index_t j = 0; j < U; ++j)
            detail::recurrent_unit<L::cell>(act, U, j, p + r * ps, rec ? rec + r * G : nullptr, bias, h + r * U,
                                            c + r * U, save ? save + r * ss : nullptr);
}

// One step back for `rows` samples. sv / prev: the step's and the previous step's saves (prev
// nullptr at the first step: zero state), stride ss. dh: dL/dh after the step (rows, U); dc: dL/dc
// after the step (LSTM), replaced by dL/dc before it. Writes the gradients of the gates' inputs:
// dgx (through x . W + b; row stride xs) and dgh (through h . U + b'; row stride hs; differs from
// dgx for the GRU's candidate only); dh is replaced by the part of dL/dh_prev that does not go
// through h . U (the GRU's z * h term; zero otherwise).
template <class L, class T>
TYPENET_INLINE void recurrent_cells_backward(const T* sv, const T* prev, index_t ss, T* dh, T* dc, T* dgx, index_t xs,
                                             T* dgh, index_t hs, index_t rows) {
    constexpr index_t U = L::units;
    using S = cell_layout<L>;
    const auto grad = L::activation::gradient();  // dy * f'(x), from y = f(x)
    for (index_t r = 0; r < rows; ++r) {
        const T* s = sv + r * ss;
        const T* q = prev ? prev + r * ss : nullptr;
        T* d = dh + r * U;
        T* gx = dgx + r * xs;
        T* gh = dgh + r * hs;
        if constexpr (L::cell == cell_kind::simple) {
            for (index_t j = 0; j < U; ++j) {
                gx[j] = gh[j] = grad(s[S::gates + j], d[j]);
                d[j] = 0;
            }
        } else if constexpr (L::cell == cell_kind::lstm) {
            T* dcr = dc + r * U;
            for (index_t j = 0; j < U; ++j) {
                const T i = s[S::gates + j], f = s[S::gates + U + j], g = s[S::gates + 2 * U + j];
                const T o = s[S::gates + 3 * U + j];
                const T cp = q ? q[S::c + j] : T(0);
                const T tc = s[S::rec + j];  // act(c), kept by the forward pass
                const T dct = dcr[j] + grad(tc, d[j] * o);
                const T di = dct * g, df = dct * cp, dg = dct * i, dout = d[j] * tc;
                gx[j] = gh[j] = di * i * (T(1) - i);
                gx[U + j] = gh[U + j] = df * f * (T(1) - f);
                gx[2 * U + j] = gh[2 * U + j] = grad(g, dg);
                gx[3 * U + j] = gh[3 * U + j] = dout * o * (T(1) - o);
                dcr[j] = dct * f;
                d[j] = 0;
            }
        } else {
            for (index_t j = 0; j < U; ++j) {
                const T z = s[S::gates + j], rg = s[S::gates + U + j], hh = s[S::gates + 2 * U + j];
                const T hp = q ? q[S::h + j] : T(0);
                const T dzh = grad(hh, d[j] * (T(1) - z));
                const T dz = d[j] * (hp - hh) * z * (T(1) - z);
                const T dr = dzh * s[S::rec + j] * rg * (T(1) - rg);
                gx[j] = gh[j] = dz;
                gx[U + j] = gh[U + j] = dr;
                gx[2 * U + j] = dzh;
                gh[2 * U + j] = dzh * rg;
                d[j] = d[j] * z;
            }
        }
    }
}

// dst (B, A) = src (A, B) transposed.
template <class T>
void transpose(const T* src, T* dst, index_t A, index_t B) {
    for (index_t i = 0; i < A; ++i)
        for (index_t j = 0; j < B; ++j) dst[j * A + i] = src[i * B + j];
}

// Rows of the embedding table for n samples of Len ids (sample numbers from `first`).
template <class L, index_t Len, class T>
void embedding_forward(const T* table, const T* ids, T* y, index_t n, index_t first) {
    constexpr index_t D = L::output_dim;
    for (index_t s = 0; s < n; ++s)
        for (index_t t = 0; t < Len; ++t) {
            const T v = ids[s * Len + t];
            // v == v rejects NaN; the range test comes before the conversion, which is then exact.
            if (!(v >= T(0) && v < T(L::input_dim)) || T(index_t(v)) != v)
                detail::bad_token_id(first + s, t, double(v), L::input_dim);
            const T* row = table + index_t(v) * D;
            std::copy(row, row + D, y + (s * Len + t) * D);
        }
}

}  // namespace typenet::cpu_detail
