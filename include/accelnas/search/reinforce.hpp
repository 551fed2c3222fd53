#pragma once
/// \file
/// REINFORCE with a factorized categorical policy, as TuNAS (Bender et al. 2020): one independent
/// softmax per decision, an exponential moving-average baseline (momentum 0.95), Adam with beta1 = 0,
/// and an optional entropy bonus.

#include <accelnas/search/adam.hpp>
#include <accelnas/search/controller.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace accelnas::search {

/// Options of `reinforce`.
struct reinforce_options {
    adam_options adam = {.learning_rate = 0.1};  ///< optimizer of the logits (beta1 = 0 as TuNAS)
    double baseline_momentum = 0.95;    ///< moving-average baseline momentum
    double entropy_bonus = 0.0;         ///< weight of the policy entropy added to the objective (>= 0)
    /// Observations per policy-gradient step in `observe_batch` (the driver's round is cut into
    /// chunks of this size): one Adam step on the gradient averaged over the chunk, as TuNAS
    /// averages over its replicas. 1: one step per observation.
    std::size_t batch = 1;
};

/// REINFORCE over a space of shape `Shape`. The policy is `softmax(logits_d)` per decision d,
/// starting uniform. Each observation (or each chunk of `reinforce_options::batch` observations in
/// `observe_batch`) takes one Adam ascent step on
/// `mean_i (reward_i - baseline) * log pi(arch_i) + entropy_bonus * H(pi)`.
template <class Shape = dynamic_shape>
class reinforce {
public:
    /// Over the compile-time shape `Shape`.
    explicit reinforce(reinforce_options o = {}) requires(!std::is_same_v<Shape, dynamic_shape>)
        : reinforce(decision_layout{}, o) {}
    /// Over the runtime layout `l`.
    explicit reinforce(decision_layout l, reinforce_options o = {})
        : layout_(detail::resolve_layout<Shape>(l)), opt_(o), logits_(layout_.total_choices(), 0.0),
          adam_(layout_.total_choices(), o.adam), baseline_{o.baseline_momentum} {
        validate(o.adam, "reinforce");
        require(o.baseline_momentum >= 0 && o.baseline_momentum < 1, "reinforce: baseline_momentum must be in [0, 1), got ", o.baseline_momentum);
        require(std::isfinite(o.entropy_bonus) && o.entropy_bonus >= 0, "reinforce: entropy_bonus must be >= 0, got ", o.entropy_bonus);
        require(o.batch >= 1, "reinforce: batch must be at least 1");
        std::size_t off = 0;
        for (auto c : layout_.cardinalities) {
            offset_.push_back(off);
            off += c;
        }
    }

    /// The space's layout.
    const decision_layout& layout() const noexcept { return layout_; }
    /// Current baseline.
    double baseline() const noexcept { return baseline_.value; }

    /// Probabilities of decision `d`'s choices under the current policy.
    std::vector<double> probabilities(std::size_t d) const {
        require(d < layout_.size(), "reinforce::probabilities: decision ", d, " out of range");
        std::vector<double> p(layout_.cardinalities[d]);
        const double* z = logits_.data() + offset_[d];
        const double mx = *std::max_element(z, z + p.size());
        double s = 0;
        for (std::size_t k = 0; k < p.size(); ++k) s += p[k] = std::exp(z[k] - mx);
        for (auto& x : p) x /= s;
        return p;
    }
    /// Samples one choice per decision from the policy.
    space::architecture propose(rng& g) {
        space::architecture a;
        a.choices.reserve(layout_.size());
        for (std::size_t d = 0; d < layout_.size(); ++d) a.choices.push_back(detail_sample(probabilities(d), g));
        return a;
    }
    /// The most likely architecture (argmax per decision; the lowest index on ties).
    space::architecture mode() const {
        space::architecture a;
        for (std::size_t d = 0; d < layout_.size(); ++d) {
            const auto p = probabilities(d);
            a.choices.push_back(static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()));
        }
        return a;
    }
    /// Log-probability of `a` under the policy.
    double log_probability(const space::architecture& a) const {
        check_architecture(layout_, a, "reinforce::log_probability");
        double lp = 0;
        for (std::size_t d = 0; d < layout_.size(); ++d) lp += std::log(probabilities(d)[static_cast<std::size_t>(a.choices[d])]);
        return lp;
    }
    /// Gradient, with respect to the logits (decision by decision, choice by choice), of
    /// `mean_i advantages[i] * log pi(archs[i]) + entropy_bonus * H(pi)` under the current policy.
    std::vector<double> gradient(std::span<const space::architecture> archs, std::span<const double> advantages) const {
        require(!archs.empty() && archs.size() == advantages.size(), "reinforce::gradient: ", archs.size(), " architectures but ",
                advantages.size(), " advantages (expected as many, at least one)");
        for (const auto& a : archs) check_architecture(layout_, a, "reinforce::gradient");
        const double w = 1.0 / static_cast<double>(archs.size());
        std::vector<double> grad(logits_.size(), 0.0);
        for (std::size_t d = 0; d < layout_.size(); ++d) {
            const auto p = probabilities(d);
            double h = 0;
            for (double x : p) h -= x > 0 ? x * std::log(x) : 0.0;
            for (std::size_t k = 0; k < p.size(); ++k) {
                double g = 0;
                for (std::size_t i = 0; i < archs.size(); ++i) {
                    const double onehot = static_cast<std::size_t>(archs[i].choices[d]) == k ? 1.0 : 0.0;
                    g += advantages[i] * (onehot - p[k]);
                }
                const double dent = p[k] > 0 ? -p[k] * (std::log(p[k]) + h) : 0.0;
                grad[offset_[d] + k] = w * g + opt_.entropy_bonus * dent;
            }
        }
        return grad;
    }
    /// Policy-gradient step for `a` with `reward`.
    void observe(const space::architecture& a, double reward) {
        check_architecture(layout_, a, "reinforce::observe");
        detail::check_reward(reward, "reinforce::observe");
        const double adv = baseline_.advantage_then_update(reward);
        adam_.ascend(logits_, gradient(std::span<const space::architecture>(&a, 1), std::span<const double>(&adv, 1)));
    }
    /// Observes a round: one policy-gradient step per chunk of `reinforce_options::batch`
    /// observations, on the gradient averaged over the chunk with advantages against the baseline
    /// before it (the baseline then moves once, by the chunk's mean reward).
    void observe_batch(std::span<const space::architecture> archs, std::span<const double> rewards) {
        require(archs.size() == rewards.size(), "reinforce::observe_batch: ", archs.size(), " architectures but ", rewards.size(), " rewards");
        for (std::size_t i = 0; i < archs.size(); ++i) {
            check_architecture(layout_, archs[i], "reinforce::observe_batch");
            detail::check_reward(rewards[i], "reinforce::observe_batch");
        }
        for (std::size_t b = 0; b < archs.size(); b += opt_.batch) {
            const std::size_t n = std::min(opt_.batch, archs.size() - b);
            const auto adv = baseline_.advantages_then_update(std::vector<double>(rewards.begin() + std::ptrdiff_t(b),
                                                                                  rewards.begin() + std::ptrdiff_t(b + n)));
            adam_.ascend(logits_, gradient(archs.subspan(b, n), std::span<const double>(adv)));
        }
    }

    /// State as JSON (logits, Adam moments, baseline).
    nlohmann::json to_json() const {
        auto j = detail::state_header("reinforce", layout_);
        j["logits"] = logits_;
        j["adam"] = adam_.to_json();
        j["baseline"] = baseline_.to_json();
        return j;
    }
    /// Restores a state saved by `to_json`.
    void from_json(const nlohmann::json& j) {
        detail::check_state_header(j, "reinforce", layout_);
        auto z = detail::field(j, "logits", "reinforce").get<std::vector<double>>();
        require(z.size() == logits_.size(), "reinforce: state JSON has ", z.size(), " logits, expected ", logits_.size());
        adam_.from_json(detail::field(j, "adam", "reinforce"));
        baseline_.from_json(detail::field(j, "baseline", "reinforce"));
        logits_ = std::move(z);
    }

private:
    static int detail_sample(const std::vector<double>& p, rng& g) {
        const double u = uniform01(g);
        double acc = 0;
        for (std::size_t k = 0; k + 1 < p.size(); ++k) {
            acc += p[k];
            if (u < acc) return static_cast<int>(k);
        }
        return static_cast<int>(p.size() - 1);
    }

    decision_layout layout_;
    reinforce_options opt_;
    std::vector<std::size_t> offset_;
    std::vector<double> logits_;
    adam adam_;
    moving_baseline baseline_;
};

static_assert(controller<reinforce<>>);

}  // namespace accelnas::search
