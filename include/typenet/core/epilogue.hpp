// epilogue: elementwise work a producing layer (dense, conv2d, a composite) does to its outputs as
// it stores them -- the layers after it that the composition fused into it at inference
// (model/chain.hpp: batch_norm, activations) and a residual block's add. It is a list of stage
// types plus one pointer per stage; a policy with fused kernels binds it to its stores
// (backend/cpu/epilogue.hpp turns it into one expression-template tree applied to every stored
// vector), any other policy runs the producer and then the stages in place (detail::apply_in_place).
#pragma once

#include <array>
#include <cstddef>

#include "config.hpp"

namespace typenet {

// Layer L (elementwise at inference) applied to an S-shaped input; its pointer is L's parameters.
template <class L, class S>
struct layer_stage {
    using layer = L;
    using input = S;
};
// + another tensor laid out like the output (a residual block's other branch); its pointer is that tensor.
struct add_stage {};

template <class T, class... Stages>
struct epilogue {
    static constexpr std::size_t size = sizeof...(Stages);
    std::array<const T*, sizeof...(Stages)> arg{};
};

// The stages of a, then those of b.
template <class T, class... A, class... B>
constexpr epilogue<T, A..., B...> operator+(const epilogue<T, A...>& a, const epilogue<T, B...>& b) {
    epilogue<T, A..., B...> r{};
    // (Guarded: with no stages `i < 0` is a comparison nvcc reports as pointless.)
    if constexpr (sizeof...(A) > 0)
        for (std::size_t i = 0; i < sizeof...(A); ++i) r.arg[i] = a.arg[i];
    if constexpr (sizeof...(B) > 0)
        for (std::size_t i = 0; i < sizeof...(B); ++i) r.arg[sizeof...(A) + i] = b.arg[i];
    return r;
}

}  // namespace typenet
