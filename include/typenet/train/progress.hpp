// progress: Keras' training progress display — a live bar on a terminal, one line per epoch elsewhere.
//
// verbose 1 on a terminal (Keras' default):
//
//     Epoch 3/10
//      120/469 [=======>......................] - ETA: 12s - loss: 0.4321 - accuracy: 0.8456
//
// the second line redrawn in place with '\r' (at most about 10 times a second) and finished as
//
//     469/469 [==============================] - 9s 19ms/step - loss: 0.4321 - accuracy: 0.8456 - val_loss: 0.3012
//
// verbose 2, or verbose 1 when the output is not a terminal (a log file, a pipe, CI), writes
// exactly one line per epoch when it ends:
//
//     Epoch 3/10 - 9s - loss: 0.4321 - accuracy: 0.8456 - val_loss: 0.3012 - val_accuracy: 0.9020
//
// verbose 0 writes nothing. Values are printed as Keras does: "%.4f", or "%.4e" when |v| <= 1e-3.
// Epochs are 0-based as in Keras' callbacks (begin_epoch(2, 10, ...) shows "Epoch 3/10").
// After the first epoch nothing here allocates: lines are built in a reused buffer.
#pragma once

#include <typenet/core/config.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#if defined(_WIN32)
#include <io.h>  // _isatty, _fileno
#else
#include <unistd.h>  // isatty
#endif

namespace typenet {

// One named value ("loss", 0.4321). The name is not copied: it must outlive the call it is
// passed to (string literals and the metric objects' own names do).
struct metric_value {
    std::string_view name;
    double value = 0;
};

// A short list of named values, held in the object (no heap), in the order added. Keras passes
// the same thing to its callbacks as the `logs` dict.
class metric_values {
public:
    static constexpr std::size_t capacity = 16;

    metric_values() = default;
    metric_values(std::initializer_list<metric_value> list) {
        for (const auto& m : list) add(m.name, m.value);
    }

    // Appends a value; false (and nothing added) when the list is full.
    bool add(std::string_view name, double value) {
        if (size_ == capacity) return false;
        items_[size_++] = metric_value{name, value};
        return true;
    }
    void clear() { size_ = 0; }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const metric_value& operator[](std::size_t i) const { return items_[i]; }
    const metric_value* begin() const { return items_; }
    const metric_value* end() const { return items_ + size_; }

    // The value named `name`, or nullptr.
    const double* find(std::string_view name) const {
        for (std::size_t i = 0; i < size_; ++i)
            if (items_[i].name == name) return &items_[i].value;
        return nullptr;
    }

private:
    metric_value items_[capacity]{};
    std::size_t size_ = 0;
};

class progress {
public:
    using metrics = metric_values;
    using clock_function = std::function<double()>;  // seconds since any fixed point

    // `out` may be null (nothing is written). verbose: 0 silent, 1 progress bar (on a terminal;
    // one line per epoch otherwise), 2 one line per epoch.
    progress(std::FILE* out, int verbose, bool is_terminal)
        : out_(out), verbose_(out && verbose > 0 ? verbose : 0), live_(verbose_ == 1 && is_terminal),
          clock_(steady_seconds) {
        line_.reserve(512);
    }
    progress(std::FILE* out, int verbose) : progress(out, verbose, stream_is_terminal(out)) {}

    // Whether `f` is a terminal (isatty on its file descriptor).
    static bool stream_is_terminal(std::FILE* f) {
        if (!f) return false;
#if defined(_WIN32)
        return _isatty(_fileno(f)) != 0;
#else
        return ::isatty(fileno(f)) != 0;
#endif
    }

    // Replaces the clock used for ETAs and redraw limiting (tests pass a fake one).
    void set_clock(clock_function clock) { clock_ = clock ? std::move(clock) : clock_function(steady_seconds); }
    // Shortest time between two redraws of the live line (default 0.1 s).
    void set_redraw_interval(double seconds) { interval_ = seconds; }

    bool live() const { return live_; }
    int verbose() const { return verbose_; }

    // Starts epoch `epoch` (0-based) of `epochs`, which will have `steps` steps (<= 0: unknown).
    void begin_epoch(int epoch, int epochs, index_t steps) {
        epoch_ = epoch;
        epochs_ = epochs;
        steps_ = steps;
        last_step_ = 0;
        width_ = 0;
        if (verbose_ == 0) return;
        start_ = clock_();
        drawn_ = false;
        if (live_) {
            line_.clear();
            append_format("Epoch %d/%d\n", epoch_ + 1, epochs_);
            write();
        }
    }

    // `step` steps of this epoch are done (1-based); `m` holds the running values. Redraws the
    // live line if enough time has passed since the last redraw, or at the last step.
    void step(index_t step, const metrics& m) {
        last_step_ = step;
        if (!live_) return;
        const double now = clock_();
        const bool last = steps_ > 0 && step >= steps_;
        if (drawn_ && !last && now - last_draw_ < interval_) return;
        drawn_ = true;
        last_draw_ = now;
        line_.clear();
        line_ += '\r';
        append_bar(step);
        if (steps_ > 0) {
            const double per_step = step > 0 ? (now - start_) / static_cast<double>(step) : 0.0;
            const double eta = per_step * static_cast<double>(steps_ - step);
            line_ += " - ETA: ";
            append_eta(eta);
        } else {
            line_ += " - ";
            append_seconds(now - start_);
        }
        append_metrics(m);
        finish_line(false);
    }

    // Ends the epoch: `m` holds the epoch's final values (validation ones included) and
    // `seconds` the time it took.
    void end_epoch(const metrics& m, double seconds) {
        if (verbose_ == 0) return;
        line_.clear();
        if (live_) {
            // Steps done: as reported through step(), else all of them. An epoch stopped early
            // keeps its partial bar; with an unknown count the bar is filled, as Keras does.
            const index_t done = last_step_ > 0 ? last_step_ : steps_;
            const index_t saved = steps_;
            if (steps_ <= 0) steps_ = done;
            line_ += '\r';
            append_bar(done);
            steps_ = saved;
            line_ += " - ";
            append_seconds(seconds);
            line_ += ' ';
            append_per_step(done > 0 ? seconds / static_cast<double>(done) : seconds);
            append_metrics(m);
            finish_line(true);
        } else {
            append_format("Epoch %d/%d - ", epoch_ + 1, epochs_);
            append_seconds(seconds);
            append_metrics(m);
            line_ += '\n';
            write();
        }
    }

private:
    static double steady_seconds() {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    template <class... A>
    void append_format(const char* fmt, A... args) {
        char buf[96];
        const int n = std::snprintf(buf, sizeof buf, fmt, args...);
        if (n > 0) line_.append(buf, std::min(static_cast<std::size_t>(n), sizeof buf - 1));
    }

    // " 120/469 [=======>......................]", or "    120/Unknown" without a step count.
    void append_bar(index_t step) {
        if (steps_ <= 0) {
            append_format("%7lld/Unknown", static_cast<long long>(step));
            return;
        }
        int digits = 1;
        for (index_t t = steps_; t >= 10; t /= 10) ++digits;
        append_format("%*lld/%lld [", digits, static_cast<long long>(step), static_cast<long long>(steps_));
        constexpr index_t bar = 30;
        const double frac = std::min(1.0, std::max(0.0, static_cast<double>(step) / static_cast<double>(steps_)));
        const index_t filled = static_cast<index_t>(bar * frac);
        if (filled > 0) {
            line_.append(static_cast<std::size_t>(filled - 1), '=');
            line_ += step < steps_ ? '>' : '=';
        }
        line_.append(static_cast<std::size_t>(bar - filled), '.');
        line_ += ']';
    }

    // Keras' ETA: "12s", "1:05", "1:02:03".
    void append_eta(double eta) {
        const long long s = static_cast<long long>(std::max(0.0, eta));
        if (eta > 3600)
            append_format("%lld:%02lld:%02lld", s / 3600, (s % 3600) / 60, s % 60);
        else if (eta > 60)
            append_format("%lld:%02lld", s / 60, s % 60);
        else
            append_format("%llds", s);
    }

    void append_seconds(double s) { append_format("%.0fs", std::max(0.0, s)); }

    // Keras' time per step: "2s/step", "19ms/step", "850us/step".
    void append_per_step(double s) {
        if (s >= 1 || s <= 0)
            append_format("%.0fs/step", std::max(0.0, s));
        else if (s >= 1e-3)
            append_format("%.0fms/step", s * 1e3);
        else
            append_format("%.0fus/step", s * 1e6);
    }

    void append_metrics(const metrics& m) {
        for (const auto& v : m) {
            line_ += " - ";
            line_.append(v.name.data(), v.name.size());
            line_ += ": ";
            if (std::isnan(v.value))
                line_ += "nan";
            else if (std::isinf(v.value))
                line_ += v.value > 0 ? "inf" : "-inf";
            else
                append_format(std::fabs(v.value) > 1e-3 ? "%.4f" : "%.4e", v.value);
        }
    }

    // Pads a redrawn line with spaces over what is left of a longer previous one, then writes it.
    void finish_line(bool newline) {
        const std::size_t width = line_.size() - 1;  // without the leading '\r'
        if (width < width_) line_.append(width_ - width, ' ');
        width_ = newline ? 0 : width;
        if (newline) line_ += '\n';
        write();
    }

    void write() {
        std::fwrite(line_.data(), 1, line_.size(), out_);
        std::fflush(out_);
    }

    std::FILE* out_;
    int verbose_;
    bool live_;
    clock_function clock_;
    double interval_ = 0.1;
    std::string line_;
    int epoch_ = 0, epochs_ = 0;
    index_t steps_ = 0, last_step_ = 0;
    double start_ = 0, last_draw_ = 0;
    bool drawn_ = false;
    std::size_t width_ = 0;  // length of the live line last drawn, to blank out leftovers
};

}  // namespace typenet
