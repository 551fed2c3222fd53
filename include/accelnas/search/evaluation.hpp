#pragma once
/// \file
/// `evaluation`: what the search knows of one evaluated candidate (the record rewards read, the
/// journal stores and the Pareto archive compares).

#include <accelnas/space/architecture.hpp>

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

}  // namespace accelnas::search
