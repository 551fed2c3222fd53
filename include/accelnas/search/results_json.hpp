#pragma once
/// \file
/// Search results as JSON: every evaluation in the journal's record form, and the results document
/// of `accelnas-search` (results.json: the space, the run's configuration and the evaluations).

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
inline void write_results_json(std::ostream& os, const std::string& space, const nlohmann::json& config,
                               const std::vector<evaluation>& evals) {
    os << nlohmann::json{{"space", space}, {"config", config}, {"evaluations", to_json(evals)}}.dump(1) << "\n";
}

/// Writes the results document to `path`.
inline void write_results_json(const std::string& path, const std::string& space, const nlohmann::json& config,
                               const std::vector<evaluation>& evals) {
    std::ofstream f(path);
    require(f.good(), "write_results_json: cannot write ", path);
    write_results_json(f, space, config, evals);
    require(f.good(), "write_results_json: write to ", path, " failed");
}

}  // namespace accelnas::search
