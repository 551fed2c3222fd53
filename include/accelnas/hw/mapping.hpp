#pragma once
/// \file
/// How one op of a network maps onto an Edge TPU-like device: which path runs it (MAC array, vector
/// path, nothing), how its work is split over tiles, how many weight blocks (passes) each tile runs,
/// and the bytes it moves. `work_of` (graph facts) is shared by the simulator's compiler pass and the
/// APM's definitions; each decides its split and prices it on its own (hw/compiler.hpp, hw/apm.hpp).
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
    case op_kind::opaque:
        // An op accelnas does not model: one element operation per element read and per element
        // written, i.e. the cost of a single pass over its tensors (the floor of any op that reads
        // its inputs and writes its outputs: TopK, Gather, Transpose, Resize and the like are
        // within a small factor of it; ops that do arithmetic per element pair, such as an Einsum
        // contraction, cost more). No parameters: its weights, if any, are not read.
        w.cls = op_class::vector;
        w.rows = o.out.h;
        w.width = o.out.w;
        w.vector_ops = w.in_bytes + w.out_bytes;
        return w;
    }
    fail("op '", o.name, "': unknown op kind ", static_cast<int>(o.kind));
}

namespace detail {
// ceil(a / b) for a >= 0, b > 0. Powers of two (tiles, lanes, cells of the Edge TPU) take a shift:
// a 64-bit division costs tens of cycles.
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept {
    if ((b & (b - 1)) == 0) return (a + b - 1) >> __builtin_ctzll(static_cast<unsigned long long>(b));
    return (a + b - 1) / b;
}
}  // namespace detail

}  // namespace accelnas::hw
