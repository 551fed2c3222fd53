#pragma once
/// \file
/// `decision_layout`: the runtime form of a space's decision shape (how many decisions, the
/// cardinality of each). Controllers work on it, so that a space picked by name at run time and a
/// compile-time `space::decision_shape` type drive the same code.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/space/architecture.hpp>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace accelnas::search {

/// Number of decisions and the cardinality of each, known at run time.
struct decision_layout {
    std::vector<std::size_t> cardinalities;  ///< choices per decision, in decision order (each >= 1)

    /// Number of decisions.
    std::size_t size() const noexcept { return cardinalities.size(); }
    /// Sum of the cardinalities (the length of a one-hot encoding of an architecture).
    std::size_t total_choices() const noexcept {
        std::size_t n = 0;
        for (auto c : cardinalities) n += c;
        return n;
    }
    friend bool operator==(const decision_layout&, const decision_layout&) = default;
};

/// Throws unless `l` has at least one decision and every cardinality is at least 1.
inline void validate(const decision_layout& l) {
    require(!l.cardinalities.empty(), "decision_layout: a search space needs at least one decision");
    for (std::size_t d = 0; d < l.size(); ++d)
        require(l.cardinalities[d] >= 1, "decision_layout: decision ", d, " has cardinality 0 (expected >= 1)");
}

/// The runtime layout of a compile-time decision shape.
template <space::decision_shape S>
decision_layout layout_of() {
    decision_layout l;
    l.cardinalities.reserve(S::num_decisions);
    for (std::size_t d = 0; d < S::num_decisions; ++d) l.cardinalities.push_back(static_cast<std::size_t>(S::cardinalities[d]));
    return l;
}

/// Throws unless `a` is a point of `l`: one choice per decision, each in [0, cardinality).
inline void check_architecture(const decision_layout& l, const space::architecture& a, const char* who = "architecture") {
    require(a.choices.size() == l.size(), who, ": has ", a.choices.size(), " decisions, the space has ", l.size());
    for (std::size_t d = 0; d < l.size(); ++d)
        require(a.choices[d] >= 0 && static_cast<std::size_t>(a.choices[d]) < l.cardinalities[d], who, ": decision ", d,
                " is ", a.choices[d], ", expected 0..", l.cardinalities[d] - 1);
}

/// A uniformly random point of `l`.
inline space::architecture uniform_architecture(const decision_layout& l, rng& g) {
    space::architecture a;
    a.choices.reserve(l.size());
    for (auto c : l.cardinalities) a.choices.push_back(static_cast<int>(uniform_index(g, c)));
    return a;
}

/// `a` with one decision (among those with more than one choice) changed to a different,
/// uniformly chosen value; `a` itself when no decision has a choice.
inline space::architecture mutate_one(const decision_layout& l, const space::architecture& a, rng& g) {
    check_architecture(l, a, "mutate_one");
    std::vector<std::size_t> free;
    for (std::size_t d = 0; d < l.size(); ++d)
        if (l.cardinalities[d] > 1) free.push_back(d);
    if (free.empty()) return a;
    space::architecture b = a;
    const std::size_t d = free[uniform_index(g, free.size())];
    const auto shift = 1 + uniform_index(g, l.cardinalities[d] - 1);  // never the current value
    b.choices[d] = static_cast<int>((static_cast<std::size_t>(a.choices[d]) + shift) % l.cardinalities[d]);
    return b;
}

/// Text form "3-0-2-..." of an architecture (for logs and CSV).
inline std::string to_string(const space::architecture& a) {
    std::string s;
    for (std::size_t i = 0; i < a.choices.size(); ++i) {
        if (i) s += '-';
        s += std::to_string(a.choices[i]);
    }
    return s;
}

/// Marker for controllers whose layout is given at run time (the default template argument).
struct dynamic_shape {};

namespace detail {
/// The layout a controller over `Shape` uses: from the type, or (dynamic_shape) the given one.
template <class Shape>
decision_layout resolve_layout(const decision_layout& given) {
    if constexpr (std::is_same_v<Shape, dynamic_shape>) {
        validate(given);
        return given;
    } else {
        static_assert(space::decision_shape<Shape>, "a controller's Shape must model space::decision_shape or be search::dynamic_shape");
        static_assert(Shape::num_decisions > 0, "a search space needs at least one decision");
        auto l = layout_of<Shape>();
        validate(l);
        if (!given.cardinalities.empty())
            require(given == l, "controller: the layout given does not match the compile-time shape");
        return l;
    }
}
}  // namespace detail

}  // namespace accelnas::search
