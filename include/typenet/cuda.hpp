// typenet/cuda.hpp: the opt-in CUDA policy -- model<Net, typenet::cuda>. Include it (instead of,
// or after, <typenet/typenet.hpp>) from a translation unit compiled by nvcc; the umbrella header
// never includes CUDA. Link CUDA::cudart, CUDA::cublas, CUDA::cublasLt and cuDNN 9 (libcudnn: convolutions,
// backend/cuda/cudnn.cuh).
//
//   typenet::model<net, typenet::cuda> m;          // parameters in device memory
//   typenet::cuda::buffer<float> x(n * in), y(n * out);
//   x.upload(host_x, n * in);
//   m.forward(typenet::tensor_view<const float, net::input_shape_t>(x.data(), n),
//             typenet::tensor_view<float, net::output_shape_t>(y.data(), n));  // device pointers
//   y.download(host_y, n * out);
//
// nvcc flags: -std=c++20 is all it needs (no --expt-relaxed-constexpr: device code calls only
// TYPENET_HD functions and CUDA's own <cmath> overloads; geometry is computed on the host).
// Failures of CUDA / cuBLAS calls print the call, file and line and std::abort() (check.cuh):
// nothing throws, so it works with -fno-exceptions.
#pragma once

#if !defined(__CUDACC__)
#error "typenet/cuda.hpp must be compiled by nvcc (a .cu file, or -x cu): it defines CUDA kernels. For host-only builds include <typenet/typenet.hpp>."
#else

#include "typenet.hpp"

#include "backend/cuda/check.cuh"
#include "backend/cuda/context.cuh"
#include "backend/cuda/cublaslt.cuh"
#include "backend/cuda/cudnn.cuh"
#include "backend/cuda/kernels.cuh"
#include "backend/cuda/policy.cuh"

#endif
