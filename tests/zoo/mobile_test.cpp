// The zoo's mobile families against their published figures and their reference layer tables.
//
// Counting conventions (graph::cost_of): MACs are conv + FC multiply-accumulates; params are weights
// + biases, with batch-norm scale/offset counted apart (bn_params). Each published figure below is
// compared with what its source counts:
//  - TF-slim tables (MobileNet V1/V2/V3, MobilenetEdgeTPU) and reference/architectures.md for
//    EfficientNet-EdgeTPU ("counting conv + FC weights (no BN)"): params WITHOUT BN.
//  - tensorflow/tpu and Keras count trainable variables, which include BN gamma and beta: MnasNet-A1,
//    EfficientNet-B0 (Keras: 5,288,548 trainable) and EfficientNet-Lite params are compared WITH BN.
//    (Lite shows why: without BN lite0 is 4.61 M vs 4.7 M; with BN 4.65 M, which rounds to 4.7 M.)

#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/efficientnet.hpp>
#include <accelnas/zoo/mnasnet.hpp>
#include <accelnas/zoo/mobilenet.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using namespace accelnas;
using graph::op_kind;

namespace {

struct published_case {
    const char* name;
    std::function<graph::network()> build;
    double macs, params;
    bool params_with_bn;
    const char* source;
};

double rel(double ours, double published) { return std::abs(ours - published) / published; }

std::int64_t conv_output_elements(const graph::network& net) {
    std::int64_t n = 0;
    for (const auto& o : net.ops())
        if (o.kind == op_kind::conv2d) n += o.out.elements();
    return n;
}

int count_kind(const graph::network& net, op_kind k) {
    int n = 0;
    for (const auto& o : net.ops()) n += o.kind == k;
    return n;
}

int count_prefix(const graph::network& net, const std::string& prefix) {
    int n = 0;
    for (const auto& o : net.ops()) n += o.name.rfind(prefix, 0) == 0;
    return n;
}

}  // namespace

TEST_CASE("mobile zoo models match their published MACs and params within 2%", "[zoo]") {
    const char* slim_v1 = "TF-slim mobilenet_v1.md table";
    const char* slim = "TF-slim mobilenet README table";
    const char* arch = "reference/architectures.md";
    // clang-format off
    const std::vector<published_case> cases = {
        {"mobilenet_v1", [] { return zoo::mobilenet_v1(); }, 569e6, 4.24e6, false, slim_v1},
        {"mobilenet_v1_025", [] { return zoo::mobilenet_v1({}, 0.25); }, 41e6, 0.47e6, false, slim_v1},
        {"mobilenet_v2", [] { return zoo::mobilenet_v2(); }, 300e6, 3.47e6, false, slim},
        {"mobilenet_v3_large", [] { return zoo::mobilenet_v3_large(); }, 219e6, 5.4e6, false,
         "Howard et al. 2019 (MobileNetV3), Table 3"},
        {"mobilenet_v3_large_minimalistic", [] { return zoo::mobilenet_v3_large_minimalistic(); }, 209e6, 3.9e6,
         false, slim},
        {"mobilenet_edgetpu", [] { return zoo::mobilenet_edgetpu(); }, 990e6, 4.0e6, false, arch},
        {"mnasnet_a1", [] { return zoo::mnasnet_a1(); }, 312e6, 3.9e6, true, "Tan et al. 2019 (MnasNet), Table 1"},
        {"efficientnet_b0", [] { return zoo::efficientnet_b0(); }, 390e6, 5.3e6, true,
         "Tan & Le 2019 (EfficientNet), Table 2"},
        {"efficientnet_edgetpu_s", [] { return zoo::efficientnet_edgetpu_s(); }, 1.79e9, 5.39e6, false, arch},
        {"efficientnet_edgetpu_m", [] { return zoo::efficientnet_edgetpu_m(); }, 3.01e9, 6.83e6, false, arch},
        {"efficientnet_edgetpu_l", [] { return zoo::efficientnet_edgetpu_l(); }, 7.94e9, 10.50e6, false, arch},
    };
    // clang-format on
    for (const auto& c : cases) {
        INFO(c.name << " vs " << c.source);
        const auto net = c.build();
        net.validate();
        const auto cost = graph::cost_of(net);
        const double params = double(cost.params + (c.params_with_bn ? cost.bn_params : 0));
        CHECK(rel(double(cost.macs), c.macs) <= 0.02);
        CHECK(rel(params, c.params) <= 0.02);
        // The registry carries the same figures, so accelnas-info compares against them too.
        const auto& pub = zoo::published(c.name);
        REQUIRE(pub.macs);
        REQUIRE(pub.params);
        CHECK(pub.macs->value == c.macs);
        CHECK(pub.params->value == c.params);
        CHECK(pub.params_include_bn == c.params_with_bn);
        CHECK_FALSE(pub.macs->source.empty());
    }
}

TEST_CASE("MobilenetEdgeTPU 0.75: MACs within 2%, params within the precision of the published 2.9 M", "[zoo]") {
    // reference/architectures.md: 624 M MACs, 2.9 M params. The params are given to two significant
    // digits and truncated (dm=1.0 has 4.05 M here and 4.0 M there, which MACs confirm to 0.1%), so
    // "2.9 M" stands for [2.9, 3.0) M; our 2.96 M is in it although 2.03% above 2.9 M.
    const auto net = zoo::mobilenet_edgetpu({}, 0.75);
    const auto c = graph::cost_of(net);
    CHECK(rel(double(c.macs), 624e6) <= 0.02);
    CHECK(c.params >= 2'900'000);
    CHECK(c.params < 3'000'000);
    // slim's finegrain_classification_mode: the 1280 head is not scaled.
    CHECK(net.at(net.find("head")).filters == 1280);
    CHECK(net.at(net.find("stem")).filters == 24);
}

TEST_CASE("EfficientNet-Lite matches the published params (with BN) and MACs (with BN + activation ops)", "[zoo]") {
    // reference/architectures.md: lite0 4.7 M / 407 M; lite1 5.4 M / 631 M; lite2 6.1 M / 899 M;
    // lite3 8.2 M / 1.44 G; lite4 13.0 M / 2.64 G. The MACs figures count more than conv/FC MACs: our
    // conv+FC count is 3.4-5.7% below them (lite0 is the B0 table without SE, yet 407 M > B0's 390 M).
    // Our inference, not stated by the source: the gap is 3 ops per conv output element (BN scale, BN
    // offset and the activation of the unfolded graph) for all five models. We check both statements,
    // so a change to the Lite builders that moved MACs would fail one of them.
    struct lite { int index; double params, macs; std::int64_t res; };
    const lite rows[] = {{0, 4.7e6, 407e6, 224}, {1, 5.4e6, 631e6, 240}, {2, 6.1e6, 899e6, 260},
                         {3, 8.2e6, 1.44e9, 280}, {4, 13.0e6, 2.64e9, 300}};
    using builder = graph::network (*)(const zoo::zoo_options&);
    const builder builders[] = {zoo::efficientnet_lite0, zoo::efficientnet_lite1, zoo::efficientnet_lite2,
                                zoo::efficientnet_lite3, zoo::efficientnet_lite4};
    for (const auto& r : rows) {
        INFO("efficientnet_lite" << r.index);
        const auto net = builders[r.index]({});
        const auto c = graph::cost_of(net);
        CHECK(net.input_shape().h == r.res);
        CHECK(rel(double(c.params + c.bn_params), r.params) <= 0.02);
        CHECK(double(c.macs) < r.macs);
        CHECK(rel(double(c.macs), r.macs) <= 0.06);
        CHECK(rel(double(c.macs + 3 * conv_output_elements(net)), r.macs) <= 0.02);
        const auto counted = zoo::count_like(net, zoo::published(net.name()));
        CHECK(rel(double(counted.macs), r.macs) <= 0.02);
        CHECK(rel(double(counted.params), r.params) <= 0.02);
        // Lite: no SE, no swish, stem and head not scaled.
        CHECK(count_kind(net, op_kind::mul) == 0);
        for (const auto& o : net.ops())
            if (o.kind == op_kind::conv2d) CHECK(o.act != graph::activation::swish);
        CHECK(net.at(net.find("stem")).filters == 32);
        CHECK(net.at(net.find("head")).filters == 1280);
    }
    // fix_head_stem also keeps the first and last stage at one block (lite4 has depth 1.8).
    const auto l4 = zoo::efficientnet_lite4();
    CHECK(count_prefix(l4, "stage1_") == 2);  // depthwise + project, no expansion (e = 1)
    CHECK(count_prefix(l4, "stage7_1/") == 0);
}

TEST_CASE("EfficientNet-EdgeTPU follows reference/architectures.md layer for layer", "[zoo]") {
    SECTION("S: fused stage 1 expands the 32-channel stem output to 24*4 = 96 channels, no residual") {
        const auto net = zoo::efficientnet_edgetpu_s();
        CHECK(net.input_shape() == graph::tensor_shape{1, 224, 224, 3});
        const auto& stem = net.at(net.find("stem"));
        CHECK(stem.filters == 32);
        CHECK(stem.kernel_h == 3);
        CHECK(stem.stride_h == 2);
        const auto e = net.find("stage1_0/fused_expand");
        CHECK(net.in_channels(e.id) == 32);
        CHECK(net.at(e).filters == 96);
        CHECK(net.at(e).kernel_h == 3);
        CHECK(net.at(e).stride_h == 1);
        CHECK(net.at(net.find("stage1_0/project")).filters == 24);
        CHECK_FALSE(net.contains("stage1_0/add"));
        // Stage 2: fused, stride 2, 24*8 = 192 expansion; its second block has the residual.
        CHECK(net.at(net.find("stage2_0/fused_expand")).filters == 192);
        CHECK(net.at(net.find("stage2_0/fused_expand")).stride_h == 2);
        CHECK(net.at(net.find("stage2_1/fused_expand")).filters == 256);
        CHECK(net.contains("stage2_1/add"));
        // Stages 4-6 are IBNs with 5x5 depthwise convs; no SE, ReLU everywhere.
        CHECK(net.at(net.find("stage4_0/depthwise")).kernel_h == 5);
        CHECK(net.at(net.find("stage4_0/expand")).filters == 48 * 8);
        CHECK(count_kind(net, op_kind::mul) == 0);
        for (const auto& o : net.ops())
            if (o.kind == op_kind::conv2d)
                CHECK((o.act == graph::activation::relu || o.act == graph::activation::none));
        // Blocks per stage 1, 2, 4, 5, 4, 2 (an IBN without residual has 3 ops, fused 2).
        const int repeats[] = {1, 2, 4, 5, 4, 2};
        for (int s = 0; s < 6; ++s)
            CHECK(net.contains("stage" + std::to_string(s + 1) + "_" + std::to_string(repeats[s] - 1) + "/project"));
        CHECK_FALSE(net.contains("stage4_5/project"));
        CHECK(net.at(net.find("head")).filters == 1280);
        CHECK(net.at(net.find("logits")).filters == 1001);
    }
    SECTION("M and L: the scaled stages, stems and heads of the table") {
        struct st { int repeats; std::int64_t in, out; };
        const st m[] = {{2, 24, 24}, {3, 24, 32}, {5, 32, 48}, {6, 48, 96}, {5, 96, 144}, {3, 144, 192}};
        const st l[] = {{2, 32, 32}, {3, 32, 40}, {6, 40, 56}, {7, 56, 112}, {6, 112, 176}, {3, 176, 232}};
        const auto mb = zoo::scaled_effnet_blocks(zoo::efficientnet_edgetpu_config("m", 1.0, 1.1, 240));
        const auto lb = zoo::scaled_effnet_blocks(zoo::efficientnet_edgetpu_config("l", 1.2, 1.4, 300));
        REQUIRE(mb.size() == 6);
        REQUIRE(lb.size() == 6);
        for (int i = 0; i < 6; ++i) {
            INFO("stage " << i + 1);
            CHECK(mb[i].repeats == m[i].repeats);
            CHECK(mb[i].in == m[i].in);
            CHECK(mb[i].out == m[i].out);
            CHECK(lb[i].repeats == l[i].repeats);
            CHECK(lb[i].in == l[i].in);
            CHECK(lb[i].out == l[i].out);
        }
        const auto netl = zoo::efficientnet_edgetpu_l();
        CHECK(netl.input_shape().h == 300);
        CHECK(netl.at(netl.find("stem")).filters == 40);
        CHECK(netl.at(netl.find("head")).filters == 1536);
        // L's stage 1 expands from its nominal 32 input filters: 40 -> 128 channels.
        const auto e = netl.find("stage1_0/fused_expand");
        CHECK(netl.in_channels(e.id) == 40);
        CHECK(netl.at(e).filters == 128);
        const auto netm = zoo::efficientnet_edgetpu_m();
        CHECK(netm.input_shape().h == 240);
        CHECK(netm.at(netm.find("stem")).filters == 32);
        CHECK(netm.at(netm.find("head")).filters == 1280);
    }
}

TEST_CASE("MobilenetEdgeTPU follows reference/architectures.md block for block", "[zoo]") {
    const auto net = zoo::mobilenet_edgetpu();
    CHECK(net.name() == "mobilenet_edgetpu");
    // Block 1 is only a 1x1 projection 32 -> 16 (make_div8(32 * 1) = 32 does not widen the input).
    CHECK_FALSE(net.contains("block1/fused_expand"));
    const auto p1 = net.find("block1/project");
    CHECK(net.in_channels(p1.id) == 32);
    CHECK(net.at(p1).filters == 16);
    CHECK(net.at(p1).kernel_h == 1);
    // Block 2: fused 3x3 stride 2 expansion to make_div8(16 * 8) = 128.
    CHECK(net.at(net.find("block2/fused_expand")).filters == 128);
    CHECK(net.at(net.find("block2/fused_expand")).stride_h == 2);
    // 22 blocks, fused up to block 9, IBN from block 10, 5x5 in blocks 18-21.
    CHECK(net.contains("block22/project"));
    CHECK_FALSE(net.contains("block23/project"));
    CHECK(net.contains("block9/fused_expand"));
    CHECK(net.contains("block10/depthwise"));
    CHECK(net.at(net.find("block18/depthwise")).kernel_h == 5);
    CHECK(net.at(net.find("block22/depthwise")).kernel_h == 3);
    // Block 14 (96 -> 96, stride 1) is marked no-residual; blocks 11-13 and 15-17 have one.
    CHECK_FALSE(net.contains("block14/add"));
    for (int b : {3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 20, 21}) CHECK(net.contains("block" + std::to_string(b) + "/add"));
    CHECK(count_kind(net, op_kind::add) == 15);
    CHECK(net.at(net.find("head")).filters == 1280);
    CHECK(net.at(net.find("logits")).filters == 1001);
}

TEST_CASE("MobileNet V1/V2/V3 structure follows the papers", "[zoo]") {
    SECTION("V1: 13 depthwise-separable layers, ReLU6, depth multiplier with min depth 8") {
        const auto net = zoo::mobilenet_v1();
        CHECK(net.size() == 1 + 1 + 26 + 2);
        CHECK(net.at(net.find("layer13/pointwise")).filters == 1024);
        CHECK(net.shape(net.find("layer13/pointwise")) == graph::tensor_shape{1, 7, 7, 1024});
        const auto q = zoo::mobilenet_v1({}, 0.25);
        CHECK(q.name() == "mobilenet_v1_025");
        CHECK(q.at(q.find("stem")).filters == 8);
        CHECK(q.at(q.find("layer13/pointwise")).filters == 256);
    }
    SECTION("V2: 17 bottlenecks, the first without expansion; 10 residual adds") {
        const auto net = zoo::mobilenet_v2();
        CHECK_FALSE(net.contains("block1/expand"));
        CHECK(net.contains("block17/project"));
        CHECK_FALSE(net.contains("block18/project"));
        CHECK(net.at(net.find("block17/project")).filters == 320);
        CHECK(count_kind(net, op_kind::add) == 10);
        CHECK(net.shape(net.find("head")) == graph::tensor_shape{1, 7, 7, 1280});
    }
    SECTION("V3-Large: 8 SE blocks with hard-sigmoid gates, hard-swish late; minimalistic has neither") {
        const auto net = zoo::mobilenet_v3_large();
        CHECK(count_kind(net, op_kind::mul) == 8);
        CHECK(net.at(net.find("block4/se_expand")).act == graph::activation::hard_sigmoid);
        CHECK(net.at(net.find("block4/se_reduce")).filters == 24);  // make_divisible(72 / 4, 8)
        CHECK(net.at(net.find("stem")).act == graph::activation::hard_swish);
        CHECK(net.at(net.find("block7/expand")).act == graph::activation::hard_swish);
        CHECK(net.at(net.find("block6/expand")).act == graph::activation::relu);
        const auto& pooled = net.at(net.find("head_pooled"));
        CHECK(pooled.filters == 1280);
        CHECK(pooled.bias);
        CHECK_FALSE(pooled.batch_norm);
        const auto mini = zoo::mobilenet_v3_large_minimalistic();
        CHECK(count_kind(mini, op_kind::mul) == 0);
        for (std::size_t i = 0; i < mini.size(); ++i) {
            const auto& o = mini.ops()[i];
            CHECK(o.act != graph::activation::hard_swish);
            if (graph::is_depthwise(o, mini.in_channels(i))) CHECK(o.kernel_h == 3);
        }
    }
}

TEST_CASE("every mobile zoo model follows the shared conventions", "[zoo]") {
    for (const char* name : {"mobilenet_v1", "mobilenet_v1_025", "mobilenet_v2", "mobilenet_v3_large",
                             "mobilenet_v3_large_minimalistic", "mobilenet_edgetpu", "mobilenet_edgetpu_075",
                             "mnasnet_a1", "efficientnet_b0", "efficientnet_edgetpu_s", "efficientnet_edgetpu_m",
                             "efficientnet_edgetpu_l", "efficientnet_lite0", "efficientnet_lite1",
                             "efficientnet_lite2", "efficientnet_lite3", "efficientnet_lite4"}) {
        INFO(name);
        const auto net = zoo::build(name);
        CHECK(net.name() == name);
        const auto& in = net.ops().front();
        CHECK(in.kind == op_kind::input);
        CHECK(in.name == "input");
        CHECK(in.out.n == 1);
        CHECK(in.out.h == in.out.w);
        CHECK(in.out.c == 3);
        REQUIRE(net.outputs().size() == 1);
        const auto& last = net.ops().back();
        CHECK(last.kind == op_kind::fully_connected);
        CHECK(last.bias);
        CHECK(count_kind(net, op_kind::softmax) == 0);
        for (std::size_t i = 0; i < net.size(); ++i) {
            const auto& o = net.ops()[i];
            if (o.kind == op_kind::add) CHECK(o.act == graph::activation::none);
            // Convs carry BN and no bias, except SE convs and V3's pooled head (both without BN).
            if (o.kind == op_kind::conv2d) CHECK(o.batch_norm != o.bias);
        }
    }
}

TEST_CASE("zoo options override resolution, classes and input channels", "[zoo]") {
    const auto base = graph::cost_of(zoo::efficientnet_b0());
    const auto big = zoo::efficientnet_b0({.resolution = 448});
    CHECK(big.input_shape() == graph::tensor_shape{1, 448, 448, 3});
    // Every spatial size doubles, so conv MACs grow by close to 4x (FC and SE convs do not).
    const double ratio = double(graph::cost_of(big).macs) / double(base.macs);
    CHECK(ratio > 3.9);
    CHECK(ratio < 4.0);
    const auto ten = zoo::mobilenet_v2({.classes = 10});
    CHECK(ten.ops().back().filters == 10);
    CHECK(graph::cost_of(ten).params == graph::cost_of(zoo::mobilenet_v2()).params - 1280 * 991 - 991);
    const auto gray = zoo::mobilenet_edgetpu({.channels = 1});
    CHECK(gray.input_shape().c == 1);
    CHECK(zoo::mnasnet_a1({.resolution = 192}).input_shape().h == 192);
    CHECK(zoo::mobilenet_v3_large({.resolution = 160}).input_shape().h == 160);

    CHECK_THROWS_WITH(zoo::mobilenet_v2({.resolution = -1}), Catch::Contains("mobilenet_v2"));
    CHECK_THROWS_WITH(zoo::efficientnet_b0({.classes = -5}), Catch::Contains("efficientnet_b0"));
    CHECK_THROWS_WITH(zoo::mobilenet_v1({}, 0.0), Catch::Contains("depth multiplier"));
    CHECK_THROWS_WITH(zoo::mobilenet_edgetpu({}, -1.0), Catch::Contains("mobilenet_edgetpu"));
    CHECK_THROWS_AS(zoo::mobilenet_v1({.channels = 0}), accelnas::error);
}

TEST_CASE("EfficientNet block strings and scaling rules", "[zoo]") {
    const auto b = zoo::parse_effnet_block("r2_k3_s22_e8_i24_o32_c1");
    CHECK(b == zoo::effnet_block{.repeats = 2, .kernel = 3, .stride = 2, .expand = 8, .in = 24, .out = 32,
                                 .fused = true});
    const auto s = zoo::parse_effnet_block("r1_k3_s11_e1_i32_o16_se0.25");
    CHECK(s.se_ratio == 0.25);
    CHECK_FALSE(s.fused);
    CHECK(s.residual);
    CHECK_FALSE(zoo::parse_effnet_block("r1_k3_s11_e4_i24_o24_c1_noskip").residual);
    for (const char* bad : {"", "r1_k3_s11_e1_i32", "r1_k3_s12_e1_i32_o16", "r1_k3_s11_e1_i32_o16_x9",
                            "r0_k3_s11_e1_i32_o16", "rX_k3_s11_e1_i32_o16", "r1_k3_s11_e1_i32_o16_se2",
                            "r1_k3_s11_e1_i32_o16_c2", "r1_k3__s11_e1_i32_o16"}) {
        INFO(bad);
        CHECK_THROWS_AS(zoo::parse_effnet_block(bad), accelnas::error);
    }
    CHECK_THROWS_WITH(zoo::parse_effnet_block("r1_k3_s12_e1_i32_o16"), Catch::Contains("r1_k3_s12_e1_i32_o16") &&
                                                                             Catch::Contains("s12"));
    // The width-1.2 numbers of reference/architectures.md (EdgeTPU-L): stem 40, head 1536, and the
    // scaled stage filters; depth 1.4 repeats.
    CHECK(zoo::round_filters(32, 1.2) == 40);
    CHECK(zoo::round_filters(1280, 1.2) == 1536);
    CHECK(zoo::round_filters(24, 1.2) == 32);
    CHECK(zoo::round_filters(144, 1.2) == 176);
    CHECK(zoo::round_filters(192, 1.2) == 232);
    CHECK(zoo::round_repeats(5, 1.4) == 7);
    CHECK(zoo::round_repeats(1, 1.1) == 2);
    CHECK(zoo::round_repeats(4, 1.0) == 4);
}
