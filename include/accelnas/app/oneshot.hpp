#pragma once
/// \file
/// One-shot (weight-sharing) search as TuNAS (Bender et al. 2020), `accelnas-search --method
/// oneshot`. A `train::supernet` over a space's proxy networks holds every architecture's weights
/// at once (blocks declare how their choices share weights: `space::weight_sharing`); each step
///
/// 1. samples an architecture from the REINFORCE controller (one softmax per decision, Adam with
///    beta1 = 0, EMA baseline 0.95),
/// 2. trains the shared weights on one training batch along that path,
/// 3. measures its accuracy Q on one validation batch, batch norm normalising by that batch's own
///    statistics (a per-path recalibration on the scored images, in the same forward pass),
/// 4. prices the full-size network (the space's deployment input, 224x224x3) with the latency model
///    of the target (the APM by default) and rewards Q + beta * |T / T0 - 1| (TuNAS' absolute
///    reward, beta < 0),
/// 5. updates the controller.
///
/// During a warm-up (the first `warmup` fraction of the steps) the controller does not learn and
/// every decision that grows weights (kernel, expansion, width, layers) takes its largest choice
/// with a probability that decays linearly from 1 to 0 (TuNAS' filter and op warm-up: every weight
/// gets trained before the controller starts judging paths).
///
/// The result is the controller's most likely architecture when it is within `latency_tolerance`
/// of the target, else the in-band candidate of best one-shot accuracy among the most likely in
/// band and the paths trained last (`choose_result`; the plain argmax is reported beside it); with
/// `rerank` K set, the K best of those candidates by one-shot accuracy (gathered even when the
/// argmax is in band; one per distinct network) are each trained once from scratch and the best by
/// stand-alone validation accuracy is the result (`rerank`). Then its latency,
/// its one-shot accuracy on the validation images (supernet weights, recalibrated batch norm), and
/// its stand-alone validation and test accuracy after training from scratch with `seeds` seeds (the
/// proxy training of app/proxy.hpp). Every step is a journal line (search/journal.hpp); the supernet weights, their
/// momentum and the controller state are checkpointed every `checkpoint_every` steps, so a killed
/// search continues with `resume` and ends exactly as an uninterrupted one (every random choice of
/// step s is drawn from a generator seeded by (seed, s)).

#include <accelnas/app/proxy.hpp>
#include <accelnas/app/search_run.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/core/statistics.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/hw/any_accelerator.hpp>
#include <accelnas/search/journal.hpp>
#include <accelnas/search/reinforce.hpp>
#include <accelnas/search/reward.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/train/supernet.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <ostream>
#include <queue>
#include <sstream>
#include <string>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace accelnas::app::oneshot {

/// A one-shot search as the tool describes it.
struct settings {
    std::string target = "coral-usb";  ///< latency target (hw::make_target name)
    std::string space = "edgetpu";     ///< shipped search space
    std::string estimator = "apm";     ///< latency model: apm (default: it is called every step) or sim
    std::size_t steps = 300;           ///< search steps (one training batch each)
    std::string out;                   ///< output directory (journal, checkpoint, oneshot.json)
    bool resume = false;               ///< continue the search journaled in `out`
    std::uint64_t seed = 1;            ///< seed of everything
    double latency_ms = 0;             ///< latency target T0 in ms (0: the space's published model)
    /// Cost weight of the absolute reward (negative). Larger than multi-trial's -0.10: each step's
    /// accuracy is measured on one validation batch (128 images: +-0.03 of noise), which drowns a
    /// -0.10 x 5% latency term, so a search with -0.10 does not settle at the target.
    double tunas_beta = -0.5;
    /// REINFORCE Adam learning rate (beta1 = 0). High because a search here has hundreds to a few
    /// thousand steps, not TuNAS' tens of thousands: the policy must concentrate within the run,
    /// and the supernet only learns (one-shot accuracy above chance) once the paths it trains agree.
    double controller_lr = 0.3;
    double warmup = 0.25;              ///< fraction of the steps in warm-up
    float supernet_lr = 0.05f;         ///< peak learning rate of the shared weights (cosine schedule)
    /// When set, each step trains two paths with one SGD step of their summed gradients (the
    /// sandwich rule's largest path with in-place distillation, as in slimmable networks and
    /// BigNAS): the sampled architecture with every weight-growing choice (kernel, expansion,
    /// width, layers) at its largest, on the batch's labels, and the sampled path on that teacher's
    /// predictions. The widest channels and largest kernels then train every step, not only when
    /// sampled. A step costs the teacher's forward and backward pass more.
    bool distill = false;
    /// When set, the warm-up also enables block types: in each stage every block type besides the
    /// sampled one is enabled with the warm-up's decaying probability, the enabled ones summed on
    /// the block's input (`warmup_network`; TuNAS enables every op with that probability). Without
    /// it the warm-up enables only the largest kernels, expansions, widths and layers, and the block
    /// types are drawn one at a time. A warm-up step costs the enabled blocks' passes more, and its
    /// journaled accuracy is the summed network's (the controller does not learn from it).
    bool warmup_blocks = false;
    std::size_t validation_batch = 128;     ///< validation images that score each step's path (and set its batch-norm statistics)
    std::size_t recalibration_images = 128; ///< training images that recalibrate batch norm before the result's one-shot accuracy
    std::size_t seeds = 3;             ///< stand-alone trainings of the result (mean and std)
    double latency_tolerance = 0.05;   ///< how far (both ways, a fraction of T0) the result may land from the target
    /// When the policy's argmax misses the tolerance: at most this many in-band candidates are
    /// scored by one-shot accuracy to choose the result (`choose_result`; 0: the most likely in band).
    std::size_t choice_candidates = 16;
    double choice_window = 0.1;        ///< fraction of the last steps whose sampled paths are candidates
    /// When set: the in-band candidates are scored even when the argmax is in band, the `rerank`
    /// best by one-shot accuracy (distinct networks) are each trained once from scratch, and the
    /// result is the one of best stand-alone validation accuracy (`rerank`). 0: the result as
    /// `choose_result` chooses it.
    std::size_t rerank = 0;
    std::size_t random_floor = 0;      ///< when set: no search, train this many random architectures at the target instead
    /// When set (with `resume`, on a finished search): no search; this many random architectures at
    /// the target are scored on the search's supernet and trained from scratch, and the two
    /// rankings are compared (`run_rank_check`).
    std::size_t rank_check = 0;
    /// Steps between checkpoints. Each one writes the whole supernet (weights and momentum: tens of
    /// MB at proxy size), which costs as much as a few steps; a resumed search repeats at most this
    /// many steps.
    std::size_t checkpoint_every = 100;
    std::size_t stop_after = 0;        ///< when set, stop (checkpointed) after this many steps, as a killed run
    std::size_t threads = 1;           ///< threads of the supernet's training
    proxy_options proxy;               ///< proxy network size, data limits, batch size, stand-alone training
    std::string data;                  ///< data set (app/data.hpp); empty: fashion-mnist:`fmnist`
    std::string fmnist = train::default_fashion_mnist_dir;  ///< Fashion-MNIST folder
    /// Builds the latency model of (target, estimator); empty: `hw::make_target`.
    std::function<hw::any_accelerator(const std::string&, const std::string&)> make_model;
};

/// True for the method name "oneshot", false for "multi-trial"; `accelnas::error` naming the
/// method for any other name.
inline bool is_oneshot(const std::string& method) {
    if (method == "oneshot") return true;
    if (method == "multi-trial") return false;
    fail("unknown --method '", method, "' (expected multi-trial or oneshot)");
}

/// How the weights of the choices of stage-level slots share storage (the stage, not a block,
/// reads them): widths and first-block expansions are channel prefixes, a layer count keeps the
/// first blocks (skipped layers are identities), a skip choice only adds or removes a residual add.
inline space::weight_sharing stage_sharing(std::string_view key) {
    if (key == space::width_slot::key || key == space::expand_first_slot::key) return space::weight_sharing::channel_prefix;
    if (key == space::layers_slot::key || key == space::skip_slot::key) return space::weight_sharing::no_weights;
    return space::weight_sharing::unused;
}

/// Throws `accelnas::error` naming the stage, block and slot when a block of space `d` cannot
/// share the weights of a slot's choices (`weight_sharing::cannot`): such a space has no supernet.
/// The block choice itself is always fine: each block type keeps its own weights.
inline void check_weight_sharing(const space::space_description& d) {
    for (std::size_t i = 0; i < d.stages.size(); ++i)
        for (const auto& slot : d.stages[i].slots) {
            if (slot.values.size() < 2 || slot.key == space::block_slot::key) continue;
            if (stage_sharing(slot.key) != space::weight_sharing::unused) continue;
            for (const auto* b : d.stages[i].blocks)
                require(b->sharing(slot.key) != space::weight_sharing::cannot, "one-shot search: space '", d.name,
                        "': block '", b->name, "' of stage ", i + 1, " cannot share weights across its choices of '",
                        slot.key, "' (it declares weight_sharing::cannot); search this space with --method multi-trial");
        }
}

/// True when decision `k` of `d` can grow weights (its largest choice holds the others' weights):
/// the warm-up enables its largest choice.
inline bool grows_weights(const space::space_description& d, std::size_t k) {
    const auto& x = d.decisions[k];
    if (x.key == space::block_slot::key || x.key == space::skip_slot::key) return false;
    if (x.key == space::layers_slot::key) return true;
    if (stage_sharing(x.key) == space::weight_sharing::channel_prefix) return true;
    for (const auto* b : d.stages[x.stage].blocks) {
        const auto w = b->sharing(x.key);
        if (w == space::weight_sharing::channel_prefix || w == space::weight_sharing::kernel_centre_crop) return true;
    }
    return false;
}

/// The index of the largest value of decision `k` (its widest, deepest or largest-kernel choice).
inline int largest_choice(const space::space_description& d, std::size_t k) {
    const auto& v = d.slot_of(k).values;
    return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

/// `a` with every weight-growing decision at its largest choice.
inline space::architecture largest(const space::space_description& d, space::architecture a) {
    for (std::size_t k = 0; k < d.decisions.size(); ++k)
        if (grows_weights(d, k)) a.choices[k] = largest_choice(d, k);
    return a;
}

/// The supernet key of each op of architecture `a`'s network: ops of a stage's blocks
/// ("s3_b1/expand") are prefixed with the stage's block type ("ibn:s3_b1/expand"), so IBN and fused
/// IBN keep separate weights; the stem, head and logits are shared by every architecture. The ops
/// of another block type summed beside the stage's own in a warm-up path ("s3_b1/fused_ibn@expand",
/// `warmup_network`) use that type's key ("fused_ibn:s3_b1/expand"), the one its own paths use.
inline train::share_key_fn key_function(const space::space_description& d, const space::architecture& a) {
    std::vector<std::string> block_names;
    for (const auto& st : space::plan_of(d, a).stages) block_names.emplace_back(st.block->name);
    return [names = std::move(block_names)](std::string_view op) {
        if (op.size() > 1 && op[0] == 's') {
            std::size_t i = 1, stage = 0;
            while (i < op.size() && op[i] >= '0' && op[i] <= '9') stage = stage * 10 + std::size_t(op[i++] - '0');
            if (i > 1 && op.substr(i, 2) == "_b" && stage >= 1 && stage <= names.size()) {
                const auto slash = op.find('/');
                const auto at = slash == std::string_view::npos ? slash : op.find('@', slash);
                if (at != std::string_view::npos)
                    return std::string(op.substr(slash + 1, at - slash - 1)) + ":" + std::string(op.substr(0, slash + 1)) +
                           std::string(op.substr(at + 1));
                return names[stage - 1] + ":" + std::string(op);
            }
        }
        return std::string(op);
    };
}

/// A supernet covering every architecture of space `s` at proxy size: the largest architecture of
/// each block type (per stage: the i-th block type, or the last one), plus `extra` random
/// architectures drawn from `g` (a safety net for spaces whose sizes are not monotone in the
/// choices). Throws (see `check_weight_sharing`) when the space's blocks cannot share weights.
inline train::supernet make_supernet(const space::any_space& s, const proxy_options& o, std::int64_t classes,
                                     train::supernet_options so, rng& g, std::size_t extra = 16) {
    const auto& d = *s.description;
    check_weight_sharing(d);
    train::supernet net(so);
    std::size_t kinds = 0;
    for (const auto& st : d.stages) kinds = std::max(kinds, st.blocks.size());
    auto add = [&](const space::architecture& a) { net.reserve(proxy_network(s, a, o, classes), key_function(d, a)); };
    // The largest architecture is not always the widest everywhere: a stage dropped by its layer
    // count makes the next stage expand its own (wider) filters instead of the dropped stage's.
    // So the largest one of each block type is reserved with every layer decision at its maximum,
    // with all at their minimum, and with each one alone at its minimum.
    std::vector<std::size_t> layer_decisions;
    for (std::size_t k = 0; k < d.decisions.size(); ++k)
        if (d.decisions[k].key == space::layers_slot::key) layer_decisions.push_back(k);
    auto smallest_choice = [&](std::size_t k) {
        const auto& v = d.slot_of(k).values;
        return static_cast<int>(std::min_element(v.begin(), v.end()) - v.begin());
    };
    for (std::size_t b = 0; b < kinds; ++b) {
        space::architecture a{std::vector<int>(d.decisions.size(), 0)};
        for (std::size_t k = 0; k < d.decisions.size(); ++k)
            if (d.decisions[k].key == space::block_slot::key)
                a.choices[k] = static_cast<int>(std::min(b, d.decisions[k].cardinality - 1));
        a = largest(d, a);
        add(a);
        auto all_min = a;
        for (auto k : layer_decisions) {
            auto one_min = a;
            one_min.choices[k] = all_min.choices[k] = smallest_choice(k);
            add(one_min);
        }
        if (layer_decisions.size() > 1) add(all_min);
    }
    for (std::size_t i = 0; i < extra; ++i) add(s.sample(g));
    net.initialise(g);
    return net;
}

/// The path of architecture `a` in supernet `net`.
inline train::supernet::path path_of(const train::supernet& net, const space::any_space& s, const space::architecture& a,
                                     const proxy_options& o, std::int64_t classes) {
    return net.make_path(proxy_network(s, a, o, classes), key_function(*s.description, a));
}

/// The proxy network of architecture `a` with, in every stage i, the block types `also[i]` summed
/// beside the stage's own block (`space::build_stage`): TuNAS' op warm-up for the block-type
/// choice, whose choices hold separate weights and so cannot be enabled by taking the largest.
/// Summing block types that share an input and feed one output makes their output channels agree,
/// which paths drawn one block type at a time do not learn (docs/search.md, "Op warm-up for block
/// types"). With every list empty it is `proxy_network(s, a, o, classes)`.
inline graph::network warmup_network(const space::any_space& s, const space::architecture& a, const proxy_options& o,
                                     std::int64_t classes, const space::stage_branches& also) {
    const auto& d = *s.description;
    require(also.size() == d.stages.size(), "warmup_network: ", also.size(), " lists of block types for ", d.stages.size(),
            " stages of space '", d.name, "'");
    for (std::size_t i = 0; i < also.size(); ++i)
        for (const auto* b : also[i])
            require(std::find(d.stages[i].blocks.begin(), d.stages[i].blocks.end(), b) != d.stages[i].blocks.end(),
                    "warmup_network: block type '", b ? std::string(b->name) : std::string("(null)"), "' is not a choice of stage ",
                    i + 1, " of space '", d.name, "'");
    const space::compound_scaling sc{.width = o.width, .depth = 1.0, .resolution = o.resolution};
    return space::build(space::scale(space::plan_of(d, a), sc), {1, o.resolution, o.resolution, o.channels}, classes, also);
}

/// The warm-up path of `a` with the block types `also` summed beside each stage's own (`warmup_network`).
inline train::supernet::path warmup_path_of(const train::supernet& net, const space::any_space& s, const space::architecture& a,
                                            const proxy_options& o, std::int64_t classes, const space::stage_branches& also) {
    return net.make_path(warmup_network(s, a, o, classes, also), key_function(*s.description, a));
}

/// The block types a warm-up step sums beside `a`'s own in each stage: each other block type of the
/// stage independently with probability `p` (draws from `g`, one per other block type, stage by stage).
inline space::stage_branches enabled_block_types(const space::space_description& d, const space::architecture& a, double p, rng& g) {
    const auto plan = space::plan_of(d, a);
    space::stage_branches also(d.stages.size());
    for (std::size_t i = 0; i < d.stages.size(); ++i)
        for (const auto* b : d.stages[i].blocks)
            if (b != plan.stages[i].block && uniform01(g) < p) also[i].push_back(b);
    return also;
}

/// The NHWC batch of images `idx` of `set` (no augmentation) and their labels.
inline train::tensor images_of(const train::dataset& data, const train::image_set& set, std::span<const std::size_t> idx,
                               const proxy_options& o, std::vector<std::int32_t>& labels) {
    train::batch_options bo{static_cast<std::size_t>(o.resolution), static_cast<std::size_t>(o.channels), false, 0};
    rng unused(0);
    train::tensor x;
    train::make_batch(data, set, idx, bo, unused, x, labels);
    return x;
}

/// `n` indices drawn uniformly without replacement from [0, count) (all of them when n >= count).
inline std::vector<std::size_t> draw_indices(std::size_t count, std::size_t n, rng& g) {
    n = std::min(n, count);
    std::vector<std::size_t> all(count);
    std::iota(all.begin(), all.end(), 0);
    for (std::size_t i = 0; i < n; ++i) std::swap(all[i], all[i + uniform_index(g, count - i)]);
    all.resize(n);
    return all;
}

/// One-shot accuracy of path `p` on the whole image set `set` after recalibrating its batch norm on
/// `recal` (NHWC training images).
inline double oneshot_accuracy(train::supernet& net, train::supernet::path& p, const train::tensor& recal,
                               const train::dataset& data, const train::image_set& set, const proxy_options& o) {
    net.recalibrate(p, recal);
    std::size_t hits = 0;
    std::vector<std::int32_t> labels;
    for (std::size_t i = 0; i < set.count; i += 250) {
        std::vector<std::size_t> idx(std::min<std::size_t>(250, set.count - i));
        std::iota(idx.begin(), idx.end(), i);
        const auto x = images_of(data, set, idx, o, labels);
        hits += std::size_t(std::llround(train::supernet::accuracy(p, x, labels) * double(idx.size())));
    }
    return set.count ? double(hits) / double(set.count) : 0.0;
}

/// Stand-alone validation and test accuracies of architecture `a` of `sp`, trained from scratch
/// with `s.seeds` seeds (the proxy training; seeds `step_seed(s.seed, 2000000 + k)`, so every
/// architecture reported for one search seed is trained with the same seeds).
inline std::pair<std::vector<double>, std::vector<double>> standalone(const space::any_space& sp, const space::architecture& a,
                                                                      const train::dataset& data, const settings& s) {
    std::pair<std::vector<double>, std::vector<double>> r;
    for (std::size_t k = 0; k < s.seeds; ++k) {
        const auto sc = proxy_train(proxy_network(sp, a, s.proxy, std::int64_t(data.classes)), data, s.proxy,
                                    step_seed(s.seed, 2000000 + k), true);
        r.first.push_back(sc.validation);
        r.second.push_back(sc.test);
    }
    return r;
}

/// An architecture chosen by `most_likely_at_target`.
struct target_choice {
    space::architecture arch;      ///< the chosen architecture
    double latency_s = 0;          ///< its latency
    double log_probability = 0;    ///< its log-probability under the policy
    std::size_t evaluated = 0;     ///< architectures priced to find it
    bool within = false;           ///< whether it is within the tolerance (else: the closest of those priced)
};

/// The `count` most likely architectures under `ctrl`'s policy whose latency `latency_of(a)`
/// (seconds) is within `tolerance` of `target_s` either way, most likely first. Exact:
/// architectures are visited in order of decreasing probability (best-first over the choices of
/// each decision ranked by probability; every architecture is reached once, its ranks raised in
/// decision order). Stops after `max_evaluations` priced; when none of them is within the
/// tolerance, the result holds the closest of those priced with `within` false.
template <class Latency>
std::vector<target_choice> most_likely_within(const search::reinforce<>& ctrl, double target_s, double tolerance,
                                              Latency&& latency_of, std::size_t count, std::size_t max_evaluations = 20000) {
    require(target_s > 0 && tolerance >= 0, "most_likely_within: the target must be positive and the tolerance not negative");
    require(count >= 1, "most_likely_within: count must be at least 1");
    const std::size_t n = ctrl.layout().size();
    std::vector<std::vector<int>> order(n);     // choices of each decision, most likely first
    std::vector<std::vector<double>> cost(n);   // log p(most likely) - log p(choice), by rank
    for (std::size_t d = 0; d < n; ++d) {
        const auto p = ctrl.probabilities(d);
        require(p.size() <= 256, "most_likely_at_target: decision ", d, " has more than 256 choices");
        order[d].resize(p.size());
        std::iota(order[d].begin(), order[d].end(), 0);
        // Ties keep the lower choice first (std::stable_sort's temporary buffer is deprecated under clang).
        std::sort(order[d].begin(), order[d].end(), [&](int a, int b) {
            const double pa = p[std::size_t(a)], pb = p[std::size_t(b)];
            return pa > pb || (pa == pb && a < b);
        });
        for (int c : order[d]) cost[d].push_back(std::log(p[std::size_t(order[d][0])]) - std::log(p[std::size_t(c)]));
    }
    // A node: ranks per decision, the cost so far and the first decision its children may raise.
    struct node {
        double cost;
        std::vector<std::uint8_t> rank;
        std::size_t from;
        bool operator>(const node& o) const { return cost > o.cost; }
    };
    std::priority_queue<node, std::vector<node>, std::greater<>> open;
    open.push({0.0, std::vector<std::uint8_t>(n, 0), 0});
    std::vector<target_choice> found;
    target_choice closest;
    double best_miss = std::numeric_limits<double>::infinity();
    std::size_t evaluated = 0;
    while (!open.empty() && evaluated < max_evaluations && found.size() < count) {
        auto v = open.top();
        open.pop();
        space::architecture a;
        for (std::size_t d = 0; d < n; ++d) a.choices.push_back(order[d][v.rank[d]]);
        const double lat = latency_of(a);
        ++evaluated;
        const double miss = std::abs(lat / target_s - 1.0);
        if (miss <= tolerance)
            found.push_back({a, lat, ctrl.log_probability(a), evaluated, true});
        else if (found.empty() && miss < best_miss) {
            best_miss = miss;
            closest = {a, lat, ctrl.log_probability(a), evaluated, false};
        }
        for (std::size_t d = v.from; d < n; ++d)
            if (std::size_t(v.rank[d]) + 1 < order[d].size()) {
                node w{v.cost + cost[d][v.rank[d] + 1u] - cost[d][v.rank[d]], v.rank, d};
                ++w.rank[d];
                open.push(std::move(w));
            }
    }
    if (found.empty()) {
        closest.evaluated = evaluated;
        found.push_back(std::move(closest));
    }
    return found;
}

/// The most likely architecture under `ctrl`'s policy whose latency `latency_of(a)` (seconds) is
/// within `tolerance` of `target_s` either way (`most_likely_within` with count 1). TuNAS reports
/// the policy's argmax, which is on target once the policy has converged; a search of hundreds to
/// a few thousand steps can stop with a policy whose argmax misses the target that the reward asked
/// for, and this is the target-aware reading of the same policy. When `max_evaluations` are priced
/// without one, the closest to the target of those priced is returned with `within` false.
template <class Latency>
target_choice most_likely_at_target(const search::reinforce<>& ctrl, double target_s, double tolerance, Latency&& latency_of,
                                    std::size_t max_evaluations = 20000) {
    return most_likely_within(ctrl, target_s, tolerance, latency_of, 1, max_evaluations).front();
}

/// An in-band architecture that `choose_result` scored with the supernet.
struct scored_candidate {
    space::architecture arch;      ///< the architecture
    double latency_s = 0;          ///< its latency
    double log_probability = 0;    ///< its log-probability under the final policy
    double oneshot_accuracy = 0;   ///< its one-shot accuracy (the `score` callable)
    bool recently_trained = false; ///< sampled (so trained) in the last `window` of the search's steps (else: the most likely in band)
};

/// How `choose_result` chose a search's result.
struct result_choice {
    space::architecture arch;      ///< the result
    double latency_s = 0;          ///< its latency
    double log_probability = 0;    ///< its log-probability under the final policy
    /// "argmax", "best one-shot accuracy among N in-band candidates (...)", "most likely within the
    /// tolerance" (no candidates scored) or "closest to the target ..." (nothing within the tolerance).
    std::string choice;
    target_choice at;              ///< the most likely architecture within the tolerance (`most_likely_at_target`)
    std::vector<scored_candidate> candidates;  ///< those scored, most likely first (empty unless scored)
    std::optional<double> oneshot_accuracy;    ///< the result's score, when candidates were scored
};

/// The result of a search whose final policy is `ctrl`, whose steps are `steps` (journal records,
/// `total_steps` in all) and whose latency target is `target_s` +- `tolerance`:
/// - the policy's argmax when it is within the tolerance (TuNAS' result);
/// - else, the candidate with the highest `score(a)` (its one-shot accuracy; ties: the more likely)
///   among, in this order and at most `max_candidates` of them: the most likely architecture within
///   the tolerance (`most_likely_at_target`) and the distinct architectures within the tolerance
///   that the search sampled, so trained, in its last `window` fraction of steps (most likely
///   first). A policy that converged off the band puts little probability on it, and its most
///   likely architecture there can be a path the supernet hardly trained (then it may train alone
///   no better than a random architecture), while the paths trained last share the weights the
///   search trained most. (The next most likely in-band architectures are not candidates: scored
///   by a supernet that hardly trained them, the best of them trained alone worse still.)
/// - with `max_candidates` 0, or no candidate within the tolerance: `most_likely_at_target`'s
///   choice (the most likely within the tolerance, else the closest of those priced).
/// With `pool_when_argmax` the candidates are gathered and scored even when the argmax is within
/// the tolerance (it is then the most likely in band, so the first candidate): a re-ranking stage
/// (`rerank`) chooses among them.
template <class Latency, class Score>
result_choice choose_result(const search::reinforce<>& ctrl, std::span<const search::evaluation> steps, std::size_t total_steps,
                            double window, double target_s, double tolerance, std::size_t max_candidates, Latency&& latency_of,
                            Score&& score, bool pool_when_argmax = false) {
    require(window >= 0 && window <= 1, "choose_result: the window must be a fraction in [0, 1], got ", window);
    result_choice c;
    const auto mode = ctrl.mode();
    c.at = most_likely_at_target(ctrl, target_s, tolerance, latency_of);
    auto take = [&](const target_choice& t, std::string choice) {
        c.arch = t.arch;
        c.latency_s = t.latency_s;
        c.log_probability = t.log_probability;
        c.choice = std::move(choice);
        return c;
    };
    if (c.at.within && c.at.arch == mode && !pool_when_argmax) return take(c.at, "argmax");
    if (max_candidates == 0) return take(c.at, c.at.within ? "most likely within the tolerance" : "closest to the target among those priced (none within the tolerance)");
    // candidates: the most likely in band, then the window's in-band paths
    const std::size_t recent = std::min(total_steps, std::size_t(std::llround(window * double(total_steps))));
    std::vector<scored_candidate> trained;
    for (const auto& e : steps) {
        if (e.step + recent < total_steps || std::abs(latency_of(e.arch) / target_s - 1.0) > tolerance) continue;
        if (std::none_of(trained.begin(), trained.end(), [&](const scored_candidate& x) { return x.arch == e.arch; }))
            trained.push_back({e.arch, latency_of(e.arch), ctrl.log_probability(e.arch), 0.0, true});
    }
    {  // most likely first, ties in step order (a stable sort without std::stable_sort's temporary buffer,
       // which clang rejects as deprecated under -Werror)
        std::vector<std::size_t> order(trained.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
            if (trained[i].log_probability != trained[j].log_probability) return trained[i].log_probability > trained[j].log_probability;
            return i < j;
        });
        std::vector<scored_candidate> sorted;
        sorted.reserve(trained.size());
        for (auto i : order) sorted.push_back(std::move(trained[i]));
        trained = std::move(sorted);
    }
    auto add = [&](scored_candidate x) {
        if (c.candidates.size() >= max_candidates) return;
        for (auto& y : c.candidates)
            if (y.arch == x.arch) {
                y.recently_trained = y.recently_trained || x.recently_trained;
                return;
            }
        c.candidates.push_back(std::move(x));
    };
    const auto in_window = [&](const space::architecture& a) {
        return std::any_of(trained.begin(), trained.end(), [&](const scored_candidate& x) { return x.arch == a; });
    };
    if (c.at.within) add({c.at.arch, c.at.latency_s, c.at.log_probability, 0.0, in_window(c.at.arch)});
    for (const auto& x : trained) add(x);
    if (c.candidates.empty()) return take(c.at, "closest to the target among those priced (none within the tolerance)");
    std::size_t best = 0;
    for (std::size_t i = 0; i < c.candidates.size(); ++i) {
        auto& x = c.candidates[i];
        x.oneshot_accuracy = score(x.arch);
        const auto& b = c.candidates[best];
        if (x.oneshot_accuracy > b.oneshot_accuracy || (x.oneshot_accuracy == b.oneshot_accuracy && x.log_probability > b.log_probability))
            best = i;
    }
    const auto& b = c.candidates[best];
    std::size_t from_window = 0;
    for (const auto& x : c.candidates) from_window += x.recently_trained;
    std::ostringstream os;
    os << "best one-shot accuracy among " << c.candidates.size() << " in-band candidates (" << from_window << " of the "
       << trained.size() << " in-band paths trained in the last " << recent << " steps"
       << (c.candidates.size() > from_window ? ", and the most likely in band" : "") << ")";
    take({b.arch, b.latency_s, b.log_probability, 0, true}, os.str());
    c.oneshot_accuracy = b.oneshot_accuracy;
    return c;
}

/// The seed of the stand-alone training of re-ranked candidate `i` of a search seeded with `seed`:
/// distinct from the result's final trainings (`standalone`: `step_seed(seed, 2000000 + k)`), so
/// the accuracies that chose the result are not among those that report it.
inline std::uint64_t rerank_seed(std::uint64_t seed, std::size_t i) { return step_seed(seed, 3000000 + i); }

/// What the proxy training of architecture `a` of `sp` trains, as text: its proxy network's JSON
/// without the network's name. Equal for architectures whose choices differ only where the
/// network does not show them (the blocks of a stage whose layers are all dropped, a choice a block
/// ignores, widths that round to the same channels at proxy size).
inline std::string trained_network_key(const space::any_space& sp, const space::architecture& a, const proxy_options& o,
                                       std::int64_t classes) {
    auto j = graph::to_json(proxy_network(sp, a, o, classes));
    j.erase("name");
    return j.dump();
}

/// A candidate of the re-ranking stage (`rerank`).
struct reranked {
    space::architecture arch;      ///< the architecture
    double latency_s = 0;          ///< its latency
    double oneshot_accuracy = 0;   ///< its one-shot accuracy (what put it among the re-ranked)
    double log_probability = 0;    ///< its log-probability under the final policy
    std::uint64_t seed = 0;        ///< the seed of its stand-alone training (`rerank_seed`)
    /// Its stand-alone validation accuracy (one training); empty when nothing was trained (a pool of one).
    std::optional<double> validation;
};

/// How `rerank` chose a search's result.
struct rerank_choice {
    std::vector<reranked> candidates;  ///< the re-ranked ones, best one-shot accuracy first
    std::size_t chosen = 0;            ///< index of the result in `candidates`
    std::size_t pool = 0;              ///< in-band candidates it chose from (`result_choice::candidates`)
    std::size_t distinct = 0;          ///< distinct trained networks among them (the `network_key` classes)
    std::size_t asked = 0;             ///< candidates asked for (`settings::rerank`)
    std::string choice;                ///< how the result was chosen, for the report
};

/// The re-ranking stage of one-shot NAS (the supernet proposes, short stand-alone trainings
/// decide): of the in-band candidates `pool` (scored by one-shot accuracy, `choose_result`), the
/// `k` best by one-shot accuracy (ties: the more likely, then pool order) that train distinct
/// networks are each trained once from scratch, candidate i with seed `rerank_seed(seed, i)`, by
/// `validation_of(arch, seed)` (its stand-alone validation accuracy; never a test accuracy), and
/// the result is the one of highest validation accuracy, ties going to the higher one-shot
/// accuracy, then to the earlier. Candidates are distinct when `network_key(arch)` differs: two
/// architectures that differ only in choices the trained network does not show (the blocks of a
/// stage whose layers are all dropped, an expansion a block has no use for, widths that round to
/// the same channels at proxy size) train the same network and score the same one-shot accuracy,
/// and trained twice they would differ by the seed alone; the first in one-shot order stands for
/// them. With `k` over the distinct candidates they are all re-ranked (the choice says so); a
/// single one is the result without any training. `accelnas::error` for an empty pool or `k` 0.
template <class Train, class Key>
rerank_choice rerank(std::span<const scored_candidate> pool, std::size_t k, std::uint64_t seed, Train&& validation_of,
                     Key&& network_key) {
    require(k >= 1, "--rerank: the re-ranking stage needs at least 1 candidate, got ", k);
    require(!pool.empty(), "--rerank: no in-band candidate to re-rank");
    rerank_choice r;
    r.pool = pool.size();
    r.asked = k;
    std::vector<std::size_t> order(pool.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
        if (pool[i].oneshot_accuracy != pool[j].oneshot_accuracy) return pool[i].oneshot_accuracy > pool[j].oneshot_accuracy;
        if (pool[i].log_probability != pool[j].log_probability) return pool[i].log_probability > pool[j].log_probability;
        return i < j;
    });
    std::vector<decltype(network_key(pool[0].arch))> seen;
    for (auto i : order) {
        const auto& c = pool[i];
        auto key = network_key(c.arch);
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(std::move(key));
        if (r.candidates.size() < k)
            r.candidates.push_back({c.arch, c.latency_s, c.oneshot_accuracy, c.log_probability, rerank_seed(seed, r.candidates.size()),
                                    std::nullopt});
    }
    r.distinct = seen.size();
    std::ostringstream os;
    const auto pool_text = [&] {
        std::ostringstream p;
        p << r.pool << " in-band candidate" << (r.pool == 1 ? "" : "s");
        if (r.distinct < r.pool) p << " (" << r.distinct << " distinct network" << (r.distinct == 1 ? "" : "s") << ")";
        return p.str();
    };
    if (r.candidates.size() == 1) {
        os << "the only network among " << pool_text() << " (--rerank " << k << ": nothing to re-rank, no training)";
        r.choice = os.str();
        return r;
    }
    for (auto& c : r.candidates) c.validation = double(validation_of(std::as_const(c.arch), c.seed));
    // candidates are in one-shot order, so keeping the earlier on a validation tie keeps the higher
    // one-shot accuracy (then the more likely)
    for (std::size_t i = 1; i < r.candidates.size(); ++i)
        if (*r.candidates[i].validation > *r.candidates[r.chosen].validation) r.chosen = i;
    os << "best stand-alone validation accuracy (1 training each) among the " << r.candidates.size()
       << " best by one-shot accuracy of " << pool_text();
    if (k > r.distinct) os << " (--rerank " << k << " asked: all of them)";
    r.choice = os.str();
    return r;
}

/// What a one-shot search found.
struct result {
    space::architecture arch;          ///< the result (`choose_result`: the argmax when within the latency tolerance)
    double latency_s = 0;              ///< its latency on the target (deployment input)
    space::architecture mode;          ///< the controller's most likely architecture (argmax per decision)
    double mode_latency_s = 0;         ///< its latency on the target
    double target_s = 0;               ///< the latency target T0
    double oneshot_accuracy = 0;       ///< its accuracy on the validation images with the supernet's weights
    std::string choice;                ///< how it was chosen (`result_choice::choice`)
    std::vector<scored_candidate> candidates;  ///< the candidates scored to choose it (none when the argmax is)
    std::optional<rerank_choice> reranking;    ///< the re-ranking stage, when `settings::rerank` is set and a candidate was in band
    double rerank_cpu_s = 0;           ///< CPU seconds of the re-ranking stage's trainings
    double pool_cpu_s = 0;             ///< CPU seconds of gathering and scoring the candidates (with `settings::rerank` set)
    std::vector<double> standalone_validation, standalone_test;  ///< per seed, trained from scratch
    std::vector<search::evaluation> steps;  ///< every step (the journal's records)
    /// The final policy: per decision, the probability of each choice (its argmax is `mode`).
    std::vector<std::vector<double>> policy;
    bool finished = false;             ///< false when `stop_after` stopped the search early
};

/// Everything a resumed one-shot search must agree with (the journal header's config).
inline nlohmann::json config_of(const settings& s, double target_s, const std::string& data_name) {
    nlohmann::json c{{"method", "oneshot"},           {"seed", s.seed},
            {"target", s.target},            {"estimator", s.estimator},
            {"latency_target_s", target_s},  {"tunas_beta", s.tunas_beta},
            {"steps", s.steps},              {"controller_lr", s.controller_lr},
            {"warmup", s.warmup},            {"supernet_lr", s.supernet_lr},
            {"validation_batch", s.validation_batch}, {"recalibration_images", s.recalibration_images},
            {"step_batch_norm", "validation batch statistics"},
            {"threads", s.threads},
            {"proxy", {{"resolution", s.proxy.resolution}, {"width", s.proxy.width}, {"train_images", s.proxy.train_images},
                       {"validation_images", s.proxy.validation_images}, {"validation", s.proxy.validation},
                       {"batch", s.proxy.batch}, {"data", data_name}}}};
    // only when set, so journals written before the option existed still resume
    if (s.distill) c["supernet_training"] = "largest path + in-place distillation";
    if (s.warmup_blocks) c["warmup_block_types"] = "each other block type enabled with the warm-up's probability, outputs summed";
    if (train::is_set(s.proxy.gemm_caches)) c["proxy"]["gemm_cache_sizes"] = search_run::blocking_json(s.proxy.gemm_caches);
    return c;
}

namespace detail {
inline constexpr char checkpoint_magic[8] = {'A', 'N', 'A', 'S', 'O', 'N', 'E', '1'};

inline void save_checkpoint(const std::string& path, std::size_t step, const search::reinforce<>& ctrl,
                            const train::supernet& net) {
    std::ostringstream f(std::ios::binary);
    f.write(checkpoint_magic, sizeof checkpoint_magic);
    const std::uint64_t st = step;
    f.write(reinterpret_cast<const char*>(&st), sizeof st);
    const auto c = ctrl.to_json().dump();
    const std::uint64_t len = c.size();
    f.write(reinterpret_cast<const char*>(&len), sizeof len);
    f.write(c.data(), std::streamsize(c.size()));
    net.save(f);
    write_file_atomically(path, f.str());
}

inline std::size_t load_checkpoint(const std::string& path, search::reinforce<>& ctrl, train::supernet& net) {
    std::ifstream f(path, std::ios::binary);
    require(bool(f), "one-shot search: cannot open the checkpoint '", path, "'");
    char m[sizeof checkpoint_magic];
    f.read(m, sizeof m);
    require(bool(f) && std::memcmp(m, checkpoint_magic, sizeof m) == 0, "one-shot search: '", path,
            "' is not a one-shot checkpoint");
    std::uint64_t step = 0, len = 0;
    f.read(reinterpret_cast<char*>(&step), sizeof step);
    f.read(reinterpret_cast<char*>(&len), sizeof len);
    require(bool(f) && len < (1u << 30), "one-shot search: '", path, "': truncated header");
    std::string c(len, '\0');
    f.read(c.data(), std::streamsize(len));
    require(bool(f), "one-shot search: '", path, "': truncated controller state");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(c);
    } catch (const nlohmann::json::exception& e) {
        fail("one-shot search: '", path, "': controller state: ", e.what());
    }
    net.load(f, path);
    ctrl.from_json(j);
    return std::size_t(step);
}

// The latency target of `s` in seconds: --latency-ms, else the space's published model's latency.
inline double target_seconds(const settings& s, const space::any_space& sp, const search_run::pricing& prices) {
    return s.latency_ms > 0 ? s.latency_ms * 1e-3 : search_run::default_latency_targets(sp, prices).first[0];
}

// The supernet and the controller of a search as its first step finds them (a checkpoint then
// overwrites both when there is one).
inline train::supernet initial_supernet(const settings& s, const space::any_space& sp, std::int64_t classes) {
    rng g0(derive_seed(s.seed, 0x0E5407ull));
    return make_supernet(sp, s.proxy, classes, {.threads = s.threads}, g0);
}
inline search::reinforce<> initial_controller(const settings& s, const search::decision_layout& layout) {
    return search::reinforce<>(layout, {.adam = {.learning_rate = s.controller_lr, .beta1 = 0.0}, .baseline_momentum = 0.95});
}

// Cosine decay of the shared weights' learning rate over the search.
inline float supernet_lr(const settings& s, std::size_t step) {
    const double t = double(step) / double(std::max<std::size_t>(1, s.steps));
    return float(0.5 * double(s.supernet_lr) * (1.0 + std::cos(3.14159265358979323846 * t)));
}

// What a search and a check of its supernet derive alike from the settings and the loaded data
// set (`s.proxy.channels` is set from the data set first).
struct setup {
    const space::any_space& sp;
    search_run::pricing prices;
    double target_s = 0;
    std::int64_t classes = 0;
    nlohmann::json config;  // the journal's config (`config_of`)
    search::decision_layout layout;
};
inline setup setup_of(settings& s, const train::dataset& data) {
    s.proxy.channels = std::int64_t(data.train.channels);
    const auto& sp = space::find_space(s.space);
    check_weight_sharing(*sp.description);
    auto prices = search_run::price_on({s.target}, s.estimator, s.make_model);
    const double target_s = target_seconds(s, sp, prices);
    auto config = config_of(s, target_s, s.data.empty() ? "fashion-mnist:" + s.fmnist : s.data);
    return {sp, std::move(prices), target_s, std::int64_t(data.classes), std::move(config), search::decision_layout{sp.cardinalities}};
}
}  // namespace detail

/// Checks the settings that need no files (bad input fails before anything is written).
inline void validate(const settings& s) {
    require(s.steps >= 1, "--steps must be at least 1, got ", s.steps);
    require(s.warmup >= 0 && s.warmup < 1, "--warmup must be in [0, 1), got ", s.warmup);
    require(s.tunas_beta < 0, "--tunas-beta must be negative for a one-shot search (it weighs the latency cost), got ",
            s.tunas_beta);
    require(s.supernet_lr > 0 && std::isfinite(s.supernet_lr), "--supernet-lr must be positive, got ", s.supernet_lr);
    require(s.validation_batch >= 1 && s.recalibration_images >= 2, "one-shot search: the validation batch must hold at least 1 "
            "image and the recalibration at least 2");
    require(s.checkpoint_every >= 1, "one-shot search: checkpoint_every must be at least 1");
    require(s.threads >= 1, "--threads must be at least 1");
    require(s.choice_window >= 0 && s.choice_window <= 1, "--choice-window must be in [0, 1], got ", s.choice_window);
    require(s.latency_ms >= 0, "--latency-ms must be positive, got ", s.latency_ms);
    require(s.rerank <= s.choice_candidates, "--rerank ", s.rerank, " is more than --choice-candidates ", s.choice_candidates,
            ": the re-ranked candidates are the best of at most --choice-candidates in-band candidates");
    require(s.rerank == 0 || s.random_floor == 0, "--rerank applies to a search, not to --random-floor");
    require(s.rank_check == 0 || s.resume, "--rank-check scores architectures on the supernet of a finished search: give "
            "that search's options and --out directory with --resume");
    require(s.rank_check == 0 || (s.rerank == 0 && s.random_floor == 0), "--rank-check runs alone: not with --rerank or --random-floor");
    require(s.rank_check != 1, "--rank-check needs at least 2 architectures to compare two rankings, got 1");
    require(s.rank_check == 0 || s.seeds >= 1, "--rank-check trains each architecture --oneshot-seeds times: needs at least 1, got 0");
    require(!s.distill || s.random_floor == 0, "--distill applies to a search, not to --random-floor");
    require(!s.warmup_blocks || s.random_floor == 0, "--warmup-blocks applies to a search, not to --random-floor");
    require(!(s.warmup_blocks && s.distill), "--warmup-blocks and --distill cannot be combined (each changes how the supernet trains)");
    require(!s.warmup_blocks || s.warmup > 0, "--warmup-blocks needs a warm-up (--warmup > 0)");
    validate(s.proxy);
}

/// Runs the one-shot search `s` describes on `data` (already loaded: proxy resolution, channels set)
/// and returns what it found; progress goes to `log`. Writes DIR/journal and DIR/oneshot.ckpt, and
/// DIR/oneshot.json at the end. A diverging supernet raises `accelnas::error` naming the step; the
/// journal and the last checkpoint are left intact, so the search can be resumed.
inline result search(settings s, const train::dataset& data, std::ostream& log) {
    validate(s);
    require(data.validation.count > 0, "one-shot search: the data set has no validation part");
    require(data.train.count >= 2, "one-shot search: the data set has fewer than 2 training images");
    const auto blocking = apply_blocking(s.proxy);  // pinned sizes, when set, for the whole search
    const auto su = detail::setup_of(s, data);
    const auto& [sp, prices, target_s, classes, config, layout] = su;
    const auto& d = *sp.description;
    const search::tunas_absolute reward{{target_s}, s.tunas_beta};

    search_run::settings dir_check;
    dir_check.out = s.out;
    dir_check.resume = s.resume;
    search_run::check_out_dir(dir_check);
    const std::filesystem::path dir(s.out);
    const search::journal_header header{s.space, layout, config, search_run::blocking_context()};
    auto jr = s.resume ? search::journal::open((dir / "journal").string(), header)
                       : search::journal::create((dir / "journal").string(), header);
    search_run::warn_if_other_blocking(jr, s.proxy, log);
    const std::string ckpt = (dir / "oneshot.ckpt").string();

    auto net = detail::initial_supernet(s, sp, classes);
    auto ctrl = detail::initial_controller(s, layout);
    std::size_t first = 0;
    if (s.resume && std::filesystem::exists(ckpt)) first = detail::load_checkpoint(ckpt, ctrl, net);
    result r;
    r.target_s = target_s;
    r.steps = jr.records();
    require(first <= r.steps.size(), "one-shot search: the checkpoint is of step ", first, " but the journal holds only ",
            r.steps.size(), " steps");
    r.steps.resize(first);  // the steps after the checkpoint run again (the same way: seeded by step)
    log << "accelnas-search (one-shot): space " << s.space << " (" << layout.size() << " decisions), supernet of "
        << net.parameter_count() << " shared weights, " << s.steps << " steps, target " << s.target << " (" << s.estimator
        << ") at " << search_run::ms(target_s) << " ms, seed " << s.seed << "\n";
    if (first > 0) log << "  resuming at step " << first << "\n";

    const std::size_t warmup_steps = std::size_t(std::llround(s.warmup * double(s.steps)));
    std::map<space::architecture, double> latency_cache;
    auto latency_of = [&](const space::architecture& a) {
        auto it = latency_cache.find(a);
        if (it == latency_cache.end()) it = latency_cache.emplace(a, prices.models[0].seconds(search_run::deployed(sp, a))).first;
        return it->second;
    };
    const std::size_t last = s.stop_after ? std::min(s.stop_after, s.steps) : s.steps;
    train::batch_options augment{static_cast<std::size_t>(s.proxy.resolution), static_cast<std::size_t>(s.proxy.channels), false, 0};
    std::vector<std::int32_t> labels, vlabels, rlabels;
    std::vector<float> soft;  // the teacher's predictions (distill)
    train::tensor x;
    for (std::size_t step = first; step < last; ++step) {
        const auto t0 = std::chrono::steady_clock::now();
        rng g(derive_seed(s.seed, 0x51E900000ull + step));
        const auto sampled = ctrl.propose(g);
        auto a = sampled;
        const bool warm = step < warmup_steps;
        space::stage_branches also;  // block types summed beside the path's own (--warmup-blocks)
        if (warm) {
            const double p = 1.0 - double(step) / double(warmup_steps);
            for (std::size_t k = 0; k < d.decisions.size(); ++k)
                if (grows_weights(d, k) && uniform01(g) < p) a.choices[k] = largest_choice(d, k);
            if (s.warmup_blocks) also = enabled_block_types(d, a, p, g);
        }
        auto path = also.empty() ? path_of(net, sp, a, s.proxy, classes) : warmup_path_of(net, sp, a, s.proxy, classes, also);
        const auto idx = draw_indices(data.train.count, s.proxy.batch, g);
        train::make_batch(data, data.train, idx, augment, g, x, labels);
        const auto val_idx = draw_indices(data.validation.count, s.validation_batch, g);
        double acc = 0;
        try {
            if (s.distill) {
                const auto big = largest(d, a);
                std::optional<train::supernet::path> teacher;
                if (big == a) {
                    net.accumulate(path, x, labels);
                } else {
                    teacher = path_of(net, sp, big, s.proxy, classes);
                    net.accumulate(*teacher, x, labels, &soft);
                    net.accumulate(path, x, soft);
                }
                net.apply(detail::supernet_lr(s, step));
            } else {
                net.train_step(path, x, labels, detail::supernet_lr(s, step));
            }
            // Batch norm normalises by the scored batch's own statistics: every path is judged with
            // statistics of its own (never ones accumulated along other paths), at the cost of one
            // forward pass instead of a recalibration pass and an inference pass.
            const auto xv = images_of(data, data.validation, val_idx, s.proxy, vlabels);
            acc = net.recalibrated_accuracy(path, xv, vlabels);
        } catch (const train::diverged& e) {
            fail("one-shot search: the supernet diverged at step ", step, " (", e.what(), "); the journal holds ", r.steps.size(),
                 " steps and ", std::filesystem::exists(ckpt) ? "the checkpoint '" + ckpt + "' is intact" : std::string("no checkpoint was written yet"),
                 ": lower --supernet-lr, or continue with --resume");
        }
        search::evaluation e;
        e.step = step;
        e.arch = a;
        e.accuracy = acc;
        e.latency = {latency_of(a)};
        e.reward = reward(e);
        if (!warm) ctrl.observe(sampled, e.reward);
        e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (step >= jr.records().size()) jr.append(e);
        r.steps.push_back(e);
        if ((step + 1) % s.checkpoint_every == 0 || step + 1 == last) detail::save_checkpoint(ckpt, step + 1, ctrl, net);
        if ((step + 1) % std::max<std::size_t>(1, s.steps / 10) == 0)
            log << "  step " << step + 1 << "/" << s.steps << (warm ? " (warm-up)" : "") << ": path accuracy "
                << std::setprecision(3) << acc << ", " << search_run::ms(e.latency[0]) << " ms, baseline "
                << ctrl.baseline() << "\n";
    }
    r.arch = r.mode = ctrl.mode();
    if (last < s.steps) return r;  // stopped early (a killed run): no result yet

    r.mode_latency_s = latency_of(r.mode);
    for (std::size_t k = 0; k < layout.size(); ++k) r.policy.push_back(ctrl.probabilities(k));
    // The result's one-shot accuracy, and each candidate's when the argmax misses the target: batch
    // norm recalibrated on the first training images, then the whole validation part.
    std::vector<std::size_t> recal_idx(std::min(data.train.count, s.recalibration_images));
    std::iota(recal_idx.begin(), recal_idx.end(), 0);
    const auto recal = images_of(data, data.train, recal_idx, s.proxy, rlabels);
    auto score = [&](const space::architecture& a) {
        auto p = path_of(net, sp, a, s.proxy, classes);
        return oneshot_accuracy(net, p, recal, data, data.validation, s.proxy);
    };
    const auto cpu0 = std::clock();
    const auto ch = choose_result(ctrl, r.steps, s.steps, s.choice_window, target_s, s.latency_tolerance, s.choice_candidates,
                                  latency_of, score, s.rerank > 0);
    const auto cpu1 = std::clock();
    const auto& at = ch.at;
    r.arch = ch.arch;
    r.latency_s = ch.latency_s;
    r.choice = ch.choice;
    r.candidates = ch.candidates;
    r.finished = true;
    if (s.rerank > 0) r.pool_cpu_s = double(cpu1 - cpu0) / CLOCKS_PER_SEC;
    if (s.rerank > 0 && !ch.candidates.empty()) {
        // one training each, scored on the validation images only: the test split takes no part in the choice
        auto rr = rerank(
            ch.candidates, s.rerank, s.seed,
            [&](const space::architecture& a, std::uint64_t seed) {
                return proxy_train(proxy_network(sp, a, s.proxy, classes), data, s.proxy, seed, false).validation;
            },
            [&](const space::architecture& a) { return trained_network_key(sp, a, s.proxy, classes); });
        r.rerank_cpu_s = double(std::clock() - cpu1) / CLOCKS_PER_SEC;
        const auto& c = rr.candidates[rr.chosen];
        r.arch = c.arch;
        r.latency_s = c.latency_s;
        r.choice = rr.choice;
        r.reranking = std::move(rr);
    }
    const double mode_lp = ctrl.log_probability(r.mode);
    log << "  most likely architecture: " << search_run::ms(r.mode_latency_s) << " ms; most likely within +-"
        << s.latency_tolerance * 100 << "% of the target: " << search_run::ms(at.latency_s) << " ms"
        << (at.within ? "" : " (none found: the closest of those tried)") << ", probability ratio "
        << std::exp(at.log_probability - mode_lp) << " to the most likely, " << at.evaluated
        << " architectures priced\n";
    for (const auto& c : r.candidates)
        log << "  candidate: " << search_run::ms(c.latency_s) << " ms, probability ratio " << std::exp(c.log_probability - mode_lp)
            << (c.recently_trained ? ", recently trained" : ", the most likely in band") << ", one-shot accuracy "
            << std::setprecision(4) << c.oneshot_accuracy << std::setprecision(6) << "\n";
    if (s.rerank > 0 && !r.reranking) log << "  re-ranking: no in-band candidate, nothing to re-rank\n";
    if (r.reranking) {
        const auto& rr = *r.reranking;
        log << "  re-ranking: " << rr.pool << " in-band candidate" << (rr.pool == 1 ? "" : "s") << ", " << rr.distinct
            << " distinct network"
            << (rr.distinct == 1 ? "" : "s") << " at proxy size"
            << (rr.asked > rr.distinct ? ", fewer than --rerank " + std::to_string(rr.asked) + ": all of them" : std::string())
            << "\n";
        for (std::size_t i = 0; i < rr.candidates.size(); ++i) {
            const auto& c = rr.candidates[i];
            log << "  re-ranked: " << search_run::ms(c.latency_s) << " ms, one-shot accuracy " << std::setprecision(4)
                << c.oneshot_accuracy;
            if (c.validation) log << ", stand-alone validation " << *c.validation << " (seed " << c.seed << ")";
            log << std::setprecision(6) << (i == rr.chosen ? ", chosen" : "") << "\n";
        }
        log << "  re-ranking CPU: " << r.pool_cpu_s << " s gathering and scoring the candidates, " << r.rerank_cpu_s
            << " s training\n";
    }
    log << "  result: " << r.choice << ", " << search_run::ms(r.latency_s) << " ms\n";
    r.oneshot_accuracy = r.reranking ? r.reranking->candidates[r.reranking->chosen].oneshot_accuracy
                         : ch.oneshot_accuracy ? *ch.oneshot_accuracy : score(r.arch);
    std::tie(r.standalone_validation, r.standalone_test) = standalone(sp, r.arch, data, s);
    // The policy itself, not only its most likely point: what a search prefers shows in how much
    // probability it puts on each choice, which one argmax hides.
    nlohmann::json policy = nlohmann::json::array();
    for (std::size_t k = 0; k < d.decisions.size(); ++k) {
        nlohmann::json names = nlohmann::json::array();
        for (double v : d.slot_of(k).values) names.push_back(space::value_text(d.slot_of(k), v));
        policy.push_back({{"decision", d.decisions[k].name}, {"choices", names}, {"probabilities", r.policy[k]}});
    }
    nlohmann::json candidates = nlohmann::json::array();
    for (const auto& c : r.candidates)
        candidates.push_back({{"arch", sp.to_text(c.arch)}, {"latency_ms", c.latency_s * 1e3},
                              {"probability_to_most_likely", std::exp(c.log_probability - mode_lp)},
                              {"recently_trained", c.recently_trained}, {"oneshot_accuracy", c.oneshot_accuracy}});
    nlohmann::json j{{"space", s.space},
                     {"method", "oneshot"},
                     {"config", config},
                     {"gemm_cache_sizes", search_run::blocking_report(s.proxy)},
                     {"arch", sp.to_text(r.arch)},
                     {"choices", r.arch.choices},
                     {"latency_ms", r.latency_s * 1e3},
                     {"latency_target_ms", target_s * 1e3},
                     {"most_likely_arch", sp.to_text(r.mode)},
                     {"most_likely_latency_ms", r.mode_latency_s * 1e3},
                     {"oneshot_accuracy", r.oneshot_accuracy},
                     {"choice", r.choice},
                     {"choice_candidates", r.candidates.size()},
                     {"candidates", candidates},
                     {"policy", policy},
                     {"standalone_validation", r.standalone_validation},
                     {"standalone_test", r.standalone_test}};
    if (s.rerank > 0) {
        // no test accuracy here: the re-ranked candidates were scored on the validation images only
        nlohmann::json list = nlohmann::json::array();
        if (r.reranking)
            for (const auto& c : r.reranking->candidates)
                list.push_back({{"arch", sp.to_text(c.arch)}, {"latency_ms", c.latency_s * 1e3},
                                {"oneshot_accuracy", c.oneshot_accuracy},
                                {"standalone_validation", c.validation ? nlohmann::json(*c.validation) : nlohmann::json()},
                                {"seed", c.seed}});
        j["rerank"] = {{"asked", s.rerank}, {"pool", ch.candidates.size()},
                       {"distinct_networks", r.reranking ? nlohmann::json(r.reranking->distinct) : nlohmann::json()},
                       {"candidates", list},
                       {"chosen", r.reranking ? nlohmann::json(r.reranking->chosen) : nlohmann::json()},
                       {"pool_cpu_s", r.pool_cpu_s}, {"training_cpu_s", r.rerank_cpu_s}};
    }
    write_file_atomically((dir / "oneshot.json").string(), j.dump(2) + "\n");
    return r;
}

/// Mean and sample standard deviation of `v` as "mean +- std (n seeds)"; `unit` names what the values
/// are one per (seeds of one architecture, or architectures of a floor).
inline std::string mean_std(const std::vector<double>& v, std::string_view unit = "seed") {
    if (v.empty()) return "none";
    const double m = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    std::ostringstream os;
    os << std::fixed << std::setprecision(4) << m << " +- " << (v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0)
       << " (" << v.size() << " " << unit << (v.size() == 1 ? "" : "s") << ")";
    return os.str();
}

/// The first `n` architectures drawn uniformly from space `sp` (a generator seeded by `seed`) whose
/// latency `latency_of(a)` (seconds) is within `tolerance` of `target_s` either way: architectures
/// as fast as a search's result, chosen without any accuracy signal. `accelnas::error` when
/// `max_draws` draws find fewer than `n`.
template <class Latency>
std::vector<space::architecture> random_at_latency(const space::any_space& sp, std::size_t n, double target_s, double tolerance,
                                                   std::uint64_t seed, Latency&& latency_of, std::size_t max_draws = 200000) {
    rng g(derive_seed(seed, 0xF1004ull));
    std::vector<space::architecture> found;
    for (std::size_t i = 0; i < max_draws && found.size() < n; ++i) {
        auto a = sp.sample(g);
        if (std::abs(latency_of(a) / target_s - 1.0) <= tolerance) found.push_back(std::move(a));
    }
    require(found.size() == n, "random architectures: only ", found.size(), " of ", max_draws, " draws of space '", sp.name,
            "' are within +-", tolerance * 100, "% of ", search_run::ms(target_s), " ms (", n, " wanted)");
    return found;
}

/// The floor a search must beat: `s.random_floor` random architectures within
/// `s.latency_tolerance` of the target latency (`random_at_latency`, seeded by `s.seed`), each
/// trained from scratch as the search's result is (`standalone`: the same seeds). Prints each one
/// and the mean over them to `out`, writes DIR/random_floor.json (DIR: `s.out`, missing or empty).
inline void run_random_floor(const settings& s, const train::dataset& data, std::ostream& out, std::ostream& log) {
    validate(s);
    const auto blocking = apply_blocking(s.proxy);
    search_run::settings dir_check;
    dir_check.out = s.out;
    search_run::check_out_dir(dir_check);
    std::filesystem::create_directories(s.out);
    const auto& sp = space::find_space(s.space);
    const auto prices = search_run::price_on({s.target}, s.estimator, s.make_model);
    const double target_s = detail::target_seconds(s, sp, prices);
    auto latency_of = [&](const space::architecture& a) { return prices.models[0].seconds(search_run::deployed(sp, a)); };
    const auto archs = random_at_latency(sp, s.random_floor, target_s, s.latency_tolerance, s.seed, latency_of);
    log << "accelnas-search (one-shot): " << archs.size() << " random architectures within +-" << s.latency_tolerance * 100
        << "% of " << search_run::ms(target_s) << " ms on " << s.target << " (" << s.estimator << "), " << s.seeds
        << " training(s) each, seed " << s.seed << "\n";
    nlohmann::json list = nlohmann::json::array();
    std::vector<double> val_means, test_means;
    auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(std::max<std::size_t>(1, v.size())); };
    for (std::size_t i = 0; i < archs.size(); ++i) {
        const auto [val, test] = standalone(sp, archs[i], data, s);
        const double lat = latency_of(archs[i]);
        val_means.push_back(mean(val));
        test_means.push_back(mean(test));
        out << "random " << i + 1 << ": " << search_run::ms(lat) << " ms, stand-alone validation " << mean_std(val) << ", test "
            << mean_std(test) << "\n  " << sp.to_text(archs[i]) << "\n";
        list.push_back({{"arch", sp.to_text(archs[i])}, {"choices", archs[i].choices}, {"latency_ms", lat * 1e3},
                        {"standalone_validation", val}, {"standalone_test", test}});
    }
    out << "floor (mean over the " << archs.size() << " architectures of their mean accuracy): validation "
        << mean_std(val_means, "architecture") << ", test " << mean_std(test_means, "architecture") << "\n";
    const nlohmann::json j{{"space", s.space}, {"target", s.target}, {"estimator", s.estimator}, {"seed", s.seed},
                           {"latency_target_ms", target_s * 1e3}, {"latency_tolerance", s.latency_tolerance},
                           {"seeds", s.seeds}, {"gemm_cache_sizes", search_run::blocking_report(s.proxy)}, {"architectures", list},
                           {"validation_means", val_means}, {"test_means", test_means}};
    write_file_atomically((std::filesystem::path(s.out) / "random_floor.json").string(), j.dump(2) + "\n");
}

/// One architecture of a ranking check (`run_rank_check`).
struct ranked_architecture {
    space::architecture arch;
    double latency_s = 0;                    ///< its latency on the target
    double oneshot_accuracy = 0;             ///< on the validation images with the supernet's weights (batch norm recalibrated)
    std::vector<double> validation, test;    ///< stand-alone, per seed (`standalone`'s seeds)
};

/// What a ranking check found.
struct rank_check_result {
    std::vector<ranked_architecture> architectures;  ///< in draw order
    std::size_t reused = 0;                 ///< architectures taken from an earlier, interrupted check
    double spearman = 0;                    ///< of one-shot accuracy with the mean stand-alone validation accuracy
    double kendall = 0;                     ///< Kendall's tau-b of the same
    double spearman_test = 0;               ///< of one-shot accuracy with the mean stand-alone test accuracy (reported only)
    /// With 2 or more seeds: Spearman of the first seed's stand-alone validation accuracies with the
    /// second seed's, over the architectures. How far training noise lets a score of one training
    /// rank these architectures at all.
    std::optional<double> seed_spearman;
    std::size_t oneshot_best_rank = 0;      ///< the stand-alone rank (1: best) of the one of best one-shot accuracy
};

/// Whether the supernet of the finished search in `s.out` ranks architectures as training them
/// from scratch does. `s.rank_check` random architectures within `s.latency_tolerance` of the
/// target (`random_at_latency` seeded by `s.seed`: the architectures `--random-floor` trains with
/// the same seed, in the same order) are each scored on the supernet (one-shot accuracy as the
/// search's result is scored: batch norm recalibrated, the whole validation part) and trained from
/// scratch `s.seeds` times (`standalone`: the seeds of the search's final trainings). The
/// comparison: Spearman and Kendall's tau-b of one-shot accuracy with the mean stand-alone
/// validation accuracy, and, with 2 or more seeds, the Spearman of two trainings of the same
/// architectures with each other (the most any score can be expected to reach against one training).
/// `s` must repeat the search's options (the journal's config is checked, as by `resume`), and the
/// search must have run to its end. Writes DIR/rank_check.json after each architecture: a check
/// started again with the same options reuses the architectures already done (a larger
/// `rank_check` extends the list, whose first architectures are the same); one written with other
/// options is an error, not overwritten.
inline rank_check_result run_rank_check(const settings& s, const train::dataset& data, std::ostream& out, std::ostream& log) {
    validate(s);
    require(s.rank_check >= 2, "--rank-check needs at least 2 architectures, got ", s.rank_check);
    require(data.validation.count > 0, "--rank-check: the data set has no validation part");
    settings q = s;
    const auto blocking = apply_blocking(q.proxy);  // the search's pinned sizes, when set (the journal's config checks them)
    const auto su = detail::setup_of(q, data);
    const auto& [sp, prices, target_s, classes, config, layout] = su;
    const std::filesystem::path dir(q.out);
    require(std::filesystem::exists(dir / "journal"), "--rank-check: no search journal in '", q.out,
            "' (give the --out directory of a finished one-shot search)");
    // the same search's options; its trainings from scratch follow this CPU's blocking unless pinned
    search_run::warn_if_other_blocking(search::journal::open((dir / "journal").string(), {q.space, layout, config}), q.proxy, log);
    const std::string ckpt = (dir / "oneshot.ckpt").string();
    require(std::filesystem::exists(ckpt), "--rank-check: no checkpoint '", ckpt, "' (the search wrote none yet)");
    auto net = detail::initial_supernet(q, sp, classes);
    auto ctrl = detail::initial_controller(q, layout);
    const auto at = detail::load_checkpoint(ckpt, ctrl, net);
    require(at == q.steps, "--rank-check: the search in '", q.out, "' stopped at step ", at, " of ", q.steps,
            "; run it to its end first (--resume without --rank-check)");

    auto latency_of = [&](const space::architecture& a) { return prices.models[0].seconds(search_run::deployed(sp, a)); };
    const auto archs = random_at_latency(sp, q.rank_check, target_s, q.latency_tolerance, q.seed, latency_of);
    std::vector<std::size_t> recal_idx(std::min(data.train.count, q.recalibration_images));
    std::iota(recal_idx.begin(), recal_idx.end(), 0);
    std::vector<std::int32_t> rlabels;
    const auto recal = images_of(data, data.train, recal_idx, q.proxy, rlabels);

    const auto file = (dir / "rank_check.json").string();
    const nlohmann::json check_config{{"seeds", q.seeds}, {"latency_tolerance", q.latency_tolerance}};
    rank_check_result r;
    if (std::filesystem::exists(file)) {  // an earlier check: reuse what it finished
        nlohmann::json old;
        try {
            std::ifstream f(file);
            old = nlohmann::json::parse(f);
        } catch (const nlohmann::json::exception& e) {
            fail("--rank-check: '", file, "' is not readable JSON (", e.what(), "); move it away to start the check again");
        }
        require(old.is_object() && old.value("check", nlohmann::json()) == check_config, "--rank-check: '", file,
                "' was written with other options (", old.is_object() ? old.value("check", nlohmann::json()).dump() : old.dump(),
                ", now ", check_config.dump(), "); move it away to start another check");
        try {
            for (const auto& e : old.at("architectures")) {
                const auto i = r.architectures.size();
                if (i >= archs.size() || e.at("arch").get<std::string>() != sp.to_text(archs[i])) break;
                ranked_architecture a{archs[i], latency_of(archs[i]), e.at("oneshot_accuracy").get<double>(),
                                      e.at("standalone_validation").get<std::vector<double>>(),
                                      e.at("standalone_test").get<std::vector<double>>()};
                require(a.validation.size() == q.seeds && a.test.size() == q.seeds, "--rank-check: '", file, "': architecture ",
                        i + 1, " holds ", a.validation.size(), " trainings, not ", q.seeds);
                r.architectures.push_back(std::move(a));
            }
        } catch (const nlohmann::json::exception& e) {
            fail("--rank-check: '", file, "' is not a ranking check's file (", e.what(), "); move it away to start the check again");
        }
        r.reused = r.architectures.size();
    }
    log << "accelnas-search (one-shot): ranking check of the supernet in " << q.out << " (step " << at << "): " << archs.size()
        << " random architectures within +-" << q.latency_tolerance * 100 << "% of " << search_run::ms(target_s) << " ms on "
        << q.target << ", " << q.seeds << " training(s) each" << (r.reused ? ", " + std::to_string(r.reused) + " done before" : "")
        << "\n";
    auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); };
    auto save = [&] {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& a : r.architectures)
            list.push_back({{"arch", sp.to_text(a.arch)}, {"choices", a.arch.choices}, {"latency_ms", a.latency_s * 1e3},
                            {"oneshot_accuracy", a.oneshot_accuracy}, {"standalone_validation", a.validation},
                            {"standalone_test", a.test}});
        nlohmann::json j{{"config", config}, {"check", check_config}, {"gemm_cache_sizes", search_run::blocking_report(q.proxy)},
                         {"asked", archs.size()}, {"architectures", list}};
        if (r.architectures.size() == archs.size()) {
            j["spearman"] = r.spearman;
            j["kendall_tau"] = r.kendall;
            j["spearman_test"] = r.spearman_test;
            j["seed_spearman"] = r.seed_spearman ? nlohmann::json(*r.seed_spearman) : nlohmann::json();
            j["oneshot_best_standalone_rank"] = r.oneshot_best_rank;
        }
        write_file_atomically(file, j.dump(2) + "\n");
    };
    for (std::size_t i = r.architectures.size(); i < archs.size(); ++i) {
        ranked_architecture a{archs[i], latency_of(archs[i]), 0, {}, {}};
        auto p = path_of(net, sp, a.arch, q.proxy, classes);
        a.oneshot_accuracy = oneshot_accuracy(net, p, recal, data, data.validation, q.proxy);
        std::tie(a.validation, a.test) = standalone(sp, a.arch, data, q);
        r.architectures.push_back(std::move(a));
        if (r.architectures.size() < archs.size()) save();
        log << "  " << i + 1 << "/" << archs.size() << ": one-shot " << std::setprecision(4) << r.architectures.back().oneshot_accuracy
            << ", stand-alone validation " << mean(r.architectures.back().validation) << std::setprecision(6) << "\n";
    }
    std::vector<double> os, val, test, first, second;
    for (const auto& a : r.architectures) {
        os.push_back(a.oneshot_accuracy);
        val.push_back(mean(a.validation));
        test.push_back(mean(a.test));
        if (q.seeds >= 2) {
            first.push_back(a.validation[0]);
            second.push_back(a.validation[1]);
        }
    }
    r.spearman = spearman(os, val);
    r.kendall = kendall_tau(os, val);
    r.spearman_test = spearman(os, test);
    if (q.seeds >= 2) r.seed_spearman = spearman(first, second);
    const auto best = std::size_t(std::max_element(os.begin(), os.end()) - os.begin());
    r.oneshot_best_rank = 1 + std::size_t(std::count_if(val.begin(), val.end(), [&](double v) { return v > val[best]; }));
    save();
    out << "ranking check: " << r.architectures.size() << " random architectures within +-" << q.latency_tolerance * 100 << "% of "
        << search_run::ms(target_s) << " ms on " << q.target << ", scored on the supernet of " << q.out << " and trained "
        << q.seeds << " time(s) each from scratch\n" << std::fixed << std::setprecision(4);
    for (std::size_t i = 0; i < r.architectures.size(); ++i)
        out << "  " << i + 1 << ": " << search_run::ms(r.architectures[i].latency_s) << " ms, one-shot " << os[i]
            << ", stand-alone validation " << mean_std(r.architectures[i].validation) << "\n";
    out << std::setprecision(3) << "one-shot accuracy against stand-alone validation: Spearman " << r.spearman << ", Kendall tau-b "
        << r.kendall << " (against test, reported only: Spearman " << r.spearman_test << ")\n";
    if (r.seed_spearman)
        out << "stand-alone seed 1 against seed 2 (training noise; the most a score of one training can reach): Spearman "
            << *r.seed_spearman << "\n";
    out << "the best by one-shot accuracy is " << r.oneshot_best_rank << " of " << r.architectures.size()
        << " by stand-alone validation\n" << std::defaultfloat;
    return r;
}

/// `accelnas-search --method oneshot`: loads the data set, searches, prints the result to `out`
/// (with `s.random_floor` set: trains random architectures at the target instead, `run_random_floor`).
/// Returns true when the search ran to its end (false: stopped early by `stop_after`).
inline bool run(settings s, std::ostream& out, std::ostream& log) {
    validate(s);
    require(search_run::launcher_processes() <= 1, "--method oneshot runs in one process; start it without mpirun or srun");
    const auto& sp = space::find_space(s.space);
    check_weight_sharing(*sp.description);  // before the data set is read
    const std::string data_name = s.data.empty() ? "fashion-mnist:" + s.fmnist : s.data;
    const auto data = load_proxy_data(data_name, s.proxy, s.seed);
    if (s.random_floor > 0) {
        run_random_floor(s, data, out, log);
        return true;
    }
    if (s.rank_check > 0) {
        run_rank_check(s, data, out, log);
        return true;
    }
    const auto r = search(s, data, log);
    if (!r.finished) {
        out << "accelnas-search (one-shot): stopped after " << r.steps.size() << " steps; continue with --resume\n";
        return false;
    }
    const double dev = r.latency_s / r.target_s - 1.0;
    out << "accelnas-search (one-shot): " << r.steps.size() << " steps; results in " << s.out << "\n"
        << "result (" << r.choice << "): " << sp.to_text(r.arch) << "\n"
        << "  latency " << search_run::ms(r.latency_s) << " ms on " << s.target << " (" << s.estimator << "), target "
        << search_run::ms(r.target_s) << " ms (" << std::showpos << std::fixed << std::setprecision(1) << dev * 100
        << std::noshowpos << "%)" << (std::abs(dev) > s.latency_tolerance ? ": outside +-" + std::to_string(int(std::lround(s.latency_tolerance * 100))) + "% of the target" : std::string()) << "\n"
        << std::defaultfloat << "  (the most likely architecture overall: " << search_run::ms(r.mode_latency_s) << " ms"
        << (r.mode == r.arch ? ", the same one)\n" : ": " + sp.to_text(r.mode) + ")\n")
        << "  one-shot validation accuracy (shared weights): " << std::fixed << std::setprecision(4)
        << r.oneshot_accuracy << "\n";
    if (r.reranking) {
        const auto& rr = *r.reranking;
        out << "  re-ranked (" << rr.candidates.size() << " of " << rr.pool << " in-band candidate" << (rr.pool == 1 ? "" : "s")
            << ", " << rr.distinct << " distinct network" << (rr.distinct == 1 ? "" : "s") << ", --rerank " << rr.asked
            << "; stand-alone validation, 1 training each; CPU " << std::setprecision(1) << r.pool_cpu_s + r.rerank_cpu_s
            << " s):\n" << std::setprecision(4);
        for (std::size_t i = 0; i < rr.candidates.size(); ++i) {
            const auto& c = rr.candidates[i];
            out << "    " << (i == rr.chosen ? "* " : "  ") << search_run::ms(c.latency_s) << " ms, one-shot " << c.oneshot_accuracy
                << ", validation ";
            if (c.validation)
                out << *c.validation << " (seed " << c.seed << ")";
            else
                out << "not trained";
            out << ": " << sp.to_text(c.arch) << "\n";
        }
    }
    out
        << "  stand-alone validation accuracy: " << mean_std(r.standalone_validation) << "\n"
        << "  stand-alone test accuracy (reported only): " << mean_std(r.standalone_test) << "\n" << std::defaultfloat;
    return true;
}

}  // namespace accelnas::app::oneshot
