// Group convolutions on the accelerator models: MACs, weights and the GEMM mapping of grouped
// convs against hand counts, the systolic array's groups-as-sequential-GEMMs against a one-group
// conv, and every target pricing sampled networks of the edgetpu_v2 space (GC-IBN blocks).
#include <accelnas/hw.hpp>
#include <accelnas/space/registry.hpp>

#include <catch2/catch.hpp>

#include "nets.hpp"

#include <cmath>

using namespace accelnas;

namespace {
graph::network grouped_conv(std::int64_t hw, std::int64_t cin, std::int64_t filters, int k, std::int64_t groups,
                            int stride = 1) {
    graph::network n("grouped");
    auto x = n.input({1, hw, hw, cin});
    n.conv2d(x, {.filters = filters, .kernel = k, .stride = stride, .groups = groups});
    return n;
}
}  // namespace

TEST_CASE("Grouped convs: MACs, weights and mapping against hand counts", "[hw]") {
    SECTION("56x56x32 -> 128, 3x3, 4 groups of 8 input channels") {
        const auto n = grouped_conv(56, 32, 128, 3, 4);
        const auto w = hw::work_of(n, 1);
        CHECK(w.cls == hw::op_class::conv);
        CHECK(w.macs == 28901376);     // 56 * 56 * 128 filters * 9 taps * 8 channels per group
        CHECK(w.r == 72);              // reduction per output: 9 taps * 8 channels
        CHECK(w.k == 128);
        CHECK(w.rows == 56);
        CHECK(w.param_bytes == 9728);  // 9 * 8 * 128 int8 weights + 128 int32 biases
    }
    SECTION("stride 2, 28x28x96 -> 96, 5x5, 6 groups of 16") {
        const auto n = grouped_conv(28, 96, 96, 5, 6, 2);
        const auto w = hw::work_of(n, 1);
        CHECK(w.macs == 14 * 14 * 96 * 25 * 16);
        CHECK(w.r == 400);
        CHECK(w.param_bytes == 25 * 16 * 96 + 4 * 96);
    }
    SECTION("one channel per group is priced as depthwise (channel multiplier 4)") {
        const auto n = grouped_conv(14, 32, 128, 3, 32);
        const auto w = hw::work_of(n, 1);
        CHECK(w.cls == hw::op_class::depthwise);
        CHECK(w.macs == 14 * 14 * 128 * 9);
        CHECK(w.r == 9);
    }
    SECTION("the systolic array runs the groups as sequential GEMMs of one group each") {
        const hw::systolic_array a(*hw::targets::parse_systolic("systolic-32x32-ws"));
        const auto g4 = grouped_conv(56, 32, 128, 3, 4);
        const auto one = hw_test::single_conv(56, 8, 32, 3);  // one group: 8 channels in, 32 filters
        CHECK(a.op_cycles(g4, 1) == 4 * (a.op_cycles(one, 1) + 1) - 1);
    }
}

TEST_CASE("Every target prices sampled edgetpu_v2 networks (GC-IBN blocks)", "[hw]") {
    const auto& s = space::find_space("edgetpu_v2");
    rng g(21);
    std::vector<graph::network> nets;
    for (int i = 0; i < 3; ++i) nets.push_back(s.decode(s.sample(g), s.deployment.shape(), s.deployment.classes));
    auto names = hw::targets::names();
    names.push_back("systolic-64x64-ws");
    for (const auto& t : names)
        for (const char* est : {"sim", "apm"}) {
            const auto m = hw::make_target(t, est);
            for (const auto& n : nets) {
                const double sec = m.seconds(n);
                INFO(t << " " << est);
                CHECK(std::isfinite(sec));
                CHECK(sec > 0);
            }
        }
}
