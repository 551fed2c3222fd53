#pragma once
/// \file
/// Rewards chosen by name on the command line: `mnasnet-soft` (MnasNet's soft constraint with
/// exponents alpha / beta), `mnasnet-hard` (MnasNet's hard constraint: alpha 0, beta -1) and `tunas`
/// (TuNAS' absolute reward), optionally plus a bonus when the parameters fit the target's on-chip
/// memory.

#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/reward.hpp>

#include <functional>
#include <string>
#include <vector>

namespace accelnas::app {

/// A reward as the tools describe it.
struct reward_settings {
    std::string name = "mnasnet-soft";  ///< mnasnet-soft, mnasnet-hard or tunas
    double alpha = -0.07;               ///< MnasNet exponent when the latency meets the target
    double beta = -0.07;                ///< MnasNet exponent when the latency exceeds the target
    /// TuNAS cost weight, set from the noise of the proxy accuracy: one proxy training's accuracy
    /// varies by about 0.03 (sample std over seeds, 0.01-0.06 per architecture) at the tool's
    /// default proxy. At -0.5 a miss of 10% (twice the default tolerance) costs 0.05, more than
    /// that noise can repay, so the controller is pulled to the target from both sides, while
    /// inside the +-5% band the latency term moves by at most 0.025 and accuracy still decides
    /// (at -0.10 a 30% miss cost no more than that noise).
    double tunas_beta = -0.5;
    double memory_bonus = 0.0;          ///< bonus when the parameters fit on chip (0 = off)
};

/// The reward names `make_reward` knows, in the form help texts use ("mnasnet-soft, mnasnet-hard or tunas").
inline std::string reward_list() { return "mnasnet-soft, mnasnet-hard or tunas"; }

/// True when `name` is a reward `make_reward` knows.
inline bool is_reward_name(const std::string& name) {
    return name == "mnasnet-soft" || name == "mnasnet-hard" || name == "tunas";
}

/// The reward `s` describes for latency targets `targets_s` (seconds, one per target) and on-chip
/// parameter bytes `cache_bytes` (one per target, used by the memory bonus only).
inline std::function<double(const search::evaluation&)> make_reward(const reward_settings& s,
                                                                   const std::vector<double>& targets_s,
                                                                   const std::vector<double>& cache_bytes) {
    std::function<double(const search::evaluation&)> base;
    if (s.name == "mnasnet-soft") base = search::mnasnet_reward{targets_s, s.alpha, s.beta};
    else if (s.name == "mnasnet-hard") base = search::mnasnet_hard(targets_s);
    else if (s.name == "tunas") base = search::tunas_absolute{targets_s, s.tunas_beta};
    else fail("unknown reward '", s.name, "' (expected ", reward_list(), ")");
    if (s.memory_bonus == 0.0) return base;
    return search::plus(base, search::memory_fit_bonus{cache_bytes, s.memory_bonus});
}

}  // namespace accelnas::app
