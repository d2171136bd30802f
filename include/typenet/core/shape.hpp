// shape: compile-time tensor shapes (shape<32, 32, 3>) and the plain constexpr arithmetic on them.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "config.hpp"

namespace typenet {

inline constexpr int max_rank = 6;

// A shape as a value: used by every constexpr computation (flatten, conv output, plans).
// Structural, so it can also travel as a template argument inside detail code.
struct dims {
    index_t e[max_rank] = {};
    int rank = 0;

    constexpr index_t operator[](int i) const { return e[i]; }
    constexpr index_t size() const {
        index_t s = 1;
        for (int i = 0; i < rank; ++i) s *= e[i];
        return s;
    }
    constexpr index_t back() const { return rank > 0 ? e[rank - 1] : 1; }
    friend constexpr bool operator==(const dims& a, const dims& b) {
        if (a.rank != b.rank) return false;
        for (int i = 0; i < a.rank; ++i)
            if (a.e[i] != b.e[i]) return false;
        return true;
    }
};

constexpr dims make_dims(std::initializer_list<index_t> l) {
    dims d;
    for (index_t v : l) d.e[d.rank++] = v;
    return d;
}

// The public shape type. Prints in compiler errors as `typenet::shape<32, 32, 3>`.
template <index_t... Ds>
struct shape {
    static constexpr int rank = sizeof...(Ds);
    static constexpr index_t size = (index_t{1} * ... * Ds);
    static constexpr dims value{{Ds...}, int(sizeof...(Ds))};
    static constexpr std::array<index_t, sizeof...(Ds)> extents{Ds...};

    static_assert(rank <= max_rank, "typenet::shape: at most 6 dimensions");
};

template <index_t... A, index_t... B>
constexpr bool operator==(shape<A...>, shape<B...>) {
    return shape<A...>::value == shape<B...>::value;
}

template <class T>
inline constexpr bool is_shape_v = false;
template <index_t... Ds>
inline constexpr bool is_shape_v<shape<Ds...>> = true;

namespace detail {
// dims value -> shape type. The extents travel as plain integers: g++ 12 crashes on class-type
// template arguments taken from members of constexpr tables, and integers print plainly anyway.
template <int R, index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents;
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<0, E0, E1, E2, E3, E4, E5> { using type = shape<>; };
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<1, E0, E1, E2, E3, E4, E5> { using type = shape<E0>; };
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<2, E0, E1, E2, E3, E4, E5> { using type = shape<E0, E1>; };
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<3, E0, E1, E2, E3, E4, E5> { using type = shape<E0, E1, E2>; };
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<4, E0, E1, E2, E3, E4, E5> { using type = shape<E0, E1, E2, E3>; };
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<5, E0, E1, E2, E3, E4, E5> { using type = shape<E0, E1, E2, E3, E4>; };
template <index_t E0, index_t E1, index_t E2, index_t E3, index_t E4, index_t E5>
struct shape_from_extents<6, E0, E1, E2, E3, E4, E5> { using type = shape<E0, E1, E2, E3, E4, E5>; };
}  // namespace detail

// The shape type of a constant dims expression (the only place values turn back into types).
#define TYPENET_SHAPE_OF(...)                                                                              \
    typename ::typenet::detail::shape_from_extents<(__VA_ARGS__).rank, (__VA_ARGS__).e[0], (__VA_ARGS__).e[1], \
                                                   (__VA_ARGS__).e[2], (__VA_ARGS__).e[3], (__VA_ARGS__).e[4],  \
                                                   (__VA_ARGS__).e[5]>::type

// ---- shape arithmetic: plain constexpr functions, tested with static_assert -------------------

enum class padding { valid, same };

// Output extent of a sliding window (conv or pool) over one axis, Keras/TensorFlow rules:
// valid -> floor((in - k) / s) + 1 (0 when the window does not fit); same -> ceil(in / s).
constexpr index_t window_output(index_t in, index_t k, index_t s, padding p) {
    if (s <= 0 || k <= 0 || in <= 0) return 0;
    if (p == padding::same) return (in + s - 1) / s;
    return in < k ? 0 : (in - k) / s + 1;
}

// TensorFlow's "same" padding split: the extra pixel goes after (bottom/right).
constexpr index_t pad_total(index_t in, index_t k, index_t s, padding p) {
    if (p == padding::valid) return 0;
    const index_t out = window_output(in, k, s, p);
    const index_t t = (out - 1) * s + k - in;
    return t > 0 ? t : 0;
}
constexpr index_t pad_before(index_t in, index_t k, index_t s, padding p) { return pad_total(in, k, s, p) / 2; }
constexpr index_t pad_after(index_t in, index_t k, index_t s, padding p) {
    return pad_total(in, k, s, p) - pad_before(in, k, s, p);
}

// Whether a strided window covers its (padded) input exactly, with nothing left over
// (the opt-in strict mode's check: W=10, F=3, S=2, P=0 leaves one column unused).
constexpr bool window_tiles_exactly(index_t in, index_t k, index_t s, padding p) {
    const index_t padded = in + pad_total(in, k, s, p);
    return padded >= k && (padded - k) % s == 0;
}

constexpr dims flatten_dims(dims d) { return make_dims({d.size()}); }

}  // namespace typenet
