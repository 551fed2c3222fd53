// Whole-network cycle-level simulation (goal: < 20 ms for EfficientNet-EdgeTPU-S, aim 5 ms).
#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <benchmark/benchmark.h>

using namespace accelnas;

static void BM_simulator(benchmark::State& st, const char* model, const char* target) {
    const auto net = zoo::build(model);
    const hw::simulator sim(hw::targets::edgetpu(target));
    for (auto _ : st) benchmark::DoNotOptimize(sim.seconds(net));
}
BENCHMARK_CAPTURE(BM_simulator, efficientnet_edgetpu_s, "efficientnet_edgetpu_s", "coral-usb")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_simulator, mobilenet_v1, "mobilenet_v1", "coral-usb")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_simulator, mobilenet_edgetpu, "mobilenet_edgetpu", "pixel4-edgetpu")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_simulator, resnet50_v1, "resnet50_v1", "coral-usb")->Unit(benchmark::kMillisecond);

static void BM_simulator_report(benchmark::State& st) {
    // With the per-op table (what accelnas-estimate --per-op prints).
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const hw::simulator sim(hw::targets::coral_usb());
    for (auto _ : st) benchmark::DoNotOptimize(sim.estimate(net));
}
BENCHMARK(BM_simulator_report)->Unit(benchmark::kMillisecond);
