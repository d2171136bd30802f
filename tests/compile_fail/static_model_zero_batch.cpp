// static_model<net, 0>: room for no sample at all.
//
// expect: static_model<Net, MaxBatch>: MaxBatch must be >= 1
// first-error: static.assert.* failed.*static_model<Net, MaxBatch>: MaxBatch must be >= 1
// max-errors: 8  (its storage is sized from MaxBatch after it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<784>, tn::dense<10>>;

int main() {
#ifdef TYPENET_FAIL
    tn::static_model<net, 0> m;
#else
    tn::static_model<net, 1> m;
#endif
    (void)m;
}
