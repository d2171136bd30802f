// Tests for typenet/train/progress.hpp: the per-epoch line exactly, the live bar ('\r', rate-limited), Keras' formats.
#include <doctest/doctest.h>

#include <typenet/train/progress.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

using typenet::metric_values;
using typenet::progress;

namespace {

// Everything written to a std::FILE, read back through a temporary file.
class capture {
public:
    capture() : f_(std::tmpfile()) { REQUIRE(f_ != nullptr); }
    ~capture() { std::fclose(f_); }
    capture(const capture&) = delete;
    capture& operator=(const capture&) = delete;
    std::FILE* file() { return f_; }
    std::string text() {
        std::fflush(f_);
        const long end = std::ftell(f_);
        std::rewind(f_);
        std::string s(static_cast<std::size_t>(end), '\0');
        const std::size_t got = std::fread(s.data(), 1, s.size(), f_);
        s.resize(got);
        std::fseek(f_, 0, SEEK_END);
        return s;
    }

private:
    std::FILE* f_;
};

// A clock the test moves by hand.
struct fake_clock {
    double now = 100.0;
    progress::clock_function function() {
        return [this] { return now; };
    }
};

std::size_t count(const std::string& s, char c) {
    std::size_t n = 0;
    for (char x : s) n += x == c;
    return n;
}

}  // namespace

TEST_CASE("progress: not a terminal -> exactly one line per epoch, nothing per step") {
    capture out;
    progress p(out.file(), 1, false);
    CHECK_FALSE(p.live());
    for (int epoch = 0; epoch < 2; ++epoch) {
        const std::string before = out.text();
        p.begin_epoch(epoch, 10, 469);
        for (int s = 1; s <= 469; ++s) p.step(s, {{"loss", 1.0}, {"accuracy", 0.5}});
        CHECK(out.text() == before);
        p.end_epoch({{"loss", 0.43214}, {"accuracy", 0.84559}, {"val_loss", 0.30121}, {"val_accuracy", 0.902}},
                    9.2 + epoch);
    }
    CHECK(out.text() ==
          "Epoch 1/10 - 9s - loss: 0.4321 - accuracy: 0.8456 - val_loss: 0.3012 - val_accuracy: 0.9020\n"
          "Epoch 2/10 - 10s - loss: 0.4321 - accuracy: 0.8456 - val_loss: 0.3012 - val_accuracy: 0.9020\n");
}

TEST_CASE("progress: verbose 2 writes one line per epoch even on a terminal; verbose 0 writes nothing") {
    capture two;
    progress p(two.file(), 2, true);
    CHECK_FALSE(p.live());
    p.begin_epoch(2, 3, 10);
    p.step(5, {{"loss", 2.0}});
    p.end_epoch({{"loss", 1.5}}, 0.4);
    CHECK(two.text() == "Epoch 3/3 - 0s - loss: 1.5000\n");

    capture zero;
    progress q(zero.file(), 0, true);
    q.begin_epoch(0, 1, 10);
    q.step(10, {{"loss", 2.0}});
    q.end_epoch({{"loss", 1.5}}, 1);
    CHECK(zero.text().empty());

    progress nowhere(nullptr, 1, true);  // no stream: silent, no crash
    nowhere.begin_epoch(0, 1, 1);
    nowhere.step(1, {});
    nowhere.end_epoch({}, 1);
    CHECK(nowhere.verbose() == 0);
}

TEST_CASE("progress: values print as Keras does (%.4f, %.4e when tiny, nan, inf)") {
    capture out;
    progress p(out.file(), 2, false);
    p.begin_epoch(0, 1, 1);
    p.end_epoch({{"loss", 0.0001234},
                 {"a", 0.0},
                 {"b", -2.5},
                 {"c", std::numeric_limits<double>::quiet_NaN()},
                 {"d", -std::numeric_limits<double>::infinity()},
                 {"e", 1234.56789}},
                75);
    CHECK(out.text() ==
          "Epoch 1/1 - 75s - loss: 1.2340e-04 - a: 0.0000e+00 - b: -2.5000 - c: nan - d: -inf - e: 1234.5679\n");
}

TEST_CASE("progress: on a terminal the bar is redrawn in place with '\\r' and each epoch ends with a newline") {
    capture out;
    fake_clock clock;
    progress p(out.file(), 1, true);
    p.set_clock(clock.function());
    CHECK(p.live());

    p.begin_epoch(0, 2, 20);
    CHECK(out.text() == "Epoch 1/2\n");
    clock.now += 0.5;
    p.step(1, {{"loss", 0.5}});  // the first step is always drawn; ETA = 0.5 s/step * 19 steps
    std::string expected = "Epoch 1/2\n\r 1/20 [>.............................] - ETA: 9s - loss: 0.5000";
    CHECK(out.text() == expected);

    clock.now += 0.05;
    p.step(2, {{"loss", 0.4}});  // 50 ms after the last redraw: skipped
    CHECK(out.text() == expected);
    clock.now += 0.06;
    p.step(3, {{"loss", 0.3}});  // 110 ms: drawn
    expected += "\r 3/20 [===>..........................] - ETA: 3s - loss: 0.3000";
    CHECK(out.text() == expected);

    clock.now += 0.01;
    p.step(20, {{"loss", 0.2}});  // the last step is always drawn
    expected += "\r20/20 [==============================] - ETA: 0s - loss: 0.2000";
    CHECK(out.text() == expected);

    p.end_epoch({{"loss", 0.2}, {"val_loss", 0.25}}, 2.0);  // Keras' final line: total and per-step time
    expected += "\r20/20 [==============================] - 2s 100ms/step - loss: 0.2000 - val_loss: 0.2500\n";
    CHECK(out.text() == expected);

    // Second epoch: a shorter line than the one before is padded with spaces over the old text.
    p.begin_epoch(1, 2, 20);
    clock.now += 1.0;
    p.step(10, {{"loss", 0.1}, {"accuracy", 0.9}});
    clock.now += 1.0;
    p.step(11, {});
    const std::string second = out.text().substr(expected.size());
    CHECK(second ==
          "Epoch 2/2\n"
          "\r10/20 [==============>...............] - ETA: 1s - loss: 0.1000 - accuracy: 0.9000"
          "\r11/20 [===============>..............] - ETA: 1s                                  ");
    p.end_epoch({{"loss", 0.1}}, 30);
    const std::string all = out.text();
    CHECK(all.back() == '\n');
    CHECK(count(all, '\n') == 4);  // per epoch: the "Epoch i/n" line and the finished bar
    CHECK(all.find("\r11/20 [===============>..............] - 30s 3s/step - loss: 0.1000") != std::string::npos);
}

TEST_CASE("progress: redraws on a terminal are limited to about ten a second") {
    capture out;
    fake_clock clock;
    progress p(out.file(), 1, true);
    p.set_clock(clock.function());
    p.begin_epoch(0, 1, 1000);
    for (int s = 1; s <= 1000; ++s) {
        clock.now += 0.002;  // 2 s for the epoch, a step every 2 ms
        p.step(s, {{"loss", 1.0 / s}});
    }
    p.end_epoch({{"loss", 0.001}}, 2.0);
    const std::size_t redraws = count(out.text(), '\r');
    CHECK(redraws >= 19);  // ~20 timed redraws + the last step + the final line
    CHECK(redraws <= 23);
    CHECK(out.text().find("1000/1000 [==============================] - 2s 2ms/step - loss: 1.0000e-03\n") !=
          std::string::npos);
}

TEST_CASE("progress: ETA and per-step formats, unknown step counts") {
    capture out;
    fake_clock clock;
    progress p(out.file(), 1, true);
    p.set_clock(clock.function());
    p.set_redraw_interval(0);

    p.begin_epoch(0, 1, 100);
    clock.now += 1.5;
    p.step(2, {});  // 0.75 s/step * 98 = 73.5 s
    CHECK(out.text().find("  2/100 [.............................." "] - ETA: 1:13") != std::string::npos);
    clock.now += 98.5;
    p.step(3, {});  // 100 s / 3 * 97 = 3233 s
    CHECK(out.text().find(" - ETA: 53:53") != std::string::npos);
    clock.now += 200;
    p.step(4, {});  // 300 s / 4 * 96 = 7200 s
    CHECK(out.text().find(" - ETA: 2:00:00") != std::string::npos);
    p.step(100, {});
    p.end_epoch({}, 0.05);
    CHECK(out.text().find("100/100 [==============================] - 0s 500us/step\n") != std::string::npos);

    capture unknown;
    progress u(unknown.file(), 1, true);
    u.set_clock(clock.function());
    u.begin_epoch(0, 1, 0);  // unknown number of steps
    clock.now += 3;
    u.step(120, {{"loss", 0.5}});
    u.end_epoch({{"loss", 0.5}}, 3);
    CHECK(unknown.text() ==
          "Epoch 1/1\n"
          "\r    120/Unknown - 3s - loss: 0.5000"
          "\r120/120 [==============================] - 3s 25ms/step - loss: 0.5000\n");  // Keras fills the bar
}

TEST_CASE("progress: an epoch stopped early keeps its partial bar; end_epoch alone shows a full one") {
    capture out;
    fake_clock clock;
    progress p(out.file(), 1, true);
    p.set_clock(clock.function());
    p.begin_epoch(0, 2, 10);
    clock.now += 1;
    p.step(4, {});
    p.end_epoch({{"loss", 0.5}}, 2.0);  // e.g. a callback stopped training after 4 steps
    CHECK(out.text() ==
          "Epoch 1/2\n"
          "\r 4/10 [===========>..................] - ETA: 1s"
          "\r 4/10 [===========>..................] - 2s 500ms/step - loss: 0.5000\n");
    p.begin_epoch(1, 2, 10);
    p.end_epoch({}, 1.0);
    CHECK(out.text().substr(out.text().rfind("Epoch 2/2")) ==
          "Epoch 2/2\n\r10/10 [==============================] - 1s 100ms/step\n");
}

TEST_CASE("progress: stream_is_terminal and metric_values") {
    capture out;
    CHECK_FALSE(progress::stream_is_terminal(out.file()));
    CHECK_FALSE(progress::stream_is_terminal(nullptr));
    progress p(out.file(), 1);  // detects: a temporary file is not a terminal
    CHECK_FALSE(p.live());

    metric_values m{{"loss", 0.5}, {"accuracy", 0.75}};
    CHECK(m.size() == 2);
    CHECK(m[1].name == "accuracy");
    REQUIRE(m.find("loss") != nullptr);
    CHECK(*m.find("loss") == 0.5);
    CHECK(m.find("val_loss") == nullptr);
    m.clear();
    CHECK(m.empty());
    for (std::size_t i = 0; i < metric_values::capacity; ++i) CHECK(m.add("x", 1));
    CHECK_FALSE(m.add("one too many", 1));
    CHECK(m.size() == metric_values::capacity);
    std::vector<std::string> names;
    for (const auto& v : metric_values{{"a", 1}, {"b", 2}}) names.emplace_back(v.name);
    CHECK(names == std::vector<std::string>{"a", "b"});
}
