// bidirectional<dense<8>>: Bidirectional wraps a recurrent layer.
//
// expect: bidirectional<layer>: the layer must be a simple_rnn, lstm or gru
// first-error: static.assert.* failed.*bidirectional<layer>: the layer must be a simple_rnn, lstm or gru
// max-errors: 4  (clang marks the rejected bidirectional invalid and then also reports not_a_layer for it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<10, 4>, tn::bidirectional<tn::dense<8>>, tn::dense<1>>;
#else
using net = tn::sequential<tn::input<10, 4>, tn::bidirectional<tn::gru<8>>, tn::dense<1>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
