#pragma once
/// \file
/// Calibration of the APM's ceilings against the cycle-level simulator (as the paper calibrated its
/// analytical model against its simulator, not against measurements): the factors of `apm_ceilings`
/// that minimise the RMSE of `apm::seconds` against the simulator's latencies on a set of networks.
/// Report the result on networks that were not in the fit (another seed's sample).

#include <accelnas/core/error.hpp>
#include <accelnas/core/nelder_mead.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/compact_network.hpp>
#include <accelnas/hw/config.hpp>

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <span>
#include <vector>

namespace accelnas::hw {

/// The ceilings of `apm` on device `cfg` that fit `reference` (seconds per network, e.g. from
/// `simulator::seconds`) best in RMSE over `nets`, each factor kept in [0.05, 20]. Starts from
/// `start`; deterministic.
inline apm_ceilings fit_apm_ceilings(const edgetpu_config& cfg, std::span<const graph::network> nets,
                                     std::span<const double> reference, apm_ceilings start = {}) {
    require(!nets.empty() && nets.size() == reference.size(), "fit_apm_ceilings: ", nets.size(), " networks for ",
            reference.size(), " reference latencies");
    start.validate();
    std::vector<compact_network> tables;
    tables.reserve(nets.size());
    for (const auto& n : nets) tables.emplace_back(n);
    // Fitted in log space: the factors are positive and act multiplicatively.
    auto factors = [](const Eigen::VectorXd& x) {
        std::array<double, 6> v{};
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::exp(x[static_cast<Eigen::Index>(i)]);
        return v;
    };
    auto rmse = [&](const Eigen::VectorXd& x) {
        const auto v = factors(x);
        for (double f : v)
            if (!(f >= 0.05 && f <= 20)) return 1e300;  // the bounds
        const apm model(cfg, apm_ceilings::from(v));
        double se = 0;
        for (std::size_t i = 0; i < tables.size(); ++i) {
            const double d = model.seconds(tables[i]) - reference[i];
            se += d * d;
        }
        return std::sqrt(se / static_cast<double>(tables.size()));
    };
    Eigen::VectorXd x(6);
    const auto s = start.values();
    for (std::size_t i = 0; i < s.size(); ++i) x[static_cast<Eigen::Index>(i)] = std::log(s[i]);
    // Two rounds: a restart from the first optimum escapes the simplex collapsing on a ceiling
    // that binds on few ops.
    for (int round = 0; round < 2; ++round) x = nelder_mead(rmse, x, 0.25, 1500, 1e-12);
    return apm_ceilings::from(factors(x));
}

}  // namespace accelnas::hw
