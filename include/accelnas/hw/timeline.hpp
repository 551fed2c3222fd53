#pragma once
/// \file
/// The inference timeline shared by the Edge TPU simulator and APM: partitioning, parameter
/// caching in network order, streaming of uncached parameters over the host link (each op's stream
/// may start when the previous op starts), activation spills, per-op overhead, input and output
/// transfers, and the host-CPU part. The per-op device cost comes from the model (`Pricer`).

#include <accelnas/graph/network.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/partition.hpp>
#include <accelnas/hw/report.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace accelnas::hw {

/// Device-side cost of one op, split by what it spent its cycles on.
struct op_cycles {
    std::int64_t total = 0;    ///< cycles the op occupies the device (overhead excluded)
    std::int64_t compute = 0;  ///< busiest tile's compute cycles
    std::int64_t memory = 0;   ///< cycles the busiest tile waited on memory (narrow memory, SRAM)
    double utilization = 0.0;
};

namespace detail {

/// Whole cycles to process `amount` units (bytes moved, element operations) at `per_cycle` units a cycle.
inline std::int64_t cycles_for(double amount, double per_cycle) noexcept {
    return static_cast<std::int64_t>(std::ceil(amount / per_cycle));
}
inline std::int64_t link_cycles(std::int64_t bytes, const edgetpu_config& c) noexcept {
    if (bytes <= 0) return 0;
    return static_cast<std::int64_t>(
        std::ceil((c.host_latency_seconds + static_cast<double>(bytes) / c.host_bytes_per_second) * c.clock_hz));
}

// The binding limiter among stall (host link), fixed overhead, compute and memory cycles.
inline limiter pick_limiter(std::int64_t stall, std::int64_t overhead, std::int64_t compute, std::int64_t memory) noexcept {
    limiter l = limiter::compute;
    std::int64_t m = compute;
    if (memory > m) { m = memory; l = limiter::on_chip_memory; }
    if (overhead > m) { m = overhead; l = limiter::overhead; }
    if (stall > m) l = limiter::host_transfer;
    return l;
}

// Runs `net` on device `c`, pricing each device op with `price(op_work) -> op_cycles`; fills `rep`
// when it is not null and returns the total seconds.
template <class Pricer>
double run_timeline(const graph::network& net, const edgetpu_config& c, const char* estimator,
                Pricer&& price, latency_report* rep) {
    net.validate();
    const std::size_t n = net.size();
    const std::size_t p = partition_point(net, c);
    std::int64_t cache_left = cache_capacity(net, c, p);
    if (rep) {
        rep->network = net.name();
        rep->target = c.name;
        rep->estimator = estimator;
        rep->clock_hz = c.clock_hz;
        rep->param_cache_capacity = cache_left;
        rep->first_host_op = p;
    }
    const bool device_used = [&] {
        for (std::size_t i = 0; i < p; ++i)
            if (net.ops()[i].kind != graph::op_kind::input) return true;
        return false;
    }();
    std::int64_t in_bytes = 0;
    for (const auto& o : net.ops())
        if (o.kind == graph::op_kind::input) in_bytes += o.out.elements();
    std::int64_t now = 0, link_free = 0, prev_start = 0, io_cycles = 0;
    std::int64_t cached = 0, streamed = 0;
    if (device_used) {
        now = link_free = link_cycles(in_bytes, c);
        io_cycles += now;
    }
    for (std::size_t i = 0; i < p; ++i) {
        const auto& o = net.ops()[i];
        const op_work w = work_of(net, i);
        if (o.kind == graph::op_kind::input) continue;
        bool stream = false;
        if (w.param_bytes > 0) {
            if (w.param_bytes <= cache_left) { cache_left -= w.param_bytes; cached += w.param_bytes; }
            else { stream = true; streamed += w.param_bytes; }
        }
        op_cycles body = price(w);
        // Spills: to the shared SRAM (written and read back), beyond it over the host link.
        const std::int64_t spill = activation_spill(w, c);
        const std::int64_t host_spill = std::max<std::int64_t>(0, spill - c.param_cache_bytes);
        if (spill > 0) {
            const auto s = cycles_for(2.0 * static_cast<double>(spill - host_spill), c.sram_bytes_per_cycle);
            body.total += s;
            body.memory += s;
        }
        std::int64_t ready = now;
        const std::int64_t link_bytes = (stream ? w.param_bytes : 0) + 2 * host_spill;
        if (link_bytes > 0) {
            const std::int64_t start = std::max(link_free, prev_start);
            link_free = start + link_cycles(link_bytes, c);
            ready = std::max(ready, link_free);
        }
        const std::int64_t overhead = op_overhead(w, c);
        const std::int64_t stall = ready - now;
        prev_start = ready;
        const std::int64_t end = ready + overhead + body.total;
        if (rep) {
            op_latency l;
            l.index = i;
            l.name = o.name;
            l.kind = o.kind;
            l.cycles = end - now;
            l.seconds = static_cast<double>(l.cycles) / c.clock_hz;
            l.bound = pick_limiter(stall, overhead, body.compute, body.memory);
            l.utilization = body.utilization;
            l.macs = w.macs;
            l.param_bytes = w.param_bytes;
            l.params_streamed = stream;
            rep->ops.push_back(std::move(l));
        }
        now = end;
    }
    // Outputs of the device part (network outputs it produced and tensors crossing to the host).
    std::int64_t out_bytes = 0;
    if (device_used) {
        out_bytes = crossing_bytes(net, p);
        for (auto o : net.outputs())
            if (o < p && net.ops()[o].kind != graph::op_kind::input) out_bytes += net.ops()[o].out.elements();
        const std::int64_t start = std::max(now, link_free);
        const std::int64_t oc = link_cycles(out_bytes, c);
        io_cycles += oc + (start - now);
        now = start + oc;
    }
    double host = 0.0;
    for (std::size_t i = p; i < n; ++i) {
        const auto& o = net.ops()[i];
        if (o.kind == graph::op_kind::input) continue;
        const auto w = work_of(net, i);
        const double s = cpu_op_seconds(w, c.host);
        host += s;
        if (rep) {
            op_latency l;
            l.index = i;
            l.name = o.name;
            l.kind = o.kind;
            l.seconds = s;
            l.bound = s >= 2 * c.host.op_overhead_seconds ? limiter::compute : limiter::overhead;
            l.where = placement::host_cpu;
            l.macs = w.macs;
            l.param_bytes = w.param_bytes;
            rep->ops.push_back(std::move(l));
        }
    }
    const double total = c.inference_overhead_seconds + static_cast<double>(now) / c.clock_hz + host;
    if (rep) {
        rep->total_cycles = now;
        rep->total_seconds = total;
        rep->param_bytes_cached = cached;
        rep->param_bytes_streamed = streamed;
        rep->input_bytes = device_used ? in_bytes : 0;
        rep->output_bytes = out_bytes;
        rep->io_seconds = static_cast<double>(io_cycles) / c.clock_hz;
        rep->host_seconds = host;
    }
    return total;
}

}  // namespace detail
}  // namespace accelnas::hw
