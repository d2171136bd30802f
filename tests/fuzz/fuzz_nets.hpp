// The small networks the weight and training-state harnesses load into (make_seeds writes their
// seed files from the same types).
#pragma once

#include <typenet/typenet.hpp>

namespace fuzz {
namespace tn = typenet;
using weights_net = tn::sequential<tn::input<6, 6, 1>, tn::conv2d<2, 3, tn::relu>, tn::batch_norm<>, tn::flatten, tn::dense<3>>;
using state_net = tn::sequential<tn::input<4>, tn::dense<3, tn::relu>, tn::dense<2, tn::softmax>>;
}  // namespace fuzz
