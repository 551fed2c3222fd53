#pragma once
/// \file
/// Random search: every proposal is a uniformly random point of the space (the baseline).

#include <accelnas/search/controller.hpp>

namespace accelnas::search {

/// Uniform random search over a space of shape `Shape` (a `space::decision_shape` type, or
/// `dynamic_shape` with the layout given at construction). It learns nothing; `observe` only counts.
template <class Shape = dynamic_shape>
class random_search {
public:
    /// Over the compile-time shape `Shape`.
    random_search() requires(!std::is_same_v<Shape, dynamic_shape>) : layout_(detail::resolve_layout<Shape>({})) {}
    /// Over the runtime layout `l`.
    explicit random_search(decision_layout l) : layout_(detail::resolve_layout<Shape>(l)) {}

    /// The space's layout.
    const decision_layout& layout() const noexcept { return layout_; }
    /// A uniformly random architecture.
    space::architecture propose(rng& g) { return uniform_architecture(layout_, g); }
    /// Counts the observation (random search does not learn).
    void observe(const space::architecture& a, double reward) {
        check_architecture(layout_, a, "random_search::observe");
        detail::check_reward(reward, "random_search::observe");
        ++observed_;
    }
    /// Number of observations so far.
    std::size_t observed() const noexcept { return observed_; }

    /// State as JSON.
    nlohmann::json to_json() const {
        auto j = detail::state_header("random", layout_);
        j["observed"] = observed_;
        return j;
    }
    /// Restores a state saved by `to_json`.
    void from_json(const nlohmann::json& j) {
        detail::check_state_header(j, "random", layout_);
        observed_ = detail::field(j, "observed", "random").get<std::size_t>();
    }

private:
    decision_layout layout_;
    std::size_t observed_ = 0;
};

static_assert(controller<random_search<>>);

}  // namespace accelnas::search
