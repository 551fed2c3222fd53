#pragma once
/// \file
/// The Inception family: GoogLeNet (Szegedy et al. 2015, as published: biases, no BN), Inception V1
/// (TF-slim, with BN), Inception V3 (Keras applications `InceptionV3`), Inception V4 (TF-slim `inception_v4`) and
/// Inception-ResNet-V2 (Keras applications `InceptionResNetV2`). Factorized 1x7 / 7x1 and 1x3 /
/// 3x1 convs use kernel_h x kernel_w. Auxiliary classifiers (training only) are not built.

#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/classic_common.hpp>
#include <accelnas/zoo/options.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace accelnas::zoo {

namespace detail {

// conv + BN + ReLU without bias (Keras `conv2d_bn`, slim's default arg scope), kernel kh x kw.
inline graph::node inc_conv(graph::network& net, graph::node x, std::int64_t filters, int kh, int kw,
                            const std::string& name, int stride = 1, graph::padding pad = graph::padding::same) {
    return net.conv2d(x, {.filters = filters, .stride = stride, .pad = pad, .act = graph::activation::relu,
                          .name = name, .kernel_h = kh, .kernel_w = kw});
}

// 3x3 stride-1 SAME average pool that excludes the padding from the mean (TensorFlow semantics).
inline graph::node inc_avg3(graph::network& net, graph::node x, const std::string& name) {
    return net.avg_pool(x, {.kernel = 3, .stride = 1, .pad = graph::padding::same, .name = name});
}

inline graph::node inc_max3s2(graph::network& net, graph::node x, const std::string& name) {
    return net.max_pool(x, {.kernel = 3, .stride = 2, .pad = graph::padding::valid, .name = name});
}

// ---- Inception V1 ----

// GoogLeNet conv: bias and ReLU, no BN (the published network predates BN).
inline graph::node v1_conv(graph::network& net, graph::node x, std::int64_t filters, int k, const std::string& name,
                           int stride = 1) {
    return net.conv2d(x, {.filters = filters, .kernel = k, .stride = stride, .bias = true, .bn = false,
                          .act = graph::activation::relu, .name = name});
}

// Inception module of Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
inline graph::node v1_module(graph::network& net, graph::node x, std::int64_t c1, std::int64_t r3, std::int64_t c3,
                             std::int64_t r5, std::int64_t c5, std::int64_t pp, const std::string& p) {
    auto b0 = v1_conv(net, x, c1, 1, p + "1x1");
    auto b1 = v1_conv(net, v1_conv(net, x, r3, 1, p + "3x3_reduce"), c3, 3, p + "3x3");
    auto b2 = v1_conv(net, v1_conv(net, x, r5, 1, p + "5x5_reduce"), c5, 5, p + "5x5");
    auto b3 = net.max_pool(x, {.kernel = 3, .stride = 1, .pad = graph::padding::same, .name = p + "pool"});
    b3 = v1_conv(net, b3, pp, 1, p + "pool_proj");
    return net.concat({b0, b1, b2, b3}, p + "output");
}

// ---- Inception-ResNet-V2 residual blocks (Keras `inception_resnet_block`) ----

// The branches are concatenated, a 1x1 conv with bias (no BN) maps them back to the block's
// channels, and the result is added to the input. Keras scales the residual by 0.17 / 0.1 / 0.2
// before the add; the IR has no scalar multiply, and the scale folds into the 1x1 conv's weights
// for inference, so it is not represented.
inline graph::node irv2_block(graph::network& net, graph::node x, int type, bool relu, const std::string& p) {
    using graph::activation;
    std::vector<graph::node> br;
    if (type == 35) {
        br.push_back(inc_conv(net, x, 32, 1, 1, p + "b0_1x1"));
        auto b1 = inc_conv(net, x, 32, 1, 1, p + "b1_1x1");
        br.push_back(inc_conv(net, b1, 32, 3, 3, p + "b1_3x3"));
        auto b2 = inc_conv(net, x, 32, 1, 1, p + "b2_1x1");
        b2 = inc_conv(net, b2, 48, 3, 3, p + "b2_3x3a");
        br.push_back(inc_conv(net, b2, 64, 3, 3, p + "b2_3x3b"));
    } else if (type == 17) {
        br.push_back(inc_conv(net, x, 192, 1, 1, p + "b0_1x1"));
        auto b1 = inc_conv(net, x, 128, 1, 1, p + "b1_1x1");
        b1 = inc_conv(net, b1, 160, 1, 7, p + "b1_1x7");
        br.push_back(inc_conv(net, b1, 192, 7, 1, p + "b1_7x1"));
    } else {
        br.push_back(inc_conv(net, x, 192, 1, 1, p + "b0_1x1"));
        auto b1 = inc_conv(net, x, 192, 1, 1, p + "b1_1x1");
        b1 = inc_conv(net, b1, 224, 1, 3, p + "b1_1x3");
        br.push_back(inc_conv(net, b1, 256, 3, 1, p + "b1_3x1"));
    }
    auto mixed = net.concat(br, p + "mixed");
    auto up = net.conv2d(mixed, {.filters = net.shape(x).c, .kernel = 1, .bias = true, .bn = false, .name = p + "conv"});
    return net.add(x, up, {.act = relu ? activation::relu : activation::none, .name = p + "add"});
}

// ---- V3 / V4 / Inception-ResNet-V2 shared pieces ----

// Keras stem of Inception V3 and Inception-ResNet-V2: conv1..conv5 and pool1/pool2 -> 35x35x192.
inline graph::node inc_v3_stem(graph::network& net, graph::node x) {
    using graph::padding;
    x = inc_conv(net, x, 32, 3, 3, "conv1", 2, padding::valid);
    x = inc_conv(net, x, 32, 3, 3, "conv2", 1, padding::valid);
    x = inc_conv(net, x, 64, 3, 3, "conv3");
    x = inc_max3s2(net, x, "pool1");
    x = inc_conv(net, x, 80, 1, 1, "conv4", 1, padding::valid);
    x = inc_conv(net, x, 192, 3, 3, "conv5", 1, padding::valid);
    return inc_max3s2(net, x, "pool2");
}

// 35x35 module: b0 1x1 `c0`; b1 1x1 `r1` -> k1 x k1 `c1` (5x5 in V3 / IRv2, 3x3 in V4); b2 1x1 64
// -> 3x3 96 -> 3x3 96; b3 3x3 average pool -> 1x1 `cp`.
inline graph::node inc_block35(graph::network& net, graph::node x, std::int64_t c0, std::int64_t r1, std::int64_t c1,
                               int k1, std::int64_t cp, const std::string& p) {
    auto b0 = inc_conv(net, x, c0, 1, 1, p + "b0_1x1");
    auto b1 = inc_conv(net, inc_conv(net, x, r1, 1, 1, p + "b1_1x1"), c1, k1, k1,
                       p + (k1 == 5 ? "b1_5x5" : "b1_3x3"));
    auto b2 = inc_conv(net, x, 64, 1, 1, p + "b2_1x1");
    b2 = inc_conv(net, b2, 96, 3, 3, p + "b2_3x3a");
    b2 = inc_conv(net, b2, 96, 3, 3, p + "b2_3x3b");
    auto b3 = inc_conv(net, inc_avg3(net, x, p + "b3_pool"), cp, 1, 1, p + "b3_1x1");
    return net.concat({b0, b1, b2, b3}, p + "concat");
}

// Reduction-A (35 -> 17): b0 3x3/2 `n`; b1 1x1 `k` -> 3x3 `l` -> 3x3/2 `m`; b2 3x3/2 max pool.
inline graph::node inc_reduction_a(graph::network& net, graph::node x, std::int64_t n, std::int64_t k, std::int64_t l,
                                   std::int64_t m, const std::string& p) {
    using graph::padding;
    auto b0 = inc_conv(net, x, n, 3, 3, p + "b0_3x3", 2, padding::valid);
    auto b1 = inc_conv(net, x, k, 1, 1, p + "b1_1x1");
    b1 = inc_conv(net, b1, l, 3, 3, p + "b1_3x3a");
    b1 = inc_conv(net, b1, m, 3, 3, p + "b1_3x3b", 2, padding::valid);
    auto b2 = inc_max3s2(net, x, p + "b2_pool");
    return net.concat({b0, b1, b2}, p + "concat");
}

// 17x17 module with factorized 7x7s: b0 1x1 `c0`; b1 1x1, 1x7, 7x1 with filters `b1f`; b2 1x1,
// 7x1, 1x7, 7x1, 1x7 with filters `b2f`; b3 3x3 average pool -> 1x1 `cp`.
inline graph::node inc_block17(graph::network& net, graph::node x, std::int64_t c0, const std::int64_t (&b1f)[3],
                               const std::int64_t (&b2f)[5], std::int64_t cp, const std::string& p) {
    auto b0 = inc_conv(net, x, c0, 1, 1, p + "b0_1x1");
    auto b1 = inc_conv(net, x, b1f[0], 1, 1, p + "b1_1x1");
    b1 = inc_conv(net, b1, b1f[1], 1, 7, p + "b1_1x7");
    b1 = inc_conv(net, b1, b1f[2], 7, 1, p + "b1_7x1");
    auto b2 = inc_conv(net, x, b2f[0], 1, 1, p + "b2_1x1");
    b2 = inc_conv(net, b2, b2f[1], 7, 1, p + "b2_7x1a");
    b2 = inc_conv(net, b2, b2f[2], 1, 7, p + "b2_1x7a");
    b2 = inc_conv(net, b2, b2f[3], 7, 1, p + "b2_7x1b");
    b2 = inc_conv(net, b2, b2f[4], 1, 7, p + "b2_1x7b");
    auto b3 = inc_conv(net, inc_avg3(net, x, p + "b3_pool"), cp, 1, 1, p + "b3_1x1");
    return net.concat({b0, b1, b2, b3}, p + "concat");
}

// Reduction-B (17 -> 8): b0 1x1 `r0` -> 3x3/2 `c0`; b1 1x1, 1x7, 7x1, 3x3/2 with filters `b1f`;
// b2 3x3/2 max pool.
inline graph::node inc_reduction_b(graph::network& net, graph::node x, std::int64_t r0, std::int64_t c0,
                                   const std::int64_t (&b1f)[4], const std::string& p) {
    using graph::padding;
    auto b0 = inc_conv(net, x, r0, 1, 1, p + "b0_1x1");
    b0 = inc_conv(net, b0, c0, 3, 3, p + "b0_3x3", 2, padding::valid);
    auto b1 = inc_conv(net, x, b1f[0], 1, 1, p + "b1_1x1");
    b1 = inc_conv(net, b1, b1f[1], 1, 7, p + "b1_1x7");
    b1 = inc_conv(net, b1, b1f[2], 7, 1, p + "b1_7x1");
    b1 = inc_conv(net, b1, b1f[3], 3, 3, p + "b1_3x3", 2, padding::valid);
    auto b2 = inc_max3s2(net, x, p + "b2_pool");
    return net.concat({b0, b1, b2}, p + "concat");
}

// One conv of a branch: filters, kernel kh x kw, name suffix (after the module prefix).
struct inc_conv_spec {
    std::int64_t filters;
    int kh, kw;
    const char* name;
};

// 8x8 module with expanded filter banks: b0 1x1 `c0`; b1 1x1 384 -> parallel 1x3 / 3x1 `c1`; b2
// the convs of `b2_stem` -> parallel 1x3 / 3x1 `c2` (named b2_1x3<sfx> / b2_3x1<sfx>); b3 3x3
// average pool -> 1x1 `cp`.
inline graph::node inc_block8(graph::network& net, graph::node x, std::int64_t c0, std::int64_t c1,
                              std::initializer_list<inc_conv_spec> b2_stem, std::int64_t c2, const char* sfx,
                              std::int64_t cp, const std::string& p) {
    auto b0 = inc_conv(net, x, c0, 1, 1, p + "b0_1x1");
    auto b1 = inc_conv(net, x, 384, 1, 1, p + "b1_1x1");
    auto b1a = inc_conv(net, b1, c1, 1, 3, p + "b1_1x3");
    auto b1b = inc_conv(net, b1, c1, 3, 1, p + "b1_3x1");
    auto b2 = x;
    for (const auto& c : b2_stem) b2 = inc_conv(net, b2, c.filters, c.kh, c.kw, p + c.name);
    auto b2a = inc_conv(net, b2, c2, 1, 3, p + "b2_1x3" + sfx);
    auto b2b = inc_conv(net, b2, c2, 3, 1, p + "b2_3x1" + sfx);
    auto b3 = inc_conv(net, inc_avg3(net, x, p + "b3_pool"), cp, 1, 1, p + "b3_1x1");
    return net.concat({b0, b1a, b1b, b2a, b2b, b3}, p + "concat");
}

}  // namespace detail

/// GoogLeNet as published (Table 1 of Szegedy et al. 2015): 224x224x3, 1000 classes; convs with
/// bias and ReLU, no BN; 5x5 branches; LRN omitted (no parameters, no MACs).
inline graph::network googlenet(const zoo_options& opts = {}) {
    using namespace detail;
    const auto s = resolve_classic(opts, "googlenet", 224, 1000);
    graph::network net("googlenet");
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    auto maxp = [&](graph::node y, const char* name) {
        return net.max_pool(y, {.kernel = 3, .stride = 2, .pad = graph::padding::same, .name = name});
    };
    x = v1_conv(net, x, 64, 7, "conv1_7x7_s2", 2);
    x = maxp(x, "pool1_3x3_s2");
    x = v1_conv(net, x, 64, 1, "conv2_3x3_reduce");
    x = v1_conv(net, x, 192, 3, "conv2_3x3");
    x = maxp(x, "pool2_3x3_s2");
    x = v1_module(net, x, 64, 96, 128, 16, 32, 32, "inception_3a_");
    x = v1_module(net, x, 128, 128, 192, 32, 96, 64, "inception_3b_");
    x = maxp(x, "pool3_3x3_s2");
    x = v1_module(net, x, 192, 96, 208, 16, 48, 64, "inception_4a_");
    x = v1_module(net, x, 160, 112, 224, 24, 64, 64, "inception_4b_");
    x = v1_module(net, x, 128, 128, 256, 24, 64, 64, "inception_4c_");
    x = v1_module(net, x, 112, 144, 288, 32, 64, 64, "inception_4d_");
    x = v1_module(net, x, 256, 160, 320, 32, 128, 128, "inception_4e_");
    x = maxp(x, "pool4_3x3_s2");
    x = v1_module(net, x, 256, 160, 320, 32, 128, 128, "inception_5a_");
    x = v1_module(net, x, 384, 192, 384, 48, 128, 128, "inception_5b_");
    x = net.global_avg_pool(x, "pool5");
    net.fully_connected(x, {.units = s.classes, .name = "loss3_classifier"});
    return net;
}

/// Inception V1 as in TF-slim `inception_v1` (the model Coral benchmarks): GoogLeNet's layout with
/// conv + BN + ReLU (no bias), 3x3 convs in the "5x5" branches, a 2x2 pool before Mixed_5b;
/// 224x224x3, 1001 classes (the slim checkpoint's background class).
inline graph::network inception_v1(const zoo_options& opts = {}) {
    using namespace detail;
    const auto s = resolve_classic(opts, "inception_v1", 224, 1001);
    graph::network net("inception_v1");
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    auto maxp = [&](graph::node y, int k, const char* name) {
        return net.max_pool(y, {.kernel = k, .stride = 2, .pad = graph::padding::same, .name = name});
    };
    auto mixed = [&](graph::node y, std::int64_t c1, std::int64_t r3, std::int64_t c3, std::int64_t r5,
                     std::int64_t c5, std::int64_t pp, const std::string& p) {
        auto b0 = inc_conv(net, y, c1, 1, 1, p + "b0_1x1");
        auto b1 = inc_conv(net, inc_conv(net, y, r3, 1, 1, p + "b1_1x1"), c3, 3, 3, p + "b1_3x3");
        auto b2 = inc_conv(net, inc_conv(net, y, r5, 1, 1, p + "b2_1x1"), c5, 3, 3, p + "b2_3x3");
        auto b3 = net.max_pool(y, {.kernel = 3, .stride = 1, .pad = graph::padding::same, .name = p + "b3_pool"});
        b3 = inc_conv(net, b3, pp, 1, 1, p + "b3_1x1");
        return net.concat({b0, b1, b2, b3}, p + "concat");
    };
    x = inc_conv(net, x, 64, 7, 7, "Conv2d_1a_7x7", 2);
    x = maxp(x, 3, "MaxPool_2a_3x3");
    x = inc_conv(net, x, 64, 1, 1, "Conv2d_2b_1x1");
    x = inc_conv(net, x, 192, 3, 3, "Conv2d_2c_3x3");
    x = maxp(x, 3, "MaxPool_3a_3x3");
    x = mixed(x, 64, 96, 128, 16, 32, 32, "Mixed_3b_");
    x = mixed(x, 128, 128, 192, 32, 96, 64, "Mixed_3c_");
    x = maxp(x, 3, "MaxPool_4a_3x3");
    x = mixed(x, 192, 96, 208, 16, 48, 64, "Mixed_4b_");
    x = mixed(x, 160, 112, 224, 24, 64, 64, "Mixed_4c_");
    x = mixed(x, 128, 128, 256, 24, 64, 64, "Mixed_4d_");
    x = mixed(x, 112, 144, 288, 32, 64, 64, "Mixed_4e_");
    x = mixed(x, 256, 160, 320, 32, 128, 128, "Mixed_4f_");
    x = maxp(x, 2, "MaxPool_5a_2x2");
    x = mixed(x, 256, 160, 320, 32, 128, 128, "Mixed_5b_");
    x = mixed(x, 384, 192, 384, 48, 128, 128, "Mixed_5c_");
    x = net.global_avg_pool(x, "AvgPool_0a_7x7");
    net.fully_connected(x, {.units = s.classes, .name = "Logits"});
    return net;
}

/// Inception V3 (Keras `InceptionV3`): 299x299x3, 1000 classes; conv + BN + ReLU, no bias.
inline graph::network inception_v3(const zoo_options& opts = {}) {
    using namespace detail;
    const auto s = resolve_classic(opts, "inception_v3", 299, 1000);
    graph::network net("inception_v3");
    auto x = inc_v3_stem(net, net.input({1, s.resolution, s.resolution, s.channels}, "input"));
    // mixed0..2: 35x35
    for (int m = 0; m < 3; ++m) x = inc_block35(net, x, 64, 48, 64, 5, m == 0 ? 32 : 64, op_name("mixed", m, "_"));
    x = inc_reduction_a(net, x, 384, 64, 96, 96, "mixed3_");  // 35 -> 17
    // mixed4..7: 17x17, the 7x7 branches factorized into 1x7 and 7x1
    for (int m = 4; m < 8; ++m) {
        const std::int64_t c = m == 4 ? 128 : m == 7 ? 192 : 160;
        x = inc_block17(net, x, 192, {c, c, 192}, {c, c, c, c, 192}, 192, op_name("mixed", m, "_"));
    }
    x = inc_reduction_b(net, x, 192, 320, {192, 192, 192, 192}, "mixed8_");  // 17 -> 8
    // mixed9..10: 8x8, expanded filter banks (1x3 and 3x1 in parallel)
    for (int m = 9; m < 11; ++m)
        x = inc_block8(net, x, 320, 384, {{448, 1, 1, "b2_1x1"}, {384, 3, 3, "b2_3x3"}}, 384, "", 192,
                       op_name("mixed", m, "_"));
    x = net.global_avg_pool(x, "avg_pool");
    net.fully_connected(x, {.units = s.classes, .name = "predictions"});
    return net;
}

/// Inception V4 (TF-slim `inception_v4`, Szegedy et al. 2017): 299x299x3, 1001 classes (the slim
/// checkpoint's background class); conv + BN + ReLU, no bias.
inline graph::network inception_v4(const zoo_options& opts = {}) {
    using namespace detail;
    using graph::padding;
    const auto s = resolve_classic(opts, "inception_v4", 299, 1001);
    graph::network net("inception_v4");
    auto x = net.input({1, s.resolution, s.resolution, s.channels}, "input");
    x = inc_conv(net, x, 32, 3, 3, "Conv2d_1a_3x3", 2, padding::valid);
    x = inc_conv(net, x, 32, 3, 3, "Conv2d_2a_3x3", 1, padding::valid);
    x = inc_conv(net, x, 64, 3, 3, "Conv2d_2b_3x3");
    {
        auto b0 = inc_max3s2(net, x, "Mixed_3a_b0_pool");
        auto b1 = inc_conv(net, x, 96, 3, 3, "Mixed_3a_b1_3x3", 2, padding::valid);
        x = net.concat({b0, b1}, "Mixed_3a");
    }
    {
        auto b0 = inc_conv(net, x, 64, 1, 1, "Mixed_4a_b0_1x1");
        b0 = inc_conv(net, b0, 96, 3, 3, "Mixed_4a_b0_3x3", 1, padding::valid);
        auto b1 = inc_conv(net, x, 64, 1, 1, "Mixed_4a_b1_1x1");
        b1 = inc_conv(net, b1, 64, 1, 7, "Mixed_4a_b1_1x7");
        b1 = inc_conv(net, b1, 64, 7, 1, "Mixed_4a_b1_7x1");
        b1 = inc_conv(net, b1, 96, 3, 3, "Mixed_4a_b1_3x3", 1, padding::valid);
        x = net.concat({b0, b1}, "Mixed_4a");
    }
    {
        auto b0 = inc_conv(net, x, 192, 3, 3, "Mixed_5a_b0_3x3", 2, padding::valid);
        auto b1 = inc_max3s2(net, x, "Mixed_5a_b1_pool");
        x = net.concat({b0, b1}, "Mixed_5a");
    }
    for (int i = 0; i < 4; ++i)  // Inception-A, 35x35x384
        x = inc_block35(net, x, 96, 64, 96, 3, 96, op_name("Mixed_5", static_cast<char>('b' + i), "_"));
    x = inc_reduction_a(net, x, 384, 192, 224, 256, "Mixed_6a_");  // Reduction-A -> 17x17x1024
    for (int i = 0; i < 7; ++i)  // Inception-B, 17x17x1024
        x = inc_block17(net, x, 384, {192, 224, 256}, {192, 192, 224, 224, 256}, 128,
                        op_name("Mixed_6", static_cast<char>('b' + i), "_"));
    x = inc_reduction_b(net, x, 192, 192, {256, 256, 320, 320}, "Mixed_7a_");  // Reduction-B -> 8x8x1536
    for (int i = 0; i < 3; ++i)  // Inception-C, 8x8x1536
        x = inc_block8(net, x, 256, 256, {{384, 1, 1, "b2_1x1"}, {448, 3, 1, "b2_3x1"}, {512, 1, 3, "b2_1x3"}}, 256,
                       "b", 256, op_name("Mixed_7", static_cast<char>('b' + i), "_"));
    x = net.global_avg_pool(x, "AvgPool_1a");
    net.fully_connected(x, {.units = s.classes, .name = "Logits"});
    return net;
}

/// Inception-ResNet-V2 (Keras `InceptionResNetV2`, Szegedy et al. 2017): 299x299x3, 1000 classes;
/// 10 x block35, 20 x block17, 10 x block8 (the last one without ReLU), conv_7b 1x1 to 1536.
inline graph::network inception_resnet_v2(const zoo_options& opts = {}) {
    using namespace detail;
    using graph::padding;
    const auto s = resolve_classic(opts, "inception_resnet_v2", 299, 1000);
    graph::network net("inception_resnet_v2");
    auto x = inc_v3_stem(net, net.input({1, s.resolution, s.resolution, s.channels}, "input"));
    x = inc_block35(net, x, 96, 48, 64, 5, 64, "mixed_5b_");  // -> 35x35x320
    for (int i = 1; i <= 10; ++i) x = irv2_block(net, x, 35, true, op_name("block35_", i, "_"));
    x = inc_reduction_a(net, x, 384, 256, 256, 384, "mixed_6a_");  // -> 17x17x1088
    for (int i = 1; i <= 20; ++i) x = irv2_block(net, x, 17, true, op_name("block17_", i, "_"));
    {  // mixed_7a -> 8x8x2080
        const std::string p = "mixed_7a_";
        auto b0 = inc_conv(net, inc_conv(net, x, 256, 1, 1, p + "b0_1x1"), 384, 3, 3, p + "b0_3x3", 2, padding::valid);
        auto b1 = inc_conv(net, inc_conv(net, x, 256, 1, 1, p + "b1_1x1"), 288, 3, 3, p + "b1_3x3", 2, padding::valid);
        auto b2 = inc_conv(net, x, 256, 1, 1, p + "b2_1x1");
        b2 = inc_conv(net, b2, 288, 3, 3, p + "b2_3x3a");
        b2 = inc_conv(net, b2, 320, 3, 3, p + "b2_3x3b", 2, padding::valid);
        auto b3 = inc_max3s2(net, x, p + "b3_pool");
        x = net.concat({b0, b1, b2, b3}, p + "concat");
    }
    for (int i = 1; i <= 10; ++i) x = irv2_block(net, x, 8, i < 10, op_name("block8_", i, "_"));
    x = inc_conv(net, x, 1536, 1, 1, "conv_7b");
    x = net.global_avg_pool(x, "avg_pool");
    net.fully_connected(x, {.units = s.classes, .name = "predictions"});
    return net;
}

}  // namespace accelnas::zoo
