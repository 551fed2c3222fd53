#pragma once
/// \file
/// Search results as CSV: one row per evaluated candidate (results.csv of `accelnas-search`).

#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/layout.hpp>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

namespace accelnas::search {

/// Writes one CSV row per evaluation: step, arch, ok, accuracy, latency_<target> (ms), param_bytes,
/// reward, seconds, failure; `targets` names the latency columns. When candidates were trained with
/// several seeds, accuracy_std and seed_accuracies (separated by ';') follow accuracy.
inline void write_csv(std::ostream& os, const std::vector<evaluation>& evals, const std::vector<std::string>& targets) {
    const bool seeds = std::any_of(evals.begin(), evals.end(), [](const evaluation& e) { return !e.seed_accuracies.empty(); });
    os << "step,arch,ok,accuracy";
    if (seeds) os << ",accuracy_std,seed_accuracies";
    for (const auto& t : targets) os << ",latency_ms_" << t;
    os << ",param_bytes,reward,seconds,failure\n";
    os << std::setprecision(10);
    for (const auto& e : evals) {
        require(e.latency.size() == targets.size() || !e.ok, "write_csv: step ", e.step, " has ", e.latency.size(), " latencies, expected ",
                targets.size());
        os << e.step << ',' << to_string(e.arch) << ',' << (e.ok ? 1 : 0) << ',' << e.accuracy;
        if (seeds) {
            os << ',' << std_of(e.seed_accuracies) << ',';
            for (std::size_t k = 0; k < e.seed_accuracies.size(); ++k) os << (k ? ";" : "") << e.seed_accuracies[k];
        }
        for (std::size_t i = 0; i < targets.size(); ++i) os << ',' << (i < e.latency.size() ? e.latency[i] * 1e3 : 0.0);
        std::string f = e.failure;
        std::replace(f.begin(), f.end(), '"', '\'');
        os << ',' << e.param_bytes << ',' << e.reward << ',' << e.seconds << ",\"" << f << "\"\n";
    }
}

/// Writes the CSV of `evals` to `path`, whole or not at all.
inline void write_csv(const std::string& path, const std::vector<evaluation>& evals, const std::vector<std::string>& targets) {
    write_file_atomically(path, [&](std::ostream& os) { write_csv(os, evals, targets); });
}

}  // namespace accelnas::search
