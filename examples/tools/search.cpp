// accelnas-search: accelerator-aware architecture search end to end (the paper's Figure 1).
//
//   accelnas-search --target coral-usb --space edgetpu --controller reinforce --budget 40 --out runs/demo
//
// A controller proposes architectures of the space; each is decoded at the space's deployment input
// (224x224x3, 1000 classes) and priced by the accelerator model, and decoded at proxy size
// (32x32xC, width x0.25) and trained briefly on a data set (--data, Fashion-MNIST by default) for
// its accuracy on validation images carved from the training images; a multi-objective reward
// steers the controller. The test images only report the best architecture and the baselines. Every evaluated candidate is appended to DIR/journal, so a killed
// search continues with --resume. At the end: DIR/results.csv, DIR/results.json, DIR/pareto.svg,
// DIR/best.json, DIR/final.csv, and a table of the best architectures (retrained with --final-seeds
// seeds) against the published models of the shipped spaces at similar latency. The work itself is accelnas/app/search_run.hpp.
#include "cli.hpp"
#include "oneshot_cli.hpp"

#include <accelnas/app/search_run.hpp>
#ifdef ACCELNAS_WITH_SERVICE
#include <accelnas/service/remote_accelerator.hpp>
#endif
#ifdef ACCELNAS_WITH_MPI
#include <accelnas/dist/search_run.hpp>
#endif

#include <initializer_list>
#include <iostream>

using namespace accelnas;

int main(int argc, char** argv) {
#ifdef ACCELNAS_WITH_MPI
    const dist::mpi_session mpi(argc, argv);  // joins the job under mpirun/srun; alone, MPI is not touched
#endif
    app::search_run::settings s;
    auto& r = s.reward;
    using tools::count_range;
    CLI::App cli{"accelnas-search: accelerator-aware neural architecture search (controller + accelerator model + proxy training)"};
    cli.add_option("--target", s.targets, "latency target(s), comma-separated: " + app::target_list())
        ->delimiter(',')->capture_default_str();
    cli.add_option("--space", s.space, "search space: " + [] {
        std::string r;
        for (const auto& n : space::names()) r += (r.empty() ? "" : ", ") + n;
        return r;
    }())->capture_default_str();
    std::string method = "multi-trial";
    cli.add_option("--method", method, "multi-trial (train every candidate) or oneshot (TuNAS: one weight-sharing supernet, "
                   "see docs/search.md)")->capture_default_str();
    app::oneshot::settings oneshot;
    tools::add_oneshot_options(cli, oneshot);
    cli.add_option("--controller", s.controller, "random, evolution, reinforce or rnn")->capture_default_str();
    cli.add_option("--budget", s.budget, "candidates to evaluate")->capture_default_str()->check(count_range(1, 1000000));
    cli.add_option("--out", s.out, "output directory (journal, results.csv, results.json, pareto.svg, best.json)")->required();
    cli.add_flag("--resume", s.resume, "continue the search journaled in --out");
    cli.add_option("--estimator", s.estimator, "latency model: sim (cycle-level simulator) or apm (analytical performance model)")
        ->capture_default_str()->check(CLI::IsMember({"sim", "apm"}));
    cli.add_option("--threads", s.threads, "candidates evaluated at once (each trains single-threaded); under mpirun: per worker process")
        ->capture_default_str()->check(count_range(1, 256));
    cli.add_option("--batch", s.batch, "proposals per controller update (default: --threads)")->check(count_range(1, 4096));
    cli.add_option("--seed", s.seed, "seed of the controller and of every training")->capture_default_str()
        ->check(count_range(0, INT64_MAX));
    cli.add_option("--reward", r.name, app::reward_list())->capture_default_str()
        ->check(CLI::IsMember({"mnasnet-soft", "mnasnet-hard", "tunas"}));
    cli.add_option("--latency-ms", s.latency_ms, "latency target(s) in ms, one per --target (default: the space's published model)")
        ->delimiter(',')->check(CLI::Range(1e-9, 1e9));
    cli.add_option("--alpha", r.alpha, "MnasNet exponent when the latency meets the target")->capture_default_str();
    cli.add_option("--beta", r.beta, "MnasNet exponent when the latency exceeds the target")->capture_default_str();
    cli.add_option("--tunas-beta", r.tunas_beta,
                   "TuNAS absolute reward cost weight (negative): a 10% latency miss costs 0.05 of accuracy at the default, "
                   "more than a proxy training's noise (docs/search.md, Latency targets)")->capture_default_str();
    cli.add_option("--memory-bonus", r.memory_bonus, "reward bonus when the parameters fit the target's on-chip cache (0 = off)")
        ->capture_default_str();
    cli.add_option("--quality", s.quality, "proxy (train on the data set) or none (latency-only, quality 0.5)")
        ->capture_default_str()->check(CLI::IsMember({"proxy", "none"}));
    cli.add_option("--data", s.data, "proxy data set: " + app::data_spec_list() + " (default: fashion-mnist:--fmnist)");
    cli.add_option("--fmnist", s.fmnist, "Fashion-MNIST directory (IDX .gz files)")->capture_default_str();
    cli.add_option("--train-images", s.proxy.train_images, "proxy training images")->capture_default_str()
        ->check(count_range(1, 100000000));
    cli.add_option("--validation-images", s.proxy.validation_images, "validation images that score each candidate")
        ->capture_default_str()->check(count_range(1, 100000000));
    cli.add_option("--validation", s.proxy.validation, "fraction of the training images held out as validation (by --seed)")
        ->capture_default_str()->check(CLI::Range(1e-6, 0.999));
    cli.add_option("--test-images", s.proxy.test_images, "test images that report the best and the baselines at the end")
        ->capture_default_str()->check(count_range(1, 100000000));
    cli.add_option("--epochs", s.proxy.epochs, "proxy training epochs")->capture_default_str()->check(count_range(1, 1000));
    cli.add_option("--width", s.proxy.width, "proxy width multiplier")->capture_default_str()->check(CLI::Range(1e-3, 100.0));
    cli.add_option("--controller-lr", s.lr, "REINFORCE learning rate (Adam, beta1 = 0)")->capture_default_str()
        ->check(CLI::Range(1e-12, 1e6));
    cli.add_option("--reinforce-batch", s.reinforce_batch,
                   "REINFORCE: candidates per policy-gradient step, the gradient averaged over them as TuNAS (default: --batch; 1: one step per candidate)")
        ->check(count_range(1, 4096));
    cli.add_option("--population", s.population,
                   "evolution: population P (default: --budget / 4, from 1 to 50, so a quarter of the budget is random and the rest evolves)")
        ->check(count_range(1, 1000000));
    cli.add_option("--sample-size", s.sample_size, "evolution: tournament sample S (default: P / 4 rounded up, at least 2)")
        ->check(count_range(1, 1000000));
    cli.add_option("--rnn-hidden", s.rnn_hidden, "rnn: LSTM hidden size (default: 32)")->check(count_range(1, 4096));
    cli.add_option("--rnn-lr", s.rnn_lr, "rnn: learning rate (Adam; default: 0.01)")->check(CLI::Range(1e-12, 1e6));
    cli.add_option("--seeds", s.seeds, "training seeds per candidate; the reward reads their mean, the journal keeps each")
        ->capture_default_str()->check(count_range(1, 100));
    cli.add_option("--final-top", s.final_top, "best architectures retrained at the end with --final-seeds seeds (with the baselines)")
        ->capture_default_str()->check(count_range(1, 1000));
    cli.add_option("--final-seeds", s.final_seeds, "seeds of the final retraining: mean and std of validation and test accuracy")
        ->capture_default_str()->check(count_range(1, 100));
    cli.add_option("--latency-tolerance", s.latency_tolerance,
                   "the best is the highest reward among candidates within this fraction of every latency target "
                   "(--latency-band; when none is: the closest, and the summary says the target was not reached)")
        ->capture_default_str()->check(CLI::Range(0.0, 0.999));
    cli.add_option("--latency-band", s.latency_band,
                   "two-sided: within the tolerance either way (land on the target); at-most: no more than the tolerance over it "
                   "(the target as a budget)")
        ->capture_default_str()->check(CLI::IsMember({"two-sided", "at-most"}));
#ifdef ACCELNAS_WITH_SERVICE
    std::string server;
    cli.add_option("--estimator-server", server,
                   "HOST:PORT of an accelnas-serve that prices the candidates (token file: $ACCELNAS_SERVICE_TOKEN_FILE)");
#endif
    std::string gemm_caches;
    cli.add_option("--gemm-cache-sizes", gemm_caches, "block every training's matrix products by these cache sizes (bytes) "
                   "instead of the CPU's, so that the same seed trains the same weights on CPUs with other caches; kept in "
                   "the journal (a resume must give the same)")->type_name("L1,L2,L3");
    bool no_baselines = false;
    cli.add_flag("--no-baselines", no_baselines, "do not train the published models for comparison");
    return tools::run("accelnas-search", cli, argc, argv, [&] {
        s.baselines = !no_baselines;
        if (cli.count("--gemm-cache-sizes") > 0) {
            s.proxy.gemm_caches = tools::gemm_cache_sizes_option(gemm_caches);
            require(s.quality != "none", "--gemm-cache-sizes applies to training: not to --quality none");
        }
#ifdef ACCELNAS_WITH_SERVICE
        if (!server.empty())
            s.make_model = [&](const std::string& t, const std::string& e) {
                return hw::any_accelerator(service::remote_accelerator(server, t, e));
            };
#endif
        // an option the chosen method does not read is an error, not silently ignored
        const auto only = [&](std::initializer_list<const char*> names, const char* m) {
            for (const char* n : names) require(cli.count(n) == 0, n, " applies to --method ", m, " only");
        };
        if (app::oneshot::is_oneshot(method)) {
            // one-shot reports its result against a two-sided band (its controller aims at the target)
            require(s.latency_band == "two-sided", "--latency-band ", s.latency_band, " applies to --method multi-trial only");
            only({"--controller", "--budget", "--batch", "--reinforce-batch", "--population", "--sample-size", "--rnn-hidden",
                  "--rnn-lr", "--seeds", "--final-top", "--final-seeds", "--no-baselines", "--alpha", "--beta",
                  "--memory-bonus", "--quality"},
                 "multi-trial");
            const auto o = tools::oneshot_settings(oneshot, s, cli.count("--estimator") > 0, cli.count("--reward") > 0,
                                                   cli.count("--controller-lr") > 0, cli.count("--tunas-beta") > 0);
            return app::oneshot::run(o, std::cout, std::cerr) ? app::exit_success : app::exit_failure;
        }
        only({"--steps", "--warmup", "--supernet-lr", "--validation-batch", "--recalibration-images", "--oneshot-seeds",
              "--random-floor", "--rank-check", "--choice-candidates", "--choice-window", "--rerank", "--distill", "--warmup-blocks", "--checkpoint-every"},
             "oneshot");
#ifdef ACCELNAS_WITH_MPI
        const bool ok = dist::run_search(mpi, s, std::cout, std::cerr, search::is_terminal(2));
#else
        const bool ok = app::search_run::run(s, std::cout, std::cerr, search::is_terminal(2));
#endif
#ifdef ACCELNAS_WITH_ONNX
        // best.onnx next to best.json, written by the process that owns the outputs (rank 0 under mpirun)
#ifdef ACCELNAS_WITH_MPI
        if (ok && mpi.rank() == 0) tools::write_best_onnx(s.out, s.seed);
#else
        if (ok) tools::write_best_onnx(s.out, s.seed);
#endif
#endif
        return ok ? app::exit_success : app::exit_failure;
    });
}
