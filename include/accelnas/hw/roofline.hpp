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
#include <array>
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
        return {body, m.compute_cycles, std::max(mem, weights), m.utilization};  // memory: its ceiling
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
        return {body, comp, mem, peak > 0 ? std::min(1.0, static_cast<double>(w.vector_ops) / peak) : 0.0};
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
    /// The same number as `estimate(net).total_seconds`, bit for bit.
    double seconds(const graph::network& net) const {
        double t = 0.0;
        // The Edge TPU's 16 tiles get an unrolled split search with constant shifts.
        if (log_tiles_ == 4 ? fast_seconds<4>(net, t) : fast_seconds<-1>(net, t)) {
            detail::require_latency(t, net, cfg_);
            return t;
        }
        return detail::run_timeline(net, cfg_, "apm", [this](const op_work& w) { return roofline_op(w, cfg_); }, nullptr);
    }

    /// The full report with one entry per non-input op.
    latency_report estimate(const graph::network& net) const {
        latency_report r;
        detail::run_timeline(net, cfg_, "apm", [this](const op_work& w) { return roofline_op(w, cfg_); }, &r);
        return r;
    }

private:
    // The common case walked over the ops with no heap allocation, no op_work and no report: every op
    // runs on the device, inputs come first, at most 1024 ops, power-of-two tiles, cells and lanes.
    // Returns false when the network or config is outside that case (or invalid); `seconds` then takes
    // the general timeline, which also raises the errors. Per op it repeats what `work_of`,
    // `roofline_op`, `op_overhead` and `detail::run_timeline` compute, with the same expressions in the
    // same order (the tests check seconds() == estimate().total_seconds exactly).
    template <int LT>  // log2(tiles) when known at compile time, -1 otherwise
    bool fast_seconds(const graph::network& net, double& total) const {
        if (!pow2_) return false;
        const std::size_t n = net.compact_ops().size();
        if (n == 0 || n > max_fast_ops) return false;
        fast_ops o;
        if (!fast_walk<LT>(net, o)) return false;
        // The parameter cache is the SRAM minus the largest activation spill (cache_capacity). When all
        // weights fit it and nothing spills beyond the SRAM, every op is cached and no op waits for the
        // host link: the timeline is the input transfer plus the sum of the ops' cycles.
        const std::int64_t capacity = std::max<std::int64_t>(0, cfg_.param_cache_bytes - o.max_spill);
        const std::int64_t in = detail::link_cycles(o.in_total, cfg_);
        std::int64_t now = in, link_free = in;
        if (o.host_spill || o.params > capacity) {
            // The timeline of detail::run_timeline: parameters cached in order until the cache is
            // full, the rest and host spills over the link, at the earliest when the previous op starts.
            std::int64_t prev_start = 0, cache_left = capacity;
            for (std::size_t i = o.first; i < n; ++i) {
                std::int64_t ready = now, link_bytes = o.op[i].link;
                const std::int64_t params = o.op[i].param;
                if (params > 0) {
                    if (params <= cache_left) cache_left -= params;
                    else link_bytes += params;  // streamed over the link every inference
                }
                if (link_bytes > 0) {
                    const std::int64_t start = std::max(link_free, prev_start);
                    link_free = start + detail::link_cycles(link_bytes, cfg_);
                    ready = std::max(ready, link_free);
                }
                prev_start = ready;
                now = ready + o.op[i].cost;
            }
        } else {
            now += o.cycles;
        }
        const std::int64_t start = std::max(now, link_free);
        now = start + detail::link_cycles(o.out_bytes, cfg_);
        total = cfg_.inference_overhead_seconds + static_cast<double>(now) / cfg_.clock_hz;
        return true;
    }

    static constexpr std::size_t max_fast_ops = 1024;
    // What fast_walk leaves for the timeline: per op its cycles on the device (overhead, body and SRAM
    // spill), parameter bytes and host-link spill bytes, and the totals.
    struct fast_ops {
        std::size_t first = 0;          // the first non-input op
        std::int64_t in_total = 0;      // input bytes
        std::int64_t out_bytes = 0;     // bytes of the network outputs
        std::int64_t cycles = 0;        // sum of cost
        std::int64_t params = 0;        // sum of param
        std::int64_t max_spill = 0;     // largest activation spill of the non-free ops
        bool host_spill = false;        // some op spills beyond the SRAM
        struct {
            std::int64_t cost, param, link;  // link: 2 x host spill
        } op[max_fast_ops];  // per op (24 KiB on the stack with fast_walk's 8 KiB of elements)
    };

    // One walk over the ops: fills `f` (see fast_ops). Returns false outside the fast path's case.
    // It reads the network's compact op table (one cache line per op, the first input's shape in it)
    // and its flat input indices, both in op order, instead of the ops and their inputs vectors.
    template <int LT>
    bool fast_walk(const graph::network& net, fast_ops& f) const {
        using graph::op_kind;
        const graph::compact_op* const ops = net.compact_ops().data();
        const std::uint32_t* const inputs = net.input_indices().data();
        const std::size_t n = net.compact_ops().size();
        // One bit per op consumed by a later op (the others are the network outputs), in a local
        // array: no allocation, and the compiler knows it aliases neither the ops nor the config.
        std::uint64_t used[max_fast_ops / 64] = {};
        std::int64_t elements[max_fast_ops];  // output elements of the ops walked so far
        constexpr auto input_kind = static_cast<std::uint8_t>(op_kind::input);
        std::size_t i = 0;
        std::int64_t in_total = 0;
        for (; i < n && ops[i].kind == input_kind; ++i) {
            const std::int64_t elems = ops[i].elements;
            if (elems <= 0) return false;
            elements[i] = elems;
            in_total += elems;
        }
        // no compute op or no input: the general path throws
        if (i == n || in_total == 0) return false;
        f.first = i;
        f.in_total = in_total;
        std::int64_t cycles = 0, params_total = 0, max_spill = 0, host_any = 0;
        for (; i < n; ++i) {
            const graph::compact_op& o = ops[i];
            const op_kind kind = o.kind_of();
            const std::int64_t elems = o.elements;
            // Zero-sized tensors, sizes beyond the compact table's 32 bits, inputs after compute ops and
            // ops partitioned to the host take the general path.
            if (elems <= 0 || !o.exact || !fast_op_[(unsigned{o.kind} << 3) | (unsigned{o.act} & 7u)]) return false;
            elements[i] = elems;
            std::int64_t in_bytes = 0;
            const std::uint32_t* in = inputs + o.in_begin;
            const std::size_t n_in = o.in_count;
            for (std::size_t q = 0; q < n_in; ++q) {
                const std::size_t j = in[q];
                if (j >= i) return false;  // not topologically ordered: general path
                in_bytes += elements[j];
                used[j >> 6] |= std::uint64_t{1} << (j & 63);
            }
            // Activations that do not fit the tiles spill to the SRAM (written and read back), and
            // beyond it over the host link (activation_spill and detail::run_timeline).
            const std::int64_t spill = std::max<std::int64_t>(0, in_bytes + elems - tile_capacity_);
            const std::int64_t host_spill = std::max<std::int64_t>(0, spill - cfg_.param_cache_bytes);
            if (kind != op_kind::reshape) max_spill = std::max(max_spill, spill);
            // x: the first input's shape (the op's own without inputs), as in the compact op.
            const std::int64_t x_h = o.in_h, x_w = o.in_w, x_c = o.in_c;
            // The op as a MAC op (rows x width positions, k outputs, reduction r = taps x cpt channels) or
            // as a vector op (vrows rows, vops element operations), as work_of describes it.
            std::int64_t overhead = cfg_.vector_overhead_cycles, params = 0;
            std::int64_t rows = o.out_h, width = o.out_w, k = o.filters, r = 0, cpt = 1;
            std::int64_t kh = o.kernel_h, sh = o.stride_h, in_h = x_h, in_w = x_w;
            std::int64_t vrows = o.out_h, vops = -1;  // vops < 0: a MAC op
            bool dw = false;
            switch (kind) {
            case op_kind::reshape: overhead = 0; vops = 0; break;
            case op_kind::conv2d: {
                const std::int64_t cin = n_in == 0 ? 0 : x_c;
                const std::int64_t taps = std::int64_t{o.kernel_h} * o.kernel_w;
                const std::int64_t groups = o.groups;
                dw = groups > 1 && groups == cin;
                // cin / groups without a division for the common regular and depthwise convs
                const std::int64_t per_group = groups == 1 ? cin : dw ? 1 : cin / groups;
                params = taps * per_group * o.filters + 4 * std::int64_t{o.filters};
                r = dw ? taps : taps * per_group;
                cpt = per_group;
                overhead = cfg_.op_overhead_cycles;
                break;
            }
            case op_kind::fully_connected:
                r = cpt = x_h * x_w * x_c;
                params = r * o.filters + 4 * std::int64_t{o.filters};
                rows = width = kh = sh = in_h = in_w = 1;
                overhead = cfg_.op_overhead_cycles;
                break;
            case op_kind::avg_pool:
                r = std::int64_t{o.kernel_h} * o.kernel_w;
                k = o.out_c;
                dw = true;
                overhead = cfg_.pool_overhead_cycles;
                break;
            case op_kind::max_pool:
                vops = elems * o.kernel_h * o.kernel_w;
                overhead = cfg_.pool_overhead_cycles;
                break;
            case op_kind::global_avg_pool:
                vrows = x_h;
                vops = in_bytes;
                overhead = cfg_.pool_overhead_cycles;
                break;
            case op_kind::add:
            case op_kind::mul:
            case op_kind::concat: vops = std::max(in_bytes, elems); break;
            case op_kind::softmax: vops = 4 * elems; break;
            case op_kind::batch_norm:
            case op_kind::activation:
            case op_kind::pad: vops = elems; break;
            default: return false;
            }
            std::int64_t body = 0;
            if (vops < 0) {
                // k_blocks * r / taps below becomes the integer k_blocks * cpt: exact while it fits a double.
                if (params > (std::int64_t{1} << 52)) return false;
                body = mac_body<LT>(rows, width, k, r, cpt, kh, sh, in_h, in_w, dw);
            }
            else if (kind != op_kind::reshape) body = vector_body(vrows, vops, in_bytes + elems);
            if (spill > 0)
                body += detail::cycles_for_bytes(2.0 * static_cast<double>(spill - host_spill), cfg_.sram_bytes_per_cycle);
            const std::int64_t cost = overhead + body;
            f.op[i] = {cost, params, 2 * host_spill};
            cycles += cost;
            params_total += params;
            host_any |= host_spill;
        }
        f.cycles = cycles;
        f.params = params_total;
        f.max_spill = max_spill;
        f.host_spill = host_any != 0;
        // Outputs of the device part (all of it here): the non-input ops no later op consumes.
        std::int64_t out_bytes = 0;
        for (std::size_t wi = 0; wi * 64 < n; ++wi) {
            std::uint64_t m = ~used[wi];
            if (n - wi * 64 < 64) m &= (std::uint64_t{1} << (n - wi * 64)) - 1;
            for (; m; m &= m - 1) {
                const std::size_t j = wi * 64 + static_cast<std::size_t>(__builtin_ctzll(m));
                if (j >= f.first) out_bytes += elements[j];
            }
        }
        f.out_bytes = out_bytes;
        return true;
    }

    // `roofline_op(...).total` of a MAC op without building op_work or mac_mapping and without the
    // utilization: map_mac's power-of-two split search, then the compute, tile-memory and SRAM
    // ceilings. LT: log2(tiles) or -1 (see fast_seconds).
    template <int LT>
    [[gnu::always_inline]] std::int64_t mac_body(std::int64_t rows, std::int64_t width, std::int64_t k, std::int64_t r,
                                                 std::int64_t cpt, std::int64_t kernel_h, std::int64_t stride_h,
                                                 std::int64_t in_h, std::int64_t in_w, bool dw) const noexcept {
        using detail::cycles_for_bytes;
        const int lt = LT >= 0 ? LT : log_tiles_;
        const int ll = dw ? log_dw_lanes_ : log_lanes_;
        const std::int64_t lanes = std::int64_t{1} << ll;
        // k_blocks of a split = ceil(ceil(k / tk) / lanes) = ceil(kl / tk) with kl = ceil(k / lanes): one
        // shift by the lanes here, constant shifts by the tiles in the search.
        const std::int64_t kl = (k + lanes - 1) >> ll;
        const std::int64_t r_blocks = (r + cfg_.cells_per_tile - 1) >> log_cells_;
        const std::int64_t pass = cfg_.pass_overhead_cycles;
        // map_mac's search: the fewest k_blocks * r_blocks * (rows_t * width + pass) cycles, ties to
        // more tiles on rows. r_blocks > 0 is common to all splits, so it is applied to the winner only.
        auto split_cycles = [&](int s) {
            const std::int64_t rt = (rows + (std::int64_t{1} << s) - 1) >> s;
            const std::int64_t kb = (kl + (std::int64_t{1} << (lt - s)) - 1) >> (lt - s);
            return kb * (rt * width + pass);
        };
        std::int64_t best = split_cycles(lt);
        int best_s = lt;
#pragma GCC unroll 16
        for (int s = lt - 1; s >= 0; --s) {
            const std::int64_t cycles = split_cycles(s);
            if (cycles < best) { best = cycles; best_s = s; }
        }
        // Hide the winner from the optimizer: otherwise it specialises the code below on each split, and
        // every taken branch above then materialises four constants (measured 2-3% slower per estimate).
        __asm__("" : "+r"(best_s));
        best *= r_blocks;
        const std::int64_t rows_t = (rows + (std::int64_t{1} << best_s) - 1) >> best_s;
        const std::int64_t k_t = (k + (std::int64_t{1} << (lt - best_s)) - 1) >> (lt - best_s);
        const std::int64_t k_blocks = (k_t + lanes - 1) >> ll;
        const std::int64_t tk = std::int64_t{1} << (lt - best_s);
        const std::int64_t in_rows = std::min(in_h, (rows_t - 1) * stride_h + kernel_h);
        const double channels = dw ? static_cast<double>(k_t * r_blocks)
                                   : static_cast<double>(k_blocks * cpt);  // == (k_blocks * r) / taps, r = taps * cpt
        const double read = static_cast<double>(in_rows * in_w) * channels;
        const double write = static_cast<double>(rows_t * width * k_t);
        const std::int64_t mem = cycles_for_bytes(read + write, cfg_.tile_bytes_per_cycle);
        // x / (sram / tk) with tk a power of two is exactly (x * tk) / sram: one division fewer.
        const double sram = cfg_.sram_bytes_per_cycle, tkd = static_cast<double>(tk);
        const std::int64_t weights = cycles_for_bytes(static_cast<double>(k_t * r) * tkd, sram);
        const std::int64_t first = cycles_for_bytes(
            static_cast<double>(std::min(r, cfg_.cells_per_tile) * std::min(lanes, k_t)) * tkd, sram);
        return std::max({best, mem, weights}) + first;
    }

    // `roofline_op(...).total` of a vector-path op.
    std::int64_t vector_body(std::int64_t rows, std::int64_t vector_ops, std::int64_t bytes) const noexcept {
        using detail::cycles_for_bytes;
        const std::int64_t pieces = rows >= cfg_.tiles ? rows : cfg_.tiles;
        const std::int64_t per_tile = (pieces + cfg_.tiles - 1) >> log_tiles_;
        const std::int64_t comp = per_tile * cycles_for_bytes(static_cast<double>(vector_ops) / static_cast<double>(pieces),
                                                              static_cast<double>(cfg_.vector_width));
        const std::int64_t mem = per_tile * cycles_for_bytes(static_cast<double>(bytes) / static_cast<double>(pieces),
                                                             cfg_.tile_bytes_per_cycle);
        return std::max(comp, mem);
    }

    static constexpr bool is_pow2(std::int64_t v) noexcept { return v > 0 && (v & (v - 1)) == 0; }
    static int log2_of(std::int64_t v) noexcept { return is_pow2(v) ? __builtin_ctzll(static_cast<unsigned long long>(v)) : 0; }

    edgetpu_config cfg_;
    // Per-config constants of the fast path (after cfg_: initialized from it).
    std::int64_t tile_capacity_ = cfg_.tiles * cfg_.tile_memory_bytes;  // activation bytes the tiles hold
    bool pow2_ = is_pow2(cfg_.tiles) && is_pow2(cfg_.cells_per_tile) && is_pow2(cfg_.lanes_per_cell) &&
                 is_pow2(cfg_.depthwise_lanes);
    int log_tiles_ = log2_of(cfg_.tiles), log_cells_ = log2_of(cfg_.cells_per_tile);
    int log_lanes_ = log2_of(cfg_.lanes_per_cell), log_dw_lanes_ = log2_of(cfg_.depthwise_lanes);
    // [kind * 8 + activation]: the op runs on the device in the fast path (inputs excluded: they come
    // first), i.e. cfg_.support.supports(op).
    static_assert(graph::activation_names.size() <= 8);
    std::array<bool, 8 * graph::op_kind_names.size()> fast_op_ = [this] {
        std::array<bool, 8 * graph::op_kind_names.size()> t{};
        for (std::size_t k = 0; k < cfg_.support.kinds.size(); ++k)
            for (std::size_t a = 0; a < cfg_.support.activations.size(); ++a)
                t[k * 8 + a] = k != static_cast<std::size_t>(graph::op_kind::input) && cfg_.support.kinds[k] &&
                               cfg_.support.activations[a];
        return t;
    }();
};

static_assert(accelerator_model<roofline>);

}  // namespace accelnas::hw
