// bench/perf/typenet_side.hpp: typenet's part of typenet_perf (typenet_side.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace perf::tn_side {

// The CPU kernel set typenet runs here ("avx512", "avx2", "generic"; TYPENET_CPU_KERNELS lowers it).
const char* kernels();

input_dims input_of(model_id m);
int output_size(model_id m);
std::int64_t param_count(model_id m);
double flops_per_sample(model_id m);  // Net::flops

// Keras-order weight arrays from typenet's own initialiser (glorot kernels, seeded).
weights initial_weights(model_id m, std::uint64_t seed);

// Outputs (softmax probabilities) of n NHWC samples with the given weights.
std::vector<float> predict(model_id m, const weights& w, const float* x, int n);

// Inference: seconds per batch. One model on tn::cpu{threads} (the policy's own worker threads,
// splitting the batch's samples); or, data_parallel, `threads` models on tn::cpu{1} with the same
// weights, each on its own (pinned) thread over its share of the batch.
stats infer(model_id m, int batch, int threads, const options& opt, bool data_parallel = false);

// One train_on_batch step (sparse categorical cross-entropy; sgd{} or adam{} with Keras'
// defaults) on `batch` samples, tn::cpu{threads}: seconds per step. Cycles through 8 random batches.
stats train(model_id m, bool adam, int batch, int threads, const options& opt);

// Where a training step's time goes (one thread): train_forward alone, train_forward + backward,
// and the whole train_on_batch (so loss + optimizer update = whole - forward - backward).
struct train_split {
    stats forward, forward_backward, step;
};
train_split train_breakdown(model_id m, bool adam, int batch, const options& opt);

// One step on given weights and data (labels as class indices), for the cross-framework check.
step_result train_step(model_id m, bool adam, const weights& w, const float* x, const std::int32_t* labels, int n);

// Every layer of the model, timed alone at `batch` on one thread (tn::cpu{1}) (a one-layer sequential with the
// layer's exact input shape), and its backward pass (the cpu policy's backward kernel after its
// training-mode forward, with an input gradient unless the layer is the model's first).
struct layer_timing {
    layer_desc desc;
    stats fwd;
    stats bwd;
    double fwd_flops = 0;       // per batch, Net::flops (bias and activation included)
    double bwd_flops = 0;       // per batch: 2 * MACs for dW, + 2 * MACs for dx unless first layer
    bool bwd_has_dx = false;
};
std::vector<layer_timing> layers(model_id m, int batch, bool all_layers, const options& opt);

}  // namespace perf::tn_side
