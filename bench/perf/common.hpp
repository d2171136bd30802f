// bench/perf/common.hpp: what the parts of typenet_perf share -- the model ids, weights in Keras'
// layouts (the exchange format between typenet, libtorch and dlib), layer descriptions, the
// timing harness (warm-up, repeats, min and median) and a persistent team of threads for the
// data-parallel "N threads" runs. No typenet, libtorch or dlib header here: each framework lives in
// its own translation unit (libtorch's headers alone take most of a minute to compile).
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>

namespace perf {

// OpenBLAS (Debian's libblas.so.3 when libopenblas0 is installed -- libtorch-dev recommends it)
// runs its own threads; libtorch 1.13 built with BLAS_INFO=generic does not tell it how many. Set
// it explicitly so that "1 thread" means one thread. Returns false when the BLAS is not OpenBLAS.
inline bool set_blas_threads(int n) {
    using fn = void (*)(int);
    static const fn f = reinterpret_cast<fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (f) f(n);
    return f != nullptr;
}
inline std::string blas_config() {
    using fn = char* (*)();
    const fn f = reinterpret_cast<fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    return f ? std::string(f()) : std::string();
}

// ---- models --------------------------------------------------------------------------------------
enum class model_id { m1, m2, m8, m10 };
inline const char* model_name(model_id m) {
    switch (m) {
        case model_id::m1: return "M1";
        case model_id::m2: return "M2";
        case model_id::m8: return "M8";
        case model_id::m10: return "M10";
    }
    return "?";
}
inline constexpr model_id all_models[] = {model_id::m1, model_id::m2, model_id::m8, model_id::m10};

// One parameter array in Keras' layout: conv kernels (kh, kw, in, out), dense (in, out), BN
// gamma / beta / moving_mean / moving_variance -- get_weights() order.
struct array {
    std::string layer, name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};
using weights = std::vector<array>;

// Inputs are NHWC (typenet / Keras); libtorch and dlib transpose to NCHW themselves.
struct input_dims {
    int h = 1, w = 1, c = 1;
    int size() const { return h * w * c; }
};

// ---- layers (for the per-layer table and the libtorch single-layer runs) -------------------------
struct layer_desc {
    std::string model, name;   // "M2", "conv2d_1"
    std::string kind;          // "conv2d", "dense", or the layer's own name (max_pool2d, batch_norm, ...)
    std::string shape_in, shape_out;
    // conv2d: input (h, w, c) -> (oh, ow, f), kernel, strides, TensorFlow's padding before / after.
    int h = 0, w = 0, c = 0, oh = 0, ow = 0, f = 0, kh = 0, kw = 0, sh = 1, sw = 1;
    int pad_t = 0, pad_b = 0, pad_l = 0, pad_r = 0;
    // dense: k inputs -> u units.
    int k = 0, u = 0;
    std::string activation;    // "relu", "softmax", "linear", ...
    double flops = 0;          // per sample, typenet's Net::flops (a multiply-add counts 2)
    bool compute() const { return kind == "conv2d" || kind == "dense"; }
};

// ---- timing ----------------------------------------------------------------------------------------
struct options {
    bool quick = false;
    double warm_s = 0.1;   // warm-up time before the repeats (at least two calls)
    double rep_s = 0.05;   // each repeat runs the work enough times to last this long
    int reps = 7;
};

struct stats {
    double min_s = 0, median_s = 0;  // seconds per call
    int reps = 0;
    long inner = 0;                  // calls per repeat
    bool valid() const { return reps > 0; }
};

using steady = std::chrono::steady_clock;
inline double seconds_since(steady::time_point t0) {
    return std::chrono::duration<double>(steady::now() - t0).count();
}

// Warm up, pick a call count per repeat so one repeat lasts opt.rep_s, then time opt.reps
// repeats; returns the min and median seconds per call.
template <class F>
stats measure(const options& opt, F&& f) {
    auto t0 = steady::now();
    long calls = 0;
    do {
        f();
        ++calls;
    } while (calls < 2 || seconds_since(t0) < opt.warm_s);
    const double per_call = seconds_since(t0) / double(calls);
    const long inner = std::max<long>(1, long(opt.rep_s / std::max(per_call, 1e-9)));
    std::vector<double> t;
    for (int r = 0; r < opt.reps; ++r) {
        const auto s = steady::now();
        for (long i = 0; i < inner; ++i) f();
        t.push_back(seconds_since(s) / double(inner));
    }
    std::sort(t.begin(), t.end());
    stats st;
    st.min_s = t.front();
    st.median_s = t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]);
    st.reps = opt.reps;
    st.inner = inner;
    return st;
}

// A persistent team of n threads (the caller is thread 0): run(job) calls job(i) on thread i
// for i in [0, n) and returns when all are done. Persistent so that the timed loop pays two
// barrier waits per call, not thread creation. With n > 1 thread i is pinned to the i-th CPU the
// process may use (the caller's own mask is restored when the team ends), so that every run places
// the threads the same way (the scheduler may otherwise wake a worker on its waker's core).
class team {
public:
    explicit team(int n) : n_(std::max(1, n)), start_(n_), done_(n_) {
        if (n_ > 1 && pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_) == 0) {
            for (int c = 0; c < CPU_SETSIZE; ++c)
                if (CPU_ISSET(c, &saved_)) cpus_.push_back(c);
            pinned_ = int(cpus_.size()) >= n_;
            if (pinned_) pin(0);
        }
        for (int i = 1; i < n_; ++i)
            workers_.emplace_back([this, i] {
                if (pinned_) pin(i);
                for (;;) {
                    start_.arrive_and_wait();
                    if (quit_.load()) return;
                    job_(i);
                    done_.arrive_and_wait();
                }
            });
    }
    team(const team&) = delete;
    team& operator=(const team&) = delete;
    ~team() {
        quit_.store(true);
        if (n_ > 1) start_.arrive_and_wait();
        for (auto& t : workers_) t.join();
        if (pinned_) pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
    }
    int size() const { return n_; }
    bool pinned() const { return pinned_; }
    void run(const std::function<void(int)>& job) {
        if (n_ == 1) return job(0);
        job_ = job;
        start_.arrive_and_wait();
        job_(0);
        done_.arrive_and_wait();
    }

private:
    void pin(int i) const {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpus_[std::size_t(i)], &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    }
    int n_;
    std::barrier<> start_, done_;
    std::function<void(int)> job_;
    std::atomic<bool> quit_{false};
    cpu_set_t saved_{};
    std::vector<int> cpus_;
    bool pinned_ = false;
    std::vector<std::thread> workers_;
};

// Half-open share [lo, hi) of n items for part i of parts.
inline std::pair<int, int> share(int n, int i, int parts) {
    return {n * i / parts, n * (i + 1) / parts};
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return 1e30;
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, double(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]));
    return d;
}

// Result of one training step on given weights and data (for the cross-framework check).
struct step_result {
    double loss = 0;
    weights after;  // Keras layout
};

}  // namespace perf
