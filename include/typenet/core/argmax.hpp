// argmax: the index of a prediction's largest value -- its class. numpy's np.argmax(probs) for one
// sample and np.argmax(probs, axis=-1) for a batch (the class indices fit and evaluate take).
#pragma once

#include <cstdint>
#include <vector>

#include "config.hpp"
#include "tensor.hpp"

namespace typenet {

namespace detail {
// The first index of the largest of v[0..k) (ties: the first, as numpy).
template <class T>
index_t argmax(const T* v, index_t k) {
    index_t b = 0;
    for (index_t j = 1; j < k; ++j)
        if (v[j] > v[b]) b = j;
    return b;
}
}  // namespace detail

// One sample (m.predict(image)): the index of its largest value, counting its elements in
// row-major order.
template <class T, class S>
index_t argmax(const tensor<T, S>& y) {
    return detail::argmax(y.data(), S::size);
}
template <class T, class S>
index_t argmax(const heap_tensor<T, S>& y) {
    return detail::argmax(y.data(), S::size);
}

// Sample i of a batch or view (m.predict(images)).
template <class Tensor>
    requires requires(const Tensor& t) { t.samples(); t.data(); typename Tensor::shape_type; }
index_t argmax(const Tensor& y, index_t i) {
    TYPENET_ASSERT(i >= 0 && i < y.samples(), "typenet::argmax: sample index out of range");
    return detail::argmax(y.data() + i * Tensor::shape_type::size, Tensor::shape_type::size);
}

// Every sample of a batch or view: one class index per sample, as fit and evaluate take them.
template <class T, class S>
std::vector<std::int32_t> argmax(const batch<T, S>& y) {
    return argmax(y.view());
}
template <class T, class S>
std::vector<std::int32_t> argmax(tensor_view<T, S> y) {
    std::vector<std::int32_t> c(static_cast<std::size_t>(y.samples()));
    for (index_t i = 0; i < y.samples(); ++i) c[std::size_t(i)] = std::int32_t(detail::argmax(y.data() + i * S::size, S::size));
    return c;
}

}  // namespace typenet
