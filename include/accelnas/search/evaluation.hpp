#pragma once
/// \file
/// `evaluation`: what the search knows of one evaluated candidate (the record rewards read, the
/// journal stores and the Pareto archive compares).

#include <accelnas/space/architecture.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace accelnas::search {

/// One evaluated candidate.
struct evaluation {
    std::size_t step = 0;            ///< index of the proposal in the search (0, 1, ...)
    space::architecture arch;        ///< the candidate
    bool ok = true;                  ///< false when the evaluation failed (training NaN, out of memory, ...)
    std::string failure;             ///< why it failed (empty when ok)
    double accuracy = 0.0;           ///< proxy quality in [0, 1] (constant for latency-only searches)
    /// The accuracy of each training seed when the candidate was trained with several (`accuracy`
    /// is then their mean); empty for one training.
    std::vector<double> seed_accuracies;
    std::vector<double> latency;     ///< estimated seconds per inference, one per latency target
    double param_bytes = 0.0;        ///< parameter bytes at inference precision (for the memory bonus)
    double reward = 0.0;             ///< the reward the controller observed (0 when not ok)
    double seconds = 0.0;            ///< wall-clock seconds the evaluation took
    /// The step whose result this candidate reused because it decodes to the same network
    /// (`search_options::canonical`); `not_a_duplicate` when it was evaluated itself.
    std::size_t duplicate_of = not_a_duplicate;
    /// `duplicate_of` of a candidate evaluated itself.
    static constexpr std::size_t not_a_duplicate = static_cast<std::size_t>(-1);
};

/// Mean of `x` (0 when empty).
inline double mean_of(const std::vector<double>& x) {
    double s = 0;
    for (double v : x) s += v;
    return x.empty() ? 0.0 : s / static_cast<double>(x.size());
}
/// Sample standard deviation of `x` (n - 1 in the denominator; 0 for fewer than two values).
inline double std_of(const std::vector<double>& x) {
    if (x.size() < 2) return 0.0;
    const double m = mean_of(x);
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return std::sqrt(s / static_cast<double>(x.size() - 1));
}

}  // namespace accelnas::search
