#pragma once
/// \file
/// Building blocks shared by the zoo and the search-space policies, so that a point of a space and
/// the published model it stands for produce the same ops in the same order:
/// conv-BN-activation, squeeze-and-excitation, inverted bottleneck (IBN) and fused IBN.

#include <accelnas/graph/network.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace accelnas::graph::blocks {

/// Rounds `v` to a multiple of `divisor`, at least `min_value` (0 means divisor), never below 90%
/// of `v` (the TF `make_divisible` / `round_filters` rule).
inline std::int64_t make_divisible(double v, std::int64_t divisor = 8, std::int64_t min_value = 0) {
    if (min_value == 0) min_value = divisor;
    auto r = std::max<std::int64_t>(min_value, static_cast<std::int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (static_cast<double>(r) < 0.9 * v) r += divisor;
    return r;
}

/// Squeeze-and-excitation settings; `reduced == 0` means no SE.
struct se_args {
    std::int64_t reduced = 0;                    ///< channels of the squeeze (reduce) conv
    activation inner = activation::relu;         ///< activation after the reduce conv
    activation gate = activation::sigmoid;       ///< gating nonlinearity
};

/// Squeeze-and-excitation: global pool -> 1x1 conv (bias) -> act -> 1x1 conv (bias) -> gate -> mul.
inline node squeeze_excite(network& net, node x, const se_args& se, const std::string& prefix = {}) {
    const auto c = net.shape(x).c;
    auto p = [&](const char* s) { return prefix.empty() ? std::string{} : prefix + s; };
    auto g = net.global_avg_pool(x, p("se_pool"));
    auto r = net.conv2d(g, {.filters = se.reduced, .bias = true, .bn = false, .act = se.inner, .name = p("se_reduce")});
    auto e = net.conv2d(r, {.filters = c, .bias = true, .bn = false, .act = se.gate, .name = p("se_expand")});
    return net.mul(x, e, {.name = p("se_mul")});
}

/// Inverted bottleneck: [1x1 expand conv] -> kxk depthwise (stride) -> [SE] -> 1x1 linear projection
/// -> [residual add when stride 1, in == out and `residual`].
struct ibn_args {
    std::int64_t expanded = 0;       ///< channels after expansion; ignored when !expand
    std::int64_t out = 0;            ///< output channels
    int kernel = 3;
    int stride = 1;
    bool expand = true;              ///< false: no 1x1 expansion conv (expansion ratio 1)
    activation act = activation::relu;
    se_args se = {};
    bool residual = true;
    std::string prefix = {};         ///< op-name prefix ("" = automatic names)
};

/// Appends an inverted bottleneck to `net` and returns its output.
inline node ibn(network& net, node x, const ibn_args& a) {
    const auto in = net.shape(x).c;
    auto p = [&](const char* s) { return a.prefix.empty() ? std::string{} : a.prefix + s; };
    node y = x;
    if (a.expand) y = net.conv2d(y, {.filters = a.expanded, .act = a.act, .name = p("expand")});
    y = net.depthwise_conv2d(y, {.kernel = a.kernel, .stride = a.stride, .act = a.act, .name = p("depthwise")});
    if (a.se.reduced > 0) y = squeeze_excite(net, y, a.se, a.prefix);
    y = net.conv2d(y, {.filters = a.out, .name = p("project")});
    if (a.residual && a.stride == 1 && in == a.out) y = net.add(x, y, {.name = p("add")});
    return y;
}

/// Fused inverted bottleneck: [kxk full expansion conv carrying the stride] -> [SE] -> 1x1 linear
/// projection -> [residual]. With !expand the block is just the projection (carrying the stride).
struct fused_ibn_args {
    std::int64_t expanded = 0;
    std::int64_t out = 0;
    int kernel = 3;
    int stride = 1;
    bool expand = true;
    activation act = activation::relu;
    se_args se = {};
    bool residual = true;
    std::string prefix = {};
};

/// Appends a fused inverted bottleneck to `net` and returns its output.
inline node fused_ibn(network& net, node x, const fused_ibn_args& a) {
    const auto in = net.shape(x).c;
    auto p = [&](const char* s) { return a.prefix.empty() ? std::string{} : a.prefix + s; };
    node y = x;
    int project_stride = a.stride;
    if (a.expand) {
        y = net.conv2d(y, {.filters = a.expanded, .kernel = a.kernel, .stride = a.stride, .act = a.act,
                           .name = p("fused_expand")});
        project_stride = 1;
    }
    if (a.se.reduced > 0) y = squeeze_excite(net, y, a.se, a.prefix);
    y = net.conv2d(y, {.filters = a.out, .stride = project_stride, .name = p("project")});
    if (a.residual && a.stride == 1 && in == a.out) y = net.add(x, y, {.name = p("add")});
    return y;
}

}  // namespace accelnas::graph::blocks
