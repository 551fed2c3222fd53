#pragma once
/// \file
/// `dwsep_block`: depthwise-separable convolution: kxk depthwise (bn, act, stride) -> [SE] -> 1x1
/// linear projection -> [residual] (MnasNet's "SepConv"; the IBN without its expansion).

#include <accelnas/space/block.hpp>

#include <string_view>

namespace accelnas::space {

/// Depthwise-separable block.
struct dwsep_block {
    /// Name in architecture text.
    static constexpr std::string_view name = "dwsep";
    /// Reads kernel, SE ratio and activation (no expansion).
    using slots = slot_list<kernel_slot, se_slot, act_slot>;
    /// Appends depthwise, optional SE and projection with graph's shared IBN builder.
    static graph::node build(graph::network& net, graph::node x, const block_context& c) {
        const auto act = c.get<act_slot>();
        return graph::blocks::ibn(net, x, {.out = c.out, .kernel = c.get<kernel_slot>(), .stride = c.stride,
                                           .expand = false, .act = act, .se = c.se(c.get<se_slot>(), act),
                                           .residual = c.residual, .prefix = c.prefix});
    }
    /// Every slot it reads changes its ops.
    static bool uses(std::string_view key, const slot_assignment&) { return slots::has(key); }
    /// Kernel: centre crop; SE ratio: prefix of the squeeze channels; activation: no weights.
    static constexpr weight_sharing sharing(std::string_view key) {
        if (key == kernel_slot::key) return weight_sharing::kernel_centre_crop;
        if (key == se_slot::key) return weight_sharing::channel_prefix;
        if (key == act_slot::key) return weight_sharing::no_weights;
        return weight_sharing::unused;
    }
};
static_assert(block_policy<dwsep_block>);

}  // namespace accelnas::space
