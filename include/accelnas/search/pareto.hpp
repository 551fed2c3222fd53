#pragma once
/// \file
/// A Pareto archive over (accuracy, latency per target): keeps the evaluated candidates no other
/// candidate beats on every objective.

#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace accelnas::search {

/// True when `a` dominates `b`: accuracy at least as high, every latency at most as high, and
/// strictly better in one of them. Both must have the same number of latencies.
inline bool dominates(const evaluation& a, const evaluation& b) {
    require(a.latency.size() == b.latency.size(), "dominates: candidates have ", a.latency.size(), " and ", b.latency.size(),
            " latencies");
    bool strict = a.accuracy > b.accuracy;
    if (a.accuracy < b.accuracy) return false;
    for (std::size_t i = 0; i < a.latency.size(); ++i) {
        if (a.latency[i] > b.latency[i]) return false;
        if (a.latency[i] < b.latency[i]) strict = true;
    }
    return strict;
}

/// Non-dominated set of successful evaluations (failed ones are never admitted). Among candidates
/// with identical objectives, the first one stays.
class pareto_archive {
public:
    /// Offers `e`; returns true when it joined the front (removing the members it dominates).
    bool insert(const evaluation& e) {
        if (!e.ok) return false;
        if (!front_.empty())
            require(e.latency.size() == front_.front().latency.size(), "pareto_archive: candidate step ", e.step, " has ",
                    e.latency.size(), " latencies, the archive holds ", front_.front().latency.size());
        for (const auto& m : front_)
            if (dominates(m, e) || (m.accuracy == e.accuracy && m.latency == e.latency)) return false;
        std::erase_if(front_, [&](const evaluation& m) { return dominates(e, m); });
        front_.push_back(e);
        return true;
    }
    /// The front sorted by the latency of target `t` (ascending).
    std::vector<evaluation> front(std::size_t t = 0) const {
        auto f = front_;
        std::sort(f.begin(), f.end(), [t](const evaluation& a, const evaluation& b) {
            return a.latency.at(t) != b.latency.at(t) ? a.latency.at(t) < b.latency.at(t) : a.step < b.step;
        });
        return f;
    }
    /// Number of members.
    std::size_t size() const noexcept { return front_.size(); }
    /// True when no candidate was admitted.
    bool empty() const noexcept { return front_.empty(); }

private:
    std::vector<evaluation> front_;
};

}  // namespace accelnas::search
