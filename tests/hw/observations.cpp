// The paper's observations (reference/edgetpu_facts.md), on the simulator (and the APM where it holds),
// and the shipped configs' accuracy against the measured latencies in reference/*.csv.
#include <accelnas/hw.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <string>

using namespace accelnas;
using graph::activation;
using graph::network;

namespace {

// Device time of a network's ops (host I/O and per-inference overhead excluded): what a per-layer
// measurement on the device shows.
double device_seconds(const hw::latency_report& r) {
    double s = 0;
    for (const auto& o : r.ops) s += o.seconds;
    return s;
}

network ibn_block(std::int64_t hw, std::int64_t cin, std::int64_t expand, std::int64_t cout, bool fused) {
    network n(fused ? "fused" : "ibn");
    auto x = n.input({1, hw, hw, cin});
    if (fused) graph::blocks::fused_ibn(n, x, {.expanded = cin * expand, .out = cout, .kernel = 3});
    else graph::blocks::ibn(n, x, {.expanded = cin * expand, .out = cout, .kernel = 3});
    return n;
}

network conv(std::int64_t hw, std::int64_t cin, std::int64_t cout, int k) {
    network n("conv");
    auto x = n.input({1, hw, hw, cin});
    n.conv2d(x, {.filters = cout, .kernel = k, .act = activation::relu});
    return n;
}

std::vector<hw::any_accelerator> both(const std::string& target) {
    return {hw::make_target(target, "sim"), hw::make_target(target, "apm")};
}

}  // namespace

TEST_CASE("(a) fused IBN beats IBN on an early-layer shape and is >2x slower on a late one", "[hw][paper]") {
    for (const auto& m : both("coral-usb")) {
        INFO(m.estimate(conv(8, 8, 8, 1)).estimator);
        // Early: 112x112 with a shallow 16-channel input, expansion 4.
        const auto early_fused = device_seconds(m.estimate(ibn_block(112, 16, 4, 16, true)));
        const auto early_ibn = device_seconds(m.estimate(ibn_block(112, 16, 4, 16, false)));
        CHECK(early_fused < early_ibn);
        // ... although the fused block has more parameters and MACs.
        CHECK(graph::cost_of(ibn_block(112, 16, 4, 16, true)).params > graph::cost_of(ibn_block(112, 16, 4, 16, false)).params);
        // Late: 7x7 with a deep 160-channel input, expansion 6.
        const auto late_fused = device_seconds(m.estimate(ibn_block(7, 160, 6, 160, true)));
        const auto late_ibn = device_seconds(m.estimate(ibn_block(7, 160, 6, 160, false)));
        CHECK(late_fused > 2.0 * late_ibn);
    }
}

TEST_CASE("(b) 5x5 vs 3x3 costs >= 2.5x on deep inputs and <= 1.4x on shallow-input, deep-output shapes", "[hw][paper]") {
    for (const auto& m : both("coral-usb")) {
        INFO(m.estimate(conv(8, 8, 8, 1)).estimator);
        auto ratio = [&](std::int64_t hw, std::int64_t cin, std::int64_t cout) {
            return device_seconds(m.estimate(conv(hw, cin, cout, 5))) / device_seconds(m.estimate(conv(hw, cin, cout, 3)));
        };
        CHECK(ratio(14, 192, 192) >= 2.5);
        // The shape class: shallow input depth, deep output depth, over several depths and sizes.
        // Input depths 1 and 2 fit both kernels' reductions (25 x 2 = 50 of 64 cells) in one pass:
        // at most 1.4x for 2.78x the MACs and weights.
        for (std::int64_t hw : {28, 56, 112})
            for (std::int64_t cout : {64, 192})
                for (std::int64_t cin : {1, 2}) {
                    INFO(hw << "x" << hw << "x" << cin << " -> " << cout);
                    CHECK(ratio(hw, cin, cout) <= 1.4);
                }
        // Depths 3 to 8 need twice the passes for 5x5 (75-200 reduction elements against 27-72):
        // still well below the MAC ratio; deep inputs (64 and more) pay it in full.
        for (std::int64_t cin : {3, 4, 8}) {
            INFO(cin);
            CHECK(ratio(56, cin, 192) < 2.1);
        }
        for (std::int64_t cin : {64, 192}) {
            INFO(cin);
            CHECK(ratio(56, cin, 192) >= 2.5);
        }
        // The MACs and parameters grow 25/9 = 2.78x in every case.
        CHECK(graph::cost_of(conv(112, 1, 64, 5)).macs * 9 == graph::cost_of(conv(112, 1, 64, 3)).macs * 25);
    }
}

TEST_CASE("(c) on coral-usb EfficientNet-EdgeTPU-S is >= 8x faster than ResNet-50, not 8x smaller", "[hw][paper]") {
    const auto es = zoo::build("efficientnet_edgetpu_s"), rn = zoo::build("resnet50_v1");
    const double mac_ratio = static_cast<double>(graph::cost_of(rn).macs) / static_cast<double>(graph::cost_of(es).macs);
    CHECK(mac_ratio < 8.0);
    for (const auto& m : both("coral-usb")) {
        INFO(m.estimate(es).estimator);
        const auto res = m.estimate(rn);
        CHECK(res.total_seconds >= 8.0 * m.seconds(es));
        CHECK(res.param_bytes_streamed > 0);  // why: ResNet-50's 25 MB of weights do not fit the cache
        CHECK(m.estimate(es).param_bytes_streamed == 0);
    }
}

TEST_CASE("(d) CPU half: MobilenetEdgeTPU is slower than MobileNetV2/V3 on the Pixel 4 CPU", "[hw][paper]") {
    const auto me = zoo::build("mobilenet_edgetpu"), v2 = zoo::build("mobilenet_v2"),
               v3 = zoo::build("mobilenet_v3_large_minimalistic");
    const auto cpu = hw::make_target("pixel4-cpu");
    CHECK(cpu.seconds(me) > cpu.seconds(v2));
    CHECK(cpu.seconds(me) > cpu.seconds(v3));
    // The contrast: relative to MobileNetV2, MobilenetEdgeTPU costs far less on the Edge TPU than on the CPU.
    for (const auto& m : both("pixel4-edgetpu"))
        CHECK(m.seconds(me) / m.seconds(v2) < 0.5 * cpu.seconds(me) / cpu.seconds(v2));
}

TEST_CASE("(d) TPU half: MobilenetEdgeTPU beats MobileNetV3-Large on the Pixel 4 Edge TPU, yet not on its CPU", "[hw][paper]") {
    // MobileNetV3-Large (219 M MACs) uses hard-swish, which the Edge TPU compiler does not map: from
    // its first hard-swish conv on, the network runs on the phone's CPU.
    const auto me = zoo::build("mobilenet_edgetpu"), v3 = zoo::build("mobilenet_v3_large");
    for (const auto& m : both("pixel4-edgetpu")) {
        CHECK(m.seconds(me) < m.seconds(v3));
        CHECK(m.estimate(v3).host_seconds > 0);
    }
    CHECK(hw::make_target("pixel4-cpu").seconds(me) > hw::make_target("pixel4-cpu").seconds(v3));
}

TEST_CASE("(d) TPU half: the Coral chip at the Pixel 4's fitted clock does not put MobilenetEdgeTPU ahead of V2", "[hw][paper]") {
    // pixel4-edgetpu is the Coral chip with its clock fitted on three rows and no ordering
    // (docs/hw.md, "pixel4-edgetpu"). What follows of (d) is the relative half (above: MobilenetEdgeTPU
    // costs far less against MobileNetV2 on the Edge TPU than on the CPU) and the V3-Large ordering;
    // the absolute orderings against MobileNetV2 and V3-minimalistic (3.3x and 4.7x fewer MACs) do
    // not: the Coral array, four lanes per cell, prices MobilenetEdgeTPU's full convolutions by their
    // MACs. This records the finding so that a config change that turns it is noticed.
    const auto me = zoo::build("mobilenet_edgetpu"), v2 = zoo::build("mobilenet_v2"),
               v3 = zoo::build("mobilenet_v3_large_minimalistic");
    CHECK(graph::cost_of(me).macs > 3 * graph::cost_of(v2).macs);
    const hw::simulator sim(hw::targets::pixel4_edgetpu());
    CHECK(sim.seconds(me) > sim.seconds(v2));
    CHECK(sim.seconds(me) > sim.seconds(v3));
    CHECK(sim.seconds(me) < 1.5 * sim.seconds(v2));
}

TEST_CASE("pixel4-edgetpu: the Coral chip, phone memory, the clock fitted on its three rows", "[hw][accuracy]") {
    const auto p = hw::targets::pixel4_edgetpu(), coral = hw::targets::coral_usb();
    // Same Edge TPU IP: the array, the memories and every mechanism counted in cycles are Coral's.
    CHECK(p.tiles == 16);
    CHECK(p.cells_per_tile == 64);
    CHECK(p.peak_macs_per_cycle() == coral.peak_macs_per_cycle());
    CHECK(p.tile_memory_bytes == coral.tile_memory_bytes);
    CHECK(p.param_cache_bytes == coral.param_cache_bytes);
    CHECK(p.tile_bytes_per_cycle == coral.tile_bytes_per_cycle);
    CHECK(p.sram_bytes_per_cycle == coral.sram_bytes_per_cycle);
    CHECK(p.pass_overhead_cycles == coral.pass_overhead_cycles);
    CHECK(p.op_overhead_cycles == coral.op_overhead_cycles);
    // Every value calibration may move lies in its physical range on this device.
    for (const char* n : {"clock_hz", "host_bytes_per_second", "host_latency_seconds", "inference_overhead_seconds"}) {
        const auto fp = hw::edgetpu_free_parameter(n, "pixel4-edgetpu");
        INFO(n << " = " << fp.get(p));
        CHECK(fp.get(p) >= fp.lo);
        CHECK(fp.get(p) <= fp.hi);
    }
    const auto all = hw::read_measurements(std::string(ACCELNAS_REFERENCE_DIR) + "/edgetpu_measured_calibration.csv");
    std::vector<hw::calibration_row> rows;
    for (const auto& r : all)
        if (r.target == "pixel4-edgetpu") rows.push_back({zoo::build(r.network, {.resolution = r.input}), r.latency_ms * 1e-3, r.network});
    REQUIRE(rows.size() == 3);
    std::vector<hw::free_parameter<hw::edgetpu_config>> ps;
    ps.push_back(hw::edgetpu_free_parameter("clock_hz", "pixel4-edgetpu"));
    // The shipped clock is what the documented fit finds, started away from it (Coral's 250 MHz).
    auto start = p;
    start.clock_hz = 250e6;
    const auto res = hw::fit_config<hw::simulator>(start, ps, rows, {.holdout = 0.0, .max_evaluations = 40});
    CHECK(res.config.clock_hz == Approx(p.clock_hz).epsilon(0.01));
    const hw::simulator shipped(p), found(res.config);
    for (const auto& r : rows) {
        INFO(r.label);
        CHECK(found.seconds(r.net) == Approx(shipped.seconds(r.net)).epsilon(0.01));
        CHECK(std::abs(shipped.seconds(r.net) / r.seconds - 1) < 0.2);
    }
    // Each family left out (the clock fitted on the other's rows alone): its rows within 25%.
    for (const char* family : {"mobilenet", "efficientnet"}) {
        std::vector<hw::calibration_row> in, out;
        for (const auto& r : rows) (r.label.rfind(family, 0) == 0 ? out : in).push_back(r);
        REQUIRE((!in.empty() && !out.empty()));
        const auto fit = hw::fit_config<hw::simulator>(p, ps, in, {.holdout = 0.0, .max_evaluations = 40});
        const hw::simulator sim(fit.config);
        for (const auto& r : out) {
            INFO(family << " left out: " << r.label << " at " << fit.config.clock_hz << " Hz");
            CHECK(std::abs(sim.seconds(r.net) / r.seconds - 1) < 0.25);
        }
    }
}

TEST_CASE("(e) parameters beyond the cache show a latency cliff that MACs do not predict", "[hw][paper]") {
    // 16 1x1 convs at 7x7: widening 704 -> 768 channels raises MACs and params by 19% (7.98 MB ->
    // 9.48 MB of weights) and
    // pushes the weights past the 8 MiB cache.
    auto tower = [](std::int64_t c) {
        network n("tower");
        auto x = n.input({1, 7, 7, c});
        for (int i = 0; i < 16; ++i) x = n.conv2d(x, {.filters = c, .act = activation::relu});
        return n;
    };
    const auto lower = tower(640), below = tower(704), above = tower(768);
    const double mac_ratio = static_cast<double>(graph::cost_of(above).macs) / static_cast<double>(graph::cost_of(below).macs);
    CHECK(mac_ratio < 1.2);
    for (const auto& m : both("coral-usb")) {
        const auto rb = m.estimate(below), ra = m.estimate(above);
        INFO(rb.estimator);
        CHECK(rb.param_bytes_streamed == 0);
        CHECK(ra.param_bytes_streamed > 0);
        // Latency grows far faster than MACs across the cache size ...
        CHECK(ra.total_seconds / rb.total_seconds > 1.75 * mac_ratio);
        // ... and far faster than across the same widening below it: a cliff, not a slope.
        const double step_below = rb.total_seconds / m.seconds(lower);
        CHECK(ra.total_seconds / rb.total_seconds > 1.5 * step_below);
    }
}

TEST_CASE("LatBench: held-out Spearman >= 0.97 and >= 86% within 10% on coral-latbench (simulator)", "[hw][accuracy]") {
    const auto rows = hw::read_measurements(std::string(ACCELNAS_REFERENCE_DIR) + "/latbench_edgetpu_calibration.csv",
                                            "coral-latbench");
    REQUIRE(rows.size() == 2000);
    // The split accelnas-calibrate used for the shipped config (docs/hw.md): --holdout 0.5, default seed.
    const auto [fit, held] = hw::holdout_split(rows.size(), 0.5, 20261123);
    for (const auto& m : both("coral-latbench")) {
        std::vector<double> p, q;
        for (auto i : held) {
            p.push_back(m.seconds(zoo::nasbench201(rows[i].network, zoo::nb201_variant::latbench)));
            q.push_back(rows[i].latency_ms * 1e-3);
        }
        const auto s = summarize_errors(p, q);
        INFO(m.estimate(zoo::nasbench201(rows[0].network, zoo::nb201_variant::latbench)).estimator
             << ": spearman " << s.spearman << " within10 " << s.within10 << " median " << s.median_rel);
        CHECK(s.spearman >= 0.97);
        // The simulator is fitted to the measurements and held to the goal; the APM's ceilings are
        // fitted to the simulator on other networks, so it is held to a looser bound.
        const bool sim = m.estimate(zoo::nasbench201(rows[0].network, zoo::nb201_variant::latbench)).estimator == "sim";
        CHECK(s.within10 >= (sim ? 0.86 : 0.8));
    }
}

TEST_CASE("whole models: median relative error <= 20% for each target", "[hw][accuracy]") {
    const auto rows = hw::read_measurements(std::string(ACCELNAS_REFERENCE_DIR) + "/edgetpu_measured_calibration.csv");
    std::map<std::string, std::vector<const hw::measurement*>> by_target;
    for (const auto& r : rows) by_target[r.target].push_back(&r);
    CHECK(by_target.size() == 4);
    for (const auto& [target, ms] : by_target)
        for (const auto& m : both(target)) {
            std::vector<double> p, q;
            for (const auto* r : ms) {
                p.push_back(m.seconds(zoo::build(r->network, {.resolution = r->input})));
                q.push_back(r->latency_ms * 1e-3);
            }
            const auto s = summarize_errors(p, q);
            INFO(target << ": median " << s.median_rel << " p90 " << s.p90_rel);
            CHECK(s.median_rel <= 0.20);
        }
}

TEST_CASE("coral-devboard: whole models of a family left out of both Coral fits come out within 25%", "[hw][accuracy]") {
    // The Dev Board takes coral-usb's per-inference overhead (the same runtime) and fits only its link.
    // Leave the MobileNets (the family the Dev Board's old two-parameter refit priced at +29.8% and
    // +25.7%) out of both: coral-usb's link and overhead refitted without them, then the Dev Board's
    // link; both MobileNets priced by the result within 25% of their measured Dev Board latency.
    CHECK(hw::targets::coral_devboard().inference_overhead_seconds == hw::targets::coral_usb().inference_overhead_seconds);
    const auto all = hw::read_measurements(std::string(ACCELNAS_REFERENCE_DIR) + "/edgetpu_measured_calibration.csv");
    const auto rows = [&](const std::string& target, bool mobilenets) {
        std::vector<hw::calibration_row> out;
        for (const auto& r : all)
            if (r.target == target && (r.network.rfind("mobilenet", 0) == 0) == mobilenets)
                out.push_back({zoo::build(r.network, {.resolution = r.input}), r.latency_ms * 1e-3, r.network});
        return out;
    };
    const auto usb_fit = hw::fit_config<hw::simulator>(
        hw::targets::coral_usb(),
        {hw::edgetpu_free_parameter("host_bytes_per_second", "coral-usb"),
         hw::edgetpu_free_parameter("inference_overhead_seconds", "coral-usb")},
        rows("coral-usb", false), {.holdout = 0.0, .max_evaluations = 30});
    auto dev = hw::targets::coral_devboard();
    dev.inference_overhead_seconds = usb_fit.config.inference_overhead_seconds;
    const auto dev_fit = hw::fit_config<hw::simulator>(dev, {hw::edgetpu_free_parameter("host_bytes_per_second", "coral-devboard")},
                                                       rows("coral-devboard", false), {.holdout = 0.0, .max_evaluations = 20});
    const hw::simulator sim(dev_fit.config);
    const auto left_out = rows("coral-devboard", true);
    REQUIRE(left_out.size() == 2);
    for (const auto& r : left_out) {
        INFO(r.label << ": overhead " << dev_fit.config.inference_overhead_seconds << " s, link "
                     << dev_fit.config.host_bytes_per_second << " B/s");
        CHECK(std::abs(sim.seconds(r.net) / r.seconds - 1) < 0.25);
    }
}

TEST_CASE("bad input: measurement CSVs", "[hw][bad]") {
    const std::string dir = ACCELNAS_BINARY_DIR;
    auto write = [&](const std::string& name, const std::string& text) {
        const auto path = dir + "/hw_test_" + name + ".csv";
        std::ofstream(path) << text;
        return path;
    };
    CHECK_THROWS_WITH(hw::read_measurements(write("nolat", "target,model,input\ncoral-usb,mobilenet_v1,224\n")),
                      Catch::Contains("latency_ms"));
    CHECK_THROWS_WITH(hw::read_measurements(write("nomodel", "target,input,latency_ms\ncoral-usb,224,2.4\n")),
                      Catch::Contains("'model'"));
    CHECK_THROWS_WITH(hw::read_measurements(write("neg", "target,model,input,latency_ms\ncoral-usb,mobilenet_v1,224,-2\n")),
                      Catch::Contains("line 2") && Catch::Contains("positive"));
    CHECK_THROWS_WITH(hw::read_measurements(write("zero", "arch_str,latency_ms\n|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|,0\n")),
                      Catch::Contains("positive"));
    CHECK_THROWS_WITH(hw::read_measurements(write("text", "target,model,input,latency_ms\ncoral-usb,mobilenet_v1,224,fast\n")),
                      Catch::Contains("not a number"));
    CHECK_THROWS_WITH(hw::read_measurements(dir + "/no_such_file.csv"), Catch::Contains("cannot open"));
    CHECK_THROWS_WITH(hw::read_measurements(write("quote", "target,model,input,latency_ms\ncoral-usb,\"mobilenet_v1,224,2\n")),
                      Catch::Contains("line 2") && Catch::Contains("unterminated"));
    // Quoted fields (RFC 4180) and CRLF line endings are read like plain ones.
    const auto quoted = hw::read_measurements(write("quoted", "target,model,input,latency_ms,source\r\n"
                                                              "coral-usb,\"mobilenet_v1\",224,2.5,\"coral.ai, \"\"v2\"\"\"\r\n"));
    REQUIRE(quoted.size() == 1);
    CHECK(quoted[0].network == "mobilenet_v1");
    CHECK(quoted[0].input == 224);
    CHECK(quoted[0].latency_ms == 2.5);
    CHECK(quoted[0].source == "coral.ai, \"v2\"");
    // An unknown model is an error naming it when the rows are built.
    const auto rows = hw::read_measurements(write("unknown", "target,model,input,latency_ms\ncoral-usb,mobilenet_v9,224,2\n"));
    CHECK_THROWS_WITH(zoo::build(rows.at(0).network, {.resolution = rows[0].input}), Catch::Contains("mobilenet_v9"));
    // Calibration refuses rows without positive latencies and bad hold-out fractions.
    std::vector<hw::calibration_row> cal(1);
    cal[0].net = zoo::build("mobilenet_v1");
    cal[0].seconds = 0;
    cal[0].label = "mobilenet_v1";
    const std::vector<hw::free_parameter<hw::edgetpu_config>> ps{hw::edgetpu_free_parameter("clock_hz")};
    CHECK_THROWS_WITH(hw::fit_config<hw::apm>(hw::targets::coral_usb(), ps, cal), Catch::Contains("mobilenet_v1"));
    cal[0].seconds = 2e-3;
    CHECK_THROWS_WITH(hw::fit_config<hw::apm>(hw::targets::coral_usb(), ps, cal, {.holdout = 1.5}),
                      Catch::Contains("holdout"));
    CHECK_THROWS_WITH(hw::edgetpu_free_parameter("warp_factor"), Catch::Contains("warp_factor"));
    CHECK_THROWS_WITH(hw::edgetpu_physical_range("warp_factor", "coral-usb"), Catch::Contains("warp_factor"));
    CHECK_THROWS_WITH(hw::cpu_free_parameter("warp_factor"), Catch::Contains("warp_factor"));
}

TEST_CASE("calibration keeps every parameter inside its physical range on the target", "[hw]") {
    // The host link's range follows the target's link: USB 3.0 carries at most 500 MB/s of payload
    // (5 Gb/s, 8b/10b), phone LPDDR4X-4266 at most 34.1 GB/s.
    CHECK(hw::edgetpu_free_parameter("host_bytes_per_second", "coral-usb").hi == 500e6);
    CHECK(hw::edgetpu_free_parameter("host_bytes_per_second", "pixel4-edgetpu").hi == Approx(34.1e9));
    CHECK(hw::edgetpu_free_parameter("host_bytes_per_second", "pixel4-edgetpu").lo >= 1e9);
    // A device whose rows ask for a 2 GB/s "USB" link: the fit stops at the USB 3.0 ceiling.
    auto truth = hw::targets::coral_usb();
    truth.host_bytes_per_second = 2e9;
    const hw::apm dev(truth);
    std::vector<hw::calibration_row> rows;
    for (const char* m : {"resnet50_v1", "vgg16", "inception_v4"}) {
        const auto net = zoo::build(m);
        rows.push_back({net, dev.seconds(net), m});
    }
    const std::vector<hw::free_parameter<hw::edgetpu_config>> ps{hw::edgetpu_free_parameter("host_bytes_per_second", "coral-usb")};
    const auto res = hw::fit_config<hw::apm>(hw::targets::coral_usb(), ps, rows, {.holdout = 0.0, .max_evaluations = 200});
    CHECK(res.config.host_bytes_per_second <= 500e6);
    CHECK(res.config.host_bytes_per_second > 450e6);
}

TEST_CASE("calibration recovers planted mechanisms from synthetic measurements", "[hw]") {
    // Measurements made by a device whose host link is 300 MB/s and per-inference overhead 0.4 ms;
    // fitting from the shipped coral-usb values must find both again.
    auto truth = hw::targets::coral_usb();
    truth.host_bytes_per_second = 300e6;
    truth.inference_overhead_seconds = 0.4e-3;
    const hw::apm dev(truth);
    std::vector<hw::calibration_row> rows;
    for (const char* m : {"mobilenet_v1", "mobilenet_v2", "resnet50_v1", "inception_v1", "efficientnet_edgetpu_s", "vgg16"}) {
        hw::calibration_row r;
        r.net = zoo::build(m);
        r.seconds = dev.seconds(r.net);
        r.label = m;
        rows.push_back(std::move(r));
    }
    const std::vector<hw::free_parameter<hw::edgetpu_config>> ps{hw::edgetpu_free_parameter("host_bytes_per_second"),
                                                                  hw::edgetpu_free_parameter("inference_overhead_seconds")};
    const auto res = hw::fit_config<hw::apm>(hw::targets::coral_usb(), ps, rows, {.holdout = 0.0});
    CHECK(res.config.host_bytes_per_second == Approx(300e6).epsilon(0.02));
    CHECK(res.config.inference_overhead_seconds == Approx(0.4e-3).epsilon(0.05));
    CHECK(res.fit.median_rel < 0.01);
}
