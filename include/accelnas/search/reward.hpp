#pragma once
/// \file
/// Multi-objective rewards as plain callables `double(const evaluation&)`: MnasNet soft/hard,
/// TuNAS absolute, the on-chip memory fit bonus of EfficientNet-EdgeTPU, each over one or several
/// latency targets. A user can pass any callable of the same signature instead.

#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <utility>
#include <vector>

namespace accelnas::search {

/// A reward: maps an evaluated candidate to a number, higher is better.
template <class R>
concept reward_function = std::invocable<const R&, const evaluation&> &&
                          std::convertible_to<std::invoke_result_t<const R&, const evaluation&>, double>;

namespace detail {
inline void check_targets(const std::vector<double>& targets, const char* who) {
    require(!targets.empty(), who, ": needs at least one latency target");
    for (std::size_t i = 0; i < targets.size(); ++i)
        require(std::isfinite(targets[i]) && targets[i] > 0, who, ": latency target ", i, " must be positive, got ", targets[i]);
}
inline void check_latencies(const evaluation& e, const std::vector<double>& targets, const char* who) {
    require(e.latency.size() == targets.size(), who, ": candidate has ", e.latency.size(), " latencies, expected one per target (",
            targets.size(), ")");
    for (std::size_t i = 0; i < targets.size(); ++i)
        require(std::isfinite(e.latency[i]) && e.latency[i] > 0, who, ": latency for target ", i, " must be positive, got ", e.latency[i]);
    require(std::isfinite(e.accuracy), who, ": accuracy must be finite, got ", e.accuracy);
}
}  // namespace detail

/// MnasNet reward `ACC * prod_i (LAT_i / T_i)^w_i` with `w_i = alpha` if `LAT_i <= T_i` else `beta`.
/// Soft constraint: alpha = beta = -0.07; hard: alpha = 0, beta = -1.
struct mnasnet_reward {
    std::vector<double> targets;   ///< latency targets in seconds, one per accelerator
    double alpha = -0.07;          ///< exponent when the latency meets the target
    double beta = -0.07;           ///< exponent when it exceeds the target

    /// The reward of `e`.
    double operator()(const evaluation& e) const {
        detail::check_targets(targets, "mnasnet_reward");
        detail::check_latencies(e, targets, "mnasnet_reward");
        double r = e.accuracy;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const double ratio = e.latency[i] / targets[i];
            r *= std::pow(ratio, ratio <= 1.0 ? alpha : beta);
        }
        return r;
    }
    /// Single-target shorthand.
    double operator()(double accuracy, double latency) const {
        evaluation e;
        e.accuracy = accuracy;
        e.latency = {latency};
        return (*this)(e);
    }
};

/// MnasNet soft-constraint reward (alpha = beta = -0.07).
inline mnasnet_reward mnasnet_soft(std::vector<double> targets, double w = -0.07) { return {std::move(targets), w, w}; }
/// MnasNet hard-constraint reward (alpha = 0, beta = -1).
inline mnasnet_reward mnasnet_hard(std::vector<double> targets) { return {std::move(targets), 0.0, -1.0}; }

/// TuNAS absolute reward `Q + sum_i beta * |LAT_i / T_i - 1|` (beta < 0 pulls the latency to the target).
struct tunas_absolute {
    std::vector<double> targets;   ///< latency targets in seconds
    double beta = -0.10;           ///< cost exponent (negative)

    /// The reward of `e`.
    double operator()(const evaluation& e) const {
        detail::check_targets(targets, "tunas_absolute");
        detail::check_latencies(e, targets, "tunas_absolute");
        double r = e.accuracy;
        for (std::size_t i = 0; i < targets.size(); ++i) r += beta * std::abs(e.latency[i] / targets[i] - 1.0);
        return r;
    }
    /// Single-target shorthand.
    double operator()(double quality, double latency) const {
        evaluation e;
        e.accuracy = quality;
        e.latency = {latency};
        return (*this)(e);
    }
};

/// The EfficientNet-EdgeTPU bonus: `bonus` for each accelerator whose on-chip parameter memory
/// (`cache_bytes[i]`, a plain number taken from the accelerator's description) holds all of the
/// candidate's parameter bytes; such models avoid streaming weights from the host every inference.
struct memory_fit_bonus {
    std::vector<double> cache_bytes;  ///< on-chip parameter memory per accelerator, bytes
    double bonus = 0.02;              ///< added per accelerator that fits the parameters

    /// The bonus earned by `e`.
    double operator()(const evaluation& e) const {
        require(std::isfinite(e.param_bytes) && e.param_bytes >= 0, "memory_fit_bonus: param_bytes must be >= 0, got ", e.param_bytes);
        double r = 0;
        for (std::size_t i = 0; i < cache_bytes.size(); ++i) {
            require(cache_bytes[i] >= 0, "memory_fit_bonus: cache size ", i, " must be >= 0");
            if (e.param_bytes <= cache_bytes[i]) r += bonus;
        }
        return r;
    }
};

/// The sum of two rewards (e.g. `tunas_absolute` plus `memory_fit_bonus`).
template <reward_function A, reward_function B>
struct reward_sum {
    A first;   ///< first term
    B second;  ///< second term
    /// `first(e) + second(e)`.
    double operator()(const evaluation& e) const { return static_cast<double>(first(e)) + static_cast<double>(second(e)); }
};
/// `a + b` as a reward.
template <reward_function A, reward_function B>
reward_sum<A, B> plus(A a, B b) { return {std::move(a), std::move(b)}; }

static_assert(reward_function<mnasnet_reward>);
static_assert(reward_function<tunas_absolute>);
static_assert(reward_function<memory_fit_bonus>);
static_assert(reward_function<reward_sum<tunas_absolute, memory_fit_bonus>>);

}  // namespace accelnas::search
