// accelnas-search: accelerator-aware architecture search end to end (the paper's Figure 1).
//
//   accelnas-search --target coral-usb --space edgetpu --controller reinforce --budget 40 --out runs/demo
//
// A controller proposes architectures of the space; each is decoded at the target's input
// (224x224x3, 1000 classes) and priced by the accelerator model, and decoded at proxy size
// (32x32x1, width x0.25) and trained briefly on Fashion-MNIST for its accuracy (see
// include/accelnas/search/proxy.hpp); a multi-objective reward steers the controller. Every
// evaluated candidate is appended to DIR/journal, so a killed search continues with --resume. At the
// end: DIR/results.csv, DIR/results.json, DIR/pareto.svg, DIR/best.json, and a table of the best
// architectures against the published models of the shipped spaces at similar latency.
#include <accelnas/graph/cost.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/search.hpp>
#include <accelnas/search/proxy.hpp>
#include <accelnas/space/registry.hpp>
#ifdef ACCELNAS_WITH_SERVICE
#include <accelnas/service/remote_accelerator.hpp>
#endif

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace accelnas;

namespace {

struct settings {
    std::vector<std::string> targets{"coral-usb"};
    std::string space = "edgetpu";
    std::string controller = "reinforce";
    std::size_t budget = 40;
    std::string out;
    bool resume = false;
    std::string estimator = "sim";
    std::string estimator_server;  // HOST:PORT of an accelnas-serve; empty: the models run in this process
    std::size_t threads = 2;
    std::size_t batch = 0;  // 0: = threads
    std::uint64_t seed = 1;
    std::string reward = "mnasnet-soft";
    std::vector<double> latency_ms;  // empty: the space's published model on each target
    double alpha = -0.07, beta = -0.07, tunas_beta = -0.10;
    double memory_bonus = 0.0;
    std::string quality = "proxy";
    std::string fmnist = train::default_fashion_mnist_dir;
    search::proxy_options proxy;
    bool baselines = true;
    double lr = 0.1;
};

/// Everything a resumed search must agree with (written into the journal header).
nlohmann::json config_of(const settings& s, const std::vector<double>& targets_s) {
    nlohmann::json c{{"controller", s.controller}, {"seed", s.seed},       {"targets", s.targets},
                     {"estimator", s.estimator},   {"batch", s.batch},     {"reward", s.reward},
                     {"latency_targets_s", targets_s}, {"memory_bonus", s.memory_bonus}, {"quality", s.quality},
                     {"controller_lr", s.lr}};
    if (s.reward == "mnasnet-soft" || s.reward == "mnasnet-hard") c["alpha_beta"] = {s.alpha, s.beta};
    if (s.reward == "tunas") c["tunas_beta"] = s.tunas_beta;
    if (s.quality == "proxy")
        c["proxy"] = {{"resolution", s.proxy.resolution}, {"width", s.proxy.width}, {"train_images", s.proxy.train_images},
                      {"test_images", s.proxy.test_images}, {"epochs", s.proxy.epochs}, {"batch", s.proxy.batch},
                      {"lr", s.proxy.lr}};
    return c;
}

/// The reward the settings describe, as one callable.
std::function<double(const search::evaluation&)> make_reward(const settings& s, const std::vector<double>& targets_s,
                                                            const std::vector<double>& cache_bytes) {
    std::function<double(const search::evaluation&)> base;
    if (s.reward == "mnasnet-soft") base = search::mnasnet_reward{targets_s, s.alpha, s.beta};
    else if (s.reward == "mnasnet-hard") base = search::mnasnet_hard(targets_s);
    else if (s.reward == "tunas") base = search::tunas_absolute{targets_s, s.tunas_beta};
    else fail("unknown reward '", s.reward, "' (expected mnasnet-soft, mnasnet-hard or tunas)");
    if (s.memory_bonus == 0.0) return base;
    return search::plus(base, search::memory_fit_bonus{cache_bytes, s.memory_bonus});
}

std::string ms(double seconds) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(3) << seconds * 1e3;
    return os.str();
}

/// A published model of a shipped space, scored like a candidate.
struct baseline {
    std::string name, space, arch_text;
    double accuracy = 0;
    std::vector<double> latency;
};

/// Checks DIR: a new search needs a missing or empty DIR; --resume needs DIR/journal. A non-empty
/// DIR without a journal is someone else's directory and is never written into.
void check_out_dir(const settings& s) {
    require(!s.out.empty(), "--out DIR is required");
    const fs::path dir(s.out), jr = dir / "journal";
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        require(fs::is_directory(dir, ec), "--out ", s.out, ": exists and is not a directory");
        const bool has_journal = fs::exists(jr, ec);
        const bool empty = fs::directory_iterator(dir, ec) == fs::directory_iterator();
        if (s.resume) {
            require(has_journal, "--out ", s.out, ": no journal to resume (", jr.string(), " is missing)");
        } else {
            require(!has_journal, "--out ", s.out, ": holds a search already (pass --resume to continue it, or choose another --out)");
            require(empty, "--out ", s.out, ": is not empty and holds no search journal (refusing to write into a foreign directory)");
        }
    } else {
        require(!s.resume, "--out ", s.out, ": does not exist (nothing to resume)");
        fs::create_directories(dir, ec);
        require(!ec, "--out ", s.out, ": cannot create the directory: ", ec.message());
    }
    // writability check before any long work
    const auto probe = dir / ".write-test";
    {
        std::ofstream f(probe);
        require(f.good(), "--out ", s.out, ": is not writable");
    }
    fs::remove(probe, ec);
}

int run(settings s) {
    const auto t_start = std::chrono::steady_clock::now();
    // ---- names and numbers first: bad input fails before anything is written ----
    require(s.budget >= 1, "--budget must be at least 1, got ", s.budget);
    require(s.threads >= 1, "--threads must be at least 1");
    if (s.batch == 0) s.batch = s.threads;
    require(s.quality == "proxy" || s.quality == "none", "unknown --quality '", s.quality, "' (expected proxy or none)");
    require(!s.targets.empty(), "--target needs at least one target");
    const auto& space = space::find_space(s.space);
    std::vector<hw::any_accelerator> accels;
    std::vector<double> cache_bytes;
    for (const auto& t : s.targets) {
#ifdef ACCELNAS_WITH_SERVICE
        if (!s.estimator_server.empty()) accels.push_back(service::remote_accelerator(s.estimator_server, t, s.estimator));
        else
#endif
        accels.push_back(hw::make_target(t, s.estimator));
        // the memory bonus needs the on-chip parameter memory: an Edge TPU's param cache, 0 for a CPU
        cache_bytes.push_back(t.rfind("pixel4-cpu", 0) == 0 || t.rfind("systolic", 0) == 0
                                  ? 0.0
                                  : static_cast<double>(hw::targets::edgetpu(t).param_cache_bytes));
    }
    const search::decision_layout layout{space.cardinalities};
    search::controller_options copt;
    copt.reinforce.adam.learning_rate = s.lr;
    auto ctrl = search::make_controller(s.controller, layout, copt);
    if (s.quality == "proxy") search::validate(s.proxy);
    require(s.reward == "mnasnet-soft" || s.reward == "mnasnet-hard" || s.reward == "tunas", "unknown --reward '", s.reward,
            "' (expected mnasnet-soft, mnasnet-hard or tunas)");

    const graph::tensor_shape target_input{1, 224, 224, 3};
    auto latencies = [&](const graph::network& net) {
        std::vector<double> l;
        for (const auto& a : accels) l.push_back(a.seconds(net));
        return l;
    };
    // default latency targets: the space's published model (EfficientNet-EdgeTPU-S for edgetpu)
    std::vector<double> targets_s;
    std::string target_from;
    if (s.latency_ms.empty()) {
        for (const auto& k : space::known_points())
            if (k.space == s.space) {
                targets_s = latencies(space.decode(space.parse(k.arch_text), target_input, 1000));
                target_from = std::string(k.model);
            }
        require(!targets_s.empty(), "space '", s.space, "' has no published model to take a latency target from: pass --latency-ms");
    } else {
        require(s.latency_ms.size() == s.targets.size(), "--latency-ms has ", s.latency_ms.size(), " values for ", s.targets.size(),
                " targets (give one per target)");
        for (double v : s.latency_ms) {
            require(v > 0, "--latency-ms must be positive, got ", v);
            targets_s.push_back(v * 1e-3);
        }
    }
    const auto reward = make_reward(s, targets_s, cache_bytes);

    check_out_dir(s);
    const fs::path dir(s.out);
    const search::journal_header header{s.space, layout, config_of(s, targets_s)};
    auto jr = s.resume ? search::journal::open((dir / "journal").string(), header)
                       : search::journal::create((dir / "journal").string(), header);
    if (jr.recovered_tail()) std::cerr << "accelnas-search: recovered the journal: dropped a corrupt last line (a killed run)\n";

    std::cerr << "accelnas-search: space " << s.space << " (" << layout.size() << " decisions, 10^" << std::setprecision(3)
              << space.log10_size << " architectures), controller " << s.controller << ", budget " << s.budget << ", "
              << s.threads << " thread(s), seed " << s.seed << "\n";
    for (std::size_t i = 0; i < s.targets.size(); ++i)
        std::cerr << "  target " << s.targets[i] << " (" << s.estimator << "): latency target " << ms(targets_s[i]) << " ms"
                  << (target_from.empty() ? "" : " (" + target_from + ")") << "\n";
    if (!jr.records().empty()) std::cerr << "  resuming: " << jr.records().size() << " candidate(s) in the journal\n";

    std::optional<train::dataset> data;
    if (s.quality == "proxy") data = search::load_proxy_data(s.fmnist, s.proxy);

    // accuracy cache over earlier rounds (filled between rounds, so it is the same on resume)
    std::map<space::architecture, double> acc_cache;
    std::mutex cache_mutex;
    auto evaluate = [&](const space::architecture& a, std::size_t step) {
        search::evaluation e;
        const auto big = space.decode(a, target_input, 1000);
        e.latency = latencies(big);
        e.param_bytes = static_cast<double>(graph::cost_of(big).params);  // int8 weights
        if (s.quality == "none") {
            e.accuracy = 0.5;
            return e;
        }
        {
            std::lock_guard lock(cache_mutex);
            if (auto it = acc_cache.find(a); it != acc_cache.end()) {
                e.accuracy = it->second;
                return e;
            }
        }
        e.accuracy = search::proxy_accuracy(search::proxy_network(space, a, s.proxy), *data, s.proxy, search::step_seed(s.seed, step));
        return e;
    };

    thread_pool pool(s.threads);
    search::progress_bar bar(std::cerr, s.budget, search::is_terminal(2), std::max<std::size_t>(1, s.budget / 10));
    std::size_t done = 0, replayed = 0;
    double best_reward = -1e300;
    auto on_done = [&](const search::evaluation& e, bool from_journal) {
        ++done;
        replayed += from_journal;
        if (e.ok) {
            std::lock_guard lock(cache_mutex);
            acc_cache.emplace(e.arch, e.accuracy);
            best_reward = std::max(best_reward, e.reward);
        }
        if (from_journal) {
            bar.skip(done);
            return;
        }
        std::ostringstream note;
        note << "best reward " << std::setprecision(4) << best_reward;
        bar.update(done, note.str());
    };
    rng g(s.seed);
    const auto evals = search::run_search(ctrl, g, {.budget = s.budget, .batch = s.batch}, evaluate, reward, &pool, &jr, on_done);

    // ---- baselines: the published models of the shipped spaces, scored like candidates ----
    std::vector<baseline> bases;
    if (s.baselines && s.quality == "proxy") {
        const auto cache_path = dir / "baselines.json";
        nlohmann::json cached;
        if (fs::exists(cache_path)) {
            std::ifstream f(cache_path);
            try { cached = nlohmann::json::parse(f); } catch (...) { cached = nullptr; }
        }
        const auto key = config_of(s, targets_s).dump();
        for (const auto& k : space::known_points()) {
            const auto& sp = space::find_space(k.space);
            baseline b{std::string(k.model), std::string(k.space), std::string(k.arch_text), 0, {}};
            b.latency = latencies(sp.decode(sp.parse(k.arch_text), target_input, 1000));
            bases.push_back(b);
        }
        if (cached.is_object() && cached.value("config", "") == key && cached.contains("accuracy") &&
            cached["accuracy"].size() == bases.size()) {
            for (std::size_t i = 0; i < bases.size(); ++i) bases[i].accuracy = cached["accuracy"][i].get<double>();
        } else {
            std::cerr << "accelnas-search: training the " << bases.size() << " baselines at proxy size\n";
            pool.parallel_for(0, bases.size(), [&](std::size_t i) {
                const auto& sp = space::find_space(bases[i].space);
                bases[i].accuracy = search::proxy_accuracy(search::proxy_network(sp, sp.parse(bases[i].arch_text), s.proxy), *data,
                                                           s.proxy, search::step_seed(s.seed, 1000000 + i));
            });
            nlohmann::json c{{"config", key}, {"models", nlohmann::json::array()}, {"accuracy", nlohmann::json::array()}};
            for (const auto& b : bases) {
                c["models"].push_back(b.name);
                c["accuracy"].push_back(b.accuracy);
            }
            std::ofstream f(cache_path);
            f << c.dump(2) << "\n";
        }
    }

    // ---- outputs ----
    search::write_csv((dir / "results.csv").string(), evals, s.targets);
    search::write_results_json((dir / "results.json").string(), s.space, config_of(s, targets_s), evals);
    std::vector<search::baseline_point> pts;
    for (const auto& b : bases) pts.push_back({b.name, b.accuracy, b.latency[0]});
    search::write_pareto_svg((dir / "pareto.svg").string(), evals, pts,
                             {.title = "accelnas-search: " + s.space + " on " + s.targets[0] + " (" + s.controller + ")",
                              .target = s.targets[0]});
    search::pareto_archive front;
    for (const auto& e : evals) front.insert(e);
    const search::evaluation* best = nullptr;
    std::size_t failed = 0;
    for (const auto& e : evals) {
        failed += !e.ok;
        if (e.ok && (!best || e.reward > best->reward)) best = &e;
    }
    auto describe = [&](const search::evaluation& e) {
        nlohmann::json j{{"step", e.step}, {"arch", space.to_text(e.arch)}, {"choices", e.arch.choices}, {"accuracy", e.accuracy},
                         {"reward", e.reward}, {"param_bytes", e.param_bytes}};
        for (std::size_t i = 0; i < s.targets.size(); ++i) j["latency_ms"][s.targets[i]] = e.latency[i] * 1e3;
        return j;
    };
    {
        nlohmann::json b{{"space", s.space}, {"controller", s.controller}, {"seed", s.seed}, {"budget", s.budget},
                         {"evaluated", evals.size()}, {"failed", failed}};
        b["best"] = best ? describe(*best) : nlohmann::json(nullptr);
        b["pareto"] = nlohmann::json::array();
        for (const auto& e : front.front()) b["pareto"].push_back(describe(e));
        std::ofstream f(dir / "best.json");
        f << b.dump(2) << "\n";
    }

    // ---- report ----
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::cout << "accelnas-search: " << evals.size() << " candidates (" << replayed << " from the journal, " << failed
              << " failed) in " << search::format_duration(wall) << "; results in " << s.out << "\n";
    if (!best) {
        std::cout << "no candidate was evaluated successfully\n";
        return 1;
    }
    std::cout << "best: step " << best->step << ", reward " << std::setprecision(4) << best->reward << ", accuracy "
              << best->accuracy << ", latency " << ms(best->latency[0]) << " ms on " << s.targets[0] << "\n  "
              << space.to_text(best->arch) << "\n";
    std::cout << "Pareto front (" << front.size() << "): accuracy / latency ms on " << s.targets[0] << "\n";
    for (const auto& e : front.front()) std::cout << "  step " << std::setw(4) << e.step << "  " << std::fixed << std::setprecision(4)
                                                  << e.accuracy << "  " << ms(e.latency[0]) << "\n" << std::defaultfloat;
    if (!bases.empty()) {
        std::cout << "against the published models (proxy accuracy, latency on " << s.targets[0] << "):\n";
        std::cout << "  " << std::left << std::setw(24) << "model" << std::right << std::setw(10) << "accuracy" << std::setw(12)
                  << "latency ms" << "   best found at <= 1.05x its latency\n";
        for (const auto& b : bases) {
            const search::evaluation* m = nullptr;
            for (const auto& e : evals)
                if (e.ok && e.latency[0] <= 1.05 * b.latency[0] && (!m || e.accuracy > m->accuracy)) m = &e;
            std::cout << "  " << std::left << std::setw(24) << b.name << std::right << std::fixed << std::setprecision(4) << std::setw(10)
                      << b.accuracy << std::setw(12) << ms(b.latency[0]) << "   ";
            if (m) std::cout << "step " << m->step << ": accuracy " << m->accuracy << ", " << ms(m->latency[0]) << " ms"
                             << (m->accuracy >= b.accuracy ? " (not dominated)" : " (lower accuracy)") << "\n";
            else std::cout << "none\n";
            std::cout << std::defaultfloat;
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    settings s;
    CLI::App app{"accelnas-search: accelerator-aware neural architecture search (controller + accelerator model + proxy training)"};
    app.add_option("--target", s.targets, "latency target(s), comma-separated: coral-usb, coral-devboard, pixel4-edgetpu, pixel4-cpu, ...")
        ->delimiter(',')->capture_default_str();
    app.add_option("--space", s.space, "search space: mnasnet, edgetpu, pixel4")->capture_default_str();
    app.add_option("--controller", s.controller, "random, evolution, reinforce or rnn")->capture_default_str();
    app.add_option("--budget", s.budget, "candidates to evaluate")->capture_default_str();
    app.add_option("--out", s.out, "output directory (journal, results.csv, results.json, pareto.svg, best.json)")->required();
    app.add_flag("--resume", s.resume, "continue the search journaled in --out");
    app.add_option("--estimator", s.estimator, "latency model: sim (cycle-level simulator) or apm (roofline)")->capture_default_str();
#ifdef ACCELNAS_WITH_SERVICE
    app.add_option("--estimator-server", s.estimator_server,
                   "HOST:PORT of an accelnas-serve that prices the candidates (token file: $ACCELNAS_SERVICE_TOKEN_FILE)");
#endif
    app.add_option("--threads", s.threads, "candidates evaluated at once (each trains single-threaded)")->capture_default_str();
    app.add_option("--batch", s.batch, "proposals per controller update (default: --threads)");
    app.add_option("--seed", s.seed, "seed of the controller and of every training")->capture_default_str();
    app.add_option("--reward", s.reward, "mnasnet-soft, mnasnet-hard or tunas")->capture_default_str();
    app.add_option("--latency-ms", s.latency_ms, "latency target(s) in ms, one per --target (default: the space's published model)")
        ->delimiter(',');
    app.add_option("--alpha", s.alpha, "MnasNet exponent when the latency meets the target")->capture_default_str();
    app.add_option("--beta", s.beta, "MnasNet exponent when the latency exceeds the target")->capture_default_str();
    app.add_option("--tunas-beta", s.tunas_beta, "TuNAS absolute reward cost weight")->capture_default_str();
    app.add_option("--memory-bonus", s.memory_bonus, "reward bonus when the parameters fit the target's on-chip cache (0 = off)")
        ->capture_default_str();
    app.add_option("--quality", s.quality, "proxy (train on Fashion-MNIST) or none (latency-only, quality 0.5)")->capture_default_str();
    app.add_option("--fmnist", s.fmnist, "Fashion-MNIST directory (IDX .gz files)")->capture_default_str();
    app.add_option("--train-images", s.proxy.train_images, "proxy training images")->capture_default_str();
    app.add_option("--test-images", s.proxy.test_images, "proxy test images")->capture_default_str();
    app.add_option("--epochs", s.proxy.epochs, "proxy training epochs")->capture_default_str();
    app.add_option("--width", s.proxy.width, "proxy width multiplier")->capture_default_str();
    app.add_option("--controller-lr", s.lr, "REINFORCE learning rate (Adam, beta1 = 0)")->capture_default_str();
    bool no_baselines = false;
    app.add_flag("--no-baselines", no_baselines, "do not train the published models for comparison");
    CLI11_PARSE(app, argc, argv);
    s.baselines = !no_baselines;
    try {
        return run(s);
    } catch (const std::exception& e) {
        std::cerr << "accelnas-search: error: " << e.what() << "\n";
        return 2;
    }
}
