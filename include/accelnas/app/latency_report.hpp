#pragma once
/// \file
/// What `accelnas-estimate` prints: latency reports of networks on a target as a table, CSV rows or
/// JSON, per network or per op; and spec lists read from a batch file.

#include <accelnas/app/format.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/report_json.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace accelnas::app::latency {

/// The output formats.
inline bool is_format(const std::string& f) { return f == "table" || f == "csv" || f == "json"; }

/// The model specs of a batch file: one per line; empty lines and lines starting with '#' skipped.
inline std::vector<std::string> read_spec_lines(const std::string& path) {
    std::ifstream in(path);
    require(in.good(), "--batch: cannot open '", path, "'");
    std::vector<std::string> specs;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        specs.push_back(line);
    }
    return specs;
}

/// One line of totals for `r` (and with `per_op` a table of its ops).
inline void print_table(std::ostream& out, const hw::latency_report& r, bool per_op) {
    out << printf_string("%-40s %-16s %-4s %10.3f ms", r.network.c_str(), r.target.c_str(), r.estimator.c_str(), r.total_ms());
    if (r.clock_hz > 0)
        out << printf_string("  (%lld cycles, params cached %.2f MB, streamed %.2f MB, io %.3f ms%s)",
                             static_cast<long long>(r.total_cycles), r.param_bytes_cached / 1e6,
                             r.param_bytes_streamed / 1e6, r.io_seconds * 1e3,
                             r.host_seconds > 0 ? ", host part present" : "");
    out << '\n';
    if (!per_op) return;
    out << printf_string("  %-28s %-16s %-11s %-14s %12s %10s %6s %12s %10s %s\n", "op", "kind", "where", "limiter",
                         "cycles", "us", "util", "macs", "params", "streamed");
    for (const auto& o : r.ops)
        out << printf_string("  %-28s %-16s %-11s %-14s %12lld %10.2f %5.1f%% %12lld %10lld %s\n", o.name.c_str(),
                             std::string(graph::to_string(o.kind)).c_str(), std::string(hw::to_string(o.where)).c_str(),
                             std::string(hw::to_string(o.bound)).c_str(), static_cast<long long>(o.cycles),
                             o.seconds * 1e6, 100 * o.utilization, static_cast<long long>(o.macs),
                             static_cast<long long>(o.param_bytes), o.params_streamed ? "yes" : "no");
}

/// The CSV header line (per network, or per op).
inline void print_csv_header(std::ostream& out, bool per_op) {
    if (per_op)
        out << "model,target,estimator,op,kind,where,limiter,cycles,seconds,utilization,macs,param_bytes,params_streamed\n";
    else
        out << "model,target,estimator,latency_ms,cycles,param_bytes_cached,param_bytes_streamed\n";
}

/// The CSV row of a bare latency (the fast path for large batches: no per-op report is built).
inline void print_csv_latency(std::ostream& out, const std::string& spec, const std::string& target,
                              const std::string& estimator, double seconds) {
    out << printf_string("%s,%s,%s,%.6f,,,\n", spec.c_str(), target.c_str(), estimator.c_str(), seconds * 1e3);
}

/// The CSV row of `r` (with `per_op`: one row per op), labelled with the spec it came from.
inline void print_csv(std::ostream& out, const std::string& spec, const std::string& target,
                      const std::string& estimator, const hw::latency_report& r, bool per_op) {
    if (!per_op) {
        out << printf_string("%s,%s,%s,%.6f,%lld,%lld,%lld\n", spec.c_str(), target.c_str(), estimator.c_str(),
                             r.total_ms(), static_cast<long long>(r.total_cycles),
                             static_cast<long long>(r.param_bytes_cached), static_cast<long long>(r.param_bytes_streamed));
        return;
    }
    for (const auto& o : r.ops)
        out << printf_string("%s,%s,%s,%s,%s,%s,%s,%lld,%.9g,%.6f,%lld,%lld,%d\n", spec.c_str(), target.c_str(),
                             estimator.c_str(), o.name.c_str(), std::string(graph::to_string(o.kind)).c_str(),
                             std::string(hw::to_string(o.where)).c_str(), std::string(hw::to_string(o.bound)).c_str(),
                             static_cast<long long>(o.cycles), o.seconds, o.utilization, static_cast<long long>(o.macs),
                             static_cast<long long>(o.param_bytes), o.params_streamed ? 1 : 0);
}

/// The JSON object of `r` labelled with its spec (without the ops unless `per_op`).
inline nlohmann::json to_json(const std::string& spec, const hw::latency_report& r, bool per_op) {
    auto j = hw::to_json(r);
    if (!per_op) j.erase("ops");
    j["spec"] = spec;
    return j;
}

}  // namespace accelnas::app::latency
