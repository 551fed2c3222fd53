// A complete latency-aware search in a few lines: REINFORCE over the Edge TPU space, latency from
// the coral-usb APM (the analytical model), TuNAS absolute reward (quality held constant), journaled to disk.
#include <accelnas/hw/targets.hpp>
#include <accelnas/search.hpp>
#include <accelnas/space/registry.hpp>

#include <filesystem>
#include <iostream>

int main() {
    using namespace accelnas;
    const auto& sp = space::find_space("edgetpu");
    const auto apm = hw::make_target("coral-usb", "apm");
    search::reinforce<> ctrl(search::decision_layout{sp.cardinalities}, {.adam = {.learning_rate = 0.2}});
    const search::tunas_absolute reward{{1.5e-3}, -0.10};           // 1.5 ms target
    auto evaluate = [&](const space::architecture& a, std::size_t) {  // any callable of this shape
        search::evaluation e;
        e.accuracy = 0.5;                                            // latency-only search
        e.latency = {apm.seconds(sp.decode(a, {1, 224, 224, 3}, 1000))};
        return e;
    };
    std::filesystem::remove("search.journal");                      // a new search each run
    auto jr = search::journal::create("search.journal", {"edgetpu", ctrl.layout(), {{"seed", 1}}});
    rng g(1);
    thread_pool pool(2);
    const auto evals = search::run_search(ctrl, g, {.budget = 400, .batch = 2}, evaluate, reward, &pool, &jr);
    std::cout << evals.size() << " evaluations; most likely architecture:\n" << sp.to_text(ctrl.mode()) << "\n";
}
