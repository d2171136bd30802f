// isa/recurrent.ipp: the cells of the recurrent layers in float, with sigmoid and tanh on whole
// vectors (their transcendentals were most of an LSTM step when computed one lane at a time with
// libm). No include guard: included once per instruction set by isa/kernels.ipp.
//
// exp is Cephes' expf (range reduction by ln 2 in two parts, a degree-5 polynomial; relative error
// below 2e-7 on [-87.3, 88.4], the input clamped to that range), tanh Cephes' tanhf (an odd
// polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) above), sigmoid 1 / (1 + e^-x). Every lane of a
// vector and the padded tail compute the same formula, so a unit's value does not depend on where it
// sits. double, and the generic instruction set, use the shared scalar cells (libm).

#if TYPENET_CPU_ISA_LEVEL >= 1
using vfloat = simd<float>;
typedef std::int32_t vint32 __attribute__((vector_size(sizeof(vfloat::type))));

TYPENET_INLINE vfloat::type vexp(vfloat::type x) {
    const vfloat::type hi = vfloat::splat(88.3762626647949f), lo = vfloat::splat(-87.3365447504019f);
    x = x > hi ? hi : x;
    x = x < lo ? lo : x;
    // k = round(x / ln 2): adding and subtracting 1.5 * 2^23 rounds to the nearest integer.
    const vfloat::type magic = vfloat::splat(12582912.0f);
    const vfloat::type k = (x * 1.44269504088896341f + magic) - magic;
    x = x - k * 0.693359375f;
    x = x - k * -2.12194440e-4f;
    const vfloat::type z = x * x;
    vfloat::type y = vfloat::splat(1.9875691500e-4f);
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    const vint32 bits = (__builtin_convertvector(k, vint32) + 127) << 23;  // 2^k
    return y * (vfloat::type)bits;  // a same-size vector cast: the bits as float
}
TYPENET_INLINE vfloat::type vsigmoid(vfloat::type x) { return 1.0f / (1.0f + vexp(-x)); }
TYPENET_INLINE vfloat::type vtanh(vfloat::type x) {
    const vfloat::type zero{};
    const vfloat::type ax = x < zero ? -x : x;
    const vfloat::type s = x * x;
    vfloat::type p = vfloat::splat(-5.70498872745e-3f);
    p = p * s + 2.06390887954e-2f;
    p = p * s - 5.37397155531e-2f;
    p = p * s + 1.33314422036e-1f;
    p = p * s - 3.33332819422e-1f;
    p = p * s * x + x;
    vfloat::type r = 1.0f - 2.0f / (vexp(ax + ax) + 1.0f);
    r = x < zero ? -r : r;
    return ax < 0.625f ? p : r;
}
#endif

// x[i] = Act(x[i]) for i < n, float.
template <class Act>
TYPENET_INLINE void activate_span(float* x, index_t n) {
#if TYPENET_CPU_ISA_LEVEL >= 1
    constexpr bool is_sigmoid = std::is_same_v<Act, sigmoid>, is_tanh = std::is_same_v<Act, typenet::tanh>;
    if constexpr (is_sigmoid || is_tanh) {
        constexpr index_t W = vfloat::width;
        index_t i = 0;
        for (; i + W <= n; i += W) {
            const vfloat::type v = vfloat::load(x + i);
            vfloat::store(x + i, is_sigmoid ? vsigmoid(v) : vtanh(v));
        }
        if (i < n) {  // the tail through one padded vector: the same formula for every unit
            float tmp[W] = {};
            for (index_t k = i; k < n; ++k) tmp[k - i] = x[k];
            const vfloat::type v = vfloat::load(tmp);
            vfloat::store(tmp, is_sigmoid ? vsigmoid(v) : vtanh(v));
            for (index_t k = i; k < n; ++k) x[k] = tmp[k - i];
        }
        return;
    }
#endif
    const auto f = Act::functor();
    for (index_t i = 0; i < n; ++i) x[i] = f(x[i]);
}

#if TYPENET_CPU_ISA_LEVEL >= 1
// out[i] = op(a[i], b[i], c[i], d[i]) for i < n on whole vectors; the tail through one padded
// vector, so every unit gets the same arithmetic wherever it sits (absent inputs read zeros).
// The ops are structs, not lambdas: see the top of isa/kernels.ipp.
template <class Op>
TYPENET_INLINE void spans(float* out, index_t n, Op op, const float* a, const float* b = nullptr,
                          const float* c = nullptr, const float* d = nullptr) {
    using S = vfloat;
    constexpr index_t W = S::width;
    const S::type zero{};
    index_t i = 0;
    for (; i + W <= n; i += W)
        S::store(out + i, op(a ? S::load(a + i) : zero, b ? S::load(b + i) : zero, c ? S::load(c + i) : zero,
                             d ? S::load(d + i) : zero));
    if (i < n) {
        float t[5][W] = {};
        const float* in[4] = {a, b, c, d};
        for (int k = 0; k < 4; ++k)
            if (in[k])
                for (index_t j = i; j < n; ++j) t[k][j - i] = in[k][j];
        S::store(t[4], op(S::load(t[0]), S::load(t[1]), S::load(t[2]), S::load(t[3])));
        for (index_t j = i; j < n; ++j) out[j] = t[4][j - i];
    }
}
struct span_sum {  // a + b + c
    TYPENET_INLINE vfloat::type operator()(vfloat::type a, vfloat::type b, vfloat::type c, vfloat::type) const {
        return a + b + c;
    }
};
struct span_lstm_c {  // f * c + i * g
    TYPENET_INLINE vfloat::type operator()(vfloat::type f, vfloat::type c, vfloat::type i, vfloat::type g) const {
        return f * c + i * g;
    }
};
struct span_mul {  // a * b
    TYPENET_INLINE vfloat::type operator()(vfloat::type a, vfloat::type b, vfloat::type, vfloat::type) const { return a * b; }
};
struct span_gru_candidate {  // xh + r * rh
    TYPENET_INLINE vfloat::type operator()(vfloat::type xh, vfloat::type r, vfloat::type rh, vfloat::type) const {
        return xh + r * rh;
    }
};
struct span_gru_h {  // z * h + (1 - z) * hh
    TYPENET_INLINE vfloat::type operator()(vfloat::type z, vfloat::type h, vfloat::type hh, vfloat::type) const {
        return z * h + (1.0f - z) * hh;
    }
};

// One step of a recurrent layer for `rows` samples in float (arguments as cpu_detail::
// recurrent_cells; z: rows * G scratch). The gates' inputs are summed, activated a span at a time,
// then combined, every pass on whole vectors. The LSTM keeps act(c) in the save's otherwise unused
// `rec` slot for backward; the GRU uses c (unused by its cell) for (h . U + b')h.
template <class L>
void recurrent_cells_float(const float* p, index_t ps, const float* rec, const float* bias, float* h, float* c, float* z,
                           float* save, index_t ss, index_t rows) {
    using Act = typename L::activation;
    constexpr index_t U = L::units, G = L::gate_width;
    using S = cpu_detail::cell_layout<L>;
    for (index_t r = 0; r < rows; ++r) {
        const float* pr = p + r * ps;
        const float* rr = rec ? rec + r * G : nullptr;
        float* zr = z + r * G;
        float* hr = h + r * U;
        float* cr = c + r * U;
        float* sv = save ? save + r * ss : nullptr;
        if constexpr (L::cell == cell_kind::simple) {
            spans(zr, G, span_sum{}, pr, rr, bias);
            activate_span<Act>(zr, U);
            std::copy(zr, zr + U, hr);
            if (sv) std::copy(zr, zr + U, sv + S::gates), std::copy(zr, zr + U, sv + S::h);
        } else if constexpr (L::cell == cell_kind::lstm) {
            spans(zr, G, span_sum{}, pr, rr, bias);
            activate_span<sigmoid>(zr, 2 * U);
            activate_span<Act>(zr + 2 * U, U);
            activate_span<sigmoid>(zr + 3 * U, U);
            spans(cr, U, span_lstm_c{}, zr + U, cr, zr, zr + 2 * U);
            std::copy(cr, cr + U, hr);
            activate_span<Act>(hr, U);
            if (sv) std::copy(hr, hr + U, sv + S::rec);  // act(c)
            spans(hr, U, span_mul{}, hr, zr + 3 * U);
            if (sv) std::copy(zr, zr + G, sv + S::gates), std::copy(hr, hr + U, sv + S::h), std::copy(cr, cr + U, sv + S::c);
        } else {  // GRU, reset_after: the bias is (input bias, recurrent bias)
            const float* brec = bias ? bias + G : nullptr;
            spans(zr, G, span_sum{}, pr, bias);
            spans(zr, 2 * U, span_sum{}, zr, rr, brec);
            activate_span<sigmoid>(zr, 2 * U);
            spans(cr, U, span_sum{}, rr ? rr + 2 * U : nullptr, brec ? brec + 2 * U : nullptr);
            spans(zr + 2 * U, U, span_gru_candidate{}, zr + 2 * U, zr + U, cr);
            activate_span<Act>(zr + 2 * U, U);
            spans(hr, U, span_gru_h{}, zr, hr, zr + 2 * U);
            if (sv) std::copy(zr, zr + G, sv + S::gates), std::copy(hr, hr + U, sv + S::h), std::copy(cr, cr + U, sv + S::rec);
        }
    }
}
#endif
