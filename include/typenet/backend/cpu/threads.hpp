// threads: the CPU policy's worker threads. A fixed set of persistent workers (created on first
// use, never per call) runs contiguous slices of an index range; the calling thread takes the
// first slice. No allocation per call, no work stealing: slice i always goes to the same thread,
// so results are bit-identical for a given thread count.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../../core/config.hpp"

namespace typenet::cpu_detail {

class worker_pool {
public:
    explicit worker_pool(int threads) : n_(threads < 1 ? 1 : threads) {
        for (int i = 1; i < n_; ++i) workers_.emplace_back([this, i] { loop(i); });
    }
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;
    ~worker_pool() {
        {
            std::lock_guard<std::mutex> lock(m_);
            stop_ = true;
            ++generation_;
        }
        wake_.notify_all();
        for (auto& t : workers_) t.join();
    }
    int size() const { return n_; }

    // Runs f(begin, end) over [0, count) split into size() contiguous slices (fewer when count is
    // small); returns when every slice is done.
    template <class F>
    void run(index_t count, F& f) {
        const index_t parts = count < n_ ? count : n_;
        if (parts <= 1) {
            if (count > 0) f(index_t(0), count);
            return;
        }
        {
            std::lock_guard<std::mutex> lock(m_);
            fn_ = [](void* ctx, index_t b, index_t e) { (*static_cast<F*>(ctx))(b, e); };
            ctx_ = &f;
            count_ = count;
            parts_ = parts;
            pending_ = int(parts) - 1;
            ++generation_;
        }
        wake_.notify_all();
        f(index_t(0), slice_end(0));
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [this] { return pending_ == 0; });
    }

private:
    index_t slice_begin(index_t i) const { return count_ * i / parts_; }
    index_t slice_end(index_t i) const { return count_ * (i + 1) / parts_; }

    void loop(int id) {
        std::uint64_t seen = 0;
        for (;;) {
            void (*fn)(void*, index_t, index_t);
            void* ctx;
            index_t b, e;
            {
                std::unique_lock<std::mutex> lock(m_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                if (stop_) return;
                if (id >= parts_) continue;  // fewer slices than threads this time
                fn = fn_;
                ctx = ctx_;
                b = slice_begin(id);
                e = slice_end(id);
            }
            fn(ctx, b, e);
            {
                std::lock_guard<std::mutex> lock(m_);
                if (--pending_ == 0) done_.notify_one();
            }
        }
    }

    int n_;
    std::vector<std::thread> workers_;
    std::mutex m_;
    std::condition_variable wake_, done_;
    std::uint64_t generation_ = 0;
    bool stop_ = false;
    void (*fn_)(void*, index_t, index_t) = nullptr;
    void* ctx_ = nullptr;
    index_t count_ = 0, parts_ = 0;
    int pending_ = 0;
};

}  // namespace typenet::cpu_detail
