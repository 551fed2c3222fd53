// The accuracy figures of the accelerator models:
//  1. APM vs simulator over random architectures of the `edgetpu` space at 224x224, per Edge TPU
//     target, with the shipped ceilings (`hw::targets::apm_ceilings_of`, fitted on another sample:
//     seed 11): RMSE, Spearman, and the speed-up of the APM over the simulator (CPU time per
//     estimate, measured in the same run, on those architectures and on EfficientNet-EdgeTPU-S);
//     `--fit-ceilings` refits the shipped ceilings (after a config changed) and prints them as code;
//  2. LatBench (2,000 NAS-Bench-201 networks measured on the Edge TPU): Spearman, share within
//     +-10%, median and p90 relative error of the shipped `coral-latbench` config on the rows held
//     out of its fit (and on all rows), by the simulator, the APM and the plain roofline;
//  3. whole models: median relative error per target, on fitted and held-out rows.
//
//  4. (--leave-family-out N) each model family's error when its rows are left out of the fit (per
//     Coral target; pixel4-edgetpu, with one row per model, leaves out one row at a time).
//
//   example_hw_accuracy [--count 1000] [--seed 1] [--target T]... [--leave-family-out 200]
//   example_hw_accuracy --fit-ceilings [--fit-count 300] [--fit-seed 11] [--target T]...

#include <accelnas/app/apm_check.hpp>
#include <accelnas/app/calibration.hpp>
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


// ---- 1. APM vs simulator ----

// `--fit-ceilings`: the ceilings of each target fitted against the simulator on the fit sample,
// printed as the body of `hw::targets::apm_ceilings_of` (paste it there when a config changed).
void print_fitted_ceilings(const std::vector<std::string>& targets, int fit_count, std::uint64_t fit_seed) {
    const auto nets = app::random_edgetpu_networks(fit_seed, fit_count);
    std::printf("// fitted against the simulator on %d random edgetpu architectures at 224 (seed %llu):\n"
                "// example_hw_accuracy --fit-ceilings --fit-count %d --fit-seed %llu\n",
                fit_count, static_cast<unsigned long long>(fit_seed), fit_count, static_cast<unsigned long long>(fit_seed));
    for (const auto& t : targets) {
        const auto cfg = hw::targets::edgetpu(t);
        const auto sim = app::simulated_seconds(cfg, nets);
        const auto k = hw::fit_apm_ceilings(cfg, nets, sim);
        std::vector<double> a;
        for (const auto& n : nets) a.push_back(hw::apm(cfg, k).seconds(n));
        const auto e = summarize_errors(a, sim);
        const auto v = k.values();
        std::printf("    if (name == \"%s\") return {%.4g, %.4g, %.4g, %.4g, %.4g, %.4g};  // fit RMSE %.1f us\n", t.c_str(), v[0],
                    v[1], v[2], v[3], v[4], v[5], e.rmse * 1e6);
        std::fflush(stdout);
    }
}

// The shipped ceilings (and the plain roofline) against the simulator on `count` architectures of
// seed `seed` (not the fit sample), per target, with the CPU time per estimate of both models.
void apm_vs_simulator(const std::vector<std::string>& targets, int count, std::uint64_t seed) {
    require(seed != app::apm_fit_seed, "--seed must differ from ", app::apm_fit_seed,
            ": the shipped ceilings were fitted on that sample");
    const auto nets = app::random_edgetpu_networks(seed, count);
    std::vector<hw::compact_network> tables;
    tables.reserve(nets.size());
    for (const auto& n : nets) tables.emplace_back(n);
    std::printf("1. APM vs simulator on %d random edgetpu architectures at 224x224 (seed %llu; the shipped ceilings were"
                " fitted on %d others, seed %llu)\n",
                count, static_cast<unsigned long long>(seed), app::apm_fit_count,
                static_cast<unsigned long long>(app::apm_fit_seed));
    std::printf("  %-15s %-44s %-26s %s\n", "target", "shipped ceilings: RMSE  Spearman  max rel.", "plain roofline: RMSE",
                "CPU time per estimate: simulator, APM, speed-up");
    double sink = 0;
    for (const auto& t : targets) {
        const auto cfg = hw::targets::edgetpu(t);
        const hw::simulator sim(cfg);
        const hw::apm shipped(cfg, hw::targets::apm_ceilings_of(t)), plain(cfg, hw::apm_ceilings{});
        // CPU time of this single-threaded process, measured in this run: the speed-up does not
        // depend on other jobs sharing the machine as much as wall time would.
        std::vector<double> s(nets.size()), a(nets.size()), p(nets.size());
        const double c0 = cpu_seconds();
        for (std::size_t i = 0; i < nets.size(); ++i) s[i] = sim.seconds(nets[i]);
        const double sim_s = (cpu_seconds() - c0) / static_cast<double>(nets.size());
        // One APM pass is too short to time: repeat the sweep (each network's compact table kept
        // next to it, as a sweep over stored networks does).
        const int reps = std::max(1, 200000 / count);
        const double c1 = cpu_seconds();
        for (int r = 0; r < reps; ++r)
            for (const auto& tb : tables) sink += shipped.seconds(tb);
        const double apm_s = (cpu_seconds() - c1) / static_cast<double>(nets.size() * static_cast<std::size_t>(reps));
        double worst = 0;
        for (std::size_t i = 0; i < nets.size(); ++i) {
            a[i] = shipped.seconds(nets[i]);
            p[i] = plain.seconds(nets[i]);
            worst = std::max(worst, std::abs(a[i] - s[i]) / s[i]);
        }
        const auto e = summarize_errors(a, s), ep = summarize_errors(p, s);
        std::printf("  %-15s %8.1f us  %.4f  %6.2f%%                    %8.1f us (Spearman %.4f)   %.2f ms, %.3f us, %.0fx\n",
                    t.c_str(), e.rmse * 1e6, e.spearman, 100 * worst, ep.rmse * 1e6, ep.spearman, sim_s * 1e3, apm_s * 1e6,
                    sim_s / apm_s);
        std::fflush(stdout);
    }
    // EfficientNet-EdgeTPU-S on the first target, repeated (in cache, as a network just decoded is).
    const auto cfg = hw::targets::edgetpu(targets.front());
    const hw::simulator sim(cfg);
    const hw::apm apm(cfg, hw::targets::apm_ceilings_of(targets.front()));
    const auto es = zoo::build("efficientnet_edgetpu_s");
    const int sim_reps = 20, apm_reps = 200000;
    const double c0 = cpu_seconds();
    for (int r = 0; r < sim_reps; ++r) sink += sim.seconds(es);
    const double c1 = cpu_seconds();
    for (int r = 0; r < apm_reps; ++r) sink += apm.seconds(es);
    const double c2 = cpu_seconds();
    const double es_sim = (c1 - c0) / sim_reps, es_apm = (c2 - c1) / apm_reps;
    std::printf("  efficientnet_edgetpu_s on %s: simulator %.3f ms, APM %.3f us (%.0f estimates/s): speed-up %.0fx"
                " (checksum %.3g)\n",
                targets.front().c_str(), es_sim * 1e3, es_apm * 1e6, 1 / es_apm, es_sim / es_apm, sink);
}

// The model family of a measured model name (rows of one family share their design).
std::string family_of(const std::string& m) {
    for (const char* f : {"mobilenet", "inception", "resnet", "vgg", "efficientnet"})
        if (m.rfind(f, 0) == 0) return f;
    return m;
}

// Section 4: per target, each group of rows is left out, the target's fitted parameters (the ones
// its shipped config was calibrated on, within their physical ranges) are refitted on the other
// rows, and the left-out rows are priced: one model family at a time, and for pixel4-edgetpu (three
// rows, two families, one fitted parameter: its clock) also one row at a time. coral-devboard
// takes its per-inference overhead from coral-usb (the same runtime), so the family is left out of
// both: coral-usb's two parameters are refitted without it first, then the Dev Board's link.
void leave_family_out(const std::vector<hw::measurement>& wm, int evals) {
    struct plan {
        const char* target;
        bool by_row;
        const char* overhead_from;  // the target whose refitted overhead this one takes, or nullptr
    };
    const std::vector<plan> plans{{"coral-usb", false, nullptr},
                                  {"coral-devboard", false, "coral-usb"},
                                  {"pixel4-edgetpu", false, nullptr},
                                  {"pixel4-edgetpu", true, nullptr}};
    // The parameters refitted: the target's shipped recipe (accelnas-calibrate's default).
    const auto params_of = [](const char* target) {
        return app::calibration::split_commas(
            app::calibration::default_parameters(target, app::shipped_config(target), false));
    };
    // A target's rows, built once.
    std::map<std::string, std::vector<hw::calibration_row>> rows_by_target;
    const auto rows_of = [&](const char* target) -> const std::vector<hw::calibration_row>& {
        auto [it, added] = rows_by_target.try_emplace(target);
        if (added)
            for (const auto& m : wm)
                if (m.target == target)
                    it->second.push_back({zoo::build(m.network, {.resolution = m.input}), m.latency_ms * 1e-3, m.network});
        return it->second;
    };
    const auto group_of = [](bool by_row, const hw::calibration_row& r) { return by_row ? r.label : family_of(r.label); };
    // The target's parameters refitted on its rows outside group `g` (the overhead's source first).
    std::map<std::string, hw::calibration_result<hw::edgetpu_config>> done;  // by target and group: coral-usb's refits are reused
    const auto refit = [&](const plan& pl, const std::string& g, const auto& self) -> hw::calibration_result<hw::edgetpu_config> {
        const std::string key = std::string(pl.target) + "/" + g;
        if (const auto it = done.find(key); it != done.end()) return it->second;
        auto base = hw::targets::edgetpu(pl.target);
        if (pl.overhead_from)
            base.inference_overhead_seconds =
                self(plan{pl.overhead_from, pl.by_row, nullptr}, g, self).config.inference_overhead_seconds;
        std::vector<hw::free_parameter<hw::edgetpu_config>> ps;
        for (const auto& n : params_of(pl.target)) ps.push_back(hw::edgetpu_free_parameter(n, pl.target));
        std::vector<hw::calibration_row> in;
        for (const auto& row : rows_of(pl.target))
            if (group_of(pl.by_row, row) != g) in.push_back(row);
        return done[key] = hw::fit_config<hw::simulator>(base, ps, in, {.holdout = 0.0, .max_evaluations = evals});
    };
    std::printf("4. leave one family out (simulator; the shipped fit's parameters refitted without the family, %d"
                " evaluations; pixel4-edgetpu also one row out)\n", evals);
    for (const auto& pl : plans) {
        std::string names;
        for (const auto& n : params_of(pl.target)) names += (names.empty() ? "" : ", ") + n;
        const auto& rows = rows_of(pl.target);
        std::vector<std::string> groups;
        for (const auto& r : rows) groups.push_back(group_of(pl.by_row, r));
        std::sort(groups.begin(), groups.end());
        groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
        std::printf(" %s, one %s out (refitted: %s%s%s)\n", pl.target, pl.by_row ? "row" : "family", names.c_str(),
                    pl.overhead_from ? "; inference_overhead_seconds from the refit of " : "",
                    pl.overhead_from ? pl.overhead_from : "");
        std::vector<double> out_err;
        for (const auto& g : groups) {
            const auto res = refit(pl, g, refit);
            const hw::simulator sim_g(res.config);
            std::printf("  %-18s out:", g.c_str());
            for (const auto& row : rows)
                if (group_of(pl.by_row, row) == g) {
                    const double e = sim_g.seconds(row.net) / row.seconds - 1;
                    out_err.push_back(std::abs(e));
                    std::printf(" %s %+.1f%%", row.label.c_str(), 100 * e);
                }
            std::printf("  (fit rows median %.1f%%;", 100 * res.fit.median_rel);
            for (std::size_t k = 0; k < res.names.size(); ++k) std::printf(" %s %.4g", res.names[k].c_str(), res.after[k]);
            if (pl.overhead_from) std::printf(" inference_overhead_seconds %.4g", res.config.inference_overhead_seconds);
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
    // The plain roofline (every ceiling factor 1) beside the two estimators: how much the fitted
    // ceilings add on graphs far from the 224x224 networks they were fitted on.
    for (const char* est : {"sim", "apm", "roofline"}) {
        const auto m = std::string_view(est) == "roofline"
                           ? hw::any_accelerator(hw::apm(hw::targets::edgetpu("coral-latbench"), hw::apm_ceilings{}))
                           : hw::make_target("coral-latbench", est);
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
    std::vector<std::string> targets;
    std::uint64_t seed = 1, fit_seed = app::apm_fit_seed;
    int fit_count = app::apm_fit_count, family_evals = 0;
    bool fit_ceilings = false;
    app.add_option("--count", count, "random edgetpu-space architectures the APM is checked on");
    app.add_option("--target", targets, "Edge TPU targets for APM vs simulator (default: all four)");
    app.add_option("--seed", seed, "seed of the checked sample (not the fit sample's)");
    app.add_flag("--fit-ceilings", fit_ceilings, "fit the APM's ceilings against the simulator, print them as code and exit");
    app.add_option("--fit-count", fit_count, "--fit-ceilings: random architectures the ceilings are fitted on");
    app.add_option("--fit-seed", fit_seed, "--fit-ceilings: seed of the fit sample");
    app.add_option("--leave-family-out", family_evals,
                   "also refit each Coral target without each model family (Nelder-Mead evaluations per fit; 0: skip)");
    bool calibration_only = false;
    app.add_flag("--calibration-only", calibration_only, "print only sections 2-4 (the shipped configs against the measurements)");
    CLI11_PARSE(app, argc, argv);
    try {
        if (targets.empty()) targets = {"coral-usb", "coral-devboard", "coral-latbench", "pixel4-edgetpu"};
        if (calibration_only) {
            calibration_report(family_evals);
            return 0;
        }
        require(count > 0 && fit_count > 0, "--count and --fit-count must be positive");
        if (fit_ceilings) {
            print_fitted_ceilings(targets, fit_count, fit_seed);
            return 0;
        }
        apm_vs_simulator(targets, count, seed);

        calibration_report(family_evals);
    } catch (const error& e) {
        std::fprintf(stderr, "example_hw_accuracy: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
