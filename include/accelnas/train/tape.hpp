#pragma once
/// \file
/// Reverse-mode automatic differentiation: a flat tape of nodes in creation order, swept once
/// backwards (Adept-2 style). Every value is an NHWC `xt::xtensor<float, 4>` (vectors and scalars are
/// 1x1x1xC and 1x1x1x1), so one node type serves all ops. `tape::clear` keeps the nodes and their
/// buffers, so recording the same network again allocates nothing.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/core/thread_pool.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
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

class tape;

/// The threads of a data-parallel training step: each records the same network on its own slice of
/// the batch (its own tape), and batch norm, which normalises over the whole batch, combines its
/// per-channel sums across them with `exchange`. Every member makes the same sequence of exchanges.
class batch_group {
public:
    /// Thrown in the other members when one member failed (`abort`), so that none waits forever.
    struct aborted : std::exception {
        /// What happened.
        const char* what() const noexcept override { return "train::batch_group: another member failed"; }
    };

    /// A group of `members` threads (at least 1).
    explicit batch_group(std::size_t members) : members_(members) {
        require(members >= 1, "train::batch_group: needs at least one member");
        for (auto& b : buf_) b.resize(members);
        round_.resize(members * 16);
    }
    batch_group(const batch_group&) = delete;
    batch_group& operator=(const batch_group&) = delete;

    /// Number of members.
    std::size_t members() const noexcept { return members_; }

    /// Publishes member `member`'s values and waits for every member's; returns all of them in
    /// member order (so that every member combines them in the same order: the same result, whichever
    /// thread is faster). The reference stays valid until the member's next exchange.
    const std::vector<std::vector<double>>& exchange(std::size_t member, const std::vector<double>& mine) {
        // Two buffer sets in turn: a member can publish its next values while a slower one still
        // reads these (it cannot get two exchanges ahead: it would wait for the slower one).
        auto& b = buf_[round_[member * 16]++ & 1];
        b[member].assign(mine.begin(), mine.end());
        const std::uint64_t gen = gen_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == members_) {
            arrived_.store(0, std::memory_order_relaxed);
            gen_.store(gen + 1, std::memory_order_release);
        } else {
            for (std::size_t i = 0; gen_.load(std::memory_order_acquire) == gen; ++i) {
                if (aborted_.load(std::memory_order_relaxed)) throw aborted{};
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
                if (i > 4096) std::this_thread::yield();  // a preempted member: give the core back
            }
        }
        if (meet_) meet_(member);
        return b;
    }
    /// Work each member does right after every exchange, when every member has finished all it did
    /// before that exchange (a data-parallel step sums completed parameter gradients there), or none.
    /// Set while no member is inside `exchange`.
    void set_on_meet(std::function<void(std::size_t member)> f) { meet_ = std::move(f); }
    /// Makes members waiting in (or entering) `exchange` throw `aborted` (a member failed).
    void abort() noexcept { aborted_.store(true, std::memory_order_relaxed); }
    /// Clears the state of a failed step, so the group can be used again (no member may be inside).
    void reset() noexcept {
        aborted_.store(false);
        arrived_.store(0);
        std::fill(round_.begin(), round_.end(), 0);
    }

private:
    std::size_t members_;
    std::array<std::vector<std::vector<double>>, 2> buf_;
    std::vector<std::size_t> round_;  // each member's exchange count, 16 apart (no false sharing)
    std::atomic<std::size_t> arrived_{0};
    std::atomic<std::uint64_t> gen_{0};
    std::atomic<bool> aborted_{false};
    std::function<void(std::size_t)> meet_;
};

/// Lends the gradient buffers of parameter leaves (`tape::parameter` with a lender) and learns when
/// each gradient is complete, so that a data-parallel step needs no full per-thread copy of the
/// parameter gradients: a buffer is in use only from the first gradient written into it until the
/// threads' gradients of that parameter are summed.
class gradient_lender {
public:
    virtual ~gradient_lender() = default;
    /// A zero-filled buffer of at least `size` floats for the gradient of parameter `index`, valid
    /// until after `complete(index)`.
    virtual float* lend(std::size_t index, std::size_t size) = 0;
    /// The reverse sweep reached the leaf of parameter `index`: every gradient of it is in its buffer
    /// (no buffer was lent when no gradient reached it).
    virtual void complete(std::size_t index) = 0;
};

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
    gradient_lender* lender = nullptr;         ///< lends the gradient buffer of a parameter leaf
    std::size_t lent_index = 0;                ///< the parameter's index for `lender`
    float* lent = nullptr;                     ///< the lent gradient buffer (valid when has_grad)
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
/// the tape's thread pool to spread their kernels over threads).
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
            n.lender = nullptr;
            n.lent = nullptr;
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

    /// The data-parallel group this tape is member `member` of (batch norm combines its statistics
    /// with the other members' tapes), or none (nullptr).
    void set_group(batch_group* g, std::size_t member) noexcept {
        group_ = g;
        member_ = member;
    }
    /// The group set by `set_group`, or nullptr.
    batch_group* group() const noexcept { return group_; }
    /// This tape's member index in its group.
    std::size_t member() const noexcept { return member_; }

    /// The thread pool kernels use.
    thread_pool& pool() noexcept { return exec_; }
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
        const var r = external_leaf(value);
        at(r).ext_grad = &grad;
        at(r).has_grad = true;
        return r;
    }
    /// A leaf referring to external parameter `index` whose gradient buffer `lender` lends when the
    /// first gradient reaches it (ops write it through `grad_data`); the reverse sweep tells `lender`
    /// when the gradient is complete.
    var parameter(tensor& value, gradient_lender& lender, std::size_t index) {
        const var r = external_leaf(value);
        at(r).lender = &lender;
        at(r).lent_index = index;
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
        require(!n.lender, "train::tape::gradient: variable #", v.id, " has a lent gradient buffer");
        return n.has_grad ? &n.grad() : nullptr;
    }

    /// The gradient buffer of node `i`, zero-filled on first use in this recording (not for a leaf
    /// with a lender: see `grad_data`).
    tensor& grad_of(std::size_t i) {
        auto& n = *nodes_[i];
        require(!n.lender, "train::tape::grad_of: node #", i, " has a lent gradient buffer (use grad_data)");
        if (!n.has_grad) {
            auto& g = n.grad();
            const auto& s = n.value().shape();
            if (g.shape() != s) g.resize({s[0], s[1], s[2], s[3]});
            std::fill(g.begin(), g.end(), 0.0f);
            n.has_grad = true;
        }
        return n.grad();
    }

    /// The gradient of node `i` as a pointer to its elements, zero-filled on first use in this
    /// recording: what ops use for the gradients of parameters, whose buffer may be lent.
    float* grad_data(std::size_t i) {
        auto& n = *nodes_[i];
        if (!n.lender) return grad_of(i).data();
        if (!n.has_grad) {
            n.lent = n.lender->lend(n.lent_index, n.value().size());
            n.has_grad = true;
        }
        return n.lent;
    }

    /// The gradient buffer of node `i` for an op that adds into it: when this is the first gradient
    /// in this recording, `fresh` is set and the contents are unspecified (the caller assigns instead
    /// of adding, which saves a zero-fill pass); otherwise the caller adds.
    tensor& grad_slot(std::size_t i, bool& fresh) {
        auto& n = *nodes_[i];
        require(!n.lender, "train::tape::grad_slot: node #", i, " has a lent gradient buffer (use grad_data)");
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
    // A leaf whose value is the external `value` (gradient wanted while recording).
    var external_leaf(tensor& value) {
        auto r = push_node(recording_);
        at(r).ext_value = &value;
        return r;
    }
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
            if (n.lender) n.lender->complete(n.lent_index);  // every consumer of the leaf is later on the tape
            else if (n.has_grad && n.backward) n.backward(*this, n);
        }
    }

    std::vector<std::unique_ptr<node>> nodes_;
    std::size_t size_ = 0;
    bool recording_ = true;
    thread_pool exec_;
    std::vector<std::vector<float>> scratch_;
    batch_group* group_ = nullptr;
    std::size_t member_ = 0;
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
