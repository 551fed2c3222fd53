#pragma once
/// \file
/// A small derivative-free minimizer: the Nelder-Mead simplex method, generic over the objective.
/// Used to fit device parameters to measured latencies (hw/fit_config.hpp); deterministic (no
/// random restarts inside), so the same inputs give the same point.

#include <accelnas/core/error.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <numeric>
#include <type_traits>
#include <vector>

namespace accelnas {

/// An objective `nelder_mead` can minimize: called with a point, returns its value. A NaN or
/// infinite value counts as worse than any finite one. It may be called many times at the same point.
template <class F>
concept objective_function = std::invocable<F&, const Eigen::VectorXd&> &&
                             std::convertible_to<std::invoke_result_t<F&, const Eigen::VectorXd&>, double>;

/// Minimizes `f` from `x0` with the Nelder-Mead simplex (standard coefficients: reflection 1,
/// expansion 2, contraction 0.5, shrink 0.5). The first simplex is `x0` plus `step` along each
/// coordinate. Stops after `max_evaluations` calls of `f`, or when the worst and best vertex values
/// agree to `tolerance` (relative). Returns the best vertex found.
template <objective_function F>
Eigen::VectorXd nelder_mead(F&& f, Eigen::VectorXd x0, double step = 0.3, int max_evaluations = 4000,
                            double tolerance = 1e-10) {
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

}  // namespace accelnas
