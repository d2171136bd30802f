// isa/epilogue.ipp: what a kernel applies to its outputs, for one instruction set (included by
// isa/kernels.ipp). Two places:
//  - in registers, as a micro-kernel stores its accumulators (a "store": act_store, the layer's
//    relu / leaky_relu or nothing, chosen at run time; layer_act_store, the same as a compile-time
//    constant for the row kernel). R::vec<S>(v, at, col) for a vector of S (the tier's vector type),
//    R::scalar(x, at, col) for one value.
//  - on each finished run of outputs, one tile behind (finish_run): an activation registers cannot
//    do (a functor from the policy), or the fused epilogue of a producer (register_stages: batch
//    norm, activations and a residual add, evaluated a vector at a time by register_epilogue).
// The fused epilogue is not a store so that the micro-kernels, the largest functions of a build, are
// instantiated once per tile whatever layers follow a producer (docs/compile-time.md).

// relu / leaky_relu or nothing, chosen at run time (the shared GEMM and implicit-GEMM kernels: one
// instantiation for every layer and for partial sums).
template <class T>
struct act_store {
    vec_act<T> act;
    template <class S>
    TYPENET_INLINE typename S::type vec(typename S::type v, const T*, index_t) const {
        return S::activate(v, act);
    }
    TYPENET_INLINE T scalar(T x, const T*, index_t) const { return act(x); }
};

// A layer's own activation as a compile-time constant (the row kernel: the stores then carry no
// branch on it, and g++ 12 keeps seeing its loop bounds).
template <class Act, class T>
struct layer_act_store {
    template <class S>
    TYPENET_INLINE typename S::type vec(typename S::type v, const T*, index_t) const {
        return S::activate(v, layer_act<Act, T>::act);
    }
    TYPENET_INLINE T scalar(T x, const T*, index_t) const { return layer_act<Act, T>::act(x); }
};

// An epilogue tree evaluated a vector (S::type) at a time: leaves are loaded from the addresses they
// were bound to, arithmetic nodes use the vector operations that give the scalar functors' exact
// results (one FMA for fn::multiply_add, max / blend for relu / leaky_relu), and any other functor
// (sigmoid, tanh, ...) runs lane by lane. With S = simd1<T> it evaluates one value, with the same
// rounding (the fmadd of this instruction set).
template <class S>
struct packet_eval {
    using V = typename S::type;
    template <class T>
    TYPENET_INLINE static V at(const value_node<T, V>& e) {
        return e.v;
    }
    template <class P, class Sh>
    TYPENET_INLINE static V at(const leaf<P, Sh>& e) {
        return S::load(e.p);
    }
    template <class F, class E>
    TYPENET_INLINE static V at(const unary_node<F, E>& e) {
        return unary(e.f, at(e.e));
    }
    template <class F, class A, class B>
    TYPENET_INLINE static V at(const binary_node<F, A, B>& e) {
        const V a = at(e.l), b = at(e.r);
        if constexpr (std::is_same_v<F, fn::plus>) return a + b;
        else if constexpr (std::is_same_v<F, fn::minus>) return a - b;
        else if constexpr (std::is_same_v<F, fn::multiplies>) return a * b;
        else {
            V r{};
            for (index_t l = 0; l < S::width; ++l) set_lane(r, l, e.f(lane(a, l), lane(b, l)));
            return r;
        }
    }
    template <class A, class B, class C>
    TYPENET_INLINE static V at(const ternary_node<fn::multiply_add, A, B, C>& e) {
        return S::fma(at(e.a), at(e.b), at(e.c));
    }

private:
    template <class F>
    TYPENET_INLINE static V unary(const F& f, V v) {
        using T = std::remove_cvref_t<decltype(lane(v, 0))>;
        if constexpr (std::is_same_v<F, fn::identity>) return v;
        else if constexpr (std::is_same_v<F, fn::relu>) return S::activate(v, vec_act<T>{store_act::relu, T(0)});
        else if constexpr (std::is_same_v<F, fn::leaky_relu>) return S::activate(v, vec_act<T>{store_act::leaky, T(f.alpha)});
        else {
            V r{};
            for (index_t l = 0; l < S::width; ++l) set_lane(r, l, f(lane(v, l)));
            return r;
        }
    }
    TYPENET_INLINE static auto lane(const V& v, index_t l) {
        if constexpr (S::width == 1) return (void)l, v;
        else return v[l];
    }
    template <class T>
    TYPENET_INLINE static void set_lane(V& v, index_t l, T x) {
        if constexpr (S::width == 1) (void)l, v = x;
        else v[l] = x;
    }
};

// The fused epilogue: one expression per stored vector, built from the bound stages
// (backend/cpu/epilogue.hpp) over the accumulators.
template <class T, class... K>
class register_epilogue {
public:
    explicit register_epilogue(const register_stages<T, K...>& r) : y_(r.y), st_(r.st) {
        // Whether any vector can straddle: batch norm over a flattened output whose length is not a
        // multiple of the widest vector (every narrower tier's width divides it), or not the row.
        std::apply([&](const auto&... v) { ((wrap_ = wrap_ || may_wrap(v)), ...); }, st_);
    }

    template <class S>
    TYPENET_INLINE typename S::type vec(typename S::type v, const T* at, index_t col) const {
        constexpr index_t W = S::width;
        const index_t off = at - y_;
        if constexpr (W > 1 && (std::is_same_v<K, affine_kind> || ...)) {
            // Batch norm over a flattened output whose length is not a multiple of the vector width
            // (or not the row width): a vector can straddle the end of its constants.
            if (wrap_ && straddles(off, col, W)) return by_lanes<S>(v, at, col);
        }
        return whole<S>(v, at, col);
    }
    // vec for an epilogue that cannot straddle (may_straddle() false): no check, and no call that
    // would keep a loop from holding the stages' constants in registers.
    template <class S>
    TYPENET_INLINE typename S::type whole(typename S::type v, const T* at, index_t col) const {
        return packet_eval<S>::at(build<0>(value_node<T, typename S::type>{{}, v}, at - y_, col, S::width));
    }
    bool may_straddle() const { return wrap_; }
    TYPENET_INLINE T scalar(T x, const T* at, index_t col) const {
        return packet_eval<simd1<T>>::at(build<0>(value_node<T, T>{{}, x}, at - y_, col, 1));
    }

private:
    // A vector that straddles the end of batch norm's constants: one lane at a time, out of line
    // (rare; inlined, it grew every function that evaluates the epilogue).
    template <class S>
    TYPENET_KERNEL typename S::type by_lanes(typename S::type v, const T* at, index_t col) const {
        typename S::type r{};
        for (index_t l = 0; l < S::width; ++l) r[l] = scalar(v[l], at + l, col + l);
        return r;
    }
    template <class View>
    static bool may_wrap(const View& v) {
        if constexpr (std::is_same_v<View, stage_view<T, affine_kind>>) return !v.by_col || v.C % simd<T>::width != 0;
        else return false;
    }
    bool straddles(index_t off, index_t col, index_t width) const {
        bool s = false;
        std::apply(
            [&](const auto&... v) {
                ((s = s || [&](const auto& x) {
                      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, stage_view<T, affine_kind>>)
                          return x.channel(off, col) > x.C - width;
                      else return false;
                  }(v)),
                 ...);
            },
            st_);
        return s;
    }
    template <std::size_t I, class E>
    TYPENET_INLINE auto build(const E& e, index_t off, index_t col, index_t len) const {
        if constexpr (I == sizeof...(K)) return e;
        else return build<I + 1>(std::get<I>(st_).apply(e, off, col, len), off, col, len);
    }

    const T* y_;
    std::tuple<stage_view<T, K>...> st_;
    bool wrap_ = false;
};

template <class T>
act_store<T> bind_store(const vec_act<T>& a) {
    return {a};
}
template <class Act, class T>
layer_act_store<Act, T> bind_store(const layer_act<Act, T>&) {
    return {};
}

// The epilogue of a finished run of `count` outputs at p: a functor from the policy (an activation
// registers cannot do, or nothing) ...
template <class Epi, class T>
TYPENET_INLINE void finish_run(const Epi& epi, T* p, index_t count) {
    epi(p, count);
}
// ... or a producer's fused epilogue, a vector at a time while the run is in L1. A run lies within
// one row of the output or spans whole rows; vectors never cross a row's end (a value's column is
// its offset modulo the row width), as the micro-kernels' stores did not.
template <class T, class... K>
TYPENET_KERNEL void finish_run(const register_stages<T, K...>& r, T* p, index_t count) {
    using S = simd<T>;
    constexpr index_t W = S::width;
    const register_epilogue<T, K...> e(r);
    const bool straddle = e.may_straddle();
    index_t col = (p - r.y) % r.width;
    for (index_t i = 0; i < count;) {
        const index_t left = std::min(count - i, r.width - col);  // to the end of the run or the row
        T* q = p + i;
        index_t j = 0;
        if constexpr (W > 1) {
            if (!straddle)
                for (; j + W <= left; j += W) S::store_values(q + j, e.template whole<S>(S::load(q + j), q + j, col + j));
            else
                for (; j + W <= left; j += W) S::store_values(q + j, e.template vec<S>(S::load(q + j), q + j, col + j));
        }
        for (; j < left; ++j) q[j] = e.scalar(q[j], q + j, col + j);
        i += left;
        col = 0;
    }
}
