#pragma once
/// \file
/// The MobileNet family as TF-slim builds it (tensorflow/models, research/slim/nets/mobilenet*):
/// MobileNet V1 (with depth multiplier), V2, V3-Large and V3-Large-minimalistic, and MobilenetEdgeTPU
/// (with depth multiplier, 1.0 and 0.75 published). Inverted bottlenecks go through
/// graph::blocks::ibn / fused_ibn so that search spaces decode to the same ops.
///
/// Op order: input "input" -> stem conv (bn, act) -> blocks -> [head 1x1 conv (bn, act)] ->
/// global_avg_pool -> [V3: 1x1 conv 1280 with bias, no bn] -> fully_connected logits with bias.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/options.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace accelnas::zoo {

namespace detail {

// Default resolution/classes unless overridden; checks what the options ask for.
struct resolved_options {
    std::int64_t resolution, classes, channels;
};
inline resolved_options resolve(const char* model, const zoo_options& o, std::int64_t res, std::int64_t classes) {
    resolved_options r{or_default(o.resolution, res), or_default(o.classes, classes), o.channels};
    require(r.resolution > 0 && r.classes > 0 && r.channels > 0, "zoo model '", model, "': resolution ",
            r.resolution, ", classes ", r.classes, " and channels ", r.channels, " must be positive");
    return r;
}

// "mobilenet_v1" for 1.0, "mobilenet_v1_025" for 0.25 (the TF-slim checkpoint naming).
inline std::string multiplier_name(const char* base, double m) {
    if (m == 1.0) return base;
    char buf[16];
    std::snprintf(buf, sizeof buf, "_%03d", static_cast<int>(std::lround(m * 100)));
    return std::string(base) + buf;
}

inline void check_multiplier(const char* model, double m) {
    require(std::isfinite(m) && m > 0.0 && m <= 4.0, "zoo model '", model, "': depth multiplier ", m,
            " must be in (0, 4]");
}

}  // namespace detail

/// MobileNet V1 (Howard et al. 2017, TF-slim mobilenet_v1.py): 224x224, 1001 classes, ReLU6.
/// Filters scale as `max(int(f * depth_multiplier), 8)` (slim's `min_depth`).
inline graph::network mobilenet_v1(const zoo_options& opt = {}, double depth_multiplier = 1.0) {
    detail::check_multiplier("mobilenet_v1", depth_multiplier);
    const auto o = detail::resolve("mobilenet_v1", opt, 224, 1001);
    auto depth = [&](std::int64_t f) {
        return std::max<std::int64_t>(static_cast<std::int64_t>(static_cast<double>(f) * depth_multiplier), 8);
    };
    graph::network net(detail::multiplier_name("mobilenet_v1", depth_multiplier));
    auto x = net.input({1, o.resolution, o.resolution, o.channels}, "input");
    const auto relu6 = graph::activation::relu6;
    x = net.conv2d(x, {.filters = depth(32), .kernel = 3, .stride = 2, .act = relu6, .name = "stem"});
    // (stride, pointwise filters) of the 13 depthwise-separable layers.
    static constexpr std::pair<int, std::int64_t> layers[] = {{1, 64},  {2, 128}, {1, 128}, {2, 256}, {1, 256},
                                                               {2, 512}, {1, 512}, {1, 512}, {1, 512}, {1, 512},
                                                               {1, 512}, {2, 1024}, {1, 1024}};
    int i = 1;
    for (auto [s, f] : layers) {
        const auto p = "layer" + std::to_string(i++) + "/";
        x = net.depthwise_conv2d(x, {.kernel = 3, .stride = s, .act = relu6, .name = p + "depthwise"});
        x = net.conv2d(x, {.filters = depth(f), .act = relu6, .name = p + "pointwise"});
    }
    x = net.global_avg_pool(x, "pool");
    net.fully_connected(x, {.units = o.classes, .name = "logits"});
    return net;
}

/// MobileNet V2 (Sandler et al. 2018, TF-slim mobilenet_v2.py): 224x224, 1001 classes, ReLU6.
inline graph::network mobilenet_v2(const zoo_options& opt = {}) {
    const auto o = detail::resolve("mobilenet_v2", opt, 224, 1001);
    graph::network net("mobilenet_v2");
    const auto relu6 = graph::activation::relu6;
    auto x = net.input({1, o.resolution, o.resolution, o.channels}, "input");
    x = net.conv2d(x, {.filters = 32, .kernel = 3, .stride = 2, .act = relu6, .name = "stem"});
    struct row { int t; std::int64_t c; int n, s; };  // the paper's Table 2
    static constexpr row rows[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2},  {6, 64, 4, 2},
                                   {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
    int b = 0;
    for (const auto& r : rows)
        for (int i = 0; i < r.n; ++i) {
            const auto in = net.shape(x).c;
            // slim: expansion = make_divisible(in * t, 8), skipped when it would not widen the input.
            const auto expanded = graph::blocks::make_divisible(static_cast<double>(in * r.t), 8);
            x = graph::blocks::ibn(net, x, {.expanded = expanded, .out = r.c, .kernel = 3, .stride = i == 0 ? r.s : 1,
                                            .expand = expanded > in, .act = relu6,
                                            .prefix = "block" + std::to_string(++b) + "/"});
        }
    x = net.conv2d(x, {.filters = 1280, .act = relu6, .name = "head"});
    x = net.global_avg_pool(x, "pool");
    net.fully_connected(x, {.units = o.classes, .name = "logits"});
    return net;
}

namespace detail {

// One row of the MobileNetV3 tables (Howard et al. 2019, Table 1).
struct v3_row {
    int kernel;
    std::int64_t expanded, out;
    bool se, hard_swish;
    int stride;
};

inline graph::network mobilenet_v3(const char* name, const zoo_options& opt, bool minimalistic) {
    const auto o = resolve(name, opt, 224, 1001);
    static constexpr v3_row rows[] = {
        {3, 16, 16, false, false, 1},   {3, 64, 24, false, false, 2},  {3, 72, 24, false, false, 1},
        {5, 72, 40, true, false, 2},    {5, 120, 40, true, false, 1},  {5, 120, 40, true, false, 1},
        {3, 240, 80, false, true, 2},   {3, 200, 80, false, true, 1},  {3, 184, 80, false, true, 1},
        {3, 184, 80, false, true, 1},   {3, 480, 112, true, true, 1},  {3, 672, 112, true, true, 1},
        {5, 672, 160, true, true, 2},   {5, 960, 160, true, true, 1},  {5, 960, 160, true, true, 1}};
    using graph::activation;
    // Minimalistic: no SE, no hard-swish, 3x3 kernels only (slim V3_LARGE_MINIMALISTIC).
    const auto top_act = minimalistic ? activation::relu : activation::hard_swish;
    graph::network net(name);
    auto x = net.input({1, o.resolution, o.resolution, o.channels}, "input");
    x = net.conv2d(x, {.filters = 16, .kernel = 3, .stride = 2, .act = top_act, .name = "stem"});
    int b = 0;
    for (const auto& r : rows) {
        const auto in = net.shape(x).c;
        const bool se = r.se && !minimalistic;
        const auto act = r.hard_swish && !minimalistic ? activation::hard_swish : activation::relu;
        graph::blocks::se_args sa{};
        if (se)  // slim squeeze_excite: make_divisible(channels / 4, 8), ReLU then hard-sigmoid
            sa = {.reduced = graph::blocks::make_divisible(static_cast<double>(r.expanded) / 4.0, 8),
                  .inner = activation::relu, .gate = activation::hard_sigmoid};
        x = graph::blocks::ibn(net, x, {.expanded = r.expanded, .out = r.out, .kernel = minimalistic ? 3 : r.kernel,
                                        .stride = r.stride, .expand = r.expanded > in, .act = act, .se = sa,
                                        .prefix = "block" + std::to_string(++b) + "/"});
    }
    x = net.conv2d(x, {.filters = 960, .act = top_act, .name = "head"});
    x = net.global_avg_pool(x, "pool");
    // V3 adds a 1280-wide 1x1 conv after pooling, without batch norm (so with a bias).
    x = net.conv2d(x, {.filters = 1280, .bias = true, .bn = false, .act = top_act, .name = "head_pooled"});
    net.fully_connected(x, {.units = o.classes, .name = "logits"});
    return net;
}

}  // namespace detail

/// MobileNet V3-Large (Howard et al. 2019, TF-slim V3_LARGE): 224x224, 1001 classes, hard-swish, SE.
inline graph::network mobilenet_v3_large(const zoo_options& opt = {}) {
    return detail::mobilenet_v3("mobilenet_v3_large", opt, false);
}

/// MobileNet V3-Large-minimalistic (TF-slim V3_LARGE_MINIMALISTIC): ReLU, 3x3 kernels, no SE.
inline graph::network mobilenet_v3_large_minimalistic(const zoo_options& opt = {}) {
    return detail::mobilenet_v3("mobilenet_v3_large_minimalistic", opt, true);
}

/// MobilenetEdgeTPU (TF-slim V3_EDGETPU, reference/architectures.md): 224x224, 1001 classes, ReLU,
/// fused IBNs early. The depth multiplier scales every layer's filters by make_divisible(f * m, 8)
/// except the 1280 head (slim's finegrain_classification_mode); published for 1.0 and 0.75.
inline graph::network mobilenet_edgetpu(const zoo_options& opt = {}, double depth_multiplier = 1.0) {
    detail::check_multiplier("mobilenet_edgetpu", depth_multiplier);
    const auto name = detail::multiplier_name("mobilenet_edgetpu", depth_multiplier);
    const auto o = detail::resolve(name.c_str(), opt, 224, 1001);
    auto depth = [&](std::int64_t f) {
        return graph::blocks::make_divisible(static_cast<double>(f) * depth_multiplier, 8);
    };
    struct row { bool fused; int kernel, stride, expand; std::int64_t out; bool residual; int repeats; };
    static constexpr row rows[] = {
        {true, 3, 1, 1, 16, true, 1},  {true, 3, 2, 8, 32, true, 1},   {true, 3, 1, 4, 32, true, 3},
        {true, 3, 2, 8, 48, true, 1},  {true, 3, 1, 4, 48, true, 3},   {false, 3, 2, 8, 96, true, 1},
        {false, 3, 1, 4, 96, true, 3}, {false, 3, 1, 8, 96, false, 1}, {false, 3, 1, 4, 96, true, 3},
        {false, 5, 2, 8, 160, true, 1}, {false, 5, 1, 4, 160, true, 3}, {false, 3, 1, 8, 192, true, 1}};
    graph::network net(name);
    const auto relu = graph::activation::relu;
    auto x = net.input({1, o.resolution, o.resolution, o.channels}, "input");
    x = net.conv2d(x, {.filters = depth(32), .kernel = 3, .stride = 2, .act = relu, .name = "stem"});
    int b = 0;
    for (const auto& r : rows)
        for (int i = 0; i < r.repeats; ++i) {
            const auto in = net.shape(x).c;
            // slim: expansion = make_divisible(in * ef, 8) of the real input, skipped unless it widens.
            const auto expanded = graph::blocks::make_divisible(static_cast<double>(in * r.expand), 8);
            const auto prefix = "block" + std::to_string(++b) + "/";
            if (r.fused)
                x = graph::blocks::fused_ibn(net, x, {.expanded = expanded, .out = depth(r.out), .kernel = r.kernel,
                                                      .stride = r.stride, .expand = expanded > in, .act = relu,
                                                      .residual = r.residual, .prefix = prefix});
            else
                x = graph::blocks::ibn(net, x, {.expanded = expanded, .out = depth(r.out), .kernel = r.kernel,
                                                .stride = r.stride, .expand = expanded > in, .act = relu,
                                                .residual = r.residual, .prefix = prefix});
        }
    x = net.conv2d(x, {.filters = depth_multiplier < 1.0 ? 1280 : depth(1280), .act = relu, .name = "head"});
    x = net.global_avg_pool(x, "pool");
    net.fully_connected(x, {.units = o.classes, .name = "logits"});
    return net;
}

}  // namespace accelnas::zoo
