// typenet_perf: typenet's CPU speed next to the machine's FMA peak, libtorch and dlib, measured in
// one run on one machine (docs/performance.md shows a full run and how to reproduce it).
//
//   typenet_perf [--quick] [--threads N] [--markdown FILE]
//
//   --quick        a smoke run (CI): every measurement once or twice, tiny repeats; the numbers
//                  are not meaningful, the output format is the same
//   --threads N    the multi-thread columns use N threads (default 2)
//   --markdown F   also write the tables as Markdown to F (for docs/performance.md)
//   --default-malloc  leave glibc's malloc settings alone (see "malloc" below)
//   --wait-quiet S wait up to S seconds for the machine to be quiet (other processes using less
//                  than 10% of it over a second) before measuring; the run says what it found
//
// What it measures:
//   * the FP32 FMA peak (bench/perf/peak.hpp), 1 and N threads, 256- and 512-bit vectors
//   * that typenet, libtorch and dlib compute the same outputs on shared weights (M1, M2, M8,
//     M10 inference; one SGD and one Adam step of M2)
//   * inference: batch-1 latency on 1 thread, batch-64 throughput on 1 and N threads (typenet:
//     tn::cpu{N}, its own worker threads; libtorch: at::set_num_threads(N)), and N single-thread
//     instances side by side (data-parallel: typenet and dlib, which has no threads)
//   * training: one train_on_batch step at batch 32, SGD and Adam, M2 and M10, on 1 and N threads
//   * every conv2d / dense layer alone at batch 64 on one thread: GFLOP/s and fraction of the
//     one-thread peak, forward and backward; every layer of M2 and M10 for the time breakdown
// Each measurement warms up, then times repeats; tables give the best (min time) and the median.
// The last line is machine-readable:
//   SUMMARY min_infer_speedup_vs_libtorch=... min_train_speedup_vs_libtorch=... m2_batch1_us=... min_conv_peak_fraction=...
// Speed-ups use the best (min-time) numbers of both sides; "n/a" where libtorch is not built in.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <atomic>
#include <cstdint>
#include <new>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.hpp"
#include "peak.hpp"
#include "typenet_side.hpp"
#ifdef TYPENET_PERF_HAVE_TORCH
#include "torch_side.hpp"
#endif
#ifdef TYPENET_PERF_HAVE_DLIB
#include "dlib_side.hpp"
#endif

#ifndef TYPENET_PERF_FLAGS
#define TYPENET_PERF_FLAGS "(unknown)"
#endif
#ifndef TYPENET_PERF_REVISION
#define TYPENET_PERF_REVISION "(unknown)"
#endif

// ---- allocation layout under control ---------------------------------------------------------------------
// typenet's speed depended on where its buffers land relative to 64-byte cache lines (M2 batch 1:
// 81 us 64-byte aligned, 125 us at +16 bytes, when they came from new T[n], which glibc aligns to 16
// bytes only). The cpu policy now allocates its buffers with 64-byte aligned operator new. This
// program replaces the plain operator new so that every other allocation (static_model's, the
// driver's) is 64-byte aligned plus alloc_offset bytes (0 by default), and the layout table below
// checks that typenet's speed no longer moves with alloc_offset at 0, 16, 32 and 48. libtorch's
// tensors (c10's posix_memalign) and OpenBLAS's buffers do not go through it.
namespace {
std::atomic<std::size_t> alloc_offset{0};
}
// The block malloc returned is stored just below the address handed out.
void* operator new(std::size_t n) {
    void* raw = std::malloc(n + 192);  // room for the pointer, the alignment and an offset of up to 63
    if (!raw) throw std::bad_alloc();
    const std::uintptr_t p =
        ((reinterpret_cast<std::uintptr_t>(raw) + 64 + 63) & ~std::uintptr_t(63)) + alloc_offset.load(std::memory_order_relaxed);
    std::memcpy(reinterpret_cast<void*>(p - sizeof raw), &raw, sizeof raw);
    return reinterpret_cast<void*>(p);
}
void operator delete(void* p) noexcept {
    if (!p) return;
    void* raw = nullptr;
    std::memcpy(&raw, reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) - sizeof raw), sizeof raw);
    std::free(raw);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

namespace {
using namespace perf;

constexpr bool have_torch =
#ifdef TYPENET_PERF_HAVE_TORCH
    true;
#else
    false;
#endif
constexpr bool have_dlib =
#ifdef TYPENET_PERF_HAVE_DLIB
    true;
#else
    false;
#endif

// ---- formatting ------------------------------------------------------------------------------------
std::string fmt(const char* f, double v) {
    char b[256];
    std::snprintf(b, sizeof b, f, v);
    return b;
}
std::string num(double v) {  // 3 significant digits, thousands separated
    if (!std::isfinite(v) || v <= 0) return "-";
    if (v >= 1000) {
        std::string s = fmt("%.0f", v), out;
        int k = 0;
        for (auto it = s.rbegin(); it != s.rend(); ++it, ++k) {
            if (k && k % 3 == 0) out.insert(out.begin(), ',');
            out.insert(out.begin(), *it);
        }
        return out;
    }
    if (v >= 100) return fmt("%.0f", v);
    if (v >= 10) return fmt("%.1f", v);
    return fmt("%.2f", v);
}
std::string pair(double best, double median) { return num(best) + " | " + num(median); }
std::string ratio(double r) { return std::isfinite(r) && r > 0 ? fmt("%.2fx", r) : "-"; }
std::string pct(double f) { return std::isfinite(f) && f > 0 ? fmt("%.1f%%", 100 * f) : "-"; }

struct table {
    std::string title;
    std::vector<std::string> head;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> notes;

    void print(std::FILE* o) const {
        std::vector<std::size_t> w(head.size(), 0);
        auto width = [](const std::string& s) {  // UTF-8 code points
            std::size_t n = 0;
            for (unsigned char c : s) n += (c & 0xC0) != 0x80;
            return n;
        };
        for (std::size_t i = 0; i < head.size(); ++i) w[i] = width(head[i]);
        for (const auto& r : rows)
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
        std::fprintf(o, "\n== %s ==\n", title.c_str());
        auto line = [&](const std::vector<std::string>& r) {
            std::string s;
            for (std::size_t i = 0; i < w.size(); ++i) {
                const std::string c = i < r.size() ? r[i] : "";
                const std::string padding(w[i] - width(c), ' ');
                s += (i ? "  " : "") + (i == 0 ? c + padding : padding + c);
            }
            std::fprintf(o, "%s\n", s.c_str());
        };
        line(head);
        for (const auto& r : rows) line(r);
        for (const auto& n : notes) std::fprintf(o, "  %s\n", n.c_str());
    }
    std::string markdown() const {
        auto cell = [](const std::string& c) {  // "best | median" -> "best \| median" inside a Markdown table
            std::string out;
            for (char ch : c) {
                if (ch == '|') out.push_back('\\');
                out.push_back(ch);
            }
            return out;
        };
        // Appends only: g++ 12 warns falsely (-Wrestrict) on "literal" + std::string temporaries.
        std::string s = "#### ";
        s += title;
        s += "\n\n|";
        for (const auto& h : head) {
            s += ' ';
            s += cell(h);
            s += " |";
        }
        s += "\n|";
        for (std::size_t i = 0; i < head.size(); ++i) s += i == 0 ? "---|" : "---:|";
        s += "\n";
        for (const auto& r : rows) {
            s += "|";
            for (std::size_t i = 0; i < head.size(); ++i) {
                s += ' ';
                s += cell(i < r.size() ? r[i] : std::string());
                s += " |";
            }
            s += "\n";
        }
        if (!notes.empty()) s += "\n";
        for (const auto& n : notes) {
            s += "- ";
            s += n;
            s += '\n';
        }
        s += '\n';
        return s;
    }
};

// ---- the machine ---------------------------------------------------------------------------------------
std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}
std::string load_average() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}
// Busy and total jiffies of the whole machine, and this process's CPU seconds.
struct cpu_sample {
    double busy = 0, total = 0, self_s = 0;
};
cpu_sample sample_cpu() {
    cpu_sample s;
    std::ifstream f("/proc/stat");
    std::string cpu;
    double v[10] = {};
    f >> cpu;
    for (double& x : v) f >> x;
    for (double x : v) s.total += x;
    s.busy = s.total - v[3] - v[4];  // minus idle and iowait
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    s.self_s = double(ru.ru_utime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec) + double(ru.ru_stime.tv_sec) +
               1e-6 * double(ru.ru_stime.tv_usec);
    return s;
}
// The BLAS libraries mapped into this process (libtorch / dlib link the system libblas.so.3).
std::string blas_libraries() {
    std::ifstream f("/proc/self/maps");
    std::string line;
    std::set<std::string> libs;
    while (std::getline(f, line)) {
        const auto p = line.find('/');
        if (p == std::string::npos) continue;
        const std::string path = line.substr(p);
        const std::string base = path.substr(path.rfind('/') + 1);
        if (base.find("blas") != std::string::npos || base.find("mkl") != std::string::npos ||
            base.find("dnnl") != std::string::npos)
            libs.insert(path);
    }
    std::string s;
    for (const auto& l : libs) s += (s.empty() ? "" : ", ") + l;
    return s.empty() ? "none" : s;
}

// Random Keras-layout perturbations so that the checks see non-trivial biases and BN statistics.
void perturb(weights& w, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto fill = [&](array& a, float lo, float hi) {
        std::uniform_real_distribution<float> u(lo, hi);
        for (auto& v : a.values) v = u(rng);
    };
    for (auto& a : w) {
        if (a.name == "bias") fill(a, -0.1f, 0.1f);
        else if (a.name == "gamma" || a.name == "moving_variance") fill(a, 0.5f, 1.5f);
        else if (a.name == "beta" || a.name == "moving_mean") fill(a, -0.2f, 0.2f);
    }
}
std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    std::vector<float> x(n);
    for (auto& v : x) v = u(rng);
    return x;
}
[[maybe_unused]] double max_weight_diff(const weights& a, const weights& b) {
    if (a.size() != b.size()) return 1e30;
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, max_abs_diff(a[i].values, b[i].values));
    return d;
}

std::string dlib_absent([[maybe_unused]] model_id m) {
#ifdef TYPENET_PERF_HAVE_DLIB
    return dlib_side::expressible(m) ? "-" : "not expressible";
#else
    return "not built";
#endif
}

struct args {
    bool quick = false;
    int threads = 2;
    std::string markdown;
    double wait_quiet_s = 0;
    bool default_malloc = false;
};

// Fraction of the machine's CPU time used by other processes over `seconds`.
double others_busy(double seconds) {
    const cpu_sample a = sample_cpu();
    const auto t0 = steady::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const cpu_sample b = sample_cpu();
    const double busy = (b.busy - a.busy) / std::max(1.0, b.total - a.total);
    const double self = (b.self_s - a.self_s) / (seconds_since(t0) * std::thread::hardware_concurrency());
    return std::max(0.0, busy - self);
}

}  // namespace

int main(int argc, char** argv) {
    args a;
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        if (s == "--quick") a.quick = true;
        else if (s == "--threads" && i + 1 < argc) a.threads = std::max(1, std::atoi(argv[++i]));
        else if (s == "--markdown" && i + 1 < argc) a.markdown = argv[++i];
        else if (s == "--wait-quiet" && i + 1 < argc) a.wait_quiet_s = std::atof(argv[++i]);
        else if (s == "--default-malloc") a.default_malloc = true;
        else {
            std::fprintf(stderr, "usage: %s [--quick] [--threads N] [--markdown FILE] [--wait-quiet SECONDS] [--default-malloc]\n",
                         argv[0]);
            return s == "--help" || s == "-h" ? 0 : 2;
        }
    }
    // malloc: libtorch allocates a fresh tensor for every operation's output. With glibc's defaults,
    // blocks of a few MB are mmapped and unmapped on every call and their page faults doubled
    // libtorch's M1 time (batch 64, 1 thread: 25 -> 12.7 ms per batch). Keep freed memory in the
    // heap instead -- what the jemalloc / tcmalloc PyTorch recommends on CPUs achieve. typenet and
    // dlib allocate nothing per call, so this changes only libtorch's numbers.
    const bool malloc_tuned = !a.default_malloc && mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 &&
                              mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 && mallopt(M_TOP_PAD, 64 << 20) == 1;
    const int T = a.threads;
    options opt;
    if (a.quick) {
        opt.quick = true;
        opt.warm_s = 0;
        opt.rep_s = 0.001;
        opt.reps = 2;
    }
    std::string quiet = "not waited for";
    if (a.wait_quiet_s > 0) {
        const auto w0 = steady::now();
        double o = others_busy(1.0);
        while (o > 0.10 && seconds_since(w0) < a.wait_quiet_s) {
            std::this_thread::sleep_for(std::chrono::seconds(4));
            o = others_busy(1.0);
        }
        quiet = fmt("other processes used %.0f%% of the machine in the last second, after waiting ", 100 * o) +
                fmt("%.0f s", seconds_since(w0)) + (o > 0.10 ? " (gave up waiting)" : "");
    }
    const auto t_start = steady::now();
    const cpu_sample cpu0 = sample_cpu();
    const std::string load0 = load_average();

    std::printf("typenet_perf%s: typenet vs the FMA peak, libtorch and dlib, one run on one machine\n",
                a.quick ? " --quick (smoke run: numbers not meaningful)" : "");
    std::printf("CPU        : %s, %u hardware threads\n", cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("compiler   : %s %s\n",
#if defined(__clang__)
                "clang",
#else
                "g++",
#endif
                __VERSION__);
    std::printf("flags      : %s\n", TYPENET_PERF_FLAGS);
    std::printf("kernels    : typenet %s (chosen at run time; TYPENET_CPU_KERNELS=avx2 or generic lowers it)\n",
                tn_side::kernels());
    std::printf("typenet    : %s (git describe when configured)\n", TYPENET_PERF_REVISION);
    std::printf("threads    : 1 and %d\n", T);
    std::printf("libtorch   : %s\n",
#ifdef TYPENET_PERF_HAVE_TORCH
                torch_side::describe().c_str()
#else
                "not built in (find_package(Torch) failed or TYPENET_PERF_TORCH=OFF)"
#endif
    );
    std::printf("dlib       : %s\n",
#ifdef TYPENET_PERF_HAVE_DLIB
                dlib_side::describe().c_str()
#else
                "not built in (find_package(dlib) failed or TYPENET_PERF_DLIB=OFF)"
#endif
    );
    std::printf("BLAS loaded: %s\n", blas_libraries().c_str());
    if (!blas_config().empty()) std::printf("OpenBLAS   : %s (threads set to match each run)\n", blas_config().c_str());
    std::printf("load avg   : %s (at start); quiet: %s\n", load0.c_str(), quiet.c_str());
    std::printf("allocations: 64-byte aligned (this program's operator new; see the layout table); glibc malloc %s\n",
                malloc_tuned ? "keeps freed blocks (mmap threshold 32 MiB, no trimming)" : "with its default settings");
    std::printf("timing     : warm-up %.3f s, then %d repeats of >= %.3f s each; best = min time, median of repeats\n",
                opt.warm_s, opt.reps, opt.rep_s);
    std::fflush(stdout);

    std::vector<table> tables;
    // Share of the machine other processes used since the previous call (noted under each table).
    cpu_sample last = sample_cpu();
    auto last_t = steady::now();
    auto others_note = [&] {
        const cpu_sample now = sample_cpu();
        const double busy = (now.busy - last.busy) / std::max(1.0, now.total - last.total);
        const double self = (now.self_s - last.self_s) / (std::max(1e-3, seconds_since(last_t)) * std::thread::hardware_concurrency());
        last = now;
        last_t = steady::now();
        return fmt("other processes used ~%.0f%% of the machine while this was measured", 100 * std::max(0.0, busy - self));
    };

    // ---- 1. FMA peak -----------------------------------------------------------------------------------
    double peak1 = 0, peakT = 0, clock_start = 0;
    {
        table t{"FP32 FMA peak (GFLOP/s, best | median)", {"vectors", "1 thread", std::to_string(T) + " threads"}, {}, {}};
        for (bool wide : {false, true}) {
            const auto r1 = peak::measure(wide, 1, opt);
            const auto rT = peak::measure(wide, T, opt);
            if (!r1.valid()) continue;
            t.rows.push_back({r1.isa, pair(r1.best_gflops, r1.median_gflops), pair(rT.best_gflops, rT.median_gflops)});
            peak1 = std::max(peak1, r1.best_gflops);
            peakT = std::max(peakT, rT.best_gflops);
        }
#if PERF_PEAK_X86
        const double ghz = clock_start = peak::clock_ghz(a.quick ? 0.005 : 0.05);
        t.notes.push_back("peak used below: " + num(peak1) + " GFLOP/s on 1 thread, " + num(peakT) + " on " +
                          std::to_string(T) + " (the best of both vector widths)");
        t.notes.push_back("clock while running dependent integer adds: " + fmt("%.2f", ghz) + " GHz -> " +
                          fmt("%.1f", peak1 / ghz) + " FP32 FLOP/cycle on one core");
#endif
        t.notes.push_back(others_note());
        t.print(stdout);
        tables.push_back(t);
    }

    // ---- 2. Same outputs on shared weights ------------------------------------------------------------
    bool checks_ok = true;
    std::map<model_id, weights> shared;
    {
        table t{"Same outputs on shared weights (max |difference|, softmax outputs, 8 samples)",
                {"model", "params", "typenet vs libtorch", "typenet vs dlib", "verdict"}, {}, {}};
        for (model_id m : all_models) {
            weights w = tn_side::initial_weights(m, 42);
            perturb(w, 43);
            shared[m] = w;
            const input_dims in = tn_side::input_of(m);
            const int n = 8;
            const std::vector<float> x = random_vector(std::size_t(n) * in.size(), 44);
            const std::vector<float> y = tn_side::predict(m, w, x.data(), n);
            std::string dt = "not built", dd = "not built";
            bool ok = true;
#ifdef TYPENET_PERF_HAVE_TORCH
            {
                const double d = max_abs_diff(y, torch_side::predict(m, w, x.data(), in, n));
                dt = fmt("%.2e", d);
                ok = ok && d < 1e-4;
            }
#endif
#ifdef TYPENET_PERF_HAVE_DLIB
            if (dlib_side::expressible(m)) {
                const double d = max_abs_diff(y, dlib_side::predict(m, w, x.data(), in, n));
                dd = fmt("%.2e", d);
                ok = ok && d < 1e-4;
            } else {
                dd = "not expressible";
            }
#endif
            checks_ok = checks_ok && ok;
            const bool compared = have_torch || (have_dlib && dd != "not expressible");
            t.rows.push_back({model_name(m), num(double(tn_side::param_count(m))), dt, dd,
                              !compared ? "-" : ok ? "same" : "DIFFERENT"});
        }
#ifdef TYPENET_PERF_HAVE_TORCH
        for (bool adam : {false, true}) {
            const model_id m = model_id::m2;
            const input_dims in = tn_side::input_of(m);
            const int n = 32;
            const std::vector<float> x = random_vector(std::size_t(n) * in.size(), 45);
            std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
            for (int i = 0; i < n; ++i) labels[std::size_t(i)] = (i * 7) % 10;
            const step_result s1 = tn_side::train_step(m, adam, shared[m], x.data(), labels.data(), n);
            const step_result s2 = torch_side::train_step(m, adam, shared[m], x.data(), in, labels.data(), n);
            const double dl = std::fabs(s1.loss - s2.loss), dw = max_weight_diff(s1.after, s2.after);
            const bool ok = dl < 1e-4 && dw < 1e-5;
            checks_ok = checks_ok && ok;
            t.rows.push_back({std::string("M2 one ") + (adam ? "Adam" : "SGD") + " step, batch 32",
                              "loss " + fmt("%.4f", s1.loss), "loss " + fmt("%.1e", dl) + ", weights " + fmt("%.1e", dw),
                              "-", ok ? "same" : "DIFFERENT"});
        }
        t.notes.push_back("M10's training step is not compared (dropout masks are random in both).");
#endif
        t.notes.push_back("inference: tolerance 1e-4; training: loss 1e-4, updated weights 1e-5 (torch's Adam epsilon set to Keras' placement for the check)");
        t.print(stdout);
        tables.push_back(t);
        std::fflush(stdout);
        (void)others_note();  // restart the interval: the next note covers the inference runs only
    }

    // libtorch on T > 1 threads: Debian's OpenBLAS (behind Linear) keeps its own pthreads beside
    // ATen's OpenMP threads, and T of each oversubscribe the cores; measure with OpenBLAS on T
    // threads and on 1 and keep libtorch's better configuration (noted under the tables).
    std::map<std::string, int> torch_blas_choice;  // "1" / "T" -> count
    [[maybe_unused]] auto torch_best_of = [&](model_id, auto&& run) {
        const stats a1 = run(0);
        if (T == 1 || !set_blas_threads(1)) return a1;
        const stats a2 = run(1);
        const bool second = a2.valid() && a2.min_s < a1.min_s;
        ++torch_blas_choice[second ? "1" : std::to_string(T)];
        return second ? a2 : a1;
    };
    auto blas_note = [&] {
        std::string s;
        for (const auto& [k, v] : torch_blas_choice) s += (s.empty() ? "" : ", ") + std::to_string(v) + "x OpenBLAS on " + k;
        torch_blas_choice.clear();
        return s.empty() ? std::string() : "libtorch " + std::to_string(T) + "-thread rows: best of OpenBLAS on " +
                                               std::to_string(T) + " threads and on 1 (chosen: " + s + ").";
    };

    // ---- 3. Inference --------------------------------------------------------------------------------
    const int B = 64;
    struct infer_row {
        stats b1, bb1, bbT, bbDP;  // batch 1 / 64 on 1 thread, 64 on T threads, 64 on T data-parallel instances
    };
    std::map<model_id, infer_row> tn_inf, th_inf, dl_inf;
    for (model_id m : all_models) {
        tn_inf[m] = {tn_side::infer(m, 1, 1, opt), tn_side::infer(m, B, 1, opt), tn_side::infer(m, B, T, opt),
                     tn_side::infer(m, B, T, opt, true)};
#ifdef TYPENET_PERF_HAVE_TORCH
        const input_dims in = tn_side::input_of(m);
        th_inf[m] = {torch_side::infer(m, shared[m], in, 1, 1, opt), torch_side::infer(m, shared[m], in, B, 1, opt),
                     torch_best_of(m, [&](int blas) { return torch_side::infer(m, shared[m], in, B, T, opt, blas); }),
                     stats{}};
#endif
#ifdef TYPENET_PERF_HAVE_DLIB
        if (dlib_side::expressible(m)) {
            const input_dims in2 = tn_side::input_of(m);
            dl_inf[m] = {dlib_side::infer(m, shared[m], in2, 1, 1, opt), dlib_side::infer(m, shared[m], in2, B, 1, opt),
                         stats{}, dlib_side::infer(m, shared[m], in2, B, T, opt)};
        }
#endif
    }
    double min_infer_speedup = INFINITY;
    double infer_ceiling = INFINITY, train_ceiling = INFINITY;  // best possible speed-ups at 100% of the peak
    {
        const std::string Ts = std::to_string(T);
        table t{"Inference (best | median of repeats)",
                {"model", "measure", "typenet", "libtorch", "dlib", "typenet / libtorch (best)", "typenet / libtorch (median)"},
                {},
                {}};
        auto latency = [](const stats& s) { return s.valid() ? pair(1e6 * s.min_s, 1e6 * s.median_s) : std::string("-"); };
        auto ips = [](const stats& s, int b) {
            return s.valid() ? pair(b / s.min_s, b / s.median_s) : std::string("-");
        };
        auto get = [](std::map<model_id, infer_row>& mp, model_id m) -> infer_row* {
            auto it = mp.find(m);
            return it == mp.end() ? nullptr : &it->second;
        };
        for (model_id m : all_models) {
            infer_row* tn = get(tn_inf, m);
            infer_row* th = get(th_inf, m);
            infer_row* dl = get(dl_inf, m);
            const std::string dl_missing = dlib_absent(m);
            // typenet's row f against libtorch's row g: time ratio (best, median).
            auto speed = [&](stats infer_row::*f, stats infer_row::*g) {
                if (!th || !((*th).*g).valid() || !((*tn).*f).valid()) return std::pair<double, double>{NAN, NAN};
                return std::pair<double, double>{((*th).*g).min_s / ((*tn).*f).min_s, ((*th).*g).median_s / ((*tn).*f).median_s};
            };
            const auto s1 = speed(&infer_row::b1, &infer_row::b1), s2 = speed(&infer_row::bb1, &infer_row::bb1),
                       s3 = speed(&infer_row::bbT, &infer_row::bbT), s4 = speed(&infer_row::bbDP, &infer_row::bbT);
            const std::string no_torch = th ? "-" : "not built";
            t.rows.push_back({model_name(m), "batch 1, 1 thread: latency [us]", latency(tn->b1),
                              th ? latency(th->b1) : no_torch, dl ? latency(dl->b1) : dl_missing, ratio(s1.first),
                              ratio(s1.second)});
            t.rows.push_back({"", "batch 64, 1 thread: images/s", ips(tn->bb1, B), th ? ips(th->bb1, B) : no_torch,
                              dl ? ips(dl->bb1, B) : dl_missing, ratio(s2.first), ratio(s2.second)});
            t.rows.push_back({"", "batch 64, " + Ts + " threads: images/s", ips(tn->bbT, B),
                              th ? ips(th->bbT, B) : no_torch, dl ? std::string("no threads") : dl_missing,
                              ratio(s3.first), ratio(s3.second)});
            t.rows.push_back({"", "batch 64, " + Ts + " x 1-thread instances: images/s", ips(tn->bbDP, B), "-",
                              dl ? ips(dl->bbDP, B) : dl_missing, ratio(s4.first), ratio(s4.second)});
            if (m != model_id::m8 && th) min_infer_speedup = std::min(min_infer_speedup, s3.first);
        }
        t.notes.push_back("typenet / libtorch: how many times faster typenet is (time ratio; > 1 = typenet faster).");
        t.notes.push_back(Ts + " threads: typenet's own worker threads (model on tn::cpu{" + Ts +
                          "}, samples split over threads); libtorch at::set_num_threads(" + Ts + ") (intra-op).");
        t.notes.push_back(Ts + " x 1-thread instances: " + Ts + " models (tn::cpu{1}; dlib: net copies) on " + Ts +
                          " pinned std::threads, each over its share of the batch -- data-parallel, the ceiling for "
                          "batch throughput; its ratio is against libtorch's " + Ts + "-thread row. dlib has no threads of its own.");
        t.notes.push_back("libtorch: torch::InferenceMode, eval(), NCHW input prepared outside the timed loop; "
                          "outputs include the softmax.");
        if (const std::string bn = blas_note(); !bn.empty()) t.notes.push_back(bn);
        t.notes.push_back(others_note());
        t.print(stdout);
        tables.push_back(t);
        std::fflush(stdout);
    }

    // What the measured peak allows: each model's FLOPs at 100% of the FMA peak.
    {
        table t{"Whole models against the FMA peak (best of repeats)",
                {"model", "MFLOP / image", "batch-1 floor at 1-thread peak [us]", "typenet batch 1, 1T: % peak",
                 "typenet batch 64, 1T: % peak", "typenet batch 64, " + std::to_string(T) + "T: % peak",
                 "typenet batch 64, " + std::to_string(T) + " x 1T instances: % peak",
                 "libtorch batch 64, " + std::to_string(T) + "T: % peak", "2x libtorch needs: % of " + std::to_string(T) + "T peak"},
                {},
                {}};
        for (model_id m : all_models) {
            const double f = tn_side::flops_per_sample(m);
            const infer_row& r = tn_inf[m];
            const auto th = th_inf.find(m);
            const bool tv = th != th_inf.end() && th->second.bbT.valid();
            const double torch_frac = tv ? B * f / th->second.bbT.min_s / (peakT * 1e9) : NAN;
            t.rows.push_back({model_name(m), num(f * 1e-6), num(1e6 * f / (peak1 * 1e9)),
                              pct(f / r.b1.min_s / (peak1 * 1e9)), pct(B * f / r.bb1.min_s / (peak1 * 1e9)),
                              pct(B * f / r.bbT.min_s / (peakT * 1e9)), pct(B * f / r.bbDP.min_s / (peakT * 1e9)),
                              pct(torch_frac), pct(2 * torch_frac)});
            if (m != model_id::m8 && tv) infer_ceiling = std::min(infer_ceiling, 1 / torch_frac);
        }
        t.notes.push_back("FLOPs: typenet's Net::flops (multiply-add = 2, bias, activations, pooling and batch norm included); "
                          "libtorch's % uses the same count.");
        t.notes.push_back("Above 100% in the last column: no implementation can be 2x faster than libtorch there on this machine.");
        t.print(stdout);
        tables.push_back(t);
    }

    // How much typenet's speed depends on the layout of its buffers (see operator new above).
    {
        table t{"typenet vs the alignment of its buffers (1 thread, best)",
                {"every allocation at", "M2 batch 1 [us]", "M2 batch 64 [images/s]", "M10 batch 64 [images/s]"}, {}, {}};
        for (std::size_t off : {0, 16, 32, 48}) {
            alloc_offset = off;  // < 64
            const stats a = tn_side::infer(model_id::m2, 1, 1, opt), b = tn_side::infer(model_id::m2, B, 1, opt),
                        c = tn_side::infer(model_id::m10, B, 1, opt);
            alloc_offset = 0;
            t.rows.push_back({off == 0 ? std::string("64-byte boundary (all other tables)") : "64-byte boundary + " + std::to_string(off),
                              num(1e6 * a.min_s), num(B / b.min_s), num(B / c.min_s)});
        }
        t.notes.push_back("Every other allocation of the program is moved by the offset; the cpu policy's buffers are "
                          "64-byte aligned by typenet itself, so the rows should agree (before that, glibc's 16-byte "
                          "alignment gave one of them by chance).");
        t.notes.push_back(others_note());
        t.print(stdout);
        tables.push_back(t);
        std::fflush(stdout);
    }

    // ---- 4. Training step ---------------------------------------------------------------------------
    const int BT = 32;
    double min_train_speedup = INFINITY;
    std::map<model_id, tn_side::train_split> splits;
    {
        const std::string Ts = std::to_string(T);
        table t{"Training step, batch 32 (images/s, best | median)",
                {"model", "optimizer", "typenet 1 thread", "typenet " + Ts + " threads", "libtorch 1 thread",
                 "libtorch " + Ts + " threads", "typenet / libtorch 1T (best)", "typenet / libtorch " + Ts + "T (best)"},
                {},
                {}};
        for (model_id m : {model_id::m2, model_id::m10})
            for (bool adam : {false, true}) {
                const stats tn1 = tn_side::train(m, adam, BT, 1, opt), tnT = tn_side::train(m, adam, BT, T, opt);
                stats th1, thT;
#ifdef TYPENET_PERF_HAVE_TORCH
                const input_dims in = tn_side::input_of(m);
                th1 = torch_side::train(m, shared[m], in, adam, BT, 1, opt);
                thT = torch_best_of(m, [&](int blas) { return torch_side::train(m, shared[m], in, adam, BT, T, opt, blas); });
#endif
                auto ips = [&](const stats& s) { return s.valid() ? pair(BT / s.min_s, BT / s.median_s) : std::string("not built"); };
                const double r1 = th1.valid() ? th1.min_s / tn1.min_s : NAN, rT = thT.valid() ? thT.min_s / tnT.min_s : NAN;
                t.rows.push_back({model_name(m), adam ? "Adam" : "SGD", ips(tn1), ips(tnT), ips(th1), ips(thT), ratio(r1), ratio(rT)});
                if (thT.valid()) {
                    min_train_speedup = std::min(min_train_speedup, rT);
                    // A training step costs about 3x the forward FLOPs (forward, dW, dx).
                    train_ceiling = std::min(train_ceiling, peakT * 1e9 / (3 * tn_side::flops_per_sample(m) * BT / thT.min_s));
                }
                if (!adam) splits[m] = tn_side::train_breakdown(m, false, BT, opt);
            }
        t.notes.push_back("typenet: model::train_on_batch on tn::cpu{threads} (sparse categorical cross-entropy, Keras' "
                          "sgd{} / adam{}); libtorch: autograd, cross_entropy on the logits, torch::optim::SGD(0.01) / "
                          "Adam(1e-3, eps 1e-7), zero_grad + forward + backward + step. Both cycle through 8 random batches.");
        if (const std::string bn = blas_note(); !bn.empty()) t.notes.push_back(bn);
        t.notes.push_back(others_note());
        t.print(stdout);
        tables.push_back(t);

        table s{"typenet training step split (SGD, batch 32, 1 thread; ms, best)",
                {"model", "step", "train_forward", "backward", "loss + update", "backward share"}, {}, {}};
        for (auto& [m, sp] : splits) {
            const double f = sp.forward.min_s, fb = sp.forward_backward.min_s, st = sp.step.min_s;
            s.rows.push_back({model_name(m), num(1e3 * st), num(1e3 * f), num(1e3 * std::max(0.0, fb - f)),
                              num(1e3 * std::max(0.0, st - fb)), pct((fb - f) / st)});
        }
        s.notes.push_back("backward = (train_forward + backward) - train_forward; loss + update = step - (train_forward + backward).");
        s.print(stdout);
        tables.push_back(s);
        std::fflush(stdout);
    }

    // ---- 5. Per layer ---------------------------------------------------------------------------------
    double min_conv_fraction = INFINITY;
    {
        table t{"Per layer, batch 64, 1 thread (GFLOP/s from the best repeat; % of the 1-thread FMA peak)",
                {"model", "layer", "input -> output", "MFLOP", "typenet fwd ms (best | median)", "typenet fwd GFLOP/s",
                 "% peak", "typenet bwd GFLOP/s", "% peak", "libtorch fwd GFLOP/s", "% peak", "libtorch bwd GFLOP/s (derived)"},
                {},
                {}};
        table share{"Where the time goes: every layer of M2 and M10 alone (typenet, batch 64, 1 thread; best)",
                    {"model", "layer", "input -> output", "fwd ms", "fwd share", "fwd GFLOP/s", "bwd ms", "bwd share",
                     "bwd GFLOP/s"},
                    {},
                    {}};
        for (model_id m : all_models) {
            const bool all = m == model_id::m2 || m == model_id::m10;
            const auto rows = tn_side::layers(m, B, all, opt);
            double sum = 0, bsum = 0;
            for (const auto& r : rows) sum += r.fwd.min_s, bsum += r.bwd.min_s;
            for (const auto& r : rows) {
                const double gf = r.fwd_flops / r.fwd.min_s * 1e-9;
                const double bgf = r.bwd.valid() && r.desc.compute() ? r.bwd_flops / r.bwd.min_s * 1e-9 : NAN;
                if (all)
                    share.rows.push_back({model_name(m), r.desc.name, r.desc.shape_in + " -> " + r.desc.shape_out,
                                          num(1e3 * r.fwd.min_s), pct(r.fwd.min_s / sum),
                                          r.desc.compute() ? num(gf) : std::string("-"), num(1e3 * r.bwd.min_s),
                                          pct(r.bwd.min_s / bsum), r.desc.compute() ? num(bgf) : std::string("-")});
                if (!r.desc.compute()) continue;
                std::string tf = "-", tfp = "-", tb = "-";
#ifdef TYPENET_PERF_HAVE_TORCH
                const auto th = torch_side::layer(r.desc, B, !r.bwd_has_dx, opt);
                if (th.ok) {
                    const double g = r.fwd_flops / th.fwd.min_s * 1e-9;
                    tf = num(g);
                    tfp = pct(g / peak1);
                    const double bt = th.fwd_bwd.min_s - th.fwd.min_s;
                    if (bt > 0) tb = "~" + num(r.bwd_flops / bt * 1e-9);
                }
#endif
                t.rows.push_back({model_name(m), r.desc.name + (r.desc.activation.empty() ? "" : " (" + r.desc.activation + ")"),
                                  r.desc.shape_in + " -> " + r.desc.shape_out, num(r.fwd_flops * 1e-6),
                                  pair(1e3 * r.fwd.min_s, 1e3 * r.fwd.median_s), num(gf), pct(gf / peak1), num(bgf),
                                  pct(bgf / peak1), tf, tfp, tb});
                if (r.desc.kind == "conv2d" && r.desc.c >= 32) min_conv_fraction = std::min(min_conv_fraction, gf / peak1);
            }
        }
        t.notes.push_back("MFLOP: typenet's Net::flops of the one-layer network x 64 (multiply-add = 2; bias and activation included).");
        t.notes.push_back("typenet bwd: the cpu policy's backward kernel alone (dW and db, plus dx except for a model's "
                          "first layer), FLOP = 2 x MACs per product.");
        t.notes.push_back("libtorch: Conv2d / Linear (+ the layer's activation) alone, NCHW; bwd derived as "
                          "(forward + backward) - forward with autograd.");
        t.notes.push_back(others_note());
        share.notes.push_back("Shares are of the sum of the layers' times. bwd: the layer's backward kernel after its "
                              "training-mode forward (batch norm with batch statistics), an input gradient except for "
                              "the first layer; each bwd time includes a copy of the output gradient (the kernels may "
                              "overwrite it).");
        t.print(stdout);
        share.print(stdout);
        tables.push_back(t);
        tables.push_back(share);
    }

    // ---- 6. Targets of the issue (reported, never asserted) -------------------------------------------------
    const double m2_b1_us = 1e6 * tn_inf[model_id::m2].b1.min_s;
    {
        table t{"Targets (reported, not asserted)", {"target", "measured", "status", "at 100% of the FMA peak"}, {}, {}};
        auto st = [](bool ok) { return std::string(ok ? "met" : "not met"); };
        t.rows.push_back({"inference >= 2x libtorch images/s, batch 64, " + std::to_string(T) + " threads, M1 M2 M10",
                          have_torch ? "min " + ratio(min_infer_speedup) : "n/a",
                          have_torch ? st(min_infer_speedup >= 2) : "n/a", have_torch ? "min " + ratio(infer_ceiling) : "n/a"});
        t.rows.push_back({"M2 batch-1 latency, 1 thread <= 30 us", num(m2_b1_us) + " us", st(m2_b1_us <= 30),
                          num(1e6 * tn_side::flops_per_sample(model_id::m2) / (peak1 * 1e9)) + " us"});
        t.rows.push_back({"conv layers with >= 32 input channels >= 75% of FMA peak, batch 64",
                          "min " + pct(min_conv_fraction), st(min_conv_fraction >= 0.75), "100%"});
        t.rows.push_back({"training step >= 2x libtorch images/s, M2 M10, SGD and Adam, batch 32, " + std::to_string(T) + " threads",
                          have_torch ? "min " + ratio(min_train_speedup) : "n/a",
                          have_torch ? st(min_train_speedup >= 2) : "n/a", have_torch ? "min ~" + ratio(train_ceiling) : "n/a"});
        t.notes.push_back("Last column: the best value any implementation could reach here -- the model's FLOPs at the measured "
                          "peak (inference: against libtorch's measured time; training: ~3x the forward FLOPs per image).");
        t.print(stdout);
        tables.push_back(t);
    }

    const cpu_sample cpu1 = sample_cpu();
    const double wall = seconds_since(t_start);
    const double machine_busy = (cpu1.busy - cpu0.busy) / std::max(1.0, cpu1.total - cpu0.total);
    const double self_share = (cpu1.self_s - cpu0.self_s) / (wall * std::thread::hardware_concurrency());
    std::printf("\nchecks     : %s\n", !have_torch && !have_dlib ? "nothing compared (neither libtorch nor dlib is built in)"
                                      : checks_ok                ? "all outputs agree"
                                                                 : "SOME OUTPUTS DIFFER (see the table above)");
#if PERF_PEAK_X86
    // The host's clock can drop when its other guests are busy -- invisible to /proc/stat here.
    std::printf("clock      : %.2f GHz at the start, %.2f GHz at the end (dependent integer adds)\n", clock_start,
                peak::clock_ghz(a.quick ? 0.005 : 0.05));
#endif
    std::printf("run        : %.1f s; load avg %s at start, %s at end; CPU busy %.0f%% of the machine, of which "
                "this process %.0f%% -> other processes ~%.0f%%\n",
                wall, load0.c_str(), load_average().c_str(), 100 * machine_busy, 100 * self_share,
                100 * std::max(0.0, machine_busy - self_share));

    if (!a.markdown.empty()) {
        std::ofstream md(a.markdown);
        for (const auto& t : tables) md << t.markdown();
    }

    auto val = [](double v, const char* f) { return std::isfinite(v) ? fmt(f, v) : std::string("n/a"); };
    std::printf("SUMMARY min_infer_speedup_vs_libtorch=%s min_train_speedup_vs_libtorch=%s m2_batch1_us=%s "
                "min_conv_peak_fraction=%s\n",
                val(min_infer_speedup, "%.3f").c_str(), val(min_train_speedup, "%.3f").c_str(),
                val(m2_b1_us, "%.1f").c_str(), val(min_conv_fraction, "%.3f").c_str());
    return 0;
}
