// Import of models built and exported by PyTorch (torchvision 0.14, random weights; the ctest
// fixture tests/onnx/torchvision_models.py writes them and PyTorch's own counts): MACs, conv/linear
// parameters and batch-norm parameters equal PyTorch's, and the zoo's figures where the zoo has the
// same network.

#include <accelnas/graph/cost.hpp>
#include <accelnas/onnx/import.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>

using namespace accelnas;

namespace {
nlohmann::json torch_counts() {
    std::ifstream f(std::string(ACCELNAS_ONNX_TORCHVISION_DIR) + "/torch_counts.json");
    REQUIRE(f);
    return nlohmann::json::parse(f);
}
double rel(double a, double b) { return std::abs(a - b) / b; }
}  // namespace

TEST_CASE("torchvision models import with PyTorch's MACs and parameters", "[onnx][torchvision]") {
    const auto counts = torch_counts();
    REQUIRE(counts.size() == 10);
    for (const auto& [name, c] : counts.items()) {
        INFO(name);
        const auto net = accelnas::onnx::import_file(c.at("file").get<std::string>());
        const auto cost = graph::cost_of(net);
        CHECK(cost.macs == c.at("macs").get<std::int64_t>());
        CHECK(cost.params == c.at("params").get<std::int64_t>());
        CHECK(cost.bn_params == c.at("bn_params").get<std::int64_t>());
        const auto size = c.at("size").get<std::int64_t>();
        CHECK(net.input_shape() == graph::tensor_shape{1, size, size, 3});
    }
}

TEST_CASE("torchvision models match the zoo's figures where the zoo has the same network", "[onnx][torchvision]") {
    const auto counts = torch_counts();
    for (const auto& [name, c] : counts.items()) {
        if (c.at("zoo").is_null()) continue;
        INFO(name);
        const auto zoo_name = c.at("zoo").get<std::string>();
        const auto zoo_cost = graph::cost_of(zoo::build(zoo_name, {.resolution = c.at("size").get<std::int64_t>()}));
        const auto cost = graph::cost_of(accelnas::onnx::import_file(c.at("file").get<std::string>()));
        if (name == "resnet50") {
            // torchvision's ResNet-50 is "v1.5": the stride-2 sits on the 3x3 conv of a bottleneck, not on
            // the first 1x1 (Keras' ResNet50 v1, the zoo's), so it has 6% more MACs and the same weights.
            CHECK(cost.params == zoo_cost.params);
            CHECK(rel(double(cost.macs), double(zoo_cost.macs)) > 0.05);
            continue;
        }
        if (name == "mnasnet1_0") {
            // torchvision's mnasnet1_0 is MnasNet-B1 (no squeeze-and-excitation); the zoo has A1 (with SE).
            CHECK(rel(double(cost.params), double(zoo_cost.params)) > 0.1);
            continue;
        }
        // The zoo's Keras classifiers have 1001 classes where torchvision's have 1000.
        CHECK(rel(double(cost.macs), double(zoo_cost.macs)) < 0.01);
        CHECK(rel(double(cost.params), double(zoo_cost.params)) < 0.01);
        CHECK(cost.bn_params == zoo_cost.bn_params);
    }
}
