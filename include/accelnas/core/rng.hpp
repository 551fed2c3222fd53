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

/// Seeds derived from a run's seed, one per purpose ("stream"): the SplitMix64 scheme, in one place.
/// The state of stream `stream` is the Weyl step `seed * golden_gamma + stream`; `scramble` (the
/// SplitMix64 output function) turns it into a well-mixed seed. Callers that seeded an engine with
/// the plain Weyl state keep doing so (`scramble = false`) so that their seeded results stay as
/// they were; new callers should scramble.
inline constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;

/// The seed of stream `stream` of a run seeded with `seed` (see `golden_gamma`).
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, bool scramble = true) noexcept {
    std::uint64_t z = seed * golden_gamma + stream;
    if (!scramble) return z;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

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
