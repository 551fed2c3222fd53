// Per-op speed: work extraction and the compiler pass over a real network; one op simulated and estimated.
#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <benchmark/benchmark.h>

using namespace accelnas;

static void BM_work_of_all_ops(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    for (auto _ : st)
        for (std::size_t i = 0; i < net.size(); ++i) benchmark::DoNotOptimize(hw::work_of(net, i));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * net.size()));
}
BENCHMARK(BM_work_of_all_ops);

static void BM_compile_all_ops(benchmark::State& st) {
    // The compiler pass (splits, passes, weight blocks) the simulator executes.
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const auto cfg = hw::targets::coral_usb();
    for (auto _ : st) benchmark::DoNotOptimize(hw::compile(net, cfg));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * net.size()));
}
BENCHMARK(BM_compile_all_ops);

static void BM_simulate_one_op(benchmark::State& st) {
    // The largest layer of EfficientNet-EdgeTPU-S's first stage: 3x3 conv 32 -> 96 at 112x112.
    graph::network n("op");
    auto x = n.input({1, 112, 112, 32});
    n.conv2d(x, {.filters = 96, .kernel = 3});
    const hw::simulator sim(hw::targets::coral_usb());
    for (auto _ : st) benchmark::DoNotOptimize(sim.seconds(n));
}
BENCHMARK(BM_simulate_one_op);

static void BM_apm_one_op(benchmark::State& st) {
    graph::network n("op");
    auto x = n.input({1, 112, 112, 32});
    n.conv2d(x, {.filters = 96, .kernel = 3});
    const hw::apm apm(hw::targets::coral_usb());
    for (auto _ : st) benchmark::DoNotOptimize(apm.seconds(n));
}
BENCHMARK(BM_apm_one_op);
