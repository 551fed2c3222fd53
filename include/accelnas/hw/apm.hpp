#pragma once
/// \file
/// `hw::apm`: the analytical performance model (APM) of an Edge TPU-like device. Per op, in
/// closed form, the time is the highest of its ceilings plus its fixed costs:
/// - compute: MACs / (peak MAC rate x mapping utilization) - the utilization lost to shape mapping
///   (tile split, partial blocks, shallow reductions, depthwise lanes, per-block fill) comes from the
///   same mapping as the simulator's (hw/mapping.hpp);
/// - narrow (tile) memory: activation bytes read and written / tile bandwidth;
/// - shared SRAM: weight bytes / SRAM bandwidth, and activation spills;
/// - host link: streamed parameters and spills beyond the SRAM (overlapped with the previous op);
/// - fixed per-op overhead, plus input/output transfer and per-inference overhead.
/// It takes the same `edgetpu_config` as the simulator, so the two compare on one description.

#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/compact_network.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/timeline.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace accelnas::hw {

/// Closed-form device cycles of one op (overhead and transfers excluded).
inline op_cycles apm_op(const op_work& w, const edgetpu_config& c) noexcept {
    using detail::ceil_div;
    using detail::cycles_for;
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
        const std::int64_t mem = cycles_for(read + write, c.tile_bytes_per_cycle);
        const double wbw = c.sram_bytes_per_cycle / static_cast<double>(m.tk);
        const std::int64_t weights = cycles_for(static_cast<double>(m.k_t * w.r), wbw);
        const std::int64_t first = cycles_for(
            static_cast<double>(std::min(w.r, c.cells_per_tile) * std::min(m.lanes, m.k_t)), wbw);
        const std::int64_t body = std::max({m.compute_cycles, mem, weights}) + first;
        return {body, m.compute_cycles, std::max(mem, weights), m.utilization};  // memory: its ceiling
    }
    case op_class::vector: {
        const std::int64_t pieces = w.rows >= c.tiles ? w.rows : c.tiles;
        const std::int64_t per_tile = ceil_div(pieces, c.tiles);
        const std::int64_t comp = per_tile * cycles_for(static_cast<double>(w.vector_ops) / static_cast<double>(pieces),
                                                              static_cast<double>(c.vector_width));
        const std::int64_t mem = per_tile * cycles_for(static_cast<double>(w.in_bytes + w.out_bytes) / static_cast<double>(pieces),
                                                             c.tile_bytes_per_cycle);
        const std::int64_t body = std::max(comp, mem);
        const double peak = static_cast<double>(body) * static_cast<double>(c.tiles * c.vector_width);
        return {body, comp, mem, peak > 0 ? std::min(1.0, static_cast<double>(w.vector_ops) / peak) : 0.0};
    }
    }
    return {};
}

/// The analytical performance model (APM) of an Edge TPU-like device: per op the highest of its
/// roofline ceilings plus fixed costs.
class apm {
public:
    /// An APM of `config` (validated here: zero or negative resources throw).
    explicit apm(edgetpu_config config) : cfg_(std::move(config)) { cfg_.validate(); }

    /// Target name.
    const std::string& name() const noexcept { return cfg_.name; }
    /// The device description.
    const edgetpu_config& config() const noexcept { return cfg_; }

    /// Total seconds of one inference of `net` (no per-op table: the fast path for search loops).
    /// The same number as `estimate(net).total_seconds`, bit for bit. Reads the ops, making each
    /// compact on the fly (`compact_of`); nothing is allocated.
    double seconds(const graph::network& net) const {
        double t = 0.0;
        if (try_fast(network_source{net.ops().data(), net.size()}, t)) {
            detail::require_latency(t, net, cfg_);
            return t;
        }
        return general_seconds(net);
    }

    /// `seconds(*table.network())` from a prebuilt compact table (`hw::compact_network`): one cache
    /// line per op, for sweeps that estimate one network on many configs or repeatedly. The table's
    /// network must still be alive (the general path reads it).
    double seconds(const compact_network& table) const {
        require(table.network() != nullptr, "hw::apm::seconds: the compact table was built from no network");
        double t = 0.0;
        if (try_fast(table_source{table.ops().data(), table.input_indices().data(), table.size()}, t)) {
            detail::require_latency(t, *table.network(), cfg_);
            return t;
        }
        return general_seconds(*table.network());
    }

    /// The total of a table that may have no network behind it (filled with `compact_network::push`),
    /// when the table is within the fast path's case (every op on the device, inputs first, at most
    /// 1024 ops, a power-of-two config); bit for bit `seconds(net)` of the network it describes.
    /// nullopt otherwise: `seconds(net)` then answers, and raises the errors.
    std::optional<double> fast_seconds(const compact_network& table) const {
        double t = 0.0;
        if (!try_fast(table_source{table.ops().data(), table.input_indices().data(), table.size()}, t) ||
            !(std::isfinite(t) && t > 0))
            return std::nullopt;
        return t;
    }

    /// The full report with one entry per non-input op.
    latency_report estimate(const graph::network& net) const {
        latency_report r;
        detail::run_timeline(net, cfg_, "apm", [this](const op_work& w) { return apm_op(w, cfg_); }, &r);
        return r;
    }

private:
    double general_seconds(const graph::network& net) const {
        return detail::run_timeline(net, cfg_, "apm", [this](const op_work& w) { return apm_op(w, cfg_); }, nullptr);
    }

    // The common case walked over the compact ops with no heap allocation, no op_work and no report:
    // every op runs on the device, inputs come first, at most 1024 ops, power-of-two tiles, cells and
    // lanes. Returns false when the network or config is outside that case (or invalid); `seconds`
    // then takes the general timeline, which also raises the errors. Per op it repeats what
    // `work_of`, `apm_op`, `op_overhead` and `detail::run_timeline` compute, with the same expressions
    // in the same order (the tests check seconds() == estimate().total_seconds exactly).
    template <class Source>
    bool try_fast(const Source& src, double& total) const {
        // The Edge TPU's 16 tiles get an unrolled split search with constant shifts.
        return log_tiles_ == 4 ? fast_seconds<4>(src, total) : fast_seconds<-1>(src, total);
    }

    // What fast_walk reads: a prebuilt compact table, or a network's ops. `at(i)` is a view of op i
    // with the same accessors on both (the compact op's fields; the first input's shape as in_h,
    // in_w, in_c); `kind(i)` and `elements(i)` serve the leading inputs; `prefetch(i)` asks for an op
    // that will be read soon (the 216-byte ops of a network swept from memory; a table needs none).
    struct table_source {
        struct view {
            const compact_op* c;
            const std::uint32_t* in;
            std::uint8_t kind_code() const noexcept { return c->kind; }
            std::uint8_t act_code() const noexcept { return c->act; }
            graph::op_kind kind() const noexcept { return c->kind_of(); }
            std::int64_t elements() const noexcept { return c->elements; }
            bool exact() const noexcept { return c->exact; }
            std::int64_t out_h() const noexcept { return c->out_h; }
            std::int64_t out_w() const noexcept { return c->out_w; }
            std::int64_t out_c() const noexcept { return c->out_c; }
            std::int64_t in_h() const noexcept { return c->in_h; }
            std::int64_t in_w() const noexcept { return c->in_w; }
            std::int64_t in_c() const noexcept { return c->in_c; }
            std::int64_t filters() const noexcept { return c->filters; }
            std::int64_t groups() const noexcept { return c->groups; }
            int kernel_h() const noexcept { return c->kernel_h; }
            int kernel_w() const noexcept { return c->kernel_w; }
            int stride_h() const noexcept { return c->stride_h; }
            std::size_t in_count() const noexcept { return c->in_count; }
            const std::uint32_t* inputs() const noexcept { return in + c->in_begin; }
        };
        const compact_op* ops;
        const std::uint32_t* inputs;
        std::size_t n;
        view at(std::size_t i) const noexcept { return {ops + i, inputs}; }
        std::uint8_t kind(std::size_t i) const noexcept { return ops[i].kind; }
        std::int64_t elements(std::size_t i) const noexcept { return ops[i].elements; }
        void prefetch(std::size_t) const noexcept {}
        void prefetch_inputs(std::size_t) const noexcept {}
    };
    struct network_source {
        struct view {
            const graph::op* o;
            const graph::tensor_shape* x;  // shape of the first input (the op's own without inputs)
            std::uint8_t kind_code() const noexcept { return static_cast<std::uint8_t>(o->kind); }
            std::uint8_t act_code() const noexcept { return static_cast<std::uint8_t>(o->act); }
            graph::op_kind kind() const noexcept { return o->kind; }
            std::int64_t elements() const noexcept { return o->out.elements(); }
            bool exact() const noexcept { return true; }  // 64-bit sizes: nothing narrowed
            std::int64_t out_h() const noexcept { return o->out.h; }
            std::int64_t out_w() const noexcept { return o->out.w; }
            std::int64_t out_c() const noexcept { return o->out.c; }
            std::int64_t in_h() const noexcept { return x->h; }
            std::int64_t in_w() const noexcept { return x->w; }
            std::int64_t in_c() const noexcept { return x->c; }
            std::int64_t filters() const noexcept { return o->filters; }
            std::int64_t groups() const noexcept { return o->groups; }
            int kernel_h() const noexcept { return o->kernel_h; }
            int kernel_w() const noexcept { return o->kernel_w; }
            int stride_h() const noexcept { return o->stride_h; }
            std::size_t in_count() const noexcept { return o->inputs.size(); }
            const std::size_t* inputs() const noexcept { return o->inputs.data(); }
        };
        const graph::op* ops;
        std::size_t n;
        view at(std::size_t i) const noexcept {
            const graph::op& o = ops[i];
            return {&o, o.inputs.empty() ? &o.out : &ops[o.inputs[0]].out};
        }
        std::uint8_t kind(std::size_t i) const noexcept { return static_cast<std::uint8_t>(ops[i].kind); }
        std::int64_t elements(std::size_t i) const noexcept { return ops[i].out.elements(); }
        void prefetch(std::size_t i) const noexcept {
            if (i >= n) return;
            const char* p = reinterpret_cast<const char*>(ops + i);
            for (std::size_t b = 0; b < sizeof(graph::op); b += 64) __builtin_prefetch(p + b);
            __builtin_prefetch(p + sizeof(graph::op) - 1);
        }
        void prefetch_inputs(std::size_t i) const noexcept {
            if (i < n) __builtin_prefetch(ops[i].inputs.data());
        }
    };

    template <int LT, class Source>  // LT: log2(tiles) when known at compile time, -1 otherwise
    bool fast_seconds(const Source& src, double& total) const {
        if (!pow2_) return false;
        const std::size_t n = src.n;
        if (n == 0 || n > max_fast_ops) return false;
        fast_ops o;
        if (!fast_walk<LT>(src, o)) return false;
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
    // It reads each op as a compact op (the first input's shape in it) from `src` (see table_source).
    template <int LT, class Source>
    bool fast_walk(const Source& src, fast_ops& f) const {
        using graph::op_kind;
        const std::size_t n = src.n;
        // One bit per op consumed by a later op (the others are the network outputs), in a local
        // array: no allocation, and the compiler knows it aliases neither the ops nor the config.
        std::uint64_t used[max_fast_ops / 64] = {};
        std::int64_t elements[max_fast_ops];  // output elements of the ops walked so far
        constexpr auto input_kind = static_cast<std::uint8_t>(op_kind::input);
        // Ops read from memory (a network swept by a search): fetch them ahead.
        constexpr std::size_t ahead = 12;
        for (std::size_t q = 0; q < ahead; ++q) src.prefetch(q);
        std::size_t i = 0;
        std::int64_t in_total = 0;
        for (; i < n && src.kind(i) == input_kind; ++i) {
            const std::int64_t elems = src.elements(i);
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
            src.prefetch(i + ahead);
            src.prefetch_inputs(i + ahead / 2);
            const auto o = src.at(i);  // a view of op i (see table_source)
            const op_kind kind = o.kind();
            const std::int64_t elems = o.elements();
            // Zero-sized tensors, sizes beyond the compact table's 32 bits, inputs after compute ops and
            // ops partitioned to the host take the general path.
            if (elems <= 0 || !o.exact() || !fast_op_[(unsigned{o.kind_code()} << 3) | (unsigned{o.act_code()} & 7u)]) return false;
            elements[i] = elems;
            std::int64_t in_bytes = 0;
            const auto* in = o.inputs();
            const std::size_t n_in = o.in_count();
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
            const std::int64_t x_h = o.in_h(), x_w = o.in_w(), x_c = o.in_c();
            // The op as a MAC op (rows x width positions, k outputs, reduction r = taps x cpt channels) or
            // as a vector op (vrows rows, vops element operations), as work_of describes it.
            std::int64_t overhead = cfg_.vector_overhead_cycles, params = 0;
            std::int64_t rows = o.out_h(), width = o.out_w(), k = o.filters(), r = 0, cpt = 1;
            std::int64_t kh = o.kernel_h(), sh = o.stride_h(), in_h = x_h, in_w = x_w;
            std::int64_t vrows = o.out_h(), vops = -1;  // vops < 0: a MAC op
            bool dw = false;
            switch (kind) {
            case op_kind::reshape: overhead = 0; vops = 0; break;
            case op_kind::conv2d: {
                const std::int64_t cin = n_in == 0 ? 0 : x_c;
                const std::int64_t taps = std::int64_t{o.kernel_h()} * o.kernel_w();
                dw = graph::is_depthwise(cin, o.groups());
                const std::int64_t per_group = graph::channels_per_group(cin, o.groups());
                params = graph::conv_weights(o.kernel_h(), o.kernel_w(), cin, o.groups(), o.filters()) + 4 * std::int64_t{o.filters()};
                r = dw ? taps : taps * per_group;
                cpt = per_group;
                overhead = cfg_.op_overhead_cycles;
                break;
            }
            case op_kind::fully_connected:
                r = cpt = x_h * x_w * x_c;
                params = graph::dense_weights(r, o.filters()) + 4 * std::int64_t{o.filters()};
                rows = width = kh = sh = in_h = in_w = 1;
                overhead = cfg_.op_overhead_cycles;
                break;
            case op_kind::avg_pool:
                r = std::int64_t{o.kernel_h()} * o.kernel_w();
                k = o.out_c();
                dw = true;
                overhead = cfg_.pool_overhead_cycles;
                break;
            case op_kind::max_pool:
                vops = elems * o.kernel_h() * o.kernel_w();
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
                body += detail::cycles_for(2.0 * static_cast<double>(spill - host_spill), cfg_.sram_bytes_per_cycle);
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

    // `apm_op(...).total` of a MAC op without building op_work or mac_mapping and without the
    // utilization: map_mac's power-of-two split search, then the compute, tile-memory and SRAM
    // ceilings. LT: log2(tiles) or -1 (see fast_seconds).
    template <int LT>
    [[gnu::always_inline]] std::int64_t mac_body(std::int64_t rows, std::int64_t width, std::int64_t k, std::int64_t r,
                                                 std::int64_t cpt, std::int64_t kernel_h, std::int64_t stride_h,
                                                 std::int64_t in_h, std::int64_t in_w, bool dw) const noexcept {
        using detail::cycles_for;
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
        // every taken branch above then materialises four constants.
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
        const std::int64_t mem = cycles_for(read + write, cfg_.tile_bytes_per_cycle);
        // x / (sram / tk) with tk a power of two is exactly (x * tk) / sram: one division fewer.
        const double sram = cfg_.sram_bytes_per_cycle, tkd = static_cast<double>(tk);
        const std::int64_t weights = cycles_for(static_cast<double>(k_t * r) * tkd, sram);
        const std::int64_t first = cycles_for(
            static_cast<double>(std::min(r, cfg_.cells_per_tile) * std::min(lanes, k_t)) * tkd, sram);
        return std::max({best, mem, weights}) + first;
    }

    // `apm_op(...).total` of a vector-path op.
    std::int64_t vector_body(std::int64_t rows, std::int64_t vector_ops, std::int64_t bytes) const noexcept {
        using detail::cycles_for;
        const std::int64_t pieces = rows >= cfg_.tiles ? rows : cfg_.tiles;
        const std::int64_t per_tile = (pieces + cfg_.tiles - 1) >> log_tiles_;
        const std::int64_t comp = per_tile * cycles_for(static_cast<double>(vector_ops) / static_cast<double>(pieces),
                                                              static_cast<double>(cfg_.vector_width));
        const std::int64_t mem = per_tile * cycles_for(static_cast<double>(bytes) / static_cast<double>(pieces),
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

static_assert(accelerator_model<apm>);

}  // namespace accelnas::hw
