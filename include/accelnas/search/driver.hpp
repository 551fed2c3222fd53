#pragma once
/// \file
/// Driver pieces of a search loop: parallel evaluation of a batch of candidates on a thread pool,
/// and `run_search`, a complete loop (propose a batch, evaluate it in parallel, journal each
/// result, observe the rewards in step order) that resumes exactly from a journal.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/core/thread_pool.hpp>
#include <accelnas/search/controller.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/journal.hpp>
#include <accelnas/search/reward.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <new>
#include <span>
#include <sstream>
#include <vector>

namespace accelnas::search {

/// A candidate evaluator: `evaluation(const space::architecture&, std::size_t step)` filling
/// accuracy, latency (one per target) and param_bytes. It may throw (or return `ok = false`): the
/// candidate is then marked failed and the search goes on. Called concurrently from pool threads,
/// so it must be thread-safe; for reproducible searches it must depend only on (arch, step).
template <class E>
concept evaluator = std::invocable<E&, const space::architecture&, std::size_t> &&
                    std::same_as<std::invoke_result_t<E&, const space::architecture&, std::size_t>, evaluation>;

namespace detail {
template <class Evaluate, class Reward>
evaluation evaluate_one(Evaluate& evaluate, const Reward& reward, const space::architecture& a, std::size_t step) {
    const auto t0 = std::chrono::steady_clock::now();
    evaluation e;
    try {
        e = evaluate(a, step);
        if (e.ok) {
            require(std::isfinite(e.accuracy), "accuracy is not finite (", e.accuracy, ")");
            for (double l : e.latency) require(std::isfinite(l) && l > 0, "latency is not a positive number (", l, ")");
            e.reward = static_cast<double>(reward(e));
            require(std::isfinite(e.reward), "reward is not finite (", e.reward, ")");
        }
    } catch (const std::bad_alloc&) {
        e = evaluation{};
        e.ok = false;
        e.failure = "out of memory";
    } catch (const std::exception& x) {
        e = evaluation{};
        e.ok = false;
        e.failure = x.what();
    }
    e.step = step;
    e.arch = a;
    if (!e.ok) {
        e.reward = 0.0;
        if (e.failure.empty()) e.failure = "evaluation failed";
    }
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return e;
}
}  // namespace detail

namespace detail {
template <class Evaluate, class Reward>
std::vector<evaluation> evaluate_steps(thread_pool* pool, std::span<const space::architecture> archs, std::span<const std::size_t> steps,
                                       Evaluate& evaluate, const Reward& reward, const std::function<void(const evaluation&)>& on_done) {
    std::vector<evaluation> out(archs.size());
    auto body = [&](std::size_t i) {
        out[i] = evaluate_one(evaluate, reward, archs[i], steps[i]);
        if (on_done) on_done(out[i]);
    };
    if (!pool || pool->threads() == 1 || archs.size() == 1) {
        for (std::size_t i = 0; i < archs.size(); ++i) body(i);
        return out;
    }
    pool->parallel_for(0, archs.size(), body);
    return out;
}
}  // namespace detail

/// Evaluates `archs` (steps `first_step`, `first_step + 1`, ...) on `pool` (sequentially when the
/// pool is null), computes each reward, and calls `on_done(e)` as each finishes (from the worker
/// thread: make it thread-safe). A candidate whose evaluation throws (NaN, `std::bad_alloc`, ...)
/// or yields a non-finite accuracy, latency or reward comes back with `ok = false`. Results come
/// back in step order.
///
/// How candidates share the cores: one candidate per pool thread, each evaluated single-threaded
/// (no nested parallelism), so `threads` candidates train at once and none waits on another.
template <evaluator Evaluate, reward_function Reward>
std::vector<evaluation> evaluate_batch(thread_pool* pool, std::span<const space::architecture> archs, std::size_t first_step,
                                       Evaluate& evaluate, const Reward& reward,
                                       const std::function<void(const evaluation&)>& on_done = {}) {
    std::vector<std::size_t> steps(archs.size());
    for (std::size_t i = 0; i < steps.size(); ++i) steps[i] = first_step + i;
    return detail::evaluate_steps(pool, archs, std::span<const std::size_t>(steps), evaluate, reward, on_done);
}

/// Options of `run_search`.
struct search_options {
    std::size_t budget = 100;  ///< candidates to evaluate in total (>= 1)
    std::size_t batch = 1;     ///< proposals per round, evaluated in parallel, observed together (>= 1)
    /// When set, the network identity of a proposal (e.g. `any_space::canonical`): a proposal whose
    /// canonical form was evaluated before (or earlier in its round) is not evaluated again; it
    /// reuses that result, with `duplicate_of` naming the step (journaled as "duplicate_of").
    std::function<space::architecture(const space::architecture&)> canonical = {};
};

/// Runs a whole search: rounds of `propose_batch` -> `evaluate_batch` -> `observe_batch` until
/// `budget` candidates are evaluated. Failed candidates are journaled but not observed.
///
/// With a journal, every finished candidate is appended at once; the journal's records (from an
/// earlier, killed run) are replayed instead of evaluated: the controller proposes exactly as
/// before (same seed, same rng draws), each journaled proposal is checked against the record and
/// its stored result is observed, so the controller's state and `g` are restored exactly and the
/// search continues where it stopped. `on_done(e, replayed)` is called for every candidate in
/// step order after its round. Returns all evaluations in step order.
template <controller C, evaluator Evaluate, reward_function Reward>
std::vector<evaluation> run_search(C& c, rng& g, const search_options& o, Evaluate& evaluate, const Reward& reward,
                                   thread_pool* pool = nullptr, journal* jr = nullptr,
                                   const std::function<void(const evaluation&, bool)>& on_done = {}) {
    require(o.budget >= 1, "run_search: budget must be at least 1");
    require(o.batch >= 1, "run_search: batch must be at least 1");
    std::map<std::size_t, evaluation> done;
    if (jr) {
        for (const auto& e : jr->records()) {
            require(e.step < o.budget, "journal ", jr->path(), ": holds step ", e.step, " beyond the budget of ", o.budget);
            done.emplace(e.step, e);
        }
    }
    std::vector<evaluation> all;
    all.reserve(o.budget);
    std::map<space::architecture, std::size_t> first_step;  // canonical form -> step evaluated (o.canonical)
    for (std::size_t s = 0; s < o.budget; s += o.batch) {
        const std::size_t n = std::min(o.batch, o.budget - s);
        const auto archs = propose_batch(c, g, n);
        for (const auto& a : archs) check_architecture(c.layout(), a, "controller proposal");
        std::vector<evaluation> round(n);
        std::vector<bool> replayed(n, false);
        std::vector<space::architecture> todo;
        std::vector<std::size_t> todo_at;
        std::vector<std::pair<std::size_t, std::size_t>> dups;  // (index in round, step it repeats)
        for (std::size_t i = 0; i < n; ++i) {
            if (auto it = done.find(s + i); it != done.end()) {
                require(it->second.arch == archs[i], "journal: step ", s + i, " holds architecture ", to_string(it->second.arch),
                        " but the resumed controller proposes ", to_string(archs[i]),
                        " (the journal was written by another configuration or build)");
                round[i] = it->second;
                replayed[i] = true;
                if (o.canonical && it->second.duplicate_of == evaluation::not_a_duplicate)
                    first_step.try_emplace(o.canonical(archs[i]), s + i);
                continue;
            }
            if (o.canonical) {
                const auto [at, fresh] = first_step.try_emplace(o.canonical(archs[i]), s + i);
                if (!fresh) {
                    dups.emplace_back(i, at->second);
                    continue;
                }
            }
            todo.push_back(archs[i]);
            todo_at.push_back(i);
        }
        if (!todo.empty()) {
            std::vector<std::size_t> steps;
            for (auto i : todo_at) steps.push_back(s + i);
            std::function<void(const evaluation&)> log;
            if (jr) log = [jr](const evaluation& e) { jr->append(e); };
            auto fresh = detail::evaluate_steps(pool, std::span<const space::architecture>(todo), std::span<const std::size_t>(steps),
                                                evaluate, reward, log);
            for (std::size_t k = 0; k < todo.size(); ++k) round[todo_at[k]] = std::move(fresh[k]);
        }
        for (const auto& [i, from] : dups) {
            const auto& src = from >= s ? round[from - s] : all[from];
            round[i] = src;
            round[i].step = s + i;
            round[i].arch = archs[i];
            round[i].seconds = 0.0;
            round[i].duplicate_of = from;
            if (jr) jr->append(round[i]);
        }
        std::vector<space::architecture> obs_a;
        std::vector<double> obs_r;
        for (std::size_t i = 0; i < n; ++i) {
            if (round[i].ok) {
                obs_a.push_back(round[i].arch);
                obs_r.push_back(round[i].reward);
            }
        }
        observe_batch(c, std::span<const space::architecture>(obs_a), std::span<const double>(obs_r));
        for (std::size_t i = 0; i < n; ++i) {
            if (on_done) on_done(round[i], replayed[i]);
            all.push_back(std::move(round[i]));
        }
    }
    return all;
}

/// The state of `g` as text (std::mt19937_64's stream form), for snapshots.
inline std::string rng_state(const rng& g) {
    std::ostringstream os;
    os << g;
    return os.str();
}
/// Restores `g` from `rng_state` text.
inline void set_rng_state(rng& g, const std::string& s) {
    std::istringstream is(s);
    is >> g;
    require(!is.fail(), "set_rng_state: not an rng state");
}

/// A snapshot of a search after `step` candidates: controller state and rng state. Resuming from a
/// snapshot is the alternative to replaying the journal from the start.
template <controller C>
nlohmann::json snapshot(const C& c, const rng& g, std::size_t step) {
    return {{"step", step}, {"controller", c.to_json()}, {"rng", rng_state(g)}};
}
/// Restores `c` and `g` from `snapshot` JSON; returns the step it was taken at.
template <controller C>
std::size_t restore(C& c, rng& g, const nlohmann::json& snap) {
    require(snap.is_object() && snap.contains("step") && snap.contains("controller") && snap.contains("rng"),
            "restore: snapshot JSON lacks step, controller or rng");
    c.from_json(snap.at("controller"));
    set_rng_state(g, snap.at("rng").get<std::string>());
    return snap.at("step").get<std::size_t>();
}

}  // namespace accelnas::search
