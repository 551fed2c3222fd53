// accelnas-estimate: latency of networks on a target, from the simulator or the APM.
//
//   accelnas-estimate --target coral-usb efficientnet_edgetpu_s resnet50_v1@299
//   accelnas-estimate --target coral-usb --estimator apm --per-op --format csv mobilenet_v2
//   accelnas-estimate --target systolic-64x64-ws --per-op --format csv mobilenet_v1
//   accelnas-estimate --target coral-latbench --estimator apm --batch nb201_specs.txt > latencies.csv
//
// SPEC is the model-spec grammar of accelnas/spec.hpp (zoo name[@size], nb201:arch,
// nb201-latbench:arch, <space>:<arch>, or a JSON network file).

#include <accelnas/hw.hpp>
#include <accelnas/spec.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

using namespace accelnas;

namespace {

void print_table(const hw::latency_report& r, bool per_op) {
    std::printf("%-40s %-16s %-4s %10.3f ms", r.network.c_str(), r.target.c_str(), r.estimator.c_str(), r.total_ms());
    if (r.clock_hz > 0)
        std::printf("  (%lld cycles, params cached %.2f MB, streamed %.2f MB, io %.3f ms%s)",
                    static_cast<long long>(r.total_cycles), r.param_bytes_cached / 1e6, r.param_bytes_streamed / 1e6,
                    r.io_seconds * 1e3, r.host_seconds > 0 ? ", host part present" : "");
    std::printf("\n");
    if (!per_op) return;
    std::printf("  %-28s %-16s %-11s %-14s %12s %10s %6s %12s %10s %s\n", "op", "kind", "where", "limiter", "cycles", "us",
                "util", "macs", "params", "streamed");
    for (const auto& o : r.ops)
        std::printf("  %-28s %-16s %-11s %-14s %12lld %10.2f %5.1f%% %12lld %10lld %s\n", o.name.c_str(),
                    std::string(graph::to_string(o.kind)).c_str(), std::string(hw::to_string(o.where)).c_str(),
                    std::string(hw::to_string(o.bound)).c_str(), static_cast<long long>(o.cycles), o.seconds * 1e6,
                    100 * o.utilization, static_cast<long long>(o.macs), static_cast<long long>(o.param_bytes),
                    o.params_streamed ? "yes" : "no");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Estimate the latency of networks on an accelerator target"};
    std::string target = "coral-usb", estimator = "sim", format = "table", config_path, batch;
    bool per_op = false;
    std::vector<std::string> specs;
    app.add_option("--target", target,
                   "coral-usb, coral-devboard, pixel4-edgetpu, coral-latbench, pixel4-cpu or systolic-<R>x<C>-<os|ws|is>");
    app.add_option("--estimator", estimator, "sim (cycle-level simulator) or apm (roofline)");
    app.add_flag("--per-op", per_op, "print every op (cycles, limiter, utilization, placement)");
    app.add_option("--format", format, "table, csv or json (default: table, csv with --batch)");
    app.add_option("--config", config_path, "device config JSON (e.g. from accelnas-calibrate) replacing the shipped one");
    app.add_option("--batch", batch, "file with one spec per line (# comments); CSV rows in input order");
    app.add_option("specs", specs, "model specs (zoo name[@size], nb201-latbench:arch, space:arch, file.json)");
    CLI11_PARSE(app, argc, argv);
    if (!batch.empty() && app.count("--format") == 0) format = "csv";  // --batch writes CSV rows by default
    try {
        require(format == "table" || format == "csv" || format == "json", "unknown --format '", format,
                "' (expected table, csv or json)");
        std::optional<hw::device_config> cfg;
        if (!config_path.empty()) cfg = hw::read_config(config_path);
        const auto model = hw::make_target(target, estimator, cfg);
        if (!batch.empty()) {
            std::ifstream in(batch);
            require(in.good(), "--batch: cannot open '", batch, "'");
            std::string line;
            while (std::getline(in, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty() || line[0] == '#') continue;
                specs.push_back(line);
            }
        }
        require(!specs.empty(), "no model specs given (pass SPEC... or --batch FILE)");
        nlohmann::json all = nlohmann::json::array();
        if (format == "csv") {
            if (per_op) std::printf("model,target,estimator,op,kind,where,limiter,cycles,seconds,utilization,macs,param_bytes,params_streamed\n");
            else std::printf("model,target,estimator,latency_ms,cycles,param_bytes_cached,param_bytes_streamed\n");
        }
        for (const auto& s : specs) {
            const auto net = resolve_spec(s);
            if (format == "csv" && !per_op && batch.size()) {
                // The fast path for large batches: no per-op table.
                std::printf("%s,%s,%s,%.6f,,,\n", s.c_str(), target.c_str(), estimator.c_str(), model.seconds(net) * 1e3);
                continue;
            }
            auto r = model.estimate(net);
            if (format == "table") print_table(r, per_op);
            else if (format == "json") {
                auto j = hw::to_json(r);
                if (!per_op) j.erase("ops");
                j["spec"] = s;
                all.push_back(j);
            } else if (per_op) {
                for (const auto& o : r.ops)
                    std::printf("%s,%s,%s,%s,%s,%s,%s,%lld,%.9g,%.6f,%lld,%lld,%d\n", s.c_str(), target.c_str(),
                                estimator.c_str(), o.name.c_str(), std::string(graph::to_string(o.kind)).c_str(),
                                std::string(hw::to_string(o.where)).c_str(), std::string(hw::to_string(o.bound)).c_str(),
                                static_cast<long long>(o.cycles), o.seconds, o.utilization, static_cast<long long>(o.macs),
                                static_cast<long long>(o.param_bytes), o.params_streamed ? 1 : 0);
            } else {
                std::printf("%s,%s,%s,%.6f,%lld,%lld,%lld\n", s.c_str(), target.c_str(), estimator.c_str(), r.total_ms(),
                            static_cast<long long>(r.total_cycles), static_cast<long long>(r.param_bytes_cached),
                            static_cast<long long>(r.param_bytes_streamed));
            }
        }
        if (format == "json") std::cout << all.dump(2) << '\n';
    } catch (const error& e) {
        std::cerr << "accelnas-estimate: error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
