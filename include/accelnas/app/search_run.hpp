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
#include <cmath>
#include <cstdlib>
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

/// A candidate evaluator of the search, type-erased for the hooks of `distribution`.
using evaluator_fn = std::function<search::evaluation(const space::architecture&, std::size_t)>;

/// One process's answer to the start-up check of a distributed search.
struct process_context {
    std::string host;     ///< its host name
    std::string context;  ///< the context text it passed (`blocking_context()` as JSON for a proxy search)
};

/// Hooks of a search spread over several processes (dist/search_run.hpp fills them under mpirun);
/// all empty: the whole search runs in this process.
struct distribution {
    std::size_t slots = 0;  ///< candidates evaluated at once over all workers (the default --batch)
    bool root = true;       ///< this process owns the controller, the journal and the outputs
    /// Start-up check of every process with the text of the options the evaluation depends on and
    /// this process's context (facts of its machine that may differ between processes: the cache
    /// sizes its trainings block by); throws when any process failed to start or its options
    /// differ. Returns on the root every process's host and context (the root's first), on a
    /// worker nothing.
    std::function<std::vector<process_context>(const std::string& options, const std::string& context)> agree;
    /// On the root: an evaluator that runs each call on a worker.
    std::function<evaluator_fn()> remote;
    /// On a worker: evaluates with `evaluate` what the root sends until the root is done.
    std::function<void(evaluator_fn evaluate)> serve;
};

/// Processes of the MPI job this one was started in, from the launcher's environment (1 outside
/// a job): a tool built without MPI refuses to run as N copies of the same search.
inline std::size_t launcher_processes() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* n = std::getenv(v)) return static_cast<std::size_t>(std::max(1L, std::atol(n)));
    return 1;
}

/// How the latency tolerance band around each target is read when the search chooses its result.
enum class latency_band {
    two_sided,  ///< within `tolerance` of the target either way: the target is a latency to land on
    at_most,    ///< at most `tolerance` over the target: the target is a budget (faster is always fine)
};

/// The band called `name` ("two-sided" or "at-most"); `accelnas::error` naming it otherwise.
inline latency_band latency_band_named(const std::string& name) {
    if (name == "two-sided") return latency_band::two_sided;
    if (name == "at-most") return latency_band::at_most;
    fail("unknown --latency-band '", name, "' (expected two-sided or at-most)");
}

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
    std::size_t reinforce_batch = 0;                 ///< REINFORCE observations per gradient step (0: = batch)
    std::size_t population = 0;                      ///< evolution's population (0: from the budget)
    std::size_t sample_size = 0;                     ///< evolution's tournament sample (0: from the population)
    std::size_t rnn_hidden = 0;                      ///< RNN controller hidden size (0: 32)
    double rnn_lr = 0;                               ///< RNN controller learning rate (0: 0.01)
    std::size_t seeds = 1;                           ///< training seeds per candidate (reward from their mean)
    std::size_t final_top = 3;                       ///< best architectures retrained at the end
    std::size_t final_seeds = 3;                     ///< seeds of that retraining and of the baselines
    double latency_tolerance = 0.05;                 ///< relative latency miss of a target that still meets it
    std::string latency_band = "two-sided";          ///< two-sided (land on the target) or at-most (a budget); see `choose`
    /// Builds the latency model of (target, estimator); empty: `hw::make_target` in this process. The
    /// tool sets it to a remote model (`--estimator-server`) when the optional service is built.
    std::function<hw::any_accelerator(const std::string&, const std::string&)> make_model;
    distribution dist;  ///< processes the candidates are spread over (empty: this one)
};

/// The data set of the search (app/data.hpp).
inline std::string data_of(const settings& s) { return s.data.empty() ? "fashion-mnist:" + s.fmnist : s.data; }

/// RNN controller hidden size when --rnn-hidden is not given (the library's `rnn_options` default).
inline constexpr std::size_t default_rnn_hidden = search::rnn_options{}.hidden;
/// RNN controller learning rate when --rnn-lr is not given (the library's `rnn_options` default).
inline constexpr double default_rnn_lr = search::rnn_options{}.adam.learning_rate;

/// Checks the controller and seed options of `s` and fills the ones left at 0 (auto) with their
/// defaults: evolution's population and sample size from the budget (`search::evolution_for_budget`),
/// the REINFORCE batch from `batch` (which must be set), the RNN's hidden size and learning rate.
/// An option that does not apply to `s.controller` is an error naming it; the latency tolerance and
/// band (how the result is chosen) are checked here too. Returns the options of the controller.
inline search::controller_options resolve_controller(settings& s) {
    require(s.batch >= 1, "--batch must be at least 1");
    const bool evo = s.controller == "evolution", rnn = s.controller == "rnn", rl = s.controller == "reinforce";
    require(evo || (s.population == 0 && s.sample_size == 0), "--population and --sample-size apply to --controller evolution only (this search uses ",
            s.controller, ")");
    require(rnn || (s.rnn_hidden == 0 && s.rnn_lr == 0), "--rnn-hidden and --rnn-lr apply to --controller rnn only (this search uses ",
            s.controller, ")");
    require(rl || s.reinforce_batch == 0, "--reinforce-batch applies to --controller reinforce only (this search uses ", s.controller, ")");
    require(s.seeds >= 1 && s.seeds <= 100, "--seeds must be in [1, 100], got ", s.seeds);
    require(s.final_seeds >= 1 && s.final_seeds <= 100, "--final-seeds must be in [1, 100], got ", s.final_seeds);
    require(s.final_top >= 1 && s.final_top <= 1000, "--final-top must be in [1, 1000], got ", s.final_top);
    require(std::isfinite(s.latency_tolerance) && s.latency_tolerance >= 0 && s.latency_tolerance < 1,
            "--latency-tolerance must be in [0, 1), got ", s.latency_tolerance);
    latency_band_named(s.latency_band);
    search::controller_options o;
    o.reinforce.adam.learning_rate = s.lr;
    if (evo) {
        if (s.population == 0) s.population = search::evolution_for_budget(s.budget).population;
        require(s.population <= s.budget, "--population (", s.population, ") exceeds --budget (", s.budget,
                "): evolution would never leave its random initial population");
        if (s.sample_size == 0) s.sample_size = search::evolution_sample_for(s.population);
        require(s.sample_size <= s.population, "--sample-size (", s.sample_size, ") exceeds --population (", s.population, ")");
        o.evolution = {.population = s.population, .sample_size = s.sample_size};
    }
    if (rnn) {
        if (s.rnn_hidden == 0) s.rnn_hidden = default_rnn_hidden;
        if (s.rnn_lr == 0) s.rnn_lr = default_rnn_lr;
        require(s.rnn_hidden <= 4096, "--rnn-hidden must be in [1, 4096], got ", s.rnn_hidden);
        require(std::isfinite(s.rnn_lr) && s.rnn_lr > 0, "--rnn-lr must be positive, got ", s.rnn_lr);
        o.rnn.hidden = s.rnn_hidden;
        o.rnn.adam.learning_rate = s.rnn_lr;
    }
    if (rl) {
        if (s.reinforce_batch == 0) s.reinforce_batch = s.batch;
        require(s.reinforce_batch <= s.batch, "--reinforce-batch (", s.reinforce_batch, ") exceeds --batch (", s.batch,
                "): the controller is updated within a round of --batch proposals");
        o.reinforce.batch = s.reinforce_batch;
    }
    return o;
}

/// The resolved hyper-parameters of the controller, for the log: " (population 10, sample size 3)".
inline std::string controller_note(const settings& s) {
    std::ostringstream os;
    if (s.controller == "evolution") os << " (population " << s.population << ", sample size " << s.sample_size << ")";
    if (s.controller == "reinforce") os << " (learning rate " << s.lr << ", " << s.reinforce_batch << " candidate(s) per gradient step)";
    if (s.controller == "rnn") os << " (hidden " << s.rnn_hidden << ", learning rate " << s.rnn_lr << ")";
    if (s.seeds > 1 && s.quality == "proxy") os << ", " << s.seeds << " training seeds per candidate";
    return os.str();
}

/// The journal's record of pinned GEMM cache sizes (`proxy_options::gemm_caches`): [L1, L2, L3] in
/// bytes, added to a search's config only when they are set, so that journals of searches on the
/// CPU's own sizes (and those written before the option) resume as before.
inline nlohmann::json blocking_json(const train::gemm_cache_sizes& c) { return nlohmann::json::array({c.l1, c.l2, c.l3}); }

/// What the outputs (best.json, oneshot.json, random_floor.json, rank_check.json) say of the blocking
/// the run trained with: the sizes Eigen blocked by ([L1, L2, L3] bytes) and whether they were
/// pinned (`o.gemm_caches`) or the process's own ("cpu": the CPU's unless the caller set others).
inline nlohmann::json blocking_report(const proxy_options& o) {
    return {{"bytes", blocking_json(train::current_gemm_cache_sizes())}, {"from", train::is_set(o.gemm_caches) ? "pinned" : "cpu"}};
}

/// The journal header's context of a run that trains: the cache sizes its products block by.
inline nlohmann::json blocking_context() { return {{"gemm_cache_sizes", blocking_json(train::current_gemm_cache_sizes())}}; }

/// On the resume of a search whose trainings follow the CPU's own blocking (`o.gemm_caches` not
/// set): a warning to `log` when the journal was written on a CPU with another L1 (on one thread
/// only L1 orders the sums), since the resumed trainings then differ from the first CPU's. Nothing
/// for pinned sizes (the journal's config made sure they are the same) or an older journal.
inline void warn_if_other_blocking(const search::journal& jr, const proxy_options& o, std::ostream& log) {
    if (train::is_set(o.gemm_caches)) return;
    const auto& c = jr.written_context();
    if (!c.contains("gemm_cache_sizes")) return;
    const auto& was = c.at("gemm_cache_sizes");
    const auto now = train::current_gemm_cache_sizes();
    if (!was.is_array() || was.size() != 3 || !was[0].is_number_integer() || was[0].get<std::ptrdiff_t>() == now.l1) return;
    log << "accelnas-search: warning: the journal was written on a CPU whose L1 of " << was[0].get<std::ptrdiff_t>()
        << " bytes blocked its trainings; this CPU's is " << now.l1 << " bytes, so the resumed trainings sum in another order "
        << "and the search will not end as it would have there (searches started with --gemm-cache-sizes resume alike on any CPU)\n";
}

/// Under mpirun, after the start-up check: the ranks' L1 sizes when they differ (on one thread only
/// L1 orders the sums), with a warning to `log`. Workers that differ among themselves make a
/// candidate's training depend on the rank that happens to train it, so the search does not repeat,
/// not even on the same machines; a rank 0 that differs from workers that agree leaves the search
/// repeatable but retrains the chosen architectures and the baselines (rank 0's own trainings) in
/// another order than the workers trained them. The warning gives the option that pins the first
/// worker's sizes; a resumed search cannot take it (its journal fixes its sizes) and keeps the
/// context its journal was created with. Returns the record for a new journal's context
/// (`gemm_cache_sizes_by_rank`: per rank its host and sizes), or null when every rank blocks alike
/// (always so when the sizes are pinned: the options agree) or a context is not the sizes.
inline nlohmann::json check_ranks_blocking(const std::vector<process_context>& ranks, bool resumed, std::ostream& log) {
    if (ranks.size() < 2) return nullptr;
    nlohmann::json by_rank = nlohmann::json::array();
    std::vector<std::ptrdiff_t> l1;
    for (const auto& r : ranks) {
        const auto c = nlohmann::json::parse(r.context, nullptr, false);
        // not a proxy search's context (blocking_context): nothing to compare
        if (c.is_discarded() || !c.is_object() || !c.contains("gemm_cache_sizes")) return nullptr;
        const auto& sizes = c.at("gemm_cache_sizes");
        if (!sizes.is_array() || sizes.size() != 3 || !sizes[0].is_number_integer()) return nullptr;
        l1.push_back(sizes[0].get<std::ptrdiff_t>());
        by_rank.push_back({{"host", r.host}, {"gemm_cache_sizes", sizes}});
    }
    const bool workers_differ = std::any_of(l1.begin() + 2, l1.end(), [&](std::ptrdiff_t v) { return v != l1[1]; });
    if (!workers_differ && l1[0] == l1[1]) return nullptr;
    log << "accelnas-search: warning: the ranks block their trainings by different L1 sizes (";
    for (std::size_t i = 0; i < by_rank.size(); ++i)
        log << (i ? "; " : "") << "rank " << i << " on " << by_rank[i]["host"].get<std::string>() << ": " << l1[i] << " bytes";
    log << "): "
        << (workers_differ ? "a candidate's accuracy depends on the worker that trains it, so this search will not repeat"
                           : "the workers' trainings repeat, but rank 0 retrains the chosen architectures and the baselines "
                             "summing in another order than the workers trained them");
    const auto& pin = by_rank[1]["gemm_cache_sizes"];
    log << "; give every rank the same sizes with --gemm-cache-sizes (rank 1's: --gemm-cache-sizes " << pin[0] << "," << pin[1]
        << "," << pin[2] << ")"
        << (resumed ? " when you start a new search (a resume keeps the sizes its journal was started with, and the journal's "
                      "context is the one written then)"
                    : "; the journal's context records each rank's")
        << "\n";
    return by_rank;
}

/// Everything a resumed search must agree with (written into the journal header). Options added
/// after the first journals appear only when they differ from the behaviour of those journals, so
/// a journal written before them resumes with the same explicit settings.
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
    if (s.quality == "proxy" && train::is_set(s.proxy.gemm_caches)) c["proxy"]["gemm_cache_sizes"] = blocking_json(s.proxy.gemm_caches);
    if (s.controller == "evolution" && (s.population != 50 || s.sample_size != 10))
        c["evolution"] = {{"population", s.population}, {"sample_size", s.sample_size}};
    if (s.controller == "rnn" && s.rnn_hidden != 0 && s.rnn_hidden != default_rnn_hidden) c["rnn_hidden"] = s.rnn_hidden;
    if (s.controller == "rnn" && s.rnn_lr != 0 && s.rnn_lr != default_rnn_lr) c["rnn_lr"] = s.rnn_lr;
    if (s.controller == "reinforce" && s.reinforce_batch > 1) c["reinforce_batch"] = s.reinforce_batch;
    if (s.quality == "proxy" && s.seeds > 1) c["seeds"] = s.seeds;
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

/// An architecture trained with several seeds for the final report: a top candidate of the search
/// or a published model.
struct retrained {
    std::string name;                 ///< "step N" for a candidate, the zoo name for a baseline
    std::size_t step = npos;          ///< the candidate's step (`npos` for a baseline)
    std::string space, arch_text;     ///< space and architecture text
    std::vector<double> latency;      ///< seconds per target
    std::vector<double> validation;   ///< validation accuracy per seed (what the search chooses on)
    std::vector<double> test;         ///< test accuracy per seed (reported only, never chosen on)
    /// `step` of a baseline.
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

/// A published model of a shipped space, scored like a candidate.
struct baseline {
    std::string name, space, arch_text;  ///< zoo name, space, architecture text
    double accuracy = 0;                 ///< mean proxy accuracy over the seeds (validation images)
    double test_accuracy = 0;            ///< mean over the same trainings on the test images (reported, never selected on)
    std::vector<double> latency;         ///< seconds per target
    std::vector<double> validation;      ///< validation accuracy per seed
    std::vector<double> test;            ///< test accuracy per seed
};

/// The known points priced on the targets and trained at proxy size with `s.final_seeds` seeds
/// (`training_seed(seed, 1000000 + i, k)`), scored on the validation images and reported on the test
/// images (they are not chosen by the search); accuracies are cached in `cache_path` under the
/// search's config, so a resumed search does not train them again.
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
        baseline b{std::string(k.model), std::string(k.space), std::string(k.arch_text), 0, 0, {}, {}, {}};
        b.latency = p.latencies(deployed(sp, sp.parse(k.arch_text)));
        bases.push_back(b);
    }
    const std::size_t seeds = s.final_seeds;
    if (cached.is_object() && cached.value("config", "") == key && cached.value("seeds", std::size_t(0)) == seeds &&
        cached.contains("validation") && cached["validation"].size() == bases.size() && cached.contains("test") &&
        cached["test"].size() == bases.size()) {
        for (std::size_t i = 0; i < bases.size(); ++i) {
            bases[i].validation = cached["validation"][i].get<std::vector<double>>();
            bases[i].test = cached["test"][i].get<std::vector<double>>();
            bases[i].accuracy = search::mean_of(bases[i].validation);
            bases[i].test_accuracy = search::mean_of(bases[i].test);
        }
        return bases;
    }
    log << "accelnas-search: training the " << bases.size() << " baselines at proxy size (" << seeds << " seed(s) each)\n";
    for (auto& b : bases) b.validation.assign(seeds, 0.0), b.test.assign(seeds, 0.0);
    pool.parallel_for(0, bases.size() * seeds, [&](std::size_t j) {
        const std::size_t i = j / seeds, k = j % seeds;
        const auto& sp = space::find_space(bases[i].space);
        const auto r = proxy_train(proxy_network(sp, sp.parse(bases[i].arch_text), s.proxy, std::int64_t(data.classes)),
                                   data, s.proxy, training_seed(s.seed, 1000000 + i, k), true);
        bases[i].validation[k] = r.validation;
        bases[i].test[k] = r.test;
    });
    nlohmann::json c{{"config", key}, {"seeds", seeds}, {"models", nlohmann::json::array()}, {"accuracy", nlohmann::json::array()},
                     {"test_accuracy", nlohmann::json::array()}, {"validation", nlohmann::json::array()}, {"test", nlohmann::json::array()}};
    for (auto& b : bases) {
        b.accuracy = search::mean_of(b.validation);
        b.test_accuracy = search::mean_of(b.test);
        c["models"].push_back(b.name);
        c["accuracy"].push_back(b.accuracy);
        c["test_accuracy"].push_back(b.test_accuracy);
        c["validation"].push_back(b.validation);
        c["test"].push_back(b.test);
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

/// How far `e` misses the targets as `band` reads them: the largest relative miss over the targets,
/// `|LAT_i / T_i - 1|` for a two-sided band, `max(0, LAT_i / T_i - 1)` for an at-most band (0 = on
/// every target).
inline double target_miss(const search::evaluation& e, const std::vector<double>& targets_s, latency_band band) {
    double m = 0;
    for (std::size_t i = 0; i < targets_s.size() && i < e.latency.size(); ++i) {
        const double d = e.latency[i] / targets_s[i] - 1.0;
        m = std::max(m, band == latency_band::two_sided ? std::abs(d) : std::max(0.0, d));
    }
    return m;
}

/// True when `e` meets every target within `tolerance` as `band` reads it.
inline bool meets_targets(const search::evaluation& e, const std::vector<double>& targets_s, double tolerance, latency_band band) {
    return target_miss(e, targets_s, band) <= tolerance;
}

/// The candidate a search chooses.
struct choice {
    const search::evaluation* best = nullptr;  ///< the chosen candidate (nullptr when none succeeded)
    std::size_t failed = 0;                    ///< candidates whose evaluation failed
    bool reachable = false;                    ///< some candidate meets every latency target (within the tolerance)
    const search::evaluation* closest = nullptr;  ///< the candidate with the smallest `target_miss` (two-sided: nearest the targets)
};

/// Constrained selection: the best candidate by reward among those that meet every target within
/// `tolerance` (`meets_targets`; the default two-sided band reads the target as a latency to land
/// on, `at_most` as a budget). When none does, the targets are out of reach of what the search found
/// and the chosen one is the closest to them (the smallest worst relative miss, measured two-sided
/// so that a too-easy at-most target still names the nearest latency), with `reachable` false.
/// Selection is separate from the reward: whatever trade-off a reward makes (the soft MnasNet reward
/// trades a few percent of latency for accuracy either way; the hard one gives no credit for
/// approaching the target from below), the result lands on the target whenever the search sampled a
/// candidate there, as constrained NAS formulations do.
inline choice choose(const std::vector<search::evaluation>& evals, const std::vector<double>& targets_s, double tolerance,
                     latency_band band = latency_band::two_sided) {
    choice c;
    for (const auto& e : evals) {
        c.failed += !e.ok;
        if (!e.ok) continue;
        const double miss = target_miss(e, targets_s, latency_band::two_sided);
        if (!c.closest || miss < target_miss(*c.closest, targets_s, latency_band::two_sided)) c.closest = &e;
        if (meets_targets(e, targets_s, tolerance, band) && (!c.best || e.reward > c.best->reward)) c.best = &e;
    }
    c.reachable = c.best != nullptr;
    if (!c.best) c.best = c.closest;
    return c;
}

/// Up to `n` candidates for the final report: `first` (the chosen one), then the other successful
/// candidates that meet the targets by reward, then the rest by reward; each network once.
inline std::vector<const search::evaluation*> top_candidates(const std::vector<search::evaluation>& evals, const search::evaluation* first,
                                                             const std::vector<double>& targets_s, double tolerance, std::size_t n,
                                                             latency_band band = latency_band::two_sided) {
    std::vector<const search::evaluation*> all;
    for (const auto& e : evals)
        if (e.ok && e.duplicate_of == search::evaluation::not_a_duplicate && &e != first) all.push_back(&e);
    // Ties keep the search order (the pointers' order in `evals`); std::sort with that tie-break, since
    // clang rejects std::stable_sort's deprecated temporary buffer under -Werror.
    std::sort(all.begin(), all.end(), [&](const search::evaluation* a, const search::evaluation* b) {
        const bool ma = meets_targets(*a, targets_s, tolerance, band), mb = meets_targets(*b, targets_s, tolerance, band);
        if (ma != mb) return ma;
        if (a->reward != b->reward) return a->reward > b->reward;
        return std::less<const search::evaluation*>{}(a, b);
    });
    std::vector<const search::evaluation*> top;
    if (first) top.push_back(first);
    for (auto* e : all) {
        if (top.size() >= n) break;
        if (std::none_of(top.begin(), top.end(), [&](const search::evaluation* t) { return t->arch == e->arch; })) top.push_back(e);
    }
    return top;
}

/// Retrains `top` with `s.final_seeds` seeds each (`training_seed(seed, step, k)`: seed 0 is the
/// search's own training, so its validation accuracy is the one the search saw) and scores each on
/// the validation and the test images. This is where the test images are read.
inline std::vector<retrained> retrain_top(const settings& s, const space::any_space& space, const std::vector<const search::evaluation*>& top,
                                          const train::dataset& data, thread_pool& pool) {
    std::vector<retrained> out;
    for (const auto* e : top)
        out.push_back({"step " + std::to_string(e->step), e->step, s.space, space.to_text(e->arch), e->latency,
                       std::vector<double>(s.final_seeds), std::vector<double>(s.final_seeds)});
    pool.parallel_for(0, top.size() * s.final_seeds, [&](std::size_t j) {
        const std::size_t i = j / s.final_seeds, k = j % s.final_seeds;
        const auto r = proxy_train(proxy_network(space, top[i]->arch, s.proxy, std::int64_t(data.classes)), data, s.proxy,
                                   training_seed(s.seed, top[i]->step, k), true);
        out[i].validation[k] = r.validation;
        out[i].test[k] = r.test;
    });
    return out;
}

/// The final report's rows: the retrained top candidates, then the baselines.
inline std::vector<retrained> final_rows(const std::vector<retrained>& top, const std::vector<baseline>& bases) {
    auto rows = top;
    for (const auto& b : bases) rows.push_back({b.name, retrained::npos, b.space, b.arch_text, b.latency, b.validation, b.test});
    return rows;
}

/// The final report as JSON (results.json's and best.json's "final"): one object per row with the
/// seeds' accuracies and their mean and sample standard deviation.
inline nlohmann::json final_json(const settings& s, const std::vector<retrained>& rows) {
    auto a = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json j{{"name", r.name}, {"space", r.space}, {"arch", r.arch_text}, {"seeds", r.validation.size()},
                         {"validation", {{"mean", search::mean_of(r.validation)}, {"std", search::std_of(r.validation)}, {"per_seed", r.validation}}},
                         {"test", {{"mean", search::mean_of(r.test)}, {"std", search::std_of(r.test)}, {"per_seed", r.test}}}};
        if (r.step != retrained::npos) j["step"] = r.step;
        for (std::size_t i = 0; i < s.targets.size() && i < r.latency.size(); ++i) j["latency_ms"][s.targets[i]] = r.latency[i] * 1e3;
        a.push_back(std::move(j));
    }
    return a;
}

/// Writes the final report as CSV: name, step (empty for a baseline), latency_ms_<target>, seeds,
/// validation mean and std, test mean and std, arch.
inline void write_final_csv(const std::string& path, const settings& s, const std::vector<retrained>& rows) {
    write_file_atomically(path, [&](std::ostream& os) {
        os << "name,step";
        for (const auto& t : s.targets) os << ",latency_ms_" << t;
        os << ",seeds,validation_mean,validation_std,test_mean,test_std,arch\n" << std::setprecision(10);
        for (const auto& r : rows) {
            os << r.name << ',';
            if (r.step != retrained::npos) os << r.step;
            for (std::size_t i = 0; i < s.targets.size(); ++i) os << ',' << (i < r.latency.size() ? r.latency[i] * 1e3 : 0.0);
            os << ',' << r.validation.size() << ',' << search::mean_of(r.validation) << ',' << search::std_of(r.validation) << ','
               << search::mean_of(r.test) << ',' << search::std_of(r.test) << ",\"" << r.arch_text << "\"\n";
        }
    });
}

/// What a search ends with: the choice and the final report (empty for a latency-only search).
struct outcome {
    choice chosen;                   ///< the chosen candidate
    std::vector<double> targets_s;   ///< latency targets, seconds
    std::vector<retrained> final;    ///< retrained top candidates then baselines (empty: no training)
};

/// Writes results.csv, results.json, pareto.svg and best.json (and final.csv after a proxy search)
/// into `s.out`, each whole or not at all.
inline void write_outputs(const settings& s, const space::any_space& space, const nlohmann::json& config,
                          const std::vector<search::evaluation>& evals, const std::vector<baseline>& bases, const outcome& o) {
    const std::filesystem::path dir(s.out);
    const auto fin = o.final.empty() ? nlohmann::json(nullptr) : final_json(s, o.final);
    search::write_csv((dir / "results.csv").string(), evals, s.targets);
    search::write_results_json((dir / "results.json").string(), s.space, config, evals, fin);
    if (!o.final.empty()) write_final_csv((dir / "final.csv").string(), s, o.final);
    std::vector<search::baseline_point> pts;
    for (const auto& b : bases) pts.push_back({b.name, b.accuracy, b.latency[0]});
    search::write_pareto_svg((dir / "pareto.svg").string(), evals, pts,
                             {.title = "accelnas-search: " + s.space + " on " + s.targets[0] + " (" + s.controller + ")",
                              .target = s.targets[0]});
    search::pareto_archive front;
    for (const auto& e : evals) front.insert(e);
    const auto* best = o.chosen.best;
    auto describe = [&](const search::evaluation& e) {
        nlohmann::json j{{"step", e.step}, {"arch", space.to_text(e.arch)}, {"choices", e.arch.choices}, {"accuracy", e.accuracy},
                         {"reward", e.reward}, {"param_bytes", e.param_bytes}};
        if (!e.seed_accuracies.empty()) j["seed_accuracies"] = e.seed_accuracies;
        for (std::size_t i = 0; i < s.targets.size(); ++i) j["latency_ms"][s.targets[i]] = e.latency[i] * 1e3;
        return j;
    };
    nlohmann::json b{{"space", s.space}, {"controller", s.controller}, {"seed", s.seed}, {"budget", s.budget},
                     {"evaluated", evals.size()}, {"failed", o.chosen.failed}};
    for (std::size_t i = 0; i < s.targets.size() && i < o.targets_s.size(); ++i) b["latency_target_ms"][s.targets[i]] = o.targets_s[i] * 1e3;
    b["latency_target_reached"] = o.chosen.reachable;
    b["latency_tolerance"] = s.latency_tolerance;
    b["latency_band"] = s.latency_band;
    if (s.quality == "proxy") b["gemm_cache_sizes"] = blocking_report(s.proxy);
    b["best"] = best ? describe(*best) : nlohmann::json(nullptr);
    if (best && !o.final.empty()) b["best"]["test_accuracy"] = search::mean_of(o.final[0].test);  // reported only: chosen on validation
    b["pareto"] = nlohmann::json::array();
    for (const auto& e : front.front()) b["pareto"].push_back(describe(e));
    if (!fin.is_null()) b["final"] = fin;
    write_file_atomically((dir / "best.json").string(), b.dump(2) + "\n");
}

/// The tolerance band of `s` as the summary names it: "+-5%" (two-sided) or "+5%" (at most).
inline std::string band_text(const settings& s) {
    std::ostringstream os;
    os << (latency_band_named(s.latency_band) == latency_band::two_sided ? "+-" : "+") << std::setprecision(3)
       << s.latency_tolerance * 100 << "%";
    return os.str();
}

/// "mean +- std" of `x` with four decimals.
inline std::string mean_std(const std::vector<double>& x) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(4) << search::mean_of(x) << " +- " << search::std_of(x);
    return os.str();
}

/// The summary: the best candidate, the Pareto front on the first target, the final report (the
/// top candidates and the baselines retrained with several seeds: mean +- std), and each baseline
/// with the best candidate found at no more than 1.05x its latency. Returns false when no
/// candidate succeeded.
inline bool print_summary(std::ostream& out, const settings& s, const space::any_space& space,
                          const std::vector<search::evaluation>& evals, const std::vector<baseline>& bases,
                          std::size_t replayed, double wall_seconds, const outcome& o) {
    const auto* best = o.chosen.best;
    out << "accelnas-search: " << evals.size() << " candidates (" << replayed << " from the journal, " << o.chosen.failed
        << " failed) in " << search::format_duration(wall_seconds) << "; results in " << s.out << "\n";
    if (!best) {
        out << "no candidate was evaluated successfully\n";
        return false;
    }
    if (!o.chosen.reachable) {
        out << "latency target not reached: no candidate is within " << band_text(s) << " of";
        for (std::size_t i = 0; i < s.targets.size(); ++i) out << (i ? " and" : "") << " " << ms(o.targets_s[i]) << " ms on " << s.targets[i];
        out << "; the closest found takes";
        for (std::size_t i = 0; i < s.targets.size(); ++i)
            out << (i ? " and" : "") << " " << ms(best->latency[i]) << " ms (" << std::fixed << std::setprecision(3)
                << best->latency[i] / o.targets_s[i] << "x)" << std::defaultfloat;
        out << " at step " << best->step << ", reported as the best\n";
    }
    search::pareto_archive front;
    for (const auto& e : evals) front.insert(e);
    out << "best: step " << best->step << ", reward " << std::setprecision(4) << best->reward << ", accuracy "
        << best->accuracy;
    if (!best->seed_accuracies.empty()) out << " (mean of " << best->seed_accuracies.size() << " seeds, std " << search::std_of(best->seed_accuracies) << ")";
    out << ", latency " << ms(best->latency[0]) << " ms on " << s.targets[0] << " (" << std::fixed << std::setprecision(3)
        << best->latency[0] / o.targets_s[0] << "x the target " << ms(o.targets_s[0]) << " ms)\n" << std::defaultfloat << "  "
        << space.to_text(best->arch) << "\n";
    if (!o.final.empty())
        out << "  test accuracy of the best (" << o.final[0].test.size() << " trainings, seed 0 the search's, reported only): "
            << mean_std(o.final[0].test) << "\n";
    out << "Pareto front (" << front.size() << "): accuracy / latency ms on " << s.targets[0] << "\n";
    for (const auto& e : front.front())
        out << "  step " << std::setw(4) << e.step << "  " << std::fixed << std::setprecision(4) << e.accuracy << "  "
            << ms(e.latency[0]) << "\n" << std::defaultfloat;
    if (!o.final.empty()) {
        out << "final report: the top " << (o.final.size() - bases.size()) << " candidate(s) and the published models retrained with "
            << s.final_seeds << " seed(s) each (mean +- sample std; test images read only here)\n";
        out << "  " << std::left << std::setw(24) << "architecture" << std::right << std::setw(12) << "latency ms" << std::setw(20)
            << "validation" << std::setw(20) << "test" << "\n";
        for (const auto& r : o.final)
            out << "  " << std::left << std::setw(24) << r.name << std::right << std::setw(12) << ms(r.latency[0]) << std::setw(20)
                << mean_std(r.validation) << std::setw(20) << mean_std(r.test) << "\n";
    }
    if (bases.empty()) return true;
    out << "against the published models (proxy validation and test accuracy, means over " << s.final_seeds << " seed(s); latency on "
        << s.targets[0] << "):\n";
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
    if (!s.dist.agree)
        require(launcher_processes() <= 1, "this accelnas-search was built without MPI (libopenmpi-dev missing at configure "
                "time) but runs as one of ", launcher_processes(), " processes under mpirun or srun: each would run the whole "
                "search; rebuild with MPI, or run it without mpirun");
    if (s.batch == 0) s.batch = s.dist.slots ? s.dist.slots : s.threads;
    require(s.quality == "proxy" || s.quality == "none", "unknown --quality '", s.quality, "' (expected proxy or none)");
    require(!s.targets.empty(), "--target needs at least one target");
    const auto& space = space::find_space(s.space);
    const auto prices = price_on(s.targets, s.estimator, s.make_model);
    const search::decision_layout layout{space.cardinalities};
    const auto names = search::controller_names();
    require(std::find(names.begin(), names.end(), s.controller) != names.end(), "unknown controller '", s.controller,
            "' (expected one of: random, evolution, reinforce, rnn)");
    const auto copt = resolve_controller(s);
    auto ctrl = search::make_controller(s.controller, layout, copt);
    require(!s.dist.agree || s.seeds == 1, "--seeds ", s.seeds, ": several training seeds per candidate are not supported under "
            "mpirun yet (the workers send back one accuracy); run with --seeds 1, or without mpirun");
    if (s.quality == "proxy") {
        validate(s.proxy);
        parse_data_spec(data_of(s));  // a bad --data fails before DIR is created
    }
    // pinned sizes for the whole run (every rank under mpirun runs this: they all train with them)
    const auto blocking = apply_blocking(s.proxy);
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

    std::optional<train::dataset> data;
    auto load_data = [&] {
        data = load_proxy_data(data_of(s), s.proxy, s.seed);
        s.proxy.channels = std::int64_t(data->train.channels);
    };
    // accuracy cache over earlier rounds (filled between rounds, so it is the same on resume):
    // the mean and, with several seeds, each seed's accuracy
    std::map<space::architecture, std::pair<double, std::vector<double>>> acc_cache;
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
                std::tie(e.accuracy, e.seed_accuracies) = it->second;
                return e;
            }
        }
        // k seeds: the reward reads their mean; the journal keeps each (training 0 is the
        // single-seed search's training)
        const auto net = proxy_network(space, a, s.proxy, std::int64_t(data->classes));
        std::vector<double> acc;
        for (std::size_t k = 0; k < s.seeds; ++k) acc.push_back(proxy_accuracy(net, *data, s.proxy, training_seed(s.seed, step, k)));
        e.accuracy = acc.size() == 1 ? acc[0] : search::mean_of(acc);
        if (acc.size() > 1) e.seed_accuracies = std::move(acc);
        return e;
    };

    evaluator_fn remote;
    nlohmann::json ranks_blocking;  // the ranks' cache sizes when they differ (under mpirun)
    if (s.dist.agree) {
        // every process checks in (with its data set: workers train, the root scores the best on the
        // test images) before the root writes anything
        if (s.quality == "proxy") load_data();
        const auto ranks = s.dist.agree(
            nlohmann::json{{"config", config}, {"space", s.space}, {"budget", s.budget}, {"threads", s.threads}}.dump(),
            s.quality == "proxy" ? blocking_context().dump() : std::string{});
        if (!s.dist.root) {
            s.dist.serve(evaluate);
            return true;
        }
        remote = s.dist.remote();  // first: it releases the workers when this run ends, however it ends
        if (s.quality == "proxy") ranks_blocking = check_ranks_blocking(ranks, s.resume, log);
    }
    auto evaluate_anywhere = [&](const space::architecture& a, std::size_t step) {
        if (remote) {
            std::unique_lock lock(cache_mutex);
            if (!acc_cache.contains(a)) {
                lock.unlock();
                return remote(a, step);
            }
        }
        return evaluate(a, step);
    };

    check_out_dir(s);
    const std::filesystem::path dir(s.out);
    auto context = s.quality == "proxy" ? blocking_context() : nlohmann::json::object();
    if (!ranks_blocking.is_null()) context["gemm_cache_sizes_by_rank"] = ranks_blocking;  // kept only by a new journal
    const search::journal_header header{s.space, layout, config, context};
    auto jr = s.resume ? search::journal::open((dir / "journal").string(), header)
                       : search::journal::create((dir / "journal").string(), header);
    if (jr.recovered_tail()) log << "accelnas-search: recovered the journal: dropped a corrupt last line (a killed run)\n";
    if (s.quality == "proxy") warn_if_other_blocking(jr, s.proxy, log);

    log << "accelnas-search: space " << s.space << " (" << layout.size() << " decisions, 10^" << std::setprecision(3)
        << space.log10_size << " architectures), controller " << s.controller << controller_note(s) << ", budget " << s.budget << ", "
        << s.threads << " thread(s), seed " << s.seed << "\n";
    for (std::size_t i = 0; i < s.targets.size(); ++i)
        log << "  target " << s.targets[i] << " (" << s.estimator << "): latency target " << ms(targets_s[i]) << " ms"
            << (target_from.empty() ? "" : " (" + target_from + ")") << "\n";
    log << "  result: the best reward among the candidates within " << band_text(s) << " of every latency target ("
        << s.latency_band << " band)\n";
    if (!jr.records().empty()) log << "  resuming: " << jr.records().size() << " candidate(s) in the journal\n";

    if (s.quality == "proxy") {
        if (!data) load_data();
        log << "  data " << data_of(s) << ": " << data->train.count << " training, " << data->validation.count
            << " validation (scores candidates), " << data->test.count << " test images (reports the best at the end), "
            << data->classes << " classes\n";
    }

    thread_pool pool(remote ? s.dist.slots : s.threads);
    search::progress_bar bar(log, s.budget, log_is_terminal, std::max<std::size_t>(1, s.budget / 10));
    std::size_t done = 0, replayed = 0;
    double best_reward = -1e300;
    auto on_done = [&](const search::evaluation& e, bool from_journal) {
        ++done;
        replayed += from_journal;
        if (e.ok) {
            std::lock_guard lock(cache_mutex);
            acc_cache.emplace(e.arch, std::make_pair(e.accuracy, e.seed_accuracies));
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
    const auto evals = search::run_search(ctrl, g, {.budget = s.budget, .batch = s.batch, .canonical = space.canonical},
                                          evaluate_anywhere, reward, &pool, &jr, on_done);

    const auto band = latency_band_named(s.latency_band);
    outcome o{choose(evals, targets_s, s.latency_tolerance, band), targets_s, {}};
    if (o.chosen.best && !o.chosen.reachable)
        log << "accelnas-search: no candidate meets the latency target (within " << band_text(s) << "); the closest found takes "
            << ms(o.chosen.best->latency[0]) << " ms on " << s.targets[0] << " against a target of " << ms(targets_s[0]) << " ms\n";
    std::vector<baseline> bases;
    if (s.baselines && s.quality == "proxy")
        bases = score_baselines(s, config, prices, *data, pool, (dir / "baselines.json").string(), log);
    // The test images, first read here: the top architectures retrained with s.final_seeds seeds
    // (seed 0 the search's own, so the same validation accuracy) and scored on them, for the report only.
    if (o.chosen.best && s.quality == "proxy") {
        const auto top = top_candidates(evals, o.chosen.best, targets_s, s.latency_tolerance, s.final_top, band);
        log << "accelnas-search: retraining the top " << top.size() << " architecture(s) with " << s.final_seeds << " seed(s) each\n";
        o.final = final_rows(retrain_top(s, space, top, *data, pool), bases);
    }
    write_outputs(s, space, config, evals, bases, o);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return print_summary(out, s, space, evals, bases, replayed, wall, o);
}

}  // namespace accelnas::app::search_run
