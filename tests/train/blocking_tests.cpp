// train/blocking.hpp: the cache sizes Eigen blocks matrix products by set the trainer's summation
// order (so trainings on CPUs with other caches differ), and fixing them fixes the weights.
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;

namespace {

// Puts Eigen's cache sizes back as they were (unchecked: the CPU's need not satisfy our limits).
struct restore_gemm_cache_sizes {
    gemm_cache_sizes saved = current_gemm_cache_sizes();
    ~restore_gemm_cache_sizes() { Eigen::setCpuCacheSizes(saved.l1, saved.l2, saved.l3); }
};

// The peer model's weights after 4 Adam steps on a fixed random batch, with products blocked by `s`.
std::vector<std::vector<float>> weights_after_steps(const gemm_cache_sizes& s) {
    set_gemm_cache_sizes(s);
    static const auto net = graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json");
    rng g(7);
    model m(net, g);
    rng data(3);
    tensor x = xt::empty<float>(shape4{8, 32, 32, 1});
    for (auto& v : x) v = float(normal01(data));
    std::vector<std::int32_t> labels(8);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::int32_t(i % 10);
    tape t;
    adam opt{};
    for (int step = 0; step < 4; ++step) {
        t.clear();
        auto loss = softmax_cross_entropy(m.forward(t, x, true), labels);
        t.backward(loss);
        opt.step(m.parameters(), 0.01f);
    }
    std::vector<std::vector<float>> w;
    for (const auto& p : m.export_parameters()) w.emplace_back(p.weight.begin(), p.weight.end());
    return w;
}

}  // namespace

TEST_CASE("gemm cache sizes: parsed from L1,L2,L3, range-checked, set and read back", "[train][blocking]") {
    const restore_gemm_cache_sizes restore;
    CHECK(parse_gemm_cache_sizes("32768,1048576,33554432") == gemm_cache_sizes{32768, 1048576, 33554432});
    for (const char* bad : {"", "32768", "32768,1048576", "32768,1048576,33554432,1", "a,b,c", "32768,,33554432",
                            "32768, 1048576,33554432", "32768,1048576,3e7"})
        CHECK_THROWS_WITH(parse_gemm_cache_sizes(bad), Catch::Contains("is not L1,L2,L3"));
    CHECK_THROWS_WITH(set_gemm_cache_sizes({512, 1048576, 33554432}), Catch::Contains("L1 = 512 bytes"));
    CHECK_THROWS_WITH(set_gemm_cache_sizes({32768, 1048576, std::ptrdiff_t{1} << 41}), Catch::Contains("L3 = "));
    CHECK_THROWS_WITH(set_gemm_cache_sizes({1048576, 32768, 33554432}), Catch::Contains("does not hold"));
    // check_gemm_cache_sizes is set_gemm_cache_sizes' check alone: it changes nothing
    const auto before = current_gemm_cache_sizes();
    CHECK_THROWS_WITH(check_gemm_cache_sizes({1048576, 32768, 33554432}), Catch::Contains("does not hold"));
    CHECK_NOTHROW(check_gemm_cache_sizes({4096, 8192, 16384}));
    CHECK(current_gemm_cache_sizes() == before);
    CHECK_FALSE(is_set(gemm_cache_sizes{}));
    CHECK(is_set(gemm_cache_sizes{0, 0, 1}));
    set_gemm_cache_sizes({32768, 1048576, 33554432});
    CHECK(current_gemm_cache_sizes() == gemm_cache_sizes{32768, 1048576, 33554432});
    CHECK(Eigen::l2CacheSize() == 1048576);
}

TEST_CASE("gemm cache sizes: a scope pins them and puts the earlier ones back", "[train][blocking]") {
    const restore_gemm_cache_sizes restore;
    set_gemm_cache_sizes({16384, 262144, 4194304});
    {
        const scoped_gemm_cache_sizes pin({32768, 1048576, 33554432});
        CHECK(current_gemm_cache_sizes() == gemm_cache_sizes{32768, 1048576, 33554432});
    }
    CHECK(current_gemm_cache_sizes() == gemm_cache_sizes{16384, 262144, 4194304});
    {
        const scoped_gemm_cache_sizes unset(gemm_cache_sizes{});  // all zero: nothing changes
        CHECK(current_gemm_cache_sizes() == gemm_cache_sizes{16384, 262144, 4194304});
    }
    CHECK(current_gemm_cache_sizes() == gemm_cache_sizes{16384, 262144, 4194304});
    // a bad size throws before anything changes, and no scope is left to restore
    CHECK_THROWS_WITH(scoped_gemm_cache_sizes({512, 1048576, 33554432}), Catch::Contains("L1 = 512 bytes"));
    CHECK(current_gemm_cache_sizes() == gemm_cache_sizes{16384, 262144, 4194304});
}

TEST_CASE("the cache sizes set the training's summation order, and fixed sizes give the same weights", "[train][blocking]") {
    const restore_gemm_cache_sizes restore;
    // 1 KiB of L1 makes Eigen split every product's depth into short blocks; 1 MiB leaves the
    // peer model's depths (at most 9 x 144) whole: the sums run in another order.
    const gemm_cache_sizes small{1024, 65536, 1 << 20}, large{1 << 20, 1 << 24, 1 << 30};
    const auto a = weights_after_steps(small);
    const auto b = weights_after_steps(large);
    const auto again = weights_after_steps(small);
    REQUIRE(a.size() == b.size());
    CHECK(a != b);
    CHECK(a == again);
    // The difference is rounding, not another computation: a few steps leave the weights close.
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[i].size(); ++j) {
            diff += double(a[i][j] - b[i][j]) * double(a[i][j] - b[i][j]);
            norm += double(a[i][j]) * double(a[i][j]);
        }
    CHECK(diff < 1e-6 * norm);
}

TEST_CASE("on one thread only L1 sets the summation order: other L2 and L3 give the same weights", "[train][blocking]") {
    const restore_gemm_cache_sizes restore;
    // Eigen's depth blocking (the summation order) is computed from L1 alone; L2 and L3 size the
    // row and column blocks, which partition the outputs without reordering any sum. So a machine's
    // trainings are reproduced elsewhere by pinning its L1 (docs/train.md, "Determinism").
    const auto a = weights_after_steps({32768, 65536, 1 << 20});
    const auto b = weights_after_steps({32768, 1 << 24, 1 << 30});
    const auto c = weights_after_steps({49152, 65536, 1 << 20});
    CHECK(a == b);
    CHECK(a != c);
}
