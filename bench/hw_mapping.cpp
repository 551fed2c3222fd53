// Per-op mapping speed: work extraction and the tile-split search, per op of a real network.
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

static void BM_map_mac_all_ops(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const auto cfg = hw::targets::coral_usb();
    std::vector<hw::op_work> ws;
    for (std::size_t i = 0; i < net.size(); ++i) {
        auto w = hw::work_of(net, i);
        if (w.cls == hw::op_class::conv || w.cls == hw::op_class::depthwise || w.cls == hw::op_class::dense) ws.push_back(w);
    }
    for (auto _ : st)
        for (const auto& w : ws) benchmark::DoNotOptimize(hw::map_mac(w, cfg));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * ws.size()));
}
BENCHMARK(BM_map_mac_all_ops);

static void BM_simulate_one_op(benchmark::State& st) {
    // The largest layer of EfficientNet-EdgeTPU-S's first stage: 3x3 conv 32 -> 96 at 112x112.
    graph::network n("op");
    auto x = n.input({1, 112, 112, 32});
    n.conv2d(x, {.filters = 96, .kernel = 3});
    const auto w = hw::work_of(n, 1);
    const auto cfg = hw::targets::coral_usb();
    for (auto _ : st) benchmark::DoNotOptimize(hw::simulate_op(w, cfg));
}
BENCHMARK(BM_simulate_one_op);

static void BM_apm_one_op(benchmark::State& st) {
    graph::network n("op");
    auto x = n.input({1, 112, 112, 32});
    n.conv2d(x, {.filters = 96, .kernel = 3});
    const auto w = hw::work_of(n, 1);
    const auto cfg = hw::targets::coral_usb();
    for (auto _ : st) benchmark::DoNotOptimize(hw::apm_op(w, cfg));
}
BENCHMARK(BM_apm_one_op);
