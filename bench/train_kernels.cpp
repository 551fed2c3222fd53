// Kernels of the trainer at the peer model's shapes (batch 64): pointwise (GEMM), depthwise and
// 3x3 stem convolutions forward and backward, and batch norm + ReLU forward and backward.
// Items/s are images/s; GFLOP/s counters count 2 flops per MAC (backward: 2 GEMMs' worth).
#include <accelnas/train/ops.hpp>

#include <benchmark/benchmark.h>

#include <cmath>

using namespace accelnas;
using namespace accelnas::train;

namespace {

tensor random_tensor(shape4 s, std::uint64_t seed) {
    rng g(seed);
    tensor t = xt::empty<float>(s);
    for (auto& v : t) v = float(normal01(g));
    return t;
}

// args: h (=w), in channels, out channels, kernel, stride, groups, threads, backward?
void conv(benchmark::State& st) {
    const auto h = std::size_t(st.range(0)), c = std::size_t(st.range(1)), oc = std::size_t(st.range(2));
    const auto k = std::size_t(st.range(3)), groups = std::size_t(st.range(5));
    const int s = int(st.range(4));
    const auto threads = std::size_t(st.range(6));
    const bool backward = st.range(7) != 0;
    const std::size_t n = 64;
    const auto x = random_tensor({n, h, h, c}, 1), w = random_tensor({k, k, c / groups, oc}, 2);
    tape t(threads);
    tensor seed;
    double macs = 0;
    for (auto _ : st) {
        t.clear();
        auto xv = t.variable(x);
        auto y = conv2d(xv, t.variable(w), s, s, graph::padding::same, groups);
        if (backward) {
            if (seed.size() != t.value(y).size()) seed = random_tensor(shape_of(t.value(y)), 3);
            t.backward(y, seed);
        }
        macs = double(t.value(y).size()) * double(k * k * c / groups);
        benchmark::DoNotOptimize(t.value(y).data());
    }
    st.SetItemsProcessed(std::int64_t(st.iterations() * n));
    st.counters["GFLOP/s"] = benchmark::Counter(2 * macs * (backward ? 3 : 1) * double(st.iterations()),
                                                benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void bn_relu(benchmark::State& st) {
    const auto h = std::size_t(st.range(0)), c = std::size_t(st.range(1)), threads = std::size_t(st.range(2));
    const bool backward = st.range(3) != 0;
    const auto x = random_tensor({64, h, h, c}, 1);
    tensor rm = xt::zeros<float>(shape4{1, 1, 1, c}), rv = xt::ones<float>(shape4{1, 1, 1, c});
    const tensor gamma = xt::ones<float>(shape4{1, 1, 1, c}), beta = xt::zeros<float>(shape4{1, 1, 1, c});
    const auto seed = random_tensor({64, h, h, c}, 2);
    tape t(threads);
    for (auto _ : st) {
        t.clear();
        auto y = batch_norm(t.variable(x), t.variable(gamma), t.variable(beta), {&rm, &rv, 0.9f, 1e-3f}, true,
                            graph::activation::relu);
        if (backward) t.backward(y, seed);
        benchmark::DoNotOptimize(t.value(y).data());
    }
    st.SetItemsProcessed(std::int64_t(st.iterations() * 64));
}

// The trainer's divergence guard on a buffer of `n` floats (all finite, the common case): the
// vectorised first_non_finite against a plain std::isfinite loop. ResNet-50 has 23.5 M parameters,
// checked twice per step (gradients, then weights after the update).
void finite_check(benchmark::State& st) {
    const auto n = std::size_t(st.range(0));
    const bool plain = st.range(1) != 0;
    const auto x = random_tensor({1, 1, 1, n}, 1);
    for (auto _ : st) {
        std::size_t bad = n;
        if (plain) {
            for (std::size_t i = 0; i < n; ++i)
                if (!std::isfinite(x.data()[i])) {
                    bad = i;
                    break;
                }
        } else {
            bad = first_non_finite(x.data(), n);
        }
        benchmark::DoNotOptimize(bad);
    }
    st.SetBytesProcessed(std::int64_t(st.iterations() * n * sizeof(float)));
}

}  // namespace

BENCHMARK(finite_check)->ArgNames({"n", "plain"})->Args({23528522, 0})->Args({23528522, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Peer shapes: expand 16->64 at 16x16, depthwise 3x3 s2 on 64 channels, stem 3x3 s2 3->16 at 32x32.
BENCHMARK(conv)->ArgNames({"h", "c", "oc", "k", "s", "g", "threads", "bwd"})
    ->Args({16, 16, 64, 1, 1, 1, 1, 0})->Args({16, 16, 64, 1, 1, 1, 1, 1})->Args({16, 16, 64, 1, 1, 1, 2, 1})
    ->Args({16, 64, 64, 3, 2, 64, 1, 0})->Args({16, 64, 64, 3, 2, 64, 1, 1})->Args({16, 64, 64, 3, 2, 64, 2, 1})
    ->Args({32, 3, 16, 3, 2, 1, 1, 0})->Args({32, 3, 16, 3, 2, 1, 1, 1})->Args({32, 3, 16, 3, 2, 1, 2, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
// ResNet-50 shapes at 32x32: a bottleneck 3x3 at 8x8 (64 -> 64), conv4's 3x3 at 2x2 (256 -> 256:
// window classes, 4 of 9 taps inside) and conv5's 3x3 at 1x1 (512 -> 512, trimmed to its centre tap;
// 2.4 M weights: the weight gradient dominates), backward with 1 and 2 threads. GFLOP/s count the
// nominal MACs (every tap), as accelnas-info does.
BENCHMARK(conv)->ArgNames({"h", "c", "oc", "k", "s", "g", "threads", "bwd"})
    ->Args({8, 64, 64, 3, 1, 1, 1, 1})->Args({8, 64, 64, 3, 1, 1, 2, 1})
    ->Args({2, 256, 256, 3, 1, 1, 1, 1})->Args({2, 256, 256, 3, 1, 1, 2, 1})
    ->Args({1, 512, 512, 3, 1, 1, 1, 1})->Args({1, 512, 512, 3, 1, 1, 2, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(bn_relu)->ArgNames({"h", "c", "threads", "bwd"})
    ->Args({16, 64, 1, 0})->Args({16, 64, 1, 1})->Args({16, 64, 2, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
