// The search driver never evaluates a duplicate network: with `search_options::canonical` set, a
// proposal decoding to an already evaluated network reuses that result, and the journal says so.
#include <accelnas/search.hpp>
#include <accelnas/space.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

using namespace accelnas;
using namespace accelnas::search;

namespace {

// A small real space with many architectures per network: the conv block ignores the expansion,
// and a dropped stage ignores everything.
struct dup_space : space::search_space<
                       space::stem<16>, space::head<0>,
                       space::stage<16, 1, 1, space::blocks<space::conv_block, space::ibn_block>,
                                    space::expansions<2, 4, 6>, space::layer_deltas<-1, 0>>,
                       space::stage<24, 2, 1, space::blocks<space::conv_block, space::ibn_block>,
                                    space::expansions<2, 4>>> {
    static constexpr std::string_view name = "dup_space";
};

// Evaluator keyed by the decoded network: counts how often each network is evaluated.
struct network_evaluator {
    std::mutex* m;
    std::map<std::string, int>* evaluated;
    evaluation operator()(const space::architecture& a, std::size_t step) const {
        const auto net = space::decode<dup_space>(a, {1, 16, 16, 3}, 10);
        std::string key;
        for (const auto& o : net.ops()) key += o.name + ":" + std::to_string(o.out.c) + ";";
        {
            std::lock_guard l(*m);
            ++(*evaluated)[key];
        }
        evaluation e;
        e.accuracy = 0.3 + 0.001 * static_cast<double>(step % 7);  // depends on the step: a retrain would differ
        e.latency = {1e-3 * static_cast<double>(net.size())};
        return e;
    }
};

}  // namespace

TEST_CASE("run_search reuses the result of an already evaluated network and journals it", "[search]") {
    const auto any = space::make_any_space<dup_space>();
    const decision_layout layout{any.cardinalities};
    const auto dir = std::filesystem::path(ACCELNAS_BINARY_DIR) / "search-test-tmp" / "dedup";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto path = (dir / "journal").string();
    std::mutex m;
    std::map<std::string, int> evaluated;
    network_evaluator ev{&m, &evaluated};
    const auto reward = mnasnet_soft({5e-3});
    thread_pool pool(2);
    for (std::size_t batch : {1u, 4u}) {
        evaluated.clear();
        std::filesystem::remove(path);
        auto jr = journal::create(path, {"dup_space", layout, {{"seed", 1}}});
        random_search<> c(layout);
        rng g(9);
        const auto evals = run_search(c, g, {.budget = 60, .batch = batch, .canonical = any.canonical}, ev, reward,
                                      &pool, &jr);
        REQUIRE(evals.size() == 60);
        // Every network was evaluated exactly once.
        std::size_t calls = 0;
        for (const auto& [k, n] : evaluated) {
            CHECK(n == 1);
            calls += static_cast<std::size_t>(n);
        }
        std::size_t dups = 0;
        for (const auto& e : evals) {
            if (e.duplicate_of == evaluation::not_a_duplicate) continue;
            ++dups;
            const auto& src = evals[e.duplicate_of];
            CHECK(src.duplicate_of == evaluation::not_a_duplicate);
            CHECK(e.duplicate_of < e.step);
            CHECK(any.canonical(src.arch) == any.canonical(e.arch));
            CHECK(e.accuracy == src.accuracy);
            CHECK(e.reward == src.reward);
        }
        CHECK(dups > 0);  // 60 proposals of 48 architectures and fewer networks: duplicates are certain
        CHECK(calls + dups == 60);
        // The journal marks the reused candidates, and replaying it evaluates nothing.
        std::ifstream f(path);
        std::size_t marked = 0;
        for (std::string l; std::getline(f, l);) marked += l.find("\"duplicate_of\"") != std::string::npos;
        CHECK(marked == dups);
        auto jr2 = journal::open(path, {"dup_space", layout, {{"seed", 1}}});
        random_search<> c2(layout);
        rng g2(9);
        evaluated.clear();
        const auto again = run_search(c2, g2, {.budget = 60, .batch = batch, .canonical = any.canonical}, ev, reward,
                                      &pool, &jr2);
        CHECK(evaluated.empty());
        for (std::size_t i = 0; i < 60; ++i) CHECK(again[i].duplicate_of == evals[i].duplicate_of);
    }
}
