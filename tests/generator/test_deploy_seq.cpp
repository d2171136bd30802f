// Text and sequence models (see test_deploy.cpp).
#include "deploy_check.hpp"

#include "generated/seq.hpp"
#include "generated/text.hpp"

TEST_CASE("text.keras (Embedding, Conv1D, MaxPooling1D, Bidirectional(LSTM), GRU)") {
    deploy::check_model<text::model>("text", text::weights, text::keras_weights);
}
TEST_CASE("seq.keras (strided Conv1D, Bidirectional(GRU), recurrent layers reading backwards)") {
    deploy::check_model<seq::model>("seq", seq::weights, seq::keras_weights, /*same_names=*/false);
}
