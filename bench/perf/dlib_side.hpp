// bench/perf/dlib_side.hpp: dlib's part of typenet_perf (dlib_side.cpp, built only when
// find_package(dlib) succeeds; TYPENET_PERF_HAVE_DLIB). dlib's DNN layers (con_, max_pool, fc,
// relu, softmax), NCHW, loaded from Keras-layout weights (conv (kh, kw, in, out) -> dlib filters
// (out, in, kh, kw); dense (in, out) is dlib's fc layout already, the first fc's inputs reordered
// from Keras' (h, w, c) to dlib's (k, r, c)). M10 is not expressible: dlib's con_ pads
// symmetrically, TensorFlow's stride-2 "same" pads 0 before and 1 after (and dlib has no
// zero-padding layer), so its outputs would differ.
#pragma once

#include <string>
#include <vector>

#include "common.hpp"

namespace perf::dlib_side {

std::string describe();
bool expressible(model_id m);
std::string why_not(model_id m);

std::vector<float> predict(model_id m, const weights& w, const float* x_nhwc, const input_dims& in, int n);

// threads > 1: one net copy per thread over its share of the batch (data-parallel, as typenet).
stats infer(model_id m, const weights& w, const input_dims& in, int batch, int threads, const options& opt);

}  // namespace perf::dlib_side
