// accelnas-calibrate: fit a target's free parameters to measured latencies.
//
//   accelnas-calibrate --target coral-usb --holdout 0.3 --out coral-usb.json
//                      --measurements ../shared/reference/edgetpu_measured_calibration.csv
//   accelnas-calibrate --target coral-latbench --measurements ../shared/reference/latbench_edgetpu_calibration.csv
//
// Whole-model CSVs (target,model,input,latency_ms) are filtered to --target and their models built
// with the zoo at the given input size; LatBench CSVs (arch_str,latency_ms) are NAS-Bench-201 graphs
// in the variant LatBench measured (accelnas/app/calibration.hpp). The fit minimizes squared
// relative error (Nelder-Mead in log space) on the non-held-out rows and reports errors on both splits.
//
// Without --params it fits the target's shipped recipe (what its rows determine: coral-usb's host
// link and overhead, coral-devboard's link, pixel4-edgetpu's clock, LatBench's chip mechanisms).
//
// Published orderings without numbers (a paper's "A is faster than B on this device") enter as
// --order 'A<B' (model specs, repeatable): the fit then also asks B >= (1 + --order-margin) x A.
// An ordering is a constraint, not a measurement: the shipped configs use none (docs/hw.md says
// which of the paper's orderings follow without one). To see what one would ask of the clock:
//
//   accelnas-calibrate --target pixel4-edgetpu --measurements ../shared/reference/edgetpu_measured_calibration.csv
//                      --holdout 0 --estimator sim --order 'mobilenet_edgetpu<mobilenet_v2'

#include "cli.hpp"

#include <accelnas/app/calibration.hpp>
#include <accelnas/core/atomic_file.hpp>

#include <iostream>
#include <sstream>

using namespace accelnas;

int main(int argc, char** argv) {
    CLI::App cli{"Fit a target's free parameters to measured latencies"};
    app::calibration::settings s;
    std::string out;
    auto& o = s.options;
    cli.add_option("--target", s.target, "target to fit: " + app::target_list())->required();
    cli.add_option("--measurements", s.measurements, "CSV of measured latencies (reference/*.csv format)")->required();
    cli.add_option("--holdout", o.holdout, "share of rows held out of the fit, in [0, 1)")->check(tools::half_open(0.0, 1.0));
    cli.add_option("--seed", o.seed, "seed of the hold-out split")->check(tools::count_range(0, INT64_MAX));
    cli.add_option("--estimator", s.estimator, "model fitted: apm (fast, default) or sim")->check(CLI::IsMember({"apm", "sim"}));
    cli.add_option("--params", s.params, "comma-separated parameters to fit (default: the target's shipped recipe, docs/hw.md)");
    cli.add_option("--config", s.config_path, "start from this config JSON instead of the shipped one");
    cli.add_option("--max-evaluations", o.max_evaluations, "Nelder-Mead evaluation budget")
        ->check(tools::count_range(1, 10000000));
    cli.add_option("--out", out, "write the fitted config JSON here");
    cli.add_flag("--rows", s.per_row, "print every row with its prediction");
    cli.add_option("--order", s.orders, "published ordering FASTER<SLOWER (model specs) the fit must honour; repeatable");
    cli.add_option("--order-margin", s.order_margin, "relative gap an ordering asks for (slower >= (1 + margin) x faster)")
        ->check(CLI::Range(0.0, 10.0));
    cli.add_option("--order-weight", o.order_weight, "weight of a violated ordering against the squared relative errors")
        ->check(CLI::Range(1e-12, 1e12));
    cli.add_option("--starts", o.starts, "Nelder-Mead descents: the start config, then seeded random points in the bounds")
        ->check(tools::count_range(1, 10000));
    return tools::run("accelnas-calibrate", cli, argc, argv, [&] {
        if (!out.empty()) require_folder_of(out);  // before the fit, not after it
        // The report is printed once the config is written: a failed write leaves stdout empty.
        std::ostringstream report;
        const auto fitted = app::calibration::run(s, report);
        if (!out.empty()) write_file_atomically(out, hw::config_to_json(fitted).dump(2) + "\n");
        std::cout << report.str();
        if (!out.empty()) std::cout << "wrote " << out << "\n";
        return app::exit_success;
    });
}
