// Tests of the op facts in graph/geometry.hpp and graph/activation.hpp against values worked out by
// hand from the TensorFlow padding rules and the activation definitions.
#include <accelnas/graph/activation.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace accelnas::graph;

TEST_CASE("window_along: TensorFlow SAME and VALID geometry", "[graph]") {
    // SAME 224, kernel 3, stride 2: out ceil(224/2) = 112; need (112-1)*2 + 3 - 224 = 1 -> 0 before, 1 after.
    CHECK(window_along(224, 3, 2, padding::same) == window_geometry{112, 0, 1});
    // SAME 224, kernel 3, stride 1: out 224; need 223 + 3 - 224 = 2 -> 1 before.
    CHECK(window_along(224, 3, 1, padding::same) == window_geometry{224, 1, 2});
    // SAME 7, kernel 5, stride 1: out 7; need 6 + 5 - 7 = 4 -> 2 before.
    CHECK(window_along(7, 5, 1, padding::same) == window_geometry{7, 2, 4});
    // SAME 7, kernel 3, stride 2: out 4; need 3*2 + 3 - 7 = 2 -> 1 before.
    CHECK(window_along(7, 3, 2, padding::same) == window_geometry{4, 1, 2});
    // SAME 8, kernel 1, stride 2: out 4; need 3*2 + 1 - 8 = -1 -> no padding.
    CHECK(window_along(8, 1, 2, padding::same) == window_geometry{4, 0, 0});
    // SAME 5, kernel 4, stride 1: out 5; need 4 + 4 - 5 = 3 -> 1 before, 2 after (odd one after).
    CHECK(window_along(5, 4, 1, padding::same) == window_geometry{5, 1, 3});
    // VALID 224, kernel 3, stride 2: (224 - 3) / 2 + 1 = 111, no padding.
    CHECK(window_along(224, 3, 2, padding::valid) == window_geometry{111, 0, 0});
    // VALID 299, kernel 3, stride 2 (Inception stem): 149.
    CHECK(window_along(299, 3, 2, padding::valid) == window_geometry{149, 0, 0});
    // VALID 7, kernel 7: 1.
    CHECK(window_along(7, 7, 1, padding::valid) == window_geometry{1, 0, 0});
    CHECK(window_output(112, 3, 2, padding::same) == 56);
    CHECK(window_output(56, 2, 2, padding::valid) == 28);
}

TEST_CASE("shape inference uses the same window geometry", "[graph]") {
    network net("g");
    auto x = net.input({1, 224, 224, 3});
    auto a = net.conv2d(x, {.filters = 8, .kernel = 3, .stride = 2});
    auto b = net.max_pool(a, {.kernel = 3, .stride = 2, .pad = padding::valid});
    CHECK(net.shape(a) == tensor_shape{1, 112, 112, 8});
    CHECK(net.shape(b) == tensor_shape{1, 55, 55, 8});  // (112 - 3) / 2 + 1
}

TEST_CASE("channel groups: depthwise, grouped and regular convolutions", "[graph]") {
    CHECK(channels_per_group(32, 1) == 32);
    CHECK(channels_per_group(32, 32) == 1);
    CHECK(channels_per_group(32, 4) == 8);
    CHECK(filters_per_group(64, 4) == 16);
    CHECK(filters_per_group(32, 16) == 2);  // depthwise with multiplier 2
    CHECK(is_depthwise(32, 32));
    CHECK_FALSE(is_depthwise(32, 4));
    CHECK_FALSE(is_depthwise(32, 1));
    CHECK_FALSE(is_depthwise(1, 1));  // a one-channel input with one group is a regular conv
    CHECK(one_channel_per_group(1, 1));
    CHECK(one_channel_per_group(16, 16));
    CHECK_FALSE(one_channel_per_group(16, 8));

    network net("dw");
    auto x = net.input({1, 8, 8, 16});
    auto d = net.depthwise_conv2d(x, {.kernel = 3, .multiplier = 2});
    auto g = net.conv2d(d, {.filters = 8, .groups = 4});
    CHECK(is_depthwise(net.at(d), net.in_channels(d.id)));
    CHECK_FALSE(is_depthwise(net.at(g), net.in_channels(g.id)));
    CHECK_FALSE(is_depthwise(net.at(x), 16));  // not a conv
}

TEST_CASE("MAC and weight counts of convolutions and dense layers", "[graph]") {
    // 3x3 conv, 32 -> 64 channels, 112x112 output: 3*3*32*64 = 18,432 weights, x 112*112 = 231,211,008 MACs.
    CHECK(conv_weights(3, 3, 32, 1, 64) == 18432);
    CHECK(conv_macs(112, 112, 64, 3, 3, 32, 1) == 231211008);
    // Depthwise 3x3 over 32 channels at 112x112: 288 weights, 3,612,672 MACs.
    CHECK(conv_weights(3, 3, 32, 32, 32) == 288);
    CHECK(conv_macs(112, 112, 32, 3, 3, 32, 32) == 3612672);
    // Grouped 1x1, 16 -> 8 in 4 groups: 4 inputs per group, 32 weights; at 8x8: 2,048 MACs.
    CHECK(conv_weights(1, 1, 16, 4, 8) == 32);
    CHECK(conv_macs(8, 8, 8, 1, 1, 16, 4) == 2048);
    CHECK(dense_weights(1280, 1000) == 1280000);

    network net("c");
    auto x = net.input({1, 8, 8, 16});
    net.conv2d(x, {.filters = 8, .groups = 4});
    CHECK(cost_of(net, 1).macs == 2048);
    CHECK(cost_of(net, 1).weights == 32);
}

TEST_CASE("activation values and derivatives", "[graph]") {
    CHECK(activation_value(activation::none, -2.5f) == -2.5f);
    CHECK(activation_value(activation::relu, -1.0f) == 0.0f);
    CHECK(activation_value(activation::relu, 2.0f) == 2.0f);
    CHECK(activation_value(activation::relu6, 7.0f) == 6.0f);
    CHECK(activation_value(activation::relu6, 3.0f) == 3.0f);
    CHECK(activation_value(activation::hard_sigmoid, 0.0f) == Approx(0.5f));     // relu6(3) / 6
    CHECK(activation_value(activation::hard_sigmoid, 4.0f) == 1.0f);
    CHECK(activation_value(activation::hard_swish, 1.0f) == Approx(4.0f / 6.0f));  // 1 * relu6(4) / 6
    CHECK(activation_value(activation::hard_swish, -4.0f) == 0.0f);
    CHECK(activation_value(activation::sigmoid, 0.0f) == 0.5f);
    CHECK(activation_value(activation::swish, 2.0f) == Approx(2.0 / (1.0 + std::exp(-2.0))));

    CHECK(activation_derivative(activation::relu, -1.0f, 0.0f) == 0.0f);
    CHECK(activation_derivative(activation::relu6, 3.0f, 3.0f) == 1.0f);
    CHECK(activation_derivative(activation::relu6, 7.0f, 6.0f) == 0.0f);
    CHECK(activation_derivative(activation::sigmoid, 0.0f, 0.5f) == 0.25f);      // y (1 - y)
    CHECK(activation_derivative(activation::hard_sigmoid, 0.0f, 0.5f) == Approx(1.0f / 6.0f));
    CHECK(activation_derivative(activation::hard_swish, 0.0f, 0.0f) == Approx(0.5f));  // (2x + 3) / 6
    CHECK(activation_derivative(activation::hard_swish, 3.0f, 3.0f) == 1.0f);
    CHECK(activation_derivative(activation::swish, 0.0f, 0.0f) == Approx(0.5f));  // s (1 + x (1 - s)) at 0
}
