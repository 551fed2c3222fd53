#pragma once
/// \file
/// `accelnas::thread_pool`: fork-join parallelism over index ranges on a fixed set of threads.

#include <accelnas/core/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace accelnas {

/// Splits index ranges over a fixed set of threads: the caller and threads - 1 workers take chunks
/// from a shared counter, so a worker that the OS schedules late (a busy shared machine) does not
/// hold the others up - the caller takes its chunks. Workers spin for a while between calls before
/// they sleep: a training step makes about a hundred short parallel calls, and waking a sleeping
/// thread costs tens of microseconds on a virtual machine. One thread means no workers at all.
/// The one pool of accelnas: the trainer's kernels (`run`, many short calls) and the search driver
/// (`parallel_for`, one candidate per index) both use it.
class thread_pool {
public:
    /// A pool of `threads` threads in all, the caller's included (at least 1).
    explicit thread_pool(std::size_t threads = 1) { set_threads(threads); }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() { stop(); }

    /// Changes the thread count (0 is rejected: say how many threads).
    void set_threads(std::size_t threads) {
        require(threads >= 1, "thread_pool: thread count must be at least 1, got ", threads);
        stop();
        threads_ = threads;
        st_ = std::make_unique<state>();
        st_->errors.resize(threads);
        for (std::size_t th = 1; th < threads; ++th) workers_.emplace_back([this, th] { work(th); });
    }
    /// Number of threads work is split over (the caller's included).
    std::size_t threads() const noexcept { return threads_; }
    /// Number of chunks `run(n, ...)` splits [0, n) into.
    std::size_t chunks_for(std::size_t n) const noexcept {
        return std::min(n, threads_) <= 1 ? 1 : std::min(n, 4 * threads_);
    }
    /// Index of the chunk of a `run(n, ...)` over `chunks` chunks that starts at `lo`: partial results
    /// kept per chunk (not per thread) and summed in chunk order are the same whichever thread ran
    /// which chunk, so results do not depend on scheduling.
    static std::size_t chunk_index(std::size_t lo, std::size_t n, std::size_t chunks) noexcept {
        return (lo * chunks + n - 1) / n;
    }

    /// Calls `f(lo, hi, thread)` on contiguous chunks covering [0, n) and waits; `thread` <
    /// min(n, threads()) identifies the calling thread (one thread may get several chunks, so
    /// per-thread partial results must accumulate). The first exception of any chunk is rethrown.
    /// Not reentrant: one caller at a time.
    template <class F>
    void run(std::size_t n, F&& f) {
        run_chunks(n, std::min(n, 4 * threads_), f);
    }

    /// Calls `body(i)` for every i in [begin, end), each index its own chunk (for coarse, uneven tasks
    /// such as training one candidate each: a free thread takes the next index), and waits; the first
    /// exception is rethrown after all indices finished or were skipped.
    template <class Body>
    void parallel_for(std::size_t begin, std::size_t end, Body&& body) {
        if (end <= begin) return;
        auto chunk = [&](std::size_t lo, std::size_t hi, std::size_t) {
            for (std::size_t i = lo; i < hi; ++i) body(begin + i);
        };
        run_chunks(end - begin, end - begin, chunk);
    }

    /// Calls `f(thread)` once on every thread of the pool at the same time (the caller is thread 0)
    /// and waits for all. For parts that wait for each other (a barrier inside): `run` lets the caller
    /// take the chunks of a worker the OS has not scheduled yet, which would deadlock them. The first
    /// exception (lowest thread) is rethrown.
    template <class F>
    void run_team(F&& f) {
        if (threads_ == 1) {
            f(std::size_t{0});
            return;
        }
        auto& s = *st_;
        s.team = true;
        ++s.team_call;
        s.done.store(0, std::memory_order_relaxed);
        s.workers = threads_;
        s.ctx = &f;
        s.call = [](void* ctx, std::size_t, std::size_t, std::size_t th) { (*static_cast<std::remove_reference_t<F>*>(ctx))(th); };
        s.joined.fetch_and(~closed, std::memory_order_release);
        s.generation.fetch_add(1, std::memory_order_release);
        {
            std::lock_guard lock(s.m);
        }
        s.cv.notify_all();
        try {
            f(std::size_t{0});
        } catch (...) {
            s.errors[0] = std::current_exception();
        }
        wait_until([&] { return s.done.load(std::memory_order_acquire) == threads_ - 1; });
        s.joined.fetch_or(closed, std::memory_order_acq_rel);
        wait_until([&] { return (s.joined.load(std::memory_order_acquire) & ~closed) == 0; });
        s.team = false;
        rethrow_first();
    }

private:
    // Spins, then yields, then sleeps until `ready()`: a call whose parts are long must not keep a
    // core busy waiting for the last of them.
    template <class Ready>
    static void wait_until(Ready&& ready) {
        for (std::size_t i = 0; !ready(); ++i) {
            cpu_relax();
            if (i > 16384) std::this_thread::sleep_for(std::chrono::microseconds(100));
            else if (i > 4096) std::this_thread::yield();
        }
    }
    void rethrow_first() {
        auto& s = *st_;
        for (auto& e : s.errors)
            if (e) {
                auto first = e;
                for (auto& x : s.errors) x = nullptr;
                std::rethrow_exception(first);
            }
    }

    template <class F>
    void run_chunks(std::size_t n, std::size_t chunk_count, F& f) {
        if (n == 0) return;
        const std::size_t workers = std::min(n, threads_);
        if (workers == 1) {
            f(std::size_t{0}, n, std::size_t{0});
            return;
        }
        auto& s = *st_;
        s.n = n;
        s.chunks = chunk_count;
        s.workers = workers;
        s.next.store(0, std::memory_order_relaxed);
        s.ctx = &f;
        s.call = [](void* ctx, std::size_t lo, std::size_t hi, std::size_t th) {
            (*static_cast<F*>(ctx))(lo, hi, th);
        };
        s.joined.fetch_and(~closed, std::memory_order_release);  // open: workers may join
        s.generation.fetch_add(1, std::memory_order_release);
        {
            std::lock_guard lock(s.m);  // pairs with the sleepers' predicate check
        }
        s.cv.notify_all();
        chunks(0);
        // Close, then wait only for the workers that joined: a worker the OS has not scheduled yet
        // never holds the call up (the caller has done its chunks).
        s.joined.fetch_or(closed, std::memory_order_acq_rel);
        wait_until([&] { return (s.joined.load(std::memory_order_acquire) & ~closed) == 0; });
        rethrow_first();
    }

    struct state {
        std::atomic<std::uint64_t> generation{0};
        std::atomic<std::size_t> next{0};
        std::atomic<std::uint64_t> joined{closed};  ///< workers inside the current call, | closed
        std::atomic<std::size_t> done{0};           ///< workers finished with the current team call
        bool team = false;                          ///< the current call is a `run_team`
        std::uint64_t team_call = 0;                ///< number of the current team call (from 1)
        std::size_t n = 0, chunks = 0, workers = 0;
        void* ctx = nullptr;
        void (*call)(void*, std::size_t, std::size_t, std::size_t) = nullptr;
        std::vector<std::exception_ptr> errors;
        std::mutex m;
        std::condition_variable cv;
        bool stopping = false;
    };

    static constexpr std::uint64_t closed = std::uint64_t{1} << 62;

    static void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    void chunks(std::size_t th) {
        auto& s = *st_;
        try {
            for (std::size_t c; (c = s.next.fetch_add(1, std::memory_order_relaxed)) < s.chunks;)
                s.call(s.ctx, s.n * c / s.chunks, s.n * (c + 1) / s.chunks, th);
        } catch (...) {
            s.errors[th] = std::current_exception();
            s.next.store(s.chunks, std::memory_order_relaxed);
        }
    }

    void work(std::size_t th) {
        auto& s = *st_;
        std::uint64_t seen = 0, ran_team = 0;
        for (;;) {
            std::uint64_t g = s.generation.load(std::memory_order_acquire);
            for (std::size_t i = 0; g == seen; ++i) {
                if (i < (std::size_t{1} << 15)) {  // spin about a millisecond: the next call is near
                    cpu_relax();
                    g = s.generation.load(std::memory_order_acquire);
                } else {
                    std::unique_lock lock(s.m);
                    s.cv.wait(lock, [&] { return s.stopping || s.generation.load() != seen; });
                    if (s.stopping) return;
                    g = s.generation.load(std::memory_order_acquire);
                }
            }
            seen = g;
            if (s.joined.fetch_add(1, std::memory_order_acq_rel) & closed) {  // too late for that call
                s.joined.fetch_sub(1, std::memory_order_release);
                std::lock_guard lock(s.m);
                if (s.stopping) return;
                continue;
            }
            if (s.team) {
                // Once per team call, even when this worker saw an older generation first.
                if (ran_team == s.team_call) {
                    s.joined.fetch_sub(1, std::memory_order_release);
                    continue;
                }
                ran_team = s.team_call;
                try {
                    s.call(s.ctx, 0, 0, th);
                } catch (...) {
                    s.errors[th] = std::current_exception();
                }
                s.done.fetch_add(1, std::memory_order_acq_rel);
            } else if (th < s.workers) {
                chunks(th);
            }
            s.joined.fetch_sub(1, std::memory_order_release);
        }
    }

    void stop() {
        if (st_) {
            {
                std::lock_guard lock(st_->m);
                st_->stopping = true;
            }
            st_->generation.fetch_add(1);
            st_->cv.notify_all();
        }
        for (auto& w : workers_) w.join();
        workers_.clear();
    }

    std::size_t threads_ = 1;
    std::unique_ptr<state> st_;
    std::vector<std::thread> workers_;
};

}  // namespace accelnas
