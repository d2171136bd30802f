// tokens<20> straight into an LSTM: token ids need an embedding to become vectors.
//
// expect: diag::token_input_needs_embedding<at_layer<0, dense<16>>, got<shape<20>>>
// first-error: static.assert.* failed.*typenet: a network that starts with tokens<len> needs an embedding
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::tokens<20>, tn::dense<16>, tn::dense<1, tn::sigmoid>>;
#else
using net = tn::sequential<tn::tokens<20>, tn::embedding<500, 16>, tn::global_average_pool1d, tn::dense<1, tn::sigmoid>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
