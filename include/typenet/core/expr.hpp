// expr: expression templates. `y = relu(x * s + broadcast_channels(b))` builds a tree of small
// nodes and evaluates it in one pass over memory, with no temporaries (Eigen's design: nodes check
// shapes at class scope, hold sub-expressions by value, functors carry the arithmetic, a separate
// evaluator runs the loop; the CUDA policy runs the same tree in one kernel).
//
// Pitfall (as in Eigen): an expression stored in `auto` refers to its tensors' memory; it must not
// outlive them. Call `.eval()` or assign it to a tensor to keep the result.
#pragma once

#include <concepts>
#include <type_traits>

#include "config.hpp"
#include "diagnostics.hpp"
#include "functors.hpp"
#include "shape.hpp"

namespace typenet {

// Marker for the per-sample shape of a node that has none (scalars, per-channel vectors).
struct no_shape {};
template <index_t C>
struct channels_of {};

// ---- the expression protocol --------------------------------------------------------------------
// A node E has: value_type, shape_type (per-sample shape, or no_shape / channels_of<C>),
// `index_t size() const` (total elements: samples * shape size; -1 when unsized), and
// `value_type operator[](index_t i) const` (TYPENET_HD).
struct expr_node {};  // base tag of every node

template <class E>
concept expression = std::is_base_of_v<expr_node, std::remove_cvref_t<E>>;

// Leaf: a run of n samples of shape S at p. Held by value (it is a pointer and a count), so a tree
// can be copied to a CUDA kernel as it is.
template <class T, class S>
struct leaf : expr_node {
    using value_type = std::remove_const_t<T>;
    using shape_type = S;
    const value_type* p;
    index_t n;
    TYPENET_HD index_t size() const { return n * S::size; }
    TYPENET_HD value_type operator[](index_t i) const { return p[i]; }
};

template <class T>
struct scalar_node : expr_node {
    using value_type = T;
    using shape_type = no_shape;
    T v;
    TYPENET_HD index_t size() const { return -1; }
    TYPENET_HD T operator[](index_t) const { return v; }
};

// A vector of C values repeated along the last axis of (..., C): per-channel bias, BN scale.
template <class T, index_t C>
struct channel_node : expr_node {
    using value_type = std::remove_const_t<T>;
    using shape_type = channels_of<C>;
    const value_type* p;
    TYPENET_HD index_t size() const { return -1; }
    TYPENET_HD value_type operator[](index_t i) const { return p[i % C]; }
};

namespace detail {
template <class A, class B>
struct combine_shapes;  // per-sample shape of a binary node; diagnoses mismatches
template <index_t... Ds>
struct combine_shapes<shape<Ds...>, no_shape> {
    using type = shape<Ds...>;
};
template <index_t... Ds>
struct combine_shapes<no_shape, shape<Ds...>> {
    using type = shape<Ds...>;
};
template <>
struct combine_shapes<no_shape, no_shape> {
    using type = no_shape;
};
template <index_t C>
struct combine_shapes<channels_of<C>, channels_of<C>> {
    using type = channels_of<C>;
};
template <index_t C>
struct combine_shapes<channels_of<C>, no_shape> {
    using type = channels_of<C>;
};
template <index_t C>
struct combine_shapes<no_shape, channels_of<C>> {
    using type = channels_of<C>;
};
template <index_t... Ds, index_t C>
struct combine_shapes<shape<Ds...>, channels_of<C>> {
    // broadcast_channels(v) needs as many values as the last axis has.
    static_assert(diag::check_v<shape<Ds...>::value.back() == C, diag::broadcast_channel_mismatch<shape<Ds...>, shape<C>>>);
    using type = shape<Ds...>;
};
template <index_t C, index_t... Ds>
struct combine_shapes<channels_of<C>, shape<Ds...>> : combine_shapes<shape<Ds...>, channels_of<C>> {};
template <index_t... A, index_t... B>
struct combine_shapes<shape<A...>, shape<B...>> {
    // Elementwise operands must have the same per-sample shape.
    static_assert(diag::check_v<std::is_same_v<shape<A...>, shape<B...>>, diag::operand_shape_mismatch<shape<A...>, shape<B...>>>);
    using type = shape<A...>;
};

TYPENET_HD inline index_t combine_sizes(index_t a, index_t b) { return a < 0 ? b : a; }
}  // namespace detail

template <class F, class E>
struct unary_node : expr_node {
    using value_type = typename E::value_type;
    using shape_type = typename E::shape_type;
    F f;
    E e;
    TYPENET_HD index_t size() const { return e.size(); }
    TYPENET_HD value_type operator[](index_t i) const { return f(e[i]); }
};

template <class F, class L, class R>
struct binary_node : expr_node {
    static_assert(std::is_same_v<typename L::value_type, typename R::value_type>,
                  "typenet: elementwise operands have different element types (float vs double?)");
    using value_type = typename L::value_type;
    using shape_type = typename detail::combine_shapes<typename L::shape_type, typename R::shape_type>::type;
    F f;
    L l;
    R r;
    TYPENET_HD index_t size() const { return detail::combine_sizes(l.size(), r.size()); }
    TYPENET_HD value_type operator[](index_t i) const { return f(l[i], r[i]); }
};

// Three operands, elementwise: ops::fma(a, b, c). Shapes combine pairwise, with the same rules.
template <class F, class A, class B, class C>
struct ternary_node : expr_node {
    static_assert(std::is_same_v<typename A::value_type, typename B::value_type> &&
                      std::is_same_v<typename A::value_type, typename C::value_type>,
                  "typenet: elementwise operands have different element types (float vs double?)");
    using value_type = typename A::value_type;
    using shape_type = typename detail::combine_shapes<
        typename detail::combine_shapes<typename A::shape_type, typename B::shape_type>::type, typename C::shape_type>::type;
    F f;
    A a;
    B b;
    C c;
    TYPENET_HD index_t size() const { return detail::combine_sizes(detail::combine_sizes(a.size(), b.size()), c.size()); }
    TYPENET_HD value_type operator[](index_t i) const { return f(a[i], b[i], c[i]); }
};

// ---- turning operands into nodes -----------------------------------------------------------------
// Tensors and views provide `as_leaf()`; arithmetic scalars become scalar_node of the other side's type.
template <class X>
concept leaf_convertible = requires(const X& x) { x.as_leaf(); };

template <class X>
concept operand = expression<X> || leaf_convertible<std::remove_cvref_t<X>>;

// Trees are built on the host (then copied to a kernel), so this is host-only.
template <class X>
constexpr auto as_node(const X& x) {
    if constexpr (expression<X>) return x;
    else return x.as_leaf();
}

template <class X>
using node_t = decltype(as_node(std::declval<const X&>()));

template <class V, class X>
constexpr auto as_node_like(const X& x) {  // scalar on one side of a binary op
    if constexpr (std::is_arithmetic_v<X>) return scalar_node<V>{{}, V(x)};
    else return as_node(x);
}

template <class F, class A, class B>
constexpr auto make_binary(const A& a, const B& b) {
    if constexpr (std::is_arithmetic_v<A>) {
        using V = typename node_t<B>::value_type;
        auto nb = as_node(b);
        return binary_node<F, scalar_node<V>, decltype(nb)>{{}, F{}, scalar_node<V>{{}, V(a)}, nb};
    } else if constexpr (std::is_arithmetic_v<B>) {
        using V = typename node_t<A>::value_type;
        auto na = as_node(a);
        return binary_node<F, decltype(na), scalar_node<V>>{{}, F{}, na, scalar_node<V>{{}, V(b)}};
    } else {
        auto na = as_node(a);
        auto nb = as_node(b);
        return binary_node<F, decltype(na), decltype(nb)>{{}, F{}, na, nb};
    }
}

template <class A, class B>
concept binary_operands = (operand<A> && operand<B>) || (operand<A> && std::is_arithmetic_v<B>) ||
                          (std::is_arithmetic_v<A> && operand<B>);

template <class A, class B>
    requires binary_operands<A, B>
constexpr auto operator+(const A& a, const B& b) { return make_binary<fn::plus>(a, b); }
template <class A, class B>
    requires binary_operands<A, B>
constexpr auto operator-(const A& a, const B& b) { return make_binary<fn::minus>(a, b); }
template <class A, class B>
    requires binary_operands<A, B>
constexpr auto operator*(const A& a, const B& b) { return make_binary<fn::multiplies>(a, b); }
template <class A, class B>
    requires binary_operands<A, B>
constexpr auto operator/(const A& a, const B& b) { return make_binary<fn::divides>(a, b); }
template <operand A>
constexpr auto operator-(const A& a) {
    auto na = as_node(a);
    return unary_node<fn::negate, decltype(na)>{{}, fn::negate{}, na};
}

// Unary functions and explicit-functor application live in typenet::ops, so they do not collide
// with the layer types of the same name (typenet::relu is a layer; ops::relu(x) an expression).
namespace ops {
template <class F, operand A>
constexpr auto apply(F f, const A& a) {
    auto na = as_node(a);
    return unary_node<F, decltype(na)>{{}, f, na};
}
template <class F, class A, class B>
    requires binary_operands<A, B>
constexpr auto apply(F, const A& a, const B& b) { return make_binary<F>(a, b); }

template <operand A> constexpr auto relu(const A& a) { return apply(fn::relu{}, a); }
template <operand A> constexpr auto leaky_relu(const A& a, double alpha = 0.3) { return apply(fn::leaky_relu{alpha}, a); }
template <operand A> constexpr auto sigmoid(const A& a) { return apply(fn::sigmoid{}, a); }
template <operand A> constexpr auto tanh(const A& a) { return apply(fn::tanh{}, a); }
template <operand A> constexpr auto exp(const A& a) { return apply(fn::exp{}, a); }
template <operand A> constexpr auto log(const A& a) { return apply(fn::log{}, a); }
template <operand A> constexpr auto sqrt(const A& a) { return apply(fn::sqrt{}, a); }
template <operand A> constexpr auto abs(const A& a) { return apply(fn::abs{}, a); }
template <operand A> constexpr auto square(const A& a) { return apply(fn::square{}, a); }
template <operand A> constexpr auto clamp(const A& a, double lo, double hi) { return apply(fn::clamp{lo, hi}, a); }
// a * b + c rounded once where the target has FMA (fn::multiply_add); operands are expressions
// or tensors (no bare scalars: wrap them in a tensor or use * and +).
template <operand A, operand B, operand C>
constexpr auto fma(const A& a, const B& b, const C& c) {
    auto na = as_node(a);
    auto nb = as_node(b);
    auto nc = as_node(c);
    return ternary_node<fn::multiply_add, decltype(na), decltype(nb), decltype(nc)>{{}, fn::multiply_add{}, na, nb, nc};
}
template <class A, class B> requires binary_operands<A, B>
constexpr auto max(const A& a, const B& b) { return make_binary<fn::maximum>(a, b); }
template <class A, class B> requires binary_operands<A, B>
constexpr auto min(const A& a, const B& b) { return make_binary<fn::minimum>(a, b); }
}  // namespace ops

// A per-channel vector (shape<C>) broadcast over the last axis of the other operand.
template <leaf_convertible V>
constexpr auto broadcast_channels(const V& v) {
    auto l = v.as_leaf();
    using L = decltype(l);
    static_assert(L::shape_type::rank == 1, "typenet: broadcast_channels takes a rank-1 tensor (one value per channel)");
    return channel_node<typename L::value_type, L::shape_type::size>{{}, l.p};
}

// ---- the evaluator: one loop, no temporaries -----------------------------------------------------
// dst may be one of e's leaves (same index in, same index out: an activation run in place).
template <class T, class E>
TYPENET_INLINE void evaluate_into(T* dst, index_t n, const E& e) {
    for (index_t i = 0; i < n; ++i) dst[i] = e[i];
}

}  // namespace typenet
