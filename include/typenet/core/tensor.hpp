// tensor: owning tensors (in the object, or on the heap), batches with a run-time sample count,
// and non-owning views -- all with a compile-time per-sample shape, all usable in expressions.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <type_traits>

#include "config.hpp"
#include "expr.hpp"
#include "shape.hpp"

namespace typenet {

template <class T, class S>
class tensor_view;

namespace detail {
// Shared by every tensor type: element access, expression assignment, leaf conversion.
// Derived provides data() and samples().
template <class Derived, class T, class S>
class tensor_base {
public:
    using value_type = T;
    using shape_type = S;
    static constexpr index_t sample_size = S::size;

    index_t size() const { return self().samples() * S::size; }

    // Element access through data(): a view of const elements yields const references.
    decltype(auto) operator[](index_t i) { return self().data()[i]; }
    const T& operator[](index_t i) const { return self().data()[i]; }

    // Row-major multi-index within sample 0 (or within the sample given by a view's offset).
    template <class... I>
        requires(sizeof...(I) == S::rank)
    decltype(auto) at(I... idx) {
        return self().data()[offset(index_t(idx)...)];
    }
    template <class... I>
        requires(sizeof...(I) == S::rank)
    const T& at(I... idx) const {
        return self().data()[offset(index_t(idx)...)];
    }

    leaf<const T, S> as_leaf() const { return {{}, self().data(), self().samples()}; }

    auto* begin() { return self().data(); }
    auto* end() { return self().data() + size(); }
    const T* begin() const { return self().data(); }
    const T* end() const { return self().data() + size(); }

    void fill(T v) { std::fill(begin(), end(), v); }

    auto view() { return tensor_view<std::remove_pointer_t<decltype(self().data())>, S>{self().data(), self().samples()}; }
    tensor_view<const T, S> view() const { return {self().data(), self().samples()}; }
    auto sample(index_t i) {
        TYPENET_ASSERT(i >= 0 && i < self().samples(), "typenet: sample index out of range");
        return tensor_view<std::remove_pointer_t<decltype(self().data())>, S>{self().data() + i * S::size, 1};
    }
    tensor_view<const T, S> sample(index_t i) const {
        TYPENET_ASSERT(i >= 0 && i < self().samples(), "typenet: sample index out of range");
        return {self().data() + i * S::size, 1};
    }

    // Samples [first, last) as a view, without copying: x.slice(0, 100) is numpy's x[:100] and
    // x.slice(-10) its x[-10:]. As in Python, a negative index counts from the end and bounds past
    // either end are clipped (x.slice(0, 100) of 60 samples has 60).
    auto slice(index_t first, index_t last = std::numeric_limits<index_t>::max()) {
        const auto [a, n] = slice_bounds(first, last);
        return tensor_view<std::remove_pointer_t<decltype(self().data())>, S>{self().data() + a * S::size, n};
    }
    tensor_view<const T, S> slice(index_t first, index_t last = std::numeric_limits<index_t>::max()) const {
        const auto [a, n] = slice_bounds(first, last);
        return {self().data() + a * S::size, n};
    }

protected:
    template <operand E>
    void assign(const E& e) {
        auto node = as_node(e);
        using N = decltype(node);
        using checked [[maybe_unused]] = typename detail::combine_shapes<S, typename N::shape_type>::type;
        TYPENET_ASSERT(node.size() < 0 || node.size() == size(),
                       "typenet: expression and destination hold different numbers of samples");
        evaluate_into(self().data(), size(), node);
    }

private:
    struct bounds {
        index_t first, count;
    };
    bounds slice_bounds(index_t first, index_t last) const {
        const index_t n = self().samples();
        const auto clip = [n](index_t i) { return i < 0 ? (i < -n ? 0 : i + n) : (i > n ? n : i); };
        const index_t a = clip(first), b = clip(last);
        return {a, b > a ? b - a : 0};
    }
    Derived& self() { return static_cast<Derived&>(*this); }
    const Derived& self() const { return static_cast<const Derived&>(*this); }
    static constexpr index_t offset(auto... idx) {
        constexpr auto ext = S::extents;
        index_t off = 0, k = 0;
        ((off = off * ext[std::size_t(k++)] + idx), ...);
        return off;
    }
};
}  // namespace detail

#define TYPENET_TENSOR_ASSIGNMENTS(Self)                                         \
    template <operand E>                                                         \
        requires(!std::is_same_v<std::remove_cvref_t<E>, Self>)                  \
    Self& operator=(const E& e) {                                                \
        this->assign(e);                                                         \
        return *this;                                                            \
    }                                                                            \
    template <class E> Self& operator+=(const E& e) { return *this = *this + e; } \
    template <class E> Self& operator-=(const E& e) { return *this = *this - e; } \
    template <class E> Self& operator*=(const E& e) { return *this = *this * e; } \
    template <class E> Self& operator/=(const E& e) { return *this = *this / e; }

// A view of n samples of shape S. Copying a view copies the pointer, never the data; assigning
// an expression to a view writes through it.
template <class T, class S>
class tensor_view : public detail::tensor_base<tensor_view<T, S>, std::remove_const_t<T>, S> {
public:
    using element_type = T;
    tensor_view() = default;
    tensor_view(T* data, index_t samples = 1) : data_(data), n_(samples) {
        TYPENET_ASSERT(samples >= 0, "typenet: negative sample count");
    }
    template <class U>
        requires(std::is_const_v<T> && std::is_same_v<const U, T>)
    tensor_view(const tensor_view<U, S>& v) : data_(v.data()), n_(v.samples()) {}
    tensor_view(const tensor_view&) = default;
    tensor_view& operator=(const tensor_view& v) {  // writes data, like every other assignment
        this->assign(v);
        return *this;
    }
    TYPENET_TENSOR_ASSIGNMENTS(tensor_view)

    T* data() const { return data_; }
    index_t samples() const { return n_; }

private:
    T* data_ = nullptr;
    index_t n_ = 0;
};

// One sample, stored inside the object: no heap, usable in constexpr-sized embedded builds.
template <class T, class S>
class tensor : public detail::tensor_base<tensor<T, S>, T, S> {
public:
    tensor() : v_{} {}
    tensor(std::initializer_list<T> values) : v_{} {
        TYPENET_ASSERT(index_t(values.size()) <= S::size, "typenet: too many values for this shape");
        std::copy(values.begin(), values.end(), v_.begin());
    }
    template <operand E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, tensor>)
    explicit tensor(const E& e) : v_{} {
        this->assign(e);
    }
    tensor(const tensor&) = default;
    tensor& operator=(const tensor&) = default;
    TYPENET_TENSOR_ASSIGNMENTS(tensor)

    T* data() { return v_.data(); }
    const T* data() const { return v_.data(); }
    static constexpr index_t samples() { return 1; }

private:
    std::array<T, std::size_t(S::size)> v_;
};

// One sample on the heap (a 138M-parameter kernel does not fit on a stack).
template <class T, class S>
class heap_tensor : public detail::tensor_base<heap_tensor<T, S>, T, S> {
public:
    heap_tensor() : p_(new T[std::size_t(S::size)]()) {}
    template <operand E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, heap_tensor>)
    explicit heap_tensor(const E& e) : heap_tensor() {
        this->assign(e);
    }
    heap_tensor(const heap_tensor& o) : heap_tensor() { std::copy(o.begin(), o.end(), p_.get()); }
    heap_tensor(heap_tensor&&) noexcept = default;
    heap_tensor& operator=(const heap_tensor& o) {
        std::copy(o.begin(), o.end(), p_.get());
        return *this;
    }
    heap_tensor& operator=(heap_tensor&&) noexcept = default;
    TYPENET_TENSOR_ASSIGNMENTS(heap_tensor)

    T* data() { return p_.get(); }
    const T* data() const { return p_.get(); }
    static constexpr index_t samples() { return 1; }

private:
    std::unique_ptr<T[]> p_;
};

// n samples of shape S on the heap; n is chosen at run time (0 allowed).
template <class T, class S>
class batch : public detail::tensor_base<batch<T, S>, T, S> {
public:
    batch() = default;
    explicit batch(index_t samples) : n_(samples), p_(samples > 0 ? new T[std::size_t(samples * S::size)]() : nullptr) {
        TYPENET_ASSERT(samples >= 0, "typenet: negative sample count");
    }
    template <operand E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, batch>)
    explicit batch(const E& e) : batch(samples_of(e)) {
        this->assign(e);
    }
    batch(const batch& o) : batch(o.n_) { std::copy(o.begin(), o.end(), p_.get()); }
    batch(batch&&) noexcept = default;
    batch& operator=(const batch& o) {
        if (this != &o) {
            batch tmp(o);
            *this = std::move(tmp);
        }
        return *this;
    }
    batch& operator=(batch&&) noexcept = default;
    TYPENET_TENSOR_ASSIGNMENTS(batch)

    T* data() { return p_.get(); }
    const T* data() const { return p_.get(); }
    index_t samples() const { return n_; }

private:
    template <class E>
    static index_t samples_of(const E& e) {
        const index_t s = as_node(e).size();
        return s < 0 ? 1 : s / S::size;
    }
    index_t n_ = 0;
    std::unique_ptr<T[]> p_;
};

#undef TYPENET_TENSOR_ASSIGNMENTS

// Evaluate an expression into a new batch (keeps a result beyond its operands' lifetime).
template <expression E>
auto eval(const E& e) {
    using S = typename E::shape_type;
    static_assert(is_shape_v<S>, "typenet: eval needs an expression with a shape (not only scalars)");
    return batch<typename E::value_type, S>(e);
}

}  // namespace typenet
