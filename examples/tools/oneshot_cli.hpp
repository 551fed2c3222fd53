// accelnas-search --method oneshot: the options only the one-shot search has, and its settings
// taken from the options both methods share (target, space, seed, data, proxy sizes, ...).
#pragma once

#include "cli.hpp"

#include <accelnas/app/oneshot.hpp>
#include <accelnas/app/search_run.hpp>

#include <string>

namespace accelnas::tools {

/// Adds the one-shot options (used with --method oneshot) to `cli`.
inline void add_oneshot_options(CLI::App& cli, app::oneshot::settings& o) {
    cli.add_option("--steps", o.steps, "one-shot: search steps (one training batch of the supernet each)")
        ->capture_default_str()->check(count_range(1, 100000000));
    cli.add_option("--warmup", o.warmup, "one-shot: fraction of the steps in warm-up (controller frozen, largest ops enabled "
                   "with a decaying probability)")->capture_default_str()->check(half_open(0.0, 1.0));
    cli.add_option("--supernet-lr", o.supernet_lr, "one-shot: peak learning rate of the shared weights (cosine)")
        ->capture_default_str()->check(CLI::Range(1e-12, 1e38));
    cli.add_flag("--distill", o.distill, "one-shot: each step also trains the sampled architecture with its kernels, expansions, "
                 "widths and layers at their largest (on the labels) and trains the sampled path on that teacher's predictions "
                 "(the sandwich rule's largest path with in-place distillation; one SGD step of the summed gradients)");
    cli.add_flag("--warmup-blocks", o.warmup_blocks, "one-shot: the warm-up also enables block types: in each stage every block type "
                 "besides the sampled one with the warm-up's decaying probability, the enabled ones summed on the block's input "
                 "(TuNAS' op warm-up; without it the block types are drawn one at a time)");
    cli.add_option("--validation-batch", o.validation_batch, "one-shot: validation images that score each step's path (batch norm normalising by their own statistics)")
        ->capture_default_str()->check(count_range(1, 100000));
    cli.add_option("--recalibration-images", o.recalibration_images,
                   "one-shot: training images that recalibrate the result's batch norm before its one-shot accuracy")
        ->capture_default_str()->check(count_range(2, 100000));
    cli.add_option("--oneshot-seeds", o.seeds, "one-shot: stand-alone trainings of the chosen architecture (mean and std)")
        ->capture_default_str()->check(count_range(0, 1000));
    cli.add_option("--random-floor", o.random_floor, "one-shot: no search; train this many random architectures within "
                   "--latency-tolerance of the target with --oneshot-seeds seeds each (the floor a search must beat)")
        ->capture_default_str()->check(count_range(0, 10000));
    cli.add_option("--rank-check", o.rank_check, "one-shot: no search; with --resume and the options of a finished search, "
                   "score this many random architectures within --latency-tolerance of the target on its supernet, train each "
                   "--oneshot-seeds times from scratch, and print the rank correlations (DIR/rank_check.json)")
        ->capture_default_str()->check(count_range(0, 10000));
    cli.add_option("--choice-candidates", o.choice_candidates, "one-shot: when the policy's most likely architecture misses "
                   "--latency-tolerance, score at most this many in-band candidates (paths sampled in the last --choice-window "
                   "of the steps, and the most likely in band) by one-shot accuracy and take the best; 0: the most likely in band")
        ->capture_default_str()->check(count_range(0, 100000));
    cli.add_option("--choice-window", o.choice_window, "one-shot: fraction of the last steps whose sampled paths are candidates "
                   "(see --choice-candidates)")
        ->capture_default_str()->check(CLI::Range(0.0, 1.0));
    cli.add_option("--rerank", o.rerank, "one-shot: score the in-band candidates (see --choice-candidates) even when the "
                   "argmax is in band, train the K best by one-shot accuracy once each from scratch, and take the best by "
                   "stand-alone validation accuracy (then --oneshot-seeds trainings of it as always); 0: off")
        ->capture_default_str()->check(count_range(0, 100000));
    cli.add_option("--checkpoint-every", o.checkpoint_every, "one-shot: steps between checkpoints of the supernet and controller")
        ->capture_default_str()->check(count_range(1, 100000000));
}

/// The one-shot settings: `o` (its own options) completed with the options shared with the
/// multi-trial search. The estimator is the APM unless --estimator was given; the controller's
/// learning rate and the reward's cost weight are the one-shot defaults (`app::oneshot::settings`)
/// unless --controller-lr or --tunas-beta was given (multi-trial's defaults suit one reward per
/// trained candidate, not a noisy one-batch reward per step); the reward is TuNAS' absolute reward
/// (another --reward is an error).
inline app::oneshot::settings oneshot_settings(app::oneshot::settings o, const app::search_run::settings& s,
                                               bool estimator_given, bool reward_given, bool controller_lr_given,
                                               bool tunas_beta_given) {
    require(!reward_given || s.reward.name == "tunas", "--method oneshot uses the TuNAS absolute reward (--reward tunas), not '",
            s.reward.name, "'");
    require(s.targets.size() == 1, "--method oneshot takes one --target, got ", s.targets.size());
    require(s.latency_ms.size() <= 1, "--method oneshot takes one --latency-ms, got ", s.latency_ms.size());
    o.target = s.targets[0];
    o.space = s.space;
    o.out = s.out;
    o.resume = s.resume;
    o.seed = s.seed;
    if (estimator_given) o.estimator = s.estimator;
    if (!s.latency_ms.empty()) o.latency_ms = s.latency_ms[0];
    if (tunas_beta_given) o.tunas_beta = s.reward.tunas_beta;
    if (controller_lr_given) o.controller_lr = s.lr;
    o.latency_tolerance = s.latency_tolerance;
    o.threads = s.threads;
    o.proxy = s.proxy;
    o.data = s.data;
    o.fmnist = s.fmnist;
    o.make_model = s.make_model;
    return o;
}

}  // namespace accelnas::tools
