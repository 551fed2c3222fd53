#pragma once
/// \file
/// Measured latencies: the rows of the measurement CSVs in reference/ (whole networks on a target,
/// or BRP-NAS LatBench rows), read with their file line for messages.

#include <accelnas/core/csv.hpp>
#include <accelnas/core/error.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace accelnas::hw {

/// One measured latency: a whole network (target, zoo model name, input size) or a LatBench row
/// (`network` holds the NAS-Bench-201 arch string, `input` is 0, `target` the default target).
struct measurement {
    std::string target;       ///< device the latency was measured on
    std::string network;      ///< zoo model name or NAS-Bench-201 arch string (CSV column `model` or `arch_str`)
    std::int64_t input = 0;   ///< square input size (0 = the network's own)
    double latency_ms = 0.0;  ///< measured latency, milliseconds (positive)
    std::string source;       ///< where the number comes from
    std::size_t line = 0;     ///< line in the CSV (for messages)
};

/// Reads a measurement CSV: '#' lines are comments; the header names the columns. Whole-model files
/// need `target,model,input,latency_ms` (`source` optional); LatBench files need `arch_str,latency_ms`
/// and take `default_target`. Fields follow RFC 4180 quoting (`split_csv_line`). Missing columns,
/// empty or non-positive latencies raise `accelnas::error` naming the file and line.
inline std::vector<measurement> read_measurements(const std::string& path, const std::string& default_target = "") {
    std::ifstream in(path);
    require(in.good(), "measurements: cannot open '", path, "'");
    std::string line;
    std::vector<std::string> header;
    std::vector<measurement> rows;
    std::size_t ln = 0;
    int c_target = -1, c_model = -1, c_input = -1, c_lat = -1, c_source = -1, c_arch = -1;
    while (std::getline(in, line)) {
        ++ln;
        if (line.empty() || line[0] == '#' || line == "\r") continue;
        std::vector<std::string> f;
        try {
            f = split_csv_line(line);
        } catch (const error& e) {
            fail("measurements '", path, "' line ", ln, ": ", e.what());
        }
        if (header.empty()) {
            header = f;
            for (int i = 0; i < static_cast<int>(f.size()); ++i) {
                if (f[i] == "target") c_target = i;
                else if (f[i] == "model") c_model = i;
                else if (f[i] == "input") c_input = i;
                else if (f[i] == "latency_ms") c_lat = i;
                else if (f[i] == "source") c_source = i;
                else if (f[i] == "arch_str") c_arch = i;
            }
            require(c_lat >= 0, "measurements '", path, "' line ", ln, ": missing column 'latency_ms'");
            if (c_arch < 0) {
                require(c_model >= 0, "measurements '", path, "' line ", ln,
                        ": missing column 'model' (or 'arch_str' for LatBench files)");
                require(c_target >= 0 || !default_target.empty(), "measurements '", path, "' line ", ln,
                        ": missing column 'target' (and no default target given)");
            }
            continue;
        }
        require(f.size() == header.size(), "measurements '", path, "' line ", ln, ": ", f.size(),
                " fields but the header has ", header.size());
        measurement m;
        m.line = ln;
        m.target = c_target >= 0 ? f[c_target] : default_target;
        m.network = c_arch >= 0 ? f[c_arch] : f[c_model];
        require(!m.network.empty(), "measurements '", path, "' line ", ln, ": empty model");
        if (c_input >= 0 && !f[c_input].empty()) {
            try {
                m.input = std::stoll(f[c_input]);
            } catch (const std::exception&) {
                fail("measurements '", path, "' line ", ln, ": input '", f[c_input], "' is not an integer");
            }
            require(m.input > 0, "measurements '", path, "' line ", ln, ": input must be positive, got ", m.input);
        }
        try {
            m.latency_ms = std::stod(f[c_lat]);
        } catch (const std::exception&) {
            fail("measurements '", path, "' line ", ln, ": latency_ms '", f[c_lat], "' is not a number");
        }
        require(std::isfinite(m.latency_ms) && m.latency_ms > 0, "measurements '", path, "' line ", ln,
                ": latency_ms must be positive, got ", f[c_lat]);
        if (c_source >= 0) m.source = f[c_source];
        rows.push_back(std::move(m));
    }
    require(!header.empty(), "measurements '", path, "': no header line");
    return rows;
}

}  // namespace accelnas::hw
