// A block of your own: MobileNeXt's sandglass block (Zhou et al. 2020), written against the
// library's block concept only. It reads the stage's kernel and activation and a slot of its own,
// the reduction ratio of its bottleneck, which a stage makes a decision with reductions<...>.
#pragma once

#include <accelnas/space/block.hpp>

#include <string_view>

namespace my {

namespace sp = accelnas::space;
namespace graph = accelnas::graph;

/// The sandglass block's own slot: the bottleneck keeps 1/reduce of the input channels.
struct reduce_slot {
    static constexpr std::string_view key = "reduce";                // text key: "reduce=4"
    static constexpr sp::value_format format = sp::value_format::integer;
    static constexpr int rank = 25;                                  // decided after kernel and expand
    static constexpr bool has_fallback = true;
    using value_type = int;
    static constexpr value_type fallback = 4;                        // when a stage gives no list
};

/// Reduction ratios a stage may choose from (each at least 1).
template <int... R>
struct reductions : sp::choice_list<reduce_slot, int, R...> {
    static_assert(((R >= 1) && ...), "reductions<...>: every reduction ratio must be at least 1");
};

/// kxk depthwise (act) -> 1x1 reduce (linear) -> 1x1 expand (act) -> kxk depthwise (stride, linear)
/// -> identity residual when the stage asks for one and the shapes allow it.
struct sandglass_block {
    static constexpr std::string_view name = "sandglass";
    using slots = sp::slot_list<sp::kernel_slot, reduce_slot, sp::act_slot>;

    static graph::node build(graph::network& net, graph::node x, const sp::block_context& c) {
        const int k = c.get<sp::kernel_slot>();
        const auto act = c.get<sp::act_slot>();
        const auto mid = graph::blocks::make_divisible(static_cast<double>(c.in) / c.get<reduce_slot>(), 8);
        auto y = net.depthwise_conv2d(x, {.kernel = k, .act = act, .name = c.prefix + "dw1"});
        y = net.conv2d(y, {.filters = mid, .name = c.prefix + "reduce"});
        y = net.conv2d(y, {.filters = c.out, .act = act, .name = c.prefix + "expand"});
        y = net.depthwise_conv2d(y, {.kernel = k, .stride = c.stride, .name = c.prefix + "dw2"});
        return c.wants_residual() ? net.add(x, y, {.name = c.prefix + "add"}) : y;
    }
    // Every slot it reads changes its ops; none is dead.
    static bool uses(std::string_view key, const sp::slot_assignment&) { return slots::has(key); }
    // In a supernet: smaller kernels are centre crops, fewer bottleneck channels a prefix.
    static constexpr sp::weight_sharing sharing(std::string_view key) {
        if (key == sp::kernel_slot::key) return sp::weight_sharing::kernel_centre_crop;
        if (key == reduce_slot::key) return sp::weight_sharing::channel_prefix;
        if (key == sp::act_slot::key) return sp::weight_sharing::no_weights;
        return sp::weight_sharing::unused;
    }
};
static_assert(sp::block_policy<sandglass_block>);

}  // namespace my
