// recurrent_cell: the arithmetic of one unit of a SimpleRNN / LSTM / GRU cell at one time step,
// shared by the CPU kernels (backend/cpu/recurrent.hpp) and the CUDA kernel (backend/cuda), so the
// device computes exactly what the CPU tests check. See layers/recurrent.hpp for the equations.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "../core/config.hpp"
#include "../core/functors.hpp"
#include "../layers/recurrent.hpp"

namespace typenet::detail {

// Where a step keeps, per sample, what training needs: the gates after their activations (k *
// units), h after the step, c after the step (LSTM), and in the last slot the GRU's recurrent
// projection of its candidate ((h . U + b')h) or the LSTM's act(c).
struct cell_save {
    index_t h, c, rec;
    TYPENET_HD constexpr cell_save(index_t units, index_t gate_width)
        : h(gate_width), c(gate_width + units), rec(gate_width + 2 * units) {}
    static constexpr index_t size(index_t units, index_t gate_width) { return gate_width + 3 * units; }
};

// Where a recurrent layer's arrays are, for every policy: its parameters (kernel (D, G),
// recurrent_kernel (U, G), bias) and its n * L::workspace elements of scratch (the input
// projections of every step, one step's h . recurrent_kernel, the state h and c, one step's gates).
template <class L, class In, class T>
struct recurrent_arrays {
    static constexpr index_t S = In::extents[0], D = In::extents[1], U = L::units, G = L::gate_width;
    const T* kernel;
    const T* recurrent;
    const T* bias;  // nullptr without one
    T *proj, *rec, *h, *c, *gates;
    recurrent_arrays(const T* params, T* ws, index_t n)
        : kernel(params), recurrent(params + D * G), bias(L::has_bias ? params + (D + U) * G : nullptr), proj(ws),
          rec(proj + n * S * G), h(rec + n * G), c(h + n * U), gates(c + n * U) {}
};

// Unit j of one sample: p the step's input projection x . W (k * units), rec h . U (nullptr: the
// zero initial state), bias the layer's (nullptr: none; the GRU's holds the input then the
// recurrent bias), h / c the state (updated at j), save what training keeps (nullptr: nothing).
template <cell_kind Cell, class T, class Act>
TYPENET_HD inline void recurrent_unit(const Act& act, index_t units, index_t j, const T* p, const T* rec, const T* bias,
                                      T* h, T* c, T* save) {
    const index_t U = units;
    const fn::sigmoid sig{};
    if constexpr (Cell == cell_kind::simple) {
        const T v = act(p[j] + (rec ? rec[j] : T(0)) + (bias ? bias[j] : T(0)));
        h[j] = v;
        if (save) save[j] = save[cell_save(U, U).h + j] = v;
    } else if constexpr (Cell == cell_kind::lstm) {
        T z[4];
        for (index_t g = 0; g < 4; ++g) {
            const index_t k = g * U + j;
            z[g] = p[k] + (rec ? rec[k] : T(0)) + (bias ? bias[k] : T(0));
        }
        const T i = sig(z[0]), f = sig(z[1]), g = act(z[2]), o = sig(z[3]);
        c[j] = f * c[j] + i * g;
        const T tc = act(c[j]);
        h[j] = o * tc;
        if (save) {  // the LSTM keeps act(c) in the rec slot
            const cell_save s(U, 4 * U);
            save[j] = i, save[U + j] = f, save[2 * U + j] = g, save[3 * U + j] = o;
            save[s.h + j] = h[j], save[s.c + j] = c[j], save[s.rec + j] = tc;
        }
    } else {  // GRU, reset_after
        const T* brec = bias ? bias + 3 * U : nullptr;
        T xs[3], hs[3];
        for (index_t g = 0; g < 3; ++g) {
            const index_t k = g * U + j;
            xs[g] = p[k] + (bias ? bias[k] : T(0));
            hs[g] = (rec ? rec[k] : T(0)) + (brec ? brec[k] : T(0));
        }
        const T z = sig(xs[0] + hs[0]), r = sig(xs[1] + hs[1]);
        const T hh = act(xs[2] + r * hs[2]);
        h[j] = z * h[j] + (T(1) - z) * hh;
        if (save) {
            const cell_save s(U, 3 * U);
            save[j] = z, save[U + j] = r, save[2 * U + j] = hh;
            save[s.h + j] = h[j], save[s.rec + j] = hs[2];
        }
    }
}

// An embedding id that is not an integer in [0, input_dim): TensorFlow's message, then stop (the
// forward pass has no way to return an error, and reading the row would be out of bounds).
[[noreturn]] inline void bad_token_id(index_t sample, index_t position, double value, index_t input_dim) {
    std::fprintf(stderr,
                 "typenet: embedding (the network's first layer): indices[%lld,%lld] = %.17g is not in [0, %lld)\n",
                 static_cast<long long>(sample), static_cast<long long>(position), value,
                 static_cast<long long>(input_dim));
    std::abort();
}

}  // namespace typenet::detail
