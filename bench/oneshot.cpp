// Supernet training throughput against the trainer on the largest path alone (edgetpu space at
// proxy size: 32x32x1, width 0.25, batch 64, one thread). items_per_second is images/s:
// - trainer_largest: train::model of the largest architecture (IBN everywhere), one SGD step;
// - supernet_largest: the same architecture as a supernet path (slice the shared weights into a
//   fresh model, one step, update the shared slices): the supernet's overhead per step;
// - supernet_sampled: a uniformly sampled path each step, as the search trains (smaller on average).
//   bench_oneshot --benchmark_min_time=2
#include <accelnas/app/oneshot.hpp>

#include <benchmark/benchmark.h>

using namespace accelnas;

namespace {

constexpr std::size_t batch = 64;

const space::any_space& sp() { return space::find_space("edgetpu"); }

space::architecture largest_ibn() {
    const auto& d = *sp().description;
    space::architecture a{std::vector<int>(d.decisions.size(), 0)};
    for (std::size_t k = 0; k < d.decisions.size(); ++k)
        if (d.decisions[k].key == "block") a.choices[k] = 2;  // ibn
    return app::oneshot::largest(d, a);
}

struct fixture {
    train::tensor x;
    std::vector<std::int32_t> labels;
    fixture() {
        rng g(1);
        x = xt::empty<float>(train::shape4{batch, 32, 32, 1});
        for (auto& v : x) v = float(normal01(g));
        labels.resize(batch);
        for (auto& l : labels) l = std::int32_t(uniform_index(g, 10));
    }
};

void trainer_largest(benchmark::State& st) {
    fixture f;
    rng g(2);
    train::model m(app::proxy_network(sp(), largest_ibn(), {}, 10), g);
    train::tape t(1);
    train::sgd opt;
    for (auto _ : st) {
        t.clear();
        auto loss = train::softmax_cross_entropy(m.forward(t, f.x, true), f.labels);
        t.backward(loss);
        opt.step(m.parameters(), 0.01f);
    }
    st.SetItemsProcessed(std::int64_t(st.iterations() * batch));
}

void supernet_largest(benchmark::State& st) {
    fixture f;
    rng g(2);
    auto net = app::oneshot::make_supernet(sp(), {}, 10, {}, g, 0);
    const auto a = largest_ibn();
    for (auto _ : st) {
        auto p = app::oneshot::path_of(net, sp(), a, {}, 10);
        net.train_step(p, f.x, f.labels, 0.01f);
    }
    st.SetItemsProcessed(std::int64_t(st.iterations() * batch));
}

void supernet_sampled(benchmark::State& st) {
    fixture f;
    rng g(2);
    auto net = app::oneshot::make_supernet(sp(), {}, 10, {}, g, 0);
    for (auto _ : st) {
        auto p = app::oneshot::path_of(net, sp(), sp().sample(g), {}, 10);
        net.train_step(p, f.x, f.labels, 0.01f);
    }
    st.SetItemsProcessed(std::int64_t(st.iterations() * batch));
}

}  // namespace

BENCHMARK(trainer_largest)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(supernet_largest)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(supernet_sampled)->Unit(benchmark::kMillisecond)->UseRealTime();
