#pragma once
/// \file
/// `accelnas-search` end to end (the paper's Figure 1): a controller proposes architectures of a
/// space; each is decoded at the space's deployment input and priced by the accelerator models of
/// the targets, and decoded at proxy size and trained briefly on a data set (Fashion-MNIST by
/// default) for its validation accuracy (app/proxy.hpp); a multi-objective reward (app/reward.hpp)
/// steers the controller. The test images are read only at the end, to report the best
/// architecture and the baselines. Every
/// evaluated candidate is appended to DIR/journal, so a killed search continues with `resume`. At
/// the end: DIR/results.csv, DIR/results.json, DIR/pareto.svg, DIR/best.json (each written whole or
/// not at all), the published models of the shipped spaces trained the same way as baselines
/// (cached in DIR/baselines.json), and a summary against them.

#include <accelnas/app/proxy.hpp>
#include <accelnas/app/reward.hpp>
#include <accelnas/app/targets.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/thread_pool.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/hw/any_accelerator.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/search.hpp>
#include <accelnas/space/registry.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <functional>
#include <string>
#include <vector>

namespace accelnas::app::search_run {

/// A search as the tool describes it.
struct settings {
    std::vector<std::string> targets{"coral-usb"};  ///< latency targets (hw::make_target names)
    std::string space = "edgetpu";                   ///< shipped search space
    std::string controller = "reinforce";            ///< random, evolution, reinforce or rnn
    std::size_t budget = 40;                         ///< candidates to evaluate
    std::string out;                                 ///< output directory
    bool resume = false;                             ///< continue the search journaled in `out`
    std::string estimator = "sim";                   ///< sim or apm
    std::size_t threads = 2;                         ///< candidates evaluated at once
    std::size_t batch = 0;                           ///< proposals per controller update (0: = threads)
    std::uint64_t seed = 1;                          ///< seed of the controller and every training
    reward_settings reward;                          ///< the reward
    std::vector<double> latency_ms;                  ///< latency targets (empty: the space's published model)
    std::string quality = "proxy";                   ///< proxy (train) or none (latency only, accuracy 0.5)
    std::string fmnist = train::default_fashion_mnist_dir;  ///< Fashion-MNIST folder (when `data` is empty)
    std::string data;                                ///< data set (app/data.hpp); empty: fashion-mnist:`fmnist`
    proxy_options proxy;                             ///< the proxy task
    bool baselines = true;                           ///< train the published models for comparison
    double lr = 0.1;                                 ///< REINFORCE learning rate
    /// Builds the latency model of (target, estimator); empty: `hw::make_target` in this process. The
    /// tool sets it to a remote model (`--estimator-server`) when the optional service is built.
    std::function<hw::any_accelerator(const std::string&, const std::string&)> make_model;
};

/// The data set of the search (app/data.hpp).
inline std::string data_of(const settings& s) { return s.data.empty() ? "fashion-mnist:" + s.fmnist : s.data; }

/// Everything a resumed search must agree with (written into the journal header).
inline nlohmann::json config_of(const settings& s, const std::vector<double>& targets_s) {
    nlohmann::json c{{"controller", s.controller}, {"seed", s.seed},       {"targets", s.targets},
                     {"estimator", s.estimator},   {"batch", s.batch},     {"reward", s.reward.name},
                     {"latency_targets_s", targets_s}, {"memory_bonus", s.reward.memory_bonus}, {"quality", s.quality},
                     {"controller_lr", s.lr}};
    if (s.reward.name == "mnasnet-soft" || s.reward.name == "mnasnet-hard") c["alpha_beta"] = {s.reward.alpha, s.reward.beta};
    if (s.reward.name == "tunas") c["tunas_beta"] = s.reward.tunas_beta;
    if (s.quality == "proxy")
        c["proxy"] = {{"resolution", s.proxy.resolution}, {"width", s.proxy.width}, {"train_images", s.proxy.train_images},
                      {"validation_images", s.proxy.validation_images}, {"validation", s.proxy.validation},
                      {"test_images", s.proxy.test_images}, {"epochs", s.proxy.epochs}, {"batch", s.proxy.batch},
                      {"lr", s.proxy.lr}, {"data", data_of(s)}};
    return c;
}

/// Milliseconds with three decimals.
inline std::string ms(double seconds) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(3) << seconds * 1e3;
    return os.str();
}

/// The latency models of the targets.
struct pricing {
    std::vector<hw::any_accelerator> models;  ///< one per target
    std::vector<double> cache_bytes;          ///< on-chip parameter bytes per target (from its config)

    /// Seconds of `net` on each target.
    std::vector<double> latencies(const graph::network& net) const {
        std::vector<double> l;
        for (const auto& a : models) l.push_back(a.seconds(net));
        return l;
    }
};

/// The models of `targets` with `estimator`, and each target's on-chip parameter memory.
inline pricing price_on(const std::vector<std::string>& targets, const std::string& estimator,
                        const std::function<hw::any_accelerator(const std::string&, const std::string&)>& make_model = {}) {
    pricing p;
    for (const auto& t : targets) {
        p.models.push_back(make_model ? make_model(t, estimator) : hw::make_target(t, estimator));
        p.cache_bytes.push_back(on_chip_parameter_bytes(shipped_config(t)));
    }
    return p;
}

/// Architecture `a` of space `s` at the space's deployment input.
inline graph::network deployed(const space::any_space& s, const space::architecture& a) {
    return s.decode(a, s.deployment.shape(), s.deployment.classes);
}

/// Default latency targets: the latency of the space's published model (its known point) on each
/// target, and the model's name; `accelnas::error` when the space has none.
inline std::pair<std::vector<double>, std::string> default_latency_targets(const space::any_space& s, const pricing& p) {
    std::vector<double> targets_s;
    std::string from;
    for (const auto& k : space::known_points())
        if (k.space == s.name) {
            targets_s = p.latencies(deployed(s, s.parse(k.arch_text)));
            from = std::string(k.model);
        }
    require(!targets_s.empty(), "space '", s.name, "' has no published model to take a latency target from: pass --latency-ms");
    return {targets_s, from};
}

/// Checks DIR: a new search needs a missing or empty DIR; `resume` needs DIR/journal. A non-empty
/// DIR without a journal is someone else's directory and is never written into.
inline void check_out_dir(const settings& s) {
    namespace fs = std::filesystem;
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

/// A published model of a shipped space, scored like a candidate.
struct baseline {
    std::string name, space, arch_text;  ///< zoo name, space, architecture text
    double accuracy = 0;                 ///< proxy accuracy (validation images)
    double test_accuracy = 0;            ///< the same training on the test images (reported, never selected on)
    std::vector<double> latency;         ///< seconds per target
};

/// The known points priced on the targets and trained at proxy size (seeds step_seed(seed,
/// 1000000 + i)), scored on the validation images and reported on the test images (they are not
/// chosen by the search); accuracies are cached in `cache_path` under the search's config, so a resumed
/// search does not train them again.
inline std::vector<baseline> score_baselines(const settings& s, const nlohmann::json& config, const pricing& p,
                                             const train::dataset& data, thread_pool& pool, const std::string& cache_path,
                                             std::ostream& log) {
    std::vector<baseline> bases;
    nlohmann::json cached;
    if (std::filesystem::exists(cache_path)) {
        std::ifstream f(cache_path);
        try { cached = nlohmann::json::parse(f); } catch (...) { cached = nullptr; }
    }
    const auto key = config.dump();
    for (const auto& k : space::known_points()) {
        const auto& sp = space::find_space(k.space);
        baseline b{std::string(k.model), std::string(k.space), std::string(k.arch_text), 0, 0, {}};
        b.latency = p.latencies(deployed(sp, sp.parse(k.arch_text)));
        bases.push_back(b);
    }
    if (cached.is_object() && cached.value("config", "") == key && cached.contains("accuracy") &&
        cached["accuracy"].size() == bases.size() && cached.contains("test_accuracy") &&
        cached["test_accuracy"].size() == bases.size()) {
        for (std::size_t i = 0; i < bases.size(); ++i) {
            bases[i].accuracy = cached["accuracy"][i].get<double>();
            bases[i].test_accuracy = cached["test_accuracy"][i].get<double>();
        }
        return bases;
    }
    log << "accelnas-search: training the " << bases.size() << " baselines at proxy size\n";
    pool.parallel_for(0, bases.size(), [&](std::size_t i) {
        const auto& sp = space::find_space(bases[i].space);
        const auto r = proxy_train(proxy_network(sp, sp.parse(bases[i].arch_text), s.proxy, std::int64_t(data.classes)),
                                   data, s.proxy, step_seed(s.seed, 1000000 + i), true);
        bases[i].accuracy = r.validation;
        bases[i].test_accuracy = r.test;
    });
    nlohmann::json c{{"config", key}, {"models", nlohmann::json::array()}, {"accuracy", nlohmann::json::array()},
                     {"test_accuracy", nlohmann::json::array()}};
    for (const auto& b : bases) {
        c["models"].push_back(b.name);
        c["accuracy"].push_back(b.accuracy);
        c["test_accuracy"].push_back(b.test_accuracy);
    }
    write_file_atomically(cache_path, c.dump(2) + "\n");
    return bases;
}

/// The best successful candidate by reward (nullptr when none succeeded) and the failure count.
inline std::pair<const search::evaluation*, std::size_t> best_of(const std::vector<search::evaluation>& evals) {
    const search::evaluation* best = nullptr;
    std::size_t failed = 0;
    for (const auto& e : evals) {
        failed += !e.ok;
        if (e.ok && (!best || e.reward > best->reward)) best = &e;
    }
    return {best, failed};
}

/// Writes results.csv, results.json, pareto.svg and best.json into `s.out`, each whole or not at all.
inline void write_outputs(const settings& s, const space::any_space& space, const nlohmann::json& config,
                          const std::vector<search::evaluation>& evals, const std::vector<baseline>& bases,
                          std::optional<double> best_test = std::nullopt) {
    const std::filesystem::path dir(s.out);
    search::write_csv((dir / "results.csv").string(), evals, s.targets);
    search::write_results_json((dir / "results.json").string(), s.space, config, evals);
    std::vector<search::baseline_point> pts;
    for (const auto& b : bases) pts.push_back({b.name, b.accuracy, b.latency[0]});
    search::write_pareto_svg((dir / "pareto.svg").string(), evals, pts,
                             {.title = "accelnas-search: " + s.space + " on " + s.targets[0] + " (" + s.controller + ")",
                              .target = s.targets[0]});
    search::pareto_archive front;
    for (const auto& e : evals) front.insert(e);
    const auto [best, failed] = best_of(evals);
    auto describe = [&](const search::evaluation& e) {
        nlohmann::json j{{"step", e.step}, {"arch", space.to_text(e.arch)}, {"choices", e.arch.choices}, {"accuracy", e.accuracy},
                         {"reward", e.reward}, {"param_bytes", e.param_bytes}};
        for (std::size_t i = 0; i < s.targets.size(); ++i) j["latency_ms"][s.targets[i]] = e.latency[i] * 1e3;
        return j;
    };
    nlohmann::json b{{"space", s.space}, {"controller", s.controller}, {"seed", s.seed}, {"budget", s.budget},
                     {"evaluated", evals.size()}, {"failed", failed}};
    b["best"] = best ? describe(*best) : nlohmann::json(nullptr);
    if (best && best_test) b["best"]["test_accuracy"] = *best_test;  // reported only: the search chose on validation
    b["pareto"] = nlohmann::json::array();
    for (const auto& e : front.front()) b["pareto"].push_back(describe(e));
    write_file_atomically((dir / "best.json").string(), b.dump(2) + "\n");
}

/// The summary: the best candidate, the Pareto front on the first target, and each baseline with
/// the best candidate found at no more than 1.05x its latency. Returns false when no candidate
/// succeeded.
inline bool print_summary(std::ostream& out, const settings& s, const space::any_space& space,
                          const std::vector<search::evaluation>& evals, const std::vector<baseline>& bases,
                          std::size_t replayed, double wall_seconds, std::optional<double> best_test = std::nullopt) {
    const auto [best, failed] = best_of(evals);
    out << "accelnas-search: " << evals.size() << " candidates (" << replayed << " from the journal, " << failed
        << " failed) in " << search::format_duration(wall_seconds) << "; results in " << s.out << "\n";
    if (!best) {
        out << "no candidate was evaluated successfully\n";
        return false;
    }
    search::pareto_archive front;
    for (const auto& e : evals) front.insert(e);
    out << "best: step " << best->step << ", reward " << std::setprecision(4) << best->reward << ", accuracy "
        << best->accuracy << ", latency " << ms(best->latency[0]) << " ms on " << s.targets[0] << "\n  "
        << space.to_text(best->arch) << "\n";
    if (best_test)
        out << "  test accuracy of the best (same training, reported only): " << std::setprecision(4) << *best_test << "\n";
    out << "Pareto front (" << front.size() << "): accuracy / latency ms on " << s.targets[0] << "\n";
    for (const auto& e : front.front())
        out << "  step " << std::setw(4) << e.step << "  " << std::fixed << std::setprecision(4) << e.accuracy << "  "
            << ms(e.latency[0]) << "\n" << std::defaultfloat;
    if (bases.empty()) return true;
    out << "against the published models (proxy validation and test accuracy, latency on " << s.targets[0] << "):\n";
    out << "  " << std::left << std::setw(24) << "model" << std::right << std::setw(10) << "accuracy" << std::setw(10)
        << "test" << std::setw(12) << "latency ms" << "   best found at <= 1.05x its latency\n";
    for (const auto& b : bases) {
        const search::evaluation* m = nullptr;
        for (const auto& e : evals)
            if (e.ok && e.latency[0] <= 1.05 * b.latency[0] && (!m || e.accuracy > m->accuracy)) m = &e;
        out << "  " << std::left << std::setw(24) << b.name << std::right << std::fixed << std::setprecision(4)
            << std::setw(10) << b.accuracy << std::setw(10) << b.test_accuracy << std::setw(12) << ms(b.latency[0]) << "   ";
        if (m) out << "step " << m->step << ": accuracy " << m->accuracy << ", " << ms(m->latency[0]) << " ms"
                   << (m->accuracy >= b.accuracy ? " (not dominated)" : " (lower accuracy)") << "\n";
        else out << "none\n";
        out << std::defaultfloat;
    }
    return true;
}

/// Runs the search `s` describes: checks every argument before creating DIR, then searches, writes
/// the outputs and prints the summary to `out` (progress goes to `log`). Returns false when no
/// candidate succeeded.
inline bool run(settings s, std::ostream& out, std::ostream& log, bool log_is_terminal) {
    const auto t_start = std::chrono::steady_clock::now();
    // ---- names and numbers first: bad input fails before anything is written ----
    require(s.budget >= 1, "--budget must be at least 1, got ", s.budget);
    require(s.threads >= 1, "--threads must be at least 1");
    if (s.batch == 0) s.batch = s.threads;
    require(s.quality == "proxy" || s.quality == "none", "unknown --quality '", s.quality, "' (expected proxy or none)");
    require(!s.targets.empty(), "--target needs at least one target");
    const auto& space = space::find_space(s.space);
    const auto prices = price_on(s.targets, s.estimator, s.make_model);
    const search::decision_layout layout{space.cardinalities};
    search::controller_options copt;
    copt.reinforce.adam.learning_rate = s.lr;
    auto ctrl = search::make_controller(s.controller, layout, copt);
    if (s.quality == "proxy") {
        validate(s.proxy);
        parse_data_spec(data_of(s));  // a bad --data fails before DIR is created
    }
    require(is_reward_name(s.reward.name), "unknown --reward '", s.reward.name, "' (expected ", reward_list(), ")");

    std::vector<double> targets_s;
    std::string target_from;
    if (s.latency_ms.empty()) {
        std::tie(targets_s, target_from) = default_latency_targets(space, prices);
    } else {
        require(s.latency_ms.size() == s.targets.size(), "--latency-ms has ", s.latency_ms.size(), " values for ",
                s.targets.size(), " targets (give one per target)");
        for (double v : s.latency_ms) {
            require(v > 0, "--latency-ms must be positive, got ", v);
            targets_s.push_back(v * 1e-3);
        }
    }
    const auto reward = make_reward(s.reward, targets_s, prices.cache_bytes);
    const auto config = config_of(s, targets_s);

    check_out_dir(s);
    const std::filesystem::path dir(s.out);
    const search::journal_header header{s.space, layout, config};
    auto jr = s.resume ? search::journal::open((dir / "journal").string(), header)
                       : search::journal::create((dir / "journal").string(), header);
    if (jr.recovered_tail()) log << "accelnas-search: recovered the journal: dropped a corrupt last line (a killed run)\n";

    log << "accelnas-search: space " << s.space << " (" << layout.size() << " decisions, 10^" << std::setprecision(3)
        << space.log10_size << " architectures), controller " << s.controller << ", budget " << s.budget << ", "
        << s.threads << " thread(s), seed " << s.seed << "\n";
    for (std::size_t i = 0; i < s.targets.size(); ++i)
        log << "  target " << s.targets[i] << " (" << s.estimator << "): latency target " << ms(targets_s[i]) << " ms"
            << (target_from.empty() ? "" : " (" + target_from + ")") << "\n";
    if (!jr.records().empty()) log << "  resuming: " << jr.records().size() << " candidate(s) in the journal\n";

    std::optional<train::dataset> data;
    if (s.quality == "proxy") {
        data = load_proxy_data(data_of(s), s.proxy, s.seed);
        s.proxy.channels = std::int64_t(data->train.channels);
        log << "  data " << data_of(s) << ": " << data->train.count << " training, " << data->validation.count
            << " validation (scores candidates), " << data->test.count << " test images (reports the best at the end), "
            << data->classes << " classes\n";
    }

    // accuracy cache over earlier rounds (filled between rounds, so it is the same on resume)
    std::map<space::architecture, double> acc_cache;
    std::mutex cache_mutex;
    auto evaluate = [&](const space::architecture& a, std::size_t step) {
        search::evaluation e;
        const auto big = deployed(space, a);
        e.latency = prices.latencies(big);
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
        e.accuracy = proxy_accuracy(proxy_network(space, a, s.proxy, std::int64_t(data->classes)), *data, s.proxy,
                                    step_seed(s.seed, step));
        return e;
    };

    thread_pool pool(s.threads);
    search::progress_bar bar(log, s.budget, log_is_terminal, std::max<std::size_t>(1, s.budget / 10));
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

    std::vector<baseline> bases;
    if (s.baselines && s.quality == "proxy")
        bases = score_baselines(s, config, prices, *data, pool, (dir / "baselines.json").string(), log);
    // The test images, first read here: the best architecture retrained with its own seed (the same
    // training, so the same validation accuracy) and scored on them, for the report only.
    std::optional<double> best_test;
    if (const auto [best, failed] = best_of(evals); best && s.quality == "proxy") {
        const auto r = proxy_train(proxy_network(space, best->arch, s.proxy, std::int64_t(data->classes)), *data, s.proxy,
                                   step_seed(s.seed, best->step), true);
        best_test = r.test;
    }
    write_outputs(s, space, config, evals, bases, best_test);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return print_summary(out, s, space, evals, bases, replayed, wall, best_test);
}

}  // namespace accelnas::app::search_run
