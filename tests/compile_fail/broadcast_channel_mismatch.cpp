// A per-channel bias of 16 values broadcast over a tensor with 3 channels.
//
// expect: diag::broadcast_channel_mismatch<shape<8, 8, 3>, shape<16>>
// first-error: static.assert.* failed.*typenet: per-channel vector length differs from the last axis
// max-errors: 2  (the network itself is valid: only the diagnostic and the static_assert that echoes it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

int main() {
    tn::tensor<float, tn::shape<8, 8, 3>> x;
#ifdef TYPENET_FAIL
    tn::tensor<float, tn::shape<16>> bias;
#else
    tn::tensor<float, tn::shape<3>> bias;
#endif
    tn::tensor<float, tn::shape<8, 8, 3>> y;
    y = tn::ops::relu(x + tn::broadcast_channels(bias));
}
