#pragma once
/// \file
/// `search_space<Stem, Head, Stages...>`: a search space as a type. Derive from it and add a name:
///
///     struct my_space : space::search_space<space::stem<16>, space::head<256>,
///                                           space::stage<24, 2, 2, space::kernels<3, 5>>> {
///         static constexpr std::string_view name = "my_space";
///     };
///
/// Optional members of the derived type: `static constexpr expansion_rule expansion = ...` (default
/// actual_input), `static constexpr graph::activation activation = ...` (stem/head, default relu) and
/// `static constexpr deployment_input deployment = ...` (the input its networks are deployed at,
/// default 224x224x3 with 1000 classes).
/// The number of decisions, their cardinalities and log10 of the space size are compile-time
/// constants; the codec, sampling and decoding are free functions `space::f<S>(...)` over any such type.

#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/architecture.hpp>
#include <accelnas/space/codec.hpp>
#include <accelnas/space/description.hpp>
#include <accelnas/space/stage.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace accelnas::space {

namespace detail {
// Natural logarithm usable in constant expressions (std::log is not constexpr in C++20):
// x = m * 2^k with m in [1, 2), ln m = 2 atanh((m - 1) / (m + 1)) by its series.
constexpr double constexpr_ln(double x) {
    constexpr double ln2 = 0.693147180559945309417232121458;
    int k = 0;
    while (x >= 2.0) { x /= 2.0; ++k; }
    while (x < 1.0) { x *= 2.0; --k; }
    const double z = (x - 1.0) / (x + 1.0), z2 = z * z;
    double term = z, sum = 0.0;
    for (int n = 1; n < 80; n += 2) {
        sum += term / n;
        term *= z2;
    }
    return 2.0 * sum + k * ln2;
}
template <std::size_t... N>
constexpr auto concat_arrays(const std::array<std::size_t, N>&... a) {
    std::array<std::size_t, (N + ... + 0)> r{};
    std::size_t i = 0;
    ((std::copy(a.begin(), a.end(), r.begin() + static_cast<std::ptrdiff_t>(i)), i += N), ...);
    return r;
}
}  // namespace detail

/// A search space made of a stem, a head and one or more stages (see the file comment).
template <class Stem, class Head, class... Stages>
struct search_space {
    static_assert(sizeof...(Stages) > 0, "search_space<Stem, Head, Stages...>: a space needs at least one stage");
    static_assert((is_stage<Stages> && ...),
                  "search_space<Stem, Head, Stages...>: every parameter after the head must be a stage<...>");

    /// Marks space types (see `search_space_type`).
    static constexpr bool is_search_space = true;
    /// The stem policy.
    using stem_type = Stem;
    /// The head policy.
    using head_type = Head;
    /// Number of stages.
    static constexpr std::size_t num_stages = sizeof...(Stages);
    /// Number of decisions (each choice list with two or more values in each stage).
    static constexpr std::size_t num_decisions = (Stages::num_decisions + ...);
    static_assert(num_decisions > 0, "search_space<...>: a space needs at least one decision (a choice list with "
                                     "two or more values)");
    /// Cardinality of each decision, stage-major, slot order within a stage.
    static constexpr std::array<std::size_t, num_decisions> cardinalities =
        detail::concat_arrays(Stages::cardinalities...);
    /// log10 of the number of architectures (product of the cardinalities), computed at compile time.
    static constexpr double log10_size = [] {
        double r = 0;
        for (auto c : cardinalities) r += detail::constexpr_ln(static_cast<double>(c));
        return r / detail::constexpr_ln(10.0);
    }();
};

/// A space type: derived from `search_space<...>` and named (`S::name`).
template <class S>
concept search_space_type = decision_shape<S> && requires {
    requires S::is_search_space;
    { S::name } -> std::convertible_to<std::string_view>;
    typename S::stem_type;
    typename S::head_type;
};

namespace detail {
template <class Stem, class Head, class... Stages>
void describe_stages(space_description& d, const search_space<Stem, Head, Stages...>*) {
    (d.stages.push_back(Stages::describe()), ...);
}
}  // namespace detail

/// The runtime description of space `S` (built once).
template <search_space_type S>
const space_description& description() {
    static const space_description d = [] {
        space_description r;
        r.name = std::string(S::name);
        r.stem_filters = S::stem_type::filters;
        r.stem_kernel = S::stem_type::kernel;
        r.stem_stride = S::stem_type::stride;
        r.head_filters = S::head_type::filters;
        if constexpr (requires { S::expansion; }) r.rule = S::expansion;
        if constexpr (requires { S::activation; }) r.act = S::activation;
        detail::describe_stages(r, static_cast<const S*>(nullptr));
        r.index_decisions();
        return r;
    }();
    return d;
}

/// Names of the decisions of `S` ("s1.block", ...).
template <search_space_type S>
std::vector<std::string> decision_names() { return decision_names(description<S>()); }
/// Throws `accelnas::error` naming the decision unless `a` is an architecture of `S`.
template <search_space_type S>
void validate(const architecture& a) { validate(description<S>(), a); }
/// Text form of architecture `a` of `S`.
template <search_space_type S>
std::string to_text(const architecture& a) { return to_text(description<S>(), a); }
/// Parses the text form of an architecture of `S`.
template <search_space_type S>
architecture parse(std::string_view text) { return parse(description<S>(), text); }
/// JSON form of architecture `a` of `S`.
template <search_space_type S>
nlohmann::json to_json(const architecture& a) { return to_json(description<S>(), a); }
/// Reads the JSON form of an architecture of `S`.
template <search_space_type S>
architecture from_json(const nlohmann::json& j) { return from_json(description<S>(), j); }
/// A uniformly random architecture of `S`.
template <search_space_type S>
architecture sample(rng& g) { return sample(description<S>(), g); }
/// `a` with exactly one decision changed.
template <search_space_type S>
architecture mutate(const architecture& a, rng& g) { return mutate(description<S>(), a, g); }
/// All architectures one decision away from `a`.
template <search_space_type S>
std::vector<architecture> neighbours(const architecture& a) { return neighbours(description<S>(), a); }
/// The plan (block table) of `a`.
template <search_space_type S>
network_plan plan_of(const architecture& a) { return plan_of(description<S>(), a); }
/// The network of `a` on `input` with `classes` logits.
template <search_space_type S>
graph::network decode(const architecture& a, graph::tensor_shape input, std::int64_t classes) {
    return decode(description<S>(), a, input, classes);
}
/// The network of `a` after compound scaling `s` (input {1, s.resolution, s.resolution, channels}).
template <search_space_type S>
graph::network decode_scaled(const architecture& a, const compound_scaling& s, std::int64_t classes,
                             std::int64_t channels = 3) {
    return decode_scaled(description<S>(), a, s, classes, channels);
}

}  // namespace accelnas::space
