#pragma once
/// \file
/// `hw::roofline`: the analytical performance model (APM) of an Edge TPU-like device. Per op, in
/// closed form, the time is the highest of its ceilings plus its fixed costs:
/// - compute: MACs / (peak MAC rate x mapping utilization) - the utilization lost to shape mapping
///   (tile split, partial blocks, shallow reductions, depthwise lanes, per-block fill) comes from the
///   same mapping as the simulator's (hw/mapping.hpp);
/// - narrow (tile) memory: activation bytes read and written / tile bandwidth;
/// - shared SRAM: weight bytes / SRAM bandwidth, and activation spills;
/// - host link: streamed parameters and spills beyond the SRAM (overlapped with the previous op);
/// - fixed per-op overhead, plus input/output transfer and per-inference overhead.
/// It takes the same `edgetpu_config` as the simulator, so the two compare on one description.

#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/timeline.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace accelnas::hw {

/// Closed-form device cycles of one op (overhead and transfers excluded).
inline op_cycles roofline_op(const op_work& w, const edgetpu_config& c) noexcept {
    using detail::ceil_div;
    using detail::cycles_for_bytes;
    switch (w.cls) {
    case op_class::free: return {};
    case op_class::conv:
    case op_class::depthwise:
    case op_class::dense: {
        const mac_mapping m = map_mac(w, c);
        const bool dw = w.cls == op_class::depthwise;
        // The line buffer fetches each needed input row once per block (halo rows included).
        const std::int64_t in_rows = std::min(w.in_h, (m.rows_t - 1) * w.stride_h + w.kernel_h);
        const double channels = dw ? static_cast<double>(m.k_t * m.r_blocks)
                                   : static_cast<double>(m.k_blocks * w.r) / static_cast<double>(w.taps);
        const double read = static_cast<double>(in_rows * w.in_w) * channels;
        const double write = static_cast<double>(m.rows_t * w.width * m.k_t);
        const std::int64_t mem = cycles_for_bytes(read + write, c.tile_bytes_per_cycle);
        const double wbw = c.sram_bytes_per_cycle / static_cast<double>(m.tk);
        const std::int64_t weights = cycles_for_bytes(static_cast<double>(m.k_t * w.r), wbw);
        const std::int64_t first = cycles_for_bytes(
            static_cast<double>(std::min(w.r, c.cells_per_tile) * std::min(m.lanes, m.k_t)), wbw);
        const std::int64_t body = std::max({m.compute_cycles, mem, weights}) + first;
        return {body, m.compute_cycles, body - m.compute_cycles, m.utilization};
    }
    case op_class::vector: {
        const std::int64_t pieces = w.rows >= c.tiles ? w.rows : c.tiles;
        const std::int64_t per_tile = ceil_div(pieces, c.tiles);
        const std::int64_t comp = per_tile * cycles_for_bytes(static_cast<double>(w.vector_ops) / static_cast<double>(pieces),
                                                              static_cast<double>(c.vector_width));
        const std::int64_t mem = per_tile * cycles_for_bytes(static_cast<double>(w.in_bytes + w.out_bytes) / static_cast<double>(pieces),
                                                             c.tile_bytes_per_cycle);
        const std::int64_t body = std::max(comp, mem);
        const double peak = static_cast<double>(body) * static_cast<double>(c.tiles * c.vector_width);
        return {body, comp, body - comp, peak > 0 ? std::min(1.0, static_cast<double>(w.vector_ops) / peak) : 0.0};
    }
    }
    return {};
}

/// Analytical (roofline) latency model of an Edge TPU-like device.
class roofline {
public:
    /// An APM of `config` (validated here: zero or negative resources throw).
    explicit roofline(edgetpu_config config) : cfg_(std::move(config)) { cfg_.validate(); }

    /// Target name.
    const std::string& name() const noexcept { return cfg_.name; }
    /// The device description.
    const edgetpu_config& config() const noexcept { return cfg_; }

    /// Total seconds of one inference of `net` (no per-op table: the fast path for search loops).
    double seconds(const graph::network& net) const {
        return detail::run_timeline(net, cfg_, "apm", [this](const op_work& w) { return roofline_op(w, cfg_); }, nullptr);
    }

    /// The full report with one entry per non-input op.
    latency_report estimate(const graph::network& net) const {
        latency_report r;
        detail::run_timeline(net, cfg_, "apm", [this](const op_work& w) { return roofline_op(w, cfg_); }, &r);
        return r;
    }

private:
    edgetpu_config cfg_;
};

static_assert(accelerator_model<roofline>);

}  // namespace accelnas::hw
