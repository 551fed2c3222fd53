// Whole-network roofline (APM) estimates per second on one core (goal >= 100,000/s for an
// EfficientNet-EdgeTPU-S-sized network, aim 1,000,000/s), and the CPU and systolic models.
#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <benchmark/benchmark.h>

using namespace accelnas;

static void BM_apm(benchmark::State& st, const char* model, const char* target) {
    const auto net = zoo::build(model);
    const hw::roofline apm(hw::targets::edgetpu(target));
    for (auto _ : st) benchmark::DoNotOptimize(apm.seconds(net));
    st.SetItemsProcessed(st.iterations());  // items/s = whole-network estimates per second
}
BENCHMARK_CAPTURE(BM_apm, efficientnet_edgetpu_s, "efficientnet_edgetpu_s", "coral-usb");
BENCHMARK_CAPTURE(BM_apm, mobilenet_v1, "mobilenet_v1", "coral-usb");
BENCHMARK_CAPTURE(BM_apm, resnet50_v1, "resnet50_v1", "coral-usb");

static void BM_apm_report(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const hw::roofline apm(hw::targets::coral_usb());
    for (auto _ : st) benchmark::DoNotOptimize(apm.estimate(net));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_apm_report);

static void BM_apm_any_accelerator(benchmark::State& st) {
    // Through the type-erased wrapper the tools use: one virtual call more.
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const auto m = hw::make_target("coral-usb", "apm");
    for (auto _ : st) benchmark::DoNotOptimize(m.seconds(net));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_apm_any_accelerator);

static void BM_cpu_model(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const hw::cpu_model m(hw::targets::pixel4_cpu());
    for (auto _ : st) benchmark::DoNotOptimize(m.seconds(net));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_cpu_model);

static void BM_systolic(benchmark::State& st) {
    const auto net = zoo::build("mobilenet_v1");
    const auto m = hw::make_target("systolic-64x64-ws");
    for (auto _ : st) benchmark::DoNotOptimize(m.seconds(net));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_systolic);
