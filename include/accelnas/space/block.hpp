#pragma once
/// \file
/// The block concept: what a type must provide to be a block of a search space, the context a stage
/// hands a block when it appends one, and `blocks<B...>`, the choice list of block types of a stage.
/// The shipped blocks (space/blocks/) and a user's own blocks are models of `block_policy` alike; the
/// library never names a block type outside its own header.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/choices.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace accelnas::space {

/// Which channel count an expansion ratio multiplies.
enum class expansion_rule {
    /// EfficientNet(-EdgeTPU) and MnasNet TF code: the block's nominal input filters, i.e. the
    /// previous stage's filters (for the first stage: its own filters, the EdgeTPU table's
    /// `i24_o24`), later blocks of a stage their stage's filters; expansion skipped when the ratio is 1.
    nominal_input,
    /// TF-slim (MobilenetEdgeTPU): make_divisible(actual input channels * ratio, 8), skipped when
    /// that does not widen the input.
    actual_input,
};

/// How a block's weights for the choices of one slot can share storage inside a supernet (a
/// one-shot search trains one over-parameterised block and slices it per choice).
enum class weight_sharing {
    unused,              ///< the block does not read this slot
    cannot,              ///< each choice needs its own weights (e.g. a different group layout)
    kernel_centre_crop,  ///< a smaller kernel is the centre crop of the largest (kernel sizes)
    channel_prefix,      ///< fewer channels are the first channels of the widest (expansion, ratios)
    no_weights,          ///< the choices differ in no weights (activations): shared as they are
};

/// Text names of the weight-sharing kinds.
inline constexpr std::array<std::string_view, 5> weight_sharing_names{"unused", "cannot", "kernel_centre_crop",
                                                                      "channel_prefix", "no_weights"};

/// The chosen value of every slot a stage resolved for a block, by slot key (numeric form).
struct slot_assignment {
    std::vector<std::pair<std::string_view, double>> values;  ///< (slot key, value)

    /// The value of slot `key`; `accelnas::error` naming the key when the stage has none.
    double at(std::string_view key) const {
        for (const auto& [k, v] : values)
            if (k == key) return v;
        fail("block slot '", key, "' has no value in this stage (the stage does not define it)");
    }
    /// True when the stage has a value for `key`.
    bool has(std::string_view key) const {
        return std::any_of(values.begin(), values.end(), [&](const auto& kv) { return kv.first == key; });
    }
    /// The value of slot `S` as its value type (enums by their index).
    template <slot_type S>
    typename S::value_type get() const {
        const double v = at(S::key);
        using T = typename S::value_type;
        if constexpr (std::is_enum_v<T>) return static_cast<T>(static_cast<std::underlying_type_t<T>>(v));
        else return static_cast<T>(v);
    }
    /// Sets (or adds) the value of slot `key`.
    void set(std::string_view key, double v) {
        for (auto& kv : values)
            if (kv.first == key) {
                kv.second = v;
                return;
            }
        values.emplace_back(key, v);
    }
    friend bool operator==(const slot_assignment&, const slot_assignment&) = default;
};

/// What a stage hands a block it appends: channels, stride, residual wish, op-name prefix, the
/// space's expansion rule, and the chosen values of the block's slots.
struct block_context {
    std::int64_t in = 0;          ///< actual input channels
    std::int64_t nominal_in = 0;  ///< nominal input filters (previous stage's filters, own stage's for later blocks)
    std::int64_t out = 0;         ///< output channels
    int stride = 1;               ///< stride of this block
    bool residual = false;        ///< the stage asks for an identity residual (honoured when stride 1 and in == out)
    expansion_rule rule = expansion_rule::actual_input;  ///< how expansion ratios become channels
    std::string prefix;           ///< op-name prefix ("s3_b1/")
    slot_assignment values;       ///< chosen values (kernel, expand, se, act, and the block's own slots)

    /// The value of slot `S` (see `slot_assignment::get`).
    template <slot_type S>
    typename S::value_type get() const { return values.get<S>(); }
    /// Channels after expanding by `ratio` under the space's rule; `expand` is set to whether an
    /// expansion conv is needed at all.
    std::int64_t expanded(int ratio, bool& expand) const {
        if (rule == expansion_rule::nominal_input) {
            expand = ratio != 1;
            return nominal_in * ratio;
        }
        const auto x = graph::blocks::make_divisible(static_cast<double>(in) * ratio, 8);
        expand = x > in;
        return x;
    }
    /// Squeeze-and-excitation settings for ratio `ratio` (0: none): MnasNet/EfficientNet's
    /// max(1, int(block input filters * ratio)), the input nominal or actual by the rule.
    graph::blocks::se_args se(double ratio, graph::activation inner) const {
        graph::blocks::se_args s{};
        if (ratio > 0.0) {
            const auto base = rule == expansion_rule::nominal_input ? nominal_in : in;
            s.reduced = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(base) * ratio));
            s.inner = inner;
        }
        return s;
    }
    /// True when the block should end with an identity residual add.
    bool wants_residual() const noexcept { return residual && stride == 1 && in == out; }
};

/// True for instantiations of `slot_list`.
template <class T>
inline constexpr bool is_slot_list = false;
template <class... S>
inline constexpr bool is_slot_list<slot_list<S...>> = true;

/// A block of a search space. A model provides, as static members:
/// - `name`: its name in architecture text (`block=<name>`), non-empty, without ',', '/', '=' or spaces;
/// - `slots`: a `slot_list<...>` of the slots it reads (kernel_slot, expand_slot, se_slot, act_slot,
///   or slots it defines itself); a stage gives each a choice list or the slot's fallback value;
/// - `build(net, x, ctx)`: appends its ops to `net` after node `x` and returns its output node. It
///   must produce `ctx.out` channels, apply `ctx.stride` exactly once (spatial output
///   ceil(in / stride), SAME padding), name every op with `ctx.prefix`, read only the slots in
///   `slots`, and add an identity residual only when `ctx.wants_residual()`. The same context must
///   give the same ops (no hidden state, no randomness);
/// - `uses(key, values)`: false when slot `key` cannot change the ops given the other chosen
///   `values` (a dead decision, canonicalised away); must be false for keys outside `slots` and
///   must never be false for a slot that can change the ops (tests check this on sampled networks);
/// - `sharing(key)`: how the weights of slot `key`'s choices share storage in a supernet
///   (`weight_sharing`); `unused` exactly for keys outside `slots`.
/// Compile-time validity rules of a block (and of the choice lists of its own slots) are
/// `static_assert`s in those types, with messages that name the list and the rule.
template <class B>
concept block_policy =
    requires(graph::network& net, graph::node x, const block_context& c, std::string_view key, const slot_assignment& v) {
        { B::name } -> std::convertible_to<std::string_view>;
        typename B::slots;
        requires is_slot_list<typename B::slots>;
        { B::build(net, x, c) } -> std::same_as<graph::node>;
        { B::uses(key, v) } -> std::same_as<bool>;
        { B::sharing(key) } -> std::same_as<weight_sharing>;
    };

namespace detail {
constexpr bool valid_block_name(std::string_view n) {
    if (n.empty()) return false;
    for (char ch : n)
        if (ch == ',' || ch == '/' || ch == '=' || ch == ' ' || ch == '\t' || ch == '\n') return false;
    return true;
}
template <class S>
constexpr bool reads_stage_slot() { return is_stage_slot<S>; }
template <class... S>
constexpr bool reads_no_stage_slot(const slot_list<S...>*) { return (!reads_stage_slot<S>() && ...); }
}  // namespace detail

/// A block at run time: its name and its static functions, for stages described as data.
struct block_entry {
    std::string_view name;                                                    ///< text name
    graph::node (*build)(graph::network&, graph::node, const block_context&); ///< appends the block
    bool (*uses)(std::string_view, const slot_assignment&);                   ///< see block_policy
    weight_sharing (*sharing)(std::string_view);                              ///< see block_policy
    std::vector<slot_values> slots;  ///< the slots it reads, each with its fallback value (if any)
};

namespace detail {
template <class S>
void add_slot_fallback(std::vector<slot_values>& out) {
    if constexpr (requires { S::fallback; }) out.push_back(describe_slot<S>({static_cast<double>(S::fallback)}));
    else out.push_back(describe_slot<S>({}));
}
template <class... S>
std::vector<slot_values> slot_fallbacks(const slot_list<S...>*) {
    std::vector<slot_values> r;
    (add_slot_fallback<S>(r), ...);
    return r;
}
}  // namespace detail

/// The run-time entry of block type `B` (one per type, static storage).
template <block_policy B>
const block_entry* entry_of() {
    static const block_entry e{std::string_view(B::name), &B::build, &B::uses, &B::sharing,
                               detail::slot_fallbacks(static_cast<const typename B::slots*>(nullptr))};
    return &e;
}

/// The block types a stage may use (the `block` slot). Each must model `block_policy`.
template <class... B>
struct blocks {
    static_assert(sizeof...(B) > 0, "blocks<>: empty choice list; give at least one block type");
    static_assert((block_policy<B> && ...),
                  "blocks<...>: every parameter must model block_policy (static name, slots, build, uses, sharing; "
                  "see space/block.hpp)");
    static_assert((detail::valid_block_name(B::name) && ...),
                  "blocks<...>: a block name must be non-empty and hold no ',', '/', '=' or white space (it is "
                  "written in architecture text)");
    static_assert(detail::all_distinct(std::array<std::string_view, sizeof...(B)>{std::string_view(B::name)...}),
                  "blocks<...>: two block types have the same name (names identify blocks in architecture text)");
    static_assert((detail::reads_no_stage_slot(static_cast<const typename B::slots*>(nullptr)) && ...),
                  "blocks<...>: a block's slots may not include block, expand_first, skip, width or layers (the stage "
                  "consumes those)");
    /// The property this list decides.
    using slot = block_slot;
    /// Values are indices into the list.
    using value_type = int;
    /// Number of block types.
    static constexpr std::size_t size = sizeof...(B);
    /// 0, 1, ..., size - 1.
    static constexpr std::array<double, sizeof...(B)> numeric = [] {
        std::array<double, sizeof...(B)> r{};
        for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<double>(i);
        return r;
    }();
    /// The run-time entries, in list order.
    static std::vector<const block_entry*> entries() { return {entry_of<B>()...}; }
    /// True when some block of the list reads slot `key`.
    static constexpr bool reads(std::string_view key) { return (B::slots::has(key) || ...); }
};

/// True for instantiations of `blocks`.
template <class T>
inline constexpr bool is_blocks = false;
template <class... B>
inline constexpr bool is_blocks<blocks<B...>> = true;

}  // namespace accelnas::space
