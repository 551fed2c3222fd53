#pragma once
/// \file
/// The arithmetic facts of one op that every part needs, each computed here and nowhere else:
/// sliding-window geometry (TensorFlow SAME / VALID), channel groups (depthwise or not), and the MAC
/// and weight counts of convolutions and dense layers. Shape inference (graph/network.hpp), costs
/// (graph/cost.hpp), the accelerator models (hw/), the trainer (train/) and the int8 interpreter
/// (quant/) all call these, so they cannot disagree on what an op is.

#include <accelnas/graph/op.hpp>

#include <cstdint>

namespace accelnas::graph {

/// Placement of a sliding window along one dimension (height or width).
struct window_geometry {
    std::int64_t out = 0;         ///< output size
    std::int64_t pad_before = 0;  ///< implicit zero padding before the first input element (top or left)
    std::int64_t pad_total = 0;   ///< implicit zero padding before and after together

    friend constexpr bool operator==(const window_geometry&, const window_geometry&) = default;
};

/// TensorFlow geometry of a window of `kernel` elements moved by `stride` over `in` elements.
/// SAME: out = ceil(in / stride), padding max(0, (out - 1) stride + kernel - in) with the smaller
/// half before (the odd element goes after). VALID: out = (in - kernel) / stride + 1, no padding;
/// the caller checks kernel <= in (shape inference raises the error naming the op).
constexpr window_geometry window_along(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                       padding pad) noexcept {
    if (pad == padding::valid) return {(in - kernel) / stride + 1, 0, 0};
    const std::int64_t out = (in + stride - 1) / stride;
    const std::int64_t need = (out - 1) * stride + kernel - in;
    const std::int64_t total = need > 0 ? need : 0;
    return {out, total / 2, total};
}

/// Output size of a window along one dimension (`window_along(...).out`).
constexpr std::int64_t window_output(std::int64_t in, std::int64_t kernel, std::int64_t stride, padding pad) noexcept {
    return window_along(in, kernel, stride, pad).out;
}

/// Input channels each group of a grouped convolution reads (`in_channels / groups`, without the
/// division for the common regular and depthwise cases: the APM evaluates this per op in its fast path).
constexpr std::int64_t channels_per_group(std::int64_t in_channels, std::int64_t groups) noexcept {
    return groups == 1 ? in_channels : groups == in_channels ? 1 : in_channels / groups;
}

/// Output channels (filters) each group of a grouped convolution writes.
constexpr std::int64_t filters_per_group(std::int64_t filters, std::int64_t groups) noexcept {
    return filters / groups;
}

/// True for a depthwise convolution: more than one group and one group per input channel (any
/// channel multiplier). A one-channel input with one group is a regular convolution.
constexpr bool is_depthwise(std::int64_t in_channels, std::int64_t groups) noexcept {
    return groups > 1 && groups == in_channels;
}

/// True when op `o` is a depthwise conv2d over `in_channels` input channels.
constexpr bool is_depthwise(const op& o, std::int64_t in_channels) noexcept {
    return o.kind == op_kind::conv2d && is_depthwise(in_channels, o.groups);
}

/// True when every group reads a single input channel: depthwise, or a one-channel regular conv.
/// Kernels that loop over channels directly (quant's interpreter) take this case; it is a question of
/// loop structure, not of what the op is (see `is_depthwise`).
constexpr bool one_channel_per_group(std::int64_t in_channels, std::int64_t groups) noexcept {
    return channels_per_group(in_channels, groups) == 1;
}

/// Weight elements of a conv2d: kernel taps x input channels per group x filters.
constexpr std::int64_t conv_weights(std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t in_channels,
                                    std::int64_t groups, std::int64_t filters) noexcept {
    return kernel_h * kernel_w * channels_per_group(in_channels, groups) * filters;
}

/// Multiply-accumulates of a conv2d for one image: output positions x filters x kernel taps x input
/// channels per group.
constexpr std::int64_t conv_macs(std::int64_t out_h, std::int64_t out_w, std::int64_t filters, std::int64_t kernel_h,
                                 std::int64_t kernel_w, std::int64_t in_channels, std::int64_t groups) noexcept {
    return out_h * out_w * filters * (kernel_h * kernel_w) * channels_per_group(in_channels, groups);
}

/// Weight elements (and MACs for one image) of a fully connected layer over `in_features` inputs.
constexpr std::int64_t dense_weights(std::int64_t in_features, std::int64_t units) noexcept {
    return in_features * units;
}

}  // namespace accelnas::graph
