#pragma once
/// \file
/// Activation ranges of a network, observed by running its float reference inference on a few
/// representative images (post-training calibration): per op the min/max of its output and, for ops
/// with a fused activation, of the value before it. The quantizer (quantizer.hpp) turns them into
/// int8 scales and zero points.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/reference.hpp>

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

/// Ranges of every op of a network, gathered by `observe_ranges`.
struct activation_ranges {
    std::vector<tensor_range> output;          ///< per op: range of its output
    std::vector<tensor_range> pre_activation;  ///< per op: range before its fused activation (empty if none)
    std::int64_t images = 0;                   ///< number of images observed
};

namespace detail {
inline void observe_batch(const float_model& model, const xt::xtensor<float, 4>& batch, activation_ranges& ranges) {
    const auto& net = model.network();
    model.observe(batch, [&](std::size_t op, bool pre, const graph::tensor_shape&, std::span<const float> v) {
        auto& r = pre ? ranges.pre_activation[op] : ranges.output[op];
        float lo = r.min, hi = r.max;
        bool finite = true;
        for (float x : v) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
            finite &= std::isfinite(x);
        }
        require(finite, "observe_ranges: op '", net.ops()[op].name,
                "' produced a non-finite value (", pre ? "before its activation" : "output", ")");
        r.min = lo;
        r.max = hi;
    });
    ranges.images += std::int64_t(batch.shape()[0]);
}
}  // namespace detail

/// Runs `model` (a folded network, normally) on every batch and records per-op output ranges and,
/// for ops with a fused activation, pre-activation ranges. A NaN or infinite activation raises
/// `accelnas::error` naming the op (ranges of garbage would give garbage scales).
inline activation_ranges observe_ranges(const float_model& model, std::span<const xt::xtensor<float, 4>> batches) {
    activation_ranges ranges;
    ranges.output.resize(model.network().size());
    ranges.pre_activation.resize(model.network().size());
    for (const auto& batch : batches) detail::observe_batch(model, batch, ranges);
    require(ranges.images > 0, "observe_ranges: no calibration images");
    return ranges;
}

/// `observe_ranges` over `images` (NHWC) cut into batches of `batch_size` (one batch in memory at a time).
inline activation_ranges observe_ranges(const float_model& model, const xt::xtensor<float, 4>& images,
                                        std::size_t batch_size = 256) {
    require(batch_size > 0, "observe_ranges: batch_size must be positive");
    activation_ranges ranges;
    ranges.output.resize(model.network().size());
    ranges.pre_activation.resize(model.network().size());
    const std::size_t n = images.shape()[0], per = n ? images.size() / n : 0;
    for (std::size_t b = 0; b < n; b += batch_size) {
        const std::size_t m = std::min(batch_size, n - b);
        auto s = images.shape();
        s[0] = m;
        xt::xtensor<float, 4> t = xt::empty<float>(s);
        std::copy_n(images.data() + b * per, m * per, t.data());
        detail::observe_batch(model, t, ranges);
    }
    require(ranges.images > 0, "observe_ranges: no calibration images");
    return ranges;
}

}  // namespace accelnas::quant
