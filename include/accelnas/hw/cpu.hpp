#pragma once
/// \file
/// `hw::mobile_cpu`: the latency model of a mobile CPU (e.g. Pixel 4, int8 TFLite): latency linear
/// in work, with a per-op-kind efficiency and a per-op dispatch cost. Also prices ops the Edge TPU
/// compiler leaves on the host.

#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/report.hpp>

#include <string>
#include <string_view>

namespace accelnas::hw {

/// Seconds op work `w` takes on CPU `c` (0 for free ops: reshape and inputs).
inline double cpu_op_seconds(const op_work& w, const cpu_config& c) noexcept {
    switch (w.cls) {
    case op_class::free: return 0.0;
    case op_class::conv:
        return c.op_overhead_seconds +
               static_cast<double>(w.macs) / (w.taps == 1 ? c.pointwise_macs_per_second : c.conv_macs_per_second);
    case op_class::depthwise:
        return c.op_overhead_seconds + static_cast<double>(w.macs) / c.depthwise_macs_per_second;
    case op_class::dense: return c.op_overhead_seconds + static_cast<double>(w.macs) / c.dense_macs_per_second;
    case op_class::vector:
        return c.op_overhead_seconds + static_cast<double>(w.vector_ops) / c.vector_elements_per_second;
    }
    return 0.0;
}

/// Latency model of a mobile CPU (the estimator of CPU targets such as pixel4-cpu).
class mobile_cpu {
public:
    /// A model of `config` (validated here).
    explicit mobile_cpu(cpu_config config) : cfg_(std::move(config)) { cfg_.validate(); }

    /// Target name.
    const std::string& name() const noexcept { return cfg_.name; }
    /// The configuration.
    const cpu_config& config() const noexcept { return cfg_; }

    /// Total seconds of one inference of `net`.
    double seconds(const graph::network& net) const {
        net.validate();
        double t = cfg_.inference_overhead_seconds;
        for (std::size_t i = 0; i < net.size(); ++i) t += cpu_op_seconds(work_of(net, i), cfg_);
        return t;
    }

    /// The full report: every op on the host CPU, bound by compute or by its dispatch overhead.
    latency_report estimate(const graph::network& net) const {
        net.validate();
        latency_report r;
        r.network = net.name();
        r.target = cfg_.name;
        r.estimator = "cpu";
        r.first_host_op = 0;
        double t = cfg_.inference_overhead_seconds;
        for (std::size_t i = 0; i < net.size(); ++i) {
            const auto& o = net.ops()[i];
            const auto w = work_of(net, i);
            if (o.kind == graph::op_kind::input) continue;
            const double s = cpu_op_seconds(w, cfg_);
            op_latency l;
            l.index = i;
            l.name = o.name;
            l.kind = o.kind;
            l.seconds = s;
            l.where = placement::host_cpu;
            l.macs = w.macs;
            l.param_bytes = w.param_bytes;
            l.bound = (s - cfg_.op_overhead_seconds) >= cfg_.op_overhead_seconds ? limiter::compute : limiter::overhead;
            l.utilization = 0.0;
            r.ops.push_back(std::move(l));
            t += s;
        }
        r.total_seconds = t;
        r.host_seconds = t;
        return r;
    }

private:
    cpu_config cfg_;
};

static_assert(accelerator_model<mobile_cpu>);

}  // namespace accelnas::hw
