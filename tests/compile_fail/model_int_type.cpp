// model<net, cpu, int>: models compute in float or double.
//
// expect: model<Net, Policy, T>: T must be float or double
// first-error: static.assert.* failed.*model<Net, Policy, T>: T must be float or double
// max-errors: 8  (the model's members are instantiated with int after it)
#include <typenet/typenet.hpp>
namespace tn = typenet;

using net = tn::sequential<tn::input<784>, tn::dense<10>>;

int main() {
#ifdef TYPENET_FAIL
    tn::model<net, tn::cpu, int> m;
#else
    tn::model<net, tn::cpu, double> m;
#endif
    (void)m;
}
