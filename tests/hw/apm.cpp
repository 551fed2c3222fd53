// The APM with its shipped ceilings: fitted to the shipped configs (a config change that makes them
// stale fails here), one formula for the report and the totals, and per-op fields that mean what
// the simulator's mean.
#include <accelnas/app/apm_check.hpp>
#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <tuple>
#include <string>
#include <vector>

using namespace accelnas;

namespace {
const std::vector<std::string> edgetpu_targets{"coral-usb", "coral-devboard", "coral-latbench", "pixel4-edgetpu"};
}

TEST_CASE("apm: the shipped ceilings fit the shipped configs (refit: example_hw_accuracy --fit-ceilings)", "[hw][apm]") {
    // A sample the shipped ceilings were not fitted on (their sample is seed app::apm_fit_seed).
    const auto nets = app::random_edgetpu_networks(4242, 24);
    for (const auto& t : edgetpu_targets) {
        const auto cfg = hw::targets::edgetpu(t);
        const auto sim = app::simulated_seconds(cfg, nets);
        const auto shipped_k = hw::targets::apm_ceilings_of(t);
        auto errors = [&](const hw::apm_ceilings& k) {
            std::vector<double> a;
            const hw::apm m(cfg, k);
            for (const auto& n : nets) a.push_back(m.seconds(n));
            return summarize_errors(a, sim);
        };
        const auto shipped = errors(shipped_k);
        // Ceilings refitted on this very sample can only do better on it; stale ceilings (a config
        // changed, the factors did not) do much worse than such a refit.
        const auto refit = errors(hw::fit_apm_ceilings(cfg, nets, sim, shipped_k));
        INFO(t << ": shipped ceilings RMSE " << shipped.rmse * 1e6 << " us (Spearman " << shipped.spearman
               << "), refitted on this sample " << refit.rmse * 1e6
               << " us; if the config changed, refit with example_hw_accuracy --fit-ceilings and update"
                  " hw::targets::apm_ceilings_of");
        CHECK(shipped.rmse <= 1.2 * refit.rmse + 2e-6);
        CHECK(shipped.rmse <= 100e-6);
        CHECK(shipped.spearman >= 0.98);
    }
    CHECK_THROWS_WITH(hw::targets::apm_ceilings_of("tpu9"), Catch::Contains("tpu9"));
}

TEST_CASE("apm: report and totals are bit-identical with the shipped ceilings", "[hw][apm]") {
    std::vector<graph::network> nets;
    for (const char* m : {"efficientnet_edgetpu_s", "mobilenet_v2", "resnet50_v1", "mobilenet_v3_large", "inception_v1"})
        nets.push_back(zoo::build(m));
    for (auto& n : app::random_edgetpu_networks(77, 12)) nets.push_back(std::move(n));
    for (const auto& t : edgetpu_targets) {
        const hw::apm apm(hw::targets::edgetpu(t), hw::targets::apm_ceilings_of(t));
        const auto any = hw::make_target(t, "apm");
        for (const auto& n : nets) {
            INFO(t << " " << n.name());
            const double total = apm.estimate(n).total_seconds;
            CHECK(apm.seconds(n) == total);
            CHECK(apm.seconds(hw::compact_network(n)) == total);
            CHECK(any.seconds(n) == total);  // make_target uses the shipped ceilings
        }
    }
}

TEST_CASE("apm: limiter and utilization have the simulator's meaning on whole networks", "[hw][apm]") {
    for (const char* model : {"efficientnet_edgetpu_s", "mobilenet_v2"}) {
        const auto net = zoo::build(model);
        const auto cfg = hw::targets::coral_usb();
        const double peak = static_cast<double>(cfg.peak_macs_per_cycle());
        const auto rs = hw::make_target("coral-usb", "sim").estimate(net);
        const auto ra = hw::make_target("coral-usb", "apm").estimate(net);
        REQUIRE(rs.ops.size() == ra.ops.size());
        std::size_t same_bound = 0, mac_ops = 0;
        double util_gap = 0;
        for (std::size_t i = 0; i < rs.ops.size(); ++i) {
            const auto &s = rs.ops[i], &a = ra.ops[i];
            INFO(model << " op " << s.name);
            REQUIRE(s.name == a.name);
            CHECK(s.macs == a.macs);
            // utilization = achieved MACs / (peak x the op's span), in both
            for (const auto* o : {&s, &a}) {
                CHECK(o->utilization >= 0);
                CHECK(o->utilization <= 1);
                if (o->cycles > 0)
                    CHECK(o->utilization == Approx(std::min(1.0, static_cast<double>(o->macs) / (peak * static_cast<double>(o->cycles)))));
            }
            same_bound += s.bound == a.bound;
            if (s.macs > 0) {
                ++mac_ops;
                util_gap += std::abs(s.utilization - a.utilization);
            }
        }
        // Two independent models of one device: the same limiter on most ops, and utilizations
        // that differ little on average.
        INFO(model << ": same limiter on " << same_bound << " of " << rs.ops.size() << " ops, mean utilization gap "
                   << util_gap / static_cast<double>(mac_ops));
        CHECK(static_cast<double>(same_bound) >= 0.7 * static_cast<double>(rs.ops.size()));
        CHECK(util_gap / static_cast<double>(mac_ops) <= 0.1);
    }
}

namespace {
// The compiler's split of a pointwise conv, by brute force over every divisor of the tiles (the
// documented rule: fewest positions per block through the busiest tile, then fewest weight blocks,
// ties to more row slices), and its compute ceiling: blocks x positions per block.
std::int64_t pointwise_compute_cycles(const hw::edgetpu_config& c, std::int64_t rows, std::int64_t width, std::int64_t cin,
                                      std::int64_t filters) {
    auto up = [](std::int64_t a, std::int64_t b) { return (a + b - 1) / b; };
    std::int64_t best_pos = -1, best_kb = 0, best_rows_t = 0;
    for (std::int64_t ts = c.tiles; ts >= 1; --ts) {
        if (c.tiles % ts != 0) continue;
        const std::int64_t kb = up(up(filters, c.tiles / ts), c.lanes_per_cell), rows_t = up(rows, ts);
        if (best_pos < 0 || kb * rows_t < best_pos || (kb * rows_t == best_pos && kb < best_kb)) {
            best_pos = kb * rows_t;
            best_kb = kb;
            best_rows_t = rows_t;
        }
    }
    return best_kb * up(cin, c.cells_per_tile) * (best_rows_t * width + c.pass_overhead_cycles);
}
}  // namespace

TEST_CASE("apm: a lone pointwise conv costs its hand-computed compute ceiling, at any size and array", "[hw][apm]") {
    // A device whose memories and network are so fast that every other ceiling is one cycle, with
    // no set-up: the op costs its compute ceiling plus the first weight block's one cycle. Sizes
    // around 2^16 rows or lane blocks cover both ways the APM searches the split.
    struct shape {
        std::int64_t rows, width, cin, filters;
    };
    const std::vector<shape> shapes{{56, 56, 24, 144}, {7, 7, 960, 1280}, {1, 1, 1280, 1001}, {28, 28, 40, 6},
                                    {3, 5, 8, 300000},  {70000, 1, 1, 8},  {65535, 1, 2, 262140}, {9, 3, 100, 17}};
    for (auto [tiles, lanes, cells] : {std::tuple{16, 4, 64}, {16, 16, 64}, {8, 4, 32}, {12, 3, 48}, {1, 1, 1}}) {
        auto cfg = hw::targets::coral_usb();
        cfg.name = "fast-memories";
        cfg.tiles = tiles;
        cfg.lanes_per_cell = lanes;
        cfg.depthwise_lanes = 1;
        cfg.cells_per_tile = cells;
        cfg.tile_bytes_per_cycle = 1 << 20;
        cfg.sram_bytes_per_cycle = 1 << 24;
        cfg.tile_memory_bytes = std::int64_t{1} << 36;
        cfg.param_cache_bytes = std::int64_t{1} << 40;
        cfg.op_overhead_cycles = 0;
        for (const std::int64_t pass : {0, 3}) {
            cfg.pass_overhead_cycles = pass;
            const hw::apm apm(cfg);
            for (const auto& s : shapes) {
                graph::network net("pointwise");
                net.conv2d(net.input({1, s.rows, s.width, s.cin}), {.filters = s.filters, .kernel = 1});
                INFO(tiles << " tiles x " << lanes << " lanes, pass overhead " << pass << ": " << s.rows << "x" << s.width
                           << "x" << s.cin << " -> " << s.filters);
                const auto r = apm.estimate(net);
                REQUIRE(r.ops.size() == 1);
                CHECK(r.ops[0].cycles == pointwise_compute_cycles(cfg, s.rows, s.width, s.cin, s.filters) + 1);
                CHECK(apm.seconds(net) == r.total_seconds);
                CHECK(apm.seconds(hw::compact_network(net)) == r.total_seconds);
            }
        }
    }
}

TEST_CASE("apm: every op of a long chain of identical convolutions costs what one of them costs", "[hw][apm]") {
    // The APM prices MAC ops in batches of several side by side: 1 to 150 identical ops (batches full,
    // partly filled and padded) must each cost what the lone op costs, on every target.
    for (const auto& t : edgetpu_targets) {
        const hw::apm apm(hw::targets::edgetpu(t), hw::targets::apm_ceilings_of(t));
        auto chain = [](int length) {
            graph::network net("chain");
            auto x = net.input({1, 28, 28, 32});
            for (int i = 0; i < length; ++i) x = net.conv2d(x, {.filters = 32, .kernel = 3, .groups = i % 2 == 0 ? 1 : 32});
            return net;
        };
        const auto one = apm.estimate(chain(2));
        REQUIRE(one.ops.size() == 2);
        for (const int length : {1, 3, 4, 5, 63, 64, 65, 150}) {
            INFO(t << ", " << length << " ops");
            const auto r = apm.estimate(chain(length));
            REQUIRE(r.ops.size() == static_cast<std::size_t>(length));
            for (std::size_t i = 0; i < r.ops.size(); ++i) {
                CHECK(r.ops[i].cycles == one.ops[i % 2].cycles);
                CHECK(r.ops[i].bound == one.ops[i % 2].bound);
            }
            CHECK(apm.seconds(chain(length)) == r.total_seconds);
        }
    }
}

TEST_CASE("apm: a cycle count beyond 64 bits is an error, not a wrapped number", "[hw][apm]") {
    // 2^62 MACs on a one-MAC array with the compute ceiling scaled up: more cycles than 2^62.
    auto cfg = hw::targets::coral_usb();
    cfg.name = "one-mac";
    cfg.tiles = cfg.cells_per_tile = cfg.lanes_per_cell = cfg.depthwise_lanes = 1;
    hw::apm_ceilings k;
    k.compute = 4;
    const hw::apm apm(cfg, k);
    graph::network net("huge");
    net.conv2d(net.input({1, std::int64_t{1} << 20, std::int64_t{1} << 20, 1024}), {.filters = 4096, .kernel = 1});
    CHECK_THROWS_WITH(apm.seconds(net), Catch::Contains("overflowed"));
    CHECK_THROWS_WITH(apm.estimate(net), Catch::Contains("overflowed"));
}
