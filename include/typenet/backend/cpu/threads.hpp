// threads: the CPU policy's worker threads. A fixed set of persistent workers (created on first
// use, never per call) runs contiguous slices of an index range; the calling thread takes the
// first slice. No allocation per call, no work stealing: slice i always goes to the same thread,
// so results are bit-identical for a given thread count.
//
// A training step hands out dozens of small jobs (one per layer, one per chunk of a conv kernel
// gradient), so handing one out must cost far less than a sleep/wake through the kernel (tens of
// microseconds in a VM: with condition variables alone two threads trained M2 slower than one).
// Waiting threads therefore spin on an atomic for a bounded time (spin_limit pauses, ~0.1 ms)
// before they block on a condition variable; a pool that stays idle longer sleeps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../../core/config.hpp"

namespace typenet::cpu_detail {

inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

class worker_pool {
public:
    static constexpr int spin_limit = 1 << 12;

    explicit worker_pool(int threads) : n_(threads < 1 ? 1 : threads) {
        for (int i = 1; i < n_; ++i) workers_.emplace_back([this, i] { loop(i); });
    }
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;
    ~worker_pool() {
        {
            std::lock_guard<std::mutex> lock(m_);
            stop_.store(true, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        for (auto& t : workers_) t.join();
    }
    int size() const { return n_; }

    // Runs f(begin, end) over [0, count) split into size() contiguous slices (fewer when count is
    // small); returns when every slice is done. The template only erases f's type: the hand-out is
    // one function for every job (it was instantiated per kernel lambda: 126 copies of ~700 bytes
    // per instruction set in the resnet example).
    template <class F>
    void run(index_t count, F& f) {
        run_erased(count, [](void* ctx, index_t b, index_t e) { (*static_cast<F*>(ctx))(b, e); }, &f);
    }

    void run_erased(index_t count, void (*fn)(void*, index_t, index_t), void* ctx) {
        const index_t parts = count < n_ ? count : n_;
        if (parts <= 1) {
            if (count > 0) fn(ctx, index_t(0), count);
            return;
        }
        // The job is published by the generation's release store; every worker (taking a slice or
        // not) acknowledges it through pending_, so no worker can still be reading it when the next
        // job overwrites it.
        fn_ = fn;
        ctx_ = ctx;
        count_ = count;
        parts_ = parts;
        pending_.store(n_ - 1, std::memory_order_relaxed);
        bool sleepers;
        {
            std::lock_guard<std::mutex> lock(m_);
            generation_.fetch_add(1, std::memory_order_release);
            sleepers = sleeping_ > 0;
        }
        if (sleepers) wake_.notify_all();
        fn(ctx, index_t(0), slice_end(0));
        for (int i = 0; i < spin_limit && pending_.load(std::memory_order_acquire) != 0; ++i) spin_pause();
        if (pending_.load(std::memory_order_acquire) != 0) {
            std::unique_lock<std::mutex> lock(m_);
            done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
        }
    }

private:
    index_t slice_begin(index_t i) const { return count_ * i / parts_; }
    index_t slice_end(index_t i) const { return count_ * (i + 1) / parts_; }

    void loop(int id) {
        std::uint64_t seen = 0;
        for (;;) {
            std::uint64_t g = generation_.load(std::memory_order_acquire);
            for (int i = 0; i < spin_limit && g == seen; ++i) {
                spin_pause();
                g = generation_.load(std::memory_order_acquire);
            }
            if (g == seen) {
                std::unique_lock<std::mutex> lock(m_);
                ++sleeping_;
                wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
                --sleeping_;
                g = generation_.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop_.load(std::memory_order_relaxed)) return;  // written before the generation
            if (id < parts_) fn_(ctx_, slice_begin(id), slice_end(id));
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> lock(m_);  // the caller may be about to wait
                done_.notify_one();
            }
        }
    }

    int n_;
    std::vector<std::thread> workers_;
    std::mutex m_;
    std::condition_variable wake_, done_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    int sleeping_ = 0;  // workers blocked on wake_ (under m_)
    std::atomic<bool> stop_{false};
    void (*fn_)(void*, index_t, index_t) = nullptr;
    void* ctx_ = nullptr;
    index_t count_ = 0, parts_ = 0;
};

}  // namespace typenet::cpu_detail
