#pragma once
/// \file
/// Where the simulator's time goes: spans per resource (each tile's MAC array and vector unit, the
/// on-chip network, each DMA engine, the host link, the sequencer), written as a Chrome trace-event
/// file that opens in Perfetto or chrome://tracing (one track per resource, one span per op).

#include <accelnas/core/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace accelnas::hw::sim {

/// One busy interval of a resource on behalf of an op.
struct span {
    std::uint32_t track = 0;    ///< index into `trace::tracks`
    std::int64_t start = 0;     ///< first cycle
    std::int64_t end = 0;       ///< one past the last cycle
    std::string name;           ///< the op (or transfer) it served
    std::string what;           ///< category: "pass", "vector", "weights", "spill", "input", ...
};

/// The simulator's record of one inference.
struct trace {
    std::vector<std::string> tracks;  ///< resource names, one track each
    std::vector<span> spans;          ///< in the order they were recorded
    double clock_hz = 1.0;            ///< converts cycles to time
    std::string network;              ///< network name
    std::string target;               ///< target name

    /// Adds a span, merging it into the previous span of the same track and op when they touch (a
    /// tile's consecutive passes of one op become one span).
    void add(std::uint32_t tr, std::int64_t s, std::int64_t e, const std::string& name, const char* what) {
        if (e <= s) return;
        if (last_.size() < tracks.size()) last_.resize(tracks.size(), -1);
        if (tr < last_.size() && last_[tr] >= 0) {
            span& p = spans[static_cast<std::size_t>(last_[tr])];
            if (p.name == name && p.what == what && s <= p.end + 1) {
                p.end = std::max(p.end, e);
                return;
            }
        }
        spans.push_back({tr, s, e, name, what});
        if (tr < last_.size()) last_[tr] = static_cast<std::int64_t>(spans.size() - 1);
    }

private:
    std::vector<std::int64_t> last_;  // per track: index of its latest span
};

/// The Chrome trace-event JSON of `t`: one thread (track) per resource, named by metadata events,
/// one complete ("X") event per span with times in microseconds.
inline nlohmann::json to_chrome_trace(const trace& t) {
    nlohmann::json ev = nlohmann::json::array();
    ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 0},
                  {"args", {{"name", t.network + " on " + t.target}}}});
    for (std::size_t i = 0; i < t.tracks.size(); ++i) {
        ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", i + 1}, {"args", {{"name", t.tracks[i]}}}});
        ev.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 1}, {"tid", i + 1}, {"args", {{"sort_index", i}}}});
    }
    const double us = 1e6 / t.clock_hz;
    for (const auto& s : t.spans)
        ev.push_back({{"name", s.name}, {"cat", s.what}, {"ph", "X"}, {"pid", 1}, {"tid", s.track + 1},
                      {"ts", static_cast<double>(s.start) * us}, {"dur", static_cast<double>(s.end - s.start) * us},
                      {"args", {{"start_cycle", s.start}, {"cycles", s.end - s.start}}}});
    return {{"traceEvents", ev}, {"displayTimeUnit", "ns"}};
}

/// Writes `t` to `path` as a Chrome trace-event file; `accelnas::error` when it cannot.
inline void write_chrome_trace(const std::string& path, const trace& t) {
    std::ofstream out(path);
    require(out.good(), "trace: cannot write '", path, "'");
    out << to_chrome_trace(t).dump() << '\n';
    require(out.good(), "trace: writing '", path, "' failed");
}

}  // namespace accelnas::hw::sim
