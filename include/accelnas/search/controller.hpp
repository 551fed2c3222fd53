#pragma once
/// \file
/// The `controller` concept: what a search loop needs of a NAS controller, and batch helpers.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/search/layout.hpp>
#include <accelnas/space/architecture.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace accelnas::search {

/// A NAS controller: proposes architectures of a space it knows only by its decision layout, and
/// learns from the rewards of evaluated ones.
///
/// Semantic requirements (not checked by the compiler):
/// - `propose(g)` draws all its randomness from `g` and returns a point of `layout()`; with the same
///   state and the same `g`, it returns the same architecture (same seed, same search).
/// - `observe(a, r)` takes the reward (higher is better, finite) of an architecture proposed earlier;
///   observations may arrive in any number after a batch of proposals.
/// - `to_json()` captures the whole learned state; `from_json(j)` on a controller built with the same
///   layout and options restores it, so that proposing continues exactly as before the save.
/// - Not thread-safe: one thread drives a controller.
template <class C>
concept controller = requires(C& c, const C& cc, rng& g, const space::architecture& a, double r, const nlohmann::json& j) {
    { c.propose(g) } -> std::same_as<space::architecture>;
    c.observe(a, r);
    { cc.layout() } -> std::convertible_to<const decision_layout&>;
    { cc.to_json() } -> std::same_as<nlohmann::json>;
    c.from_json(j);
};

/// `n` proposals for parallel evaluation: the controller's own `propose_batch(g, n)` when it has
/// one, else `n` calls of `propose(g)` (the policy does not change in between).
template <controller C>
std::vector<space::architecture> propose_batch(C& c, rng& g, std::size_t n) {
    if constexpr (requires { { c.propose_batch(g, n) } -> std::same_as<std::vector<space::architecture>>; }) {
        return c.propose_batch(g, n);
    } else {
        std::vector<space::architecture> out;
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) out.push_back(c.propose(g));
        return out;
    }
}

/// Observes a batch of (architecture, reward) pairs in order: the controller's `observe_batch` when
/// it has one, else one `observe` per pair.
template <controller C>
void observe_batch(C& c, std::span<const space::architecture> archs, std::span<const double> rewards) {
    require(archs.size() == rewards.size(), "observe_batch: ", archs.size(), " architectures but ", rewards.size(), " rewards");
    if constexpr (requires { c.observe_batch(archs, rewards); }) {
        c.observe_batch(archs, rewards);
    } else {
        for (std::size_t i = 0; i < archs.size(); ++i) c.observe(archs[i], rewards[i]);
    }
}

namespace detail {
/// Throws unless `r` is a finite reward (NaN or infinite rewards would poison a policy).
inline void check_reward(double r, const char* who) {
    require(std::isfinite(r), who, ": reward must be finite, got ", r);
}
/// Reads `j[key]`, naming the key when it is missing.
inline const nlohmann::json& field(const nlohmann::json& j, const char* key, const char* who) {
    require(j.is_object() && j.contains(key), who, ": state JSON lacks field '", key, "'");
    return j.at(key);
}
/// Throws unless the state JSON `j` was saved by controller kind `kind` over layout `l`.
inline void check_state_header(const nlohmann::json& j, const char* kind, const decision_layout& l) {
    const auto& k = field(j, "controller", kind);
    require(k.is_string() && k.get<std::string>() == kind, kind, ": state JSON is of controller '", k.dump(), "'");
    const auto card = field(j, "cardinalities", kind).get<std::vector<std::size_t>>();
    require(card == l.cardinalities, kind, ": state JSON was saved for a space of another decision layout");
}
/// Starts a state JSON with the kind and layout.
inline nlohmann::json state_header(const char* kind, const decision_layout& l) {
    return nlohmann::json{{"controller", kind}, {"cardinalities", l.cardinalities}};
}
}  // namespace detail

}  // namespace accelnas::search
