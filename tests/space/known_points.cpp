// Known points of the shipped spaces against the zoo's published models, op by op, and compound
// scaling of EfficientNet-EdgeTPU-S into -M and -L. Published MAC/parameter counts come from
// reference/architectures.md (EdgeTPU, MobilenetEdgeTPU) and the MnasNet paper (MnasNet-A1).
#include <accelnas/graph/cost.hpp>
#include <accelnas/space.hpp>
#include <accelnas/zoo/efficientnet.hpp>
#include <accelnas/zoo/mnasnet.hpp>
#include <accelnas/zoo/mobilenet.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace accelnas;

namespace {
// |a/b - 1| <= tol
bool near(double a, double b, double tol) { return std::abs(a / b - 1.0) <= tol; }
const graph::tensor_shape imagenet224{1, 224, 224, 3};
}  // namespace

TEST_CASE("EfficientNet-EdgeTPU-S is an exact point of the edgetpu space", "[space]") {
    const auto arch = space::efficientnet_edgetpu_s_arch();
    const auto net = space::decode<space::edgetpu>(arch, imagenet224, 1001);
    const auto ref = zoo::efficientnet_edgetpu_s();
    CHECK(graph::structural_difference(net, ref) == "");
    // reference/architectures.md: about 1.79 G MACs and 5.39 M params (conv + FC weights).
    const auto c = graph::cost_of(net);
    CHECK(near(static_cast<double>(c.macs), 1.79e9, 0.01));
    CHECK(near(static_cast<double>(c.params), 5.39e6, 0.01));
}

TEST_CASE("Compound scaling of the EdgeTPU-S point reproduces EfficientNet-EdgeTPU-M and -L", "[space]") {
    const auto arch = space::efficientnet_edgetpu_s_arch();
    SECTION("M: width 1.0, depth 1.1, 240") {
        const auto net = space::decode_scaled<space::edgetpu>(arch, {.width = 1.0, .depth = 1.1, .resolution = 240}, 1001);
        CHECK(graph::structural_difference(net, zoo::efficientnet_edgetpu_m()) == "");
        const auto c = graph::cost_of(net);
        CHECK(near(static_cast<double>(c.macs), 3.01e9, 0.01));
        CHECK(near(static_cast<double>(c.params), 6.83e6, 0.01));
    }
    SECTION("L: width 1.2, depth 1.4, 300") {
        const auto net = space::decode_scaled<space::edgetpu>(arch, space::efficientnet_edgetpu_l_scaling, 1001);
        CHECK(graph::structural_difference(net, zoo::efficientnet_edgetpu_l()) == "");
        const auto c = graph::cost_of(net);
        CHECK(near(static_cast<double>(c.macs), 7.94e9, 0.01));
        CHECK(near(static_cast<double>(c.params), 10.50e6, 0.01));
    }
    SECTION("the scaled plans carry the reference table's stage widths and repeats") {
        // reference/architectures.md, "Scaled stages": L = 2(32,32) 3(32,40) 6(40,56) 7(56,112)
        // 6(112,176) 3(176,232), stem 40, head 1536; M = repeats 2 3 5 6 5 3 at S's widths.
        const auto plan = space::plan_of<space::edgetpu>(arch);
        const auto l = space::scale(plan, space::efficientnet_edgetpu_l_scaling);
        CHECK(l.stem_filters == 40);
        CHECK(l.head_filters == 1536);
        const std::int64_t lw[] = {32, 40, 56, 112, 176, 232};
        const int lr[] = {2, 3, 6, 7, 6, 3};
        const auto m = space::scale(plan, space::efficientnet_edgetpu_m_scaling);
        const int mr[] = {2, 3, 5, 6, 5, 3};
        const std::int64_t sw[] = {24, 32, 48, 96, 144, 192};
        REQUIRE(l.stages.size() == 6);
        for (std::size_t i = 0; i < 6; ++i) {
            CHECK(l.stages[i].filters == lw[i]);
            CHECK(l.stages[i].repeats == lr[i]);
            CHECK(m.stages[i].filters == sw[i]);
            CHECK(m.stages[i].repeats == mr[i]);
        }
    }
}

TEST_CASE("MobilenetEdgeTPU is an exact point of the pixel4 space", "[space]") {
    const auto net = space::decode<space::pixel4>(space::mobilenet_edgetpu_arch(), imagenet224, 1001);
    CHECK(graph::structural_difference(net, zoo::mobilenet_edgetpu()) == "");
    // reference/architectures.md: 990 M MACs, 4.0 M params at 224x224.
    const auto c = graph::cost_of(net);
    CHECK(near(static_cast<double>(c.macs), 990e6, 0.01));
    CHECK(near(static_cast<double>(c.params), 4.0e6, 0.02));
}

TEST_CASE("MnasNet-A1 is an exact point of the mnasnet space", "[space]") {
    const auto net = space::decode<space::mnasnet>(space::mnasnet_a1_arch(), imagenet224, 1000);
    CHECK(graph::structural_difference(net, zoo::mnasnet_a1()) == "");
    // MnasNet paper (Tan et al. 2019, table 1): 312 M MACs, 3.9 M params.
    const auto c = graph::cost_of(net);
    CHECK(near(static_cast<double>(c.macs), 312e6, 0.01));
    CHECK(near(static_cast<double>(c.params), 3.9e6, 0.02));
}

TEST_CASE("known_points() decode to their zoo models through the run-time registry", "[space]") {
    for (const auto& k : space::known_points()) {
        INFO(k.model);
        const auto classes = k.model == std::string_view("mnasnet_a1") ? 1000 : 1001;
        const auto net = space::decode_named(k.space, k.arch_text, imagenet224, classes);
        graph::network ref;
        if (k.model == std::string_view("efficientnet_edgetpu_s")) ref = zoo::efficientnet_edgetpu_s();
        else if (k.model == std::string_view("mobilenet_edgetpu")) ref = zoo::mobilenet_edgetpu();
        else ref = zoo::mnasnet_a1();
        CHECK(graph::structural_difference(net, ref) == "");
    }
}

TEST_CASE("Compound coefficient phi follows EfficientNet's alpha, beta, gamma", "[space]") {
    const auto s0 = space::compound_coefficients(0.0, 224);
    CHECK(s0.width == 1.0);
    CHECK(s0.depth == 1.0);
    CHECK(s0.resolution == 224);
    const auto s1 = space::compound_coefficients(1.0, 224);
    CHECK(s1.depth == Approx(1.2));
    CHECK(s1.width == Approx(1.1));
    CHECK(s1.resolution == 258);  // round(224 * 1.15) = round(257.6)
    const auto s2 = space::compound_coefficients(2.0, 224);
    CHECK(s2.depth == Approx(1.44));
    CHECK(s2.width == Approx(1.21));
    // EfficientNet's constraint alpha * beta^2 * gamma^2 ~= 2: MACs grow by about 1.92^phi. Rounding
    // of filters, repeats and resolution moves the real ratio; it must stay within 25% of that.
    const auto arch = space::efficientnet_edgetpu_s_arch();
    const double base = static_cast<double>(graph::cost_of(space::decode<space::edgetpu>(arch, imagenet224, 1001)).macs);
    for (double phi : {1.0, 2.0}) {
        INFO("phi " << phi);
        const auto s = space::compound_coefficients(phi, 224);
        const double m = static_cast<double>(graph::cost_of(space::decode_scaled<space::edgetpu>(arch, s, 1001)).macs);
        CHECK(near(m / base, std::pow(1.2 * 1.1 * 1.1 * 1.15 * 1.15, phi), 0.25));
    }
    CHECK_THROWS_AS(space::compound_coefficients(1.0, 0), accelnas::error);
    CHECK_THROWS_AS(space::compound_coefficients(1.0, 224, 0.9), accelnas::error);
}

TEST_CASE("round_filters and round_repeats follow EfficientNet's rules", "[space]") {
    // reference/architectures.md: round_filters(f) = max(8, int(f*w + 4) // 8 * 8), +8 if < 0.9*f*w.
    CHECK(space::round_filters(32, 1.2) == 40);     // 38.4 -> 40
    CHECK(space::round_filters(1280, 1.2) == 1536);
    CHECK(space::round_filters(144, 1.2) == 176);   // 172.8 -> 176
    CHECK(space::round_filters(192, 1.2) == 232);   // 230.4 -> 232
    CHECK(space::round_filters(16, 0.25) == 8);     // max(8, ...)
    CHECK(space::round_filters(20, 0.5) == 16);     // 10 -> 8 < 9 -> 16 (the 0.9 guard)
    CHECK(space::round_repeats(5, 1.1) == 6);       // ceil(5.5)
    CHECK(space::round_repeats(4, 1.4) == 6);       // ceil(5.6)
    CHECK(space::round_repeats(2, 1.0) == 2);
    CHECK_THROWS_AS(space::round_filters(0, 1.0), accelnas::error);
    CHECK_THROWS_AS(space::round_repeats(2, 0.0), accelnas::error);
}
