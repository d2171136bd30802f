// isa/epilogue.ipp: the register epilogues of one instruction set (included by isa/kernels.ipp) --
// what a micro-kernel applies to its accumulators on the way to memory. R::vec<S>(v, at, col) for a
// vector of S (the tier's vector type), R::scalar(x, at, col) for one value; `at` is where the value
// is stored and `col` its column (the filter or unit), which a fused epilogue needs to find its
// residual element and channel constants. bind_store turns what the policy passes (vec_act,
// layer_act, register_stages: plain data, the same for every instruction set) into one of these.

// Nothing: a partial sum, or a layer without activation.
template <class T>
struct plain_store {
    template <class S>
    TYPENET_INLINE typename S::type vec(typename S::type v, const T*, index_t) const {
        return v;
    }
    TYPENET_INLINE T scalar(T x, const T*, index_t) const { return x; }
};

// relu / leaky_relu chosen at run time (the shared GEMM kernels: one instantiation for every layer).
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
        return packet_eval<S>::at(build<0>(value_node<T, typename S::type>{{}, v}, off, col, W));
    }
    TYPENET_INLINE T scalar(T x, const T* at, index_t col) const {
        return packet_eval<simd1<T>>::at(build<0>(value_node<T, T>{{}, x}, at - y_, col, 1));
    }

private:
    // A vector that straddles the end of batch norm's constants: one lane at a time, out of line
    // (rare, and inlined into every store of a 24-accumulator kernel it made the kernel 150 KB).
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
template <class T, class... K>
register_epilogue<T, K...> bind_store(const register_stages<T, K...>& r) {
    return register_epilogue<T, K...>(r);
}
