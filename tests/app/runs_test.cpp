// The runs behind accelnas-calibrate, accelnas-search and accelnas-train (app/calibration.hpp,
// app/search_run.hpp, app/training.hpp, app/proxy.hpp).

#include <accelnas/app/calibration.hpp>
#include <accelnas/app/proxy.hpp>
#include <accelnas/app/search_run.hpp>
#include <accelnas/app/training.hpp>
#include <accelnas/graph/json.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace accelnas;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& leaf) {
    const auto d = fs::path(ACCELNAS_BINARY_DIR) / "app_runs_test" / leaf;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("calibration: measurement rows become networks of the target", "[app]") {
    namespace cal = app::calibration;
    CHECK(cal::split_commas("a,,b,") == std::vector<std::string>{"a", "b"});
    const auto d = scratch("calibration");
    const auto csv = (d / "m.csv").string();
    std::ofstream(csv) << "# measured\ntarget,model,input,latency_ms\ncoral-usb,mobilenet_v2,160,2.5\n"
                          "pixel4-cpu,mobilenet_v2,224,20\ncoral-usb,mnasnet_a1,224,4\n";
    const auto rows = cal::load_rows(csv, "coral-usb");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].label == "mobilenet_v2@160");
    CHECK(rows[0].seconds == Approx(0.0025));
    CHECK(rows[0].net.input_shape() == graph::tensor_shape{1, 160, 160, 3});
    CHECK(rows[1].label == "mnasnet_a1@224");
    CHECK(rows[1].net.input_shape() == graph::tensor_shape{1, 224, 224, 3});
    CHECK_THROWS_WITH(cal::load_rows(csv, "coral-devboard"), "measurements '" + csv + "': no rows for target 'coral-devboard'");
    std::ofstream(d / "bad.csv") << "target,model,input,latency_ms\ncoral-usb,no_such_net,224,3\n";
    CHECK_THROWS_WITH(cal::load_rows((d / "bad.csv").string(), "coral-usb"),
                      Catch::StartsWith("measurements '" + (d / "bad.csv").string() + "' line 2: unknown zoo model 'no_such_net'"));

    const auto o = cal::parse_order("mobilenet_edgetpu<mobilenet_v2", 0.06);
    CHECK(o.faster.name() == "mobilenet_edgetpu");
    CHECK(o.slower.name() == "mobilenet_v2");
    CHECK(o.margin == 0.06);
    CHECK_THROWS_WITH(cal::parse_order("a<b<c", 0.05), Catch::StartsWith("--order 'a<b<c': expected FASTER<SLOWER"));
    CHECK_THROWS_WITH(cal::parse_order("mobilenet_v2<mobilenet_v9", 0.05),
                      Catch::StartsWith("--order 'mobilenet_v2<mobilenet_v9': model spec 'mobilenet_v9'"));

    // the defaults are the shipped recipes (docs/hw.md, "Calibration"): what each target's rows determine
    CHECK(cal::default_parameters("pixel4-cpu", hw::targets::pixel4_cpu(), false) == "conv_macs_per_second,pointwise_macs_per_second");
    CHECK(cal::default_parameters("coral-usb", hw::targets::coral_usb(), false) == "host_bytes_per_second,inference_overhead_seconds");
    CHECK(cal::default_parameters("coral-devboard", hw::targets::coral_devboard(), false) == "host_bytes_per_second");
    CHECK(cal::default_parameters("pixel4-edgetpu", hw::targets::pixel4_edgetpu(), false) == "clock_hz");
    CHECK(cal::default_parameters("coral-latbench", hw::targets::coral_latbench(), true) ==
          "op_overhead_cycles,pool_overhead_cycles,vector_overhead_cycles,inference_overhead_seconds,tile_bytes_per_cycle,"
          "pass_overhead_cycles,sram_bytes_per_cycle");
}

TEST_CASE("calibration: the start config is checked against the target", "[app]") {
    namespace cal = app::calibration;
    const auto d = scratch("start");
    const auto tpu = (d / "tpu.json").string();
    hw::write_config(tpu, hw::targets::coral_usb());
    cal::settings s;
    s.target = "pixel4-cpu";
    s.config_path = tpu;
    CHECK_THROWS_WITH(cal::start_config(s), "--config: target 'pixel4-cpu' needs a cpu config, got an edgetpu one");
    s.target = "coral-devboard";
    CHECK(std::get<hw::edgetpu_config>(cal::start_config(s)).host_bytes_per_second == hw::targets::coral_usb().host_bytes_per_second);
    s.config_path.clear();
    CHECK(std::get<hw::edgetpu_config>(cal::start_config(s)).host_bytes_per_second ==
          hw::targets::coral_devboard().host_bytes_per_second);
    // A partial file overrides the target's shipped config: the keys it leaves out keep
    // coral-latbench's values (which differ from the library defaults), not the defaults.
    const auto part = (d / "partial.json").string();
    std::ofstream(part) << R"({"schema": "accelnas.hw_config", "kind": "edgetpu", "clock_hz": 400e6})";
    s.target = "coral-latbench";
    s.config_path = part;
    const auto latbench = hw::targets::coral_latbench();
    REQUIRE(latbench.op_overhead_cycles != hw::edgetpu_config{}.op_overhead_cycles);
    REQUIRE(latbench.overlap_branch_setup != hw::edgetpu_config{}.overlap_branch_setup);
    const auto started = std::get<hw::edgetpu_config>(cal::start_config(s));
    CHECK(started.clock_hz == 400e6);
    CHECK(started.op_overhead_cycles == latbench.op_overhead_cycles);
    CHECK(started.overlap_branch_setup == latbench.overlap_branch_setup);
    CHECK(started.tile_bytes_per_cycle == latbench.tile_bytes_per_cycle);
    s.config_path.clear();
    s.target = "systolic-8x8-ws";
    CHECK_THROWS_WITH(cal::start_config(s), Catch::StartsWith("target 'systolic-8x8-ws' has no free parameters to fit"));

    // A fit end to end on three rows of a hand-made device: only the fixed overhead is free, so the
    // fit must find the 1 ms the rows were offset by.
    const auto csv = (d / "m.csv").string();
    hw::cpu_config truth = hw::targets::pixel4_cpu();
    truth.inference_overhead_seconds = 1e-3;
    const hw::mobile_cpu m(truth);
    std::ofstream f(csv);
    f << "target,model,input,latency_ms\n";
    for (const char* n : {"mobilenet_v2", "mnasnet_a1", "mobilenet_v1"}) f << "pixel4-cpu," << n << ",224," << m.seconds(zoo::build(n)) * 1e3 << "\n";
    f.close();
    cal::settings fit;
    fit.target = "pixel4-cpu";
    fit.measurements = csv;
    fit.params = "inference_overhead_seconds";
    fit.options.holdout = 0;
    std::ostringstream out;
    const auto fitted = std::get<hw::cpu_config>(cal::run(fit, out));
    CHECK(fitted.inference_overhead_seconds == Approx(1e-3).epsilon(1e-3));
    // The shipped Pixel 4 CPU starts at 0.1 ms of fixed overhead.
    CHECK(out.str().rfind("parameter                            before          after\n"
                          "inference_overhead_seconds           0.0001 ", 0) == 0);
}

TEST_CASE("search run: pricing, default latency targets, the journal config, outputs", "[app]") {
    namespace run = app::search_run;
    const auto prices = run::price_on({"coral-usb", "pixel4-cpu"}, "apm");
    CHECK(prices.cache_bytes == std::vector<double>{8.0 * 1024 * 1024, 0.0});
    const auto& sp = space::find_space("edgetpu");
    // The default target is EfficientNet-EdgeTPU-S (the space's known point) at the deployment input:
    // the zoo model with ImageNet's 1000 classes.
    const auto [targets_s, from] = run::default_latency_targets(sp, prices);
    CHECK(from == "efficientnet_edgetpu_s");
    REQUIRE(targets_s.size() == 2);
    CHECK(targets_s[0] == hw::make_target("coral-usb", "apm").seconds(zoo::build("efficientnet_edgetpu_s", {.classes = 1000})));
    CHECK(run::ms(0.0044805) == "4.481");

    run::settings s;
    s.reward.name = "tunas";
    s.quality = "none";
    const auto c = run::config_of(s, {0.004});
    CHECK(c["tunas_beta"] == -0.5);
    CHECK_FALSE(c.contains("alpha_beta"));
    CHECK_FALSE(c.contains("proxy"));
    CHECK(c["latency_targets_s"] == nlohmann::json::array({0.004}));

    // A latency-only search end to end: files written, summary printed, a second run refuses the folder.
    const auto d = scratch("search");
    run::settings r;
    r.quality = "none";
    r.budget = 3;
    r.threads = 1;
    r.estimator = "apm";
    r.out = (d / "out").string();
    std::ostringstream out, log;
    CHECK(run::run(r, out, log, false));
    for (const char* f : {"journal", "results.csv", "results.json", "pareto.svg", "best.json"})
        CHECK(fs::file_size(d / "out" / f) > 0);
    CHECK(nlohmann::json::parse(slurp(d / "out" / "best.json"))["evaluated"] == 3);
    CHECK(out.str().rfind("accelnas-search: 3 candidates (0 from the journal, 0 failed) in ", 0) == 0);
    CHECK_THROWS_WITH(run::run(r, out, log, false), Catch::Contains("holds a search already"));
    r.out = (d / "missing").string();
    r.resume = true;
    CHECK_THROWS_WITH(run::run(r, out, log, false), Catch::Contains("does not exist (nothing to resume)"));
    CHECK_FALSE(fs::exists(d / "missing"));
    r.resume = false;
    r.budget = 0;
    CHECK_THROWS_WITH(run::run(r, out, log, false), "--budget must be at least 1, got 0");
    CHECK_FALSE(fs::exists(d / "missing"));  // nothing written before the arguments are checked
}

TEST_CASE("proxy task: the proxy network and the step seeds", "[app]") {
    const auto& sp = space::find_space("edgetpu");
    app::proxy_options o;
    const auto net = app::proxy_network(sp, sp.parse(space::efficientnet_edgetpu_s_text), o);
    CHECK(net.input_shape() == graph::tensor_shape{1, 32, 32, 1});
    CHECK(net.ops().back().out.c == 10);
    CHECK(app::step_seed(1, 0) != app::step_seed(1, 1));
    CHECK(app::step_seed(1, 5) == app::step_seed(1, 5));
    o.resolution = 16;
    CHECK_THROWS_WITH(app::validate(o), Catch::StartsWith("proxy: resolution must be at least 28"));
}

TEST_CASE("proxy task: pinned GEMM cache sizes are checked and kept in the journal config only when set", "[app]") {
    namespace run = app::search_run;
    run::settings s;
    s.reward.name = "tunas";
    // the CPU's own sizes (the default): no key, so journals written before the option still resume
    CHECK_FALSE(run::config_of(s, {0.004})["proxy"].contains("gemm_cache_sizes"));
    s.proxy.gemm_caches = {32768, 1048576, 33554432};
    CHECK(run::config_of(s, {0.004})["proxy"]["gemm_cache_sizes"] == nlohmann::json::array({32768, 1048576, 33554432}));
    CHECK_NOTHROW(app::validate(s.proxy));
    s.quality = "none";  // nothing is trained: no proxy config at all
    CHECK_FALSE(run::config_of(s, {0.004}).contains("proxy"));
    // bad sizes fail the proxy options' check (before any output), naming the size
    s.proxy.gemm_caches = {512, 1048576, 33554432};
    CHECK_THROWS_WITH(app::validate(s.proxy), "gemm cache sizes: L1 = 512 bytes, must be in [1024, 2^40]");
    s.proxy.gemm_caches = {32768, 16384, 33554432};
    CHECK_THROWS_WITH(app::validate(s.proxy), Catch::StartsWith("gemm cache sizes: L1 32768 <= L2 16384"));
}

TEST_CASE("training: names, result object, checkpoints written whole", "[app]") {
    namespace tr = app::training;
    CHECK(std::holds_alternative<train::sgd>(tr::optimizer_by_name("sgd", 0.9, 0)));
    CHECK(std::get<train::sgd>(tr::optimizer_by_name("sgd", 0.9, 0)).nesterov);
    CHECK(std::holds_alternative<train::adam>(tr::optimizer_by_name("adam", 0.9, 0)));
    CHECK_THROWS_WITH(tr::optimizer_by_name("lion", 0.9, 0), "--optimizer: unknown optimizer 'lion' (expected sgd, rmsprop or adam)");
    CHECK(tr::init_by_name("torch_default") == train::init_scheme::torch_default);
    CHECK_THROWS_WITH(tr::init_by_name("zeros"), "--init: unknown scheme 'zeros' (expected variance_scaling or torch_default)");
    train::fit_result r;
    r.test_acc = 0.75;
    r.epochs = 2;
    r.history.resize(2);
    r.history[0].test_acc = 0.5;
    r.history[1].test_acc = 0.75;
    const auto j = tr::result_json(r);
    CHECK(j["test_acc"] == 0.75);
    CHECK(j["test_acc_int8"].is_null());
    CHECK(j["test_acc_per_epoch"] == nlohmann::json::array({0.5, 0.75}));

    const auto net = train::adapt_network(graph::load_network(std::string(ACCELNAS_SOURCE_DIR) + "/examples/specs/peer_mbconv.json"), 32, 1, 10);
    rng g(3);
    train::model m(net, g, {});
    const auto d = scratch("checkpoint");
    tr::save_checkpoint(m, (d / "a.ckpt").string());
    m.save((d / "b.ckpt").string());
    CHECK(slurp(d / "a.ckpt") == slurp(d / "b.ckpt"));
    CHECK_THROWS_WITH(tr::save_checkpoint(m, (d / "no" / "c.ckpt").string()),
                      Catch::StartsWith("cannot write '" + (d / "no" / "c.ckpt").string() + "'"));
}
