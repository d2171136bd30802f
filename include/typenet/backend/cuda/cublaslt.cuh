// cublaslt: the CUDA policy's float dense layers through cuBLASLt (issue #10): one matmul whose
// epilogue adds the bias and applies relu (CUBLASLT_EPILOGUE_RELU_BIAS / BIAS / RELU), instead of a
// GEMM and a separate elementwise pass. One plan per dense layer type, input shape and batch size:
// the matmul descriptor (fp32 compute, or TF32 tensor cores in typenet::cuda_tf32), the column-major
// layouts of y^T (U, n) = w^T (U, K) . x^T (K, n), and the algorithm cuBLASLt's heuristics rank first
// for the context's workspace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include <cublasLt.h>
#include <cuda_runtime.h>

#include "../../core/config.hpp"
#include "check.cuh"

namespace typenet::cuda_detail {

using lt_matmul_desc = owned_handle<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using lt_layout = owned_handle<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using lt_preference = owned_handle<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

inline lt_layout make_lt_layout(int rows, int cols, int ld) {
    cublasLtMatrixLayout_t l = nullptr;
    TYPENET_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&l, CUDA_R_32F, std::uint64_t(rows), std::uint64_t(cols), ld));
    return lt_layout(l);
}

// One dense layer, one batch size.
class dense_plan {
public:
    // units U, batch n, inputs K; relu and bias: what the epilogue does; tf32: tensor cores.
    dense_plan(cublasLtHandle_t h, int U, int n, int K, bool relu, bool bias, bool tf32, std::size_t workspace)
        : a_(make_lt_layout(U, K, U)), b_(make_lt_layout(K, n, K)), c_(make_lt_layout(U, n, U)), bias_(bias) {
        cublasLtMatmulDesc_t d = nullptr;
        TYPENET_CUBLAS_CHECK(cublasLtMatmulDescCreate(&d, tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, CUDA_R_32F));
        desc_ = lt_matmul_desc(d);
        const cublasLtEpilogue_t epi = relu ? (bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU)
                                            : (bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT);
        TYPENET_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
        cublasLtMatmulPreference_t p = nullptr;
        TYPENET_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&p));
        const lt_preference pref(p);
        TYPENET_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(p, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                                  &workspace, sizeof workspace));
        // Weights, activations and outputs sit at any float offset of their buffers (one allocation
        // holds every layer's parameters; the arena every activation): only algorithms that work
        // with 4-byte alignment (the heuristics assume 256 otherwise, and such an algorithm would
        // refuse a less aligned pointer at run time).
        const std::uint32_t align = sizeof(float);
        for (const auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                                CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
            TYPENET_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(p, attr, &align, sizeof align));
        cublasLtMatmulHeuristicResult_t result{};
        int found = 0;
        TYPENET_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(h, d, a_.get(), b_.get(), c_.get(), c_.get(), p, 1, &result,
                                                            &found));
        if (found < 1)
            report_failure("cuBLASLt", "no algorithm", "cuBLASLt's heuristics offer no algorithm for this dense layer", 0,
                           "cublasLtMatmulAlgoGetHeuristic", __FILE__, __LINE__);
        algo_ = result.algo;
    }

    // y = w^T x (+ bias, relu) in the layouts above. The bias pointer is set on each call: layers of
    // one type and shape share the plan, not their parameters.
    void run(cublasLtHandle_t h, const float* w, const float* x, float* y, const float* bias, void* workspace,
             std::size_t workspace_bytes, cudaStream_t stream) const {
        if (bias_)
            TYPENET_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc_.get(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                                                                sizeof bias));
        const float one = 1.0f, zero = 0.0f;
        TYPENET_CUBLAS_CHECK(cublasLtMatmul(h, desc_.get(), &one, w, a_.get(), x, b_.get(), &zero, y, c_.get(), y,
                                            c_.get(), &algo_, workspace, workspace_bytes, stream));
    }

private:
    lt_matmul_desc desc_;
    lt_layout a_, b_, c_;
    bool bias_;
    cublasLtMatmulAlgo_t algo_{};
};

}  // namespace typenet::cuda_detail
