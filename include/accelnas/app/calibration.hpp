#pragma once
/// \file
/// What `accelnas-calibrate` does around the fit of hw/fit_config.hpp: measurement rows turned into
/// networks (whole models of the zoo at their measured input, or NAS-Bench-201 graphs in LatBench's
/// variant), published orderings parsed from "FASTER<SLOWER", the default free parameters of each
/// kind of target, the start config (the shipped one, or a file checked against the target), the
/// fit itself and its report.
///
/// Whole-model CSVs (target,model,input,latency_ms) are filtered to the target; LatBench CSVs
/// (arch_str,latency_ms) hold NAS-Bench-201 arch strings (they start with '|').

#include <accelnas/app/format.hpp>
#include <accelnas/app/spec.hpp>
#include <accelnas/app/targets.hpp>
#include <accelnas/core/csv.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/statistics.hpp>
#include <accelnas/hw/fit_config.hpp>
#include <accelnas/hw/free_parameters.hpp>
#include <accelnas/hw/measurements.hpp>
#include <accelnas/hw/config_json.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/simulator.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace accelnas::app::calibration {

/// The non-empty comma-separated fields of `s` (core/csv.hpp splits).
inline std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> r;
    for (auto& x : split_csv_line(s))
        if (!x.empty()) r.push_back(std::move(x));
    return r;
}

/// True when a measured model name is a NAS-Bench-201 arch string (LatBench rows).
inline bool is_nb201_arch(const std::string& model) { return !model.empty() && model[0] == '|'; }

/// The rows of `path` measured on `target`, each with the network it names; errors name the file
/// and line of a model that does not build.
inline std::vector<hw::calibration_row> load_rows(const std::string& path, const std::string& target) {
    const auto ms = hw::read_measurements(path, target);
    std::vector<hw::calibration_row> rows;
    for (const auto& m : ms) {
        if (m.target != target) continue;
        hw::calibration_row r;
        r.seconds = m.latency_ms * 1e-3;
        r.label = m.network + (m.input ? "@" + std::to_string(m.input) : "");
        try {
            if (is_nb201_arch(m.network)) r.net = zoo::nasbench201(m.network, zoo::nb201_variant::latbench);
            else r.net = zoo::build(m.network, {.resolution = m.input});
        } catch (const error& e) {
            fail("measurements '", path, "' line ", m.line, ": ", e.what());
        }
        rows.push_back(std::move(r));
    }
    require(!rows.empty(), "measurements '", path, "': no rows for target '", target, "'");
    return rows;
}

/// "A<B" (A observed faster than B) as an ordering with both networks built from their model specs.
inline hw::order_constraint parse_order(const std::string& text, double margin) {
    const auto lt = text.find('<');
    require(lt != std::string::npos && lt > 0 && lt + 1 < text.size() && text.find('<', lt + 1) == std::string::npos,
            "--order '", text, "': expected FASTER<SLOWER with two model specs, e.g. mobilenet_edgetpu<mobilenet_v2");
    hw::order_constraint o;
    o.label = text;
    o.margin = margin;
    try {
        o.faster = resolve_spec(text.substr(0, lt));
        o.slower = resolve_spec(text.substr(lt + 1));
    } catch (const error& e) {
        fail("--order '", text, "': ", e.what());
    }
    return o;
}

/// The parameters fitted when none are named: the recipe the target's shipped config was fitted with
/// (docs/hw.md, "Calibration"), never more than its rows determine. A CPU's conv and pointwise
/// throughputs; on LatBench rows (one chip, many small graphs) the chip's mechanisms; on whole-model
/// rows what the board adds to the chip: coral-usb's host link and per-inference overhead,
/// coral-devboard's host link (the overhead is coral-usb's: the same runtime), pixel4-edgetpu's clock.
inline std::string default_parameters(std::string_view target, const target_config& c, bool latbench_rows) {
    if (std::holds_alternative<hw::cpu_config>(c)) return "conv_macs_per_second,pointwise_macs_per_second";
    if (latbench_rows)
        return "op_overhead_cycles,pool_overhead_cycles,vector_overhead_cycles,inference_overhead_seconds,"
               "tile_bytes_per_cycle,pass_overhead_cycles,sram_bytes_per_cycle";
    if (target == "coral-devboard") return "host_bytes_per_second";
    if (target == "pixel4-edgetpu") return "clock_hz";
    return "host_bytes_per_second,inference_overhead_seconds";
}

/// Prints the fitted parameters (before and after), the error on the fitted and held-out rows, each
/// ordering, and with `per_row` every row with its prediction.
template <class Config>
void print_result(std::ostream& out, const hw::calibration_result<Config>& res, const std::vector<hw::calibration_row>& rows,
                  bool per_row, const std::vector<hw::order_constraint>& orders) {
    out << printf_string("%-28s %14s %14s\n", "parameter", "before", "after");
    for (std::size_t i = 0; i < res.names.size(); ++i)
        out << printf_string("%-28s %14.6g %14.6g\n", res.names[i].c_str(), res.before[i], res.after[i]);
    auto line = [&](const char* what, const error_summary& s) {
        out << printf_string("%-9s n=%-5zu median %.1f%%  p90 %.1f%%  within10 %.1f%%  spearman %.3f\n", what, s.n,
                             100 * s.median_rel, 100 * s.p90_rel, 100 * s.within10, s.spearman);
    };
    line("fit", res.fit);
    line("held-out", res.held_out);
    for (std::size_t i = 0; i < orders.size(); ++i)
        out << printf_string("order    %-40s slower/faster %.3f (aimed at >= %.3f): %s\n", orders[i].label.c_str(),
                             res.order_ratios[i], 1 + orders[i].margin, res.order_ratios[i] > 1 ? "holds" : "VIOLATED");
    if (!per_row) return;
    std::vector<char> held(rows.size(), 0);
    for (auto i : res.holdout_rows) held[i] = 1;
    for (std::size_t i = 0; i < rows.size(); ++i)
        out << printf_string("%-8s %-60s measured %9.3f ms  predicted %9.3f ms  %+6.1f%%\n", held[i] ? "held-out" : "fit",
                             rows[i].label.c_str(), rows[i].seconds * 1e3, res.predicted[i] * 1e3,
                             100 * (res.predicted[i] - rows[i].seconds) / rows[i].seconds);
}

/// A calibration as the tool describes it.
struct settings {
    std::string target;                 ///< target to fit (an Edge TPU or CPU target)
    std::string measurements;           ///< CSV of measured latencies
    std::string estimator = "apm";      ///< model fitted for an Edge TPU: apm or sim
    std::string params;                 ///< comma-separated parameters ("" = `default_parameters`)
    std::string config_path;            ///< start from this config file ("" = the shipped one)
    std::vector<std::string> orders;    ///< published orderings "FASTER<SLOWER"
    double order_margin = 0.05;         ///< relative gap an ordering asks for
    hw::calibration_options options;    ///< hold-out, seed, budget, starts, ordering weight
    bool per_row = false;               ///< print every row with its prediction
};

/// The start config of `s.target`: the shipped description, or `s.config_path` when given (whose
/// kind must match the target; keys the file leaves out keep the target's shipped values, not the
/// library defaults). `accelnas::error` for targets without free parameters.
inline hw::device_config start_config(const settings& s) {
    const auto shipped = shipped_config(s.target);
    require(!std::holds_alternative<hw::systolic_config>(shipped), "target '", s.target,
            "' has no free parameters to fit (calibrate one of: ", named_target_list(), ")");
    std::optional<hw::device_config> file;
    if (!s.config_path.empty()) file = hw::read_config(s.config_path, hw::targets::target_config(s.target));
    if (const auto* cpu = std::get_if<hw::cpu_config>(&shipped))
        return file ? config_for<hw::cpu_config>(*file, s.target, "--config") : *cpu;
    return file ? config_for<hw::edgetpu_config>(*file, s.target, "--config") : std::get<hw::edgetpu_config>(shipped);
}

/// Runs the calibration `s` describes, prints its report to `out` and returns the fitted config.
inline hw::device_config run(const settings& s, std::ostream& out) {
    const auto base = start_config(s);
    const auto rows = load_rows(s.measurements, s.target);
    const bool latbench = is_nb201_arch(rows[0].label);
    auto opt = s.options;
    for (const auto& t : s.orders) opt.orders.push_back(parse_order(t, s.order_margin));
    const auto names = split_commas(s.params.empty() ? default_parameters(s.target, shipped_config(s.target), latbench) : s.params);
    if (const auto* cpu = std::get_if<hw::cpu_config>(&base)) {
        std::vector<hw::free_parameter<hw::cpu_config>> ps;
        for (const auto& n : names) ps.push_back(hw::cpu_free_parameter(n));
        const auto res = hw::fit_config<hw::mobile_cpu>(*cpu, ps, rows, opt);
        print_result(out, res, rows, s.per_row, opt.orders);
        return res.config;
    }
    const auto& tpu = std::get<hw::edgetpu_config>(base);
    std::vector<hw::free_parameter<hw::edgetpu_config>> ps;
    for (const auto& n : names) ps.push_back(hw::edgetpu_free_parameter(n, s.target));
    const auto res = s.estimator == "sim" ? hw::fit_config<hw::simulator>(tpu, ps, rows, opt)
                                          : hw::fit_config<hw::apm>(tpu, ps, rows, opt);
    print_result(out, res, rows, s.per_row, opt.orders);
    return res.config;
}

}  // namespace accelnas::app::calibration
