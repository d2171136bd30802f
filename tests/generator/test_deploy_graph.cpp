// Functional graphs and options away from Keras' defaults (see test_deploy.cpp).
#include "deploy_check.hpp"

#include "generated/opts.hpp"
#include "generated/res.hpp"
#include "generated/res2.hpp"

TEST_CASE("res.keras (a small M6: residual blocks, identity and 1x1 conv shortcuts)") {
    deploy::check_model<res::model>("res", res::weights, res::keras_weights);
}
TEST_CASE("res2.keras (Add([shortcut, main]), a frozen layer in a branch, a nested Sequential)") {
    deploy::check_model<res2::model>("res2", res2::weights, res2::keras_weights);
}
TEST_CASE("opts.keras (options away from the defaults; a frozen layer)") {
    deploy::check_model<opts::model>("opts", opts::weights, opts::keras_weights);
}
