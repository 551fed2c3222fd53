#pragma once
/// \file
/// Choice lists: the compile-time policies a stage of a search space is made of. Each list decides
/// one property (a "slot") of the blocks of a stage: block kind, kernel, expansion, squeeze-and-excitation,
/// activation, skip, width multiplier, layer count. A list with one value fixes the property; a list
/// with two or more values makes it a decision of the space. Invalid lists fail to compile with a
/// `static_assert` message that names the list and the rule.

#include <accelnas/graph/op.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>

namespace accelnas::space {

/// What a block of a stage is made of.
enum class block_kind {
    conv,       ///< regular kxk conv (bn, act), carrying the stride
    dwsep,      ///< depthwise-separable: kxk depthwise (bn, act) -> [SE] -> 1x1 linear projection
    ibn,        ///< inverted bottleneck: 1x1 expansion -> kxk depthwise -> [SE] -> 1x1 linear projection
    fused_ibn,  ///< fused inverted bottleneck: kxk full expansion conv -> [SE] -> 1x1 linear projection
};

/// Residual connection of the non-first blocks of a stage.
enum class skip_kind {
    identity,  ///< identity residual add (when stride 1 and in == out)
    none,      ///< no residual
};

/// The property of a stage a choice list decides, in the order decisions appear within a stage.
enum class slot : std::size_t {
    block,         ///< block kind
    kernel,        ///< kernel size (depthwise kernel of IBN/dwsep, full kernel of conv and fused IBN)
    expand,        ///< expansion ratio of the stage's blocks
    expand_first,  ///< expansion ratio of the stage's first block (absent: same as `expand`)
    se,            ///< squeeze-and-excitation ratio of the block input channels (0: no SE)
    act,           ///< activation of every conv of the stage
    skip,          ///< residual of the stage's non-first blocks
    width,         ///< multiplier of the stage's base filters (rounded to a multiple of 8)
    layers,        ///< layer count relative to the stage's base count (MnasNet's -1/0/+1)
};

/// Number of slots.
inline constexpr std::size_t num_slots = 9;

/// Text keys of the slots, as they appear in architecture text and JSON.
inline constexpr std::array<std::string_view, num_slots> slot_keys{
    "block", "kernel", "expand", "expand_first", "se", "act", "skip", "width", "layers"};

/// Text names of the block kinds.
inline constexpr std::array<std::string_view, 4> block_kind_names{"conv", "dwsep", "ibn", "fused_ibn"};
/// Text names of the skip kinds.
inline constexpr std::array<std::string_view, 2> skip_kind_names{"identity", "none"};

/// Text key of a slot ("kernel", ...).
constexpr std::string_view to_string(slot s) noexcept { return slot_keys[static_cast<std::size_t>(s)]; }
/// Text name of a block kind ("fused_ibn", ...).
constexpr std::string_view to_string(block_kind k) noexcept { return block_kind_names[static_cast<std::size_t>(k)]; }
/// Text name of a skip kind ("identity" or "none").
constexpr std::string_view to_string(skip_kind k) noexcept { return skip_kind_names[static_cast<std::size_t>(k)]; }

/// True for the slots whose values are names (block, act, skip) rather than numbers.
constexpr bool is_named_slot(slot s) noexcept { return s == slot::block || s == slot::act || s == slot::skip; }

namespace detail {
template <class T, std::size_t N>
constexpr bool all_distinct(const std::array<T, N>& v) {
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i + 1; j < N; ++j)
            if (v[i] == v[j]) return false;
    return true;
}
}  // namespace detail

/// Common base of the choice lists: the slot decided, the values as numbers (enums by their index),
/// and their count. Use the named lists below (kernels<3, 5>, ...), not this template directly.
template <slot Slot, class T, T... Values>
struct choice_list {
    /// The property this list decides.
    static constexpr slot what = Slot;
    /// The value type of the list (int, double or an enum).
    using value_type = T;
    /// Number of values (1: a fixed property, not a decision).
    static constexpr std::size_t size = sizeof...(Values);
    /// The values in the order of their choice indices.
    static constexpr std::array<T, sizeof...(Values)> values{Values...};
    /// The values as doubles (enums by their underlying index), the runtime description's form.
    static constexpr std::array<double, sizeof...(Values)> numeric{static_cast<double>(Values)...};
    static_assert(sizeof...(Values) > 0, "empty choice list: a choice list needs at least one value");
    static_assert(detail::all_distinct(std::array<T, sizeof...(Values)>{Values...}),
                  "choice list with a repeated value: the values of a choice list must be distinct");
};

/// Block kinds a stage may use.
template <block_kind... K>
struct block_kinds : choice_list<slot::block, block_kind, K...> {};

/// Kernel sizes (odd and positive: SAME padding centres the window).
template <int... K>
struct kernels : choice_list<slot::kernel, int, K...> {
    static_assert(sizeof...(K) > 0, "kernels<>: empty choice list; give at least one kernel size");
    static_assert(((K > 0 && K % 2 == 1) && ...), "kernels<...>: every kernel size must be odd and positive");
};

/// Expansion ratios of the stage's blocks (>= 1).
template <int... E>
struct expansions : choice_list<slot::expand, int, E...> {
    static_assert(sizeof...(E) > 0, "expansions<>: empty choice list; give at least one expansion ratio");
    static_assert(((E >= 1) && ...), "expansions<...>: every expansion ratio must be at least 1");
};

/// Expansion ratios of the stage's first block only (>= 1); the others use `expansions`.
template <int... E>
struct first_expansions : choice_list<slot::expand_first, int, E...> {
    static_assert(sizeof...(E) > 0, "first_expansions<>: empty choice list; give at least one expansion ratio");
    static_assert(((E >= 1) && ...), "first_expansions<...>: every expansion ratio must be at least 1");
};

/// Squeeze-and-excitation ratios in [0, 1) of the block input channels; 0 means no SE.
template <double... R>
struct se_ratios : choice_list<slot::se, double, R...> {
    static_assert(sizeof...(R) > 0, "se_ratios<>: empty choice list; give at least one ratio (0 = no SE)");
    static_assert(((R >= 0.0 && R < 1.0) && ...), "se_ratios<...>: every SE ratio must be in [0, 1)");
};

/// Activations the stage's convs may use.
template <graph::activation... A>
struct activations : choice_list<slot::act, graph::activation, A...> {
    static_assert(sizeof...(A) > 0, "activations<>: empty choice list; give at least one activation");
};

/// Residual choices of the stage's non-first blocks.
template <skip_kind... S>
struct skips : choice_list<slot::skip, skip_kind, S...> {
    static_assert(sizeof...(S) > 0, "skips<>: empty choice list; give at least one skip kind");
};

/// Multipliers of the stage's base filters (positive); filters = make_divisible(base * m, 8).
template <double... M>
struct width_multipliers : choice_list<slot::width, double, M...> {
    static_assert(sizeof...(M) > 0, "width_multipliers<>: empty choice list; give at least one multiplier");
    static_assert(((M > 0.0) && ...), "width_multipliers<...>: every filter multiplier must be positive");
};

/// Layer counts relative to the stage's base count (MnasNet uses -1, 0, +1).
template <int... D>
struct layer_deltas : choice_list<slot::layers, int, D...> {
    static_assert(sizeof...(D) > 0, "layer_deltas<>: empty choice list; give at least one delta (0 = base)");
};

/// A type usable as a choice list of a stage.
template <class C>
concept choice_list_type = requires {
    { C::what } -> std::convertible_to<slot>;
    { C::size } -> std::convertible_to<std::size_t>;
    C::numeric[0];
};

static_assert(choice_list_type<kernels<3, 5>>);
static_assert(choice_list_type<block_kinds<block_kind::ibn, block_kind::fused_ibn>>);

}  // namespace accelnas::space
