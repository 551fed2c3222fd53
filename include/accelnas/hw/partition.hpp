#pragma once
/// \file
/// Compiler partitioning as the Edge TPU compiler does it: the device runs ops in topological order
/// until the first op it does not support; that op and every op after it run on the host CPU, and
/// the tensors that cross from device to host go over the host link.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/config.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace accelnas::hw {

/// Index of the first op `support` does not run (`net.size()` when all run). Input ops are skipped:
/// the input always arrives from the host.
inline std::size_t first_unsupported_op(const graph::network& net, const op_support& support) noexcept {
    for (std::size_t i = 0; i < net.size(); ++i) {
        const auto& o = net.ops()[i];
        if (o.kind == graph::op_kind::input) continue;
        if (!support.supports(o)) return i;
    }
    return net.size();
}

/// Where the device part ends for `cfg`: the first unsupported op, or `net.size()`. Throws
/// `accelnas::error` naming the op when the target has no host fallback.
inline std::size_t partition_point(const graph::network& net, const edgetpu_config& cfg) {
    const auto p = first_unsupported_op(net, cfg.support);
    if (p < net.size() && !cfg.host_fallback) {
        const auto& o = net.ops()[p];
        if (o.kind == graph::op_kind::opaque)
            fail("target '", cfg.name, "' cannot run op '", o.name, "' (opaque ", o.opaque_type,
                 ", an op accelnas does not model) and has no host fallback");
        fail("target '", cfg.name, "' cannot run op '", o.name, "' (", graph::to_string(o.kind), ", activation ",
             graph::to_string(o.act), ") and has no host fallback");
    }
    return p;
}

/// Bytes that cross from the device part [0, p) to the host part [p, n): outputs of device ops
/// consumed by host ops (input ops excluded: the host already has them).
inline std::int64_t crossing_bytes(const graph::network& net, std::size_t p) noexcept {
    std::int64_t bytes = 0;
    const auto n = net.size();
    if (p >= n) return 0;
    // A tensor crosses once however many host ops read it: mark by producer.
    std::vector<char> crossed(p, 0);
    for (std::size_t i = p; i < n; ++i)
        for (auto j : net.ops()[i].inputs)
            if (j < p && !crossed[j] && net.ops()[j].kind != graph::op_kind::input) {
                crossed[j] = 1;
                bytes += net.ops()[j].out.elements();
            }
    return bytes;
}

}  // namespace accelnas::hw
