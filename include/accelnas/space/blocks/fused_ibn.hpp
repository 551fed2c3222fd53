#pragma once
/// \file
/// `fused_ibn_block`: the fused inverted bottleneck of EfficientNet-EdgeTPU: [kxk full expansion
/// conv carrying the stride] -> [SE] -> 1x1 linear projection -> [residual]. Without expansion the
/// block is the projection alone (carrying the stride).

#include <accelnas/space/block.hpp>
#include <accelnas/space/blocks/ibn.hpp>

#include <string_view>

namespace accelnas::space {

/// Fused inverted bottleneck block.
struct fused_ibn_block {
    /// Name in architecture text.
    static constexpr std::string_view name = "fused_ibn";
    /// Reads kernel, expansion, SE ratio and activation (the IBN's slots).
    using slots = ibn_block::slots;
    /// Appends the block with graph's shared fused-IBN builder.
    static graph::node build(graph::network& net, graph::node x, const block_context& c) {
        bool expand = true;
        const auto expanded = c.expanded(c.get<expand_slot>(), expand);
        const auto act = c.get<act_slot>();
        return graph::blocks::fused_ibn(net, x, {.expanded = expanded, .out = c.out, .kernel = c.get<kernel_slot>(),
                                                 .stride = c.stride, .expand = expand, .act = act,
                                                 .se = c.se(c.get<se_slot>(), act), .residual = c.residual,
                                                 .prefix = c.prefix});
    }
    /// As the IBN: every slot it reads can change its ops. (Without expansion the kernel has no
    /// conv to shape, but whether a ratio expands depends on channels under the actual-input rule,
    /// which these values do not show; canonical encodings catch that case by comparing networks.)
    static bool uses(std::string_view key, const slot_assignment& v) { return ibn_block::uses(key, v); }
    /// As the IBN: kernel centre crop, expansion and SE channel prefixes, activation no weights.
    static constexpr weight_sharing sharing(std::string_view key) { return ibn_block::sharing(key); }
};
static_assert(block_policy<fused_ibn_block>);

}  // namespace accelnas::space
