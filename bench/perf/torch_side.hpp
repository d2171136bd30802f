// bench/perf/torch_side.hpp: libtorch's part of typenet_perf (torch_side.cpp, built only when
// find_package(Torch) succeeds; TYPENET_PERF_HAVE_TORCH). The same architectures as the seed
// models with torch::nn modules, NCHW, loaded from Keras-layout weights:
//   conv kernel (kh, kw, in, out) -> Conv2d weight (out, in, kh, kw)
//   dense kernel (in, out)        -> Linear weight (out, in); after Flatten the inputs are
//                                    reordered from Keras' (h, w, c) to torch's (c, h, w)
//   batch norm gamma, beta, moving mean / variance -> weight, bias, running_mean / running_var
//   (eps 1e-3, momentum 0.01 = Keras' 0.99)
//   TensorFlow's "same" padding of the stride-2 convolutions (0 before, 1 after) -> ZeroPad2d
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace perf::torch_side {

std::string describe();  // version, MKLDNN, BLAS / parallel backend (from at::show_config)

std::vector<float> predict(model_id m, const weights& w, const float* x_nhwc, const input_dims& in, int n);

// Inference under torch::InferenceMode, eval(), at::set_num_threads(threads) (intra-op).
// blas_threads: OpenBLAS's own thread count (Debian's OpenBLAS runs its own pthreads beside
// libtorch's OpenMP ones; 0 = as many as `threads`).
stats infer(model_id m, const weights& w, const input_dims& in, int batch, int threads, const options& opt,
            int blas_threads = 0);

// Training step: autograd, cross_entropy on the logits (= Keras' sparse categorical
// cross-entropy on the softmax output), torch::optim::SGD(lr 0.01) or Adam(lr 1e-3, eps 1e-7).
// train_step (the check) gives Adam Keras' epsilon placement for its first step.
stats train(model_id m, const weights& w, const input_dims& in, bool adam, int batch, int threads, const options& opt,
            int blas_threads = 0);
step_result train_step(model_id m, bool adam, const weights& w, const float* x_nhwc, const input_dims& in,
                       const std::int32_t* labels, int n);

// A conv2d / dense layer alone (Conv2d or Linear + the layer's activation), one thread, NCHW:
// forward, and forward + backward (x and the parameters require gradients).
struct layer_timing {
    stats fwd, fwd_bwd;
    bool ok = false;
};
layer_timing layer(const layer_desc& d, int batch, bool first_layer, const options& opt);

}  // namespace perf::torch_side
