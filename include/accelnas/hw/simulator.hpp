#pragma once
/// \file
/// `hw::simulator`: a cycle-level simulator of an Edge TPU-like device. Each op is mapped onto the
/// tiles (hw/mapping.hpp) and run tile by tile, weight block by weight block, output row by output
/// row, as a timeline in integer cycles:
/// - a tile's step is max(compute, narrow-memory traffic); the next block's weights load from the
///   shared SRAM while the current block computes (double buffering); the op ends with its slowest tile;
/// - activations that do not fit the tile memories spill to the shared SRAM (and shrink the
///   parameter cache); what does not fit there either goes over the host link;
/// - parameters are cached on chip in network order until the cache is full; the rest stream over
///   the host link every inference, each op's stream starting at the earliest when the previous op
///   starts (one op of prefetch);
/// - the input goes over the host link first, the outputs (and tensors crossing to the host CPU) last;
/// - unsupported ops from the partition point on run on the host CPU model.
/// Deterministic: the same network and config always give the same cycles.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/partition.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/timeline.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace accelnas::hw {

namespace detail {

// Runs one tile of a MAC op: output rows [row0, row0 + rows) x `kt` output channels, block by block.
// Within a block the tile's line buffer fetches the input rows each output row needs (the rows
// shared with the previous output row stay; padding rows are never fetched) through the tile's
// narrow-memory port, then one output position enters the array per cycle, and outputs drain
// through the same port; a position cannot enter before its bytes have moved. The next block's
// weights load from the SRAM while the current block streams (double buffering).
inline op_cycles simulate_tile(const op_work& w, const mac_mapping& m, const edgetpu_config& c, std::int64_t row0,
                               std::int64_t rows, std::int64_t kt) noexcept {
    const bool dw = w.cls == op_class::depthwise;
    const double wbw = c.sram_bytes_per_cycle / static_cast<double>(m.tk);  // row tiles share a broadcast
    const double inv_bw = 1.0 / c.tile_bytes_per_cycle;
    const std::int64_t r_blocks = ceil_div(w.r, c.cells_per_tile);
    const std::int64_t k_blocks = ceil_div(kt, m.lanes);
    auto block_weights = [&](std::int64_t kb, std::int64_t rb) {
        const std::int64_t kc = std::min(m.lanes, kt - kb * m.lanes);
        const std::int64_t rc = std::min(c.cells_per_tile, w.r - rb * c.cells_per_tile);
        return cycles_for(static_cast<double>(kc * rc), wbw);
    };
    std::int64_t t = block_weights(0, 0), comp = 0;
    for (std::int64_t kb = 0; kb < k_blocks; ++kb) {
        const std::int64_t kc = std::min(m.lanes, kt - kb * m.lanes);
        for (std::int64_t rb = 0; rb < r_blocks; ++rb) {
            const std::int64_t rc = std::min(c.cells_per_tile, w.r - rb * c.cells_per_tile);
            // One input row of this block: its channels (a depthwise lane reads its own channel).
            const double row_bytes = static_cast<double>(w.in_w) *
                                     (dw ? static_cast<double>(kc) : static_cast<double>(rc) / static_cast<double>(w.taps));
            const double write = rb + 1 == r_blocks ? static_cast<double>(kc) : 0.0;  // outputs leave on the last block
            const std::int64_t start = t;
            double port = 0.0;
            std::int64_t issue = start + c.pass_overhead_cycles;  // fill the array once per block
            std::int64_t loaded = -1;
            for (std::int64_t y = row0; y < row0 + rows; ++y) {
                const std::int64_t lo = std::max<std::int64_t>(0, y * w.stride_h - w.pad_top);
                const std::int64_t hi = std::min(w.in_h - 1, y * w.stride_h - w.pad_top + w.kernel_h - 1);
                if (y == row0) loaded = lo - 1;
                if (hi > loaded) {
                    port += static_cast<double>(hi - loaded) * row_bytes;
                    loaded = hi;
                }
                issue = std::max(issue, start + static_cast<std::int64_t>(std::ceil(port * inv_bw - 1e-9)));
                for (std::int64_t x = 0; x < w.width; ++x) {
                    port += write;
                    issue = std::max(issue + 1, start + static_cast<std::int64_t>(std::ceil(port * inv_bw - 1e-9)));
                }
            }
            comp += rows * w.width + c.pass_overhead_cycles;
            std::int64_t next = 0;
            if (rb + 1 < r_blocks) next = block_weights(kb, rb + 1);
            else if (kb + 1 < k_blocks) next = block_weights(kb + 1, 0);
            t = std::max(issue, start + next);
        }
    }
    return {t, comp, t - comp, 0.0};
}

// Simulates one MAC op: every row slice of tiles is run (border slices skip padding rows, so they
// differ), with the (at most two) distinct channel slices; the op ends with its slowest tile.
inline op_cycles simulate_mac(const op_work& w, const mac_mapping& m, const edgetpu_config& c) noexcept {
    op_cycles best;
    const std::int64_t k_sizes[2] = {w.k / m.tk + (w.k % m.tk ? 1 : 0), w.k / m.tk};
    std::int64_t row0 = 0;
    for (std::int64_t s = 0; s < m.ts; ++s) {
        const std::int64_t rows = w.rows / m.ts + (s < w.rows % m.ts ? 1 : 0);
        if (rows > 0)
            for (int b = 0; b < 2; ++b) {
                if (k_sizes[b] == 0 || (b == 1 && k_sizes[1] == k_sizes[0])) continue;
                const op_cycles t = simulate_tile(w, m, c, row0, rows, k_sizes[b]);
                if (t.total > best.total) best = t;
            }
        row0 += rows;
    }
    const double peak = static_cast<double>(best.total) * static_cast<double>(c.peak_macs_per_cycle());
    best.utilization = peak > 0 ? std::min(1.0, static_cast<double>(w.macs) / peak) : 0.0;
    return best;
}

// Simulates one vector-path op: rows spread over tiles (or elements, when rows are fewer than tiles).
inline op_cycles simulate_vector(const op_work& w, const edgetpu_config& c) noexcept {
    op_cycles best;
    const std::int64_t pieces = w.rows >= c.tiles ? w.rows : c.tiles;  // rows, or equal element chunks
    const double ops_per_piece = static_cast<double>(w.vector_ops) / static_cast<double>(pieces);
    const double bytes_per_piece = static_cast<double>(w.in_bytes + w.out_bytes) / static_cast<double>(pieces);
    const std::int64_t piece_comp = cycles_for(ops_per_piece, static_cast<double>(c.vector_width));
    const std::int64_t piece_mem = cycles_for(bytes_per_piece, c.tile_bytes_per_cycle);
    for (std::int64_t s = 0; s < c.tiles; ++s) {
        const std::int64_t n = pieces / c.tiles + (s < pieces % c.tiles ? 1 : 0);
        std::int64_t t = 0, comp = 0;
        for (std::int64_t p = 0; p < n; ++p) {
            t += std::max(piece_comp, piece_mem);
            comp += piece_comp;
        }
        if (t > best.total) best = {t, comp, t - comp, 0.0};
    }
    const double peak = static_cast<double>(best.total) * static_cast<double>(c.tiles * c.vector_width);
    best.utilization = peak > 0 ? std::min(1.0, static_cast<double>(w.vector_ops) / peak) : 0.0;
    return best;
}

}  // namespace detail

/// Device cycles of one op on the simulator (tiles x blocks x rows), overhead and transfers excluded.
inline op_cycles simulate_op(const op_work& w, const edgetpu_config& c) noexcept {
    switch (w.cls) {
    case op_class::free: return {};
    case op_class::conv:
    case op_class::depthwise:
    case op_class::dense: return detail::simulate_mac(w, map_mac(w, c), c);
    case op_class::vector: return detail::simulate_vector(w, c);
    }
    return {};
}

/// Cycle-level simulator of an Edge TPU-like device (see the file comment for what it models).
class simulator {
public:
    /// A simulator of `config` (validated here: zero or negative resources throw).
    explicit simulator(edgetpu_config config) : cfg_(std::move(config)) { cfg_.validate(); }

    /// Target name.
    const std::string& name() const noexcept { return cfg_.name; }
    /// The device description.
    const edgetpu_config& config() const noexcept { return cfg_; }

    /// Total seconds of one inference of `net`.
    double seconds(const graph::network& net) const { return run(net, nullptr); }

    /// The full report with one entry per non-input op.
    latency_report estimate(const graph::network& net) const {
        latency_report r;
        run(net, &r);
        return r;
    }

private:
    double run(const graph::network& net, latency_report* rep) const {
        return detail::run_timeline(net, cfg_, "sim", [this](const op_work& w) { return simulate_op(w, cfg_); }, rep);
    }

    edgetpu_config cfg_;
};

static_assert(accelerator_model<simulator>);

}  // namespace accelnas::hw
