// train::batch_split (data-parallel training steps): the same gradients, loss and BN statistics as
// one thread on the whole batch (up to rounding), bit-identical on reruns, errors of one thread
// reach the caller; thread_pool::run_team runs every thread at once.
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;

namespace {

graph::network small_network() {
    return adapt_network(graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"), 32, 3, 10);
}

struct batch {
    tensor x;
    std::vector<std::int32_t> labels;
};

batch random_batch(std::size_t n, std::uint64_t seed) {
    rng g(seed);
    batch b{xt::empty<float>(shape4{n, 32, 32, 3}), std::vector<std::int32_t>(n)};
    for (auto& v : b.x) v = float(normal01(g));
    for (auto& l : b.labels) l = std::int32_t(uniform_index(g, 10));
    return b;
}

// Largest |a - b| / max(1e-3, max |a|) over one parameter's gradient.
double relative_difference(const tensor& a, const tensor& b) {
    double diff = 0, scale = 1e-3;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, double(std::abs(a.data()[i] - b.data()[i])));
        scale = std::max(scale, double(std::abs(a.data()[i])));
    }
    return diff / scale;
}

}  // namespace

TEST_CASE("thread_pool::run_team runs every thread at once, each index once", "[train]") {
    thread_pool pool(3);
    std::atomic<int> arrived{0};
    std::vector<int> calls(3, 0);
    // Each part waits for all three: `run` could give two parts to one thread and never return.
    pool.run_team([&](std::size_t th) {
        ++calls[th];
        ++arrived;
        while (arrived.load() < 3) {
        }
    });
    CHECK(calls == std::vector<int>{1, 1, 1});
    CHECK_THROWS_WITH(pool.run_team([](std::size_t th) { require(th != 2, "part ", th, " failed"); }),
                      Catch::Contains("part 2 failed"));
    pool.run_team([&](std::size_t th) { ++calls[th]; });  // usable after an error
    CHECK(calls == std::vector<int>{2, 2, 2});
}

TEST_CASE("batch_split: gradients, loss and BN statistics of the whole batch, deterministic", "[train]") {
    const auto net = small_network();
    const auto b = random_batch(20, 5);
    // Reference: one thread, the whole batch on one tape.
    rng g0(1);
    model ref(net, g0);
    tape t(1);
    auto loss = softmax_cross_entropy(ref.forward(t, b.x, true), b.labels);
    t.backward(loss);
    const float ref_loss = t.value(loss)(0, 0, 0, 0);

    for (std::size_t threads : {2, 3}) {
        std::vector<std::vector<float>> grads[2];
        for (int run = 0; run < 2; ++run) {
            rng g(1);
            model m(net, g);
            batch_split split(m, threads);
            CHECK(split.threads() == threads);
            const float l = split.step(b.x, b.labels);
            CHECK(std::abs(l - ref_loss) <= 1e-5f * std::abs(ref_loss));
            double worst = 0;
            for (std::size_t i = 0; i < m.parameters().size(); ++i) {
                worst = std::max(worst, relative_difference(ref.parameters()[i].grad, m.parameters()[i].grad));
                const auto& gr = m.parameters()[i].grad;
                grads[run].emplace_back(gr.begin(), gr.end());
            }
            CHECK(worst < 1e-4);
            // Running statistics were updated once, from the whole batch.
            const auto rp = ref.export_parameters(), mp = m.export_parameters();
            double stat = 0;
            for (std::size_t i = 0; i < rp.size(); ++i)
                for (std::size_t k = 0; k < rp[i].bn_mean.size(); ++k) {
                    stat = std::max(stat, double(std::abs(rp[i].bn_mean(k) - mp[i].bn_mean(k))));
                    stat = std::max(stat, double(std::abs(rp[i].bn_var(k) - mp[i].bn_var(k))) / double(rp[i].bn_var(k)));
                }
            CHECK(stat < 1e-5);
        }
        CHECK(grads[0] == grads[1]);  // bit-identical: the threads' sums are combined in thread order
    }
}

TEST_CASE("batch_split: an error of one thread reaches the caller; the driver is usable after it", "[train]") {
    const auto net = small_network();
    rng g(1);
    model m(net, g);
    batch_split split(m, 2);
    auto b = random_batch(8, 6);
    b.x(6, 3, 3, 1) = std::numeric_limits<float>::quiet_NaN();  // in the second thread's images
    CHECK_THROWS_AS(split.step(b.x, b.labels), diverged);
    // A bad label in the second thread's images only: the first thread, waiting in batch norm's
    // backward for the second, is released, and the caller gets the second thread's error.
    auto bad = random_batch(8, 9);
    bad.labels[7] = 99;
    CHECK_THROWS_WITH(split.step(bad.x, bad.labels), Catch::Contains("label 99"));
    const auto good = random_batch(8, 7);
    CHECK(std::isfinite(split.step(good.x, good.labels)));
    // Fewer than two images per thread: one thread takes the batch.
    const auto two = random_batch(3, 8);
    CHECK(std::isfinite(split.step(two.x, two.labels)));
    CHECK_THROWS_WITH(split.step(two.x, std::vector<std::int32_t>{1}), Catch::Contains("1 labels for a batch of 3"));
}
