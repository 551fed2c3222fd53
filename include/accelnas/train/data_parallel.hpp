#pragma once
/// \file
/// `train::batch_split`: a training step (forward, cross-entropy, backward) split over threads by
/// images. Each thread records the whole network on its own slice of the batch, on its own tape, with
/// single-threaded kernels; the threads meet only in batch norm (which combines its per-channel sums
/// over the whole batch, and where the threads also sum the parameter gradients completed so far).
/// Splitting each op over the threads instead makes a few hundred fork/joins per step, most of them
/// around ops of a few tens of microseconds on small networks.

#include <accelnas/core/error.hpp>
#include <accelnas/core/thread_pool.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/tape.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <vector>

namespace accelnas::train {

/// True when `m` trained on `threads` threads should use `batch_split` rather than splitting every
/// op over the threads: whenever there are several threads. A data-parallel step makes no fork/join
/// per op, and it needs the memory of an op-by-op step plus the threads' lent gradient buffers: a
/// few layers' parameters per thread when batch norms separate the layers (see `batch_split`), a
/// full gradient copy per thread in a network without batch norm.
inline bool batch_split_suits(const model&, std::size_t threads) noexcept {
    return threads > 1;
}

namespace detail {

// Zero-filled float buffers of one thread, reused across steps. A request takes the smallest free
// buffer that is large enough, else regrows the largest free one (or adds one when none is free),
// so the pool holds no more buffers than were ever in use at once. Users leave them zero-filled.
class zeroed_buffers {
public:
    std::size_t take(std::size_t n) {
        constexpr auto none = std::size_t(-1);
        std::size_t best = none, largest = none;
        for (std::size_t i = 0; i < bufs_.size(); ++i) {
            if (busy_[i]) continue;
            const std::size_t c = bufs_[i].size();
            if (c >= n && (best == none || c < bufs_[best].size())) best = i;
            if (largest == none || c > bufs_[largest].size()) largest = i;
        }
        if (best == none) {
            best = largest;
            if (best == none) {
                best = bufs_.size();
                bufs_.emplace_back();
                busy_.push_back(0);
            }
            bufs_[best] = std::vector<float>();  // freed before the larger one is allocated
            bufs_[best].resize(n);
        }
        busy_[best] = 1;
        return best;
    }
    float* data(std::size_t i) noexcept { return bufs_[i].data(); }
    void give_back(std::size_t i) noexcept { busy_[i] = 0; }
    // Frees everything (after a failed step the contents are unknown).
    void clear() noexcept {
        bufs_.clear();
        busy_.clear();
    }
    std::size_t floats() const noexcept {
        std::size_t n = 0;
        for (const auto& b : bufs_) n += b.size();
        return n;
    }

private:
    std::vector<std::vector<float>> bufs_;  // moving the outer vector keeps the inner buffers in place
    std::vector<char> busy_;
};

}  // namespace detail

/// Training steps of one model split over threads by images (data parallelism within a step): thread
/// j takes images [n j / T, n (j + 1) / T) of every batch, records the whole network on its own tape
/// with single-threaded kernels, and the threads meet in batch norm (which combines its per-channel
/// sums over the whole batch).
///
/// No thread keeps a full copy of the parameter gradients: each parameter's gradient is written
/// into a small buffer lent from the thread's pool when its first gradient arrives
/// (`gradient_lender`); when the reverse sweep has passed the parameter on every thread (known at
/// the next batch-norm meeting), each thread adds its share of the parameter's elements over the
/// threads' buffers, in thread order, into `parameter::grad`, and zeroes what it read; the buffers
/// go back to the pools at the meeting after that. Backward meets at every batch norm, so the
/// buffers in use are those of the few layers between two meetings, not the network's.
///
/// The result depends on the thread count, never on scheduling: batch-norm sums and parameter
/// gradients are combined in thread order. The model must not be used by anything else during a
/// step.
class batch_split {
public:
    /// A driver for `m` on `threads` threads (at least 1).
    batch_split(model& m, std::size_t threads) : m_(m), pool_(threads), group_(threads) {
        for (std::size_t j = 0; j < threads; ++j) {
            tapes_.push_back(std::make_unique<tape>(1));
            tapes_.back()->set_group(threads > 1 ? &group_ : nullptr, j);
            lenders_.push_back(std::make_unique<member_lender>(*this, j));
        }
        members_.resize(threads);
        values_.resize(threads);
        xs_.resize(threads);
        seeds_.assign(threads, xt::zeros<float>(shape4{1, 1, 1, 1}));
        loss_.resize(threads);
        errors_.resize(threads);
        group_.set_on_meet([this](std::size_t j) { meet(j); });
    }
    batch_split(const batch_split&) = delete;
    batch_split& operator=(const batch_split&) = delete;

    /// Number of threads.
    std::size_t threads() const noexcept { return pool_.threads(); }
    /// The pool of the threads (for the optimizer's update after a step).
    thread_pool& pool() noexcept { return pool_; }
    /// Floats held by the threads' pools of gradient buffers (kept across steps): the memory this
    /// driver adds to the model's own gradients.
    std::size_t gradient_buffer_floats() const noexcept {
        std::size_t n = 0;
        for (const auto& s : members_) n += s.buffers.floats();
        return n;
    }

    /// Records the mean softmax cross-entropy (label smoothing `smoothing`) of the NHWC batch `x`
    /// against `labels` and differentiates it: afterwards every `parameter::grad` of the model holds
    /// the gradient of the batch's mean loss and the BN running statistics are updated once. Returns
    /// the loss. A batch of fewer than 2 images per thread runs on one thread. A `diverged` (or any
    /// other error) of one thread is rethrown here, the first one in thread order.
    float step(const tensor& x, std::span<const std::int32_t> labels, float smoothing = 0.0f) {
        const std::size_t n = x.shape()[0];
        require(labels.size() == n, "train::batch_split::step: ", labels.size(), " labels for a batch of ", n);
        const std::size_t members = n >= 2 * threads() ? threads() : 1;
        active_ = members;
        if (members == 1) {
            // Too few images to split (a last small batch): thread 0 alone, outside the group.
            auto& t = *tapes_[0];
            t.set_group(nullptr, 0);
            t.clear();
            auto loss = softmax_cross_entropy(m_.forward(t, x, true), labels, smoothing);
            t.backward(loss);
            t.set_group(threads() > 1 ? &group_ : nullptr, 0);
            return t.value(loss)(0, 0, 0, 0);
        }
        const std::size_t per_image = x.size() / std::max<std::size_t>(n, 1);
        for (std::size_t j = 0; j < members; ++j) {
            const std::size_t lo = n * j / members, hi = n * (j + 1) / members;
            auto& xj = xs_[j];
            const shape4 s{hi - lo, x.shape()[1], x.shape()[2], x.shape()[3]};
            if (shape_of(xj) != s) xj.resize(s);
            std::memcpy(xj.data(), x.data() + lo * per_image, (hi - lo) * per_image * sizeof(float));
        }
        auto& params = m_.parameters();
        for (auto& p : params)
            if (p.grad.shape() != p.value.shape()) p.grad = xt::zeros<float>(p.value.shape());
        lent_.assign(params.size() * members, nullptr);
        summed_.assign(params.size(), 0);
        for (auto& s : members_) s.slot.resize(params.size());
        pool_.run_team([&](std::size_t j) {
            try {
                const std::size_t lo = n * j / members, hi = n * (j + 1) / members;
                auto& t = *tapes_[j];
                t.clear();
                const var logits = m_.forward(t, xs_[j], true, *lenders_[j], values_[j]);
                const var loss = softmax_cross_entropy(logits, labels.subspan(lo, hi - lo), smoothing);
                loss_[j] = t.value(loss)(0, 0, 0, 0);
                // The batch's loss is the image-weighted mean of the threads' mean losses.
                seeds_[j](0, 0, 0, 0) = float(double(hi - lo) / double(n));
                t.backward(loss, seeds_[j]);
                group_.exchange(j, {});  // the last meeting: sums the parameters after the last batch norm
                errors_[j] = nullptr;
            } catch (...) {
                errors_[j] = std::current_exception();
                group_.abort();
            }
        });
        std::exception_ptr first, aborted;
        for (std::size_t j = 0; j < members; ++j) {
            if (!errors_[j]) continue;
            try {
                std::rethrow_exception(errors_[j]);
            } catch (const batch_group::aborted&) {
                if (!aborted) aborted = errors_[j];
            } catch (...) {
                if (!first) first = errors_[j];
            }
            errors_[j] = nullptr;
        }
        if (first || aborted) {
            // Buffers may hold part of the failed step's gradients: start again from empty pools.
            for (auto& s : members_) {
                s.buffers.clear();
                s.pending.clear();
                s.summed.clear();
            }
            group_.reset();
            std::rethrow_exception(first ? first : aborted);
        }
        for (auto& s : members_) {
            for (const std::size_t i : s.summed) s.buffers.give_back(s.slot[i]);
            s.summed.clear();
        }
        // A parameter no gradient reached on any thread (none in a model's own network) has gradient 0.
        for (std::size_t i = 0; i < params.size(); ++i)
            if (!summed_[i]) std::fill(params[i].grad.begin(), params[i].grad.end(), 0.0f);
        double loss = 0;
        for (std::size_t j = 0; j < members; ++j)
            loss += double(loss_[j]) * double(n * (j + 1) / members - n * j / members) / double(n);
        return float(loss);
    }

    /// Index of the first op whose output in the last step holds a NaN or infinity (thread 0's
    /// images first), or the network's size when there is none. For error messages.
    std::size_t first_non_finite_output() {
        if (active_ == 1) return m_.first_non_finite_output(*tapes_[0]);
        std::size_t first = m_.network().size();
        for (std::size_t j = 0; j < active_; ++j) first = std::min(first, m_.first_non_finite_output(*tapes_[j], values_[j]));
        return first;
    }

private:
    // One thread's gradient buffers and the parameters in flight.
    struct member_state {
        detail::zeroed_buffers buffers;
        std::vector<std::size_t> slot;     // per parameter: its buffer while lent
        std::vector<std::size_t> pending;  // complete on this thread since the last meeting
        std::vector<std::size_t> summed;   // summed after the last meeting: others may still read the buffers
    };
    // Thread j's lender (the tape calls it on thread j only).
    class member_lender final : public gradient_lender {
    public:
        member_lender(batch_split& s, std::size_t j) : s_(s), j_(j) {}
        float* lend(std::size_t index, std::size_t size) override { return s_.lend(j_, index, size); }
        void complete(std::size_t index) override { s_.complete(j_, index); }

    private:
        batch_split& s_;
        std::size_t j_;
    };

    float* lend(std::size_t j, std::size_t i, std::size_t size) {
        auto& s = members_[j];
        s.slot[i] = s.buffers.take(size);
        return lent_[i * active_ + j] = s.buffers.data(s.slot[i]);
    }
    void complete(std::size_t j, std::size_t i) {
        // A thread that wrote no gradient (batch norm's gamma and beta on threads other than 0)
        // contributes a zero buffer, so the sum is the same whichever thread wrote.
        if (!lent_[i * active_ + j]) lend(j, i, m_.parameters()[i].value.size());
        members_[j].pending.push_back(i);
    }
    // Thread j after a batch-norm exchange: every thread has finished all it did before it. The
    // buffers of the parameters summed after the previous meeting are free again; the parameters
    // completed since then are complete on every thread (all threads sweep the same tape), and
    // thread j sums its share of their elements.
    void meet(std::size_t j) {
        auto& s = members_[j];
        for (const std::size_t i : s.summed) {
            s.buffers.give_back(s.slot[i]);
            lent_[i * active_ + j] = nullptr;
        }
        s.summed.clear();
        const std::size_t members = active_;
        auto& params = m_.parameters();
        for (const std::size_t i : s.pending) {
            // The threads' buffers added in thread order into the model's gradient, in blocks that
            // stay in L1 (the gradient is written once); the buffers are zeroed as they are read
            // (one pass instead of a sum and a zero fill).
            const std::size_t size = params[i].grad.size(), a = size * j / members, b = size * (j + 1) / members;
            float* __restrict d = params[i].grad.data();
            for (std::size_t lo = a; lo < b; lo += 2048) {
                const std::size_t hi = std::min(b, lo + 2048);
                float* __restrict g0 = lent_[i * members];
                for (std::size_t e = lo; e < hi; ++e) {
                    d[e] = g0[e];
                    g0[e] = 0.0f;
                }
                for (std::size_t k = 1; k < members; ++k) {
                    float* __restrict o = lent_[i * members + k];
                    for (std::size_t e = lo; e < hi; ++e) {
                        d[e] += o[e];
                        o[e] = 0.0f;
                    }
                }
            }
            if (j == 0) summed_[i] = 1;
        }
        std::swap(s.summed, s.pending);
    }

    model& m_;
    thread_pool pool_;
    batch_group group_;
    std::vector<std::unique_ptr<tape>> tapes_;
    std::vector<std::unique_ptr<member_lender>> lenders_;
    std::vector<member_state> members_;
    std::vector<float*> lent_;      // [parameter * threads + thread]: the buffer lent for the current step
    std::vector<char> summed_;      // per parameter: summed in this step
    std::vector<std::vector<var>> values_;
    std::vector<tensor> xs_, seeds_;
    std::vector<float> loss_;
    std::vector<std::exception_ptr> errors_;
    std::size_t active_ = 0;
};

}  // namespace accelnas::train
