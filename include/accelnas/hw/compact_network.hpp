#pragma once
/// \file
/// `hw::compact_network`: the ops of a `graph::network` again, one 64-byte `compact_op` per op plus
/// the inputs of all ops as flat 32-bit indices - the layout the APM's fast path reads (`hw::apm`):
/// a pass over all ops then touches one cache line per op instead of a 216-byte `graph::op` and its
/// `inputs` vector. Built from a network by hw, which owns this layout; the network knows nothing of it.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace accelnas::hw {

/// One op of a network in one cache line: what a pass over all ops reads most. Sizes are narrowed
/// to 32 bits; when a size of the op does not fit, `exact` is false and the fields that do not fit
/// are 0 (read the `graph::op` then). `kind`, `act`, kernel, `stride_h`, `elements`, the input range
/// and `exact` always hold the op's values. Attributes not listed here (name, stride_w, padding,
/// bias, batch norm, pads, reshape target) are only in `graph::op`.
struct alignas(64) compact_op {
    std::int64_t elements = 0;                     ///< out.elements()
    std::int32_t out_h = 0, out_w = 0, out_c = 0;  ///< out.h, out.w, out.c
    std::int32_t in_h = 0, in_w = 0, in_c = 0;     ///< shape of the first input (the op's own for inputs), as network::in_shape()
    std::int32_t filters = 0;                      ///< op::filters
    std::int32_t groups = 1;                       ///< op::groups
    std::int32_t kernel_h = 1, kernel_w = 1, stride_h = 1;  ///< op::kernel_h, kernel_w, stride_h
    std::uint32_t in_begin = 0;                    ///< first of the op's inputs in compact_network::input_indices()
    std::uint16_t in_count = 0;                    ///< op::inputs.size()
    std::uint8_t kind = 0;                         ///< static_cast<std::uint8_t>(op::kind)
    std::uint8_t act = 0;                          ///< static_cast<std::uint8_t>(op::act)
    bool exact = true;                             ///< every field holds the op's value (no size beyond 32 bits)

    /// The op kind.
    constexpr graph::op_kind kind_of() const noexcept { return static_cast<graph::op_kind>(kind); }
    /// The fused or standalone activation.
    constexpr graph::activation act_of() const noexcept { return static_cast<graph::activation>(act); }
};
static_assert(sizeof(compact_op) == 64);

/// The compact op of `o` whose first input has shape `x` (its own shape when it has no input), with
/// `in_begin` 0. `compact_network` stores these; the APM also makes them on the fly.
inline compact_op compact_of(const graph::op& o, const graph::tensor_shape& x) noexcept {
    compact_op c;
    c.elements = o.out.elements();
    auto narrow = [&c](std::int64_t v) -> std::int32_t {
        if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max())
            return static_cast<std::int32_t>(v);
        c.exact = false;
        return 0;
    };
    c.out_h = narrow(o.out.h);
    c.out_w = narrow(o.out.w);
    c.out_c = narrow(o.out.c);
    c.in_h = narrow(x.h);
    c.in_w = narrow(x.w);
    c.in_c = narrow(x.c);
    c.filters = narrow(o.filters);
    c.groups = narrow(o.groups);
    c.kernel_h = o.kernel_h;
    c.kernel_w = o.kernel_w;
    c.stride_h = o.stride_h;
    c.in_count = static_cast<std::uint16_t>(o.inputs.size());
    c.kind = static_cast<std::uint8_t>(o.kind);
    c.act = static_cast<std::uint8_t>(o.act);
    return c;
}

/// The compact op table of one network. It refers to the network it was built from (`network()`),
/// which must outlive it and not change while it is used; `assign` rebuilds it for another network
/// and reuses the storage, so a sweep builds tables without allocating.
class compact_network {
public:
    /// An empty table (no network).
    compact_network() = default;
    /// The table of `net`.
    explicit compact_network(const graph::network& net) { assign(net); }

    /// Rebuilds the table for `net`. Throws `accelnas::error` when the network has more ops or inputs
    /// than 32-bit indices address, or an op more than 65,535 inputs.
    void assign(const graph::network& net) {
        const auto& ops = net.ops();
        require(ops.size() < std::numeric_limits<std::uint32_t>::max(), "hw::compact_network: network '", net.name(),
                "' has too many ops for 32-bit indices");
        net_ = &net;
        ops_.resize(ops.size());
        inputs_.clear();
        for (std::size_t i = 0; i < ops.size(); ++i) {
            const graph::op& o = ops[i];
            require(o.inputs.size() <= std::numeric_limits<std::uint16_t>::max() &&
                        inputs_.size() + o.inputs.size() <= std::numeric_limits<std::uint32_t>::max(),
                    "hw::compact_network: op '", o.name, "' of network '", net.name(), "' has too many inputs");
            compact_op& c = ops_[i];
            c = compact_of(o, o.inputs.empty() ? o.out : ops[o.inputs[0]].out);
            c.in_begin = static_cast<std::uint32_t>(inputs_.size());
            for (auto j : o.inputs) inputs_.push_back(static_cast<std::uint32_t>(j));
        }
    }

    /// Empties the table and detaches it from any network, keeping its storage: for code that fills
    /// it with `push` from another form of a network (the latency service reads protobuf messages
    /// straight into it, without building a `graph::network`).
    void clear() noexcept {
        net_ = nullptr;
        ops_.clear();
        inputs_.clear();
    }
    /// Appends op `op` with inputs `in` (sets its `in_begin` and `in_count`). The caller vouches for
    /// what a `graph::network` guarantees: a valid op whose shapes were inferred as the network
    /// infers them, inputs naming earlier ops. Throws `accelnas::error` beyond 32-bit indices.
    void push(const compact_op& op, std::span<const std::uint32_t> in) {
        require(ops_.size() + 1 < std::numeric_limits<std::uint32_t>::max() && in.size() <= std::numeric_limits<std::uint16_t>::max() &&
                    inputs_.size() + in.size() <= std::numeric_limits<std::uint32_t>::max(),
                "hw::compact_network: too many ops or inputs for 32-bit indices");
        compact_op& c = ops_.emplace_back(op);
        c.in_begin = static_cast<std::uint32_t>(inputs_.size());
        c.in_count = static_cast<std::uint16_t>(in.size());
        inputs_.insert(inputs_.end(), in.begin(), in.end());
    }

    /// The network the table was built from (null for an empty table or one filled with `push`).
    const graph::network* network() const noexcept { return net_; }
    /// Number of ops.
    std::size_t size() const noexcept { return ops_.size(); }
    /// One compact op per op of the network, in the same order.
    std::span<const compact_op> ops() const noexcept { return ops_; }
    /// The input indices of all ops, op after op (`compact_op::in_begin` / `in_count` index it).
    std::span<const std::uint32_t> input_indices() const noexcept { return inputs_; }
    /// The input indices of one compact op (the same as its op's `inputs`).
    std::span<const std::uint32_t> inputs_of(const compact_op& c) const noexcept {
        return std::span<const std::uint32_t>(inputs_).subspan(c.in_begin, c.in_count);
    }

private:
    const graph::network* net_ = nullptr;
    std::vector<compact_op> ops_;
    std::vector<std::uint32_t> inputs_;
};

}  // namespace accelnas::hw
