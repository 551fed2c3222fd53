#pragma once
/// \file
/// Compile-time stage, stem and head policies of a search space. A stage is its base filters,
/// stride and layer count plus the choice lists that decide its blocks (the block types among
/// them); slots without a list take a default (block ibn, kernel 3, expand 6, se 0, act relu, skip
/// identity, width 1, layers +0).

#include <accelnas/space/block.hpp>
#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/choices.hpp>
#include <accelnas/space/description.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace accelnas::space {

/// The stem of a space: one `Kernel`x`Kernel` conv with stride `Stride` to `Filters` channels.
template <std::int64_t Filters, int Kernel = 3, int Stride = 2>
struct stem {
    static_assert(Filters > 0, "stem<Filters, ...>: the stem's filters must be positive");
    static_assert(Kernel > 0 && Kernel % 2 == 1, "stem<..., Kernel, ...>: the stem kernel must be odd and positive");
    static_assert(Stride == 1 || Stride == 2, "stem<..., Stride>: the stem stride must be 1 or 2");
    static constexpr std::int64_t filters = Filters;  ///< output channels
    static constexpr int kernel = Kernel;             ///< kernel size
    static constexpr int stride = Stride;             ///< stride
};

/// The head of a space: a 1x1 conv to `Filters` channels (0: none) before the global pool and logits.
template <std::int64_t Filters>
struct head {
    static_assert(Filters >= 0, "head<Filters>: the head's filters must not be negative (0 = no head conv)");
    static constexpr std::int64_t filters = Filters;  ///< head conv channels
};

namespace detail {
template <class C>
constexpr double min_of() {
    double m = C::numeric[0];
    for (auto v : C::numeric) m = std::min(m, v);
    return m;
}
// The `blocks<...>` among a stage's choice lists, `blocks<ibn_block>` when there is none.
template <class... C>
struct blocks_of {
    using type = blocks<ibn_block>;
};
template <class C0, class... C>
struct blocks_of<C0, C...> {
    using type = std::conditional_t<is_blocks<C0>, C0, typename blocks_of<C...>::type>;
};
template <slot_type S>
constexpr bool is_builtin_slot() {
    return std::same_as<S, block_slot> || std::same_as<S, kernel_slot> || std::same_as<S, expand_slot> ||
           std::same_as<S, expand_first_slot> || std::same_as<S, se_slot> || std::same_as<S, act_slot> ||
           std::same_as<S, skip_slot> || std::same_as<S, width_slot> || std::same_as<S, layers_slot>;
}
template <class C>
void add_given(std::vector<slot_values>& out) {
    if constexpr (!is_blocks<C>) out.push_back(describe_slot<typename C::slot>({C::numeric.begin(), C::numeric.end()}));
}
}  // namespace detail

/// A stage: `Layers` blocks (before the layer delta) of `Filters` output channels, the first with
/// stride `Stride`; each of `Choices` decides one slot: `blocks<...>` the block types (default
/// `blocks<ibn_block>`), `kernels<...>`, `expansions<...>`, ... or a list of a block's own slot.
/// Slots without a list take their fallback (kernel 3, expand 6, se 0, act relu, skip identity,
/// width 1, layers +0; a block's own slot its own fallback).
template <std::int64_t Filters, int Stride, int Layers, class... Choices>
struct stage {
    static_assert((choice_list_type<Choices> && ...),
                  "stage<Filters, Stride, Layers, Choices...>: every parameter after the layer count must be a "
                  "choice list (blocks<...>, kernels<...>, expansions<...>, ...)");
    static_assert(Filters > 0, "stage<Filters, ...>: a stage's filters must be positive");
    static_assert(Stride == 1 || Stride == 2, "stage<..., Stride, ...>: a stage's stride must be 1 or 2");
    static_assert(Layers >= 1, "stage<..., Layers, ...>: a stage's base layer count must be at least 1");

    /// The stage's block types.
    using block_list = typename detail::blocks_of<Choices...>::type;

private:
    static constexpr std::array<std::string_view, sizeof...(Choices)> keys{Choices::slot::key...};
    static constexpr std::array<int, sizeof...(Choices)> ranks{Choices::slot::rank...};
    static constexpr bool distinct_slots() { return detail::all_distinct(keys); }
    static constexpr bool block_choice_is_blocks() {
        return ((!std::same_as<typename Choices::slot, block_slot> || is_blocks<Choices>) && ...);
    }
    static constexpr bool own_slots_read() {
        return ((detail::is_builtin_slot<typename Choices::slot>() || block_list::reads(Choices::slot::key)) && ...);
    }
    static constexpr double min_layer_delta() {
        double m = 0;
        bool seen = false;
        ((std::same_as<typename Choices::slot, layers_slot> ? (m = detail::min_of<Choices>(), seen = true) : false),
         ...);
        return seen ? m : 0.0;
    }
    static_assert(distinct_slots(), "stage<...>: two choice lists decide the same slot (e.g. two kernels<...>)");
    static_assert(block_choice_is_blocks(), "stage<...>: the block choice must be a blocks<...> list of block types");
    static_assert(own_slots_read(),
                  "stage<...>: a choice list decides a block's own slot that no block of the stage reads (add the block "
                  "that reads it to blocks<...>)");
    static_assert(Layers + min_layer_delta() >= 0,
                  "stage<...>: a layer delta makes the layer count negative (Layers + delta must be >= 0)");
    static_assert(Layers + min_layer_delta() >= 1 || Stride == 1,
                  "stage<...>: a stage that may have 0 layers must have stride 1 (dropping it would change the "
                  "resolution)");

public:
    static constexpr std::int64_t filters = Filters;  ///< base output filters
    static constexpr int stride = Stride;             ///< stride of the first block
    static constexpr int layers = Layers;             ///< base layer count

    /// Number of decisions of the stage (choice lists with two or more values).
    static constexpr std::size_t num_decisions = (std::size_t{0} + ... + (Choices::size > 1 ? 1u : 0u));

    /// Cardinalities of the stage's decisions, in slot rank order (ties: parameter order).
    static constexpr std::array<std::size_t, num_decisions> cardinalities = [] {
        std::array<std::size_t, num_decisions> r{};
        constexpr std::array<std::size_t, sizeof...(Choices)> sizes{Choices::size...};
        std::array<bool, sizeof...(Choices)> taken{};
        for (std::size_t n = 0; n < num_decisions; ++n) {
            std::size_t best = sizes.size();
            for (std::size_t i = 0; i < sizes.size(); ++i)
                if (!taken[i] && sizes[i] > 1 && (best == sizes.size() || ranks[i] < ranks[best])) best = i;
            taken[best] = true;
            r[n] = sizes[best];
        }
        return r;
    }();

    /// The stage as data: every slot the stage or one of its blocks reads, in rank order.
    static stage_description describe() {
        stage_description d;
        d.filters = Filters;
        d.stride = Stride;
        d.layers = Layers;
        d.blocks = block_list::entries();
        auto block_values = describe_slot<block_slot>({block_list::numeric.begin(), block_list::numeric.end()});
        for (const auto* b : d.blocks) block_values.names.push_back(b->name);
        d.slots.push_back(std::move(block_values));
        (detail::add_given<Choices>(d.slots), ...);
        auto add_fallback = [&](slot_values v) {
            if (v.values.empty()) return;  // no fallback: absent unless listed (expand_first)
            for (const auto& x : d.slots)
                if (x.key == v.key) return;
            d.slots.push_back(std::move(v));
        };
        add_fallback(describe_slot<kernel_slot>({kernel_slot::fallback}));
        add_fallback(describe_slot<expand_slot>({expand_slot::fallback}));
        add_fallback(describe_slot<se_slot>({se_slot::fallback}));
        add_fallback(describe_slot<act_slot>({static_cast<double>(act_slot::fallback)}));
        add_fallback(describe_slot<skip_slot>({static_cast<double>(skip_slot::fallback)}));
        add_fallback(describe_slot<width_slot>({width_slot::fallback}));
        add_fallback(describe_slot<layers_slot>({layers_slot::fallback}));
        for (const auto* b : d.blocks)
            for (const auto& v : b->slots) add_fallback(v);
        // Stable by rank, by insertion (a handful of slots): std::stable_sort's temporary buffer is
        // flagged deprecated by clang 19 with libstdc++ 12.
        for (std::size_t i = 1; i < d.slots.size(); ++i)
            for (std::size_t j = i; j > 0 && d.slots[j].rank < d.slots[j - 1].rank; --j)
                std::swap(d.slots[j], d.slots[j - 1]);
        return d;
    }
};

/// True for instantiations of `stage`.
template <class T>
inline constexpr bool is_stage = false;
template <std::int64_t F, int S, int L, class... C>
inline constexpr bool is_stage<stage<F, S, L, C...>> = true;

}  // namespace accelnas::space
