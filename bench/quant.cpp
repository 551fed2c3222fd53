// Inference throughput of quant's float reference and int8 model on the peer model
// (examples/specs/peer_mbconv.json, 32x32x1, random He-initialised weights), batch 64, one thread.
// Run: ./bench_quant --benchmark_min_time=0.5   (items_per_second = images/s)

#include <accelnas/core/rng.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/quant.hpp>

#include <benchmark/benchmark.h>

#include <cmath>

using namespace accelnas;

namespace {

train::parameter_set random_parameters(const graph::network& net) {
    rng r(1);
    train::parameter_set ps;
    for (std::size_t i = 0; i < net.size(); ++i) {
        const auto& o = net.ops()[i];
        if (o.kind != graph::op_kind::conv2d && o.kind != graph::op_kind::fully_connected) continue;
        const auto& x = net.in_shape(i);
        train::op_parameters p;
        p.op = i;
        const std::array<std::size_t, 4> s =
            o.kind == graph::op_kind::conv2d
                ? std::array<std::size_t, 4>{std::size_t(o.kernel_h), std::size_t(o.kernel_w), std::size_t(x.c / o.groups),
                                             std::size_t(o.filters)}
                : std::array<std::size_t, 4>{1, 1, std::size_t(x.h * x.w * x.c), std::size_t(o.filters)};
        p.weight = xt::empty<float>(s);
        for (auto& w : p.weight) w = float(normal01(r) * std::sqrt(2.0 / double(s[0] * s[1] * s[2])));
        const std::array<std::size_t, 1> f{std::size_t(o.filters)};
        if (o.bias) p.bias = xt::zeros<float>(f);
        if (o.batch_norm) {
            p.bn_gamma = xt::ones<float>(f);
            p.bn_beta = xt::zeros<float>(f);
            p.bn_mean = xt::zeros<float>(f);
            p.bn_var = xt::ones<float>(f);
        }
        ps.push_back(std::move(p));
    }
    return ps;
}

struct fixture {
    graph::network net = graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json");
    train::parameter_set params = random_parameters(net);
    xt::xtensor<float, 4> batch = make_batch();
    quant::folded_network folded = quant::fold_batch_norm(net, params);

    xt::xtensor<float, 4> make_batch() const {
        rng r(2);
        xt::xtensor<float, 4> x = xt::empty<float>(std::array<std::size_t, 4>{64, 32, 32, 1});
        for (auto& v : x) v = float(normal01(r));
        return x;
    }
};

const fixture& data() {
    static const fixture f;
    return f;
}

void float_reference_peer_b64(benchmark::State& state) {
    const quant::float_model m(data().folded.network, data().folded.parameters);
    for (auto _ : state) benchmark::DoNotOptimize(m.predict(data().batch));
    state.SetItemsProcessed(std::int64_t(state.iterations()) * 64);
}
BENCHMARK(float_reference_peer_b64)->Unit(benchmark::kMillisecond);

void int8_peer_b64(benchmark::State& state) {
    const auto q = quant::quantize(data().net, data().params, data().batch);
    for (auto _ : state) benchmark::DoNotOptimize(q.predict(data().batch));
    state.SetItemsProcessed(std::int64_t(state.iterations()) * 64);
}
BENCHMARK(int8_peer_b64)->Unit(benchmark::kMillisecond);

void observe_ranges_peer_b64(benchmark::State& state) {
    const quant::float_model m(data().folded.network, data().folded.parameters);
    for (auto _ : state) benchmark::DoNotOptimize(quant::observe_ranges(m, data().batch));
    state.SetItemsProcessed(std::int64_t(state.iterations()) * 64);
}
BENCHMARK(observe_ranges_peer_b64)->Unit(benchmark::kMillisecond);

}  // namespace
