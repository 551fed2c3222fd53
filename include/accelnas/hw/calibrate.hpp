#pragma once
/// \file
/// Calibration: fit a device config's free parameters (mechanisms such as clock, effective
/// bandwidths, overheads, cache size - never per-row corrections) to measured latencies by
/// Nelder-Mead on the sum of squared relative errors, with a hold-out split; plus the error metrics
/// used to report accuracy (median and 90th-percentile relative error, Spearman rank correlation,
/// share within +-10%) and the reader of the measurement CSVs in reference/.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/config.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace accelnas::hw {

/// One measured latency: a whole model (target, zoo model name, input size) or a LatBench row
/// (`model` holds the NAS-Bench-201 arch string, `input` is 0, `target` the default target).
struct measurement {
    std::string target;       ///< device the latency was measured on
    std::string model;        ///< zoo model name or NAS-Bench-201 arch string
    std::int64_t input = 0;   ///< square input size (0 = the model's own)
    double latency_ms = 0.0;  ///< measured latency, milliseconds (positive)
    std::string source;       ///< where the number comes from
    std::size_t line = 0;     ///< line in the CSV (for messages)
};

namespace detail {
inline std::vector<std::string> split_csv_line(const std::string& line) {
    // The reference CSVs have no quoted fields except arch strings without commas; a plain split suffices.
    std::vector<std::string> f;
    std::string cur;
    for (char ch : line) {
        if (ch == ',') { f.push_back(cur); cur.clear(); }
        else if (ch != '\r') cur += ch;
    }
    f.push_back(cur);
    return f;
}
}  // namespace detail

/// Reads a measurement CSV: '#' lines are comments; the header names the columns. Whole-model files
/// need `target,model,input,latency_ms` (`source` optional); LatBench files need `arch_str,latency_ms`
/// and take `default_target`. Missing columns, empty or non-positive latencies raise `accelnas::error`
/// naming the file and line.
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
        auto f = detail::split_csv_line(line);
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
        m.model = c_arch >= 0 ? f[c_arch] : f[c_model];
        require(!m.model.empty(), "measurements '", path, "' line ", ln, ": empty model");
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

/// Accuracy of predictions against measurements.
struct error_summary {
    std::size_t n = 0;               ///< rows
    double median_rel = 0.0;         ///< median |pred - meas| / meas
    double p90_rel = 0.0;            ///< 90th percentile of the same
    double mean_rel = 0.0;           ///< mean of the same
    double within10 = 0.0;           ///< share of rows with relative error <= 10%
    double spearman = 0.0;           ///< Spearman rank correlation (average ranks for ties)
    double rmse = 0.0;               ///< root mean squared error, in the units given
};

namespace detail {
inline double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}
inline std::vector<double> average_ranks(const std::vector<double>& v) {
    std::vector<std::size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
        const double avg = 0.5 * static_cast<double>(i + j);
        for (std::size_t k = i; k <= j; ++k) r[idx[k]] = avg;
        i = j + 1;
    }
    return r;
}
}  // namespace detail

/// Spearman rank correlation of `a` and `b` (equal sizes, at least 2).
inline double spearman(const std::vector<double>& a, const std::vector<double>& b) {
    require(a.size() == b.size() && a.size() >= 2, "spearman: need two equal-length series of at least 2 values");
    const auto ra = detail::average_ranks(a), rb = detail::average_ranks(b);
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

/// Error metrics of `predicted` against `measured` (same units, measured positive).
inline error_summary summarize(const std::vector<double>& predicted, const std::vector<double>& measured) {
    require(predicted.size() == measured.size(), "summarize: ", predicted.size(), " predictions for ",
            measured.size(), " measurements");
    error_summary s;
    s.n = measured.size();
    if (s.n == 0) return s;
    std::vector<double> rel(s.n);
    double se = 0;
    for (std::size_t i = 0; i < s.n; ++i) {
        require(measured[i] > 0, "summarize: measurement #", i, " is not positive");
        rel[i] = std::abs(predicted[i] - measured[i]) / measured[i];
        se += (predicted[i] - measured[i]) * (predicted[i] - measured[i]);
        s.mean_rel += rel[i];
        if (rel[i] <= 0.10) s.within10 += 1;
    }
    s.mean_rel /= static_cast<double>(s.n);
    s.within10 /= static_cast<double>(s.n);
    s.rmse = std::sqrt(se / static_cast<double>(s.n));
    s.median_rel = detail::percentile(rel, 0.5);
    s.p90_rel = detail::percentile(rel, 0.9);
    s.spearman = s.n >= 2 ? spearman(predicted, measured) : 0.0;
    return s;
}

/// Minimizes `f` from `x0` with the Nelder-Mead simplex (standard coefficients 1, 2, 0.5, 0.5).
/// `step` is the initial simplex size per coordinate. Returns the best point; deterministic.
inline Eigen::VectorXd nelder_mead(const std::function<double(const Eigen::VectorXd&)>& f, Eigen::VectorXd x0,
                                   double step = 0.3, int max_evaluations = 4000, double tolerance = 1e-10) {
    const auto n = x0.size();
    require(n > 0, "nelder_mead: no parameters to fit");
    std::vector<Eigen::VectorXd> p(static_cast<std::size_t>(n + 1), x0);
    std::vector<double> v(static_cast<std::size_t>(n + 1));
    for (Eigen::Index i = 0; i < n; ++i) p[static_cast<std::size_t>(i + 1)][i] += step;
    int evals = 0;
    auto eval = [&](const Eigen::VectorXd& x) {
        ++evals;
        const double y = f(x);
        return std::isfinite(y) ? y : 1e300;
    };
    for (std::size_t i = 0; i < p.size(); ++i) v[i] = eval(p[i]);
    std::vector<std::size_t> order(p.size());
    while (evals < max_evaluations) {
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
        const auto best = order.front(), worst = order.back(), second = order[order.size() - 2];
        if (std::abs(v[worst] - v[best]) <= tolerance * (std::abs(v[best]) + tolerance)) break;
        Eigen::VectorXd centroid = Eigen::VectorXd::Zero(n);
        for (std::size_t i = 0; i < p.size(); ++i)
            if (i != worst) centroid += p[i];
        centroid /= static_cast<double>(n);
        const Eigen::VectorXd xr = centroid + (centroid - p[worst]);
        const double fr = eval(xr);
        if (fr < v[best]) {
            const Eigen::VectorXd xe = centroid + 2.0 * (centroid - p[worst]);
            const double fe = eval(xe);
            if (fe < fr) { p[worst] = xe; v[worst] = fe; }
            else { p[worst] = xr; v[worst] = fr; }
        } else if (fr < v[second]) {
            p[worst] = xr;
            v[worst] = fr;
        } else {
            const bool outside = fr < v[worst];
            const Eigen::VectorXd xc = outside ? Eigen::VectorXd(centroid + 0.5 * (xr - centroid))
                                               : Eigen::VectorXd(centroid + 0.5 * (p[worst] - centroid));
            const double fc = eval(xc);
            if (fc < (outside ? fr : v[worst])) {
                p[worst] = xc;
                v[worst] = fc;
            } else {
                for (std::size_t i = 0; i < p.size(); ++i) {
                    if (i == best) continue;
                    p[i] = p[best] + 0.5 * (p[i] - p[best]);
                    v[i] = eval(p[i]);
                }
            }
        }
    }
    const auto best = static_cast<std::size_t>(std::min_element(v.begin(), v.end()) - v.begin());
    return p[best];
}

/// One free parameter of a config: read, write (rounding integers is the setter's business), bounds.
template <class Config>
struct free_parameter {
    std::string name;                               ///< field name (for reports)
    std::function<double(const Config&)> get;       ///< current value
    std::function<void(Config&, double)> set;       ///< writes a value
    double lo = 0.0, hi = 0.0;                      ///< bounds (positive; the fit runs in log space)
};

/// A measured row ready for fitting: the network and its measured seconds.
struct calibration_row {
    graph::network net;       ///< network as measured
    double seconds = 0.0;     ///< measured latency
    std::string label;        ///< model name or arch string
};

/// A published ordering without absolute numbers (e.g. a paper's observation "A runs faster than B
/// on this device"): calibration asks `slower` to take at least (1 + margin) x the time of `faster`.
/// Orderings are data about a device, like measured rows; they only pull the fit when violated.
struct order_constraint {
    graph::network faster;  ///< the network observed to run faster
    graph::network slower;  ///< the network observed to run slower
    double margin = 0.05;   ///< required relative gap (slower >= (1 + margin) x faster), >= 0
    std::string label;      ///< e.g. "mobilenet_edgetpu<mobilenet_v2" (for reports and errors)
};

/// Fit settings.
struct calibration_options {
    double holdout = 0.2;          ///< share of rows held out of the fit (0 <= holdout < 1)
    std::uint64_t seed = 20261123; ///< seed of the hold-out split
    int max_evaluations = 3000;    ///< Nelder-Mead evaluation budget (per start)
    int starts = 1;                ///< descents: the base config, then seeded random points in the bounds
    std::vector<order_constraint> orders = {}; ///< orderings the fit must honour (hinge penalty)
    double order_weight = 10.0;    ///< weight of the squared shortfall of a violated ordering (> 0)
};

/// Outcome of a calibration.
template <class Config>
struct calibration_result {
    Config config;                        ///< fitted config
    std::vector<std::string> names;       ///< fitted parameter names
    std::vector<double> before, after;    ///< their values before and after
    std::vector<std::size_t> fit_rows, holdout_rows;  ///< row indices in each split
    std::vector<double> predicted;        ///< fitted-model seconds per row (all rows)
    error_summary fit, held_out;          ///< errors on each split
    std::vector<double> order_ratios;     ///< per ordering: seconds(slower) / seconds(faster) after the fit
    bool orders_met = true;               ///< every ordering holds (ratio > 1); the margin is what the fit aimed at
};

/// The split calibration uses: a seeded shuffle of [0, n) whose first floor(holdout * n) indices are
/// held out. Returns {fit rows, held-out rows}, each sorted.
inline std::pair<std::vector<std::size_t>, std::vector<std::size_t>> holdout_split(std::size_t n, double holdout,
                                                                                 std::uint64_t seed) {
    require(holdout >= 0.0 && holdout < 1.0, "holdout must be in [0, 1), got ", holdout);
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    rng g(seed);
    for (std::size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[uniform_index(g, i)]);
    const auto n_hold = static_cast<std::size_t>(std::floor(holdout * static_cast<double>(n)));
    std::vector<std::size_t> hold(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_hold));
    std::vector<std::size_t> fit(idx.begin() + static_cast<std::ptrdiff_t>(n_hold), idx.end());
    std::sort(fit.begin(), fit.end());
    std::sort(hold.begin(), hold.end());
    return {fit, hold};
}

/// Fits `params` of `base` so that `Model(config).seconds(row.net)` matches the measured seconds,
/// minimizing the mean squared relative error on the fit rows (Nelder-Mead in log space, values
/// kept inside the bounds) plus `order_weight` x the squared shortfall of each violated ordering in
/// `opt.orders`; rows are split by a seeded shuffle and errors are reported per split, orderings by
/// their ratio after the fit.
template <class Model, class Config>
calibration_result<Config> calibrate(const Config& base, const std::vector<free_parameter<Config>>& params,
                                     const std::vector<calibration_row>& rows, const calibration_options& opt = {}) {
    require(!rows.empty(), "calibrate: no measured rows");
    require(!params.empty(), "calibrate: no free parameters");
    require(opt.holdout >= 0.0 && opt.holdout < 1.0, "calibrate: holdout must be in [0, 1), got ", opt.holdout);
    require(opt.starts >= 1, "calibrate: starts must be at least 1, got ", opt.starts);
    require(opt.max_evaluations >= 1, "calibrate: max_evaluations must be at least 1, got ", opt.max_evaluations);
    for (const auto& r : rows)
        require(std::isfinite(r.seconds) && r.seconds > 0, "calibrate: row '", r.label, "' has a non-positive latency");
    for (const auto& p : params)
        require(p.lo > 0 && p.hi > p.lo, "calibrate: parameter '", p.name, "' needs bounds 0 < lo < hi");
    for (const auto& o : opt.orders)
        require(std::isfinite(o.margin) && o.margin >= 0 && o.margin < 10, "calibrate: ordering '", o.label,
                "' needs a margin in [0, 10), got ", o.margin);
    require(opt.orders.empty() || (std::isfinite(opt.order_weight) && opt.order_weight > 0),
            "calibrate: order_weight must be positive, got ", opt.order_weight);
    base.validate();
    calibration_result<Config> res;
    std::tie(res.fit_rows, res.holdout_rows) = holdout_split(rows.size(), opt.holdout, opt.seed);
    require(!res.fit_rows.empty(), "calibrate: the hold-out leaves no rows to fit");

    const auto n = static_cast<Eigen::Index>(params.size());
    auto apply = [&](const Eigen::VectorXd& x) {
        Config c = base;
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto& p = params[static_cast<std::size_t>(i)];
            p.set(c, std::clamp(std::exp(x[i]), p.lo, p.hi));
        }
        return c;
    };
    Eigen::VectorXd x0(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto& p = params[static_cast<std::size_t>(i)];
        const double v = p.get(base);
        res.names.push_back(p.name);
        res.before.push_back(v);
        x0[i] = std::log(std::clamp(v, p.lo, p.hi));
    }
    auto objective = [&](const Eigen::VectorXd& x) {
        double penalty = 0;
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto& p = params[static_cast<std::size_t>(i)];
            const double lx = x[i];
            if (lx < std::log(p.lo)) penalty += (std::log(p.lo) - lx) * (std::log(p.lo) - lx);
            if (lx > std::log(p.hi)) penalty += (lx - std::log(p.hi)) * (lx - std::log(p.hi));
        }
        const Model m(apply(x));
        double s = 0;
        for (auto i : res.fit_rows) {
            const double e = (m.seconds(rows[i].net) - rows[i].seconds) / rows[i].seconds;
            s += e * e;
        }
        double shortfall = 0;  // orderings: squared shortfall of the ratio below 1 + margin
        for (const auto& o : opt.orders) {
            const double gap = std::max(0.0, 1.0 + o.margin - m.seconds(o.slower) / m.seconds(o.faster));
            shortfall += gap * gap;
        }
        return s / static_cast<double>(res.fit_rows.size()) + opt.order_weight * shortfall + penalty;
    };
    // Start 0 is the base config; further starts are seeded uniform draws inside the (log) bounds.
    // Each descent restarts once from its optimum, which shakes the simplex out of a collapsed
    // direction; the best of all starts wins (ties: the earliest).
    Eigen::VectorXd x;
    double best = 0;
    rng g(opt.seed ^ 0x9e3779b97f4a7c15ULL);
    for (int start = 0; start < opt.starts; ++start) {
        Eigen::VectorXd s0 = x0;
        if (start > 0)
            for (Eigen::Index i = 0; i < n; ++i) {
                const auto& p = params[static_cast<std::size_t>(i)];
                s0[i] = std::log(p.lo) + (std::log(p.hi) - std::log(p.lo)) * uniform01(g);
            }
        Eigen::VectorXd xs = nelder_mead(objective, s0, 0.3, opt.max_evaluations);
        xs = nelder_mead(objective, xs, 0.1, opt.max_evaluations / 2);
        const double v = objective(xs);
        if (start == 0 || v < best) {
            best = v;
            x = xs;
        }
    }
    res.config = apply(x);
    res.config.validate();
    for (const auto& p : params) res.after.push_back(p.get(res.config));
    const Model m(res.config);
    res.predicted.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) res.predicted[i] = m.seconds(rows[i].net);
    for (const auto& o : opt.orders) {
        res.order_ratios.push_back(m.seconds(o.slower) / m.seconds(o.faster));
        res.orders_met = res.orders_met && res.order_ratios.back() > 1.0;
    }
    auto split = [&](const std::vector<std::size_t>& which) {
        std::vector<double> p, q;
        for (auto i : which) { p.push_back(res.predicted[i]); q.push_back(rows[i].seconds); }
        return summarize(p, q);
    };
    res.fit = split(res.fit_rows);
    res.held_out = split(res.holdout_rows);
    return res;
}

/// The free parameters of an Edge TPU config that calibration may fit, by field name: mechanisms
/// (clock, bandwidths, overheads, cache size), with physically plausible bounds.
inline free_parameter<edgetpu_config> edgetpu_free_parameter(std::string_view name) {
    using C = edgetpu_config;
    auto real = [&](double C::*f, double lo, double hi) {
        return free_parameter<C>{std::string(name), [f](const C& c) { return c.*f; }, [f](C& c, double v) { c.*f = v; }, lo, hi};
    };
    auto integer = [&](std::int64_t C::*f, double lo, double hi) {
        return free_parameter<C>{std::string(name), [f](const C& c) { return static_cast<double>(c.*f); },
                                 [f](C& c, double v) { c.*f = static_cast<std::int64_t>(std::llround(v)); }, lo, hi};
    };
    if (name == "clock_hz") return real(&C::clock_hz, 50e6, 2e9);
    if (name == "tile_bytes_per_cycle") return real(&C::tile_bytes_per_cycle, 1, 1024);
    if (name == "sram_bytes_per_cycle") return real(&C::sram_bytes_per_cycle, 1, 4096);
    if (name == "host_bytes_per_second") return real(&C::host_bytes_per_second, 10e6, 100e9);
    if (name == "host_latency_seconds") return real(&C::host_latency_seconds, 1e-7, 1e-2);
    if (name == "inference_overhead_seconds") return real(&C::inference_overhead_seconds, 1e-7, 0.1);
    if (name == "op_overhead_cycles") return integer(&C::op_overhead_cycles, 1, 1e6);
    if (name == "pool_overhead_cycles") return integer(&C::pool_overhead_cycles, 1, 1e6);
    if (name == "vector_overhead_cycles") return integer(&C::vector_overhead_cycles, 1, 1e6);
    if (name == "pass_overhead_cycles") return integer(&C::pass_overhead_cycles, 1, 1e4);
    if (name == "param_cache_bytes") return integer(&C::param_cache_bytes, 1e5, 64e6);
    if (name == "vector_width") return integer(&C::vector_width, 1, 4096);
    if (name == "lanes_per_cell") return integer(&C::lanes_per_cell, 1, 64);
    fail("unknown Edge TPU calibration parameter '", name,
         "' (expected clock_hz, tile_bytes_per_cycle, sram_bytes_per_cycle, host_bytes_per_second, "
         "host_latency_seconds, inference_overhead_seconds, op_overhead_cycles, pool_overhead_cycles, "
         "vector_overhead_cycles, pass_overhead_cycles, "
         "param_cache_bytes, vector_width or lanes_per_cell)");
}

/// The free parameters of a CPU config that calibration may fit, by field name.
inline free_parameter<cpu_config> cpu_free_parameter(std::string_view name) {
    using C = cpu_config;
    auto real = [&](double C::*f, double lo, double hi) {
        return free_parameter<C>{std::string(name), [f](const C& c) { return c.*f; }, [f](C& c, double v) { c.*f = v; }, lo, hi};
    };
    if (name == "conv_macs_per_second") return real(&C::conv_macs_per_second, 1e8, 1e13);
    if (name == "pointwise_macs_per_second") return real(&C::pointwise_macs_per_second, 1e8, 1e13);
    if (name == "depthwise_macs_per_second") return real(&C::depthwise_macs_per_second, 1e8, 1e13);
    if (name == "dense_macs_per_second") return real(&C::dense_macs_per_second, 1e8, 1e13);
    if (name == "vector_elements_per_second") return real(&C::vector_elements_per_second, 1e7, 1e12);
    if (name == "op_overhead_seconds") return real(&C::op_overhead_seconds, 1e-8, 1e-2);
    if (name == "inference_overhead_seconds") return real(&C::inference_overhead_seconds, 1e-8, 0.1);
    fail("unknown CPU calibration parameter '", name,
         "' (expected conv_macs_per_second, pointwise_macs_per_second, depthwise_macs_per_second, dense_macs_per_second, "
         "vector_elements_per_second, op_overhead_seconds or inference_overhead_seconds)");
}

}  // namespace accelnas::hw
