#pragma once
/// \file
/// `hw::simulator`: the discrete-event, integer-cycle simulator of an Edge TPU-like device. A network
/// is compiled into an instruction stream (hw/compiler.hpp: tile split, weight blocks, parameter
/// caching or streaming, spills, moves) and executed by the simulated device (hw/sim/device.hpp:
/// sequencer, tiles with systolic passes and banked narrow memories, the on-chip network, the host
/// link's DMA engines). Ops partitioned to the host run on the host CPU model after the device
/// part. Nothing here is shared with the APM (hw/apm.hpp) but graph facts and the config.
/// Deterministic: the same network and config always give the same cycles.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/compiler.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/sim/device.hpp>
#include <accelnas/hw/sim/trace.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace accelnas::hw {

/// Cycle-level, discrete-event simulator of an Edge TPU-like device (see the file comment).
class simulator {
public:
    /// A simulator of `config` (validated here: out-of-range resources throw).
    explicit simulator(edgetpu_config config) : cfg_(std::move(config)) { cfg_.validate(); }

    /// Target name.
    const std::string& name() const noexcept { return cfg_.name; }
    /// The device description.
    const edgetpu_config& config() const noexcept { return cfg_; }

    /// Total seconds of one inference of `net`.
    double seconds(const graph::network& net) const { return run(net, nullptr, nullptr); }

    /// The full report with one entry per non-input op.
    latency_report estimate(const graph::network& net) const {
        latency_report r;
        run(net, &r, nullptr);
        return r;
    }

    /// The report, and in `tr` the spans of every resource (for a Chrome trace, hw/sim/trace.hpp).
    latency_report estimate(const graph::network& net, sim::trace& tr) const {
        latency_report r;
        tr = {};
        run(net, &r, &tr);
        return r;
    }

    /// The instruction stream the simulator executes for `net`.
    program compile(const graph::network& net) const { return hw::compile(net, cfg_); }

private:
    double run(const graph::network& net, latency_report* rep, sim::trace* tr) const {
        const program prog = hw::compile(net, cfg_);
        sim::device dev(prog, net, cfg_, tr);
        const std::int64_t end = dev.run();
        if (rep) {
            rep->network = net.name();
            rep->target = cfg_.name;
            rep->estimator = "sim";
            rep->clock_hz = cfg_.clock_hz;
            rep->param_cache_capacity = prog.cache_capacity;
            rep->first_host_op = prog.first_host_op;
            rep->param_bytes_cached = prog.param_bytes_cached;
            rep->param_bytes_streamed = prog.param_bytes_streamed;
            rep->input_bytes = prog.input_bytes;
            const double peak = static_cast<double>(cfg_.peak_macs_per_cycle());
            for (std::size_t j = 0; j < prog.ops.size(); ++j) {
                const auto& op = prog.ops[j];
                const auto& o = dev.outcomes()[j];
                const auto& g = net.ops()[op.op];
                op_latency l;
                l.index = op.op;
                l.name = g.name;
                l.kind = g.kind;
                l.cycles = o.complete - o.start;
                l.seconds = static_cast<double>(o.charged) / cfg_.clock_hz;
                l.bound = detail::largest_limiter(o.compute, o.memory, o.host, o.overhead);
                l.utilization = l.cycles > 0 ? std::min(1.0, static_cast<double>(op.macs) / (peak * static_cast<double>(l.cycles))) : 0.0;
                l.macs = op.macs;
                l.param_bytes = op.param_bytes;
                l.params_streamed = op.streamed;
                rep->ops.push_back(std::move(l));
                rep->output_bytes += op.output_bytes;
            }
            rep->io_seconds = static_cast<double>(dev.input_done() + (end - dev.ops_done())) / cfg_.clock_hz;
        }
        const double host = host_part_seconds(net, prog.first_host_op, cfg_.host, rep);
        const double total = cfg_.inference_overhead_seconds + static_cast<double>(end) / cfg_.clock_hz + host;
        require(std::isfinite(total) && total > 0, "simulator: '", net.name(), "' on '", cfg_.name,
                "' gives a latency of ", total, " s (check the config's rates)");
        if (rep) {
            rep->total_cycles = end;
            rep->total_seconds = total;
            rep->host_seconds = host;
        }
        return total;
    }

    edgetpu_config cfg_;
};

static_assert(accelerator_model<simulator>);

/// Simulates one inference of `net` on `sim`, writes its Chrome trace-event file to `path` (one track
/// per resource, spans per op) and returns the report.
inline latency_report write_trace(const simulator& sim, const graph::network& net, const std::string& path) {
    sim::trace t;
    latency_report r = sim.estimate(net, t);
    sim::write_chrome_trace(path, t);
    return r;
}

}  // namespace accelnas::hw
