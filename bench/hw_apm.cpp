// Whole-network APM estimates per second on one core (goal >= 1,000,000/s for an
// EfficientNet-EdgeTPU-S-sized network: the totals, without the per-op report), and the CPU and
// systolic models. Every APM here has its target's shipped ceilings (what make_target uses).
// items_per_second = whole-network estimates per second; the time of one estimate is 1 / that.
// BM_apm is the end-to-end figure: from a graph::network, what the search loops hand the APM (each
// call prices the network anew: nothing is kept between calls).
#include <accelnas/hw.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <benchmark/benchmark.h>

using namespace accelnas;

static void BM_apm(benchmark::State& st, const char* model, const char* target) {
    const auto net = zoo::build(model);
    const hw::apm apm(hw::targets::edgetpu(target), hw::targets::apm_ceilings_of(target));
    for (auto _ : st) benchmark::DoNotOptimize(apm.seconds(net));
    st.SetItemsProcessed(st.iterations());  // items/s = whole-network estimates per second
}
BENCHMARK_CAPTURE(BM_apm, efficientnet_edgetpu_s, "efficientnet_edgetpu_s", "coral-usb");
BENCHMARK_CAPTURE(BM_apm, efficientnet_edgetpu_s_pixel4, "efficientnet_edgetpu_s", "pixel4-edgetpu");
BENCHMARK_CAPTURE(BM_apm, mobilenet_v1, "mobilenet_v1", "coral-usb");
BENCHMARK_CAPTURE(BM_apm, resnet50_v1, "resnet50_v1", "coral-usb");

static hw::apm shipped_apm(const char* target) {
    return hw::apm(hw::targets::edgetpu(target), hw::targets::apm_ceilings_of(target));
}

// The same estimate from a prebuilt compact op table (hw::compact_network): what a sweep over configs
// of one network pays per estimate once the table is built (the table's construction not counted).
static void BM_apm_prebuilt_table(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const hw::compact_network table(net);
    const auto apm = shipped_apm("coral-usb");
    for (auto _ : st) benchmark::DoNotOptimize(apm.seconds(table));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_apm_prebuilt_table);
// Building the table and estimating from it, per call: the compact form's end-to-end cost.
static void BM_apm_build_table_and_estimate(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    hw::compact_network table;
    const auto apm = shipped_apm("coral-usb");
    for (auto _ : st) {
        table.assign(net);
        benchmark::DoNotOptimize(apm.seconds(table));
    }
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_apm_build_table_and_estimate);

// 1,000 random edgetpu-space networks at 224x224 (example_hw_accuracy's set): sweeping them (each
// estimate finds its network out of the L1/L2 caches) or repeating each one (in cache). Time per network.
static const std::vector<graph::network>& edgetpu_space_nets() {
    static const std::vector<graph::network> nets = [] {
        const auto& space = space::find_space("edgetpu");
        rng g(1);
        std::vector<graph::network> v;
        for (int i = 0; i < 1000; ++i) v.push_back(space.decode(space.sample(g), {1, 224, 224, 3}, 1001));
        return v;
    }();
    return nets;
}
static void BM_apm_space_sweep(benchmark::State& st) {
    const auto& nets = edgetpu_space_nets();
    const auto apm = shipped_apm("coral-usb");
    for (auto _ : st)
        for (const auto& n : nets) benchmark::DoNotOptimize(apm.seconds(n));
    st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(nets.size()));
}
BENCHMARK(BM_apm_space_sweep);
// The same sweep with each network's compact op table built beforehand and kept next to it
// (hw::compact_network): what a sweep over a stored set of networks pays per estimate.
static void BM_apm_space_sweep_tables(benchmark::State& st) {
    const auto& nets = edgetpu_space_nets();
    std::vector<hw::compact_network> tables;
    for (const auto& n : nets) tables.emplace_back(n);
    const auto apm = shipped_apm("coral-usb");
    for (auto _ : st)
        for (const auto& t : tables) benchmark::DoNotOptimize(apm.seconds(t));
    st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(tables.size()));
}
BENCHMARK(BM_apm_space_sweep_tables);
static void BM_apm_space_in_cache(benchmark::State& st) {
    const auto& nets = edgetpu_space_nets();
    const auto apm = shipped_apm("coral-usb");
    for (auto _ : st)
        for (const auto& n : nets)
            for (int r = 0; r < 20; ++r) benchmark::DoNotOptimize(apm.seconds(n));
    st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(nets.size()) * 20);
}
BENCHMARK(BM_apm_space_in_cache);

static void BM_apm_report(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const auto apm = shipped_apm("coral-usb");
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

static void BM_mobile_cpu(benchmark::State& st) {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const hw::mobile_cpu m(hw::targets::pixel4_cpu());
    for (auto _ : st) benchmark::DoNotOptimize(m.seconds(net));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_mobile_cpu);

static void BM_systolic(benchmark::State& st) {
    const auto net = zoo::build("mobilenet_v1");
    const auto m = hw::make_target("systolic-64x64-ws");
    for (auto _ : st) benchmark::DoNotOptimize(m.seconds(net));
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_systolic);
