// cudnn: the CUDA policy's convolutions through cuDNN (issue #10). Owning wrappers for cuDNN's
// descriptors and one plan per convolution shape and batch size: NHWC tensors (Keras' own layout,
// so activations need no transpose), the filter in cuDNN's NHWC form (F, KH, KW, C), the algorithm
// cuDNN's heuristics rank first among those that compute in plain fp32 FMA (CUDNN_FMA_MATH: no TF32
// rounding, so results stay within 1e-4 of the CPU; CUDNN_TENSOR_OP_MATH in the tensor-core mode,
// typenet::cuda_tf32) and the workspace it needs.
//
// TensorFlow's "same" padding puts the odd pixel bottom/right; cuDNN pads symmetrically. A
// symmetric pad is given to cuDNN; an asymmetric one is made explicit by copying the input into a
// zero-bordered buffer (pad_kernel) and convolving it without padding -- exact, and the copy is one
// pass over the layer's input.
#pragma once

#include <cstddef>
#include <utility>

#include <cuda_runtime.h>
#include <cudnn.h>

#include "../../core/config.hpp"
#include "check.cuh"
#include "kernels.cuh"

namespace typenet::cuda_detail {

// ---- descriptors -------------------------------------------------------------------------------------
template <class D, cudnnStatus_t (*Create)(D*), auto Destroy>
class cudnn_descriptor : public owned_handle<D, Destroy> {
public:
    cudnn_descriptor() : owned_handle<D, Destroy>(create()) {}

private:
    static D create() {
        D d = nullptr;
        TYPENET_CUDNN_CHECK(Create(&d));
        return d;
    }
};
using tensor_descriptor =
    cudnn_descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using filter_descriptor =
    cudnn_descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using convolution_descriptor = cudnn_descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                                                cudnnDestroyConvolutionDescriptor>;

// cuDNN's legacy descriptors take int extents.
inline int cudnn_int(index_t v, const char* what) {
    if (v < 0 || v > index_t(2147483647))
        report_failure("cuDNN", "extent out of range", "a convolution extent does not fit cuDNN's 32-bit int", 0, what,
                       __FILE__, __LINE__);
    return int(v);
}

// ---- one convolution's geometry as cuDNN sees it -------------------------------------------------------
// H, W: the input cuDNN reads (already padded when the padding is asymmetric); ph, pw: the
// symmetric padding cuDNN adds itself.
struct cudnn_conv_shape {
    index_t n, H, W, C, F, KH, KW, SH, SW, ph, pw, OH, OW;
    bool tf32 = false;  // tensor cores with TF32 rounding (typenet::cuda_tf32), else plain fp32 FMA
};

// One convolution, one batch size: descriptors, algorithm, workspace size.
class conv_plan {
public:
    conv_plan(cudnnHandle_t h, const cudnn_conv_shape& s) {
        TYPENET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_.get(), CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT,
                                                       cudnn_int(s.n, "conv batch"), cudnn_int(s.C, "conv channels"),
                                                       cudnn_int(s.H, "conv height"), cudnn_int(s.W, "conv width")));
        TYPENET_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC,
                                                       cudnn_int(s.F, "conv filters"), int(s.C), int(s.KH), int(s.KW)));
        TYPENET_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c_.get(), int(s.ph), int(s.pw), int(s.SH), int(s.SW), 1, 1,
                                                            CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
        TYPENET_CUDNN_CHECK(cudnnSetConvolutionMathType(c_.get(), s.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
        int on = 0, oc = 0, oh = 0, ow = 0;
        TYPENET_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(c_.get(), x_.get(), w_.get(), &on, &oc, &oh, &ow));
        if (on != int(s.n) || oc != int(s.F) || oh != int(s.OH) || ow != int(s.OW))
            report_failure("cuDNN", "output shape", "cuDNN computes another output shape than the layer's", 0,
                           "cudnnGetConvolution2dForwardOutputDim", __FILE__, __LINE__);
        TYPENET_CUDNN_CHECK(
            cudnnSetTensor4dDescriptor(y_.get(), CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, on, oc, oh, ow));

        // The heuristics' ranking (no trial runs: planning must not need scratch memory or time).
        // The first algorithm that is supported and deterministic, so repeated forwards agree.
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int found = 0;
        TYPENET_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, x_.get(), w_.get(), c_.get(), y_.get(),
                                                                   CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf));
        int pick = -1;
        for (int i = 0; i < found && pick < 0; ++i)
            if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC) pick = i;
        for (int i = 0; i < found && pick < 0; ++i)
            if (perf[i].status == CUDNN_STATUS_SUCCESS) pick = i;
        if (pick < 0)
            report_failure("cuDNN", "no algorithm", "cuDNN's heuristics offer no forward algorithm for this convolution",
                           0, "cudnnGetConvolutionForwardAlgorithm_v7", __FILE__, __LINE__);
        algo_ = perf[pick].algo;
        TYPENET_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, x_.get(), w_.get(), c_.get(), y_.get(), algo_,
                                                                    &workspace_));
    }

    std::size_t workspace_bytes() const { return workspace_; }
    cudnnConvolutionFwdAlgo_t algorithm() const { return algo_; }

    // y = conv(x, w) (NHWC, filter NHWC); workspace: workspace_bytes() bytes of device memory.
    void run(cudnnHandle_t h, const float* x, const float* w, float* y, void* workspace) const {
        const float one = 1.0f, zero = 0.0f;
        TYPENET_CUDNN_CHECK(cudnnConvolutionForward(h, &one, x_.get(), x, w_.get(), w, c_.get(), algo_, workspace,
                                                    workspace_, &zero, y_.get(), y));
    }

private:
    tensor_descriptor x_, y_;
    filter_descriptor w_;
    convolution_descriptor c_;
    cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    std::size_t workspace_ = 0;
};

// ---- the copies around a cuDNN convolution -------------------------------------------------------------
// Keras' kernel (KH, KW, C, F) to cuDNN's NHWC filter (F, KH, KW, C).
template <class T>
__global__ void filter_to_fhwc_kernel(const T* w, T* out, index_t KH, index_t KW, index_t C, index_t F) {
    const index_t total = KH * KW * C * F;
    for (index_t i = index_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += index_t(blockDim.x) * gridDim.x) {
        const index_t c = i % C, kx = (i / C) % KW, ky = (i / (C * KW)) % KH, f = i / (C * KW * KH);
        out[i] = w[((ky * KW + kx) * C + c) * F + f];
    }
}

// x (n, H, W, C) into the middle of xp (n, H + PT + PB, W + PL + PR, C), zeros around it.
template <class T>
__global__ void pad_kernel(const T* x, T* xp, index_t n, index_t H, index_t W, index_t C, index_t PT, index_t PL,
                           index_t HP, index_t WP) {
    const index_t total = n * HP * WP * C;
    for (index_t i = index_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += index_t(blockDim.x) * gridDim.x) {
        const index_t c = i % C, px = (i / C) % WP, py = (i / (C * WP)) % HP, s = i / (C * WP * HP);
        const index_t iy = py - PT, ix = px - PL;
        xp[i] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[((s * H + iy) * W + ix) * C + c] : T(0);
    }
}

}  // namespace typenet::cuda_detail
