// Whole-network discrete-event simulation (goal: at most 50 ms for EfficientNet-EdgeTPU-S on one
// core, aim 10 ms). Counters: simulated device cycles per second of CPU time (sim_cycles_per_s) and
// of wall time (sim_cycles_per_wall_s; on a machine shared with other jobs wall time is longer).
#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <benchmark/benchmark.h>

#include <chrono>

using namespace accelnas;

static void BM_simulator(benchmark::State& st, const char* model, const char* target) {
    const auto net = zoo::build(model);
    const hw::simulator sim(hw::targets::edgetpu(target));
    const auto cycles = sim.estimate(net).total_cycles;
    const auto t0 = std::chrono::steady_clock::now();
    for (auto _ : st) benchmark::DoNotOptimize(sim.seconds(net));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.counters["sim_cycles_per_s"] = benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsIterationInvariantRate);
    st.counters["sim_cycles_per_wall_s"] = static_cast<double>(cycles) * static_cast<double>(st.iterations()) / wall;
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
