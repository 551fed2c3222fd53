#pragma once
/// \file
/// Deterministic random numbers: one engine type and distribution helpers whose results do not
/// depend on the standard library's distribution implementations (same seed, same numbers everywhere).

#include <accelnas/core/error.hpp>

#include <cmath>
#include <cstdint>
#include <random>

namespace accelnas {

/// The engine every random choice in accelnas takes (explicit seed, no global state).
using rng = std::mt19937_64;

/// Uniform integer in [0, n); `n` must be positive. Unbiased (rejection sampling).
inline std::uint64_t uniform_index(rng& g, std::uint64_t n) {
    require(n > 0, "uniform_index: n must be positive");
    const std::uint64_t limit = rng::max() - (rng::max() % n + 1) % n;
    std::uint64_t x;
    do { x = g(); } while (x > limit);
    return x % n;
}

/// Uniform double in [0, 1) with 53 random bits.
inline double uniform01(rng& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

/// Standard normal variate (Box-Muller; deterministic across platforms).
inline double normal01(rng& g) {
    double u1 = uniform01(g);
    while (u1 <= 0.0) u1 = uniform01(g);
    const double u2 = uniform01(g);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace accelnas
