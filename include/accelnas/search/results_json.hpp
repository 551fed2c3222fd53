#pragma once
/// \file
/// Search results as JSON: every evaluation in the journal's record form, and the results document
/// of `accelnas-search` (results.json: the space, the run's configuration and the evaluations).

#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/journal.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace accelnas::search {

/// All evaluations as a JSON array (the journal's record form).
inline nlohmann::json to_json(const std::vector<evaluation>& evals) {
    auto a = nlohmann::json::array();
    for (const auto& e : evals) a.push_back(to_json(e));
    return a;
}

/// Writes the results document `{"space", "config", "evaluations"}` (one JSON document, indented by
/// one space, newline-terminated): `config` is whatever describes the run (controller, targets, ...).
/// A non-null `final_report` (e.g. the chosen architectures retrained with several seeds) is added
/// as "final".
inline void write_results_json(std::ostream& os, const std::string& space, const nlohmann::json& config,
                               const std::vector<evaluation>& evals, const nlohmann::json& final_report = nullptr) {
    nlohmann::json j{{"space", space}, {"config", config}, {"evaluations", to_json(evals)}};
    if (!final_report.is_null()) j["final"] = final_report;
    os << j.dump(1) << "\n";
}

/// Writes the results document to `path`, whole or not at all.
inline void write_results_json(const std::string& path, const std::string& space, const nlohmann::json& config,
                               const std::vector<evaluation>& evals, const nlohmann::json& final_report = nullptr) {
    write_file_atomically(path, [&](std::ostream& os) { write_results_json(os, space, config, evals, final_report); });
}

}  // namespace accelnas::search
