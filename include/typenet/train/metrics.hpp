// metrics: Keras' accuracy in its three forms, chosen from the output as Keras does for
// metrics=["accuracy"]: binary (one output, threshold 0.5), sparse (class-index labels) or
// categorical (one-hot targets, argmax).
#pragma once

#include "../core/argmax.hpp"
#include "../core/config.hpp"

namespace typenet {

namespace metrics {
struct accuracy_t {
    static constexpr const char* name = "accuracy";
};
inline constexpr accuracy_t accuracy{};
struct none_t {};
inline constexpr none_t none{};
}  // namespace metrics

namespace detail {

// Number of correct predictions among n samples. sparse: t holds class indices.
template <class T>
index_t count_correct(const T* y, const T* t, index_t n, index_t k, bool sparse) {
    index_t c = 0;
    for (index_t r = 0; r < n; ++r) {
        const T* yr = y + r * k;
        if (k == 1) c += (yr[0] > T(0.5)) == (t[r] > T(0.5));
        else if (sparse) c += argmax(yr, k) == index_t(t[r]);
        else c += argmax(yr, k) == argmax(t + r * k, k);
    }
    return c;
}
}  // namespace detail
}  // namespace typenet
