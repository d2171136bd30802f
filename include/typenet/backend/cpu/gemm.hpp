// gemm: the plain types of the CPU policy's matrix product, C = A . B (the kernels, per instruction
// set, are in isa/gemm.ipp).
#pragma once

#include "../../core/config.hpp"

namespace typenet::cpu_detail {

enum class gemm_init { zero, bias, accumulate };

template <class T>
struct gemm_args {
    const T* a;           // A(i, k) = a[i * ars + k * acs]
    index_t ars, acs;
    const T* b;           // B(k, j) = b[k * ldb + j]
    index_t ldb;
    T* c;                 // C(i, j) = c[i * ldc + j]
    index_t ldc;
    const T* bias;        // bias[j], with gemm_init::bias
};

// An epilogue on finished runs of output that does nothing.
struct noop_epilogue {
    template <class T>
    void operator()(T*, index_t) const {}
};

}  // namespace typenet::cpu_detail
