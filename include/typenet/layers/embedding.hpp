// embedding: Keras' Embedding -- token ids in, one learned vector per id out. The network's input
// is then tokens<len> (a sequence of ids, carried as exact integer values of the element type, as
// Keras casts them); only the first layer can be an embedding.
#pragma once

#include "layer.hpp"

namespace typenet {

struct embedding_tag {};

// embedding<10000, 128>: Keras' Embedding(input_dim=10000, output_dim=128); ids in [0, 10000).
// An id outside that range stops the run with a message naming the layer, the position and the
// id (TensorFlow's "indices[3,7] = 10000 is not in [0, 10000)"); it is never read out of bounds.
template <index_t InputDim, index_t OutputDim>
struct embedding : layer_base {
    using category = embedding_tag;
    static constexpr index_t input_dim = InputDim, output_dim = OutputDim;
    static constexpr const char* name = "embedding";
    static constexpr const char* keras_class = "Embedding";
    static constexpr int block_count = 1;
    static constexpr bool takes_token_ids = true;

    static constexpr verdict check(dims in, check_options = {}) {
        if (InputDim <= 0 || OutputDim <= 0 || in.rank != 1) return {problem::invalid_layer_argument};
        return {};
    }
    static constexpr dims output(dims in) { return make_dims({in[0], OutputDim}); }
    static constexpr void blocks(dims, param_block* out) {
        out[0] = {"embeddings", make_dims({InputDim, OutputDim}), true, 0, param_init::uniform_005};
    }
};

// The first element of a network whose input is a sequence of `Len` token ids (Keras'
// Input(shape=(len,), dtype="int32")), read by an embedding.
template <index_t Len>
struct tokens {
    using shape_type = shape<Len>;
    static_assert(Len > 0, "typenet::tokens<len>: the sequence length must be > 0");
    static constexpr bool valid = Len > 0;
};

}  // namespace typenet
