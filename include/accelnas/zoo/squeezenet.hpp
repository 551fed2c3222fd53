#pragma once
/// \file
/// SqueezeNet (Iandola et al. 2016). `squeezenet` is version 1.0 of the paper (Table 1, the
/// "squeezenet" name of the zoo); `squeezenet1_1` is version 1.1 of the DeepScale repository
/// (same accuracy, 2.4x fewer MACs). Convs carry a bias and ReLU, no BN; the classifier is a 1x1
/// conv to the classes (with ReLU, as published) followed by global average pooling, so there is
/// no fully connected layer. 224x224x3 input, 1000 classes by default.

#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/classic_common.hpp>
#include <accelnas/zoo/options.hpp>

#include <cstdint>
#include <string>

namespace accelnas::zoo {

namespace detail {

// Fire module: 1x1 squeeze -> concat(1x1 expand, 3x3 expand).
inline graph::node fire(graph::network& net, graph::node x, std::int64_t squeeze, std::int64_t expand1,
                        std::int64_t expand3, const std::string& p) {
    using graph::activation;
    auto sq = net.conv2d(x, {.filters = squeeze, .kernel = 1, .bias = true, .bn = false, .act = activation::relu,
                             .name = p + "squeeze1x1"});
    auto e1 = net.conv2d(sq, {.filters = expand1, .kernel = 1, .bias = true, .bn = false, .act = activation::relu,
                              .name = p + "expand1x1"});
    auto e3 = net.conv2d(sq, {.filters = expand3, .kernel = 3, .bias = true, .bn = false, .act = activation::relu,
                              .name = p + "expand3x3"});
    return net.concat({e1, e3}, p + "concat");
}

// 3x3 stride-2 max pool in Caffe's ceil mode: when floor and ceil differ, one row and column of
// zeros are padded at the bottom/right first (harmless after ReLU, whose outputs are >= 0).
inline graph::node ceil_max_pool(graph::network& net, graph::node x, const std::string& name) {
    const auto h = net.shape(x).h, w = net.shape(x).w;
    const std::int64_t ph = (h - 3) % 2 ? 1 : 0, pw = (w - 3) % 2 ? 1 : 0;
    if (ph || pw) x = net.pad(x, {0, ph, 0, pw}, name + "_ceil_pad");
    return net.max_pool(x, {.kernel = 3, .stride = 2, .name = name});
}

inline void squeezenet_head(graph::network& net, graph::node x, std::int64_t classes) {
    x = net.conv2d(x, {.filters = classes, .kernel = 1, .bias = true, .bn = false, .act = graph::activation::relu,
                       .name = "conv10"});
    net.global_avg_pool(x, "avg_pool");
}

}  // namespace detail

/// SqueezeNet 1.0: conv 7x7/2 96 (VALID) and max pools after conv1, fire4 and fire8.
inline graph::network squeezenet(const zoo_options& opts = {}) {
    using graph::activation;
    const auto s = detail::resolve_classic(opts, "squeezenet", 224, 1000);
    graph::network net("squeezenet");
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    x = net.conv2d(x, {.filters = 96, .kernel = 7, .stride = 2, .pad = graph::padding::valid, .bias = true,
                       .bn = false, .act = activation::relu, .name = "conv1"});
    x = detail::ceil_max_pool(net, x, "pool1");
    x = detail::fire(net, x, 16, 64, 64, "fire2_");
    x = detail::fire(net, x, 16, 64, 64, "fire3_");
    x = detail::fire(net, x, 32, 128, 128, "fire4_");
    x = detail::ceil_max_pool(net, x, "pool4");
    x = detail::fire(net, x, 32, 128, 128, "fire5_");
    x = detail::fire(net, x, 48, 192, 192, "fire6_");
    x = detail::fire(net, x, 48, 192, 192, "fire7_");
    x = detail::fire(net, x, 64, 256, 256, "fire8_");
    x = detail::ceil_max_pool(net, x, "pool8");
    x = detail::fire(net, x, 64, 256, 256, "fire9_");
    detail::squeezenet_head(net, x, s.classes);
    return net;
}

/// SqueezeNet 1.1: conv 3x3/2 64 and earlier pooling (after conv1, fire3 and fire5).
inline graph::network squeezenet1_1(const zoo_options& opts = {}) {
    using graph::activation;
    const auto s = detail::resolve_classic(opts, "squeezenet1_1", 224, 1000);
    graph::network net("squeezenet1_1");
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    x = net.conv2d(x, {.filters = 64, .kernel = 3, .stride = 2, .pad = graph::padding::valid, .bias = true,
                       .bn = false, .act = activation::relu, .name = "conv1"});
    x = detail::ceil_max_pool(net, x, "pool1");
    x = detail::fire(net, x, 16, 64, 64, "fire2_");
    x = detail::fire(net, x, 16, 64, 64, "fire3_");
    x = detail::ceil_max_pool(net, x, "pool3");
    x = detail::fire(net, x, 32, 128, 128, "fire4_");
    x = detail::fire(net, x, 32, 128, 128, "fire5_");
    x = detail::ceil_max_pool(net, x, "pool5");
    x = detail::fire(net, x, 48, 192, 192, "fire6_");
    x = detail::fire(net, x, 48, 192, 192, "fire7_");
    x = detail::fire(net, x, 64, 256, 256, "fire8_");
    x = detail::fire(net, x, 64, 256, 256, "fire9_");
    detail::squeezenet_head(net, x, s.classes);
    return net;
}

}  // namespace accelnas::zoo
