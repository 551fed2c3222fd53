#pragma once
/// \file
/// `train::batch_split`: a training step (forward, cross-entropy, backward) split over threads by
/// images. Each thread records the whole network on its own slice of the batch, on its own tape, with
/// single-threaded kernels; the threads meet only in batch norm (which combines its per-channel sums
/// over the whole batch) and to sum the parameter gradients at the end. Splitting each op over the
/// threads instead makes a few hundred fork/joins per step, most of them around ops of a few tens of
/// microseconds on small networks.

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

/// Models with at most this many parameters train data-parallel (`batch_split`) on several threads
/// by default: every thread keeps its own copy of the parameter gradients. Larger ones (ResNet-50,
/// 23.5 M parameters) have GEMMs big enough to split well op by op.
inline constexpr std::size_t batch_split_max_parameters = std::size_t{16} << 20;

/// True when `m` trained on `threads` threads should use `batch_split` (see
/// `batch_split_max_parameters`).
inline bool batch_split_suits(const model& m, std::size_t threads) noexcept {
    return threads > 1 && m.parameter_count() <= batch_split_max_parameters;
}

/// Training steps of one model split over threads by images (data parallelism within a step): thread
/// j takes images [n j / T, n (j + 1) / T) of every batch. The result depends on the thread count,
/// never on scheduling: batch-norm sums and parameter gradients are combined in thread order. The
/// model must not be used by anything else during a step.
class batch_split {
public:
    /// A driver for `m` on `threads` threads (at least 1).
    batch_split(model& m, std::size_t threads) : m_(m), pool_(threads), group_(threads) {
        for (std::size_t j = 0; j < threads; ++j) {
            tapes_.push_back(std::make_unique<tape>(1));
            tapes_.back()->set_group(threads > 1 ? &group_ : nullptr, j);
        }
        grads_.resize(threads);
        values_.resize(threads);
        xs_.resize(threads);
        seeds_.assign(threads, xt::zeros<float>(shape4{1, 1, 1, 1}));
        loss_.resize(threads);
        errors_.resize(threads);
    }
    batch_split(const batch_split&) = delete;
    batch_split& operator=(const batch_split&) = delete;

    /// Number of threads.
    std::size_t threads() const noexcept { return pool_.threads(); }
    /// The pool of the threads (for the optimizer's update after a step).
    thread_pool& pool() noexcept { return pool_; }

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
        pool_.run_team([&](std::size_t j) {
            try {
                const std::size_t lo = n * j / members, hi = n * (j + 1) / members;
                auto& t = *tapes_[j];
                t.clear();
                if (dirty_) zero(j);
                // Each thread accumulates into its own gradient buffers (zero here: the pass that
                // sums them zeroes them again).
                const var logits = m_.forward(t, xs_[j], true, grads_[j], values_[j]);
                const var loss = softmax_cross_entropy(logits, labels.subspan(lo, hi - lo), smoothing);
                loss_[j] = t.value(loss)(0, 0, 0, 0);
                // The batch's loss is the image-weighted mean of the threads' mean losses.
                seeds_[j](0, 0, 0, 0) = float(double(hi - lo) / double(n));
                t.backward(loss, seeds_[j]);
                group_.exchange(j, {});  // every thread's gradients are complete
                // The model's gradients are the threads' buffers added in thread order; each thread
                // takes its own range of every parameter and zeroes the buffers as it reads them
                // (one pass instead of a sum and a zero fill).
                for (std::size_t i = 0; i < params.size(); ++i) {
                    const std::size_t size = params[i].grad.size(), a = size * j / members, b = size * (j + 1) / members;
                    float* __restrict d = params[i].grad.data();
                    float* __restrict g0 = grads_[0][i].data();
                    for (std::size_t e = a; e < b; ++e) {
                        d[e] = g0[e];
                        g0[e] = 0.0f;
                    }
                    for (std::size_t k = 1; k < members; ++k) {
                        float* __restrict o = grads_[k][i].data();
                        for (std::size_t e = a; e < b; ++e) {
                            d[e] += o[e];
                            o[e] = 0.0f;
                        }
                    }
                }
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
        dirty_ = first || aborted;  // the buffers may hold part of a failed step's gradients
        if (first || aborted) {
            group_.reset();
            std::rethrow_exception(first ? first : aborted);
        }
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
    void zero(std::size_t j) {
        for (auto& g : grads_[j]) std::fill(g.begin(), g.end(), 0.0f);
    }
    model& m_;
    thread_pool pool_;
    batch_group group_;
    std::vector<std::unique_ptr<tape>> tapes_;
    std::vector<std::vector<tensor>> grads_;  // per thread, zero between steps
    std::vector<std::vector<var>> values_;
    std::vector<tensor> xs_, seeds_;
    std::vector<float> loss_;
    std::vector<std::exception_ptr> errors_;
    std::size_t active_ = 0;
    bool dirty_ = false;
};

}  // namespace accelnas::train
