// bench/perf/peak.hpp: the machine's FP32 FMA peak, measured. Independent chains of vector FMAs
// (acc = acc * a + b, each chain depending only on itself, more chains than the FMA latency times
// the number of FMA pipes) held in registers, for 256-bit (AVX2 + FMA) and 512-bit (AVX-512F)
// vectors, on 1 thread and on N threads at once (std::thread, started together at a barrier).
// GFLOP/s counts an FMA as 2 floating-point operations per lane. The code paths carry their own
// target attributes and are chosen at run time, so this builds with or without -march=native.
//
// Also a clock estimate: a chain of dependent integer adds runs at one add per cycle, so
// adds per second is the core clock while the chain runs; peak / clock gives FLOP per cycle, a
// sanity check on the peak (Zen 4: two 256-bit FMA pipes, 32 FP32 FLOP per cycle).
#pragma once

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PERF_PEAK_X86 1
#else
#define PERF_PEAK_X86 0
#endif

namespace perf::peak {

#if PERF_PEAK_X86
// 12 chains of 8 lanes: 12 of the 16 ymm registers, plus the two constants.
__attribute__((target("avx2,fma"), noinline)) inline float fma_avx2(long iters) {
    constexpr int N = 12;
    __m256 acc[N];
    for (int j = 0; j < N; ++j) acc[j] = _mm256_set1_ps(0.001f * float(j + 1));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 32
        for (int j = 0; j < N; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
    }
    __m256 s = acc[0];
    for (int j = 1; j < N; ++j) s = _mm256_add_ps(s, acc[j]);
    alignas(32) float out[8];
    _mm256_store_ps(out, s);
    return out[0] + out[7];
}
inline constexpr double avx2_flops_per_iter = 12 * 8 * 2;

// 24 chains of 16 lanes: 24 of the 32 zmm registers.
__attribute__((target("avx512f"), noinline)) inline float fma_avx512(long iters) {
    constexpr int N = 24;
    __m512 acc[N];
    for (int j = 0; j < N; ++j) acc[j] = _mm512_set1_ps(0.001f * float(j + 1));
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 32
        for (int j = 0; j < N; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    }
    __m512 s = acc[0];
    for (int j = 1; j < N; ++j) s = _mm512_add_ps(s, acc[j]);
    alignas(64) float out[16];
    _mm512_store_ps(out, s);
    return out[0] + out[15];
}
inline constexpr double avx512_flops_per_iter = 24 * 16 * 2;

inline bool has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
inline bool has_avx512f() { return __builtin_cpu_supports("avx512f"); }

// Dependent integer adds: one per cycle.
inline double clock_ghz(double seconds = 0.05) {
    std::uint64_t x = 0;
    long iters = 1000;
    for (;;) {
        const auto t0 = steady::now();
        for (long i = 0; i < iters; ++i) asm volatile(".rept 100\n\taddq $1, %0\n\t.endr" : "+r"(x));
        const double t = seconds_since(t0);
        if (t >= seconds) return double(iters) * 100.0 / t * 1e-9;
        iters = long(double(iters) * std::max(2.0, 1.2 * seconds / std::max(t, 1e-6)));
    }
}
#endif

struct result {
    std::string isa;         // "AVX2+FMA (256-bit)" / "AVX-512F (512-bit)"
    int threads = 1;
    double best_gflops = 0;  // from the fastest repeat
    double median_gflops = 0;
    bool valid() const { return best_gflops > 0; }
};

// Run the chain kernel on `threads` threads at once; GFLOP/s of all threads together.
inline result measure(bool avx512, int threads, const options& opt) {
    result r;
#if PERF_PEAK_X86
    if (avx512 ? !has_avx512f() : !has_avx2_fma()) return r;
    r.isa = avx512 ? "AVX-512F (512-bit)" : "AVX2+FMA (256-bit)";
    r.threads = threads;
    const double fpi = avx512 ? avx512_flops_per_iter : avx2_flops_per_iter;
    auto kernel = [avx512](long iters) { return avx512 ? fma_avx512(iters) : fma_avx2(iters); };
    // Calibrate on one thread: iterations for about opt.rep_s seconds (at least 10 ms, so that
    // starting the threads is negligible even in --quick mode).
    const double rep_s = std::max(opt.rep_s, 0.01);
    long iters = 100000;
    for (;;) {
        const auto t0 = steady::now();
        volatile float sink = kernel(iters);
        (void)sink;
        const double t = seconds_since(t0);
        if (t >= 0.2 * rep_s) {
            iters = std::max<long>(1000, long(double(iters) * rep_s / t));
            break;
        }
        iters *= 4;
    }
    std::vector<double> gf;
    const int reps = std::max(opt.reps, 3);
    for (int rep = 0; rep < reps + 1; ++rep) {  // the first repeat is a warm-up (clock ramp)
        std::barrier<> go(threads);
        std::vector<std::thread> ts;
        std::vector<steady::time_point> begin(static_cast<std::size_t>(threads)), end(static_cast<std::size_t>(threads));
        std::vector<float> sink(std::size_t(threads), 0.f);
        for (int t = 0; t < threads; ++t)
            ts.emplace_back([&, t] {
                go.arrive_and_wait();
                begin[std::size_t(t)] = steady::now();
                sink[std::size_t(t)] = kernel(iters);
                end[std::size_t(t)] = steady::now();
            });
        for (auto& t : ts) t.join();
        // Wall time from the first thread's start to the last thread's end.
        const double s = std::chrono::duration<double>(*std::max_element(end.begin(), end.end()) -
                                                       *std::min_element(begin.begin(), begin.end()))
                             .count();
        if (rep > 0) gf.push_back(fpi * double(iters) * threads / s * 1e-9);
    }
    std::sort(gf.begin(), gf.end());
    r.best_gflops = gf.back();
    r.median_gflops = gf.size() % 2 ? gf[gf.size() / 2] : 0.5 * (gf[gf.size() / 2 - 1] + gf[gf.size() / 2]);
#else
    (void)avx512, (void)threads, (void)opt;
#endif
    return r;
}

}  // namespace perf::peak
