#pragma once
/// \file
/// Regularized (aging) evolution, Real et al. 2019: a population of the most recent observations;
/// each child is a mutation of the best of a random sample; the oldest member dies.

#include <accelnas/search/controller.hpp>

#include <algorithm>
#include <deque>
#include <utility>

namespace accelnas::search {

/// Options of `evolution`.
struct evolution_options {
    std::size_t population = 50;   ///< P: members kept (the oldest dies when a child arrives)
    std::size_t sample_size = 10;  ///< S: members drawn (with replacement) for each tournament
};

/// Evolution's tournament sample size for population `p`: p / 4 rounded up, at least 2 (a
/// tournament of one is no selection), at most p.
inline std::size_t evolution_sample_for(std::size_t p) { return std::min(p, std::max<std::size_t>(2, (p + 3) / 4)); }

/// Evolution's options for a search of `budget` candidates: population P = budget / 4 (at least 1,
/// at most 50, Real et al.'s size for long searches) and sample size S = P / 4 rounded up (at least
/// 2 when P allows), the ratio S/P = 1/4 of Real et al. So the first quarter of the budget fills
/// the population at random and the other three quarters evolve it; P never exceeds the budget.
inline evolution_options evolution_for_budget(std::size_t budget) {
    const std::size_t p = std::clamp<std::size_t>(budget / 4, 1, 50);
    return {.population = p, .sample_size = evolution_sample_for(p)};
}

/// Regularized evolution over a space of shape `Shape`. Until `population` observations have
/// arrived, proposals are uniformly random (the initial population). Mutation changes one decision
/// to another value (it needs only the decision layout, never the space's internals).
template <class Shape = dynamic_shape>
class evolution {
public:
    /// A member of the population: an architecture and its reward.
    struct member {
        space::architecture arch;
        double reward = 0.0;
    };

    /// Over the compile-time shape `Shape`.
    explicit evolution(evolution_options o = {}) requires(!std::is_same_v<Shape, dynamic_shape>)
        : evolution(decision_layout{}, o) {}
    /// Over the runtime layout `l`.
    explicit evolution(decision_layout l, evolution_options o = {}) : layout_(detail::resolve_layout<Shape>(l)), opt_(o) {
        require(o.population >= 1, "evolution: population must be at least 1");
        require(o.sample_size >= 1, "evolution: sample_size must be at least 1");
        require(o.sample_size <= o.population, "evolution: sample_size (", o.sample_size, ") exceeds population (", o.population, ")");
    }

    /// The space's layout.
    const decision_layout& layout() const noexcept { return layout_; }
    /// Options in use.
    const evolution_options& options() const noexcept { return opt_; }
    /// Current population, oldest first.
    const std::deque<member>& population() const noexcept { return pop_; }

    /// Random while the population fills, then a mutated tournament winner.
    space::architecture propose(rng& g) {
        if (pop_.size() < opt_.population) return uniform_architecture(layout_, g);
        const member* best = nullptr;
        for (std::size_t i = 0; i < opt_.sample_size; ++i) {
            const member& m = pop_[uniform_index(g, pop_.size())];
            if (!best || m.reward > best->reward) best = &m;
        }
        return mutate_one(layout_, best->arch, g);
    }
    /// Adds the observation to the population; the oldest member dies when it is full.
    void observe(const space::architecture& a, double reward) {
        check_architecture(layout_, a, "evolution::observe");
        detail::check_reward(reward, "evolution::observe");
        pop_.push_back({a, reward});
        if (pop_.size() > opt_.population) pop_.pop_front();
    }
    /// The best member of the current population (throws when empty).
    const member& best() const {
        require(!pop_.empty(), "evolution::best: no observation yet");
        const member* b = &pop_.front();
        for (const auto& m : pop_)
            if (m.reward > b->reward) b = &m;
        return *b;
    }

    /// State as JSON (options and population).
    nlohmann::json to_json() const {
        auto j = detail::state_header("evolution", layout_);
        j["population_size"] = opt_.population;
        j["sample_size"] = opt_.sample_size;
        auto& p = j["population"] = nlohmann::json::array();
        for (const auto& m : pop_) p.push_back({{"arch", m.arch.choices}, {"reward", m.reward}});
        return j;
    }
    /// Restores a state saved by `to_json` (the options must match).
    void from_json(const nlohmann::json& j) {
        detail::check_state_header(j, "evolution", layout_);
        require(detail::field(j, "population_size", "evolution").get<std::size_t>() == opt_.population &&
                    detail::field(j, "sample_size", "evolution").get<std::size_t>() == opt_.sample_size,
                "evolution: state JSON was saved with other options");
        std::deque<member> p;
        for (const auto& m : detail::field(j, "population", "evolution")) {
            member x{{m.at("arch").get<std::vector<int>>()}, m.at("reward").get<double>()};
            check_architecture(layout_, x.arch, "evolution state");
            p.push_back(std::move(x));
        }
        require(p.size() <= opt_.population, "evolution: state JSON holds more members than the population size");
        pop_ = std::move(p);
    }

private:
    decision_layout layout_;
    evolution_options opt_;
    std::deque<member> pop_;
};

static_assert(controller<evolution<>>);

}  // namespace accelnas::search
