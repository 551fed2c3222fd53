#pragma once
/// \file
/// `train::diverged`, the one way training reports that numbers stopped being numbers (a NaN or an
/// infinity in a loss, gradient, weight, batch-norm statistic or activation), and the cheap
/// finiteness test the trainer runs on whole buffers.

#include <accelnas/core/error.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace accelnas::train {

/// Thrown when the loss, a gradient, a weight, a batch-norm statistic or an activation becomes NaN
/// or infinite (a search marks such a candidate failed; a tool reports it as an error). The message
/// names where: the epoch and step, the parameter, or the op.
class diverged : public error {
public:
    using error::error;
};

/// Index of the first NaN or infinity in `p[0, n)`, or `n` when all are finite. The common case
/// (all finite) is one vectorised pass: an integer maximum of the exponent bits, which are all ones
/// exactly for NaN and infinities.
inline std::size_t first_non_finite(const float* p, std::size_t n) noexcept {
    constexpr std::uint32_t exponent = 0x7f800000u;
    std::uint32_t top = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t e = std::bit_cast<std::uint32_t>(p[i]) & exponent;
        top = e > top ? e : top;
    }
    if (top != exponent) return n;
    for (std::size_t i = 0; i < n; ++i)
        if ((std::bit_cast<std::uint32_t>(p[i]) & exponent) == exponent) return i;
    return n;
}

}  // namespace accelnas::train
