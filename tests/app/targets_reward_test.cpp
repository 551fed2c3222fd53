// Targets and rewards by name (app/targets.hpp, app/reward.hpp).

#include <accelnas/app/reward.hpp>
#include <accelnas/app/targets.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace accelnas;

TEST_CASE("target lists for help texts come from hw::targets::names()", "[app]") {
    CHECK(app::named_target_list() == "coral-usb, coral-devboard, pixel4-edgetpu, coral-latbench, pixel4-cpu");
    CHECK(app::target_list() ==
          "coral-usb, coral-devboard, pixel4-edgetpu, coral-latbench, pixel4-cpu or systolic-<R>x<C>-<os|ws|is>");
    CHECK(app::edgetpu_target_list() == "coral-usb, coral-devboard, pixel4-edgetpu, coral-latbench");
}

TEST_CASE("a target's on-chip parameter memory comes from its config", "[app]") {
    // The Coral chip's 8 MiB parameter SRAM, which the Pixel 4 Edge TPU shares (the same chip,
    // docs/hw.md); no parameter store in the CPU and systolic descriptions.
    CHECK(app::on_chip_parameter_bytes(app::shipped_config("coral-usb")) == 8.0 * 1024 * 1024);
    CHECK(app::on_chip_parameter_bytes(app::shipped_config("pixel4-edgetpu")) == 8.0 * 1024 * 1024);
    CHECK(app::on_chip_parameter_bytes(app::shipped_config("pixel4-cpu")) == 0.0);
    CHECK(app::on_chip_parameter_bytes(app::shipped_config("systolic-16x8-os")) == 0.0);
    // A config edited by hand counts, not the target's name.
    hw::edgetpu_config c = hw::targets::coral_usb();
    c.param_cache_bytes = 1234;
    CHECK(app::on_chip_parameter_bytes(c) == 1234.0);
    CHECK(std::get<hw::systolic_config>(app::shipped_config("systolic-16x8-os")).rows == 16);
    CHECK_THROWS_WITH(app::shipped_config("tpu9"), Catch::StartsWith("unknown target 'tpu9' (expected one of: coral-usb,"));
}

TEST_CASE("config_for checks the kind of a config file instead of an unchecked std::get", "[app]") {
    const hw::device_config tpu = hw::targets::coral_usb();
    const hw::device_config cpu = hw::targets::pixel4_cpu();
    CHECK(app::config_for<hw::edgetpu_config>(tpu, "coral-usb", "--config").clock_hz == hw::targets::coral_usb().clock_hz);
    CHECK_THROWS_WITH(app::config_for<hw::cpu_config>(tpu, "pixel4-cpu", "--config"),
                      "--config: target 'pixel4-cpu' needs a cpu config, got an edgetpu one");
    CHECK_THROWS_WITH(app::config_for<hw::edgetpu_config>(cpu, "coral-usb", "--config"),
                      "--config: target 'coral-usb' needs an edgetpu config, got a cpu one");
}

TEST_CASE("rewards by name", "[app]") {
    search::evaluation e;
    e.accuracy = 0.5;
    e.latency = {0.002};  // twice the 1 ms target
    e.param_bytes = 1000;
    const std::vector<double> target{0.001}, cache{4000};
    app::reward_settings s;
    // MnasNet soft: 0.5 * 2^-0.07 = 0.476319...
    CHECK(app::make_reward(s, target, cache)(e) == Approx(0.5 * std::pow(2.0, -0.07)).epsilon(1e-12));
    CHECK(app::make_reward(s, target, cache)(e) == Approx(0.4763192).epsilon(1e-6));
    s.name = "mnasnet-hard";  // over the target: 0.5 * 2^-1
    CHECK(app::make_reward(s, target, cache)(e) == Approx(0.25));
    s.name = "tunas";  // the tool's default cost weight: 0.5 - 0.5 * |2 - 1|
    CHECK(app::make_reward(s, target, cache)(e) == Approx(0.0).margin(1e-12));
    s.tunas_beta = -0.1;  // 0.5 - 0.1 * |2 - 1|
    CHECK(app::make_reward(s, target, cache)(e) == Approx(0.4));
    s.memory_bonus = 0.02;  // 1000 parameter bytes fit 4000 bytes on chip
    CHECK(app::make_reward(s, target, cache)(e) == Approx(0.42));
    CHECK(app::make_reward(s, target, {500})(e) == Approx(0.4));
    s.name = "bogus";
    CHECK_THROWS_WITH(app::make_reward(s, target, cache), "unknown reward 'bogus' (expected mnasnet-soft, mnasnet-hard or tunas)");
    CHECK(app::is_reward_name("tunas"));
    CHECK_FALSE(app::is_reward_name("mnasnet"));
}
