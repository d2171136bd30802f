// fit / evaluate / callbacks / training state: the Keras workflow's contracts -- learning works,
// same seed gives bit-identical histories, a resumed run continues exactly as an uninterrupted one,
// callbacks change the learning rate, stop, checkpoint (atomically) and restore weights.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "temp_files.hpp"
#include <typenet/typenet.hpp>

namespace tn = typenet;
namespace fs = std::filesystem;

namespace {
using net = tn::sequential<tn::input<4, 4, 1>, tn::conv2d<4, tn::kernel<3>, tn::same, tn::relu>, tn::batch_norm<>,
                           tn::flatten, tn::dense<8, tn::relu>, tn::dropout<1, 4>, tn::dense<3, tn::softmax>>;

// A learnable toy problem: the class is which third of the image is brightest.
struct toy_data {
    tn::batch<float, tn::shape<4, 4, 1>> x;
    std::vector<std::int32_t> y;
    explicit toy_data(tn::index_t n, std::uint64_t seed) : x(n), y(std::size_t(n)) {
        std::mt19937_64 g(seed);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (tn::index_t i = 0; i < n; ++i) {
            const int c = int(g() % 3);
            y[std::size_t(i)] = c;
            for (int p = 0; p < 16; ++p) x[i * 16 + p] = float(u(g) * 0.5 + ((p % 4) * 3 / 4 == c ? 0.5 : 0.0));
        }
    }
};

fs::path temp(const std::string& name) {
    return typenet_test::process_temp_file("typenet_test_fit", name);
}

std::vector<double> series(const tn::history& h, const char* key) { return h[key]; }
}  // namespace

TEST_CASE("fit learns, reports Keras' history keys, and evaluate agrees with the last validation") {
    toy_data train(240, 1), val(60, 2);
    tn::model<net> m(3);
    m.compile(tn::adam{.learning_rate = 0.01}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto h = m.fit(train.x, train.y, {.epochs = 8, .batch_size = 16, .validation = {val.x, val.y}, .verbose = 0, .seed = 7});
    CHECK(h.epochs() == 8);
    for (const char* k : {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"}) CHECK(h.has(k));
    CHECK(h["loss"].back() < h["loss"].front());
    CHECK(h["val_accuracy"].back() > 0.8);
    const auto ev = m.evaluate(val.x, val.y);
    CHECK(ev.loss == doctest::Approx(h["val_loss"].back()).epsilon(1e-6));
    CHECK(ev.accuracy == doctest::Approx(h["val_accuracy"].back()));
}

TEST_CASE("validation_split takes the last fraction, as Keras") {
    toy_data d(100, 4);
    tn::model<net> m(3);
    m.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto h = m.fit(d.x, d.y, {.epochs = 1, .batch_size = 10, .validation_split = 0.2, .verbose = 0});
    // Evaluating the last 20 samples after training gives the logged validation loss.
    tn::batch<float, tn::shape<4, 4, 1>> last(20);
    std::copy(d.x.data() + 80 * 16, d.x.data() + 100 * 16, last.data());
    std::vector<std::int32_t> ly(d.y.begin() + 80, d.y.end());
    CHECK(m.evaluate(last, ly).loss == doctest::Approx(h["val_loss"][0]).epsilon(1e-6));
}

TEST_CASE("same seed, same machine: bit-identical histories and weights") {
    toy_data d(96, 5);
    auto run = [&] {
        tn::model<net> m(11);
        m.compile(tn::rmsprop{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
        auto h = m.fit(d.x, d.y, {.epochs = 3, .batch_size = 8, .validation_split = 0.25, .verbose = 0, .seed = 99});
        return std::make_pair(h, std::vector<float>(m.parameters().begin(), m.parameters().end()));
    };
    const auto a = run(), b = run();
    for (const char* k : {"loss", "accuracy", "val_loss", "val_accuracy"}) CHECK(series(a.first, k) == series(b.first, k));
    CHECK(a.second == b.second);
}

TEST_CASE("training state: a resumed run continues exactly as an uninterrupted one") {
    toy_data d(64, 6);
    tn::model<net> whole(21);
    whole.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto hw = whole.fit(d.x, d.y, {.epochs = 4, .batch_size = 8, .verbose = 0, .seed = 5});

    tn::model<net> first(21);
    first.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    first.fit(d.x, d.y, {.epochs = 2, .batch_size = 8, .verbose = 0, .seed = 5});
    const fs::path p = temp("state.npz");
    REQUIRE(first.save_training_state(p).ok());

    tn::model<net> resumed(999);  // different initial weights: everything must come from the file
    resumed.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    REQUIRE(resumed.load_training_state(p).ok());
    CHECK(resumed.epoch() == 2);
    const auto h2 = resumed.fit(d.x, d.y, {.epochs = 4, .batch_size = 8, .verbose = 0, .seed = 5, .initial_epoch = resumed.epoch()});
    REQUIRE(h2.epochs() == 2);
    CHECK(hw["loss"][2] == h2["loss"][0]);
    CHECK(hw["loss"][3] == h2["loss"][1]);
    CHECK(std::vector<float>(whole.parameters().begin(), whole.parameters().end()) ==
          std::vector<float>(resumed.parameters().begin(), resumed.parameters().end()));

    SUBCASE("a state field out of range (NaN, 1e300, negative, fractional) is refused and changes nothing") {
        // The state file with one field replaced: the reader checks every field before using it
        // (it converted them to integers unchecked: undefined behaviour for NaN or 1e300).
        std::vector<tn::io::npy_array> arrays;
        REQUIRE(tn::io::read_npz(p, arrays).ok());
        const std::size_t state = arrays.size() - 2;
        REQUIRE(arrays[state].name == "state");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const std::vector<std::pair<std::array<double, 3>, std::string>> cases = {
            {{nan, 2, 1e-3}, "iteration count"}, {{1e300, 2, 1e-3}, "iteration count"},
            {{-1, 2, 1e-3}, "iteration count"},  {{16, 2.5, 1e-3}, "epoch"},
            {{16, 1e300, 1e-3}, "epoch"},        {{16, 2, nan}, "learning rate"},
            {{16, 2, -1}, "learning rate"}};
        for (const auto& [fields, what] : cases) {
            auto bad = arrays;
            bad[state] = tn::io::make_npy<double>("state", {3}, fields.data());
            const fs::path q = temp("bad_state.npz");
            REQUIRE(tn::io::write_npz(q, bad).ok());
            tn::model<net> other(5);
            other.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
            const std::vector<float> before(other.parameters().begin(), other.parameters().end());
            const auto s = other.load_training_state(q);
            REQUIRE_FALSE(s.ok());
            CHECK(s.message().find("'state' " + what) != std::string::npos);
            CHECK(s.message().find("model unchanged") != std::string::npos);
            CHECK(other.epoch() == 0);
            CHECK(before == std::vector<float>(other.parameters().begin(), other.parameters().end()));
        }
    }
    SUBCASE("a state for another optimizer is refused and changes nothing") {
        tn::model<net> other(5);
        other.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{});
        const std::vector<float> before(other.parameters().begin(), other.parameters().end());
        const auto s = other.load_training_state(p);
        CHECK_FALSE(s.ok());
        CHECK(s.message().find("optimizer slots") != std::string::npos);
        CHECK(before == std::vector<float>(other.parameters().begin(), other.parameters().end()));
    }
}

TEST_CASE("backup_and_restore: an interrupted fit resumes from its backup and ends as an uninterrupted one") {
    // (tests/kill does the same with SIGKILL at random moments.)
    toy_data d(64, 6);
    auto schedule = [](int epoch, double) { return 1e-3 / (1 + epoch); };
    tn::model<net> whole(21);
    whole.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    tn::learning_rate_scheduler s0(schedule);
    const auto hw = whole.fit(d.x, d.y, {.epochs = 4, .batch_size = 8, .callbacks = {&s0}, .verbose = 0, .seed = 5});

    const fs::path p = temp("backup.npz");
    fs::remove(p);
    {  // the first run stops after two epochs and keeps its backup, as a killed one would
        tn::model<net> first(21);
        first.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
        tn::learning_rate_scheduler s1(schedule);
        tn::backup_and_restore backup({.path = p, .delete_checkpoint = false});
        const auto h = first.fit(d.x, d.y, {.epochs = 2, .batch_size = 8, .callbacks = {&s1, &backup}, .verbose = 0, .seed = 5});
        CHECK(h.error().ok());
        CHECK(backup.restored_epoch() == -1);
        CHECK(backup.saves() == 2);
        REQUIRE(fs::exists(p));
    }
    SUBCASE("the same fit call, restarted, continues after the backup's epoch and deletes it at the end") {
        tn::model<net> again(999);  // other initial weights: everything must come from the backup
        again.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
        tn::learning_rate_scheduler s2(schedule);
        tn::backup_and_restore backup({.path = p});
        const auto h = again.fit(d.x, d.y, {.epochs = 4, .batch_size = 8, .callbacks = {&s2, &backup}, .verbose = 0, .seed = 5});
        REQUIRE(h.error().ok());
        CHECK(backup.restored_epoch() == 2);
        REQUIRE(h.epochs() == 2);
        CHECK(h["loss"][0] == hw["loss"][2]);
        CHECK(h["loss"][1] == hw["loss"][3]);
        CHECK(h["learning_rate"] == std::vector<double>{hw["learning_rate"][2], hw["learning_rate"][3]});
        CHECK(std::vector<float>(whole.parameters().begin(), whole.parameters().end()) ==
              std::vector<float>(again.parameters().begin(), again.parameters().end()));
        CHECK_FALSE(fs::exists(p));
    }
    SUBCASE("a backup that does not fit the model stops fit before it trains, and is kept") {
        tn::model<net> other(5);
        other.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{});  // the backup holds Adam's moments
        const std::vector<float> before(other.parameters().begin(), other.parameters().end());
        tn::backup_and_restore backup({.path = p});
        const auto h = other.fit(d.x, d.y, {.epochs = 4, .batch_size = 8, .callbacks = {&backup}, .verbose = 0});
        REQUIRE_FALSE(h.error().ok());
        CHECK(h.error().message().find("backup_and_restore: cannot resume from the backup") != std::string::npos);
        CHECK(h.error().message().find("optimizer slots") != std::string::npos);
        CHECK(h.epochs() == 0);
        CHECK(before == std::vector<float>(other.parameters().begin(), other.parameters().end()));
        CHECK(fs::exists(p));
    }
    SUBCASE("save_freq saves every n-th epoch") {
        fs::remove(p);
        tn::model<net> m(3);
        m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
        tn::backup_and_restore backup({.path = p, .save_freq = 2, .delete_checkpoint = false});
        (void)m.fit(d.x, d.y, {.epochs = 5, .batch_size = 32, .callbacks = {&backup}, .verbose = 0});
        CHECK(backup.saves() == 2);
        tn::model<net> r(4);
        r.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
        REQUIRE(r.load_training_state(p).ok());
        CHECK(r.epoch() == 4);
    }
}

TEST_CASE("callbacks: schedule, reduce on plateau, checkpoint, early stopping, terminate on NaN") {
    toy_data d(64, 8), v(32, 9);
    SUBCASE("learning_rate_scheduler sets the rate each epoch and the history logs it") {
        tn::model<net> m(1);
        m.compile(tn::sgd{.learning_rate = 0.1}, tn::sparse_categorical_crossentropy{});
        tn::learning_rate_scheduler sched([](int epoch, double) { return 0.1 / (1 + epoch); });
        const auto h = m.fit(d.x, d.y, {.epochs = 3, .callbacks = {&sched}, .verbose = 0});
        CHECK(h["learning_rate"] == std::vector<double>{0.1, 0.05, 0.1 / 3});
    }
    SUBCASE("reduce_lr_on_plateau multiplies by factor after patience, not below min_lr") {
        tn::history logs;
        tn::training_control c;
        c.learning_rate = 1e-3;
        c.logs = &logs;
        tn::reduce_lr_on_plateau plateau({.monitor = "val_loss", .factor = 0.2, .patience = 2, .min_lr = 1e-4});
        plateau.on_train_begin(c);
        const double val[] = {1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
        std::vector<double> rates;
        for (int e = 0; e < 8; ++e) {
            logs.append("val_loss", val[e]);
            plateau.on_epoch_end(e, c);
            rates.push_back(c.learning_rate);
        }
        CHECK(rates[2] == 1e-3);
        CHECK(rates[3] == doctest::Approx(2e-4));
        CHECK(rates[4] == doctest::Approx(2e-4));
        CHECK(rates[5] == doctest::Approx(1e-4));
        CHECK(rates[7] == doctest::Approx(1e-4));
    }
    SUBCASE("model_checkpoint with save_best_only writes only on improvement, atomically") {
        tn::model<net> m(2);
        m.compile(tn::adam{.learning_rate = 0.01}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
        const fs::path p = temp("best.npz");
        fs::remove(p);
        tn::model_checkpoint ckpt({.path = p, .monitor = "val_accuracy", .save_best_only = true});
        m.fit(d.x, d.y, {.epochs = 5, .validation = {v.x, v.y}, .callbacks = {&ckpt}, .verbose = 0});
        CHECK(ckpt.saves() >= 1);
        CHECK(ckpt.saves() <= 5);
        CHECK(fs::exists(p));
        for (const auto& e : fs::directory_iterator(p.parent_path())) CHECK(e.path().string().find(".tmp") == std::string::npos);
        tn::model<net> loaded(3);
        CHECK(loaded.load_npz(p).ok());
    }
    SUBCASE("early_stopping stops after patience and restores the best weights") {
        // Without batch norm and with a zero learning rate, nothing changes: only epoch 0 "improves".
        using still = tn::sequential<tn::input<4, 4, 1>, tn::flatten, tn::dense<3, tn::softmax>>;
        tn::model<still> m(4);
        m.compile(tn::sgd{.learning_rate = 0.0}, tn::sparse_categorical_crossentropy{});  // nothing improves
        tn::early_stopping stop({.monitor = "val_loss", .patience = 2, .restore_best_weights = true});
        const auto h = m.fit(d.x, d.y, {.epochs = 20, .validation = {v.x, v.y}, .callbacks = {&stop}, .verbose = 0});
        CHECK(h.epochs() == 3);
        CHECK(stop.stopped_epoch() == 2);
        CHECK(stop.best_epoch() == 0);
    }
    SUBCASE("terminate_on_nan stops on the first non-finite batch loss") {
        tn::model<net> m(5);
        m.compile(tn::sgd{.learning_rate = 1e30}, tn::sparse_categorical_crossentropy{});
        tn::terminate_on_nan nan_stop;
        const auto h = m.fit(d.x, d.y, {.epochs = 50, .batch_size = 4, .callbacks = {&nan_stop}, .verbose = 0});
        CHECK(h.epochs() < 50);
    }
}

TEST_CASE("predict in batches equals predict at once; evaluate with one-hot targets equals class indices") {
    toy_data d(37, 10);
    tn::model<net> m(6);
    m.compile(tn::sgd{}, tn::categorical_crossentropy{}, tn::metrics::accuracy);
    const auto all = m.predict(d.x);
    const auto chunked = m.predict(d.x, 8);
    for (tn::index_t i = 0; i < all.size(); ++i) CHECK(all[i] == chunked[i]);
    tn::batch<float, tn::shape<3>> onehot(37);
    for (std::size_t i = 0; i < d.y.size(); ++i) onehot[tn::index_t(i) * 3 + d.y[i]] = 1.0f;
    const auto a = m.evaluate(d.x, onehot), b = m.evaluate(d.x, d.y);
    CHECK(a.loss == doctest::Approx(b.loss));
    CHECK(a.accuracy == b.accuracy);
}

TEST_CASE("fit and evaluate refuse bad targets with a message, and train nothing") {
    toy_data d(20, 12);
    tn::model<net> m(7);
    m.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const std::vector<float> before(m.parameters().begin(), m.parameters().end());
    auto bad = d.y;
    bad[5] = 3;  // the output has 3 classes: 0, 1, 2
    const auto h = m.fit(d.x, bad, {.epochs = 2, .verbose = 0});
    CHECK_FALSE(h.error().ok());
    CHECK(h.error().message().find("label 3 at index 5") != std::string::npos);
    CHECK(h.epochs() == 0);
    CHECK(before == std::vector<float>(m.parameters().begin(), m.parameters().end()));
    const auto e = m.evaluate(d.x, bad);
    CHECK_FALSE(e.error.ok());
    CHECK(std::isnan(e.loss));
    std::vector<std::int32_t> short_labels(d.y.begin(), d.y.begin() + 10);
    CHECK_FALSE(m.fit(d.x, short_labels, {.verbose = 0}).error().ok());
}

TEST_CASE("a sparse loss accepts one-hot targets (their argmax), as classes") {
    toy_data d(30, 13);
    tn::batch<float, tn::shape<3>> onehot(30);
    for (std::size_t i = 0; i < d.y.size(); ++i) onehot[tn::index_t(i) * 3 + d.y[i]] = 1.0f;
    tn::model<net> a(8), b(8);
    a.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    b.compile(tn::sgd{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    const auto ha = a.fit(d.x, onehot, {.epochs = 2, .verbose = 0, .seed = 3});
    const auto hb = b.fit(d.x, d.y, {.epochs = 2, .verbose = 0, .seed = 3});
    CHECK(ha["loss"] == hb["loss"]);
    CHECK(a.evaluate(d.x, onehot).loss == b.evaluate(d.x, d.y).loss);
}

TEST_CASE("one thread and two threads compute the same training steps") {
    using conv_net = tn::sequential<tn::input<12, 12, 3>, tn::conv2d<8, tn::kernel<3>, tn::same, tn::relu>, tn::max_pool2d<2>,
                                    tn::conv2d<16, tn::kernel<3>, tn::strides<2>, tn::same>, tn::batch_norm<>, tn::relu,
                                    tn::flatten, tn::dense<10, tn::softmax>>;
    tn::model<conv_net> one(tn::cpu{1}, 3), two(tn::cpu{2}, 3);
    CHECK(one.policy().threads() == 1);
    CHECK(two.policy().threads() == 2);
    for (auto* m : {&one, &two}) m->compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
    tn::batch<float, tn::shape<12, 12, 3>> x(7);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 101) / 101.0f;
    const float t[7] = {0, 3, 9, 1, 1, 4, 7};
    for (int step = 0; step < 3; ++step) {
        const double a = one.train_on_batch(x.data(), t, 7);
        const double b = two.train_on_batch(x.data(), t, 7);
        CHECK(a == b);  // bit-identical: threads split samples or disjoint output blocks, never a sum
    }
    const auto p1 = one.parameters(), p2 = two.parameters();
    for (std::size_t i = 0; i < p1.size(); ++i) CHECK(p1[i] == p2[i]);
    const auto y1 = one.predict(x), y2 = two.predict(x);
    for (tn::index_t i = 0; i < y1.size(); ++i) CHECK(y1[i] == y2[i]);
}
