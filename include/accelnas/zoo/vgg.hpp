#pragma once
/// \file
/// VGG16 and VGG19 (Simonyan & Zisserman 2015, configurations D and E; Keras applications `VGG16`,
/// `VGG19`): 3x3 convs with bias and ReLU, no BN, 2x2 max pools, flatten -> three fully connected
/// layers. 224x224x3 input, 1000 classes by default.

#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/classic_common.hpp>
#include <accelnas/zoo/options.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace accelnas::zoo {

namespace detail {
inline graph::network vgg(const char* model, std::array<int, 5> convs, const zoo_options& opts) {
    using graph::activation;
    const auto s = resolve_classic(opts, model, 224, 1000);
    graph::network net(model);
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    const std::array<std::int64_t, 5> filters{64, 128, 256, 512, 512};
    for (int b = 0; b < 5; ++b) {
        const auto p = op_name("block", b + 1, "_");
        for (int i = 0; i < convs[b]; ++i)
            x = net.conv2d(x, {.filters = filters[b], .kernel = 3, .bias = true, .bn = false, .act = activation::relu,
                               .name = op_name(p, "conv", i + 1)});
        x = net.max_pool(x, {.kernel = 2, .stride = 2, .name = p + "pool"});
    }
    x = net.flatten(x, "flatten");
    x = net.fully_connected(x, {.units = 4096, .act = activation::relu, .name = "fc1"});
    x = net.fully_connected(x, {.units = 4096, .act = activation::relu, .name = "fc2"});
    net.fully_connected(x, {.units = s.classes, .name = "predictions"});
    return net;
}
}  // namespace detail

/// VGG16 (configuration D: 13 convs + 3 FC).
inline graph::network vgg16(const zoo_options& opts = {}) { return detail::vgg("vgg16", {2, 2, 3, 3, 3}, opts); }

/// VGG19 (configuration E: 16 convs + 3 FC).
inline graph::network vgg19(const zoo_options& opts = {}) { return detail::vgg("vgg19", {2, 2, 4, 4, 4}, opts); }

}  // namespace accelnas::zoo
