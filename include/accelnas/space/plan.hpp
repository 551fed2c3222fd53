#pragma once
/// \file
/// `network_plan`: the decoded form of an architecture before it becomes ops. A stem, one row per
/// stage (block type, stride, repeats, skip, filters, and the values of the block's slots) and a
/// head, as in EfficientNet's block tables. Compound scaling acts on plans; `build` turns a plan
/// into a `graph::network`, each block appending its own ops through its `block_policy` build.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/block.hpp>
#include <accelnas/space/choices.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace accelnas::space {

/// One stage of a plan: `repeats` blocks; the first has the stage stride, later ones stride 1.
struct stage_plan {
    const block_entry* block = nullptr;     ///< block type (see `entry_of<B>()`)
    int stride = 1;                         ///< stride of the first block
    int repeats = 1;                        ///< number of blocks (0: the stage is absent)
    skip_kind skip = skip_kind::identity;   ///< residual of the non-first blocks
    std::int64_t filters = 0;               ///< output channels of every block
    /// Values of the slots the blocks read (kernel, expand, se, act, the block's own slots) and
    /// `expand_first` when the stage has one (it replaces `expand` in the first block).
    slot_assignment values;
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

/// Per stage of a plan, block types that run beside the stage's own (see `build_stage`).
using stage_branches = std::vector<std::vector<const block_entry*>>;

/// Appends stage `i` (0-based) of `plan` to `net` after `x` and returns its output; `prev_filters`
/// is the filters of the last present stage before it (0: none), the nominal input of its first block.
/// With block types in `also` (other than the stage's own), each block of the stage is the sum of
/// the stage's block type and each of them on the same input and context (each without its
/// residual; their ops named "s<i>_b<r>/<block name>@<op>", the own block's as without `also`),
/// then the residual when the stage has one: the one-shot warm-up's paths with several block types
/// enabled (app/oneshot.hpp). Without `also` the stage is exactly the plan's.
inline graph::node build_stage(graph::network& net, graph::node x, const network_plan& plan, std::size_t i,
                               std::int64_t prev_filters, std::span<const block_entry* const> also = {}) {
    const auto& s = plan.stages[i];
    const auto tag = accelnas::detail::concat("stage ", i + 1);
    require(s.block != nullptr, "plan '", plan.name, "': ", tag, " has no block type");
    require(s.repeats >= 0, "plan '", plan.name, "': ", tag, " repeats must not be negative, got ", s.repeats);
    require(s.filters > 0, "plan '", plan.name, "': ", tag, " filters must be positive, got ", s.filters);
    for (const auto* k : {"expand", "expand_first"})
        require(!s.values.has(k) || s.values.at(k) >= 1, "plan '", plan.name, "': ", tag, " ", k,
                " ratio must be at least 1");
    std::vector<const block_entry*> others;  // the summed block types besides the stage's own, once each
    for (const auto* b : also) {
        require(b != nullptr, "plan '", plan.name, "': ", tag, " has a null block type among the summed ones");
        if (b != s.block && std::find(others.begin(), others.end(), b) == others.end()) others.push_back(b);
    }
    block_context c;
    c.out = s.filters;
    c.rule = plan.rule;
    for (int r = 0; r < s.repeats; ++r) {
        c.in = net.shape(x).c;
        c.nominal_in = r > 0 ? s.filters : (prev_filters ? prev_filters : s.filters);
        c.stride = r == 0 ? s.stride : 1;
        c.residual = r > 0 && s.skip == skip_kind::identity;
        c.prefix = accelnas::detail::concat("s", i + 1, "_b", r, "/");
        c.values = s.values;
        if (r == 0 && s.values.has("expand_first")) c.values.set("expand", s.values.at("expand_first"));
        if (others.empty()) {
            x = s.block->build(net, x, c);
            continue;
        }
        auto branch = c;
        branch.residual = false;
        std::vector<graph::node> outs{s.block->build(net, x, branch)};
        for (const auto* b : others) {
            branch.prefix = c.prefix + std::string(b->name) + "@";
            outs.push_back(b->build(net, x, branch));
        }
        auto y = net.add(outs, {.name = c.prefix + "branches"});
        if (c.wants_residual()) y = net.add(x, y, {.name = c.prefix + "add"});
        x = y;
    }
    return x;
}

/// Builds the network of `plan` on an input of `input` ({1, R, R, C}) with `classes` logits.
/// Op order (shared with the zoo): input "input" -> stem conv (bn, act) -> blocks -> head 1x1 conv
/// (bn, act) -> global_avg_pool -> fully_connected with bias. The first block of a stage never has a
/// residual; later ones have one when the stage's skip is identity (stride 1 and in == out hold there).
/// `also` (empty, or one list per stage): block types summed beside each stage's own (`build_stage`).
inline graph::network build(const network_plan& plan, graph::tensor_shape input, std::int64_t classes,
                            const stage_branches& also = {}) {
    require(also.empty() || also.size() == plan.stages.size(), "plan '", plan.name, "': ", also.size(),
            " lists of summed block types for ", plan.stages.size(), " stages");
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
        x = build_stage(net, x, plan, i, prev_filters, also.empty() ? std::span<const block_entry* const>{} : std::span(also[i]));
        if (plan.stages[i].repeats > 0) prev_filters = plan.stages[i].filters;
    }
    if (plan.head_filters > 0) x = net.conv2d(x, {.filters = plan.head_filters, .act = plan.act, .name = "head"});
    x = net.global_avg_pool(x, "pool");
    net.fully_connected(x, {.units = classes, .name = "logits"});
    return net;
}

}  // namespace accelnas::space
