#pragma once
/// \file
/// `hw::systolic_array`: a generic rows x cols systolic array whose compute cycles follow SCALE-Sim
/// v2's conventions (CALC bandwidth mode: ideal memory, no stalls), so that it can be checked
/// against that tool:
/// - no padding parameter: output size E = ceil((H - R + s) / s); SAME padding is modelled by
///   passing the padded input H_p = (E_same - 1) * s + R, which gives back the TensorFlow output size;
/// - a conv is a GEMM with E*F output pixels, K filters and inner size R*S*C, mapped per dataflow as
///   os: rows E*F, cols K, T = R*S*C; ws: rows R*S*C, cols K, T = E*F; is: rows R*S*C, cols E*F, T = K;
/// - folds = ceil(rows / array_rows) * ceil(cols / array_cols), run one after another, each costing
///   (with the full array size) T + array_rows + array_cols - 2 (os) or 2*array_rows + array_cols + T - 2
///   (ws, is); SCALE-Sim reports folds * per_fold - 1 (the index of the last cycle).
/// Grouped and depthwise convolutions run as `groups` GEMMs one after another (SCALE-Sim itself
/// has no depthwise layer); a dense layer is a GEMM with one output pixel. Other ops (element-wise,
/// pooling) are outside SCALE-Sim's model and cost no cycles here.

#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/report.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace accelnas::hw {

/// A GEMM as SCALE-Sim sees one layer: output pixels, filters, inner (reduction) size.
struct gemm_shape {
    std::int64_t pixels = 0;  ///< E*F
    std::int64_t filters = 0; ///< K
    std::int64_t inner = 0;   ///< R*S*C
};

/// SCALE-Sim v2 compute cycles of one GEMM on `c` (the value it reports: folds * per_fold - 1).
inline std::int64_t scalesim_cycles(const gemm_shape& g, const systolic_config& c) noexcept {
    using detail::ceil_div;
    std::int64_t sr = 0, sc = 0, t = 0;
    switch (c.flow) {
    case dataflow::os: sr = g.pixels; sc = g.filters; t = g.inner; break;
    case dataflow::ws: sr = g.inner; sc = g.filters; t = g.pixels; break;
    case dataflow::is: sr = g.inner; sc = g.pixels; t = g.filters; break;
    }
    const std::int64_t folds = ceil_div(sr, c.rows) * ceil_div(sc, c.cols);
    const std::int64_t per_fold =
        c.flow == dataflow::os ? t + c.rows + c.cols - 2 : 2 * c.rows + c.cols + t - 2;
    return folds * per_fold - 1;
}

/// SCALE-Sim output size of a sliding window: ceil((H - R + s) / s). Deliberately SCALE-Sim's own
/// convention, not `graph::window_along`: the systolic model counts cycles as SCALE-Sim does, on the
/// padded input it would be given (op_cycles passes (out - 1) stride + R so the sizes agree).
constexpr std::int64_t scalesim_output_size(std::int64_t h, std::int64_t r, std::int64_t s) noexcept {
    return (h - r + s + s - 1) / s;
}

/// Generic systolic array counted as SCALE-Sim v2 counts compute cycles.
class systolic_array {
public:
    /// A model of `config` (validated here).
    explicit systolic_array(systolic_config config) : cfg_(std::move(config)) { cfg_.validate(); }

    /// Target name (e.g. "systolic-64x64-ws").
    const std::string& name() const noexcept { return cfg_.name; }
    /// The configuration.
    const systolic_config& config() const noexcept { return cfg_; }

    /// Cycles of op `i` of `net` as SCALE-Sim reports them (0 for ops outside its model).
    std::int64_t op_cycles(const graph::network& net, std::size_t i) const {
        const auto& o = net.ops()[i];
        const auto w = work_of(net, i);
        if (o.kind == graph::op_kind::fully_connected) return scalesim_cycles({1, w.k, w.r}, cfg_);
        if (o.kind != graph::op_kind::conv2d) return 0;
        const auto& x = net.in_shape(i);
        // SAME padding: pass the padded input so that ceil((Hp - R + s) / s) is TensorFlow's output size.
        const std::int64_t hp = (o.out.h - 1) * o.stride_h + o.kernel_h;
        const std::int64_t wp = (o.out.w - 1) * o.stride_w + o.kernel_w;
        const std::int64_t e = scalesim_output_size(hp, o.kernel_h, o.stride_h);
        const std::int64_t f = scalesim_output_size(wp, o.kernel_w, o.stride_w);
        const std::int64_t cg = graph::channels_per_group(x.c, o.groups);
        const gemm_shape g{e * f, graph::filters_per_group(o.filters, o.groups), std::int64_t{o.kernel_h} * o.kernel_w * cg};
        // Groups run one after another; each reports folds * per_fold - 1, the layer total adds them.
        return o.groups * (scalesim_cycles(g, cfg_) + 1) - 1;
    }

    /// Total seconds: the sum of the per-op cycles at the configured clock.
    double seconds(const graph::network& net) const {
        net.validate();
        std::int64_t cyc = 0;
        for (std::size_t i = 0; i < net.size(); ++i) cyc += op_cycles(net, i);
        return static_cast<double>(cyc) / cfg_.clock_hz;
    }

    /// The full report: per op the SCALE-Sim cycles and the array utilization.
    latency_report estimate(const graph::network& net) const {
        net.validate();
        latency_report r;
        r.network = net.name();
        r.target = cfg_.name;
        r.estimator = "systolic";
        r.clock_hz = cfg_.clock_hz;
        r.first_host_op = net.size();
        for (std::size_t i = 0; i < net.size(); ++i) {
            const auto& o = net.ops()[i];
            if (o.kind == graph::op_kind::input) continue;
            const auto w = work_of(net, i);
            op_latency l;
            l.index = i;
            l.name = o.name;
            l.kind = o.kind;
            l.cycles = op_cycles(net, i);
            l.seconds = static_cast<double>(l.cycles) / cfg_.clock_hz;
            l.bound = l.cycles > 0 ? limiter::compute : limiter::overhead;
            l.macs = w.macs;
            l.param_bytes = w.param_bytes;
            const double peak = static_cast<double>(l.cycles + 1) * static_cast<double>(cfg_.rows * cfg_.cols);
            l.utilization = l.cycles > 0 ? std::min(1.0, static_cast<double>(w.macs) / peak) : 0.0;
            r.total_cycles += l.cycles;
            r.param_bytes_streamed += w.param_bytes;
            r.ops.push_back(std::move(l));
        }
        r.total_seconds = static_cast<double>(r.total_cycles) / cfg_.clock_hz;
        return r;
    }

private:
    systolic_config cfg_;
};

static_assert(accelerator_model<systolic_array>);

}  // namespace accelnas::hw
