#pragma once
/// \file
/// The Edge TPU compiler pass: turns a network into the instruction stream the cycle-level
/// simulator (hw/sim/) executes. It decides *what* moves where - never how long it takes:
/// - which ops run on the device (the partition point) and which parameters stay in the on-chip
///   cache (network order, until the cache left after activation spills is full) or are streamed
///   from the host every inference;
/// - how each MAC op is split over the tiles: `ts` row slices x `tk` output-channel slices
///   (ts * tk = tiles; the split that streams the fewest positions through the busiest tile wins,
///   ties to fewer weight blocks, then to more row slices); the tiles of one channel slice form a
///   weight group that receives each weight block by one multicast;
/// - per tile, one pass per weight block (`cells` reduction elements x `lanes` output channels),
///   output-channel blocks outer, reduction blocks inner; the bytes each pass reads from the tile's
///   narrow memory (only the input rows its output rows need, padding rows never fetched) and
///   writes (outputs leave on the last reduction block); regular convolutions read a channel-blocked
///   layout (contiguous), depthwise lanes read their own channel of each position (strided, with the
///   position pitch padded to an odd number of words so the reads spread over the banks);
/// - vector-path ops as one chunk per tile (rows, or equal element chunks when rows are fewer than
///   tiles); add rescales its second input to the output scale (input scales differ in an int8
///   model), concat moves its inputs into one tensor over the on-chip network and rescales every
///   input but the first, reshape is a move when it changes the row structure and free otherwise;
/// - whether an op's set-up may be issued while earlier ops it does not read still compute, or
///   waits behind a barrier for all of them (`overlap_branch_setup`);
/// - activation bytes that do not fit the tile memories spill to the shared SRAM and, beyond it,
///   over the host link; network outputs and tensors crossing to the host CPU leave over the link.
/// The only things it shares with the APM are graph facts (`work_of`) and the device config.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/partition.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace accelnas::hw {

/// The fixed set-up an op needs before its passes issue (the simulator prices it from the config).
enum class setup_class : std::uint8_t {
    none,    ///< free ops (reshape kept as a view)
    mac,     ///< convolution, fully connected
    pool,    ///< pooling (window set-up, border handling)
    vector,  ///< other vector-path ops and memory moves
};

/// One instruction on one tile: a pass of the MAC array over one weight block, or a chunk of
/// vector-path work.
struct tile_pass {
    std::int32_t block = -1;        ///< weight block (index in its group's sequence) the pass needs; -1: none
    std::int64_t positions = 0;     ///< output positions streamed through the array (MAC) or elements (vector)
    std::int64_t read_bytes = 0;    ///< bytes read from the tile's narrow memory
    std::int64_t write_bytes = 0;   ///< bytes written to it
    std::int64_t macs = 0;          ///< useful multiply-accumulates of the pass
};

/// The instructions of one device op.
struct op_program {
    std::size_t op = 0;                 ///< index of the op in the network
    op_class cls = op_class::free;      ///< the path it runs on
    setup_class setup = setup_class::none;
    std::vector<std::size_t> deps;      ///< program indices of the device ops it reads (inputs excluded)
    bool reads_input = false;           ///< reads a network input (waits for the input transfer)
    bool barrier = false;               ///< its set-up waits for every earlier op, not only those it reads
    std::int64_t ts = 1;                ///< tiles along output rows (MAC ops)
    std::int64_t tk = 1;                ///< tiles along output channels = weight groups (MAC ops)
    std::int32_t blocks = 0;            ///< weight blocks per group (MAC ops)
    std::vector<std::int64_t> block_bytes;  ///< bytes of each group's blocks, [group * blocks + block]
    std::vector<std::int64_t> tile_begin;   ///< passes of tile t: passes[tile_begin[t], tile_begin[t + 1])
    std::vector<tile_pass> passes;
    std::int32_t segment = 0;           ///< narrow-memory access: 0 contiguous, else bytes per strided segment
    std::int64_t segment_stride = 0;    ///< bytes between segment starts (strided access)
    std::int64_t param_bytes = 0;       ///< weights + biases
    bool streamed = false;              ///< parameters come over the host link every inference
    std::int64_t move_bytes = 0;        ///< bytes moved over the on-chip network (concat, reshape)
    std::int64_t spill_bytes = 0;       ///< activation bytes in the shared SRAM (written and read back)
    std::int64_t host_spill_bytes = 0;  ///< activation bytes beyond the SRAM (over the host link both ways)
    std::int64_t output_bytes = 0;      ///< bytes sent to the host when the op completes (outputs, crossing tensors)
    std::int64_t macs = 0;              ///< multiply-accumulates
    std::int64_t drain = 0;             ///< array drain cycles of the last pass a consumer may overlap (MAC ops)
};

/// The instruction stream of one network on one device.
struct program {
    std::vector<op_program> ops;        ///< device ops in network order (inputs excluded)
    std::size_t first_host_op = 0;      ///< partition point (network size when everything runs on the device)
    std::int64_t input_bytes = 0;       ///< network input sent to the device (0 when the device runs nothing)
    std::int64_t cache_capacity = 0;    ///< parameter cache left after activation spills
    std::int64_t param_bytes_cached = 0;
    std::int64_t param_bytes_streamed = 0;
    std::int64_t instructions = 0;      ///< passes + transfers: bounds the simulator's event loop
};

namespace detail {

inline std::int64_t cdiv(std::int64_t a, std::int64_t b) noexcept { return (a + b - 1) / b; }

// a * b, or an error naming `what` when it overflows.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const std::string& what) {
    std::int64_t r = 0;
    require(!__builtin_mul_overflow(a, b, &r) && r <= (std::int64_t{1} << 62), what, ": byte or cycle count overflows");
    return r;
}
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& what) {
    std::int64_t r = 0;
    require(!__builtin_add_overflow(a, b, &r) && r <= (std::int64_t{1} << 62), what, ": byte or cycle count overflows");
    return r;
}

// Input rows a tile fetches for output rows [y0, y0 + rows): each needed row once, padding rows never.
inline std::int64_t fetched_rows(const op_work& w, std::int64_t y0, std::int64_t rows) noexcept {
    std::int64_t loaded = std::numeric_limits<std::int64_t>::min(), n = 0;
    for (std::int64_t y = y0; y < y0 + rows; ++y) {
        const std::int64_t lo = std::max<std::int64_t>(0, y * w.stride_h - w.pad_top);
        const std::int64_t hi = std::min(w.in_h - 1, y * w.stride_h - w.pad_top + w.kernel_h - 1);
        if (hi < lo) continue;
        const std::int64_t from = std::max(lo, loaded + 1);
        if (hi >= from) { n += hi - from + 1; loaded = hi; }
    }
    return n;
}

// The compiler's split rule (see the file comment): positions through the busiest tile, then blocks.
struct split_choice {
    std::int64_t ts = 1, tk = 1;
};
inline split_choice choose_split(const op_work& w, const edgetpu_config& c, std::int64_t lanes) noexcept {
    split_choice best;
    std::int64_t best_pos = -1, best_blocks = 0;
    const std::int64_t r_blocks = cdiv(w.r, c.cells_per_tile);
    for (std::int64_t ts = c.tiles; ts >= 1; --ts) {
        if (c.tiles % ts != 0) continue;
        const std::int64_t tk = c.tiles / ts;
        const std::int64_t blocks = cdiv(cdiv(w.k, tk), lanes) * r_blocks;
        const std::int64_t pos = blocks * cdiv(w.rows, ts) * w.width;
        if (best_pos < 0 || pos < best_pos || (pos == best_pos && blocks < best_blocks)) {
            best = {ts, tk};
            best_pos = pos;
            best_blocks = blocks;
        }
    }
    return best;
}

inline void compile_mac(op_program& p, const op_work& w, const graph::network& net, const edgetpu_config& c) {
    const auto& o = net.ops()[p.op];
    const bool dw = w.cls == op_class::depthwise;
    const std::int64_t lanes = dw ? c.depthwise_lanes : c.lanes_per_cell;
    const auto s = choose_split(w, c, lanes);
    p.ts = s.ts;
    p.tk = s.tk;
    const std::int64_t r_blocks = cdiv(w.r, c.cells_per_tile);
    const std::int64_t k_max = cdiv(w.k, s.tk);
    const std::int64_t k_blocks_max = cdiv(k_max, lanes);
    const std::int64_t blocks = k_blocks_max * r_blocks;
    require(blocks < (std::int64_t{1} << 30), "op '", o.name, "': ", blocks, " weight blocks per tile exceed the instruction format");
    p.blocks = static_cast<std::int32_t>(blocks);
    p.block_bytes.assign(static_cast<std::size_t>(s.tk * blocks), 0);
    // Channels of the input tensor per position (the stride of a depthwise lane's strided reads).
    const std::int64_t in_c = o.inputs.empty() ? 1 : net.ops()[o.inputs[0]].out.c;
    if (dw) {
        // Depthwise lanes read their own channel of each position. The compiler pads the position
        // pitch to an odd number of 4-byte words, so a lane's reads walk over every bank of the
        // narrow memory; a power-of-two pitch (64 channels) would put every read on one bank.
        p.segment = static_cast<std::int32_t>(std::min<std::int64_t>(lanes, 1 << 20));
        const std::int64_t words = cdiv(in_c, 4);
        p.segment_stride = 4 * (words % 2 == 0 ? words + 1 : words);
    }
    p.tile_begin.assign(static_cast<std::size_t>(c.tiles + 1), 0);
    std::int64_t row0_of[4096 + 1];
    {
        std::int64_t r0 = 0;
        for (std::int64_t r = 0; r < s.ts; ++r) {
            row0_of[r] = r0;
            r0 += w.rows / s.ts + (r < w.rows % s.ts ? 1 : 0);
        }
        row0_of[s.ts] = r0;
    }
    const std::string what = "op '" + o.name + "'";
    for (std::int64_t g = 0; g < s.tk; ++g) {
        const std::int64_t kt = w.k / s.tk + (g < w.k % s.tk ? 1 : 0);
        const std::int64_t kb_n = cdiv(kt, lanes);
        for (std::int64_t kb = 0; kb < kb_n; ++kb) {
            const std::int64_t kc = std::min(lanes, kt - kb * lanes);
            for (std::int64_t rb = 0; rb < r_blocks; ++rb) {
                const std::int64_t rc = std::min(c.cells_per_tile, w.r - rb * c.cells_per_tile);
                p.block_bytes[static_cast<std::size_t>(g * blocks + kb * r_blocks + rb)] =
                    kc * rc + (rb == 0 ? 4 * kc : 0);  // int8 weights, int32 biases with the first block
            }
        }
        for (std::int64_t r = 0; r < s.ts; ++r) {
            const std::int64_t t = g * s.ts + r;
            const std::int64_t rows = row0_of[r + 1] - row0_of[r];
            p.tile_begin[static_cast<std::size_t>(t)] = static_cast<std::int64_t>(p.passes.size());
            if (rows == 0 || kt == 0) continue;
            const std::int64_t in_rows = w.cls == op_class::dense ? 1 : fetched_rows(w, row0_of[r], rows);
            const std::int64_t in_w = w.cls == op_class::dense ? 1 : w.in_w;
            const std::int64_t positions = checked_mul(rows, w.width, what);
            // The line buffer of one output row must fit the tile memory next to two weight blocks.
            const std::int64_t line = checked_mul(checked_mul(std::min(w.kernel_h, w.in_h), in_w, what),
                                                  dw ? lanes : std::min(w.r, c.cells_per_tile), what);
            require(line + 2 * c.cells_per_tile * lanes <= c.tile_memory_bytes, what, ": one output row needs ", line,
                    " B of input in a tile's narrow memory, more than its ", c.tile_memory_bytes, " B");
            for (std::int64_t kb = 0; kb < kb_n; ++kb) {
                const std::int64_t kc = std::min(lanes, kt - kb * lanes);
                for (std::int64_t rb = 0; rb < r_blocks; ++rb) {
                    const std::int64_t rc = std::min(c.cells_per_tile, w.r - rb * c.cells_per_tile);
                    // Channels of one input position this block reads.
                    const std::int64_t ch = w.cls == op_class::dense ? rc : dw ? kc : cdiv(rc, w.taps);
                    tile_pass q;
                    q.block = static_cast<std::int32_t>(kb * r_blocks + rb);
                    q.positions = positions;
                    q.read_bytes = checked_mul(checked_mul(in_rows, in_w, what), ch, what);
                    q.write_bytes = rb + 1 == r_blocks ? checked_mul(positions, kc, what) : 0;
                    q.macs = checked_mul(positions, kc * rc, what);
                    p.passes.push_back(q);
                }
            }
        }
    }
    p.tile_begin[static_cast<std::size_t>(c.tiles)] = static_cast<std::int64_t>(p.passes.size());
    for (std::int64_t t = s.tk * s.ts; t < c.tiles; ++t) p.tile_begin[static_cast<std::size_t>(t)] = p.tile_begin.back();
    p.drain = c.pass_overhead_cycles / 2;
}

inline void compile_vector(op_program& p, const op_work& w, std::int64_t elements, std::int64_t bytes,
                           const edgetpu_config& c) {
    // Rows over tiles, or equal element chunks when the rows are fewer than the tiles.
    const std::int64_t pieces = w.rows >= c.tiles ? w.rows : c.tiles;
    p.tile_begin.assign(static_cast<std::size_t>(c.tiles + 1), 0);
    for (std::int64_t t = 0; t < c.tiles; ++t) {
        p.tile_begin[static_cast<std::size_t>(t)] = static_cast<std::int64_t>(p.passes.size());
        const std::int64_t n = pieces / c.tiles + (t < pieces % c.tiles ? 1 : 0);
        if (n == 0) continue;
        tile_pass q;
        // Elements and bytes of n of the `pieces` equal pieces (rounded up per piece, as each piece is
        // a separate pass over its row).
        q.positions = n * cdiv(elements, pieces);
        q.read_bytes = n * cdiv(bytes, pieces);
        p.passes.push_back(q);
    }
    p.tile_begin[static_cast<std::size_t>(c.tiles)] = static_cast<std::int64_t>(p.passes.size());
}

}  // namespace detail

/// Compiles `net` for device `c` (validated by the caller). Throws `accelnas::error` naming the op
/// for ops the device cannot run without a host fallback, zero-sized tensors, counts that overflow,
/// and passes whose working set exceeds a tile's memory.
inline program compile(const graph::network& net, const edgetpu_config& c) {
    using graph::op_kind;
    net.validate();
    program prog;
    const std::size_t n = net.size();
    const std::size_t p = partition_point(net, c);
    prog.first_host_op = p;
    const auto& ops = net.ops();
    const std::int64_t tile_capacity = detail::checked_mul(c.tiles, c.tile_memory_bytes, "config '" + c.name + "'");
    // Activation placement first: the SRAM gives the largest spill room before any parameter.
    std::vector<op_work> works(p);
    std::int64_t max_spill = 0;
    for (std::size_t i = 0; i < p; ++i) {
        if (ops[i].kind == op_kind::input) continue;
        works[i] = work_of(net, i);
        if (ops[i].kind == op_kind::reshape) continue;
        const std::int64_t need = detail::checked_add(works[i].in_bytes, works[i].out_bytes, "op '" + ops[i].name + "'");
        max_spill = std::max(max_spill, need - tile_capacity);
    }
    std::int64_t cache_left = std::max<std::int64_t>(0, c.param_cache_bytes - max_spill);
    prog.cache_capacity = cache_left;
    std::vector<std::size_t> prog_index(n, static_cast<std::size_t>(-1));
    bool device_used = false;
    for (std::size_t i = 0; i < p; ++i) device_used = device_used || ops[i].kind != op_kind::input;
    for (std::size_t i = 0; i < n; ++i)
        if (ops[i].kind == op_kind::input && device_used) prog.input_bytes += ops[i].out.elements();
    // Which tensors leave for the host: network outputs of the device part and crossing tensors.
    std::vector<char> to_host(p, 0);
    for (auto o : net.outputs())
        if (o < p) to_host[o] = 1;
    for (std::size_t i = p; i < n; ++i)
        for (auto j : ops[i].inputs)
            if (j < p) to_host[j] = 1;
    for (std::size_t i = 0; i < p; ++i) {
        const auto& o = ops[i];
        if (o.kind == op_kind::input) continue;
        const op_work& w = works[i];
        const std::string what = "op '" + o.name + "'";
        op_program q;
        q.op = i;
        q.cls = w.cls;
        q.macs = w.macs;
        q.barrier = !c.overlap_branch_setup;
        for (auto j : o.inputs) {
            if (ops[j].kind == op_kind::input) q.reads_input = true;
            else q.deps.push_back(prog_index[j]);
        }
        std::sort(q.deps.begin(), q.deps.end());
        q.deps.erase(std::unique(q.deps.begin(), q.deps.end()), q.deps.end());
        if (to_host[i]) q.output_bytes = o.out.elements();
        if (o.kind != op_kind::reshape) {
            const std::int64_t spill = std::max<std::int64_t>(0, w.in_bytes + w.out_bytes - tile_capacity);
            q.host_spill_bytes = std::max<std::int64_t>(0, spill - c.param_cache_bytes);
            q.spill_bytes = spill - q.host_spill_bytes;
        }
        q.param_bytes = w.param_bytes;
        if (w.param_bytes > 0) {
            if (w.param_bytes <= cache_left) { cache_left -= w.param_bytes; prog.param_bytes_cached += w.param_bytes; }
            else { q.streamed = true; prog.param_bytes_streamed += w.param_bytes; }
        }
        switch (o.kind) {
        case op_kind::conv2d:
        case op_kind::fully_connected:
            q.setup = setup_class::mac;
            detail::compile_mac(q, w, net, c);
            break;
        case op_kind::avg_pool:
            q.setup = setup_class::pool;
            detail::compile_mac(q, w, net, c);
            break;
        case op_kind::max_pool:
        case op_kind::global_avg_pool:
            q.setup = setup_class::pool;
            detail::compile_vector(q, w, w.vector_ops, detail::checked_add(w.in_bytes, w.out_bytes, what), c);
            break;
        case op_kind::concat: {
            // A move of every input into the concatenated tensor, then a rescale of all but the first.
            q.setup = setup_class::vector;
            q.move_bytes = w.out_bytes;
            const std::int64_t first = o.inputs.empty() ? 0 : ops[o.inputs[0]].out.elements();
            const std::int64_t rescale = std::max<std::int64_t>(0, w.in_bytes - first);
            detail::compile_vector(q, w, rescale, 2 * rescale, c);
            break;
        }
        case op_kind::reshape: {
            const std::int64_t in_h = o.inputs.empty() ? o.out.h : ops[o.inputs[0]].out.h;
            if (in_h != o.out.h) {
                q.setup = setup_class::vector;
                q.move_bytes = w.out_bytes;
            }
            q.tile_begin.assign(static_cast<std::size_t>(c.tiles + 1), 0);
            break;
        }
        default:  // element-wise, softmax, pad, batch norm, activations: add counts its rescale in vector_ops
            q.setup = setup_class::vector;
            detail::compile_vector(q, w, w.vector_ops, detail::checked_add(w.in_bytes, w.out_bytes, what), c);
            break;
        }
        prog.instructions += static_cast<std::int64_t>(q.passes.size()) + q.tk * q.blocks + 8;
        prog_index[i] = prog.ops.size();
        prog.ops.push_back(std::move(q));
    }
    prog.instructions += 8;
    return prog;
}

}  // namespace accelnas::hw
