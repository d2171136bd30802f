// context: the explicit CUDA state a policy runs with -- one stream, and one cuBLAS and one cuDNN
// handle bound to it, on one device. No global switch and no singleton: every model<Net, cuda> owns a context, or
// borrows one the user made (typenet::cuda{ctx}) so several models share a stream.
//
// The handle and stream are created on first use (constructing a context, or a policy holding
// one, touches no driver), on the device given to the constructor, or the current device.
// Non-copyable; movable (a moved-from context is empty and creates fresh handles if used again).
#pragma once

#include <cstddef>
#include <utility>

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "check.cuh"

namespace typenet {

class cuda_context {
public:
    cuda_context() = default;
    explicit cuda_context(int device) : device_(device) {}
    ~cuda_context() { release(); }

    cuda_context(const cuda_context&) = delete;
    cuda_context& operator=(const cuda_context&) = delete;
    cuda_context(cuda_context&& o) noexcept
        : device_(o.device_),
          stream_(std::exchange(o.stream_, nullptr)),
          blas_(std::exchange(o.blas_, nullptr)),
          dnn_(std::exchange(o.dnn_, nullptr)),
          lt_(std::exchange(o.lt_, nullptr)),
          blas_workspace_(std::exchange(o.blas_workspace_, nullptr)) {}
    cuda_context& operator=(cuda_context&& o) noexcept {
        if (this != &o) {
            release();
            device_ = o.device_;
            stream_ = std::exchange(o.stream_, nullptr);
            blas_ = std::exchange(o.blas_, nullptr);
            dnn_ = std::exchange(o.dnn_, nullptr);
            lt_ = std::exchange(o.lt_, nullptr);
            blas_workspace_ = std::exchange(o.blas_workspace_, nullptr);
        }
        return *this;
    }

    // The stream every kernel, copy and GEMM of this context is issued on.
    cudaStream_t stream() {
        ensure();
        return stream_;
    }
    // The cuBLAS handle (already bound to stream()).
    cublasHandle_t cublas() {
        ensure();
        return blas_;
    }
    // The cuBLASLt handle (its calls take the stream), and the workspace cuBLAS and cuBLASLt share
    // (both run on stream(), one call after another).
    cublasLtHandle_t cublaslt() {
        ensure();
        return lt_;
    }
    void* blas_workspace() {
        ensure();
        return blas_workspace_;
    }
    static constexpr std::size_t blas_workspace_bytes = std::size_t(32) << 20;
    // The cuDNN handle (already bound to stream()).
    cudnnHandle_t cudnn() {
        ensure();
        return dnn_;
    }
    // The device this context runs on (-1: the current device when it was first used).
    int device() const { return device_; }
    // Make the calling thread's current device this context's device (a no-op for -1).
    void activate() const {
        if (device_ >= 0) TYPENET_CUDA_CHECK(cudaSetDevice(device_));
    }
    // Wait until all work issued on this context's stream has finished.
    void synchronize() {
        if (stream_) TYPENET_CUDA_CHECK(cudaStreamSynchronize(stream_));
    }

private:
    void ensure() {
        if (blas_) return;
        activate();
        // A blocking stream (ordered after work on the legacy default stream).
        TYPENET_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamDefault));
        TYPENET_CUBLAS_CHECK(cublasCreate(&blas_));
        TYPENET_CUBLAS_CHECK(cublasSetStream(blas_, stream_));
        // Plain FP32/FP64 arithmetic (no TF32 tensor-core rounding), so results match the CPU policy.
        TYPENET_CUBLAS_CHECK(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH));
        // cuBLAS' workspace, allocated once here, so a GEMM never allocates (CUDA graph capture
        // forbids it; 32 MiB is NVIDIA's recommendation for Hopper).
        TYPENET_CUDA_CHECK(cudaMalloc(&blas_workspace_, blas_workspace_bytes));
        TYPENET_CUBLAS_CHECK(cublasSetWorkspace(blas_, blas_workspace_, blas_workspace_bytes));
        TYPENET_CUBLAS_CHECK(cublasLtCreate(&lt_));
        TYPENET_CUDNN_CHECK(cudnnCreate(&dnn_));
        TYPENET_CUDNN_CHECK(cudnnSetStream(dnn_, stream_));
    }
    // Destructors never abort: at program exit the runtime may already be unloading.
    void release() noexcept {
        if (!blas_ && !stream_ && !dnn_) return;
        if (dnn_) (void)cudnnDestroy(dnn_);
        if (lt_) (void)cublasLtDestroy(lt_);
        lt_ = nullptr;
        if (blas_) (void)cublasDestroy(blas_);
        if (blas_workspace_) (void)cudaFree(blas_workspace_);
        blas_workspace_ = nullptr;
        if (stream_) (void)cudaStreamDestroy(stream_);
        blas_ = nullptr;
        dnn_ = nullptr;
        stream_ = nullptr;
        (void)cudaGetLastError();
    }

    int device_ = -1;
    cudaStream_t stream_ = nullptr;
    cublasHandle_t blas_ = nullptr;
    cudnnHandle_t dnn_ = nullptr;
    cublasLtHandle_t lt_ = nullptr;
    void* blas_workspace_ = nullptr;
};

}  // namespace typenet
