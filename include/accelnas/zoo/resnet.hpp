#pragma once
/// \file
/// ResNet-50 V1 (He et al. 2016, as in Keras applications `ResNet50`) and the pre-activation
/// ResNet V2 of Keras applications (`ResNet50V2`, `ResNet152V2`; He et al., "Identity mappings").
/// 224x224x3 input, 1000 classes by default.

#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/classic_common.hpp>
#include <accelnas/zoo/options.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace accelnas::zoo {

namespace detail {

// V1 bottleneck (Keras `block1`): 1x1 (carries the stride) -> 3x3 -> 1x1 (x4), BN after each conv,
// projection shortcut on the first block of a stage; add with ReLU fused.
inline graph::node resnet_v1_block(graph::network& net, graph::node x, std::int64_t filters, int stride,
                                   bool project, const std::string& p) {
    using graph::activation;
    graph::node shortcut = x;
    if (project) shortcut = net.conv2d(x, {.filters = 4 * filters, .kernel = 1, .stride = stride, .name = p + "0_conv"});
    auto y = net.conv2d(x, {.filters = filters, .kernel = 1, .stride = stride, .act = activation::relu, .name = p + "1_conv"});
    y = net.conv2d(y, {.filters = filters, .kernel = 3, .act = activation::relu, .name = p + "2_conv"});
    y = net.conv2d(y, {.filters = 4 * filters, .kernel = 1, .name = p + "3_conv"});
    return net.add(shortcut, y, {.act = activation::relu, .name = p + "add"});
}

// V2 bottleneck (Keras `block2`): standalone BN+ReLU pre-activation; the shortcut is a 1x1 conv of
// the pre-activation (first block), a 1x1 max pool carrying the stride (last block of a stage),
// or the identity. Convs that feed BN have no bias; those that feed the add have one.
inline graph::node resnet_v2_block(graph::network& net, graph::node x, std::int64_t filters, int stride,
                                   bool project, const std::string& p) {
    using graph::activation;
    auto pre = net.batch_norm(x, {.act = activation::relu, .name = p + "preact"});
    graph::node shortcut = x;
    if (project)
        shortcut = net.conv2d(pre, {.filters = 4 * filters, .kernel = 1, .stride = stride, .bias = true, .bn = false,
                                    .name = p + "0_conv"});
    else if (stride > 1)
        shortcut = net.max_pool(x, {.kernel = 1, .stride = stride, .name = p + "0_pool"});
    auto y = net.conv2d(pre, {.filters = filters, .kernel = 1, .act = activation::relu, .name = p + "1_conv"});
    y = net.conv2d(y, {.filters = filters, .kernel = 3, .stride = stride, .act = activation::relu, .name = p + "2_conv"});
    y = net.conv2d(y, {.filters = 4 * filters, .kernel = 1, .bias = true, .bn = false, .name = p + "3_conv"});
    return net.add(shortcut, y, {.name = p + "out"});
}

inline graph::network resnet_v1(const char* model, std::array<int, 4> blocks, const zoo_options& opts) {
    using graph::activation;
    const auto s = resolve_classic(opts, model, 224, 1000);
    graph::network net(model);
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    x = net.conv2d(x, {.filters = 64, .kernel = 7, .stride = 2, .act = activation::relu, .name = "conv1_conv"});
    x = net.max_pool(x, {.kernel = 3, .stride = 2, .pad = graph::padding::same, .name = "pool1_pool"});
    const std::array<std::int64_t, 4> filters{64, 128, 256, 512};
    for (int st = 0; st < 4; ++st)
        for (int b = 0; b < blocks[st]; ++b) {
            const int stride = (b == 0 && st > 0) ? 2 : 1;
            const auto p = op_name("conv", st + 2, "_block", b + 1, "_");
            x = resnet_v1_block(net, x, filters[st], stride, b == 0, p);
        }
    x = net.global_avg_pool(x, "avg_pool");
    net.fully_connected(x, {.units = s.classes, .name = "predictions"});
    return net;
}

inline graph::network resnet_v2(const char* model, std::array<int, 4> blocks, const zoo_options& opts) {
    using graph::activation;
    const auto s = resolve_classic(opts, model, 224, 1000);
    graph::network net(model);
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    // Pre-activation stem: the conv has a bias and no BN (the first block's pre-activation follows).
    x = net.conv2d(x, {.filters = 64, .kernel = 7, .stride = 2, .bias = true, .bn = false, .name = "conv1_conv"});
    x = net.max_pool(x, {.kernel = 3, .stride = 2, .pad = graph::padding::same, .name = "pool1_pool"});
    const std::array<std::int64_t, 4> filters{64, 128, 256, 512};
    for (int st = 0; st < 4; ++st)
        for (int b = 0; b < blocks[st]; ++b) {
            // Keras stack2: the stride sits in the last block of stages conv2..conv4; conv5 keeps
            // its resolution.
            const int stride = (b == blocks[st] - 1 && st < 3) ? 2 : 1;
            const auto p = op_name("conv", st + 2, "_block", b + 1, "_");
            x = resnet_v2_block(net, x, filters[st], stride, b == 0, p);
        }
    x = net.batch_norm(x, {.act = activation::relu, .name = "post_bn"});
    x = net.global_avg_pool(x, "avg_pool");
    net.fully_connected(x, {.units = s.classes, .name = "predictions"});
    return net;
}

}  // namespace detail

/// ResNet-50 V1: stride in the first 1x1 conv of a downsampling block (the original paper and
/// Keras `ResNet50`; torchvision's "V1.5" puts it in the 3x3). Convs: BN, no bias.
inline graph::network resnet50_v1(const zoo_options& opts = {}) {
    return detail::resnet_v1("resnet50_v1", {3, 4, 6, 3}, opts);
}

/// ResNet-50 V2 (pre-activation, Keras `ResNet50V2`): standalone batch_norm ops with fused ReLU.
inline graph::network resnet50_v2(const zoo_options& opts = {}) {
    return detail::resnet_v2("resnet50_v2", {3, 4, 6, 3}, opts);
}

/// ResNet-152 V2 (pre-activation, Keras `ResNet152V2`).
inline graph::network resnet152_v2(const zoo_options& opts = {}) {
    return detail::resnet_v2("resnet152_v2", {3, 8, 36, 3}, opts);
}

}  // namespace accelnas::zoo
