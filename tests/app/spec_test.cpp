// The model-spec grammar (accelnas/app/spec.hpp).

#include <accelnas/app/spec.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

using namespace accelnas;
using namespace accelnas::app;

namespace {

// A NAS-Bench-201 arch with every op kind (the ResNet-like cell of the benchmark's paper plus a pool).
const std::string arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|none~2|";

// The text of the known point of space `name` (a valid architecture of that space).
std::string known_arch(std::string_view name) {
    for (const auto& k : space::known_points())
        if (k.space == name) return std::string(k.arch_text);
    FAIL("no known point in space " << name);
    return {};
}

std::string temp_path(const std::string& leaf) { return std::string(ACCELNAS_BINARY_DIR) + "/zoo_spec_test_" + leaf; }

}  // namespace

TEST_CASE("model specs: every form of the grammar", "[app]") {
    SECTION("zoo name") {
        const auto net = resolve_spec("mobilenet_v2");
        CHECK(net.name() == "mobilenet_v2");
        CHECK(graph::structural_difference(net, zoo::mobilenet_v2()).empty());
        CHECK(parse_spec("mobilenet_v2").kind == spec_kind::zoo);
    }
    SECTION("zoo name at another input size") {
        const auto net = resolve_spec("resnet50_v1@299");
        CHECK(net.name() == "resnet50_v1@299");
        CHECK(net.input_shape() == graph::tensor_shape{1, 299, 299, 3});
        CHECK(graph::structural_difference(net, zoo::build("resnet50_v1", {.resolution = 299})).empty());
        const auto p = parse_spec("efficientnet_edgetpu_s@160");
        CHECK(p.name == "efficientnet_edgetpu_s");
        CHECK(p.resolution == 160);
        CHECK(resolve_spec(p).input_shape().h == 160);
        // '@' at the model's own size gives the same network as the plain name.
        CHECK(graph::structural_difference(resolve_spec("mnasnet_a1@224"), zoo::mnasnet_a1()).empty());
    }
    SECTION("NAS-Bench-201, both graph variants") {
        const auto t = resolve_spec("nb201:" + arch);
        CHECK(t.name() == "nb201:" + arch);
        CHECK(graph::structural_difference(t, zoo::nasbench201(arch, zoo::nb201_variant::training)).empty());
        const auto l = resolve_spec("nb201-latbench:" + arch);
        CHECK(graph::structural_difference(l, zoo::nasbench201(arch, zoo::nb201_variant::latbench)).empty());
        CHECK(l.size() < t.size());  // the measured graph drops the none edge and BN
        CHECK(parse_spec("nb201:" + arch).arch == arch);
        CHECK(parse_spec("nb201-latbench:" + arch).kind == spec_kind::nb201_latbench);
    }
    SECTION("JSON file, by .json suffix or by a '/' in the path") {
        const auto src = zoo::efficientnet_edgetpu_s();
        const auto path = temp_path("edgetpu_s.json");
        graph::save_network(src, path);
        const auto net = resolve_spec(path);
        CHECK(net.name() == "efficientnet_edgetpu_s");
        CHECK(graph::structural_difference(net, src).empty());
        const auto bare = temp_path("edgetpu_s_spec");
        graph::save_network(src, bare);
        CHECK(parse_spec(bare).kind == spec_kind::file);
        CHECK(graph::structural_difference(resolve_spec(bare), src).empty());
        CHECK(graph::cost_of(resolve_spec(bare)).macs == graph::cost_of(src).macs);
        // A bare file name without '/' or ".json" is a zoo name; the error says how to read the file.
        const auto cwd = std::filesystem::current_path();
        std::filesystem::current_path(ACCELNAS_BINARY_DIR);
        CHECK_THROWS_WITH(resolve_spec("zoo_spec_test_edgetpu_s_spec"),
                          Catch::Contains("write ./zoo_spec_test_edgetpu_s_spec"));
        CHECK(graph::structural_difference(resolve_spec("./zoo_spec_test_edgetpu_s_spec"), src).empty());
        std::filesystem::current_path(cwd);
    }
    SECTION("search-space form: the published models that are points of a shipped space") {
        const auto p = parse_spec("edgetpu:0,1,2");
        CHECK(p.kind == spec_kind::space);
        CHECK(p.name == "edgetpu");
        CHECK(p.arch == "0,1,2");
        // Search-space specs decode at the space's deployment input (224x224x3, 1000 classes for every
        // shipped space), so compare with the zoo model at 1000 classes: EfficientNet-EdgeTPU-S,
        // MobilenetEdgeTPU and MnasNet-A1 (the first two are published with 1001).
        REQUIRE_FALSE(space::known_points().empty());
        for (const auto& k : space::known_points()) {
            const std::string spec = std::string(k.space) + ":" + std::string(k.arch_text);
            INFO(spec);
            CHECK(parse_spec(spec).kind == spec_kind::space);
            const auto net = resolve_spec(spec);
            CHECK(net.name() == spec);
            CHECK(graph::structural_difference(net, zoo::build(k.model, {.classes = 1000})) == "");
            CHECK(parse_spec(spec + "@320").resolution == 320);
            CHECK(parse_spec(spec + "@320").arch == std::string(k.arch_text));
            CHECK(resolve_spec(spec + "@224").name() == spec);  // the deployment size is not repeated in the name
            const auto big = resolve_spec(spec + "@320");
            CHECK(big.name() == spec + "@320");
            CHECK(graph::structural_difference(big, zoo::build(k.model, {.resolution = 320, .classes = 1000})) == "");
        }
        CHECK_THROWS_WITH(resolve_spec("nosuchspace:1,2"), Catch::StartsWith("model spec 'nosuchspace:1,2'") &&
                                                               Catch::Contains("nosuchspace"));
    }
}

TEST_CASE("malformed model specs are accelnas::error naming the spec", "[app]") {
    const auto bad_json = temp_path("not_json.json");
    std::ofstream(bad_json) << "{ this is not json";
    const auto bad_net = temp_path("bad_net.json");
    std::ofstream(bad_net) << R"({"schema": "accelnas.network", "version": 1, "name": "x", "ops": []})";
    struct bad_case { std::string spec, says; };
    const std::vector<bad_case> cases = {
        {"", "empty"},
        {"   ", "empty"},
        {"no_such_model", "unknown zoo model 'no_such_model' (known: mobilenet_v1"},
        {"mobilenet_v2@0", "must be positive"},
        {"mobilenet_v2@abc", "not a positive whole number"},
        {"mobilenet_v2@", "not a positive whole number"},
        {"mobilenet_v2@-3", "not a positive whole number"},
        {"mobilenet_v2@2.5", "not a positive whole number"},
        {"mobilenet_v2@99999999999999999999", "not a positive whole number"},
        {"@224", "no zoo name"},
        {"no_such_model@224", "unknown zoo model"},
        {"nb201:", "no architecture"},
        {":abc", "nothing before ':'"},
        {"nb201:|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'bogus'"},
        {"nb201-latbench:|nor_conv_3x3~0|", "NAS-Bench-201 arch string"},
        {"nb201:" + arch + "extra", "more than 3 edge"},
        {"/no/such/dir/model.json", "cannot open"},
        {"missing_file.json", "cannot open"},
        {bad_json, "not valid JSON"},
        {bad_net, "empty"},
        {"unknownspace:abc", "unknown spec prefix 'unknownspace:'"},
        {"edgetpu:0", "edgetpu"},
        {"mnasnet:" + known_arch("mnasnet") + "@0", "input size 0 after '@' must be positive"},
        {"edgetpu:" + known_arch("edgetpu") + "@x1", "input size 'x1' after '@' is not a positive whole number"},
    };
    for (const auto& c : cases) {
        INFO("spec '" << c.spec << "'");
        try {
            (void)resolve_spec(c.spec);
            FAIL("no error");
        } catch (const accelnas::error& e) {
            const std::string msg = e.what();
            INFO(msg);
            CHECK(msg.rfind("model spec '" + c.spec + "'", 0) == 0);
            CHECK(msg.find(c.says) != std::string::npos);
        }
    }
    // A huge '@' size is rejected by the builder's overflow checks, still naming the spec.
    CHECK_THROWS_WITH(resolve_spec("vgg16@3000000000"), Catch::StartsWith("model spec 'vgg16@3000000000'"));
}

TEST_CASE("a .onnx spec is a path, read only by programs built with the ONNX component", "[app][spec]") {
    CHECK(parse_spec("model.onnx").kind == spec_kind::file);
    // The header-only library has no ONNX reader: the error says so instead of parsing JSON.
    REQUIRE_FALSE(onnx_spec_reader());
    CHECK_THROWS_WITH(resolve_spec("model.onnx"),
                      Catch::StartsWith("model spec 'model.onnx'") && Catch::Contains("ONNX support was not built"));
}
