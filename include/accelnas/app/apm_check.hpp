#pragma once
/// \file
/// The APM checked against the cycle-level simulator on random architectures of the `edgetpu`
/// space: the sample, the simulator's latencies on it, and the fit of the APM's ceilings that
/// `hw::targets::apm_ceilings_of` ships (`example_hw_accuracy --fit-ceilings` prints it, and a test
/// fails when the shipped factors no longer fit the shipped configs).

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/apm_fit.hpp>
#include <accelnas/hw/simulator.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/space/registry.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace accelnas::app {

/// Size of the sample the shipped APM ceilings are fitted on.
inline constexpr int apm_fit_count = 300;
/// Seed of that sample (every check uses another seed: the figures are on networks outside the fit).
inline constexpr std::uint64_t apm_fit_seed = 11;

/// `count` random architectures of the `edgetpu` space decoded at its deployment input (224x224x3),
/// drawn with seed `seed`.
inline std::vector<graph::network> random_edgetpu_networks(std::uint64_t seed, int count) {
    require(count > 0, "random_edgetpu_networks: count must be positive, got ", count);
    const auto& space = space::find_space("edgetpu");
    rng g(seed);
    std::vector<graph::network> v;
    v.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) v.push_back(space.decode(space.sample(g), space.deployment.shape(), space.deployment.classes));
    return v;
}

/// The simulator's seconds for each of `nets` on `cfg`.
inline std::vector<double> simulated_seconds(const hw::edgetpu_config& cfg, const std::vector<graph::network>& nets) {
    const hw::simulator sim(cfg);
    std::vector<double> t;
    t.reserve(nets.size());
    for (const auto& n : nets) t.push_back(sim.seconds(n));
    return t;
}

/// The APM ceilings of Edge TPU target `target` (its shipped config) fitted against the simulator on
/// `count` random `edgetpu` architectures drawn with `seed`: with the defaults, what
/// `hw::targets::apm_ceilings_of(target)` ships.
inline hw::apm_ceilings fit_apm_ceilings_to_simulator(std::string_view target, int count = apm_fit_count,
                                                      std::uint64_t seed = apm_fit_seed) {
    const auto cfg = hw::targets::edgetpu(target);
    const auto nets = random_edgetpu_networks(seed, count);
    return hw::fit_apm_ceilings(cfg, nets, simulated_seconds(cfg, nets));
}

}  // namespace accelnas::app
