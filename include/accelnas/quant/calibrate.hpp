#pragma once
/// \file
/// Activation ranges from calibration batches, and the int8 quantization parameters derived from
/// them (TFLite's full-integer scheme):
/// - activations: per-tensor **asymmetric int8**, real = scale * (q - zero_point), q in [-128, 127].
///   The range is the min/max over all calibration images (no averaging, no percentile clipping),
///   widened to contain 0 so that zero (padding, ReLU) is exact; scale = (max - min) / 255 and
///   zero_point = round(-128 - min / scale), nudged into [-128, 127].
/// - weights: per-output-channel **symmetric int8** in [-127, 127] (zero point 0), see int8_model.hpp.
/// - biases: int32 with scale = input scale * weight scale of the channel.
/// Quantizing a float rounds to nearest and saturates to [-128, 127]: saturation is the defined
/// semantics for values outside the calibrated range (as in every int8 engine), not an error.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/reference.hpp>
#include <accelnas/train/parameters.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace accelnas::quant {

/// Observed [min, max] of one tensor; empty (min > max) until a value was seen.
struct tensor_range {
    float min = std::numeric_limits<float>::infinity();   ///< smallest value seen
    float max = -std::numeric_limits<float>::infinity();  ///< largest value seen

    /// True when no value was recorded.
    bool empty() const noexcept { return min > max; }
    /// Widens the range to contain `v`.
    void update(float v) noexcept {
        min = std::min(min, v);
        max = std::max(max, v);
    }
};

/// Ranges of every op of a network, gathered by `calibrate`.
struct calibration {
    std::vector<tensor_range> output;          ///< per op: range of its output
    std::vector<tensor_range> pre_activation;  ///< per op: range before its fused activation (empty if none)
    std::int64_t images = 0;                   ///< number of calibration images seen
};

/// Asymmetric int8 quantization of one tensor: real = scale * (q - zero_point).
struct quant_params {
    float scale = 1.0f;           ///< real value of one step (positive)
    std::int32_t zero_point = 0;  ///< the q that stands for real 0, in [-128, 127]

    /// Nearest int8 to `x`, saturated to [-128, 127].
    std::int8_t quantize(float x) const noexcept {
        const float q = std::nearbyint(x / scale) + float(zero_point);
        return static_cast<std::int8_t>(std::clamp(q, -128.0f, 127.0f));
    }
    /// Real value of `q`.
    float dequantize(std::int32_t q) const noexcept { return scale * float(q - zero_point); }
    /// Equal scale and zero point.
    friend bool operator==(const quant_params&, const quant_params&) = default;
};

/// Asymmetric int8 parameters covering `r` widened to contain 0 (see the file comment); an empty or
/// all-zero range gives scale 1, zero point -128 ... any scale represents an all-zero tensor exactly.
inline quant_params asymmetric_params(const tensor_range& r) {
    const float lo = r.empty() ? 0.0f : std::min(r.min, 0.0f), hi = r.empty() ? 0.0f : std::max(r.max, 0.0f);
    require(std::isfinite(lo) && std::isfinite(hi), "asymmetric_params: range [", lo, ", ", hi, "] is not finite");
    quant_params p;
    if (hi == lo) {
        p.zero_point = -128;
        return p;
    }
    p.scale = float((double(hi) - double(lo)) / 255.0);
    const double zp = -128.0 - double(lo) / double(p.scale);
    p.zero_point = std::int32_t(std::clamp(std::nearbyint(zp), -128.0, 127.0));
    return p;
}

namespace detail {
inline void calibrate_batch(const float_model& model, const xt::xtensor<float, 4>& batch, calibration& cal) {
    const auto& net = model.network();
    model.observe(batch, [&](std::size_t op, bool pre, const graph::tensor_shape&, std::span<const float> v) {
        auto& r = pre ? cal.pre_activation[op] : cal.output[op];
        float lo = r.min, hi = r.max;
        bool finite = true;
        for (float x : v) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
            finite &= std::isfinite(x);
        }
        require(finite, "calibrate: op '", net.ops()[op].name,
                "' produced a non-finite value (", pre ? "before its activation" : "output", ")");
        r.min = lo;
        r.max = hi;
    });
    cal.images += std::int64_t(batch.shape()[0]);
}
}  // namespace detail

/// Runs `model` (a folded network, normally) on every batch and records per-op output ranges and,
/// for ops with a fused activation, pre-activation ranges. A NaN or infinite activation raises
/// `accelnas::error` naming the op (calibrating on garbage would give garbage scales).
inline calibration calibrate(const float_model& model, std::span<const xt::xtensor<float, 4>> batches) {
    calibration cal;
    cal.output.resize(model.network().size());
    cal.pre_activation.resize(model.network().size());
    for (const auto& batch : batches) detail::calibrate_batch(model, batch, cal);
    require(cal.images > 0, "calibrate: no calibration images");
    return cal;
}

/// `calibrate` over `images` (NHWC) cut into batches of `batch_size` (one batch in memory at a time).
inline calibration calibrate(const float_model& model, const xt::xtensor<float, 4>& images,
                             std::size_t batch_size = 256) {
    require(batch_size > 0, "calibrate: batch_size must be positive");
    calibration cal;
    cal.output.resize(model.network().size());
    cal.pre_activation.resize(model.network().size());
    const std::size_t n = images.shape()[0], per = n ? images.size() / n : 0;
    for (std::size_t b = 0; b < n; b += batch_size) {
        const std::size_t m = std::min(batch_size, n - b);
        auto s = images.shape();
        s[0] = m;
        xt::xtensor<float, 4> t = xt::empty<float>(s);
        std::copy_n(images.data() + b * per, m * per, t.data());
        detail::calibrate_batch(model, t, cal);
    }
    require(cal.images > 0, "calibrate: no calibration images");
    return cal;
}

}  // namespace accelnas::quant
