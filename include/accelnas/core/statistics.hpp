#pragma once
/// \file
/// How well predictions match measurements: ranks with ties, Spearman rank correlation, percentiles,
/// and the relative-error summary every accuracy report of accelnas prints (median and
/// 90th-percentile relative error, share within +-10%, Spearman, RMSE).

#include <accelnas/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace accelnas {

/// The `q` quantile of `v` (q in [0, 1]) with linear interpolation between the two nearest order
/// statistics (numpy's default); 0 for an empty `v`.
inline double percentile(std::vector<double> v, double q) {
    require(q >= 0.0 && q <= 1.0, "percentile: q must be in [0, 1], got ", q);
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

/// 0-based ranks of `v` in ascending order; tied values share the mean of the ranks they span
/// (e.g. {10, 20, 20, 5} -> {1, 2.5, 2.5, 0}).
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

/// Spearman rank correlation of `a` and `b` (equal sizes, at least 2): the Pearson correlation of
/// their average ranks; 0 when either series is constant.
inline double spearman(const std::vector<double>& a, const std::vector<double>& b) {
    require(a.size() == b.size() && a.size() >= 2, "spearman: need two equal-length series of at least 2 values");
    const auto ra = average_ranks(a), rb = average_ranks(b);
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

/// Kendall's tau-b of `a` and `b` (equal sizes, at least 2): (concordant - discordant pairs) over
/// the geometric mean of the pairs untied in `a` and untied in `b`; 0 when either series is
/// constant. O(n^2): meant for the tens of points of a ranking check.
inline double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
    require(a.size() == b.size() && a.size() >= 2, "kendall_tau: need two equal-length series of at least 2 values");
    double s = 0, untied_a = 0, untied_b = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = i + 1; j < a.size(); ++j) {
            const double da = a[i] - a[j], db = b[i] - b[j];
            untied_a += da != 0;
            untied_b += db != 0;
            if (da != 0 && db != 0) s += (da > 0) == (db > 0) ? 1.0 : -1.0;
        }
    return untied_a > 0 && untied_b > 0 ? s / std::sqrt(untied_a * untied_b) : 0.0;
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

/// Error metrics of `predicted` against `measured` (same units, measured positive); all zero for
/// no rows, Spearman 0 for a single row.
inline error_summary summarize_errors(const std::vector<double>& predicted, const std::vector<double>& measured) {
    require(predicted.size() == measured.size(), "summarize_errors: ", predicted.size(), " predictions for ",
            measured.size(), " measurements");
    error_summary s;
    s.n = measured.size();
    if (s.n == 0) return s;
    std::vector<double> rel(s.n);
    double se = 0;
    for (std::size_t i = 0; i < s.n; ++i) {
        require(measured[i] > 0, "summarize_errors: measurement #", i, " is not positive");
        rel[i] = std::abs(predicted[i] - measured[i]) / measured[i];
        se += (predicted[i] - measured[i]) * (predicted[i] - measured[i]);
        s.mean_rel += rel[i];
        if (rel[i] <= 0.10) s.within10 += 1;
    }
    s.mean_rel /= static_cast<double>(s.n);
    s.within10 /= static_cast<double>(s.n);
    s.rmse = std::sqrt(se / static_cast<double>(s.n));
    s.median_rel = percentile(rel, 0.5);
    s.p90_rel = percentile(rel, 0.9);
    s.spearman = s.n >= 2 ? accelnas::spearman(predicted, measured) : 0.0;
    return s;
}

}  // namespace accelnas
