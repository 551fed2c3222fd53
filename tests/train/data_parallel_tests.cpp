// train::batch_split (data-parallel training steps): the same gradients, loss and BN statistics as
// one thread on the whole batch (up to rounding), bit-identical on reruns, errors of one thread
// reach the caller; the threads' gradients pass through small lent buffers (exactly the per-slice
// gradients summed in thread order, never a network's worth per thread); thread_pool::run_team
// runs every thread at once.
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;

namespace {

graph::network small_network() {
    return adapt_network(graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"), 32, 3, 10);
}

// A plain chain on 8x8x8 inputs: `layers` 3x3 convolutions of 32 filters (with batch norm and no
// bias, or without batch norm and with a bias), global average pooling and a dense layer of 10.
graph::network conv_chain(int layers, bool batch_norm) {
    std::string ops = R"({"name": "input", "kind": "input", "shape": [1, 8, 8, 8]})";
    std::string prev = "input";
    for (int i = 1; i <= layers; ++i) {
        const std::string name = "conv" + std::to_string(i);
        ops += R"(, {"name": ")" + name + R"(", "kind": "conv2d", "inputs": [")" + prev +
               R"("], "filters": 32, "kernel": [3, 3], "stride": [1, 1], "padding": "same", "groups": 1, "bias": )" +
               (batch_norm ? "false" : "true") + R"(, "batch_norm": )" + (batch_norm ? "true" : "false") +
               R"(, "activation": "relu"})";
        prev = name;
    }
    ops += R"(, {"name": "pool", "kind": "global_avg_pool", "inputs": [")" + prev + R"("]})";
    ops += R"(, {"name": "fc", "kind": "fully_connected", "inputs": ["pool"], "units": 10, "bias": true, )"
           R"("batch_norm": false, "activation": "none"})";
    return graph::network_from_json_text(R"({"schema": "accelnas.network", "version": 1, "name": "chain", "ops": [)" +
                                         ops + "]}");
}

struct batch {
    tensor x;
    std::vector<std::int32_t> labels;
};

batch random_batch(std::size_t n, std::uint64_t seed, std::size_t size = 32, std::size_t channels = 3) {
    rng g(seed);
    batch b{xt::empty<float>(shape4{n, size, size, channels}), std::vector<std::int32_t>(n)};
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


// batch_split on 2 and 3 threads against one thread on the whole batch (loss and gradients up to
// rounding) and against its own rerun (bit-identical); `also(model, driver, reference)` adds checks
// to every run.
template <class Also>
void check_against_one_thread(const graph::network& net, const batch& b, std::uint64_t seed, Also&& also) {
    rng g0(seed);
    model ref(net, g0);
    tape t(1);
    auto loss = softmax_cross_entropy(ref.forward(t, b.x, true), b.labels);
    t.backward(loss);
    const float ref_loss = t.value(loss)(0, 0, 0, 0);
    for (std::size_t threads : {2, 3}) {
        std::vector<std::vector<float>> grads[2];
        for (int run = 0; run < 2; ++run) {
            rng g(seed);
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
            also(m, split, ref);
        }
        CHECK(grads[0] == grads[1]);  // bit-identical: the threads' sums are combined in thread order
    }
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
    check_against_one_thread(small_network(), random_batch(20, 5), 1, [](model& m, batch_split&, model& ref) {
        // Running statistics were updated once, from the whole batch.
        const auto rp = ref.export_parameters(), mp = m.export_parameters();
        double stat = 0;
        for (std::size_t i = 0; i < rp.size(); ++i)
            for (std::size_t k = 0; k < rp[i].bn_mean.size(); ++k) {
                stat = std::max(stat, double(std::abs(rp[i].bn_mean(k) - mp[i].bn_mean(k))));
                stat = std::max(stat, double(std::abs(rp[i].bn_var(k) - mp[i].bn_var(k))) / double(rp[i].bn_var(k)));
            }
        CHECK(stat < 1e-5);
    });
}

TEST_CASE("batch_split: an error of one thread reaches the caller, the driver is usable after it", "[train]") {
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

TEST_CASE("batch_split: without batch norm, the gradients are the slices' one-thread gradients summed in thread order",
          "[train]") {
    // Images are independent without batch norm, so thread j's gradient is the one-thread gradient
    // of its slice's mean loss times the slice's share of the batch; the driver must add them in
    // thread order, bit for bit, after passing them through its lent buffers.
    const auto net = conv_chain(4, false);
    const auto b = random_batch(11, 21, 8, 8);
    for (std::size_t threads : {2, 3}) {
        rng g0(2);
        model ref(net, g0);
        tape t(1);
        std::vector<std::vector<float>> expected(ref.parameters().size());
        double expected_loss = 0;
        for (std::size_t j = 0; j < threads; ++j) {
            const std::size_t lo = 11 * j / threads, hi = 11 * (j + 1) / threads;
            tensor xs = xt::empty<float>(shape4{hi - lo, 8, 8, 8});
            std::copy(b.x.data() + lo * 512, b.x.data() + hi * 512, xs.data());
            t.clear();
            const auto loss = softmax_cross_entropy(ref.forward(t, xs, true),
                                                    std::span<const std::int32_t>(b.labels).subspan(lo, hi - lo));
            tensor seed = xt::zeros<float>(shape4{1, 1, 1, 1});
            seed(0, 0, 0, 0) = float(double(hi - lo) / 11.0);
            t.backward(loss, seed);
            expected_loss += double(t.value(loss)(0, 0, 0, 0)) * double(hi - lo) / 11.0;
            for (std::size_t i = 0; i < expected.size(); ++i) {
                const auto& gr = ref.parameters()[i].grad;
                if (j == 0) expected[i].assign(gr.begin(), gr.end());
                else
                    for (std::size_t e = 0; e < gr.size(); ++e) expected[i][e] += gr.data()[e];
            }
        }
        rng g(2);
        model m(net, g);
        batch_split split(m, threads);
        for (int rep = 0; rep < 2; ++rep) {  // the second step reuses the buffers of the first
            CHECK(split.step(b.x, b.labels) == Approx(expected_loss).epsilon(1e-6));
            for (std::size_t i = 0; i < expected.size(); ++i) {
                const auto& gr = m.parameters()[i].grad;
                CHECK(std::vector<float>(gr.begin(), gr.end()) == expected[i]);
            }
        }
    }
}

TEST_CASE("batch_split: with batch norm between layers, the threads hold a few layers' gradients, not the network's",
          "[train]") {
    const auto b = random_batch(12, 22, 8, 8);
    check_against_one_thread(conv_chain(12, true), b, 3, [&](model& m, batch_split& split, model&) {
        // Backward meets at every batch norm, and a parameter's buffer is free again at the second
        // meeting after its gradient is complete: at most two 3x3x32x32 kernels (9216 floats) per
        // thread at once, plus batch norm's and the dense layer's few hundred floats. A full copy
        // of the gradients per thread would be threads x 104,778 floats.
        REQUIRE(m.parameter_count() == 104778);
        const std::size_t held = split.gradient_buffer_floats(), threads = split.threads();
        CHECK(held <= threads * (2 * 9216 + 512));
        CHECK(held >= threads * 2 * 9216);
        split.step(b.x, b.labels);
        CHECK(split.gradient_buffer_floats() == held);  // reused, not grown
    });
}

TEST_CASE("batch_split: a failed step leaves nothing behind, and fewer images than threads take one thread", "[train]") {
    const auto net = conv_chain(5, true);
    const auto good = random_batch(9, 23, 8, 8);
    auto bad = random_batch(9, 24, 8, 8);
    bad.labels[8] = 99;  // the third thread's images: the others are in backward, holding lent buffers
    auto grads_of = [](model& m) {
        std::vector<std::vector<float>> r;
        for (const auto& p : m.parameters()) r.emplace_back(p.grad.begin(), p.grad.end());
        return r;
    };
    rng g1(4), g2(4);
    model fresh(net, g1), used(net, g2);
    batch_split a(fresh, 3), b(used, 3);
    a.step(good.x, good.labels);
    CHECK_THROWS_WITH(b.step(bad.x, bad.labels), Catch::Contains("label 99"));
    // The next step's gradients are those of a driver that never failed (the failed step changed
    // only running statistics, which training steps do not read).
    b.step(good.x, good.labels);
    CHECK(grads_of(fresh) == grads_of(used));

    // Two images on three threads: one thread takes them, exactly as a one-thread tape does.
    const auto two = random_batch(2, 25, 8, 8);
    rng g3(4), g4(4);
    model m1(net, g3), m3(net, g4);
    tape t(1);
    auto loss = softmax_cross_entropy(m1.forward(t, two.x, true), two.labels);
    t.backward(loss);
    batch_split s3(m3, 3);
    CHECK(s3.step(two.x, two.labels) == t.value(loss)(0, 0, 0, 0));
    CHECK(grads_of(m1) == grads_of(m3));
}
