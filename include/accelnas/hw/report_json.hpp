#pragma once
/// \file
/// JSON form of a `latency_report` (for `accelnas-estimate --format json` and for journals).

#include <accelnas/hw/report.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace accelnas::hw {

/// The JSON form of one op's estimate.
inline nlohmann::json to_json(const op_latency& o) {
    return {{"index", o.index},
            {"name", o.name},
            {"kind", std::string(graph::to_string(o.kind))},
            {"cycles", o.cycles},
            {"seconds", o.seconds},
            {"limiter", std::string(to_string(o.bound))},
            {"utilization", o.utilization},
            {"where", std::string(to_string(o.where))},
            {"macs", o.macs},
            {"param_bytes", o.param_bytes},
            {"params_streamed", o.params_streamed}};
}

/// The JSON form of a report (per-op entries included when present).
inline nlohmann::json to_json(const latency_report& r) {
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& o : r.ops) ops.push_back(to_json(o));
    return {{"model", r.network},  // key kept: tools and journals already read "model"
            {"target", r.target},
            {"estimator", r.estimator},
            {"latency_ms", r.total_ms()},
            {"total_seconds", r.total_seconds},
            {"total_cycles", r.total_cycles},
            {"clock_hz", r.clock_hz},
            {"param_bytes_cached", r.param_bytes_cached},
            {"param_bytes_streamed", r.param_bytes_streamed},
            {"param_cache_capacity", r.param_cache_capacity},
            {"input_bytes", r.input_bytes},
            {"output_bytes", r.output_bytes},
            {"io_seconds", r.io_seconds},
            {"host_seconds", r.host_seconds},
            {"first_host_op", r.first_host_op},
            {"ops", ops}};
}

}  // namespace accelnas::hw
