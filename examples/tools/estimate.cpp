// accelnas-estimate: latency of networks on a target, from the simulator or the roofline APM.
//
//   accelnas-estimate --target coral-usb efficientnet_edgetpu_s resnet50_v1@299
//   accelnas-estimate --target coral-usb --estimator apm --per-op --format csv mobilenet_v2
//   accelnas-estimate --target systolic-64x64-ws --per-op --format csv mobilenet_v1
//   accelnas-estimate --target coral-latbench --estimator apm --batch nb201_specs.txt > latencies.csv
//   accelnas-estimate --target coral-usb --trace trace.json efficientnet_edgetpu_s   (open in Perfetto)
//
// SPEC is the model-spec grammar of accelnas/app/spec.hpp (zoo name[@size], nb201:arch,
// nb201-latbench:arch, <space>:<arch>, or a JSON network file).

#include "cli.hpp"

#include <accelnas/app/latency_report.hpp>
#include <accelnas/app/spec.hpp>
#include <accelnas/app/targets.hpp>
#include <accelnas/hw.hpp>

#include <iostream>

using namespace accelnas;

int main(int argc, char** argv) {
    CLI::App cli{"Estimate the latency of networks on an accelerator target"};
    std::string target = "coral-usb", estimator = "sim", format = "table", config_path, batch, trace_path;
    bool per_op = false;
    std::vector<std::string> specs;
    cli.add_option("--target", target, app::target_list());
    cli.add_option("--estimator", estimator, "sim (cycle-level simulator) or apm (analytical performance model)")
        ->check(CLI::IsMember({"sim", "apm"}));
    cli.add_flag("--per-op", per_op, "print every op (cycles, limiter, utilization, placement)");
    cli.add_option("--format", format, "table, csv or json (default: table, csv with --batch)")
        ->check(CLI::IsMember({"table", "csv", "json"}));
    cli.add_option("--config", config_path, "device config JSON (e.g. from accelnas-calibrate) replacing the shipped one");
    cli.add_option("--batch", batch, "file with one spec per line (# comments); CSV rows in input order");
    cli.add_option("--trace", trace_path, "write a Chrome trace-event file of the simulation (Edge TPU target, --estimator sim, one spec)");
    cli.add_option("specs", specs, "model specs (zoo name[@size], nb201-latbench:arch, space:arch, file.json, model.onnx)");
    std::string input_shape, unsupported = "error";
    tools::add_onnx_options(cli, input_shape, &unsupported);
    return tools::run("accelnas-estimate", cli, argc, argv, [&] {
        tools::enable_onnx_specs(input_shape, unsupported);
        if (!batch.empty() && cli.count("--format") == 0) format = "csv";  // --batch writes CSV rows by default
        if (!batch.empty()) {
            const auto more = app::latency::read_spec_lines(batch);
            specs.insert(specs.end(), more.begin(), more.end());
        }
        app::usage_require(!specs.empty(), "no model specs given (pass SPEC... or --batch FILE)");
        std::optional<hw::device_config> cfg;
        if (!config_path.empty()) cfg = hw::read_config(config_path, hw::targets::target_config(target));
        const auto model = hw::make_target(target, estimator, cfg);
        if (!trace_path.empty()) {
            const auto dev = cfg ? *cfg : hw::targets::target_config(target);
            app::usage_require(estimator == "sim" && specs.size() == 1 && std::holds_alternative<hw::edgetpu_config>(dev),
                               "--trace needs an Edge TPU target, --estimator sim and one spec");
            hw::write_trace(hw::simulator(std::get<hw::edgetpu_config>(dev)), app::resolve_spec(specs[0]), trace_path);
        }
        nlohmann::json all = nlohmann::json::array();
        if (format == "csv") app::latency::print_csv_header(std::cout, per_op);
        for (const auto& s : specs) {
            const auto net = app::resolve_spec(s);
            if (format == "csv" && !per_op && batch.size()) {
                app::latency::print_csv_latency(std::cout, s, target, estimator, model.seconds(net));
                continue;
            }
            const auto r = model.estimate(net);
            if (format == "table") app::latency::print_table(std::cout, r, per_op);
            else if (format == "json") all.push_back(app::latency::to_json(s, r, per_op));
            else app::latency::print_csv(std::cout, s, target, estimator, r, per_op);
        }
        if (format == "json") std::cout << all.dump(2) << '\n';
        return app::exit_success;
    });
}
