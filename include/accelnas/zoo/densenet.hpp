#pragma once
/// \file
/// DenseNet-121 (Huang et al. 2017; Keras applications `DenseNet121`): dense blocks of 6, 12, 24
/// and 16 layers with growth rate 32 and pre-activation (standalone BN + ReLU ops), transitions
/// halving the channels. 224x224x3 input, 1000 classes by default.

#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/classic_common.hpp>
#include <accelnas/zoo/options.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace accelnas::zoo {

/// DenseNet-121. A dense layer is BN-ReLU (standalone) -> 1x1 conv to 128 with BN and ReLU fused
/// -> 3x3 conv to 32 (no BN of its own: the next layer's pre-activation normalizes it) -> concat.
inline graph::network densenet121(const zoo_options& opts = {}) {
    using graph::activation;
    const auto s = detail::resolve_classic(opts, "densenet121", 224, 1000);
    constexpr std::int64_t growth = 32;
    constexpr std::array<int, 4> blocks{6, 12, 24, 16};
    graph::network net("densenet121");
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    x = net.conv2d(x, {.filters = 64, .kernel = 7, .stride = 2, .act = activation::relu, .name = "conv1_conv"});
    x = net.max_pool(x, {.kernel = 3, .stride = 2, .pad = graph::padding::same, .name = "pool1"});
    for (int b = 0; b < 4; ++b) {
        const auto bp = detail::op_name("conv", b + 2, "_block");
        for (int l = 0; l < blocks[b]; ++l) {
            const auto p = bp + std::to_string(l + 1) + "_";
            auto y = net.batch_norm(x, {.act = activation::relu, .name = p + "0_bn"});
            y = net.conv2d(y, {.filters = 4 * growth, .kernel = 1, .act = activation::relu, .name = p + "1_conv"});
            y = net.conv2d(y, {.filters = growth, .kernel = 3, .bn = false, .name = p + "2_conv"});
            x = net.concat({x, y}, p + "concat");
        }
        if (b < 3) {
            const auto p = detail::op_name("pool", b + 2, "_");
            auto y = net.batch_norm(x, {.act = activation::relu, .name = p + "bn"});
            y = net.conv2d(y, {.filters = net.shape(y).c / 2, .kernel = 1, .bn = false, .name = p + "conv"});
            x = net.avg_pool(y, {.kernel = 2, .stride = 2, .name = p + "pool"});
        }
    }
    x = net.batch_norm(x, {.act = activation::relu, .name = "bn"});
    x = net.global_avg_pool(x, "avg_pool");
    net.fully_connected(x, {.units = s.classes, .name = "predictions"});
    return net;
}

}  // namespace accelnas::zoo
