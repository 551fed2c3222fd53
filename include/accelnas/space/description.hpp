#pragma once
/// \file
/// The runtime description of a search space: what a space type says at compile time (stem, stages
/// with their choice lists, head), as plain data. The codec, sampling and decoding work on it, so
/// compile-time spaces and the type-erased `any_space` share one implementation.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/op.hpp>
#include <accelnas/space/block.hpp>
#include <accelnas/space/choices.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::space {

/// The input a space's networks are deployed (and priced by the latency models) at: a square
/// `resolution` x `resolution` x `channels` image and `classes` logits. Model specs
/// `<space>:<arch>`, the search's latency pricing and the tools decode at this input.
struct deployment_input {
    std::int64_t resolution = 224;  ///< square input size
    std::int64_t channels = 3;      ///< input channels
    std::int64_t classes = 1000;    ///< logits (ImageNet's 1000 classes)

    /// The input tensor shape {1, resolution, resolution, channels}, at `size` instead when it is non-zero.
    graph::tensor_shape shape(std::int64_t size = 0) const {
        const auto r = size ? size : resolution;
        return {1, r, r, channels};
    }
};

/// One stage of a space: base filters, stride, base layer count, its block types, and every slot
/// the stage or its blocks read with the values allowed (one value: fixed; two or more: a
/// decision), in rank order.
struct stage_description {
    std::int64_t filters = 0;                 ///< base output filters
    int stride = 1;                           ///< stride of the first block
    int layers = 1;                           ///< base layer count
    std::vector<const block_entry*> blocks;   ///< the block types (values of the `block` slot index them)
    std::vector<slot_values> slots;           ///< the slots, rank order

    /// The slot with `key`, or null when the stage has none.
    const slot_values* find(std::string_view key) const {
        for (const auto& s : slots)
            if (s.key == key) return &s;
        return nullptr;
    }
};

/// One decision of a space: which stage and slot it sets, and how many choices it has.
struct decision_description {
    std::size_t stage = 0;        ///< stage index (0-based)
    std::size_t slot = 0;         ///< index into the stage's `slots`
    std::string key;              ///< the slot's key ("kernel")
    std::size_t cardinality = 0;  ///< number of choices
    std::string name;             ///< "s<stage, 1-based>.<slot key>", e.g. "s3.kernel"
};

/// A whole space as data.
struct space_description {
    std::string name;                                    ///< space name ("edgetpu", ...)
    std::int64_t stem_filters = 32;                      ///< stem conv filters
    int stem_kernel = 3;                                 ///< stem conv kernel
    int stem_stride = 2;                                 ///< stem conv stride
    std::int64_t head_filters = 1280;                    ///< head 1x1 conv filters (0: none)
    graph::activation act = graph::activation::relu;     ///< stem and head activation
    expansion_rule rule = expansion_rule::actual_input;  ///< how expansion ratios become channels
    std::vector<stage_description> stages;               ///< the stages
    std::vector<decision_description> decisions;         ///< decisions, stage-major, slot rank order

    /// Fills `decisions` from `stages` (every slot with two or more values, stage-major, rank order).
    void index_decisions() {
        decisions.clear();
        for (std::size_t i = 0; i < stages.size(); ++i)
            for (std::size_t s = 0; s < stages[i].slots.size(); ++s) {
                const auto& v = stages[i].slots[s];
                if (v.values.size() > 1)
                    decisions.push_back({i, s, std::string(v.key), v.values.size(),
                                         accelnas::detail::concat("s", i + 1, ".", v.key)});
            }
    }
    /// The slot decision `x` sets.
    const slot_values& slots_of(const decision_description& x) const { return stages[x.stage].slots[x.slot]; }
    /// The slot decision `k` sets.
    const slot_values& slot_of(std::size_t k) const { return stages[decisions[k].stage].slots[decisions[k].slot]; }
};

/// Text of one value of a slot as it appears in architecture text: names for named slots
/// (block, act, skip); integers; signed integers ("-1", "0", "+1"); shortest decimal for reals
/// ("0.25", "1").
inline std::string value_text(const slot_values& what, double v) {
    switch (what.format) {
    case value_format::name: return std::string(what.names.at(static_cast<std::size_t>(v)));
    case value_format::signed_integer: {
        const auto d = static_cast<long long>(v);
        return accelnas::detail::concat(d > 0 ? "+" : "", d);
    }
    case value_format::real: {
        char buf[32];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
        return std::string(buf, p);
    }
    case value_format::integer: break;
    }
    return std::to_string(static_cast<long long>(v));
}

/// Parses the text of one value of a slot into its numeric form; false when it is not a value of
/// that slot (an unknown name or a malformed number).
inline bool parse_value(const slot_values& what, std::string_view text, double& out) {
    if (what.format == value_format::name) {
        for (std::size_t i = 0; i < what.names.size(); ++i)
            if (what.names[i] == text) {
                out = static_cast<double>(i);
                return true;
            }
        return false;
    }
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty()) return false;
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size() || !std::isfinite(v)) return false;
    out = v;
    return true;
}

/// The values of a slot as text, comma separated (for error messages and listings).
inline std::string values_text(const slot_values& what) {
    std::string r;
    for (auto v : what.values) {
        if (!r.empty()) r += ", ";
        r += value_text(what, v);
    }
    return r;
}

}  // namespace accelnas::space
