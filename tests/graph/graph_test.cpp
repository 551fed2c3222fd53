// Tests of the network IR: shape inference, costs, JSON round trip, and bad input through the builder
// and through JSON. Expected figures are derived by hand from the op definitions in the comments.
#include <accelnas/graph.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

using namespace accelnas;
using namespace accelnas::graph;
using Catch::Matchers::Contains;

namespace {

// MobileNetV2-like block at 112x112: the sizes are small enough to check by hand.
network small_net() {
    network net("small");
    auto x = net.input({1, 112, 112, 16});
    auto e = net.conv2d(x, {.filters = 96, .act = activation::relu6, .name = "expand"});
    auto d = net.depthwise_conv2d(e, {.kernel = 3, .stride = 2, .act = activation::relu6, .name = "dw"});
    auto p = net.conv2d(d, {.filters = 24, .name = "project"});
    auto q = net.conv2d(p, {.filters = 24, .kernel = 3, .name = "conv3"});
    auto a = net.add(p, q, {.name = "residual"});
    auto g = net.global_avg_pool(a, "pool");
    net.fully_connected(g, {.units = 10, .name = "logits"});
    return net;
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const accelnas::error& e) {
        return e.what();
    }
    return "<no error>";
}

nlohmann::json tiny_json() {
    return nlohmann::json::parse(R"({
      "schema": "accelnas.network", "version": 1, "name": "tiny",
      "ops": [
        {"name": "x", "kind": "input", "shape": [1, 8, 8, 3]},
        {"name": "c", "kind": "conv2d", "inputs": ["x"], "filters": 4, "kernel": [3, 3], "stride": [1, 1],
         "padding": "same", "groups": 1, "bias": false, "batch_norm": true, "activation": "relu"},
        {"name": "g", "kind": "global_avg_pool", "inputs": ["c"]},
        {"name": "fc", "kind": "fully_connected", "inputs": ["g"], "units": 2, "bias": true,
         "batch_norm": false, "activation": "none"}
      ]})");
}

}  // namespace

TEST_CASE("shape inference follows TensorFlow SAME/VALID rules", "[graph]") {
    network net("shapes");
    auto x = net.input({1, 224, 224, 3});
    CHECK(net.shape(net.conv2d(x, {.filters = 8, .kernel = 3, .stride = 2})) == tensor_shape{1, 112, 112, 8});
    CHECK(net.shape(net.conv2d(x, {.filters = 8, .kernel = 3, .stride = 2, .pad = padding::valid})) ==
          tensor_shape{1, 111, 111, 8});  // (224 - 3) / 2 + 1
    CHECK(net.shape(net.conv2d(x, {.filters = 8, .kernel = 7, .stride = 3})) == tensor_shape{1, 75, 75, 8});  // ceil(224/3)
    CHECK(net.shape(net.max_pool(x, {.kernel = 3, .stride = 2, .pad = padding::same})) == tensor_shape{1, 112, 112, 3});
    CHECK(net.shape(net.avg_pool(x, {.kernel = 2})) == tensor_shape{1, 112, 112, 3});
    CHECK(net.shape(net.conv2d(x, {.filters = 6, .pad = padding::valid, .kernel_h = 1, .kernel_w = 7})) ==
          tensor_shape{1, 224, 218, 6});
    auto p = net.pad(x, {1, 2, 3, 4});
    CHECK(net.shape(p) == tensor_shape{1, 227, 231, 3});
    CHECK(net.shape(net.flatten(net.global_avg_pool(x))) == tensor_shape{1, 1, 1, 3});
    auto dw = net.depthwise_conv2d(x, {.kernel = 5, .stride = 2, .multiplier = 2});
    CHECK(net.shape(dw) == tensor_shape{1, 112, 112, 6});
    CHECK(net.at(dw).groups == 3);
    auto c1 = net.conv2d(x, {.filters = 5});
    CHECK(net.shape(net.concat({x, c1})) == tensor_shape{1, 224, 224, 8});
}

TEST_CASE("MACs, parameters and activation bytes of a small network", "[graph]") {
    const auto net = small_net();
    const auto c = cost_of(net);
    // expand 1x1 16->96 at 112x112; dw 3x3 at 56x56 x 96; project 1x1 96->24 at 56x56;
    // conv3 3x3 24->24 at 56x56; fc 24->10.
    const std::int64_t expand = 112LL * 112 * 96 * 16, dw = 56LL * 56 * 96 * 9, project = 56LL * 56 * 24 * 96,
                       conv3 = 56LL * 56 * 24 * 9 * 24, fc = 24 * 10;
    CHECK(c.per_op[net.find("expand").id].macs == expand);
    CHECK(c.per_op[net.find("dw").id].macs == dw);
    CHECK(c.macs == expand + dw + project + conv3 + fc);
    CHECK(c.params == 16 * 96 + 9 * 96 + 96 * 24 + 9 * 24 * 24 + (24 * 10 + 10));
    CHECK(c.bn_params == 2 * (96 + 96 + 24 + 24));
    const std::int64_t acts = 112LL * 112 * 16 + 112LL * 112 * 96 + 56LL * 56 * 96 + 56LL * 56 * 24 * 3 + 24 + 10;
    CHECK(c.activation_bytes_int8() == acts);
    CHECK(c.activation_bytes_f32() == 4 * acts);
    // The peak is while "dw" runs: its input (112x112x96) and output (56x56x96) are live; the
    // network input (112x112x16) died after "expand".
    CHECK(c.peak_activation_bytes_int8() == 112LL * 112 * 96 + 56LL * 56 * 96);
}

TEST_CASE("peak live bytes keep a skip connection alive until its add", "[graph]") {
    network net("skip");
    auto x = net.input({1, 10, 10, 4});
    auto a = net.conv2d(x, {.filters = 4, .name = "a"});
    auto b = net.conv2d(a, {.filters = 40, .name = "b"});
    auto c = net.conv2d(b, {.filters = 4, .name = "c"});
    net.add(a, c);
    // While c runs: a (400, still needed by the add), b (4000, c's input) and c (400) are live;
    // x (400) died after a ran.
    CHECK(cost_of(net).peak_live_elements == 400 + 4000 + 400);
}

TEST_CASE("JSON round trip is exact", "[graph]") {
    const auto net = small_net();
    const auto j = to_json(net);
    const auto back = network_from_json(j);
    CHECK(structural_difference(net, back).empty());
    CHECK(to_json(back) == j);
    for (std::size_t i = 0; i < net.size(); ++i) CHECK(net.ops()[i].name == back.ops()[i].name);
    CHECK(j["schema"] == "accelnas.network");
    CHECK(j["version"] == 1);
}

TEST_CASE("JSON ops may be listed in any acyclic order", "[graph]") {
    auto j = tiny_json();
    std::swap(j["ops"][0], j["ops"][3]);
    const auto net = network_from_json(j);
    CHECK(net.size() == 4);
    CHECK(net.ops().front().name == "x");
    CHECK(net.ops().back().out == tensor_shape{1, 1, 1, 2});
}

TEST_CASE("summary table lists every op", "[graph]") {
    std::ostringstream os;
    print_ops(os, small_net());
    const auto s = os.str();
    CHECK_THAT(s, Contains("expand") && Contains("dw bn relu6") && Contains("logits") && Contains("total:"));
}

TEST_CASE("bad input through the builder names the op and what was expected", "[graph][bad-input]") {
    network net("bad");
    auto x = net.input({1, 8, 8, 3}, "x");
    auto y = net.conv2d(x, {.filters = 4, .name = "y"});
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = 0, .name = "zero"}); }),
               Contains("'zero'") && Contains("filters must be positive"));
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = -3, .name = "neg"}); }), Contains("'neg'"));
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = 4, .kernel = 0, .name = "k0"}); }),
               Contains("'k0'") && Contains("kernel"));
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = 4, .stride = -1, .name = "s"}); }), Contains("stride"));
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = 4, .groups = 2, .name = "g"}); }),
               Contains("'g'") && Contains("divisible by groups"));
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = 4, .kernel = 9, .pad = padding::valid, .name = "big"}); }),
               Contains("'big'") && Contains("larger than the input"));
    CHECK_THAT(error_of([&] { net.add(x, y, {.name = "sum"}); }),
               Contains("'sum'") && Contains("1x8x8x4") && Contains("1x8x8x3"));
    auto pooled = net.max_pool(x, {.kernel = 2, .name = "half"});
    CHECK_THAT(error_of([&] { net.concat({x, pooled}, "cat"); }), Contains("'cat'") && Contains("equal N, H and W"));
    CHECK_THAT(error_of([&] { net.mul(x, pooled, {.name = "m"}); }), Contains("'m'"));
    CHECK_THAT(error_of([&] { net.conv2d(node{99}, {.filters = 4, .name = "dangling"}); }),
               Contains("'dangling'") && Contains("earlier op"));
    CHECK_THAT(error_of([&] { net.conv2d(x, {.filters = 4, .name = "y"}); }), Contains("duplicate name"));
    CHECK_THAT(error_of([&] { net.input({1, 0, 8, 3}, "empty"); }), Contains("'empty'") && Contains("positive"));
    CHECK_THAT(error_of([&] { net.input({1, -4, 8, 3}, "negative"); }), Contains("positive"));
    const auto huge = std::int64_t{1} << 40;
    CHECK_THAT(error_of([&] { net.input({1, huge, huge, 3}, "overflow"); }),
               Contains("'overflow'") && Contains("overflows 64 bits"));
    auto wide = net.input({1, 1 << 20, 1 << 20, 1}, "wide");  // 2^40 elements: fits
    CHECK_THAT(error_of([&] { net.conv2d(wide, {.filters = std::int64_t{1} << 30, .name = "macs"}); }),
               Contains("'macs'") && Contains("overflows"));
    CHECK_THAT(error_of([&] { net.reshape(x, {1, 5, 5, 5}, "rs"); }), Contains("'rs'") && Contains("elements"));
    CHECK_THAT(error_of([&] { net.pad(x, {0, -1, 0, 0}, "p"); }), Contains("'p'") && Contains("non-negative"));
    CHECK_THAT(error_of([&] { net.fully_connected(x, {.units = 0, .name = "fc"}); }), Contains("'fc'"));
    CHECK_THAT(error_of([] { network("void").validate(); }), Contains("empty"));
    CHECK_THAT(error_of([&] { net.find("nope"); }), Contains("no op named 'nope'"));
}

TEST_CASE("bad input through JSON names the JSON path", "[graph][bad-input]") {
    auto with = [](auto mutate) {
        auto j = tiny_json();
        mutate(j);
        return error_of([&] { network_from_json(j); });
    };
    CHECK_THAT(with([](auto& j) { j["ops"][1]["kind"] = "conv3d"; }),
               Contains("$.ops[1].kind") && Contains("unknown op kind 'conv3d'"));
    CHECK_THAT(with([](auto& j) { j["ops"][1].erase("filters"); }),
               Contains("$.ops[1]") && Contains("missing field 'filters'"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["filters"] = "four"; }),
               Contains("$.ops[1].filters") && Contains("expected an integer"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["filters"] = 0; }), Contains("$.ops[1]") && Contains("'c'"));
    CHECK_THAT(with([](auto& j) { j["ops"][0]["shape"] = {1, 8, -8, 3}; }), Contains("$.ops[0]") && Contains("positive"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["inputs"] = {"ghost"}; }),
               Contains("$.ops[1].inputs[0]") && Contains("'ghost'") && Contains("dangling"));
    CHECK_THAT(with([](auto& j) { j["ops"][0]["inputs"] = {"fc"}; j["ops"][0]["kind"] = "activation";
                                  j["ops"][0].erase("shape"); j["ops"][0]["activation"] = "relu"; }),
               Contains("cycle"));
    CHECK_THAT(with([](auto& j) { j["ops"][2]["name"] = "c"; }), Contains("duplicate op name 'c'"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["padding"] = "full"; }), Contains("$.ops[1].padding"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["activation"] = "gelu"; }), Contains("$.ops[1].activation"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["kernel"] = {3}; }), Contains("$.ops[1].kernel"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["colour"] = "red"; }), Contains("$.ops[1].colour") && Contains("unknown field"));
    CHECK_THAT(with([](auto& j) { j["ops"] = nlohmann::json::array(); }), Contains("empty"));
    CHECK_THAT(with([](auto& j) { j["version"] = 7; }), Contains("$.version"));
    CHECK_THAT(with([](auto& j) { j["schema"] = "onnx"; }), Contains("$.schema"));
    CHECK_THAT(with([](auto& j) { j.erase("ops"); }), Contains("missing field 'ops'"));
    CHECK_THAT(with([](auto& j) { j["ops"][0]["shape"] = {1, 1LL << 40, 1LL << 40, 3}; }), Contains("overflows"));
    CHECK_THAT(with([](auto& j) { j["ops"][1]["groups"] = 2; }), Contains("divisible by groups"));
    CHECK_THAT(error_of([] { network_from_json_text("{\"schema\": "); }), Contains("not valid JSON"));
    CHECK_THAT(error_of([] { load_network("/nonexistent/net.json"); }), Contains("/nonexistent/net.json"));
}

TEST_CASE("structural_difference reports the first differing op", "[graph]") {
    auto a = small_net();
    network b("other");
    auto x = b.input({1, 112, 112, 16});
    b.conv2d(x, {.filters = 96, .act = activation::relu});
    const auto d = structural_difference(a, b);
    CHECK_THAT(d, Contains("op counts differ"));
    network c("small2");
    auto y = c.input({1, 112, 112, 16});
    c.conv2d(y, {.filters = 96, .act = activation::relu});
    network e("small3");
    auto z = e.input({1, 112, 112, 16});
    e.conv2d(z, {.filters = 96, .act = activation::relu6});
    CHECK_THAT(structural_difference(c, e), Contains("activation"));
}

TEST_CASE("make_divisible follows the TF rounding rule", "[graph]") {
    CHECK(blocks::make_divisible(32 * 1.2) == 40);   // 38.4 -> 40
    CHECK(blocks::make_divisible(24 * 0.75) == 24);  // 18 -> 16 < 0.9*18 -> 24
    CHECK(blocks::make_divisible(3) == 8);           // at least the divisor
    CHECK(blocks::make_divisible(1280 * 1.2) == 1536);
}
