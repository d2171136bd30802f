// An embedding after another layer: only the first layer sees the token ids.
//
// expect: diag::embedding_needs_token_input<at_layer<1, embedding<100, 8>>, got<shape<20, 8>>>
// first-error: static.assert.* failed.*typenet: embedding reads token ids
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::tokens<20>, tn::embedding<100, 8>, tn::embedding<100, 8>, tn::gru<4>, tn::dense<1>>;
#else
using net = tn::sequential<tn::tokens<20>, tn::embedding<100, 8>, tn::gru<4>, tn::dense<1>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
