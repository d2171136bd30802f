// tools/keras_to_typenet.py --no-weights on model.to_json() of every seed model M1-M13
// (tests/fixtures/keras_deploy/arch). The headers' static_asserts compare typenet's parameter counts
// and every array's shape with what Keras' file implies; here, at compile time, each generated net
// has the parameter layout and shapes of the hand-written type in examples/seed_models.hpp (and is
// that very type where Keras' spelling is typenet's), and at run time its counts are Keras' own
// count_params() (counts.txt) and, where the types differ, it computes the same function.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "generated/arch_m1.hpp"
#include "generated/arch_m10.hpp"
#include "generated/arch_m11.hpp"
#include "generated/arch_m12.hpp"
#include "generated/arch_m13.hpp"
#include "generated/arch_m2.hpp"
#include "generated/arch_m3.hpp"
#include "generated/arch_m4.hpp"
#include "generated/arch_m5.hpp"
#include "generated/arch_m6.hpp"
#include "generated/arch_m7.hpp"
#include "generated/arch_m8.hpp"
#include "generated/arch_m9.hpp"
#include "generated/m2_noweights.hpp"
#include "seed_models.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>

namespace {
namespace tn = typenet;

// Same input and output shapes, and the same parameter arrays (name, shape, trainable) in the same order.
template <class A, class B>
constexpr bool same_layout() {
    if (!std::is_same_v<typename A::input_shape_t, typename B::input_shape_t>) return false;
    if (!std::is_same_v<typename A::output_shape_t, typename B::output_shape_t>) return false;
    if (A::token_input != B::token_input) return false;
    if (A::param_blocks.size() != B::param_blocks.size()) return false;
    for (std::size_t i = 0; i < A::param_blocks.size(); ++i) {
        const auto &a = A::param_blocks[i], &b = B::param_blocks[i];
        if (!(a.shape == b.shape) || a.trainable != b.trainable) return false;
        for (std::size_t c = 0;; ++c) {
            if (a.name[c] != b.name[c]) return false;
            if (a.name[c] == 0) break;
        }
    }
    return true;
}

static_assert(same_layout<arch_m1::net, seed::m1>());
static_assert(same_layout<arch_m2::net, seed::m2>());
static_assert(same_layout<arch_m3::net, seed::m3>());
static_assert(same_layout<arch_m4::net, seed::m4>());
static_assert(same_layout<arch_m5::net, seed::m5>());
static_assert(same_layout<arch_m6::net, seed::m6>());
static_assert(same_layout<arch_m7::net, seed::m7>());
static_assert(same_layout<arch_m8::net, seed::m8>());
static_assert(same_layout<arch_m9::net, seed::m9>());
static_assert(same_layout<arch_m10::net, seed::m10>());
static_assert(same_layout<arch_m11::net, seed::m11>());
static_assert(same_layout<arch_m12::net, seed::m12>());
static_assert(same_layout<arch_m13::net, seed::m13>());

// Where Keras' layers spell as the hand-written types do, the generated net is that very type.
static_assert(std::is_same_v<arch_m1::net, seed::m1>);
static_assert(std::is_same_v<arch_m2::net, seed::m2>);
static_assert(std::is_same_v<arch_m3::net, seed::m3>);
static_assert(std::is_same_v<arch_m4::net, seed::m4>);
static_assert(std::is_same_v<arch_m7::net, seed::m7>);
static_assert(std::is_same_v<arch_m8::net, seed::m8>);
static_assert(std::is_same_v<arch_m9::net, seed::m9>);
static_assert(std::is_same_v<arch_m10::net, seed::m10>);
static_assert(std::is_same_v<arch_m11::net, seed::m11>);
static_assert(std::is_same_v<arch_m12::net, seed::m12>);
static_assert(std::is_same_v<arch_m13::net, seed::m13>);
// --no-weights on the .keras file of M2 writes the same type as its architecture .json.
static_assert(std::is_same_v<m2_noweights::net, arch_m2::net>);

// counts.txt: "<name> <total> <trainable> <non_trainable>", Keras' count_params().
std::map<std::string, std::array<long long, 3>> keras_counts() {
    std::ifstream f(std::string(TYPENET_DEPLOY_FIXTURES) + "/counts.txt");
    REQUIRE(f.good());
    std::map<std::string, std::array<long long, 3>> m;
    std::string name;
    std::array<long long, 3> c{};
    while (f >> name >> c[0] >> c[1] >> c[2]) m[name] = c;
    return m;
}

template <class Net>
void check_counts(const std::map<std::string, std::array<long long, 3>>& counts, const std::string& name) {
    const auto it = counts.find(name);
    REQUIRE_MESSAGE(it != counts.end(), name);
    CHECK(Net::param_count == it->second[0]);
    CHECK(Net::trainable_count == it->second[1]);
    CHECK(Net::non_trainable_count == it->second[2]);
}

// The layer names typenet gives each parameter array are Keras' (the models use Keras' automatic names).
template <class Net, class KerasWeights, std::size_t K>
void check_names(const KerasWeights (&keras)[K]) {
    const auto names = tn::rom_model<Net>::layer_names();  // Keras-style names, one per summary row
    REQUIRE(Net::param_blocks.size() == K);
    for (std::size_t i = 0; i < K; ++i) CHECK(names[std::size_t(Net::param_blocks[i].row)] == keras[i].layer);
}

// A and B, given the same parameters, compute the same outputs (the types differ in spelling only).
template <class A, class B>
void check_same_function(std::uint64_t seed) {
    auto a = std::make_unique<tn::static_model<A>>();  // on the heap: M5's parameters are 85 MB
    auto b = std::make_unique<tn::static_model<B>>();
    a->initialize(seed);
    std::copy(a->parameters().begin(), a->parameters().end(), b->parameters().begin());
    tn::batch<float, typename A::input_shape_t> x(1);
    std::mt19937 rng{unsigned(seed)};
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (tn::index_t i = 0; i < x.samples() * A::input_shape_t::size; ++i) x.data()[i] = u(rng);
    const auto ya = a->predict(x);
    const auto yb = b->predict(x);
    for (tn::index_t i = 0; i < A::output_shape_t::size; ++i) CHECK(ya.data()[i] == yb.data()[i]);
}

}  // namespace

TEST_CASE("seed models M1-M13: typenet's counts are Keras' count_params()") {
    const auto c = keras_counts();
    check_counts<arch_m1::net>(c, "arch/m1");
    check_counts<arch_m2::net>(c, "arch/m2");
    check_counts<arch_m3::net>(c, "arch/m3");
    check_counts<arch_m4::net>(c, "arch/m4");
    check_counts<arch_m5::net>(c, "arch/m5");
    check_counts<arch_m6::net>(c, "arch/m6");
    check_counts<arch_m7::net>(c, "arch/m7");
    check_counts<arch_m8::net>(c, "arch/m8");
    check_counts<arch_m9::net>(c, "arch/m9");
    check_counts<arch_m10::net>(c, "arch/m10");
    check_counts<arch_m11::net>(c, "arch/m11");
    check_counts<arch_m12::net>(c, "arch/m12");
    check_counts<arch_m13::net>(c, "arch/m13");
    check_counts<m2_noweights::net>(c, "m2");
}

TEST_CASE("seed models: typenet names every parameter array as Keras does") {
    check_names<arch_m1::net>(arch_m1::keras_weights);
    check_names<arch_m2::net>(arch_m2::keras_weights);
    check_names<arch_m3::net>(arch_m3::keras_weights);
    check_names<arch_m4::net>(arch_m4::keras_weights);
    check_names<arch_m6::net>(arch_m6::keras_weights);
    check_names<arch_m7::net>(arch_m7::keras_weights);
    check_names<arch_m8::net>(arch_m8::keras_weights);
    check_names<arch_m9::net>(arch_m9::keras_weights);
    check_names<arch_m10::net>(arch_m10::keras_weights);
    check_names<arch_m11::net>(arch_m11::keras_weights);
    check_names<arch_m12::net>(arch_m12::keras_weights);
    check_names<arch_m13::net>(arch_m13::keras_weights);
    // M5's VGG16 base keeps keras.applications' names (block1_conv1, ...); typenet numbers its own.
    CHECK(std::string(arch_m5::keras_weights[0].layer) == "block1_conv1");
}

TEST_CASE("M5 and M6: the generated nets compute what the hand-written types compute") {
    static_assert(!std::is_same_v<arch_m5::net, seed::m5>);  // frozen<layers...> for frozen<path<layers...>>
    static_assert(!std::is_same_v<arch_m6::net, seed::m6>);  // the shortcut's `valid` left out: Keras' default
    check_same_function<arch_m6::net, seed::m6>(6);
    check_same_function<arch_m5::net, seed::m5>(5);
}
