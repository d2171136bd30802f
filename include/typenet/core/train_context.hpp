// train_context: what a training step tells every layer -- training or inference behaviour,
// whether parameter gradients are wanted, and the random stream (dropout).
#pragma once

#include <cstdint>
#include <random>

namespace typenet {

struct train_context {
    bool training = true;          // batch statistics in batch_norm, active dropout
    bool param_grads = true;       // false inside frozen sub-networks: only input gradients
    bool logits_grad = false;      // the loss already differentiated through this layer's softmax
    std::mt19937_64* rng = nullptr;

    // A uniform double in [0, 1) from 53 random bits (the same on every platform).
    double uniform() const { return double((*rng)() >> 11) * 0x1.0p-53; }
};

}  // namespace typenet
