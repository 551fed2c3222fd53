#pragma once
/// \file
/// `network_plan`: the decoded form of an architecture before it becomes ops. A stem, one row per
/// stage (block kind, kernel, stride, repeats, expansion, SE, activation, skip, filters) and a head,
/// as in EfficientNet's block tables. Compound scaling acts on plans; `build` turns a plan into a
/// `graph::network` with the shared blocks of graph/blocks.hpp.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/choices.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
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

/// One stage of a plan: `repeats` blocks; the first has the stage stride, later ones stride 1.
struct stage_plan {
    block_kind block = block_kind::ibn;                 ///< block kind
    int kernel = 3;                                     ///< kernel size
    int stride = 1;                                     ///< stride of the first block
    int repeats = 1;                                    ///< number of blocks (0: the stage is absent)
    int expand = 6;                                     ///< expansion ratio of the blocks
    int expand_first = 6;                               ///< expansion ratio of the first block
    double se = 0.0;                                    ///< squeeze-and-excitation ratio (0: none)
    graph::activation act = graph::activation::relu;    ///< activation of the stage's convs
    skip_kind skip = skip_kind::identity;               ///< residual of the non-first blocks
    std::int64_t filters = 0;                           ///< output channels of every block
    friend bool operator==(const stage_plan&, const stage_plan&) = default;
};

/// A whole network as a table: stem conv, stages, head conv, global pool, logits.
struct network_plan {
    std::string name;                                    ///< network name
    std::int64_t stem_filters = 32;                      ///< stem conv output channels
    int stem_kernel = 3;                                 ///< stem conv kernel
    int stem_stride = 2;                                 ///< stem conv stride
    std::int64_t head_filters = 1280;                    ///< head 1x1 conv channels (0: no head conv)
    graph::activation act = graph::activation::relu;     ///< activation of stem and head convs
    expansion_rule rule = expansion_rule::actual_input;  ///< how expansion ratios become channels
    std::vector<stage_plan> stages;                      ///< the stages, input to output
    friend bool operator==(const network_plan&, const network_plan&) = default;
};

namespace detail {
inline std::int64_t expanded_channels(expansion_rule rule, std::int64_t nominal_in, std::int64_t actual_in, int e,
                                      bool& expand) {
    if (rule == expansion_rule::nominal_input) {
        expand = e != 1;
        return nominal_in * e;
    }
    const auto x = graph::blocks::make_divisible(static_cast<double>(actual_in) * e, 8);
    expand = x > actual_in;
    return x;
}
}  // namespace detail

/// Builds the network of `plan` on an input of `input` ({1, R, R, C}) with `classes` logits.
/// Op order (shared with the zoo): input "input" -> stem conv (bn, act) -> blocks -> head 1x1 conv
/// (bn, act) -> global_avg_pool -> fully_connected with bias. The first block of a stage never has a
/// residual; later ones have one when the stage's skip is identity (stride 1 and in == out hold there).
inline graph::network build(const network_plan& plan, graph::tensor_shape input, std::int64_t classes) {
    require(classes > 0, "plan '", plan.name, "': classes must be positive, got ", classes);
    require(plan.stem_filters > 0, "plan '", plan.name, "': stem filters must be positive, got ", plan.stem_filters);
    require(plan.head_filters >= 0, "plan '", plan.name, "': head filters must not be negative, got ",
            plan.head_filters);
    graph::network net(plan.name);
    auto x = net.input(input, "input");
    x = net.conv2d(x, {.filters = plan.stem_filters, .kernel = plan.stem_kernel, .stride = plan.stem_stride,
                       .act = plan.act, .name = "stem"});
    std::int64_t prev_filters = 0;  // filters of the last present stage (0: none yet)
    for (std::size_t i = 0; i < plan.stages.size(); ++i) {
        const auto& s = plan.stages[i];
        const auto tag = accelnas::detail::concat("stage ", i + 1);
        require(s.repeats >= 0, "plan '", plan.name, "': ", tag, " repeats must not be negative, got ", s.repeats);
        require(s.filters > 0, "plan '", plan.name, "': ", tag, " filters must be positive, got ", s.filters);
        require(s.expand >= 1 && s.expand_first >= 1, "plan '", plan.name, "': ", tag,
                " expansion ratios must be at least 1");
        for (int r = 0; r < s.repeats; ++r) {
            const auto in = net.shape(x).c;
            const std::int64_t nominal_in = r > 0 ? s.filters : (prev_filters ? prev_filters : s.filters);
            const int stride = r == 0 ? s.stride : 1;
            const int e = r == 0 ? s.expand_first : s.expand;
            const bool residual = r > 0 && s.skip == skip_kind::identity;
            const std::string prefix = accelnas::detail::concat("s", i + 1, "_b", r, "/");
            graph::blocks::se_args se{};
            if (s.se > 0.0) {
                // MnasNet/EfficientNet: max(1, int(block input filters * ratio)).
                const auto base = plan.rule == expansion_rule::nominal_input ? nominal_in : in;
                se.reduced = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(base) * s.se));
                se.inner = s.act;
            }
            bool expand = true;
            const auto expanded = detail::expanded_channels(plan.rule, nominal_in, in, e, expand);
            switch (s.block) {
            case block_kind::conv: {
                const auto y = net.conv2d(x, {.filters = s.filters, .kernel = s.kernel, .stride = stride,
                                              .act = s.act, .name = prefix + "conv"});
                x = residual && stride == 1 && in == s.filters ? net.add(x, y, {.name = prefix + "add"}) : y;
                break;
            }
            case block_kind::dwsep:
                x = graph::blocks::ibn(net, x, {.out = s.filters, .kernel = s.kernel, .stride = stride, .expand = false,
                                                .act = s.act, .se = se, .residual = residual, .prefix = prefix});
                break;
            case block_kind::ibn:
                x = graph::blocks::ibn(net, x, {.expanded = expanded, .out = s.filters, .kernel = s.kernel,
                                                .stride = stride, .expand = expand, .act = s.act, .se = se,
                                                .residual = residual, .prefix = prefix});
                break;
            case block_kind::fused_ibn:
                x = graph::blocks::fused_ibn(net, x, {.expanded = expanded, .out = s.filters, .kernel = s.kernel,
                                                      .stride = stride, .expand = expand, .act = s.act, .se = se,
                                                      .residual = residual, .prefix = prefix});
                break;
            }
        }
        if (s.repeats > 0) prev_filters = s.filters;
    }
    if (plan.head_filters > 0) x = net.conv2d(x, {.filters = plan.head_filters, .act = plan.act, .name = "head"});
    x = net.global_avg_pool(x, "pool");
    net.fully_connected(x, {.units = classes, .name = "logits"});
    return net;
}

}  // namespace accelnas::space
