#pragma once
/// \file
/// Reverse-mode automatic differentiation: a flat tape of nodes in creation order, swept once
/// backwards (Adept-2 style). Every value is an NHWC `xt::xtensor<float, 4>` (vectors and scalars are
/// 1x1x1xC and 1x1x1x1), so one node type serves all ops. `tape::clear` keeps the nodes and their
/// buffers, so recording the same network again allocates nothing.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <string>
#include <vector>

namespace accelnas::train {

/// The value type of every tape node: an NHWC tensor of floats.
using tensor = xt::xtensor<float, 4>;
/// A 4-D shape.
using shape4 = std::array<std::size_t, 4>;

/// Number of elements of a 4-D shape.
inline std::size_t elements(const shape4& s) noexcept { return s[0] * s[1] * s[2] * s[3]; }
/// The shape of a tensor as a `shape4`.
inline shape4 shape_of(const tensor& t) noexcept { return {t.shape()[0], t.shape()[1], t.shape()[2], t.shape()[3]}; }

/// Splits index ranges over a fixed set of threads: the caller and threads - 1 workers take chunks
/// from a shared counter, so a worker that the OS schedules late (a busy shared machine) does not
/// hold the others up - the caller takes its chunks. Workers spin for a while between calls before
/// they sleep: a training step makes about a hundred short parallel calls, and waking a sleeping
/// thread costs tens of microseconds on a virtual machine. One thread means no workers at all.
class executor {
public:
    /// An executor using `threads` threads in all (at least 1).
    explicit executor(std::size_t threads = 1) { set_threads(threads); }
    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;
    ~executor() { stop(); }

    /// Changes the thread count (0 is rejected: say how many threads).
    void set_threads(std::size_t threads) {
        require(threads >= 1, "train::executor: thread count must be at least 1, got ", threads);
        stop();
        threads_ = threads;
        st_ = std::make_unique<state>();
        st_->errors.resize(threads);
        for (std::size_t th = 1; th < threads; ++th) workers_.emplace_back([this, th] { work(th); });
    }
    /// Number of threads work is split over.
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
        if (n == 0) return;
        const std::size_t workers = std::min(n, threads_);
        if (workers == 1) {
            f(std::size_t{0}, n, std::size_t{0});
            return;
        }
        auto& s = *st_;
        s.n = n;
        s.chunks = std::min(n, 4 * threads_);
        s.workers = workers;
        s.next.store(0, std::memory_order_relaxed);
        s.ctx = &f;
        s.call = [](void* ctx, std::size_t lo, std::size_t hi, std::size_t th) {
            (*static_cast<std::remove_reference_t<F>*>(ctx))(lo, hi, th);
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
        for (std::size_t i = 0; (s.joined.load(std::memory_order_acquire) & ~closed) != 0; ++i) {
            cpu_relax();
            if (i > 4096) std::this_thread::yield();
        }
        for (auto& e : s.errors)
            if (e) {
                auto first = e;
                for (auto& x : s.errors) x = nullptr;
                std::rethrow_exception(first);
            }
    }

private:
    struct state {
        std::atomic<std::uint64_t> generation{0};
        std::atomic<std::size_t> next{0};
        std::atomic<std::uint64_t> joined{closed};  ///< workers inside the current call, | closed
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
        std::uint64_t seen = 0;
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
            if (th < s.workers) chunks(th);
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

class tape;

/// Handle to one node of a tape (the tape and the node's index).
struct var {
    tape* owner = nullptr;
    std::size_t id = 0;
};

/// One recorded value: its tensor, its gradient (allocated on first use), its parents and the
/// function that pushes its gradient to them.
struct node {
    tensor own_value;                          ///< value when the node owns it
    tensor own_grad;                           ///< gradient buffer, kept across `tape::clear`
    tensor* ext_value = nullptr;               ///< value of an external parameter (not owned)
    tensor* ext_grad = nullptr;                ///< gradient of an external parameter (accumulated)
    bool requires_grad = false;                ///< gradients flow into this node
    bool has_grad = false;                     ///< the gradient buffer holds this recording's gradient
    std::vector<std::size_t> parents;          ///< input nodes
    std::function<void(tape&, node&)> backward;///< pushes this node's gradient to its parents
    std::vector<float> aux;                    ///< saved data for backward (statistics, masks), reused
    std::vector<std::int32_t> iaux;            ///< saved indices for backward (max-pool argmax), reused

    /// The node's value.
    tensor& value() noexcept { return ext_value ? *ext_value : own_value; }
    /// The node's gradient buffer (valid when has_grad).
    tensor& grad() noexcept { return ext_grad ? *ext_grad : own_grad; }
};

/// A flat tape of nodes in creation order. Not thread-safe: one tape per training thread (ops use
/// the tape's executor to spread their kernels over threads).
class tape {
public:
    /// A tape whose kernels run on `threads` threads.
    explicit tape(std::size_t threads = 1) : exec_(threads) { scratch_.resize(4 * threads); }
    tape(const tape&) = delete;
    tape& operator=(const tape&) = delete;

    /// Forgets all nodes but keeps their buffers for the next recording.
    void clear() noexcept {
        for (std::size_t i = 0; i < size_; ++i) {
            auto& n = *nodes_[i];
            n.ext_value = n.ext_grad = nullptr;
            n.has_grad = false;
            n.requires_grad = false;
            n.parents.clear();
            n.backward = nullptr;
        }
        size_ = 0;
    }
    /// Number of nodes recorded since the last clear.
    std::size_t size() const noexcept { return size_; }

    /// True while operations record backward functions (see `pause_recording`).
    bool recording() const noexcept { return recording_; }
    /// Switches recording of backward functions on or off.
    void set_recording(bool on) noexcept { recording_ = on; }

    /// The executor kernels use.
    train::executor& executor() noexcept { return exec_; }
    /// Number of threads kernels use.
    std::size_t threads() const noexcept { return exec_.threads(); }
    /// Changes the number of threads kernels use (at least 1).
    void set_threads(std::size_t threads) {
        exec_.set_threads(threads);
        if (scratch_.size() < 4 * threads) scratch_.resize(4 * threads);
    }

    /// A constant (no gradient) holding a copy of `v`.
    var constant(const tensor& v) {
        auto r = push({v.shape()[0], v.shape()[1], v.shape()[2], v.shape()[3]}, false);
        at(r).own_value = v;
        return r;
    }
    /// A leaf whose gradient is wanted, holding a copy of `v`.
    var variable(const tensor& v) {
        auto r = constant(v);
        at(r).requires_grad = recording_;
        return r;
    }
    /// A leaf referring to an external parameter; gradients accumulate into `grad`, which the caller
    /// sizes and zeroes (a parameter must enter one tape recording once).
    var parameter(tensor& value, tensor& grad) {
        require(value.shape() == grad.shape(), "train::tape::parameter: value and gradient shapes differ");
        auto r = push_node(false);
        auto& n = at(r);
        n.ext_value = &value;
        n.ext_grad = &grad;
        n.requires_grad = recording_;
        n.has_grad = true;
        return r;
    }

    /// Creates a node of shape `s` (value resized, contents unspecified); `requires_grad` is honoured
    /// only while recording.
    var push(const shape4& s, bool requires_grad) {
        auto r = push_node(requires_grad && recording_);
        auto& v = at(r).own_value;
        if (v.shape()[0] != s[0] || v.shape()[1] != s[1] || v.shape()[2] != s[2] || v.shape()[3] != s[3])
            v.resize(s);
        return r;
    }

    /// The node behind `v`.
    node& at(var v) {
        require(v.owner == this && v.id < size_, "train::tape: variable #", v.id, " does not belong to this tape");
        return *nodes_[v.id];
    }
    /// The node with index `i`.
    node& at(std::size_t i) noexcept { return *nodes_[i]; }
    /// The value of `v`.
    tensor& value(var v) { return at(v).value(); }
    /// The gradient of `v` after `backward`, or nullptr when none reached it.
    const tensor* gradient(var v) {
        auto& n = at(v);
        return n.has_grad ? &n.grad() : nullptr;
    }

    /// The gradient buffer of node `i`, zero-filled on first use in this recording.
    tensor& grad_of(std::size_t i) {
        auto& n = *nodes_[i];
        if (!n.has_grad) {
            auto& g = n.grad();
            const auto& s = n.value().shape();
            if (g.shape() != s) g.resize({s[0], s[1], s[2], s[3]});
            std::fill(g.begin(), g.end(), 0.0f);
            n.has_grad = true;
        }
        return n.grad();
    }

    /// The gradient buffer of node `i` for an op that adds into it: when this is the first gradient
    /// in this recording, `fresh` is set and the contents are unspecified (the caller assigns instead
    /// of adding, which saves a zero-fill pass); otherwise the caller adds.
    tensor& grad_slot(std::size_t i, bool& fresh) {
        auto& n = *nodes_[i];
        fresh = !n.has_grad;
        if (fresh) {
            auto& g = n.grad();
            const auto& s = n.value().shape();
            if (g.shape() != s) g.resize({s[0], s[1], s[2], s[3]});
            n.has_grad = true;
        }
        return n.grad();
    }

    /// Reverse sweep from `out` seeded with `seed` (same shape as its value).
    void backward(var out, const tensor& seed) {
        auto& n = at(out);
        require(n.value().shape() == seed.shape(), "train::tape::backward: seed shape differs from the output's");
        require(n.requires_grad, "train::tape::backward: the output does not depend on any variable "
                                 "(or was recorded while recording was paused)");
        auto& g = grad_of(out.id);
        std::copy(seed.begin(), seed.end(), g.begin());
        sweep(out.id);
    }
    /// Reverse sweep from the scalar (1x1x1x1) `loss`, seeded with 1.
    void backward(var loss) {
        auto& n = at(loss);
        require(n.value().size() == 1, "train::tape::backward: the loss must be a scalar, got ",
                n.value().size(), " elements");
        require(n.requires_grad, "train::tape::backward: the loss does not depend on any variable "
                                 "(or was recorded while recording was paused)");
        grad_of(loss.id)(0, 0, 0, 0) = 1.0f;
        sweep(loss.id);
    }

    /// Per-thread scratch memory of at least `n` floats, kept across steps (kernels' im2col buffers).
    float* scratch(std::size_t thread, std::size_t slot, std::size_t n) {
        // The outer vector is sized by set_threads, so threads only ever touch their own slots.
        const std::size_t k = thread * 4 + slot;
        require(slot < 4 && k < scratch_.size(), "train::tape::scratch: thread ", thread, " slot ", slot,
                " out of range");
        if (scratch_[k].size() < n) scratch_[k].resize(n);
        return scratch_[k].data();
    }

private:
    var push_node(bool requires_grad) {
        if (size_ == nodes_.size()) nodes_.push_back(std::make_unique<node>());
        auto& n = *nodes_[size_];
        n.requires_grad = requires_grad;
        n.has_grad = false;
        return {this, size_++};
    }
    void sweep(std::size_t from) {
        for (std::size_t i = from + 1; i-- > 0;) {
            auto& n = *nodes_[i];
            if (n.has_grad && n.backward) n.backward(*this, n);
        }
    }

    std::vector<std::unique_ptr<node>> nodes_;
    std::size_t size_ = 0;
    bool recording_ = true;
    train::executor exec_;
    std::vector<std::vector<float>> scratch_;
};

/// Pauses recording on a tape for its lifetime (inference): ops still compute values but record no
/// backward functions, and no gradient flows.
class pause_recording {
public:
    /// Pauses `t` until destruction, restoring its previous state.
    explicit pause_recording(tape& t) noexcept : t_(t), was_(t.recording()) { t.set_recording(false); }
    pause_recording(const pause_recording&) = delete;
    pause_recording& operator=(const pause_recording&) = delete;
    ~pause_recording() { t_.set_recording(was_); }

private:
    tape& t_;
    bool was_;
};

}  // namespace accelnas::train
