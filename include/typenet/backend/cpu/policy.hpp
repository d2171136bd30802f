// cpu policy: where buffers live on the host and which kernel runs each layer category.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>

#include "../../core/expr.hpp"
#include "kernels.hpp"

namespace typenet {

// The host policy tag: model<Net, cpu>.
struct cpu {
    static constexpr bool host_memory = true;  // buffers are directly addressable by the host

    // An owning host buffer. Grows only when asked for more (so steady-state inference allocates nothing).
    template <class T>
    class buffer {
    public:
        buffer() = default;
        explicit buffer(index_t n) { resize(n); }
        void resize(index_t n) {
            if (n > cap_) {
                p_.reset(new T[std::size_t(n)]());
                cap_ = n;
            }
            n_ = n;
        }
        T* data() { return p_.get(); }
        const T* data() const { return p_.get(); }
        index_t size() const { return n_; }
        void upload(const T* host, index_t n, index_t at = 0) { std::copy(host, host + n, p_.get() + at); }
        void download(T* host, index_t n, index_t at = 0) const { std::copy(p_.get() + at, p_.get() + at + n, host); }

    private:
        std::unique_ptr<T[]> p_;
        index_t n_ = 0, cap_ = 0;
    };

    // Forward pass of one leaf layer: x (n, In) -> y (n, Out). ws: the layer's scratch (unused on CPU).
    template <class L, class In, class Out, class T>
    static void forward(const T* params, const T* x, T* y, index_t n, T* /*ws*/) {
        using cat = typename L::category;
        if constexpr (std::is_same_v<cat, dense_tag>) {
            cpu_detail::dense_forward<L, In, Out>(params, x, y, n);
        } else if constexpr (std::is_same_v<cat, conv2d_tag>) {
            cpu_detail::conv2d_forward<L, In, Out>(params, x, y, n);
        } else if constexpr (std::is_same_v<cat, pool2d_tag>) {
            cpu_detail::pool2d_forward<L, In, Out>(x, y, n);
        } else if constexpr (std::is_same_v<cat, global_pool2d_tag>) {
            cpu_detail::global_pool2d_forward<L, In>(x, y, n);
        } else if constexpr (std::is_same_v<cat, batch_norm_tag>) {
            cpu_detail::batch_norm_forward<L, In>(params, x, y, n);
        } else if constexpr (std::is_same_v<cat, activation_tag>) {
            assign(y, n * In::size, ops::apply(L::functor(), leaf<const T, In>{{}, x, n}));
        } else if constexpr (std::is_same_v<cat, softmax_tag>) {
            copy(y, x, n * In::size);
            cpu_detail::softmax_rows(y, n * In::size / In::value.back(), In::value.back());
        } else if constexpr (std::is_same_v<cat, reshape_tag> || std::is_same_v<cat, dropout_tag>) {
            copy(y, x, n * In::size);  // row-major: same bytes; dropout is the identity at inference
        } else {
            static_assert(sizeof(L) == 0, "typenet::cpu: no kernel for this layer category");
        }
    }

    template <class T>
    static void copy(T* y, const T* x, index_t count) {
        if (count > 0 && y != x) std::memmove(y, x, std::size_t(count) * sizeof(T));
    }
    template <class T>
    static void add(T* y, const T* x, index_t count) {  // y += x
        for (index_t i = 0; i < count; ++i) y[i] += x[i];
    }
    // Evaluate an expression tree into y in one loop.
    template <class T, class E>
    static void assign(T* y, index_t count, const E& e) {
        evaluate_into(y, count, e);
    }
};

}  // namespace typenet
