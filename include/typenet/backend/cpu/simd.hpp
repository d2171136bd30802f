// simd: what the CPU micro-kernels share across instruction sets -- the activation they may apply
// to their accumulators in registers. The vectors themselves are per instruction set
// (backend/cpu/isa/simd.ipp, compiled once per set by backend/cpu/dispatch.hpp).
#pragma once

#include "../../core/config.hpp"
#include "../../core/functors.hpp"

namespace typenet::cpu_detail {

// An activation the micro-kernels apply to their accumulators in registers, before the store:
// relu and leaky_relu (a comparison and a select). Other activations run after the store.
// It is the simplest "register epilogue": what a micro-kernel applies to its accumulators on the
// way to memory (isa/epilogue.ipp binds it, and the fused epilogues, to each instruction set).
enum class store_act { none, relu, leaky };
template <class T>
struct vec_act {
    store_act kind = store_act::none;
    T alpha = 0;  // leaky_relu's slope
    // Exactly the scalar functors' arithmetic (fn::relu, fn::leaky_relu), NaN included.
    TYPENET_INLINE T operator()(T x) const {
        return kind == store_act::none ? x : x > T(0) ? x : kind == store_act::relu ? T(0) : alpha * x;
    }
};

}  // namespace typenet::cpu_detail
