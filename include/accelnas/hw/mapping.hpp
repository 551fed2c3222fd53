#pragma once
/// \file
/// How one op of a network maps onto an Edge TPU-like device: which path runs it (MAC array, vector
/// path, nothing), how its work is split over tiles, how many weight blocks (passes) each tile runs,
/// and the bytes it moves. Shared by the simulator and the APM so both price the same mapping.
///
/// MAC ops (conv2d, fully_connected, and avg_pool as a depthwise conv) are seen as output rows x positions per row x output channels
/// with a reduction of length R per output:
/// - tiles split output rows (ts) and output channels (tk), ts * tk = tiles, the split that needs
///   the fewest cycles wins (few rows, e.g. 7x7 or a dense layer, push the split onto channels);
/// - a weight block holds `cells` reduction elements x `lanes` output channels; a tile runs
///   ceil(k_t / lanes) x ceil(R / cells) blocks, each streaming its rows' positions through the array;
/// - regular conv: R = taps x input channels per group, inputs shared by the lanes;
///   depthwise: R = taps only, one input channel per output channel, so only `depthwise_lanes` lanes work;
/// - dense: one position, R = input features.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/config.hpp>

#include <algorithm>
#include <cstdint>

namespace accelnas::hw {

/// The path an op runs on.
enum class op_class {
    free,       ///< input, reshape: no device work
    conv,       ///< regular or grouped convolution on the MAC array
    depthwise,  ///< depthwise convolution on the MAC array
    dense,      ///< fully connected layer on the MAC array
    vector,     ///< element-wise, pooling, concat, pad, softmax on the vector path
};

/// Work of one op, independent of the device.
struct op_work {
    op_class cls = op_class::free;
    graph::op_kind kind = graph::op_kind::input; ///< the IR op kind
    std::int64_t rows = 1;       ///< output rows (MAC ops, vector ops)
    std::int64_t width = 1;      ///< output positions per row
    std::int64_t k = 0;          ///< output channels (MAC ops)
    std::int64_t r = 0;          ///< reduction length per output (MAC ops)
    std::int64_t kernel_w = 1;   ///< horizontal window (input reuse along a row)
    std::int64_t taps = 1;       ///< kernel taps (kernel_h x kernel_w) of convolutions and pooling
    std::int64_t kernel_h = 1;   ///< vertical window (input rows per output row)
    std::int64_t stride_h = 1;   ///< vertical stride (new input rows per output row)
    std::int64_t in_h = 1;       ///< input rows (MAC ops)
    std::int64_t in_w = 1;       ///< input positions per row (MAC ops)
    std::int64_t pad_top = 0;    ///< zero rows above the input (SAME padding), never fetched
    std::int64_t macs = 0;       ///< multiply-accumulates
    std::int64_t vector_ops = 0; ///< element operations on the vector path
    std::int64_t in_bytes = 0;   ///< int8 bytes of all inputs
    std::int64_t out_bytes = 0;  ///< int8 bytes of the output
    std::int64_t param_bytes = 0;///< int8 weights + int32 biases
};

namespace detail {
// Input geometry of a sliding-window op (graph::window_along: SAME padding puts the smaller half on top).
inline void set_window(op_work& w, const graph::tensor_shape& in, const graph::op& o) noexcept {
    w.kernel_h = o.kernel_h;
    w.stride_h = o.stride_h;
    w.in_h = in.h;
    w.in_w = in.w;
    w.pad_top = graph::window_along(in.h, o.kernel_h, o.stride_h, o.pad).pad_before;
}
}  // namespace detail

/// Work of op `i` of `net`. Throws `accelnas::error` naming the op for zero-sized tensors.
inline op_work work_of(const graph::network& net, std::size_t i) {
    using graph::op_kind;
    const graph::op& o = net.ops()[i];
    op_work w;
    w.kind = o.kind;
    w.out_bytes = o.out.elements();
    for (auto j : o.inputs) w.in_bytes += net.ops()[j].out.elements();
    require(o.out.elements() > 0, "op '", o.name, "': zero-sized output tensor ", o.out);
    switch (o.kind) {
    case op_kind::input:
    case op_kind::reshape:
        w.cls = op_class::free;
        return w;
    case op_kind::conv2d: {
        const auto cin = net.in_channels(i);
        const auto taps = std::int64_t{o.kernel_h} * o.kernel_w;
        const bool dw = graph::is_depthwise(cin, o.groups);
        w.cls = dw ? op_class::depthwise : op_class::conv;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.k = o.filters;
        w.r = dw ? taps : taps * graph::channels_per_group(cin, o.groups);
        w.kernel_w = o.kernel_w;
        w.taps = taps;
        detail::set_window(w, net.in_shape(i), o);
        w.macs = graph::conv_macs(o.out.h, o.out.w, o.filters, o.kernel_h, o.kernel_w, cin, o.groups);
        // int8 weights and an int32 bias per filter (batch norm folded into it)
        w.param_bytes = graph::conv_weights(o.kernel_h, o.kernel_w, cin, o.groups, o.filters) + 4 * o.filters;
        return w;
    }
    case op_kind::fully_connected: {
        const auto& x = net.in_shape(i);
        w.cls = op_class::dense;
        w.k = o.filters;
        w.r = x.h * x.w * x.c;
        w.macs = graph::dense_weights(w.r, w.k);
        w.param_bytes = graph::dense_weights(w.r, w.k) + 4 * w.k;
        return w;
    }
    case op_kind::avg_pool:
        // Average pooling runs on the MAC array as a depthwise convolution with constant weights
        // (one tap weight per window position), which is how its cost on the device behaves: it
        // scales like a depthwise conv, far above an element-wise op of the same size.
        w.cls = op_class::depthwise;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.k = o.out.c;
        w.r = std::int64_t{o.kernel_h} * o.kernel_w;
        w.kernel_w = o.kernel_w;
        w.taps = w.r;
        detail::set_window(w, net.in_shape(i), o);
        w.vector_ops = o.out.elements() * o.kernel_h * o.kernel_w;
        return w;
    case op_kind::max_pool:
        w.cls = op_class::vector;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.vector_ops = o.out.elements() * o.kernel_h * o.kernel_w;
        return w;
    case op_kind::global_avg_pool:
        w.cls = op_class::vector;
        w.rows = net.in_shape(i).h;
        w.width = net.in_shape(i).w;
        w.vector_ops = w.in_bytes;
        return w;
    case op_kind::add:
    case op_kind::mul:
    case op_kind::concat:
        w.cls = op_class::vector;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.vector_ops = std::max(w.in_bytes, w.out_bytes);
        return w;
    case op_kind::softmax:
        w.cls = op_class::vector;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.vector_ops = 4 * o.out.elements();  // max, exp, sum, divide
        return w;
    case op_kind::batch_norm:
    case op_kind::activation:
    case op_kind::pad:
        w.cls = op_class::vector;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.vector_ops = o.out.elements();
        return w;
    }
    fail("op '", o.name, "': unknown op kind ", static_cast<int>(o.kind));
}

/// How a MAC op is split over the tiles of a device.
struct mac_mapping {
    std::int64_t ts = 1;          ///< tiles along output rows
    std::int64_t tk = 1;          ///< tiles along output channels
    std::int64_t rows_t = 1;      ///< rows of the busiest tile
    std::int64_t k_t = 1;         ///< output channels of the busiest tile
    std::int64_t lanes = 1;       ///< lanes a block uses (output channels per block)
    std::int64_t k_blocks = 1;    ///< blocks along output channels on the busiest tile
    std::int64_t r_blocks = 1;    ///< blocks along the reduction
    std::int64_t compute_cycles = 0; ///< busiest tile's compute cycles (positions + per-block fill)
    double utilization = 0.0;     ///< macs / (compute_cycles * peak MACs per cycle)
};

namespace detail {
// ceil(a / b) for a >= 0, b > 0. Powers of two (tiles, lanes, cells of the Edge TPU) take a shift:
// the APM evaluates a few dozen of these per op and a 64-bit division costs tens of cycles.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept {
    if ((b & (b - 1)) == 0) return (a + b - 1) >> __builtin_ctzll(static_cast<unsigned long long>(b));
    return (a + b - 1) / b;
}
}  // namespace detail

/// The tile split of a MAC op with the fewest compute cycles (ties: more tiles on rows).
inline mac_mapping map_mac(const op_work& w, const edgetpu_config& c) noexcept {
    using detail::ceil_div;
    mac_mapping best;
    best.compute_cycles = -1;
    const std::int64_t lanes = w.cls == op_class::depthwise ? c.depthwise_lanes : c.lanes_per_cell;
    const std::int64_t r_blocks = ceil_div(w.r, c.cells_per_tile);
    auto consider = [&](std::int64_t ts) {
        const std::int64_t tk = c.tiles / ts;
        const std::int64_t rows_t = ceil_div(w.rows, ts);
        const std::int64_t k_t = ceil_div(w.k, tk);
        const std::int64_t k_blocks = ceil_div(k_t, lanes);
        const std::int64_t cycles = k_blocks * r_blocks * (rows_t * w.width + c.pass_overhead_cycles);
        if (best.compute_cycles < 0 || cycles < best.compute_cycles) best = {ts, tk, rows_t, k_t, lanes, k_blocks, r_blocks, cycles, 0.0};
    };
    if ((c.tiles & (c.tiles - 1)) == 0 && (lanes & (lanes - 1)) == 0) {
        // Power-of-two tiles and lanes (the Edge TPU's 16 and 4): the divisors of `tiles` are the powers
        // of two and every ceil_div is a shift, which matters for the APM's speed. Same values and
        // the same tie rule as `consider`.
        const int lt = __builtin_ctzll(static_cast<unsigned long long>(c.tiles));
        const int ll = __builtin_ctzll(static_cast<unsigned long long>(lanes));
        const std::int64_t per_row = w.width, pass = c.pass_overhead_cycles;
        for (int s = lt; s >= 0; --s) {
            const std::int64_t rows_t = (w.rows + (std::int64_t{1} << s) - 1) >> s;
            const std::int64_t k_t = (w.k + (std::int64_t{1} << (lt - s)) - 1) >> (lt - s);
            const std::int64_t k_blocks = (k_t + lanes - 1) >> ll;
            const std::int64_t cycles = k_blocks * r_blocks * (rows_t * per_row + pass);
            if (best.compute_cycles < 0 || cycles < best.compute_cycles)
                best = {std::int64_t{1} << s, std::int64_t{1} << (lt - s), rows_t, k_t, lanes, k_blocks, r_blocks, cycles, 0.0};
        }
    } else if ((c.tiles & (c.tiles - 1)) == 0) {
        for (std::int64_t ts = c.tiles; ts >= 1; ts >>= 1) consider(ts);
    } else {
        for (std::int64_t ts = c.tiles; ts >= 1; --ts)
            if (c.tiles % ts == 0) consider(ts);
    }
    const double peak = static_cast<double>(best.compute_cycles) * static_cast<double>(c.peak_macs_per_cycle());
    best.utilization = peak > 0 ? std::min(1.0, static_cast<double>(w.macs) / peak) : 0.0;
    return best;
}

}  // namespace accelnas::hw

namespace accelnas::hw {

/// Fixed cycles of op work `w` on `c`: by kind, since pooling and other vector ops set up differently
/// from MAC ops (free ops cost nothing).
inline std::int64_t op_overhead(const op_work& w, const edgetpu_config& c) noexcept {
    if (w.cls == op_class::free) return 0;
    if (w.kind == graph::op_kind::avg_pool || w.kind == graph::op_kind::max_pool ||
        w.kind == graph::op_kind::global_avg_pool)
        return c.pool_overhead_cycles;
    if (w.cls == op_class::vector) return c.vector_overhead_cycles;
    return c.op_overhead_cycles;
}

/// Activation bytes of op work `w` that do not fit the tile memories (they spill to the shared SRAM).
inline std::int64_t activation_spill(const op_work& w, const edgetpu_config& c) noexcept {
    const std::int64_t need = w.in_bytes + w.out_bytes;
    const std::int64_t have = c.tiles * c.tile_memory_bytes;
    return need > have ? need - have : 0;
}

/// Parameter-cache bytes left for ops [0, p) of `net`: the SRAM minus the largest activation spill
/// (the compiler gives activations that do not fit the tiles the SRAM first), never below zero.
inline std::int64_t cache_capacity(const graph::network& net, const edgetpu_config& c, std::size_t p) {
    std::int64_t spill = 0;
    const std::int64_t have = c.tiles * c.tile_memory_bytes;
    const auto& ops = net.ops();
    for (std::size_t i = 0; i < p; ++i) {
        const auto& o = ops[i];
        if (o.kind == graph::op_kind::input || o.kind == graph::op_kind::reshape) continue;
        std::int64_t need = o.out.elements();
        for (auto j : o.inputs) need += ops[j].out.elements();
        spill = std::max(spill, need - have);  // same as activation_spill(work_of(net, i), c), without the work
    }
    return std::max<std::int64_t>(0, c.param_cache_bytes - spill);
}

}  // namespace accelnas::hw
