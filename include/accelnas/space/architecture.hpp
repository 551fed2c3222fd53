#pragma once
/// \file
/// The runtime form of a point of a search space, and the compile-time shape controllers rely on.

#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <vector>

namespace accelnas::space {

/// A point of a search space: one choice index per decision, in the space's decision order.
struct architecture {
    std::vector<int> choices;
    friend bool operator==(const architecture&, const architecture&) = default;
    friend auto operator<=>(const architecture&, const architecture&) = default;
};

/// What a controller may know of a space: how many decisions there are and the cardinality of each,
/// as compile-time constants (`S::num_decisions`, `S::cardinalities` a std::array<std::size_t, N>).
template <class S>
concept decision_shape = requires {
    { S::num_decisions } -> std::convertible_to<std::size_t>;
    { S::cardinalities[0] } -> std::convertible_to<std::size_t>;
} && (std::tuple_size_v<std::remove_cvref_t<decltype(S::cardinalities)>> == S::num_decisions);

}  // namespace accelnas::space

/// Hash of an architecture (for caches and de-duplication).
template <>
struct std::hash<accelnas::space::architecture> {
    std::size_t operator()(const accelnas::space::architecture& a) const noexcept {
        std::size_t h = 1469598103934665603ull;
        for (int c : a.choices) h = (h ^ static_cast<std::size_t>(c + 1)) * 1099511628211ull;
        return h;
    }
};
