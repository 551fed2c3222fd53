#pragma once
/// \file
/// `tucker_block`: the Tucker (compression) block of MobileDet (Xiong et al. 2021): a 1x1 conv
/// compresses the input to a fraction of its channels, a kxk conv (carrying the stride) works at
/// a second fraction, and a 1x1 linear conv expands to the output -> [residual]. Both fractions
/// are decisions. Written against `block_policy` only, like a user's block.

#include <accelnas/space/block.hpp>

#include <cstdint>
#include <string_view>

namespace accelnas::space {

/// Input compression ratio of `tucker_block`: the first 1x1 conv keeps this fraction of the input channels.
struct tucker_in_slot {
    static constexpr std::string_view key = "squeeze_in";        ///< text key
    static constexpr value_format format = value_format::real;   ///< "0.25", "0.75"
    static constexpr int rank = 26;                              ///< after the group size
    static constexpr bool has_fallback = true;                   ///< default 0.25
    using value_type = double;                                   ///< fraction in (0, 1]
    static constexpr value_type fallback = 0.25;                 ///< default value
};
/// Output compression ratio of `tucker_block`: the kxk conv writes this fraction of the input channels.
struct tucker_out_slot {
    static constexpr std::string_view key = "squeeze_out";       ///< text key
    static constexpr value_format format = value_format::real;   ///< "0.25", "0.75"
    static constexpr int rank = 27;                              ///< after squeeze_in
    static constexpr bool has_fallback = true;                   ///< default 0.75
    using value_type = double;                                   ///< fraction in (0, 1]
    static constexpr value_type fallback = 0.75;                 ///< default value
};
static_assert(slot_type<tucker_in_slot> && slot_type<tucker_out_slot>);

/// Input compression ratios (in (0, 1]) a stage's Tucker blocks may use.
template <double... R>
struct tucker_input_ratios : choice_list<tucker_in_slot, double, R...> {
    static_assert(sizeof...(R) > 0, "tucker_input_ratios<>: empty choice list; give at least one ratio");
    static_assert(((R > 0.0 && R <= 1.0) && ...), "tucker_input_ratios<...>: every compression ratio must be in (0, 1]");
};
/// Output compression ratios (in (0, 1]) a stage's Tucker blocks may use.
template <double... R>
struct tucker_output_ratios : choice_list<tucker_out_slot, double, R...> {
    static_assert(sizeof...(R) > 0, "tucker_output_ratios<>: empty choice list; give at least one ratio");
    static_assert(((R > 0.0 && R <= 1.0) && ...), "tucker_output_ratios<...>: every compression ratio must be in (0, 1]");
};

/// Tucker block: 1x1 conv to make_divisible(in * squeeze_in, 8) (bn, act) -> kxk conv to
/// make_divisible(in * squeeze_out, 8) (bn, act, stride) -> 1x1 linear conv to out -> [residual].
struct tucker_block {
    /// Name in architecture text.
    static constexpr std::string_view name = "tucker";
    /// Reads kernel, both compression ratios and the activation.
    using slots = slot_list<kernel_slot, tucker_in_slot, tucker_out_slot, act_slot>;
    /// Appends the three convs and the residual.
    static graph::node build(graph::network& net, graph::node x, const block_context& c) {
        const auto act = c.get<act_slot>();
        const auto in = static_cast<double>(c.in);
        auto y = net.conv2d(x, {.filters = graph::blocks::make_divisible(in * c.get<tucker_in_slot>(), 8), .act = act,
                                .name = c.prefix + "tucker_reduce"});
        y = net.conv2d(y, {.filters = graph::blocks::make_divisible(in * c.get<tucker_out_slot>(), 8),
                           .kernel = c.get<kernel_slot>(), .stride = c.stride, .act = act, .name = c.prefix + "tucker_conv"});
        y = net.conv2d(y, {.filters = c.out, .name = c.prefix + "project"});
        return c.wants_residual() ? net.add(x, y, {.name = c.prefix + "add"}) : y;
    }
    /// Every slot it reads changes its ops (two ratios rounding to the same channels are caught by
    /// canonical encodings, which compare decoded networks).
    static bool uses(std::string_view key, const slot_assignment&) { return slots::has(key); }
    /// Kernel: centre crop; ratios: channel prefixes of the compressed convs; activation: no weights.
    static constexpr weight_sharing sharing(std::string_view key) {
        if (key == kernel_slot::key) return weight_sharing::kernel_centre_crop;
        if (key == tucker_in_slot::key || key == tucker_out_slot::key) return weight_sharing::channel_prefix;
        if (key == act_slot::key) return weight_sharing::no_weights;
        return weight_sharing::unused;
    }
};
static_assert(block_policy<tucker_block>);

}  // namespace accelnas::space
