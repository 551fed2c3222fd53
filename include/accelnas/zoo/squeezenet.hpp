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

// Both versions: input, conv1 (VALID, stride 2, `filters` x kernel `k`), ceil-mode pool1, fire2..fire9
// (the same in both; each expand branch has 4x the squeeze filters) with ceil-mode pools after
// fire `pool_a` and fire `pool_b` (named "pool<N>"), then the conv10 head.
inline void squeezenet_body(graph::network& net, const classic_setup& s, std::int64_t filters, int k, int pool_a,
                            int pool_b) {
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    x = net.conv2d(x, {.filters = filters, .kernel = k, .stride = 2, .pad = graph::padding::valid, .bias = true,
                       .bn = false, .act = graph::activation::relu, .name = "conv1"});
    x = ceil_max_pool(net, x, "pool1");
    constexpr std::int64_t squeeze[] = {16, 16, 32, 32, 48, 48, 64, 64};  // fire2..fire9
    for (int i = 2; i <= 9; ++i) {
        const std::int64_t sq = squeeze[i - 2];
        x = fire(net, x, sq, 4 * sq, 4 * sq, op_name("fire", i, "_"));
        if (i == pool_a || i == pool_b) x = ceil_max_pool(net, x, op_name("pool", i));
    }
    squeezenet_head(net, x, s.classes);
}

}  // namespace detail

/// SqueezeNet 1.0: conv 7x7/2 96 (VALID) and max pools after conv1, fire4 and fire8.
inline graph::network squeezenet(const zoo_options& opts = {}) {
    const auto s = detail::resolve_classic(opts, "squeezenet", 224, 1000);
    graph::network net("squeezenet");
    detail::squeezenet_body(net, s, 96, 7, 4, 8);
    return net;
}

/// SqueezeNet 1.1: conv 3x3/2 64 and earlier pooling (after conv1, fire3 and fire5).
inline graph::network squeezenet1_1(const zoo_options& opts = {}) {
    const auto s = detail::resolve_classic(opts, "squeezenet1_1", 224, 1000);
    graph::network net("squeezenet1_1");
    detail::squeezenet_body(net, s, 64, 3, 3, 5);
    return net;
}

}  // namespace accelnas::zoo
