#pragma once
/// \file
/// `gc_ibn_block`: the group-convolution inverted bottleneck of MobileNetEdgeTPUV2 (tensorflow/models,
/// official/projects/edgetpu/vision): the fused IBN's kxk expansion conv becomes a group convolution
/// whose group size (input channels per group) is a decision. A group size of one channel sits at
/// the depthwise end of the range (each group reads one channel), a group size of all input
/// channels is the fused IBN. Written against `block_policy` only, like a user's block.

#include <accelnas/space/block.hpp>

#include <cstdint>
#include <numeric>
#include <string_view>

namespace accelnas::space {

/// The group-size slot of `gc_ibn_block`: input channels per group of the grouped expansion.
struct group_size_slot {
    static constexpr std::string_view key = "group";             ///< text key
    static constexpr value_format format = value_format::integer;///< "16", "32"
    static constexpr int rank = 25;                              ///< after expand
    static constexpr bool has_fallback = true;                   ///< default 16
    using value_type = int;                                      ///< channels per group
    static constexpr value_type fallback = 16;                   ///< default value
};
static_assert(slot_type<group_size_slot>);

/// Group sizes (input channels per group, positive) a stage's GC-IBN blocks may use.
template <int... G>
struct group_sizes : choice_list<group_size_slot, int, G...> {
    static_assert(sizeof...(G) > 0, "group_sizes<>: empty choice list; give at least one group size");
    static_assert(((G > 0) && ...), "group_sizes<...>: every group size (input channels per group) must be positive");
};

/// Group-convolution IBN: [kxk group conv expansion carrying the stride, groups from the group
/// size] -> [SE] -> 1x1 linear projection -> [residual].
struct gc_ibn_block {
    /// Name in architecture text.
    static constexpr std::string_view name = "gc_ibn";
    /// Reads kernel, expansion, group size, SE ratio and activation.
    using slots = slot_list<kernel_slot, expand_slot, group_size_slot, se_slot, act_slot>;

    /// Groups of the expansion conv: in / group size, lowered to the nearest count that divides
    /// both the input and the expanded channels (a conv needs both divisible), at least 1.
    static std::int64_t groups(std::int64_t in, std::int64_t expanded, int group_size) {
        const auto g = std::gcd(in, expanded);
        std::int64_t want = std::max<std::int64_t>(1, in / group_size);
        while (g % want != 0) --want;
        return want;
    }

    /// Appends the block; without expansion it is the projection alone, as the fused IBN.
    static graph::node build(graph::network& net, graph::node x, const block_context& c) {
        bool expand = true;
        const auto expanded = c.expanded(c.get<expand_slot>(), expand);
        const auto act = c.get<act_slot>();
        graph::node y = x;
        int project_stride = c.stride;
        if (expand) {
            y = net.conv2d(y, {.filters = expanded, .kernel = c.get<kernel_slot>(), .stride = c.stride,
                               .groups = groups(c.in, expanded, c.get<group_size_slot>()), .act = act,
                               .name = c.prefix + "group_expand"});
            project_stride = 1;
        }
        const auto se = c.se(c.get<se_slot>(), act);
        if (se.reduced > 0) y = graph::blocks::squeeze_excite(net, y, se, c.prefix);
        y = net.conv2d(y, {.filters = c.out, .stride = project_stride, .name = c.prefix + "project"});
        return c.wants_residual() ? net.add(x, y, {.name = c.prefix + "add"}) : y;
    }
    /// Every slot it reads can change its ops (whether two group sizes give the same groups depends
    /// on channels, which canonical encodings compare on the decoded network).
    static bool uses(std::string_view key, const slot_assignment&) { return slots::has(key); }
    /// Kernel: centre crop; expansion, SE ratio: channel prefixes; group size: cannot (each group
    /// layout has its own weight shape); activation: no weights.
    static constexpr weight_sharing sharing(std::string_view key) {
        if (key == kernel_slot::key) return weight_sharing::kernel_centre_crop;
        if (key == expand_slot::key || key == se_slot::key) return weight_sharing::channel_prefix;
        if (key == group_size_slot::key) return weight_sharing::cannot;
        if (key == act_slot::key) return weight_sharing::no_weights;
        return weight_sharing::unused;
    }
};
static_assert(block_policy<gc_ibn_block>);

}  // namespace accelnas::space
