// callbacks: Keras' training callbacks -- learning-rate schedules, reduce-on-plateau, checkpoints
// (written to a temporary file and renamed), backup and restore of an interrupted run, early
// stopping with best-weight restore, stop on NaN. A callback sees the epoch's logs and a
// training_control through which it may change the learning rate, stop training, or save /
// snapshot / restore the model's weights and training state.
#pragma once

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../core/config.hpp"
#include "../core/status.hpp"
#include "history.hpp"

TYPENET_BEGIN_STATUS_ASSIGNMENTS  // nvcc only: see core/status.hpp

namespace typenet {

// What a callback may act on. Filled in by fit().
struct training_control {
    double learning_rate = 0;
    bool stop_training = false;
    const history* logs = nullptr;                                    // every epoch so far
    std::function<status(const std::filesystem::path&)> save_weights;  // the model's save_npz
    std::function<void(std::vector<double>&)> snapshot;               // copy all parameters out
    std::function<void(const std::vector<double>&)> restore;          // and back in
    // The model's save_training_state (with the learning rate as it stands now) and
    // load_training_state, which also gives the epoch the state was saved after.
    std::function<status(const std::filesystem::path&)> save_state;
    std::function<status(const std::filesystem::path&, int& epoch)> load_state;
    // Set in on_train_begin only: fit starts at this epoch instead of fit_options::initial_epoch
    // (a restored run), or, when `error` is set, trains nothing and returns it in the history.
    int resume_epoch = -1;
    status error;
    std::vector<std::string> messages;                                // printed by fit (verbose > 0)

    // The latest value of a logged quantity ("val_loss"), NaN if not logged.
    double latest(std::string_view key) const {
        if (!logs || !logs->has(key) || (*logs)[key].empty()) return std::numeric_limits<double>::quiet_NaN();
        return (*logs)[key].back();
    }
};

class callback {
public:
    virtual ~callback() = default;
    virtual void on_train_begin(training_control&) {}
    virtual void on_epoch_begin(int /*epoch*/, training_control&) {}
    virtual void on_epoch_end(int /*epoch*/, training_control&) {}
    virtual void on_batch_end(index_t /*step*/, double /*loss*/, training_control&) {}
    virtual void on_train_end(training_control&) {}
};

namespace detail {
// Keras' mode "auto": accuracy-like quantities are maximised, everything else minimised.
inline bool maximises(std::string_view monitor) {
    return monitor.find("acc") != std::string_view::npos || monitor.find("auc") != std::string_view::npos;
}
// Tracks the best value of a monitored quantity.
struct monitor_state {
    std::string monitor;
    double min_delta = 0;
    double best = std::numeric_limits<double>::quiet_NaN();
    bool improved(double v) const {
        if (std::isnan(v)) return false;
        if (std::isnan(best)) return true;
        return maximises(monitor) ? v > best + min_delta : v < best - min_delta;
    }
};
}  // namespace detail

// Sets the learning rate at the start of each epoch: schedule(epoch, current rate) -> new rate.
class learning_rate_scheduler : public callback {
public:
    explicit learning_rate_scheduler(std::function<double(int, double)> schedule) : schedule_(std::move(schedule)) {}
    void on_epoch_begin(int epoch, training_control& c) override { c.learning_rate = schedule_(epoch, c.learning_rate); }

private:
    std::function<double(int, double)> schedule_;
};

// Keras' ReduceLROnPlateau: after `patience` epochs without improvement of `monitor` by more
// than min_delta, multiply the learning rate by `factor` (not below min_lr); then wait `cooldown`.
class reduce_lr_on_plateau : public callback {
public:
    struct options {
        std::string monitor = "val_loss";
        double factor = 0.1;
        int patience = 10;
        double min_delta = 1e-4;
        int cooldown = 0;
        double min_lr = 0;
    };
    reduce_lr_on_plateau() : reduce_lr_on_plateau(options()) {}
    explicit reduce_lr_on_plateau(options o) : o_(std::move(o)) { state_ = {o_.monitor, o_.min_delta}; }
    void on_train_begin(training_control&) override {
        state_.best = std::numeric_limits<double>::quiet_NaN();
        wait_ = cooldown_ = 0;
    }
    void on_epoch_end(int epoch, training_control& c) override {
        const double v = c.latest(o_.monitor);
        if (cooldown_ > 0) --cooldown_;
        if (state_.improved(v)) {
            state_.best = v;
            wait_ = 0;
        } else if (cooldown_ == 0 && ++wait_ >= o_.patience) {
            if (c.learning_rate > o_.min_lr) {
                const double next = std::max(c.learning_rate * o_.factor, o_.min_lr);
                c.messages.push_back("Epoch " + std::to_string(epoch + 1) + ": ReduceLROnPlateau reducing learning rate to " +
                                     std::to_string(next) + ".");
                c.learning_rate = next;
                cooldown_ = o_.cooldown;
                wait_ = 0;
            }
        }
    }

private:
    options o_;
    detail::monitor_state state_;
    int wait_ = 0, cooldown_ = 0;
};

// Keras' ModelCheckpoint: writes the weights (save_npz: temporary file, then rename) after every
// epoch, or only when `monitor` improved (save_best_only). "{epoch}" in the path becomes the
// 1-based epoch number.
class model_checkpoint : public callback {
public:
    struct options {
        std::filesystem::path path;
        std::string monitor = "val_loss";
        bool save_best_only = false;
    };
    explicit model_checkpoint(options o) : o_(std::move(o)) { state_ = {o_.monitor, 0}; }
    void on_train_begin(training_control&) override { state_.best = std::numeric_limits<double>::quiet_NaN(); }
    void on_epoch_end(int epoch, training_control& c) override {
        const double v = c.latest(o_.monitor);
        if (o_.save_best_only && !state_.improved(v)) return;
        if (o_.save_best_only) state_.best = v;
        std::string p = o_.path.string();
        if (const auto at = p.find("{epoch}"); at != std::string::npos) p.replace(at, 7, std::to_string(epoch + 1));
        last_status_ = c.save_weights(p);
        c.messages.push_back(last_status_ ? "Epoch " + std::to_string(epoch + 1) + ": saved " + p
                                          : "model_checkpoint: " + last_status_.message());
        if (last_status_) ++saves_;
    }
    int saves() const { return saves_; }
    const status& last_status() const { return last_status_; }

private:
    options o_;
    detail::monitor_state state_;
    status last_status_;
    int saves_ = 0;
};

// Keras' BackupAndRestore: a run that is killed (or crashes, or loses its machine) resumes where it
// stopped. At the end of every `save_freq`-th epoch the whole training state (weights, optimizer
// moments, iteration count, epoch, learning rate, random stream) is written to `path` -- to a
// temporary file that is then renamed, so the file is always a complete state. When fit starts and
// `path` exists, the state is loaded and fit continues after the epoch it was saved at; the run
// then ends with the same weights as one that was never interrupted. When fit ends normally the
// file is deleted (delete_checkpoint). A backup that cannot be loaded (another network, another
// optimizer, a damaged file) stops fit before it trains, with the reason in history::error(),
// and the file is kept. Other callbacks' own state (a plateau's patience count, the best value a
// checkpoint saw) is not part of the backup, as in Keras.
class backup_and_restore : public callback {
public:
    struct options {
        std::filesystem::path path;
        int save_freq = 1;              // epochs between backups
        bool delete_checkpoint = true;  // delete the backup when fit ends normally
    };
    explicit backup_and_restore(options o) : o_(std::move(o)) {}
    void on_train_begin(training_control& c) override {
        restored_epoch_ = -1;
        std::error_code ec;
        if (!std::filesystem::exists(o_.path, ec)) return;
        int epoch = 0;
        if (status s = c.load_state(o_.path, epoch); !s) {
            c.error = status::error("backup_and_restore: cannot resume from the backup: " + s.message());
            return;
        }
        restored_epoch_ = epoch;
        c.resume_epoch = epoch;
        c.messages.push_back("backup_and_restore: resuming after epoch " + std::to_string(epoch) + " from " +
                             o_.path.string());
    }
    void on_epoch_end(int epoch, training_control& c) override {
        if (o_.save_freq > 1 && (epoch + 1) % o_.save_freq != 0) return;
        last_status_ = c.save_state(o_.path);
        if (!last_status_) c.messages.push_back("backup_and_restore: " + last_status_.message());
        else ++saves_;
    }
    void on_train_end(training_control&) override {
        if (!o_.delete_checkpoint) return;
        std::error_code ec;
        std::filesystem::remove(o_.path, ec);
    }
    // The epoch the last fit resumed after, or -1 when it started from scratch.
    int restored_epoch() const { return restored_epoch_; }
    int saves() const { return saves_; }
    const status& last_status() const { return last_status_; }

private:
    options o_;
    status last_status_;
    int restored_epoch_ = -1, saves_ = 0;
};

// Keras' EarlyStopping: stop when `monitor` has not improved by more than min_delta for
// `patience` epochs; optionally restore the weights of the best epoch.
class early_stopping : public callback {
public:
    struct options {
        std::string monitor = "val_loss";
        double min_delta = 0;
        int patience = 0;
        bool restore_best_weights = false;
    };
    early_stopping() : early_stopping(options()) {}
    explicit early_stopping(options o) : o_(std::move(o)) { state_ = {o_.monitor, o_.min_delta}; }
    void on_train_begin(training_control&) override {
        state_.best = std::numeric_limits<double>::quiet_NaN();
        wait_ = 0;
        stopped_epoch_ = -1;
        best_.clear();
    }
    void on_epoch_end(int epoch, training_control& c) override {
        const double v = c.latest(o_.monitor);
        if (state_.improved(v)) {
            state_.best = v;
            best_epoch_ = epoch;
            wait_ = 0;
            if (o_.restore_best_weights) c.snapshot(best_);
            return;
        }
        if (++wait_ >= o_.patience && epoch > 0) {
            stopped_epoch_ = epoch;
            c.stop_training = true;
            if (o_.restore_best_weights && !best_.empty()) {
                c.restore(best_);
                c.messages.push_back("Restoring model weights from the end of the best epoch: " +
                                     std::to_string(best_epoch_ + 1) + ".");
            }
            c.messages.push_back("Epoch " + std::to_string(epoch + 1) + ": early stopping");
        }
    }
    int stopped_epoch() const { return stopped_epoch_; }
    int best_epoch() const { return best_epoch_; }

private:
    options o_;
    detail::monitor_state state_;
    int wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
    std::vector<double> best_;
};

// Keras' TerminateOnNaN: stops as soon as a batch loss is NaN or infinite.
class terminate_on_nan : public callback {
public:
    void on_batch_end(index_t step, double loss, training_control& c) override {
        if (!std::isfinite(loss)) {
            c.stop_training = true;
            c.messages.push_back("Batch " + std::to_string(step) + ": invalid loss, terminating training");
        }
    }
};

}  // namespace typenet

TYPENET_END_STATUS_ASSIGNMENTS
