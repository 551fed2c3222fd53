// accelnas-calibrate: fit a target's free parameters to measured latencies.
//
//   accelnas-calibrate --target coral-usb --holdout 0.3 --out coral-usb.json
//                      --measurements ../shared/reference/edgetpu_measured_calibration.csv
//   accelnas-calibrate --target coral-latbench --measurements ../shared/reference/latbench_edgetpu_calibration.csv
//
// Whole-model CSVs (target,model,input,latency_ms) are filtered to --target and their models built
// with the zoo at the given input size; LatBench CSVs (arch_str,latency_ms) are NAS-Bench-201 graphs
// in the variant LatBench measured. The fit minimizes squared relative error (Nelder-Mead in log
// space) on the non-held-out rows and reports errors on both splits.
//
// Published orderings without numbers (a paper's "A is faster than B on this device") enter as
// --order 'A<B' (model specs, repeatable): the fit then also asks B >= (1 + --order-margin) x A.
//
//   accelnas-calibrate --target pixel4-edgetpu --measurements ../shared/reference/edgetpu_measured_calibration.csv
//                      --holdout 0 --order 'mobilenet_edgetpu<mobilenet_v2' --starts 12

#include <accelnas/core/csv.hpp>
#include <accelnas/hw.hpp>
#include <accelnas/spec.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

using namespace accelnas;

namespace {

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> r;
    for (auto& x : split_csv_line(s))
        if (!x.empty()) r.push_back(std::move(x));
    return r;
}

std::vector<hw::calibration_row> load_rows(const std::string& path, const std::string& target) {
    auto ms = hw::read_measurements(path, target);
    std::vector<hw::calibration_row> rows;
    for (const auto& m : ms) {
        if (m.target != target) continue;
        hw::calibration_row r;
        r.seconds = m.latency_ms * 1e-3;
        r.label = m.network + (m.input ? "@" + std::to_string(m.input) : "");
        try {
            if (m.network.size() > 0 && m.network[0] == '|') r.net = zoo::nasbench201(m.network, zoo::nb201_variant::latbench);
            else r.net = zoo::build(m.network, {.resolution = m.input});
        } catch (const error& e) {
            fail("measurements '", path, "' line ", m.line, ": ", e.what());
        }
        rows.push_back(std::move(r));
    }
    require(!rows.empty(), "measurements '", path, "': no rows for target '", target, "'");
    return rows;
}

// "A<B" (A observed faster than B) -> an ordering with both networks built from their specs.
hw::order_constraint parse_order(const std::string& text, double margin) {
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

template <class Config>
void print_result(const hw::calibration_result<Config>& res, const std::vector<hw::calibration_row>& rows, bool per_row,
                  const std::vector<hw::order_constraint>& orders) {
    std::printf("%-28s %14s %14s\n", "parameter", "before", "after");
    for (std::size_t i = 0; i < res.names.size(); ++i)
        std::printf("%-28s %14.6g %14.6g\n", res.names[i].c_str(), res.before[i], res.after[i]);
    auto line = [](const char* what, const error_summary& s) {
        std::printf("%-9s n=%-5zu median %.1f%%  p90 %.1f%%  within10 %.1f%%  spearman %.3f\n", what, s.n,
                    100 * s.median_rel, 100 * s.p90_rel, 100 * s.within10, s.spearman);
    };
    line("fit", res.fit);
    line("held-out", res.held_out);
    for (std::size_t i = 0; i < orders.size(); ++i)
        std::printf("order    %-40s slower/faster %.3f (aimed at >= %.3f): %s\n", orders[i].label.c_str(),
                    res.order_ratios[i], 1 + orders[i].margin, res.order_ratios[i] > 1 ? "holds" : "VIOLATED");
    if (per_row) {
        std::vector<char> held(rows.size(), 0);
        for (auto i : res.holdout_rows) held[i] = 1;
        for (std::size_t i = 0; i < rows.size(); ++i)
            std::printf("%-8s %-60s measured %9.3f ms  predicted %9.3f ms  %+6.1f%%\n", held[i] ? "held-out" : "fit",
                        rows[i].label.c_str(), rows[i].seconds * 1e3, res.predicted[i] * 1e3,
                        100 * (res.predicted[i] - rows[i].seconds) / rows[i].seconds);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Fit a target's free parameters to measured latencies"};
    std::string target, csv, out, params, config_path, estimator = "apm";
    double holdout = 0.2;
    std::uint64_t seed = 20261123;
    int evals = 3000, starts = 1;
    bool per_row = false;
    std::vector<std::string> order_texts;
    double order_margin = 0.05, order_weight = 10.0;
    app.add_option("--target", target, "target to fit (coral-usb, coral-devboard, pixel4-edgetpu, coral-latbench, pixel4-cpu)")->required();
    app.add_option("--measurements", csv, "CSV of measured latencies (reference/*.csv format)")->required();
    app.add_option("--holdout", holdout, "share of rows held out of the fit, in [0, 1)");
    app.add_option("--seed", seed, "seed of the hold-out split");
    app.add_option("--estimator", estimator, "model fitted: apm (fast, default) or sim");
    app.add_option("--params", params, "comma-separated parameters to fit (default depends on the target and file)");
    app.add_option("--config", config_path, "start from this config JSON instead of the shipped one");
    app.add_option("--max-evaluations", evals, "Nelder-Mead evaluation budget");
    app.add_option("--out", out, "write the fitted config JSON here");
    app.add_flag("--rows", per_row, "print every row with its prediction");
    app.add_option("--order", order_texts, "published ordering FASTER<SLOWER (model specs) the fit must honour; repeatable");
    app.add_option("--order-margin", order_margin, "relative gap an ordering asks for (slower >= (1 + margin) x faster)");
    app.add_option("--order-weight", order_weight, "weight of a violated ordering against the squared relative errors");
    app.add_option("--starts", starts, "Nelder-Mead descents: the start config, then seeded random points in the bounds");
    CLI11_PARSE(app, argc, argv);
    try {
        require(estimator == "apm" || estimator == "sim", "unknown estimator '", estimator, "' (expected apm or sim)");
        const auto rows = load_rows(csv, target);
        const bool latbench = !rows.empty() && rows[0].label.size() > 0 && rows[0].label[0] == '|';
        hw::calibration_options opt{.holdout = holdout, .seed = seed, .max_evaluations = evals, .starts = starts};
        opt.order_weight = order_weight;
        for (const auto& t : order_texts) opt.orders.push_back(parse_order(t, order_margin));
        if (target == "pixel4-cpu") {
            hw::cpu_config base = hw::targets::pixel4_cpu();
            if (!config_path.empty()) base = std::get<hw::cpu_config>(hw::read_config(config_path));
            std::vector<hw::free_parameter<hw::cpu_config>> ps;
            for (const auto& n : split_commas(params.empty() ? "conv_macs_per_second,pointwise_macs_per_second" : params))
                ps.push_back(hw::cpu_free_parameter(n));
            const auto res = hw::fit_config<hw::mobile_cpu>(base, ps, rows, opt);
            print_result(res, rows, per_row, opt.orders);
            if (!out.empty()) hw::write_config(out, res.config);
        } else {
            hw::edgetpu_config base = hw::targets::edgetpu(target);
            if (!config_path.empty()) {
                auto c = hw::read_config(config_path);
                require(std::holds_alternative<hw::edgetpu_config>(c), "--config: ", target, " needs an edgetpu config");
                base = std::get<hw::edgetpu_config>(c);
            }
            const std::string def = latbench ? "op_overhead_cycles,inference_overhead_seconds,tile_bytes_per_cycle,vector_width"
                                             : "host_bytes_per_second,op_overhead_cycles,inference_overhead_seconds";
            std::vector<hw::free_parameter<hw::edgetpu_config>> ps;
            for (const auto& n : split_commas(params.empty() ? def : params)) ps.push_back(hw::edgetpu_free_parameter(n));
            const auto res = estimator == "sim" ? hw::fit_config<hw::simulator>(base, ps, rows, opt)
                                                : hw::fit_config<hw::apm>(base, ps, rows, opt);
            print_result(res, rows, per_row, opt.orders);
            if (!out.empty()) hw::write_config(out, res.config);
        }
        if (!out.empty()) std::printf("wrote %s\n", out.c_str());
    } catch (const error& e) {
        std::cerr << "accelnas-calibrate: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
