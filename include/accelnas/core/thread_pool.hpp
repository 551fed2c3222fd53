#pragma once
/// \file
/// A small fixed-size thread pool with `submit` (futures) and a blocking `parallel_for`.

#include <accelnas/core/error.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <type_traits>
#include <vector>

namespace accelnas {

/// Fixed set of worker threads consuming a FIFO of tasks. Destruction waits for queued tasks.
class thread_pool {
public:
    /// Starts `threads` workers (at least 1; 0 means std::thread::hardware_concurrency()).
    explicit thread_pool(std::size_t threads = 0) {
        if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
        workers_.reserve(threads);
        for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : workers_) t.join();
    }

    /// Number of worker threads.
    std::size_t size() const noexcept { return workers_.size(); }

    /// Queues `f()`; the future carries its result or its exception.
    template <class F>
    auto submit(F f) -> std::future<std::invoke_result_t<F>> {
        using R = std::invoke_result_t<F>;
        auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
        auto fut = task->get_future();
        {
            std::lock_guard lock(mutex_);
            require(!stopping_, "thread_pool: submit after shutdown");
            queue_.emplace([task] { (*task)(); });
        }
        cv_.notify_one();
        return fut;
    }

    /// Runs `body(i)` for i in [begin, end) in contiguous chunks on the pool and waits; the first
    /// exception thrown by a chunk is rethrown here after all chunks finished.
    template <class Body>
    void parallel_for(std::size_t begin, std::size_t end, Body&& body) {
        if (end <= begin) return;
        const std::size_t n = end - begin, chunks = std::min(n, size());
        std::vector<std::future<void>> futs;
        futs.reserve(chunks);
        for (std::size_t c = 0; c < chunks; ++c) {
            const std::size_t lo = begin + n * c / chunks, hi = begin + n * (c + 1) / chunks;
            futs.push_back(submit([lo, hi, &body] {
                for (std::size_t i = lo; i < hi; ++i) body(i);
            }));
        }
        std::exception_ptr first;
        for (auto& f : futs) {
            try { f.get(); } catch (...) { if (!first) first = std::current_exception(); }
        }
        if (first) std::rethrow_exception(first);
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop();
            }
            job();
        }
    }

    std::vector<std::thread> workers_;
    std::queue<std::function<void()>> queue_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

}  // namespace accelnas
