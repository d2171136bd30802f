// tools/keras_to_typenet.py on real Keras files (tests/fixtures/keras_deploy, written by
// tools/make_keras_deploy_fixtures.py): each generated header's rom_model predicts Keras' outputs
// (1e-5 relative, 1e-6 absolute), model<net> loaded through set_weights agrees bit for bit, and the
// arrays carry Keras' names (deploy_check.hpp). The headers are generated in the build folder
// (generated/*.hpp). Three translation units, so that a parallel build compiles them side by side:
// this one (the CNN seed models), test_deploy_graph.cpp and test_deploy_seq.cpp.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "deploy_check.hpp"

#include <algorithm>
#include <iterator>
#include <type_traits>

#include "generated/m10.hpp"
#include "generated/m2.hpp"
#include "generated/m7.hpp"
#include "generated/m9.hpp"
#include "generated/m9_h5.hpp"

TEST_CASE("m2.keras (M2: conv, pooling, dense)") { deploy::check_model<m2::model>("m2", m2::weights, m2::keras_weights); }
TEST_CASE("m7.keras (M7: Dense(1), trained)") { deploy::check_model<m7::model>("m7", m7::weights, m7::keras_weights); }
TEST_CASE("m9.keras (M9: strided same convolutions)") {
    deploy::check_model<m9::model>("m9", m9::weights, m9::keras_weights);
}
TEST_CASE("m9.h5 (legacy HDF5 file): the same header as m9.keras") {
    static_assert(std::is_same_v<m9_h5::net, m9::net>);
    CHECK(std::equal(std::begin(m9::weights), std::end(m9::weights), std::begin(m9_h5::weights),
                     std::end(m9_h5::weights)));
    deploy::check_model<m9_h5::model>("m9", m9_h5::weights, m9_h5::keras_weights);
}
TEST_CASE("m10.keras (M10: BN, LeakyReLU, Dropout, Softmax)") {
    deploy::check_model<m10::model>("m10", m10::weights, m10::keras_weights);
}
