#pragma once
/// \file
/// Slots and choice lists: the compile-time policies a stage of a search space is made of. A slot is
/// one property of the blocks of a stage (block type, kernel, expansion, squeeze-and-excitation,
/// activation, skip, width multiplier, layer count, or a property a block defines itself, such as
/// the group size of a GC-IBN); a choice list gives the values a stage allows for one slot. A list
/// with one value fixes the property; a list with two or more values makes it a decision of the
/// space. Invalid lists fail to compile with a `static_assert` message that names the list and the rule.

#include <accelnas/graph/op.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace accelnas::space {

/// Residual connection of the non-first blocks of a stage.
enum class skip_kind {
    identity,  ///< identity residual add (when stride 1 and in == out)
    none,      ///< no residual
};

/// Text names of the skip kinds.
inline constexpr std::array<std::string_view, 2> skip_kind_names{"identity", "none"};
/// Text name of a skip kind ("identity" or "none").
constexpr std::string_view to_string(skip_kind k) noexcept { return skip_kind_names[static_cast<std::size_t>(k)]; }

/// How the values of a slot are written in architecture text and JSON.
enum class value_format {
    name,            ///< a name from the slot's name table (block, act, skip); JSON string
    integer,         ///< an integer ("5"); JSON integer
    signed_integer,  ///< an integer with its sign ("-1", "0", "+1"); JSON integer
    real,            ///< the shortest decimal ("0.25", "1"); JSON number
};

/// A slot type: a text key unique within a stage, a value format, a rank (decisions of a stage come
/// in rank order; built-in slots use 0..80 in steps of 10, so a block's own slot picks a rank between
/// them), the C++ value type, and a fallback value used when a stage gives no list for the slot
/// (`has_fallback` false: the slot is absent unless listed). Named slots add `names`, the text of
/// each value by its numeric index.
template <class S>
concept slot_type = requires {
    { S::key } -> std::convertible_to<std::string_view>;
    { S::format } -> std::convertible_to<value_format>;
    { S::rank } -> std::convertible_to<int>;
    { S::has_fallback } -> std::convertible_to<bool>;
    typename S::value_type;
};

/// The block-type slot: its values are the indices of a stage's `blocks<...>` list.
struct block_slot {
    static constexpr std::string_view key = "block";             ///< text key
    static constexpr value_format format = value_format::name;   ///< named by the blocks' names
    static constexpr int rank = 0;                               ///< first decision of a stage
    static constexpr bool has_fallback = true;                   ///< default: the IBN alone
    using value_type = int;                                      ///< index into the stage's blocks
};
/// Kernel size (depthwise kernel of IBN/dwsep, full kernel of conv and fused IBN).
struct kernel_slot {
    static constexpr std::string_view key = "kernel";            ///< text key
    static constexpr value_format format = value_format::integer;///< "3", "5"
    static constexpr int rank = 10;                              ///< after block
    static constexpr bool has_fallback = true;                   ///< default 3
    using value_type = int;                                      ///< kernel size
    static constexpr value_type fallback = 3;                    ///< default value
};
/// Expansion ratio of the stage's blocks.
struct expand_slot {
    static constexpr std::string_view key = "expand";            ///< text key
    static constexpr value_format format = value_format::integer;///< "4", "8"
    static constexpr int rank = 20;                              ///< after kernel
    static constexpr bool has_fallback = true;                   ///< default 6
    using value_type = int;                                      ///< ratio
    static constexpr value_type fallback = 6;                    ///< default value
};
/// Expansion ratio of the stage's first block (absent: same as `expand`).
struct expand_first_slot {
    static constexpr std::string_view key = "expand_first";      ///< text key
    static constexpr value_format format = value_format::integer;///< "1", "4", "8"
    static constexpr int rank = 30;                              ///< after expand
    static constexpr bool has_fallback = false;                  ///< absent unless listed
    using value_type = int;                                      ///< ratio
};
/// Squeeze-and-excitation ratio of the block input channels (0: no SE).
struct se_slot {
    static constexpr std::string_view key = "se";                ///< text key
    static constexpr value_format format = value_format::real;   ///< "0", "0.25"
    static constexpr int rank = 40;                              ///< after expand_first
    static constexpr bool has_fallback = true;                   ///< default 0
    using value_type = double;                                   ///< ratio
    static constexpr value_type fallback = 0.0;                  ///< default value
};
/// Activation of every conv of the stage.
struct act_slot {
    static constexpr std::string_view key = "act";               ///< text key
    static constexpr value_format format = value_format::name;   ///< "relu", "swish"
    static constexpr int rank = 50;                              ///< after se
    static constexpr bool has_fallback = true;                   ///< default relu
    using value_type = graph::activation;                        ///< activation
    static constexpr value_type fallback = graph::activation::relu;  ///< default value
    static constexpr std::span<const std::string_view> names{graph::activation_names};  ///< value texts
};
/// Residual of the stage's non-first blocks.
struct skip_slot {
    static constexpr std::string_view key = "skip";              ///< text key
    static constexpr value_format format = value_format::name;   ///< "identity", "none"
    static constexpr int rank = 60;                              ///< after act
    static constexpr bool has_fallback = true;                   ///< default identity
    using value_type = skip_kind;                                ///< skip kind
    static constexpr value_type fallback = skip_kind::identity;  ///< default value
    static constexpr std::span<const std::string_view> names{skip_kind_names};  ///< value texts
};
/// Multiplier of the stage's base filters (rounded to a multiple of 8).
struct width_slot {
    static constexpr std::string_view key = "width";             ///< text key
    static constexpr value_format format = value_format::real;   ///< "0.75", "1"
    static constexpr int rank = 70;                              ///< after skip
    static constexpr bool has_fallback = true;                   ///< default 1
    using value_type = double;                                   ///< multiplier
    static constexpr value_type fallback = 1.0;                  ///< default value
};
/// Layer count relative to the stage's base count (MnasNet's -1/0/+1).
struct layers_slot {
    static constexpr std::string_view key = "layers";            ///< text key
    static constexpr value_format format = value_format::signed_integer;  ///< "-1", "0", "+1"
    static constexpr int rank = 80;                              ///< last
    static constexpr bool has_fallback = true;                   ///< default 0
    using value_type = int;                                      ///< delta
    static constexpr value_type fallback = 0;                    ///< default value
};

static_assert(slot_type<block_slot> && slot_type<kernel_slot> && slot_type<expand_slot> &&
              slot_type<expand_first_slot> && slot_type<se_slot> && slot_type<act_slot> && slot_type<skip_slot> &&
              slot_type<width_slot> && slot_type<layers_slot>);

/// True for the slots the stage itself consumes (block choice, first expansion, skip, width,
/// layers) rather than the blocks.
template <class S>
inline constexpr bool is_stage_slot = std::same_as<S, block_slot> || std::same_as<S, expand_first_slot> ||
                                      std::same_as<S, skip_slot> || std::same_as<S, width_slot> ||
                                      std::same_as<S, layers_slot>;

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
/// and their count. Use the named lists below (kernels<3, 5>, ...), not this template directly; a
/// block's own slot gets its own named list the same way (see docs/space.md).
template <class Slot, class T, T... Values>
struct choice_list {
    static_assert(slot_type<Slot>, "choice_list<Slot, ...>: Slot must be a slot type (key, format, rank, value_type)");
    /// The property this list decides.
    using slot = Slot;
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

/// Kernel sizes (odd and positive: SAME padding centres the window).
template <int... K>
struct kernels : choice_list<kernel_slot, int, K...> {
    static_assert(sizeof...(K) > 0, "kernels<>: empty choice list; give at least one kernel size");
    static_assert(((K > 0 && K % 2 == 1) && ...), "kernels<...>: every kernel size must be odd and positive");
};

/// Expansion ratios of the stage's blocks (>= 1).
template <int... E>
struct expansions : choice_list<expand_slot, int, E...> {
    static_assert(sizeof...(E) > 0, "expansions<>: empty choice list; give at least one expansion ratio");
    static_assert(((E >= 1) && ...), "expansions<...>: every expansion ratio must be at least 1");
};

/// Expansion ratios of the stage's first block only (>= 1); the others use `expansions`.
template <int... E>
struct first_expansions : choice_list<expand_first_slot, int, E...> {
    static_assert(sizeof...(E) > 0, "first_expansions<>: empty choice list; give at least one expansion ratio");
    static_assert(((E >= 1) && ...), "first_expansions<...>: every expansion ratio must be at least 1");
};

/// Squeeze-and-excitation ratios in [0, 1) of the block input channels; 0 means no SE.
template <double... R>
struct se_ratios : choice_list<se_slot, double, R...> {
    static_assert(sizeof...(R) > 0, "se_ratios<>: empty choice list; give at least one ratio (0 = no SE)");
    static_assert(((R >= 0.0 && R < 1.0) && ...), "se_ratios<...>: every SE ratio must be in [0, 1)");
};

/// Activations the stage's convs may use.
template <graph::activation... A>
struct activations : choice_list<act_slot, graph::activation, A...> {
    static_assert(sizeof...(A) > 0, "activations<>: empty choice list; give at least one activation");
};

/// Residual choices of the stage's non-first blocks.
template <skip_kind... S>
struct skips : choice_list<skip_slot, skip_kind, S...> {
    static_assert(sizeof...(S) > 0, "skips<>: empty choice list; give at least one skip kind");
};

/// Multipliers of the stage's base filters (positive); filters = make_divisible(base * m, 8).
template <double... M>
struct width_multipliers : choice_list<width_slot, double, M...> {
    static_assert(sizeof...(M) > 0, "width_multipliers<>: empty choice list; give at least one multiplier");
    static_assert(((M > 0.0) && ...), "width_multipliers<...>: every filter multiplier must be positive");
};

/// Layer counts relative to the stage's base count (MnasNet uses -1, 0, +1).
template <int... D>
struct layer_deltas : choice_list<layers_slot, int, D...> {
    static_assert(sizeof...(D) > 0, "layer_deltas<>: empty choice list; give at least one delta (0 = base)");
};

/// A type usable as a choice list of a stage.
template <class C>
concept choice_list_type = requires {
    typename C::slot;
    requires slot_type<typename C::slot>;
    { C::size } -> std::convertible_to<std::size_t>;
    C::numeric[0];
};

/// A list of slot types (what a block reads).
template <slot_type... S>
struct slot_list {
    /// Number of slots.
    static constexpr std::size_t size = sizeof...(S);
    /// Their keys.
    static constexpr std::array<std::string_view, sizeof...(S)> keys{S::key...};
    /// True when the list holds a slot with `key`.
    static constexpr bool has(std::string_view key) {
        for (auto k : keys)
            if (k == key) return true;
        return false;
    }
};

static_assert(choice_list_type<kernels<3, 5>>);

/// A slot at run time: key, format, rank, the values a stage allows (numeric form; named slots by
/// their index into `names`), and for named slots the text of each value.
struct slot_values {
    std::string_view key = {};                    ///< text key ("kernel")
    value_format format = value_format::integer;  ///< text form of the values
    int rank = 0;                                 ///< decision order within a stage
    std::vector<double> values = {};              ///< allowed values (one: fixed; more: a decision)
    std::vector<std::string_view> names = {};     ///< named slots: text of value i
};

/// The run-time form of slot `S` with `values`.
template <slot_type S>
slot_values describe_slot(std::vector<double> values) {
    slot_values r{S::key, S::format, S::rank, std::move(values), {}};
    if constexpr (requires { S::names; }) r.names.assign(S::names.begin(), S::names.end());
    return r;
}

}  // namespace accelnas::space
