#pragma once
/// \file
/// `conv_block`: one regular kxk conv (bn, act) carrying the stride, with an identity residual when
/// the stage asks for one and the shapes allow it (MnasNet's "ConvOp").

#include <accelnas/space/block.hpp>

#include <string_view>

namespace accelnas::space {

/// Regular convolution block: kxk conv (bn, act) -> [residual add].
struct conv_block {
    /// Name in architecture text.
    static constexpr std::string_view name = "conv";
    /// Reads the kernel and the activation.
    using slots = slot_list<kernel_slot, act_slot>;
    /// Appends the conv (op "<prefix>conv") and, when asked for, the residual add.
    static graph::node build(graph::network& net, graph::node x, const block_context& c) {
        const auto y = net.conv2d(x, {.filters = c.out, .kernel = c.get<kernel_slot>(), .stride = c.stride,
                                      .act = c.get<act_slot>(), .name = c.prefix + "conv"});
        return c.wants_residual() ? net.add(x, y, {.name = c.prefix + "add"}) : y;
    }
    /// Kernel and activation always shape the conv; nothing else is read.
    static bool uses(std::string_view key, const slot_assignment&) { return slots::has(key); }
    /// A smaller kernel is the centre crop of the largest; activations carry no weights.
    static constexpr weight_sharing sharing(std::string_view key) {
        if (key == kernel_slot::key) return weight_sharing::kernel_centre_crop;
        if (key == act_slot::key) return weight_sharing::no_weights;
        return weight_sharing::unused;
    }
};
static_assert(block_policy<conv_block>);

}  // namespace accelnas::space
