// One training step (forward + softmax cross-entropy + backward + SGD momentum) and batch inference
// of the PyTorch peer's model (examples/specs/peer_mbconv.json with 3 input channels, as the peer's
// throughput mode), batch 64, on 1 and 2 threads. Items/s are images/s; compare with
// ../shared/peers/torch_train_bench.py or run bench/vs_pytorch.sh for the side-by-side figure.
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <benchmark/benchmark.h>

using namespace accelnas;
using namespace accelnas::train;

namespace {

graph::network peer() {
    return adapt_network(graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"), 32, 3, 10);
}

void train_step(benchmark::State& st) {
    const auto threads = std::size_t(st.range(0));
    rng g(0);
    model m(peer(), g);
    tensor x = xt::empty<float>(shape4{64, 32, 32, 3});
    for (auto& v : x) v = float(normal01(g));
    std::vector<std::int32_t> labels(64);
    for (auto& l : labels) l = std::int32_t(uniform_index(g, 10));
    tape t(threads);
    sgd opt{.momentum = 0.9f, .nesterov = false, .weight_decay = 0.0f};
    for (auto _ : st) {
        t.clear();
        auto loss = softmax_cross_entropy(m.forward(t, x, true), labels);
        t.backward(loss);
        opt.step(m.parameters(), 0.01f);
    }
    st.SetItemsProcessed(std::int64_t(st.iterations() * 64));
}

void inference(benchmark::State& st) {
    const auto threads = std::size_t(st.range(0)), batch = std::size_t(st.range(1));
    rng g(0);
    model m(peer(), g, {.threads = threads});
    tensor x = xt::empty<float>(shape4{batch, 32, 32, 3});
    for (auto& v : x) v = float(normal01(g));
    for (auto _ : st) benchmark::DoNotOptimize(m.predict(x).data());
    st.SetItemsProcessed(std::int64_t(st.iterations() * batch));
}

}  // namespace

BENCHMARK(train_step)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(inference)->ArgNames({"threads", "batch"})->Args({1, 64})->Args({2, 64})->Args({1, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
