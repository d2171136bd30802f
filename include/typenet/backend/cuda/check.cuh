// check: every CUDA runtime, cuBLAS and cuDNN call typenet makes goes through one of these macros.
// A failure prints the library, the error name and message, the call's text, file and line to
// stderr and then calls std::abort() (dlib's CHECK_CUDA, without exceptions: the library builds
// and behaves the same with -fno-exceptions). Inference on a GPU has no sensible partial-failure
// mode for a bad launch or an out-of-memory cudaMalloc, so aborting loudly is the policy.
//
// cuda_device_count() is the one non-aborting query: 0 when there is no device or no usable
// driver, so programs (and the tests) can decide to skip GPU work.
#pragma once

#include <cstdio>
#include <cstdlib>

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace typenet {
namespace cuda_detail {

[[noreturn]] inline void report_failure(const char* library, const char* name, const char* message, int code,
                                        const char* call, const char* file, int line) {
    std::fprintf(stderr, "typenet: %s call failed: %s (%d): %s\n    call: %s\n    at:   %s:%d\n", library,
                 name ? name : "?", code, message ? message : "?", call, file, line);
    std::fflush(stderr);
    std::abort();
}

inline const char* cublas_status_name(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "CUBLAS_STATUS_<unknown>";
    }
}

// Owns one handle of a CUDA library (a cuDNN descriptor, a cuBLASLt layout, a CUDA graph, ...):
// Destroy(handle) when it goes, never throwing or aborting (it may run at exit). Move-only.
template <class H, auto Destroy>
class owned_handle {
public:
    owned_handle() = default;
    explicit owned_handle(H h) : h_(h) {}
    ~owned_handle() { reset(); }
    owned_handle(const owned_handle&) = delete;
    owned_handle& operator=(const owned_handle&) = delete;
    owned_handle(owned_handle&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
    owned_handle& operator=(owned_handle&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = o.h_;
            o.h_ = nullptr;
        }
        return *this;
    }
    H get() const { return h_; }

private:
    void reset() noexcept {
        if (h_) (void)Destroy(h_);
        h_ = nullptr;
    }
    H h_ = nullptr;
};

}  // namespace cuda_detail

// Number of CUDA devices, or 0 when there is none or the driver is missing / too old
// (cudaErrorNoDevice, cudaErrorInsufficientDriver, ...). Never aborts; clears the error it caused.
inline int cuda_device_count() noexcept {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();  // reset the (non-sticky) error state
        return 0;
    }
    return n;
}

}  // namespace typenet

// ---- the checking macros -------------------------------------------------------------------------
// TYPENET_CUDA_CHECK(cudaMalloc(&p, bytes));   TYPENET_CUBLAS_CHECK(cublasCreate(&h));
// TYPENET_CUDNN_CHECK(cudnnCreate(&h));  (the cuDNN macro needs <cudnn.h> included and libcudnn
// linked by the caller; typenet itself makes no cuDNN calls, so it does not include it.)
#define TYPENET_CUDA_CHECK(call)                                                                             \
    do {                                                                                                     \
        const cudaError_t typenet_cuda_status_ = (call);                                                     \
        if (typenet_cuda_status_ != cudaSuccess)                                                             \
            ::typenet::cuda_detail::report_failure("CUDA", cudaGetErrorName(typenet_cuda_status_),           \
                                                   cudaGetErrorString(typenet_cuda_status_),                 \
                                                   int(typenet_cuda_status_), #call, __FILE__, __LINE__);    \
    } while (0)

#define TYPENET_CUBLAS_CHECK(call)                                                                           \
    do {                                                                                                     \
        const cublasStatus_t typenet_cublas_status_ = (call);                                                \
        if (typenet_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                                 \
            ::typenet::cuda_detail::report_failure("cuBLAS",                                                 \
                                                   ::typenet::cuda_detail::cublas_status_name(typenet_cublas_status_), \
                                                   cublasGetStatusString(typenet_cublas_status_),            \
                                                   int(typenet_cublas_status_), #call, __FILE__, __LINE__);  \
    } while (0)

#define TYPENET_CUDNN_CHECK(call)                                                                            \
    do {                                                                                                     \
        const cudnnStatus_t typenet_cudnn_status_ = (call);                                                  \
        if (typenet_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                                   \
            ::typenet::cuda_detail::report_failure("cuDNN", "cudnnStatus_t",                                 \
                                                   cudnnGetErrorString(typenet_cudnn_status_),               \
                                                   int(typenet_cudnn_status_), #call, __FILE__, __LINE__);   \
    } while (0)

// After a kernel launch: reports a bad launch configuration at once. With TYPENET_CUDA_SYNC_CHECKS
// defined it also waits for the kernel, so an error inside it is reported at its own launch site
// (slow; for debugging).
#if defined(TYPENET_CUDA_SYNC_CHECKS)
#define TYPENET_CUDA_CHECK_LAUNCH()                    \
    do {                                               \
        TYPENET_CUDA_CHECK(cudaGetLastError());        \
        TYPENET_CUDA_CHECK(cudaDeviceSynchronize());   \
    } while (0)
#else
#define TYPENET_CUDA_CHECK_LAUNCH() TYPENET_CUDA_CHECK(cudaGetLastError())
#endif
