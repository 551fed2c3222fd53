// Classic CNNs of the zoo against their published MAC and parameter counts.
//
// Definitions (graph::cost_of): `macs` counts conv and fully connected multiply-accumulates of
// one 1-image inference; `params` counts weights + biases; `bn_params` counts BN scale + offset
// (2 per channel). Published parameter counts use other definitions, each stated next to it:
//  - torchvision (`sum(p.numel() for p in model.parameters())`) includes BN scale + offset:
//    compare params + bn_params;
//  - Keras `model.count_params()` also includes BN moving mean + variance: params + 2 * bn_params
//    for BN with scale, params + 1.5 * bn_params for BN with `scale=False` (Inception V3,
//    Inception-ResNet-V2: offset, mean and variance only).
// torchvision's model table lists "GFLOPS" that count multiply-adds, like He et al. ("FLOPs" in
// Table 1 are multiply-adds).
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/zoo/densenet.hpp>
#include <accelnas/zoo/inception.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/resnet.hpp>
#include <accelnas/zoo/squeezenet.hpp>
#include <accelnas/zoo/vgg.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

using namespace accelnas;

namespace {

// True when `value` is within `tol` (relative) of `published`; prints both on failure.
bool near(double value, double published, double tol = 0.02) {
    INFO("value " << value << " vs published " << published);
    return std::abs(value - published) <= tol * published;
}

std::map<graph::op_kind, int> kinds(const graph::network& n) {
    std::map<graph::op_kind, int> r;
    for (const auto& o : n.ops()) ++r[o.kind];
    return r;
}

// Zoo conventions shared by every classic model.
void check_conventions(const graph::network& n, std::int64_t res, std::int64_t classes) {
    INFO(n.name());
    n.validate();
    REQUIRE(n.at(0).name == "input");
    REQUIRE(n.input_shape() == graph::tensor_shape{1, res, res, 3});
    REQUIRE(n.outputs().size() == 1);
    REQUIRE(n.ops().back().out == graph::tensor_shape{1, 1, 1, classes});
    for (const auto& o : n.ops()) REQUIRE(o.kind != graph::op_kind::softmax);
}

// Closed-form MACs of a bottleneck ResNet at 224x224 from the block tables: V1 strides in the
// first 1x1 conv of a stage's first block (He et al. Table 1), V2 in the 3x3 conv of the last
// block of stages conv2..conv4 (Keras / TF-slim resnet_v2).
std::int64_t resnet_macs(std::array<std::int64_t, 4> blocks, bool v2, std::int64_t classes = 1000) {
    std::int64_t m = 112 * 112 * 64 * 7 * 7 * 3;
    std::int64_t h = 56, cin = 64;
    const std::array<std::int64_t, 4> fs{64, 128, 256, 512};
    for (int s = 0; s < 4; ++s) {
        const auto f = fs[s], n = blocks[s];
        if (!v2) {
            if (s > 0) h /= 2;
            m += h * h * (cin * 4 * f + cin * f + 9 * f * f + 4 * f * f) + (n - 1) * h * h * 17 * f * f;
        } else {
            const auto hout = s < 3 ? h / 2 : h;
            m += h * h * (cin * 4 * f + cin * f + 9 * f * f + 4 * f * f);  // block 1 (projection)
            m += (n - 2) * h * h * 17 * f * f;                              // middle blocks
            m += h * h * 4 * f * f + hout * hout * (9 * f * f + 4 * f * f); // last block, strided
            h = hout;
        }
        cin = 4 * f;
    }
    return m + 2048 * classes;
}

}  // namespace

TEST_CASE("ResNet-50 V1 matches He et al. and torchvision", "[zoo][classic]") {
    const auto n = zoo::resnet50_v1();
    check_conventions(n, 224, 1000);
    const auto c = graph::cost_of(n);
    // He et al. 2016, Deep Residual Learning, Table 1: ResNet-50 3.8 x 10^9 FLOPs (multiply-adds).
    CHECK(near(c.macs, 3.8e9));
    CHECK(c.macs == resnet_macs({3, 4, 6, 3}, false));
    // torchvision resnet50 (stride placement does not change parameters): 25,557,032 incl. BN affine.
    CHECK(c.params + c.bn_params == 25'557'032);
    // Keras applications table: 25.6 M (its 25,636,712 adds conv biases and BN statistics).
    CHECK(near(c.params, 25.6e6));
    // Residual adds carry the fused ReLU; convs have BN and no bias.
    const auto& add = n.at(n.find("conv2_block1_add"));
    CHECK(add.act == graph::activation::relu);
    CHECK(n.at(n.find("conv3_block1_1_conv")).stride_h == 2);
    CHECK(n.at(n.find("conv3_block1_2_conv")).stride_h == 1);
    for (const auto& o : n.ops())
        if (o.kind == graph::op_kind::conv2d) CHECK((o.batch_norm && !o.bias));
}

TEST_CASE("ResNet V2 (pre-activation) matches Keras applications", "[zoo][classic]") {
    SECTION("ResNet-50 V2") {
        const auto n = zoo::resnet50_v2();
        check_conventions(n, 224, 1000);
        const auto c = graph::cost_of(n);
        // Keras applications ResNet50V2: 25,613,800 parameters (count_params, BN with statistics).
        CHECK(c.params + 2 * c.bn_params == 25'613'800);
        CHECK(near(c.params, 25.6e6));
        // No MAC count is published for this layout (stride at the end of a stage); the closed form
        // from the block table is 3.48 G, below V1's 3.86 G.
        CHECK(c.macs == resnet_macs({3, 4, 6, 3}, true));
        CHECK(kinds(n)[graph::op_kind::batch_norm] == 16 + 1);  // one pre-activation per block + post_bn
    }
    SECTION("ResNet-152 V2") {
        const auto n = zoo::resnet152_v2();
        check_conventions(n, 224, 1000);
        const auto c = graph::cost_of(n);
        // Keras applications ResNet152V2: 60,380,648 parameters; table: 60.4 M.
        CHECK(c.params + 2 * c.bn_params == 60'380'648);
        CHECK(near(c.params + 2 * c.bn_params, 60.4e6));
        CHECK(c.macs == resnet_macs({3, 8, 36, 3}, true));
        // He et al. Table 1 gives 11.3 G for ResNet-152 with V1 striding; V2 strides later (10.9 G).
        CHECK(near(c.macs, 11.3e9, 0.04));
        CHECK(kinds(n)[graph::op_kind::batch_norm] == 50 + 1);
    }
}

TEST_CASE("VGG16 and VGG19 match the published counts", "[zoo][classic]") {
    const auto v16 = zoo::vgg16(), v19 = zoo::vgg19();
    check_conventions(v16, 224, 1000);
    check_conventions(v19, 224, 1000);
    const auto c16 = graph::cost_of(v16), c19 = graph::cost_of(v19);
    // Keras applications / torchvision: VGG16 138,357,544 and VGG19 143,667,240 parameters.
    CHECK(c16.params == 138'357'544);
    CHECK(c19.params == 143'667'240);
    // torchvision table: VGG16 15.47 GFLOPS; He et al. 2016 Sec. 3.3: VGG-19 19.6 billion FLOPs.
    CHECK(near(c16.macs, 15.47e9));
    CHECK(near(c19.macs, 19.6e9));
    // flatten -> fully_connected x3.
    const auto& ops = v16.ops();
    CHECK(ops[ops.size() - 4].kind == graph::op_kind::reshape);
    CHECK(ops[ops.size() - 4].out == graph::tensor_shape{1, 1, 1, 7 * 7 * 512});
    CHECK(kinds(v16)[graph::op_kind::fully_connected] == 3);
    CHECK(kinds(v16)[graph::op_kind::conv2d] == 13);
    CHECK(kinds(v19)[graph::op_kind::conv2d] == 16);
}

TEST_CASE("Inception V1 and GoogLeNet", "[zoo][classic]") {
    SECTION("Inception V1 (TF-slim layout, as on Coral)") {
        const auto n = zoo::inception_v1();
        check_conventions(n, 224, 1001);
        // torchvision googlenet has the same layout (BN, 3x3 in the "5x5" branch), 1000 classes:
        // 6,624,904 parameters incl. BN affine; 1.50 GFLOPS.
        const auto c = graph::cost_of(zoo::inception_v1({.classes = 1000}));
        CHECK(c.params + c.bn_params == 6'624'904);
        CHECK(near(c.macs, 1.50e9));
    }
    SECTION("GoogLeNet as published") {
        const auto n = zoo::googlenet();
        check_conventions(n, 224, 1000);
        const auto c = graph::cost_of(n);
        // Szegedy et al. 2015, Table 1, "ops" column (multiply-adds) per layer / module. Inception
        // (5a) reads 54 M in the table; its listed filter counts give 51.1 M, so it is left out.
        const std::vector<std::pair<std::string, double>> table{
            {"conv1_", 118e6}, {"conv2_", 360e6}, {"inception_3a_", 128e6}, {"inception_3b_", 304e6},
            {"inception_4a_", 73e6}, {"inception_4b_", 88e6}, {"inception_4c_", 100e6},
            {"inception_4d_", 119e6}, {"inception_4e_", 170e6}, {"inception_5b_", 71e6}};
        for (const auto& [prefix, ops] : table) {
            double m = 0;
            for (std::size_t i = 0; i < n.size(); ++i)
                if (n.ops()[i].name.rfind(prefix, 0) == 0) m += static_cast<double>(c.per_op[i].macs);
            INFO(prefix);
            CHECK(near(m, ops));
        }
        // Paper text: "1.5 billion multiply-adds"; the table's ops column sums to about 1.59 G.
        CHECK(near(c.macs, 1.5e9, 0.06));
        // Table 1's params column sums to about 6.8 M, about 3% below what its own filter counts give
        // (e.g. inception (3a): 163,328 weights vs 159 K printed), hence the wider tolerance.
        CHECK(near(c.params, 6.8e6, 0.035));
        for (const auto& o : n.ops())
            if (o.kind == graph::op_kind::conv2d) CHECK((o.bias && !o.batch_norm));
    }
}

TEST_CASE("Inception V3 matches Keras applications and torchvision", "[zoo][classic]") {
    const auto n = zoo::inception_v3();
    check_conventions(n, 299, 1000);
    const auto c = graph::cost_of(n);
    // Keras applications InceptionV3: 23,851,784 parameters (BN scale=False: 3 values per channel).
    CHECK(2 * c.params + 3 * c.bn_params == 2 * 23'851'784);
    CHECK(near(c.params, 23.8e6));
    // torchvision inception_v3: 5.71 GFLOPS (the auxiliary classifier does not run at inference).
    CHECK(near(c.macs, 5.71e9));
    // Factorized 7x7 convs: mixed4..7 have three 1x7 and three 7x1 convs each, mixed8 one of each.
    int k1x7 = 0, k7x1 = 0;
    for (const auto& o : n.ops()) {
        k1x7 += o.kind == graph::op_kind::conv2d && o.kernel_h == 1 && o.kernel_w == 7;
        k7x1 += o.kind == graph::op_kind::conv2d && o.kernel_h == 7 && o.kernel_w == 1;
    }
    CHECK(k1x7 == 4 * 3 + 1);
    CHECK(k7x1 == 4 * 3 + 1);
    CHECK(n.at(n.find("mixed10_concat")).out == graph::tensor_shape{1, 8, 8, 2048});
    CHECK(n.at(n.find("mixed7_concat")).out == graph::tensor_shape{1, 17, 17, 768});
    CHECK(n.at(n.find("mixed2_concat")).out == graph::tensor_shape{1, 35, 35, 288});
}

TEST_CASE("Inception V4 and Inception-ResNet-V2", "[zoo][classic]") {
    SECTION("Inception V4") {
        const auto n = zoo::inception_v4();
        check_conventions(n, 299, 1001);
        const auto c = graph::cost_of(n);
        // Commonly quoted counts for Inception-v4 (e.g. Bianco et al. 2018, "Benchmark analysis of
        // representative deep neural network architectures"): 42.7 M parameters, 12.3 G multiply-adds.
        // Not re-checked against an offline copy here.
        CHECK(near(c.params, 42.7e6));
        CHECK(near(c.macs, 12.3e9));
        CHECK(n.at(n.find("Mixed_5e_concat")).out == graph::tensor_shape{1, 35, 35, 384});
        CHECK(n.at(n.find("Mixed_6h_concat")).out == graph::tensor_shape{1, 17, 17, 1024});
        CHECK(n.at(n.find("Mixed_7d_concat")).out == graph::tensor_shape{1, 8, 8, 1536});
    }
    SECTION("Inception-ResNet-V2") {
        const auto n = zoo::inception_resnet_v2();
        check_conventions(n, 299, 1000);
        const auto c = graph::cost_of(n);
        // Keras applications InceptionResNetV2: 55,873,736 parameters (BN scale=False), table 55.9 M.
        CHECK(2 * c.params + 3 * c.bn_params == 2 * 55'873'736);
        CHECK(near(c.params, 55.9e6));
        // Commonly quoted 13.2 G multiply-adds (same caveat as Inception V4).
        CHECK(near(c.macs, 13.2e9));
        CHECK(kinds(n)[graph::op_kind::add] == 40);
        CHECK(n.at(n.find("block8_10_add")).act == graph::activation::none);
        CHECK(n.at(n.find("block8_9_add")).act == graph::activation::relu);
        CHECK(n.at(n.find("mixed_7a_concat")).out == graph::tensor_shape{1, 8, 8, 2080});
    }
}

TEST_CASE("DenseNet-121 matches torchvision and Keras", "[zoo][classic]") {
    const auto n = zoo::densenet121();
    check_conventions(n, 224, 1000);
    const auto c = graph::cost_of(n);
    // torchvision densenet121: 7,978,856 parameters incl. BN affine; 2.83 GFLOPS.
    CHECK(c.params + c.bn_params == 7'978'856);
    CHECK(near(c.macs, 2.83e9));
    // Keras applications DenseNet121: 8,062,504 parameters incl. BN statistics (table: 8.1 M).
    CHECK(c.params + 2 * c.bn_params == 8'062'504);
    CHECK(n.at(n.find("conv5_block16_concat")).out == graph::tensor_shape{1, 7, 7, 1024});
}

TEST_CASE("SqueezeNet 1.0 and 1.1 match the paper and torchvision", "[zoo][classic]") {
    const auto v10 = zoo::squeezenet(), v11 = zoo::squeezenet1_1();
    check_conventions(v10, 224, 1000);
    check_conventions(v11, 224, 1000);
    const auto c10 = graph::cost_of(v10), c11 = graph::cost_of(v11);
    // Iandola et al. 2016, Table 1: 1,248,424 parameters (before pruning); torchvision 0.82 GFLOPS.
    CHECK(c10.params == 1'248'424);
    CHECK(near(c10.macs, 0.82e9));
    // torchvision squeezenet1_1: 1,235,496 parameters, 0.35 GFLOPS.
    CHECK(c11.params == 1'235'496);
    CHECK(near(c11.macs, 0.35e9));
    // Caffe ceil-mode pooling: 55x55 after conv1/pool1 (v1.1) and 13x13 before conv10.
    CHECK(v10.at(v10.find("fire9_concat")).out == graph::tensor_shape{1, 13, 13, 512});
    CHECK(v11.at(v11.find("fire9_concat")).out == graph::tensor_shape{1, 13, 13, 512});
    CHECK(v10.at(v10.find("fire4_concat")).out == graph::tensor_shape{1, 54, 54, 256});
}

TEST_CASE("classic models take resolution, classes and channels", "[zoo][classic]") {
    using builder = graph::network (*)(const zoo::zoo_options&);
    // (builder, default resolution, has VALID windows that an 8x8 input cannot fill)
    const std::vector<std::tuple<builder, std::int64_t, bool>> models{
        {zoo::resnet50_v1, 224, false}, {zoo::resnet50_v2, 224, false}, {zoo::resnet152_v2, 224, false},
        {zoo::vgg16, 224, true}, {zoo::vgg19, 224, true}, {zoo::inception_v1, 224, false},
        {zoo::googlenet, 224, false}, {zoo::inception_v3, 299, true}, {zoo::inception_v4, 299, true},
        {zoo::inception_resnet_v2, 299, true}, {zoo::densenet121, 224, true}, {zoo::squeezenet, 224, true},
        {zoo::squeezenet1_1, 224, true}};
    for (const auto& [f, res, valid_windows] : models) {
        const auto n = f({.resolution = res + 32, .classes = 10, .channels = 1});
        INFO(n.name());
        CHECK(n.input_shape() == graph::tensor_shape{1, res + 32, res + 32, 1});
        CHECK(n.ops().back().out.c == 10);
        CHECK(graph::cost_of(n).macs > graph::cost_of(f({})).macs / 2);
        CHECK_THROWS_AS(f({.resolution = -1}), accelnas::error);
        CHECK_THROWS_AS(f({.classes = -5}), accelnas::error);
        CHECK_THROWS_AS(f({.channels = -3}), accelnas::error);
        // Too small for the VALID windows (or VGG's five 2x2 pools): the op at fault is named.
        if (valid_windows) CHECK_THROWS_WITH(f({.resolution = 8}), Catch::Contains("VALID"));
        else CHECK(f({.resolution = 8}).ops().back().out.c == 1000 + (f == zoo::inception_v1));
    }
    // ResNet-50 at 299 (the Coral benchmark input): 10x10 final feature map.
    const auto r = zoo::resnet50_v1({.resolution = 299});
    CHECK(r.at(r.find("conv5_block3_add")).out == graph::tensor_shape{1, 10, 10, 2048});
}

TEST_CASE("classic and NB201 networks round-trip through JSON", "[zoo][classic]") {
    // Exercises what these models add to the IR's JSON: 1x7 kernels, explicit pads, 3-input adds,
    // standalone batch_norm and activation ops, count_include_pad.
    std::vector<graph::network> nets{zoo::inception_v3(), zoo::squeezenet(), zoo::resnet50_v2(), zoo::densenet121(),
                                     zoo::inception_resnet_v2()};
    for (auto v : {zoo::nb201_variant::training, zoo::nb201_variant::latbench})
        nets.push_back(zoo::nasbench201(
            "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|skip_connect~1|nor_conv_3x3~2|", v));
    for (const auto& n : nets) {
        INFO(n.name());
        const auto back = graph::network_from_json_text(graph::to_json(n).dump());
        CHECK(graph::structural_difference(n, back).empty());
        CHECK(back.name() == n.name());
        CHECK(graph::cost_of(back).macs == graph::cost_of(n).macs);
    }
}

TEST_CASE("zoo options: 0 means the model's default, other values pass through", "[zoo]") {
    CHECK(zoo::or_default(0, 224) == 224);
    CHECK(zoo::or_default(160, 224) == 160);
    CHECK(zoo::or_default(-3, 224) == -3);  // rejected by the builder, naming the model
    CHECK(zoo::resnet50_v1({}).input_shape().h == 224);
    CHECK(zoo::resnet50_v1({.resolution = 160}).input_shape().h == 160);
}
