// cpu policy: the host policy with worker threads and heap scratch (model<Net, cpu>, training).
// The kernels and their dispatch are basic_cpu's (backend/cpu/basic_policy.hpp); this header adds
// only what needs an operating system: threads (<thread>, <mutex>) and the training scratch.
#pragma once

#include <memory>
#include <thread>

#include "basic_policy.hpp"
#include "threads.hpp"

namespace typenet {

namespace cpu_detail {

// cpu{} uses every hardware thread; cpu{1} one (no worker threads are ever created); cpu{n} n.
// Work is split over samples (or over disjoint blocks of a gradient), never oversubscribed, and
// identical for a given count.
class pooled_host {
public:
    explicit pooled_host(int threads = 0) : threads_(threads > 0 ? threads : default_threads()) {}
    pooled_host(pooled_host&&) noexcept = default;
    pooled_host& operator=(pooled_host&&) noexcept = default;
    int threads() const { return threads_; }
    static int default_threads() {
        const unsigned h = std::thread::hardware_concurrency();
        return h == 0 ? 1 : int(h);
    }

    // Starts the worker threads now (model::reserve does), so no later call allocates.
    void prepare() {
        if (threads_ > 1 && !pool_) pool_ = std::make_unique<worker_pool>(threads_);
    }

    // f(begin, end) over [0, count) in contiguous slices, one per thread.
    template <class F>
    void parallel(index_t count, F&& f) {
        if (threads_ <= 1 || count <= 1) {
            if (count > 0) f(index_t(0), count);
            return;
        }
        prepare();  // once per policy
        pool_->run(count, f);
    }

    // Kernel scratch owned by the policy object: grows to the largest request, then is reused
    // (no allocation per training step after the first).
    unsigned char* scratch(index_t bytes) {
        if (bytes > scratch_size_) {
            scratch_ = allocate<unsigned char>(bytes);
            scratch_size_ = bytes;
        }
        return scratch_.get();
    }

private:
    int threads_ = 1;
    std::unique_ptr<worker_pool> pool_;
    std::unique_ptr<unsigned char[], aligned_delete> scratch_;
    index_t scratch_size_ = 0;
};

}  // namespace cpu_detail

// The host policy: model<Net, cpu>.
using cpu = basic_cpu<cpu_detail::pooled_host>;

}  // namespace typenet
