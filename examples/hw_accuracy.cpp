// The accuracy figures of the accelerator models:
//  1. APM vs simulator over random architectures of the `edgetpu` space at 224x224: the APM's
//     ceilings are fitted against the simulator on one sample (--fit-count, --fit-seed) and
//     reported on another (--count, --seed): RMSE, Spearman, and the speed-up of the APM over the
//     simulator (CPU time, measured in the same run, on those architectures and on
//     EfficientNet-EdgeTPU-S);
//  2. LatBench (2,000 NAS-Bench-201 networks measured on the Edge TPU): Spearman, share within
//     +-10%, median and p90 relative error of the shipped `coral-latbench` config on the rows held
//     out of its fit (and on all rows);
//  3. whole models: median relative error per target, on fitted and held-out rows.
//
//  4. (--leave-family-out N) each model family's error when its rows are left out of the fit (per
//     Coral target; pixel4-edgetpu, with one row per model, leaves out one row at a time).
//
//   example_hw_accuracy [--count 1000] [--seed 1] [--fit-count 300] [--fit-seed 11] [--target coral-usb]
//                       [--leave-family-out 200]

#include <accelnas/hw.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <map>

using namespace accelnas;

namespace {

// CPU time of this process in seconds (the example is single-threaded).
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

void print_errors(const char* what, const error_summary& s) {
    std::printf("  %-34s n=%-5zu spearman %.3f  within10 %5.1f%%  median %5.1f%%  p90 %5.1f%%\n", what, s.n, s.spearman,
                100 * s.within10, 100 * s.median_rel, 100 * s.p90_rel);
}


// The model family of a measured model name (rows of one family share their design).
std::string family_of(const std::string& m) {
    for (const char* f : {"mobilenet", "inception", "resnet", "vgg", "efficientnet"})
        if (m.rfind(f, 0) == 0) return f;
    return m;
}

// Section 4: per target, each group of rows is left out, the target's fitted parameters (the ones
// its shipped config was calibrated on, within their physical ranges) are refitted on the other
// rows, and the left-out rows are priced. Coral targets leave out one model family at a time;
// pixel4-edgetpu has one row per model, and its two families (MobilenetEdgeTPU, EfficientNet-Lite)
// cannot be left out with two parameters to fit, so it leaves out one row at a time.
void leave_family_out(const std::vector<hw::measurement>& wm, int evals) {
    struct plan {
        const char* target;
        std::vector<const char*> params;
        bool by_row;
    };
    const std::vector<plan> plans{{"coral-usb", {"host_bytes_per_second", "inference_overhead_seconds"}, false},
                                  {"coral-devboard", {"host_bytes_per_second", "inference_overhead_seconds"}, false},
                                  {"pixel4-edgetpu", {"clock_hz", "inference_overhead_seconds"}, true}};
    std::printf("4. leave one family out (simulator; the shipped fit's parameters refitted without the family, %d"
                " evaluations; pixel4-edgetpu: leave one row out)\n", evals);
    for (const auto& pl : plans) {
        std::vector<hw::free_parameter<hw::edgetpu_config>> ps;
        std::string names;
        for (const char* n : pl.params) {
            ps.push_back(hw::edgetpu_free_parameter(n, pl.target));
            names += (names.empty() ? "" : ", ") + std::string(n);
        }
        std::vector<hw::calibration_row> rows;
        std::vector<std::string> group;
        for (const auto& m : wm)
            if (m.target == pl.target) {
                rows.push_back({zoo::build(m.network, {.resolution = m.input}), m.latency_ms * 1e-3, m.network});
                group.push_back(pl.by_row ? m.network : family_of(m.network));
            }
        std::vector<std::string> groups = group;
        std::sort(groups.begin(), groups.end());
        groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
        std::printf(" %s (refitted: %s)\n", pl.target, names.c_str());
        std::vector<double> out_err;
        for (const auto& g : groups) {
            std::vector<hw::calibration_row> in;
            for (std::size_t i = 0; i < rows.size(); ++i)
                if (group[i] != g) in.push_back(rows[i]);
            const auto res = hw::fit_config<hw::simulator>(hw::targets::edgetpu(pl.target), ps, in,
                                                           {.holdout = 0.0, .max_evaluations = evals});
            const hw::simulator sim_g(res.config);
            std::printf("  %-18s out:", g.c_str());
            for (std::size_t i = 0; i < rows.size(); ++i)
                if (group[i] == g) {
                    const double e = sim_g.seconds(rows[i].net) / rows[i].seconds - 1;
                    out_err.push_back(std::abs(e));
                    std::printf(" %s %+.1f%%", rows[i].label.c_str(), 100 * e);
                }
            std::printf("  (fit rows median %.1f%%;", 100 * res.fit.median_rel);
            for (std::size_t k = 0; k < res.names.size(); ++k) std::printf(" %s %.4g", res.names[k].c_str(), res.after[k]);
            std::printf(")\n");
            std::fflush(stdout);
        }
        std::sort(out_err.begin(), out_err.end());
        std::printf("  %-18s left-out rows: median %.1f%%, worst %.1f%%\n", pl.target, 100 * percentile(out_err, 0.5),
                    100 * out_err.back());
    }
}

// Sections 2-4: the shipped configs against the measured rows (LatBench, whole models, leave one
// family out).
void calibration_report(int family_evals) {
    // ---- 2. LatBench ----
    const std::string ref = ACCELNAS_REFERENCE_DIR;
    const auto lb = hw::read_measurements(ref + "/latbench_edgetpu_calibration.csv", "coral-latbench");
    const auto [fit, held] = hw::holdout_split(lb.size(), 0.5, 20261123);
    std::vector<graph::network> lbn;
    for (const auto& m : lb) lbn.push_back(zoo::nasbench201(m.network, zoo::nb201_variant::latbench));
    std::printf("2. LatBench on coral-latbench (fitted on %zu rows, %zu held out; accelnas-calibrate --holdout 0.5)\n",
                fit.size(), held.size());
    for (const char* est : {"sim", "apm"}) {
        const auto m = hw::make_target("coral-latbench", est);
        auto split = [&](const std::vector<std::size_t>& rows) {
            std::vector<double> p, q;
            for (auto i : rows) { p.push_back(m.seconds(lbn[i])); q.push_back(lb[i].latency_ms * 1e-3); }
            return summarize_errors(p, q);
        };
        std::vector<std::size_t> all(lb.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        std::printf(" %s:\n", est);
        print_errors("held-out rows", split(held));
        print_errors("fitted rows", split(fit));
        print_errors("all rows", split(all));
    }

    // ---- 3. whole models ----
    const auto wm = hw::read_measurements(ref + "/edgetpu_measured_calibration.csv");
    std::map<std::string, std::vector<const hw::measurement*>> by;
    for (const auto& m : wm) by[m.target].push_back(&m);
    // How each shipped config was fitted (docs/hw.md): coral targets with --holdout 0.3 (their
    // chip mechanisms come from LatBench), the Pixel 4 targets on all three of their rows.
    const std::map<std::string, double> holdout{{"coral-usb", 0.3}, {"coral-devboard", 0.3}, {"pixel4-edgetpu", 0.0},
                                                {"pixel4-cpu", 0.0}};
    std::printf("3. whole models, median relative error per target (fit / held-out rows)\n");
    for (const auto& [t, rows] : by) {
        const auto [f, h] = hw::holdout_split(rows.size(), holdout.at(t), 20261123);
        for (const char* est : {"sim", "apm"}) {
            const auto m = hw::make_target(t, est);
            std::vector<double> p, q;
            for (const auto* r : rows) {
                p.push_back(m.seconds(zoo::build(r->network, {.resolution = r->input})));
                q.push_back(r->latency_ms * 1e-3);
            }
            auto sub = [&](const std::vector<std::size_t>& ix) {
                std::vector<double> pp, qq;
                for (auto i : ix) { pp.push_back(p[i]); qq.push_back(q[i]); }
                return summarize_errors(pp, qq);
            };
            const auto sf = sub(f), sh = sub(h), sa = summarize_errors(p, q);
            std::printf("  %-15s %s: all %5.1f%% (n=%zu)  fit %5.1f%% (n=%zu)  held-out ", t.c_str(), est,
                        100 * sa.median_rel, sa.n, 100 * sf.median_rel, sf.n);
            if (sh.n) std::printf("%5.1f%% (n=%zu)\n", 100 * sh.median_rel, sh.n);
            else std::printf("  none (all rows fitted)\n");
            if (std::string(est) != "sim") continue;
            std::vector<char> held(rows.size(), 0);
            for (auto i : h) held[i] = 1;
            std::printf("   ");
            for (std::size_t i = 0; i < rows.size(); ++i)
                std::printf(" %s%s %+.1f%%", rows[i]->network.c_str(), held[i] ? " (held out)" : "", 100 * (p[i] / q[i] - 1));
            std::printf("\n");
        }
    }

    // ---- physical ranges ----
    // Every value of a shipped Edge TPU config that calibration may move, against its documented
    // physical range on that target (hw/free_parameters.hpp).
    std::printf("physical ranges: the shipped Edge TPU values a fit may move ('!' marks one outside its range on the target)\n");
    for (const char* t : {"coral-usb", "coral-devboard", "pixel4-edgetpu", "coral-latbench"}) {
        const auto cfg = hw::targets::edgetpu(t);
        std::printf("  %s:", t);
        for (const char* n : {"clock_hz", "tile_bytes_per_cycle", "sram_bytes_per_cycle", "host_bytes_per_second",
                              "host_latency_seconds", "inference_overhead_seconds", "op_overhead_cycles", "pool_overhead_cycles",
                              "vector_overhead_cycles", "pass_overhead_cycles", "param_cache_bytes", "vector_width",
                              "lanes_per_cell"}) {
            const auto fp = hw::edgetpu_free_parameter(n, t);
            const double v = fp.get(cfg);
            std::printf(" %s %.4g%s", n, v, v < fp.lo || v > fp.hi ? "!" : "");
        }
        std::printf("\n");
    }

    // ---- 4. leave one family out (simulator) ----
    if (family_evals > 0) leave_family_out(wm, family_evals);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Accuracy of the accelerator models against each other and against measured latencies"};
    int count = 1000;
    std::string target = "coral-usb";
    std::uint64_t seed = 1, fit_seed = 11;
    int fit_count = 300, family_evals = 0;
    app.add_option("--count", count, "random edgetpu-space architectures the APM is checked on");
    app.add_option("--target", target, "Edge TPU target for APM vs simulator");
    app.add_option("--seed", seed, "seed of the checked sample");
    app.add_option("--fit-count", fit_count, "random architectures the APM's ceilings are fitted on");
    app.add_option("--fit-seed", fit_seed, "seed of the fit sample (must differ from --seed)");
    app.add_option("--leave-family-out", family_evals,
                   "also refit each Coral target without each model family (Nelder-Mead evaluations per fit; 0: skip)");
    bool calibration_only = false;
    app.add_flag("--calibration-only", calibration_only, "print only sections 2-4 (the shipped configs against the measurements)");
    CLI11_PARSE(app, argc, argv);
    try {
        if (calibration_only) {
            calibration_report(family_evals);
            return 0;
        }
        // ---- 1. APM vs simulator ----
        const auto cfg = hw::targets::edgetpu(target);
        require(fit_seed != seed, "--fit-seed must differ from --seed: the APM is checked on networks it was not fitted on");
        require(count > 0 && fit_count > 0, "--count and --fit-count must be positive");
        const hw::simulator sim(cfg);
        const auto& space = space::find_space("edgetpu");
        auto sample = [&](std::uint64_t sd, int n) {
            rng g(sd);
            std::vector<graph::network> v;
            for (int i = 0; i < n; ++i) v.push_back(space.decode(space.sample(g), space.deployment.shape(), space.deployment.classes));
            return v;
        };
        // Ceilings fitted against the simulator on the fit sample only.
        const auto fit_nets = sample(fit_seed, fit_count);
        std::vector<double> fit_sim;
        for (const auto& n : fit_nets) fit_sim.push_back(sim.seconds(n));
        const hw::apm_ceilings k = hw::fit_apm_ceilings(cfg, fit_nets, fit_sim);
        const hw::apm apm(cfg, k);
        const auto nets = sample(seed, count);
        std::vector<double> s(nets.size()), a(nets.size());
        // Timings are CPU time of this (single-threaded) process, measured in this run, so the
        // speed-up does not depend on other jobs sharing the machine.
        double c0 = cpu_seconds();
        for (std::size_t i = 0; i < nets.size(); ++i) s[i] = sim.seconds(nets[i]);
        const double sim_end = cpu_seconds();
        // The APM is timed over many repetitions: one pass is too short to time reliably. Two ways:
        // sweeping all networks again and again (each estimate finds its network out of the L1/L2
        // caches; a sweep over stored networks keeps each one's compact op table next to it), and
        // repeating each network (it is in cache, as a network just decoded by a search loop is).
        std::vector<hw::compact_network> tables;
        tables.reserve(nets.size());
        for (const auto& n : nets) tables.emplace_back(n);
        const int reps = 200;
        double sink = 0;
        double c1 = cpu_seconds();
        for (int r = 0; r < reps; ++r)
            for (std::size_t i = 0; i < tables.size(); ++i) sink += apm.seconds(tables[i]);
        double c2 = cpu_seconds();
        for (std::size_t i = 0; i < nets.size(); ++i)
            for (int r = 0; r < reps; ++r) sink += apm.seconds(nets[i]);
        const double c3 = cpu_seconds();
        for (std::size_t i = 0; i < nets.size(); ++i) a[i] = apm.seconds(nets[i]);
        const double sim_s = (sim_end - c0) / static_cast<double>(nets.size());
        const double apm_s = (c2 - c1) / static_cast<double>(nets.size() * reps);
        const double apm_hot = (c3 - c2) / static_cast<double>(nets.size() * reps);
        const auto e = summarize_errors(a, s);
        double lo = 1e9, hi = 0;
        for (double x : s) { lo = std::min(lo, x); hi = std::max(hi, x); }
        const auto kv = k.values();
        std::printf("1. APM vs simulator on %s: ceilings fitted on %d architectures (seed %llu): overhead %.3f compute %.3f"
                    " narrow %.3f strided %.3f network %.3f vector %.3f\n",
                    target.c_str(), fit_count, static_cast<unsigned long long>(fit_seed), kv[0], kv[1], kv[2], kv[3], kv[4], kv[5]);
        std::printf("  checked on %d other random edgetpu-space architectures at 224x224 (seed %llu; sim %.2f..%.2f ms)\n",
                    count, static_cast<unsigned long long>(seed), lo * 1e3, hi * 1e3);
        {
            // The plain roofline (all ceilings 1) and the shipped ceilings, on the same checked sample.
            for (const auto& [what, m] : {std::pair{"plain roofline (ceilings 1)", hw::apm(cfg, hw::apm_ceilings{})},
                                          {"shipped ceilings", hw::apm(cfg, hw::targets::apm_ceilings_of(target))}}) {
                std::vector<double> p;
                for (const auto& n : nets) p.push_back(m.seconds(n));
                const auto ep = summarize_errors(p, s);
                std::printf("  %-28s RMSE %.1f us  Spearman %.4f\n", what, ep.rmse * 1e6, ep.spearman);
            }
        }
        std::printf("  %-28s ", "ceilings fitted above");
        std::printf("RMSE %.1f us  Spearman %.4f  median rel. diff %.2f%%  max rel. diff %.2f%%\n", e.rmse * 1e6,
                    e.spearman, 100 * e.median_rel, 100 * [&] {
                        double m = 0;
                        for (std::size_t i = 0; i < s.size(); ++i) m = std::max(m, std::abs(a[i] - s[i]) / s[i]);
                        return m;
                    }());
        std::printf("  CPU time: simulator %.3f ms/network; APM %.3f us/network sweeping (speed-up %.0fx), %.3f us/network"
                    " in cache (speed-up %.0fx)\n",
                    sim_s * 1e3, apm_s * 1e6, sim_s / apm_s, apm_hot * 1e6, sim_s / apm_hot);
        const auto es = zoo::build("efficientnet_edgetpu_s");
        const int sim_reps = 50, apm_reps = 200000;
        c0 = cpu_seconds();
        for (int r = 0; r < sim_reps; ++r) sink += sim.seconds(es);
        c1 = cpu_seconds();
        for (int r = 0; r < apm_reps; ++r) sink += apm.seconds(es);
        c2 = cpu_seconds();
        const double es_sim = (c1 - c0) / sim_reps, es_apm = (c2 - c1) / apm_reps;
        std::printf("  CPU time on efficientnet_edgetpu_s: simulator %.3f ms, APM %.3f us (%.0f estimates/s): speed-up %.0fx"
                    " (checksum %.3g)\n",
                    es_sim * 1e3, es_apm * 1e6, 1 / es_apm, es_sim / es_apm, sink);

        calibration_report(family_evals);
    } catch (const error& e) {
        std::fprintf(stderr, "example_hw_accuracy: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
