// typenet/embedded.hpp: the inference core -- every layer, sequential / composite networks,
// static_model and rom_model on the CPU kernels, one thread. No heap, no threads, no file I/O, no
// <iostream>, no zlib: it compiles bare-metal (arm-none-eabi, -fno-exceptions -fno-rtti) and is
// what the headers tools/keras_to_typenet.py writes include. <typenet/typenet.hpp> is all of it
// plus the hosted layers: model<Net, cpu> with threads, files (.npz, datasets), summary, training.
#pragma once

#include "core/argmax.hpp"
#include "core/config.hpp"
#include "core/diagnostics.hpp"
#include "core/expr.hpp"
#include "core/functors.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "layers/activation.hpp"
#include "layers/conv.hpp"
#include "layers/conv1d.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/layer.hpp"
#include "layers/norm.hpp"
#include "layers/pool.hpp"
#include "layers/recurrent.hpp"
#include "layers/reshape.hpp"
#include "model/chain.hpp"
#include "model/composite.hpp"
#include "model/sequential.hpp"
#include "model/static_model.hpp"
#include "backend/cpu/basic_policy.hpp"
