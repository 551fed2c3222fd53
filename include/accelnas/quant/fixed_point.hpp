#pragma once
/// \file
/// Fixed-point rescaling of int32 accumulators, as TFLite's integer kernels do: a positive real
/// multiplier M is stored as a Q31 integer m in [2^30, 2^31) and a power-of-two exponent e with
/// M = m * 2^(e - 31). Applying it computes round(x * m / 2^(31 - e)) with one 64-bit product and one
/// rounding (half up, TFLite's TFLITE_SINGLE_ROUNDING variant of MultiplyByQuantizedMultiplier).

#include <accelnas/core/error.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

namespace accelnas::quant {

/// A real multiplier in fixed point: real = multiplier * 2^(shift - 31).
struct fixed_multiplier {
    std::int32_t multiplier = 0;  ///< Q31 mantissa in [2^30, 2^31), or 0 for a zero multiplier
    int shift = 0;                ///< power-of-two exponent

    /// Encodes `real` (finite, non-negative) with a 31-bit mantissa.
    static fixed_multiplier from(double real) {
        require(std::isfinite(real) && real >= 0.0, "fixed_multiplier: multiplier ", real,
                " must be finite and non-negative");
        fixed_multiplier f;
        if (real == 0.0) return f;
        int e = 0;
        const double q = std::frexp(real, &e);  // real = q * 2^e, q in [0.5, 1)
        auto m = static_cast<std::int64_t>(std::llround(q * 2147483648.0));
        if (m == (std::int64_t{1} << 31)) {
            m /= 2;
            ++e;
        }
        f.multiplier = static_cast<std::int32_t>(m);
        f.shift = e;
        return f;
    }

    /// The real value this multiplier stands for.
    double real() const noexcept { return std::ldexp(double(multiplier), shift - 31); }

    /// round(x * real()), saturated to the int32 range (saturation is the defined integer semantics;
    /// it is reached only when the real result lies outside int32).
    std::int32_t apply(std::int32_t x) const noexcept {
        const std::int64_t prod = std::int64_t{x} * multiplier;  // |prod| < 2^62
        const int right = 31 - shift;
        std::int64_t r;
        if (right > 62) {
            r = 0;  // |x * real| < 2^31 * 2^-32: rounds to zero
        } else if (right > 0) {
            r = (prod + (std::int64_t{1} << (right - 1))) >> right;
        } else {
            const int left = -right;  // real >= 1: shift the product left, saturating
            constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max();
            if (left > 62 || prod > (big >> left) || prod < -(big >> left))
                r = prod > 0 ? big : (prod < 0 ? -big : 0);
            else
                r = prod * (std::int64_t{1} << left);
        }
        if (r > std::numeric_limits<std::int32_t>::max()) return std::numeric_limits<std::int32_t>::max();
        if (r < std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::min();
        return static_cast<std::int32_t>(r);
    }
};

}  // namespace accelnas::quant
