#pragma once
/// \file
/// `ibn_block`: the inverted bottleneck (MobileNetV2's MBConv): [1x1 expansion] -> kxk depthwise
/// (stride) -> [SE] -> 1x1 linear projection -> [residual].

#include <accelnas/space/block.hpp>

#include <string_view>

namespace accelnas::space {

/// Inverted bottleneck block.
struct ibn_block {
    /// Name in architecture text.
    static constexpr std::string_view name = "ibn";
    /// Reads kernel, expansion, SE ratio and activation.
    using slots = slot_list<kernel_slot, expand_slot, se_slot, act_slot>;
    /// Appends the block with graph's shared IBN builder; the expansion follows the space's rule.
    static graph::node build(graph::network& net, graph::node x, const block_context& c) {
        bool expand = true;
        const auto expanded = c.expanded(c.get<expand_slot>(), expand);
        const auto act = c.get<act_slot>();
        return graph::blocks::ibn(net, x, {.expanded = expanded, .out = c.out, .kernel = c.get<kernel_slot>(),
                                           .stride = c.stride, .expand = expand, .act = act,
                                           .se = c.se(c.get<se_slot>(), act), .residual = c.residual,
                                           .prefix = c.prefix});
    }
    /// Every slot it reads changes its ops.
    static bool uses(std::string_view key, const slot_assignment&) { return slots::has(key); }
    /// Kernel: centre crop; expansion and SE ratio: channel prefixes; activation: no weights.
    static constexpr weight_sharing sharing(std::string_view key) {
        if (key == kernel_slot::key) return weight_sharing::kernel_centre_crop;
        if (key == expand_slot::key || key == se_slot::key) return weight_sharing::channel_prefix;
        if (key == act_slot::key) return weight_sharing::no_weights;
        return weight_sharing::unused;
    }
};
static_assert(block_policy<ibn_block>);

}  // namespace accelnas::space
