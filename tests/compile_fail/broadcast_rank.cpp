// broadcast_channels(x) of an (H, W, C) tensor: it takes one value per channel, a rank-1 tensor.
//
// expect: broadcast_channels takes a rank-1 tensor .one value per channel.
// first-error: static.assert.* failed.*broadcast_channels takes a rank-1 tensor
// max-errors: 4
#include <typenet/typenet.hpp>
namespace tn = typenet;

int main() {
    tn::tensor<float, tn::shape<4, 4, 3>> x, y;
#ifdef TYPENET_FAIL
    tn::tensor<float, tn::shape<4, 4, 3>> bias;
#else
    tn::tensor<float, tn::shape<3>> bias;
#endif
    y = x + tn::broadcast_channels(bias);
}
