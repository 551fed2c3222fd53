#pragma once
/// \file
/// Calibration of a device: fit a config's free parameters (mechanisms such as clock, effective
/// bandwidths, overheads, cache size - never per-row corrections) to measured latencies, by
/// Nelder-Mead (core/nelder_mead.hpp) on the mean squared relative error, with a seeded hold-out
/// split and errors reported per split (core/statistics.hpp). Which fields may be fitted, and
/// within which bounds, is in hw/free_parameters.hpp; the measurement CSVs are read by
/// hw/measurements.hpp.

#include <accelnas/core/error.hpp>
#include <accelnas/core/nelder_mead.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/core/statistics.hpp>
#include <accelnas/graph/network.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace accelnas::hw {

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
    std::vector<double> predicted;        ///< seconds the fitted estimator predicts per row (all rows)
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

/// Fits `params` of `base` so that `Estimator(config).seconds(row.net)` matches the measured seconds,
/// minimizing the mean squared relative error on the fit rows (Nelder-Mead in log space, values
/// kept inside the bounds) plus `order_weight` x the squared shortfall of each violated ordering in
/// `opt.orders`; rows are split by a seeded shuffle and errors are reported per split, orderings by
/// their ratio after the fit.
template <class Estimator, class Config>
calibration_result<Config> fit_config(const Config& base, const std::vector<free_parameter<Config>>& params,
                                      const std::vector<calibration_row>& rows, const calibration_options& opt = {}) {
    require(!rows.empty(), "fit_config: no measured rows");
    require(!params.empty(), "fit_config: no free parameters");
    require(opt.holdout >= 0.0 && opt.holdout < 1.0, "fit_config: holdout must be in [0, 1), got ", opt.holdout);
    require(opt.starts >= 1, "fit_config: starts must be at least 1, got ", opt.starts);
    require(opt.max_evaluations >= 1, "fit_config: max_evaluations must be at least 1, got ", opt.max_evaluations);
    for (const auto& r : rows)
        require(std::isfinite(r.seconds) && r.seconds > 0, "fit_config: row '", r.label, "' has a non-positive latency");
    for (const auto& p : params)
        require(p.lo > 0 && p.hi > p.lo, "fit_config: parameter '", p.name, "' needs bounds 0 < lo < hi");
    for (const auto& o : opt.orders)
        require(std::isfinite(o.margin) && o.margin >= 0 && o.margin < 10, "fit_config: ordering '", o.label,
                "' needs a margin in [0, 10), got ", o.margin);
    require(opt.orders.empty() || (std::isfinite(opt.order_weight) && opt.order_weight > 0),
            "fit_config: order_weight must be positive, got ", opt.order_weight);
    base.validate();
    calibration_result<Config> res;
    std::tie(res.fit_rows, res.holdout_rows) = holdout_split(rows.size(), opt.holdout, opt.seed);
    require(!res.fit_rows.empty(), "fit_config: the hold-out leaves no rows to fit");

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
        const Estimator m(apply(x));
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
        Eigen::VectorXd xs = accelnas::nelder_mead(objective, s0, 0.3, opt.max_evaluations);
        xs = accelnas::nelder_mead(objective, xs, 0.1, opt.max_evaluations / 2);
        const double v = objective(xs);
        if (start == 0 || v < best) {
            best = v;
            x = xs;
        }
    }
    res.config = apply(x);
    res.config.validate();
    for (const auto& p : params) res.after.push_back(p.get(res.config));
    const Estimator m(res.config);
    res.predicted.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) res.predicted[i] = m.seconds(rows[i].net);
    for (const auto& o : opt.orders) {
        res.order_ratios.push_back(m.seconds(o.slower) / m.seconds(o.faster));
        res.orders_met = res.orders_met && res.order_ratios.back() > 1.0;
    }
    auto split = [&](const std::vector<std::size_t>& which) {
        std::vector<double> p, q;
        for (auto i : which) { p.push_back(res.predicted[i]); q.push_back(rows[i].seconds); }
        return summarize_errors(p, q);
    };
    res.fit = split(res.fit_rows);
    res.held_out = split(res.holdout_rows);
    return res;
}

}  // namespace accelnas::hw
