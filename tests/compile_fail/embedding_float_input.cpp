// An embedding after a float input<20>: embeddings read token ids, declared as tokens<20>.
//
// expect: diag::embedding_needs_token_input<at_layer<0, embedding<10000, 128>>, got<shape<20>>>
// first-error: static.assert.* failed.*typenet: embedding reads token ids
#include <typenet/typenet.hpp>
namespace tn = typenet;

#ifdef TYPENET_FAIL
using net = tn::sequential<tn::input<20>, tn::embedding<10000, 128>, tn::simple_rnn<64>, tn::dense<1, tn::sigmoid>>;
#else
using net = tn::sequential<tn::tokens<20>, tn::embedding<10000, 128>, tn::simple_rnn<64>, tn::dense<1, tn::sigmoid>>;
#endif

int main() {
    auto m = tn::make_model<net>();
    (void)m;
}
