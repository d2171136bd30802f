// Sequence layers beyond what the Keras fixtures and the gradient law cover: the shapes and counts
// the compiler works out, token ids as int32 and as floats, an id out of range (TensorFlow's
// message, then a stop -- checked in a child process), fit on padded token sequences, the
// recurrent layers on one thread and on two, and the summary of a bidirectional model.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <typenet/io/text.hpp>
#include <typenet/typenet.hpp>

namespace tn = typenet;

namespace {

using text_net = tn::sequential<tn::tokens<20>, tn::embedding<10000, 16>, tn::lstm<8>, tn::dense<1, tn::sigmoid>>;
using seq_net = tn::sequential<tn::input<10, 4>, tn::conv1d<6, 3, tn::same>, tn::gru<5, tn::return_sequences<true>>,
                               tn::dense<7, tn::relu>, tn::bidirectional<tn::lstm<3, tn::return_sequences<true>>>,
                               tn::average_pool1d<2>, tn::global_max_pool1d, tn::dense<2, tn::softmax>>;

// Everything below is computed by the compiler.
static_assert(text_net::token_input && !seq_net::token_input);
// Composites after the embedding of a text network read numbers, not ids (they were checked as
// reading ids, and the network was invalid with no diagnostic: found by the Keras-file generator).
static_assert(tn::sequential<tn::tokens<20>, tn::embedding<50, 8>, tn::path<tn::dense<4>>>::valid);
static_assert(tn::sequential<tn::tokens<20>, tn::embedding<50, 8>, tn::frozen<tn::lstm<4>>, tn::dense<1>>::valid);
static_assert(tn::sequential<tn::tokens<20>, tn::embedding<50, 8>,
                             tn::residual<tn::path<tn::conv1d<8, 3, tn::same>>>, tn::relu>::valid);
static_assert(text_net::param_count == 10000 * 16 + 4 * (16 * 8 + 8 * 8 + 8) + 9);
static_assert(seq_net::layer_output_t<0>::value == tn::make_dims({10, 6}));
static_assert(seq_net::layer_output_t<1>::value == tn::make_dims({10, 5}));
static_assert(seq_net::layer_output_t<2>::value == tn::make_dims({10, 7}));  // dense on every step
static_assert(seq_net::layer_output_t<3>::value == tn::make_dims({10, 6}));  // both directions side by side
static_assert(seq_net::layer_output_t<4>::value == tn::make_dims({5, 6}));
static_assert(seq_net::output_shape == tn::shape<2>{});
// conv1d's kernel (k, in, filters); the GRU's bias (2, 3 * units).
static_assert(seq_net::param_blocks[0].shape == tn::make_dims({3, 4, 6}));
static_assert(seq_net::param_blocks[4].shape == tn::make_dims({2, 15}));
static_assert(seq_net::param_blocks[5].shape == tn::make_dims({5, 7}));  // dense's kernel: (last axis, units)
static_assert(seq_net::param_count == (3 * 4 * 6 + 6) + 3 * (6 * 5 + 5 * 5 + 2 * 5) + (5 * 7 + 7) +
                                          2 * 4 * (7 * 3 + 3 * 3 + 3) + (6 * 2 + 2));
// dense on a rank-3 input acts per pixel, as Keras' Dense.
static_assert(tn::sequential<tn::input<4, 5, 3>, tn::dense<2>>::output_shape == tn::shape<4, 5, 2>{});

tn::batch<std::int32_t, tn::shape<20>> some_ids(tn::index_t n) {
    tn::batch<std::int32_t, tn::shape<20>> ids(n);
    for (tn::index_t i = 0; i < ids.size(); ++i) ids.data()[i] = std::int32_t((i * 7919) % 10000);
    return ids;
}

// Runs predict on ids with one bad value in a child process; returns its stderr and whether it
// was stopped by abort().
std::pair<std::string, bool> predict_in_child(float bad, tn::index_t at) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::signal(SIGABRT, SIG_DFL);  // doctest's crash report would print a second test summary
        dup2(fds[1], 2);
        close(fds[0]);
        tn::model<text_net> m(tn::cpu{1});
        m.initialize(1);
        tn::batch<float, tn::shape<20>> x(3);
        for (tn::index_t i = 0; i < x.size(); ++i) x.data()[i] = float(i % 100);
        x.data()[at] = bad;
        (void)m.predict(x);
        _exit(0);  // not reached if the id is refused
    }
    close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t k; (k = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, std::size_t(k));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return {out, WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT};
}

}  // namespace

TEST_CASE("embedding: an id outside [0, input_dim) stops with TensorFlow's message, never a read out of bounds") {
    auto [out, aborted] = predict_in_child(10000.0f, 1 * 20 + 7);
    CHECK(aborted);
    CHECK(out.find("indices[1,7] = 10000 is not in [0, 10000)") != std::string::npos);
    std::tie(out, aborted) = predict_in_child(-1.0f, 0);
    CHECK(aborted);
    CHECK(out.find("indices[0,0] = -1 is not in [0, 10000)") != std::string::npos);
    std::tie(out, aborted) = predict_in_child(2.5f, 2 * 20 + 19);  // not an integer
    CHECK(aborted);
    CHECK(out.find("indices[2,19] = 2.5 is not in [0, 10000)") != std::string::npos);
    std::tie(out, aborted) = predict_in_child(9999.0f, 5);  // the last row is fine
    CHECK_FALSE(aborted);
    CHECK(out.empty());
}

TEST_CASE("token ids: int32 batches and tensors give the same outputs as their float values") {
    tn::model<text_net> m(3);
    const auto ids = some_ids(4);
    tn::batch<float, tn::shape<20>> xf(4);
    for (tn::index_t i = 0; i < xf.size(); ++i) xf.data()[i] = float(ids.data()[i]);
    const auto a = m.predict(ids);
    const auto b = m.predict(xf);
    for (tn::index_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
    tn::tensor<std::int32_t, tn::shape<20>> one;
    for (tn::index_t t = 0; t < 20; ++t) one[t] = ids.data()[t];
    CHECK(m.predict(one)[0] == b[0]);
    CHECK(m.predict(ids, 3)[3] == b[3]);  // batched predict(x, batch_size)
}

TEST_CASE("fit / evaluate on padded token sequences: the model learns a rule of the ids") {
    // Label 1 when the sequence holds the id 7: an LSTM learns it in a few epochs.
    std::vector<std::vector<std::int32_t>> seqs;
    std::vector<std::int32_t> labels;
    std::uint64_t s = 1;
    for (int i = 0; i < 256; ++i) {
        std::vector<std::int32_t> q;
        const int len = 3 + i % 9;
        for (int k = 0; k < len; ++k) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            q.push_back(std::int32_t(1 + (s >> 33) % 20));
        }
        labels.push_back(std::find(q.begin(), q.end(), 7) != q.end());
        seqs.push_back(q);
    }
    const auto x = tn::data::pad_sequences<20>(seqs);
    using net = tn::sequential<tn::tokens<20>, tn::embedding<21, 8>, tn::lstm<16>, tn::dense<1, tn::sigmoid>>;
    tn::model<net> m(2);
    m.compile(tn::adam{.learning_rate = 0.01}, tn::binary_crossentropy{}, tn::metrics::accuracy);
    const auto h = m.fit(x, labels, {.epochs = 15, .batch_size = 16, .validation = {x, labels}, .verbose = 0, .seed = 3});
    REQUIRE(h.error().ok());
    const auto e = m.evaluate(x, labels);
    MESSAGE("accuracy after 15 epochs: " << e.accuracy);
    CHECK(e.accuracy > 0.9);
}

TEST_CASE("recurrent layers: one thread and two give the same bits, inference and training") {
    tn::model<seq_net> a(tn::cpu{1}), b(tn::cpu{2});
    a.initialize(9);
    b.initialize(9);
    tn::batch<float, tn::shape<10, 4>> x(7);
    for (tn::index_t i = 0; i < x.size(); ++i) x.data()[i] = float((i * 37) % 23) / 11.0f - 1.0f;
    const auto ya = a.predict(x), yb = b.predict(x);
    for (tn::index_t i = 0; i < ya.size(); ++i) CHECK(ya[i] == yb[i]);
    std::vector<std::int32_t> labels{0, 1, 1, 0, 1, 0, 0};
    a.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
    b.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
    a.fit(x, labels, {.epochs = 3, .batch_size = 4, .verbose = 0, .seed = 1});
    b.fit(x, labels, {.epochs = 3, .batch_size = 4, .verbose = 0, .seed = 1});
    const auto wa = a.get_weights(), wb = b.get_weights();
    for (std::size_t k = 0; k < wa.size(); ++k) CHECK(wa[k].values == wb[k].values);
}

TEST_CASE("summary: a bidirectional model prints one row per wrapper, with both directions' parameters") {
    std::ostringstream s;
    tn::summary<seq_net>(s, "seq");
    const std::string t = s.str();
    CHECK(t.find("bidirectional (Bidirectional)") != std::string::npos);
    CHECK(t.find("(None, 10, 6)") != std::string::npos);
    CHECK(t.find("conv1d (Conv1D)") != std::string::npos);
    CHECK(t.find("global_max_pooling1d") != std::string::npos);  // the class wraps to the next line, as in Keras
    CHECK(t.find("Total params: " + tn::detail::with_commas(seq_net::param_count)) != std::string::npos);
}
