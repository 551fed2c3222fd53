// Issue 6(b): the same search, two accelerators. Searches of the Edge TPU space for `coral-usb` and
// for `pixel4-cpu` get the *same* accuracy signal - one proxy training per architecture, shared by
// both searches through a memo and seeded by the architecture, not by the search - and differ only in
// the latency model inside the reward. Which block kinds each search settles on, stage by stage, is
// then the accelerator's doing. The paper's finding: fused IBN dominates the early stages on the Edge
// TPU (its depthwise convolutions use the systolic array poorly), depthwise IBN on the CPU (where
// the fused block's extra MACs cost their full price).
//
//   example_search_block_histogram          (= --controller reinforce --budget 100 --tunas-beta -0.3)
//
// Prints, per target, the block-kind histogram per stage over the `--top` best architectures by reward.
// The reward is TuNAS' absolute reward with the latency target at EfficientNet-EdgeTPU-S's latency on
// each device; the cost weight -0.3 (instead of -0.10) makes latency matter against the noise of a
// 2,000-image proxy training. With evolution and under 100 candidates the best architectures of a
// search are one lineage and tell little; REINFORCE's samples spread more.
#include <accelnas/hw/targets.hpp>
#include <accelnas/search.hpp>
#include <accelnas/app/proxy.hpp>
#include <accelnas/space/registry.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>

using namespace accelnas;

int main(int argc, char** argv) {
    std::size_t budget = 100, top = 10, threads = 2;
    std::uint64_t seed = 1;
    std::string controller = "reinforce", fmnist = train::default_fashion_mnist_dir;
    app::proxy_options proxy;
    proxy.train_images = 2000;
    proxy.validation_images = 1000;
    double tunas_beta = -0.3;
    CLI::App app{"Block-kind histogram per stage of searches for coral-usb and pixel4-cpu with one accuracy signal"};
    app.add_option("--budget", budget, "candidates per search")->capture_default_str();
    app.add_option("--top", top, "architectures (best rewards) counted in the histogram")->capture_default_str();
    app.add_option("--controller", controller, "random, evolution, reinforce or rnn")->capture_default_str();
    app.add_option("--threads", threads, "candidates trained at once")->capture_default_str();
    app.add_option("--seed", seed, "seed")->capture_default_str();
    app.add_option("--train-images", proxy.train_images, "proxy training images")->capture_default_str();
    app.add_option("--validation-images", proxy.validation_images, "validation images that score candidates")
        ->capture_default_str();
    app.add_option("--tunas-beta", tunas_beta, "TuNAS absolute reward cost weight")->capture_default_str();
    app.add_option("--fmnist", fmnist, "Fashion-MNIST directory")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        require(budget >= 1 && top >= 1 && threads >= 1, "--budget, --top and --threads must be at least 1");
        const auto& sp = space::find_space("edgetpu");
        const search::decision_layout layout{sp.cardinalities};
        const auto data = app::load_proxy_data(fmnist, proxy);
        // Decision indices of each stage's block kind, and the kind names, from the space's own names.
        std::vector<std::size_t> block_decision;
        for (std::size_t d = 0; d < sp.decision_names.size(); ++d)
            if (sp.decision_names[d].ends_with(".block")) block_decision.push_back(d);

        // The one accuracy signal: memoized, seeded by the architecture.
        std::map<space::architecture, double> memo;
        std::mutex memo_mutex;
        std::size_t trainings = 0;
        auto accuracy = [&](const space::architecture& a) {
            {
                std::lock_guard lock(memo_mutex);
                if (auto it = memo.find(a); it != memo.end()) return it->second;
            }
            const double acc = app::proxy_accuracy(app::proxy_network(sp, a, proxy), data, proxy,
                                                   app::step_seed(seed, std::hash<space::architecture>{}(a)));
            std::lock_guard lock(memo_mutex);
            ++trainings;
            return memo.emplace(a, acc).first->second;
        };

        thread_pool pool(threads);
        for (const std::string target : {"coral-usb", "pixel4-cpu"}) {
            const auto model = hw::make_target(target, "sim");
            auto latency = [&](const space::architecture& a) { return model.seconds(sp.decode(a, sp.deployment.shape(), sp.deployment.classes)); };
            // latency target: EfficientNet-EdgeTPU-S on this device
            const double t = latency(space::efficientnet_edgetpu_s_arch());
            const search::tunas_absolute reward{{t}, tunas_beta};
            auto evaluate = [&](const space::architecture& a, std::size_t) {
                search::evaluation e;
                e.latency = {latency(a)};
                e.accuracy = accuracy(a);
                return e;
            };
            search::controller_options copt;
            copt.evolution = {.population = std::max<std::size_t>(2, budget / 3), .sample_size = std::max<std::size_t>(1, budget / 12)};
            auto ctrl = search::make_controller(controller, layout, copt);
            rng g(seed);
            auto evals = search::run_search(ctrl, g, {.budget = budget, .batch = threads}, evaluate, reward, &pool);
            std::erase_if(evals, [](const search::evaluation& e) { return !e.ok; });
            std::sort(evals.begin(), evals.end(), [](const auto& a, const auto& b) { return a.reward > b.reward; });
            evals.resize(std::min(top, evals.size()));

            std::cout << "\n" << target << " (target " << std::fixed << std::setprecision(3) << t * 1e3
                      << " ms = EfficientNet-EdgeTPU-S; " << controller << ", " << budget << " candidates): block kinds of the "
                      << evals.size() << " best architectures\n";
            std::cout << "  stage   conv  dwsep    ibn  fused_ibn\n";
            for (std::size_t s = 0; s < block_decision.size(); ++s) {
                std::array<int, 4> h{};
                for (const auto& e : evals) ++h[static_cast<std::size_t>(e.arch.choices[block_decision[s]])];
                std::cout << "  " << std::setw(5) << s + 1 << std::setw(7) << h[0] << std::setw(7) << h[1] << std::setw(7) << h[2]
                          << std::setw(11) << h[3] << "\n";
            }
            if (!evals.empty())
                std::cout << "  best: accuracy " << std::setprecision(4) << evals[0].accuracy << ", " << std::setprecision(3)
                          << evals[0].latency[0] * 1e3 << " ms: " << sp.to_text(evals[0].arch) << "\n";
        }
        std::cout << "\n" << trainings << " proxy trainings shared by both searches\n";
    } catch (const std::exception& e) {
        std::cerr << "example_search_block_histogram: error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
