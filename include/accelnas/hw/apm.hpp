#pragma once
/// \file
/// `hw::apm`: the analytical performance model (APM) of an Edge TPU-like device. One closed-form
/// formula, evaluated op by op in one walk over the network: per op the highest of its ceilings
/// plus its fixed costs,
/// - compute: the busiest tile's weight blocks x (its positions + pipeline fill), with the tile split
///   the compiler pass picks (fewest positions through the busiest tile, then fewest blocks);
/// - narrow (tile) memory: activation bytes read and written / tile bandwidth (depthwise lanes read
///   strided, which bank conflicts slow: their own ceiling);
/// - on-chip network: weight bytes / SRAM bandwidth (every weight group contends for it), activation
///   spills and memory moves (concat, reshapes that change rows);
/// - vector path: element operations / vector width, or bytes through the tile port;
/// - host link: input, streamed parameters (fetched while the previous op runs), spills beyond the
///   SRAM and outputs; fixed per-op and per-inference overheads.
/// Each ceiling is scaled by a factor of `apm_ceilings`, calibrated against the cycle-level simulator
/// (hw/apm_fit.hpp), not against measurements. The APM shares no timing code with the simulator:
/// only graph facts (`work_of`'s definitions) and the device config. Filling the per-op report is a
/// compile-time policy of the same walk (`estimate` fills it, `seconds` does not). The MAC ops of
/// the walk are priced several at once, in SIMD lanes of the same formula.

#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/compact_network.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/partition.hpp>
#include <accelnas/hw/report.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace accelnas::hw {

/// Scale factors of the APM's ceilings, calibrated against the simulator (hw/apm_fit.hpp). Each is
/// dimensionless: 1 is the plain roofline; below 1 means the simulator hides part of that cost
/// (e.g. set-up overlapped with the producer's drain), above 1 that it loses time there (contention,
/// bank conflicts, per-pass maxima the roofline sums).
struct apm_ceilings {
    double overhead = 1.0;  ///< share of each op's fixed set-up on the critical path
    double compute = 1.0;   ///< MAC-array ceiling (positions + fill per block)
    double narrow = 1.0;    ///< narrow-memory ceiling of contiguous (channel-blocked) accesses
    double strided = 1.0;   ///< narrow-memory ceiling of depthwise (strided) reads, on top of `narrow`
    double network = 1.0;   ///< on-chip network ceiling (weights, spills, moves)
    double vector = 1.0;    ///< vector-path ceiling

    /// Throws `accelnas::error` naming the first factor outside [0.05, 20] (a factor outside it is
    /// a fit gone wrong, not a device).
    void validate() const {
        for (auto [f, v] : {std::pair{"overhead", overhead}, {"compute", compute}, {"narrow", narrow},
                            {"strided", strided}, {"network", network}, {"vector", vector}})
            require(std::isfinite(v) && v >= 0.05 && v <= 20, "apm_ceilings: ", f, " must be in [0.05, 20], got ", v);
    }
    /// The factors as a vector (overhead, compute, narrow, strided, network, vector).
    std::array<double, 6> values() const noexcept { return {overhead, compute, narrow, strided, network, vector}; }
    /// The factors from `values()`' order.
    static apm_ceilings from(const std::array<double, 6>& v) noexcept { return {v[0], v[1], v[2], v[3], v[4], v[5]}; }
};

/// The ceilings of an APM built from a config alone: the plain roofline (every factor 1). The fitted
/// factors of each shipped target are `targets::apm_ceilings_of(name)` (what `make_target` uses):
/// they belong to that target's shipped config, not to any config of the same name.
inline apm_ceilings default_apm_ceilings() noexcept { return {}; }

/// The analytical performance model (APM) of an Edge TPU-like device: per op the highest of its
/// calibrated ceilings plus fixed costs (see the file comment).
class apm {
public:
    /// An APM of `config` with `default_apm_ceilings()`, the plain roofline (validated here: invalid values throw).
    explicit apm(edgetpu_config config) : apm(std::move(config), default_apm_ceilings()) {}
    /// An APM of `config` with ceilings `k` (e.g. from `fit_apm_ceilings`).
    apm(edgetpu_config config, apm_ceilings k) : cfg_(std::move(config)), k_(k) {
        cfg_.validate();
        k_.validate();
        init();
    }

    /// Target name.
    const std::string& name() const noexcept { return cfg_.name; }
    /// The device description.
    const edgetpu_config& config() const noexcept { return cfg_; }
    /// The ceiling factors.
    const apm_ceilings& ceilings() const noexcept { return k_; }

    /// Total seconds of one inference of `net` (no per-op table: the fast path for search loops).
    /// The same number as `estimate(net).total_seconds`, bit for bit (one formula, two policies).
    double seconds(const graph::network& net) const {
        return run<false>(network_source{net.ops().data(), net.size()}, &net, nullptr);
    }

    /// `seconds(*table.network())` from a prebuilt compact table (`hw::compact_network`): one cache
    /// line per op, for sweeps that estimate one network on many configs or repeatedly. The table's
    /// network must still be alive (partitioned networks and errors read it).
    double seconds(const compact_network& table) const {
        require(table.network() != nullptr, "hw::apm::seconds: the compact table was built from no network");
        const graph::network& net = *table.network();
        for (const auto& c : table.ops())
            if (!c.exact) return seconds(net);  // sizes beyond 32 bits: read the network itself
        return run<false>(table_source{table.ops().data(), table.input_indices().data(), table.size()}, &net, nullptr);
    }

    /// The total of a table that may have no network behind it (filled with `compact_network::push`),
    /// when the table is within the fast path's case (every op on the device, inputs first, at most
    /// 1024 ops, a power-of-two config); bit for bit `seconds(net)` of the network it describes.
    /// nullopt otherwise: `seconds(net)` then answers, and raises the errors.
    std::optional<double> fast_seconds(const compact_network& table) const {
        const double t =
            run<false>(table_source{table.ops().data(), table.input_indices().data(), table.size()}, nullptr, nullptr);
        if (!(std::isfinite(t) && t > 0)) return std::nullopt;
        return t;
    }

    /// The full report with one entry per non-input op.
    latency_report estimate(const graph::network& net) const {
        latency_report r;
        run<true>(network_source{net.ops().data(), net.size()}, &net, &r);
        return r;
    }

private:
    // ---- what the walk reads: a compact table or a network's ops (same accessors) ----
    struct table_source {
        struct view {
            const compact_op* c;
            const std::uint32_t* in;
            std::uint8_t kind_code() const noexcept { return c->kind; }
            std::uint8_t act_code() const noexcept { return c->act; }
            graph::op_kind kind() const noexcept { return c->kind_of(); }
            std::int64_t elements() const noexcept { return c->elements; }
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
        // Ops swept from memory (a few cache lines each): fetch them ahead.
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

    // Per op what the timeline needs; `detail` only when the report is filled.
    // Trivial (no initializers): the walk sets every entry it reads, and the stack array is not zeroed per call.
    struct op_cost {
        std::int64_t cost;   // cycles on the device: set-up + body (+ SRAM spill)
        std::int64_t param;  // parameter bytes
        std::int64_t link;   // host-link bytes of spills beyond the SRAM (both ways); -1: an input, not a device op
    };
    struct op_detail {
        std::int64_t overhead = 0, compute = 0, memory = 0, macs = 0;
    };
    struct body_cycles {
        std::int64_t total = 0, compute = 0, memory = 0;
    };

    static constexpr std::size_t stack_ops = 1024;

    // The one formula. Walks ops [0, n) (stopping at the first op the device cannot run), prices each
    // op, then runs the timeline; fills `rep` when Report. Errors (invalid networks, no host fallback,
    // overflow) come from the network's own checks, `partition_point` and `require_latency`.
    static const graph::network& empty_network() {
        static const graph::network none;
        return none;
    }

    template <bool Report, class Source>
    double run(const Source& src, const graph::network* net_or_null, latency_report* rep) const {
        // Without a network (fast_seconds of a bare table), every path that needs one (errors, a host
        // part) answers -1, which the caller turns into "ask seconds(net)".
        constexpr double no_network = -1.0;
        const graph::network& net = net_or_null ? *net_or_null : empty_network();
        const std::size_t n = src.n;
        if (n == 0 || n > (std::size_t{1} << 31)) {
            if (!net_or_null) return no_network;
            net.validate();
        }  // throws: empty (or absurd) network
        // Scratch: on the stack for common sizes, on the heap otherwise (and for the report's detail).
        op_cost stack_cost[Report ? 1 : stack_ops];
        std::int64_t stack_elems[Report ? 1 : stack_ops];
        std::vector<op_cost> heap_cost;
        std::vector<std::int64_t> heap_elems;
        std::vector<op_detail> detail;
        op_cost* cost = stack_cost;
        std::int64_t* elems = stack_elems;
        if (Report || n > stack_ops) {
            heap_cost.resize(n);
            heap_elems.resize(n);
            cost = heap_cost.data();
            elems = heap_elems.data();
        }
        if constexpr (Report) detail.resize(n);
        walk_result w;
        // The shifts of the shipped arrays as constants, other powers of two read at run time, other
        // sizes divided.
        bool ok;
        if (pow2_ && logs_ == coral_logs) ok = walk<Report, coral_logs>(src, cost, elems, detail.data(), w);
        else if (pow2_ && logs_ == pixel4_logs) ok = walk<Report, pixel4_logs>(src, cost, elems, detail.data(), w);
        else ok = pow2_ ? walk<Report, pow2_logs>(src, cost, elems, detail.data(), w)
                        : walk<Report, other_logs>(src, cost, elems, detail.data(), w);
        if (!ok) {
            if (!net_or_null) return no_network;
            require(!w.overflow, "'", net.name(), "' on '", cfg_.name,
                    "': a cycle count overflowed (check the config's rates and the network's sizes)");
            // An invalid network (zero-sized tensors, inputs out of order, no compute op): its own
            // checks name the problem.
            net.validate();
            for (std::size_t i = 0; i < net.size(); ++i) (void)work_of(net, i);
            fail("hw::apm: network '", net.name(), "' has no op the device runs");
        }
        const std::size_t p = w.end;
        if (p < n && !net_or_null) return no_network;
        if (p < n) (void)partition_point(net, cfg_);  // throws when the target has no host fallback
        // Outputs of the device part: its ops no later device op reads, and tensors crossing to the host.
        std::int64_t out_bytes = w.out_bytes;
        if (p < n) {
            out_bytes = crossing_bytes(net, p);
            for (auto o : net.outputs())
                if (o < p && net.ops()[o].kind != graph::op_kind::input) out_bytes += net.ops()[o].out.elements();
        }
        if (!w.device_used) out_bytes = 0;
        // ---- timeline ----
        // Parameters stay in the cache (the SRAM minus the largest activation spill) in network order
        // until it is full; the rest and spills beyond the SRAM go over the host link every inference,
        // each op's transfer starting at the earliest when the previous op starts.
        const std::int64_t capacity = std::max<std::int64_t>(0, cfg_.param_cache_bytes - w.max_spill);
        const std::int64_t in = w.device_used ? link(w.in_total) : 0;
        std::int64_t now = in, link_free = in, cached = 0, streamed = 0;
        if (Report) {
            rep->network = net.name();
            rep->target = cfg_.name;
            rep->estimator = "apm";
            rep->clock_hz = cfg_.clock_hz;
            rep->param_cache_capacity = capacity;
            rep->first_host_op = p;
        }
        if (Report || w.host_spill || w.params > capacity) {
            std::int64_t prev_start = 0, cache_left = capacity;
            for (std::size_t i = 0; i < p; ++i) {
                const op_cost& c = cost[i];
                if (c.link < 0) continue;  // an input
                std::int64_t ready = now, link_bytes = c.link;
                bool stream = false;
                if (c.param > 0) {
                    if (c.param <= cache_left) { cache_left -= c.param; cached += c.param; }
                    else { link_bytes += c.param; stream = true; streamed += c.param; }
                }
                if (link_bytes > 0) {
                    const std::int64_t start = std::max(link_free, prev_start);
                    link_free = start + link(link_bytes);
                    ready = std::max(ready, link_free);
                }
                if constexpr (Report) add_op(*rep, net, i, now, ready, c, detail[i], stream);
                prev_start = ready;
                now = ready + c.cost;
            }
        } else {
            now += w.cycles;
        }
        std::int64_t io = in;
        if (w.device_used) {
            const std::int64_t start = std::max(now, link_free);
            const std::int64_t oc = link(out_bytes);
            io += oc + (start - now);
            now = start + oc;
        }
        const double host = p < n ? host_part_seconds(net, p, cfg_.host, rep) : 0.0;
        const double total = cfg_.inference_overhead_seconds + static_cast<double>(now) / cfg_.clock_hz + host;
        if (!net_or_null && !(std::isfinite(total) && total > 0)) return no_network;
        require(std::isfinite(total) && total > 0, "'", net.name(), "' on '", cfg_.name, "' gives a latency of ", total,
                " s: a cycle or byte count overflowed (check the config's rates and sizes)");
        if (Report) {
            rep->total_cycles = now;
            rep->total_seconds = total;
            rep->param_bytes_cached = cached;
            rep->param_bytes_streamed = streamed;
            rep->input_bytes = w.device_used ? w.in_total : 0;
            rep->output_bytes = out_bytes;
            rep->io_seconds = static_cast<double>(io) / cfg_.clock_hz;
            rep->host_seconds = host;
        }
        return total;
    }

    // One report entry: the op's span, its limiter (the largest of host stall, set-up, compute and
    // memory ceilings) and achieved MACs over peak MACs during the span.
    void add_op(latency_report& rep, const graph::network& net, std::size_t i, std::int64_t now, std::int64_t ready,
                const op_cost& c, const op_detail& d, bool stream) const {
        const auto& o = net.ops()[i];
        op_latency l;
        l.index = i;
        l.name = o.name;
        l.kind = o.kind;
        l.cycles = ready - now + c.cost;
        l.seconds = static_cast<double>(l.cycles) / cfg_.clock_hz;
        const std::int64_t stall = ready - now;
        l.bound = detail::largest_limiter(static_cast<double>(d.compute), static_cast<double>(d.memory),
                                          static_cast<double>(stall), static_cast<double>(d.overhead));
        l.utilization = l.cycles > 0 ? std::min(1.0, static_cast<double>(d.macs) /
                                                         (static_cast<double>(cfg_.peak_macs_per_cycle()) * static_cast<double>(l.cycles)))
                                     : 0.0;
        l.macs = d.macs;
        l.param_bytes = c.param;
        l.params_streamed = stream;
        rep.ops.push_back(std::move(l));
    }

    // log2 of the array's tiles, cells per tile, lanes per cell and depthwise lanes when they are
    // known at compile time; -1: powers of two read at run time; -2 (all four): some size is not a
    // power of two (divisions).
    struct array_logs {
        int tiles, cells, lanes, dw_lanes;
        constexpr bool operator==(const array_logs&) const = default;
    };
    static constexpr array_logs coral_logs{4, 6, 2, 0};   // 16 tiles x 64 cells x 4 lanes (Coral)
    static constexpr array_logs pixel4_logs{4, 6, 4, 0};  // 16 lanes per cell (pixel4-edgetpu)
    static constexpr array_logs pow2_logs{-1, -1, -1, -1};
    static constexpr array_logs other_logs{-2, -2, -2, -2};
    // The shifts of `A`: its constants, or the config's.
    template <array_logs A>
    array_logs logs() const noexcept {
        return {A.tiles >= 0 ? A.tiles : logs_.tiles, A.cells >= 0 ? A.cells : logs_.cells,
                A.lanes >= 0 ? A.lanes : logs_.lanes, A.dw_lanes >= 0 ? A.dw_lanes : logs_.dw_lanes};
    }

    struct walk_result {
        std::size_t end = 0;           // the partition point (first op the device does not run, or n)
        bool device_used = false;      // some op before `end` is not an input
        std::int64_t in_total = 0;     // input bytes
        std::int64_t out_bytes = 0;    // bytes of the device ops no later op reads
        std::int64_t cycles = 0;       // sum of the ops' cost
        std::int64_t params = 0;       // sum of the ops' parameter bytes
        std::int64_t max_spill = 0;    // largest activation spill (reshapes excluded)
        bool host_spill = false;       // some op spills beyond the SRAM
        bool overflow = false;         // some op's cycle count is beyond 2^62
    };

    // Prices every op before the partition point, with the array's sizes `A` (array_logs). Returns
    // false for networks the formula cannot price (the caller raises the error).
    template <bool Report, array_logs A, class Source>
    bool walk(const Source& source, op_cost* cost, std::int64_t* elements, op_detail* det, walk_result& r) const {
        using graph::op_kind;
        // Local copies of what every op reads: the stores below cannot change them, so they stay
        // in registers instead of being read again after each store.
        const Source src = source;
        const std::size_t n = src.n;
        const std::int64_t tile_capacity = tile_capacity_, param_cache = cfg_.param_cache_bytes;
        const std::int64_t mac_overhead = mac_overhead_, pool_overhead = pool_overhead_, vector_overhead = vector_overhead_;
        // Per op true when it is no output: an input, or read by a later op (plain stores, no
        // read-modify-write chain from op to op; bool, not a byte type, which would alias
        // everything); on the stack for common sizes.
        bool read_stack[stack_ops];
        std::unique_ptr<bool[]> read_heap;
        bool* read = read_stack;
        if (n > stack_ops) {
            read_heap = std::make_unique<bool[]>(n);
            read = read_heap.get();
        }
        constexpr auto input_kind = static_cast<std::uint8_t>(op_kind::input);
        constexpr std::size_t ahead = 12;
        for (std::size_t q = 0; q < ahead; ++q) src.prefetch(q);
        std::int64_t cycles = 0, params_total = 0, max_in_out = 0, host_any = 0, in_total = 0;
        std::size_t inputs = 0;  // inputs before the partition point (the other ops are device ops)
        // MAC ops wait here (their fixed costs already counted) to be priced several at once.
        mac_batch batch;
        batch.n = 0;
        std::size_t i = 0;
        for (; i < n; ++i) {
            src.prefetch(i + ahead);
            src.prefetch_inputs(i + ahead / 2);
            const auto o = src.at(i);
            const std::int64_t elems = o.elements();
            if (elems <= 0) return false;
            elements[i] = elems;
            read[i] = o.kind_code() == input_kind;
            if (o.kind_code() == input_kind) {
                cost[i] = {0, 0, -1};
                in_total += elems;
                ++inputs;
                continue;
            }
            if (!fast_op_[(unsigned{o.kind_code()} << 3) | (unsigned{o.act_code()} & 7u)]) break;  // partition point
            const op_kind kind = o.kind();
            std::int64_t in_bytes = 0;
            const auto* in = o.inputs();
            const std::size_t n_in = o.in_count();
            for (std::size_t q = 0; q < n_in; ++q) {
                const std::size_t j = in[q];
                if (j >= i) return false;  // not topologically ordered
                in_bytes += elements[j];
                read[j] = true;
            }
            // In + out bytes decide the op's spill (below); the largest spill (reshapes excluded)
            // comes from the largest of them at the end, the spill growing with them.
            const std::int64_t in_out = in_bytes + elems;
            if (kind != op_kind::reshape) max_in_out = std::max(max_in_out, in_out);
            // The op as a MAC op (rows x width positions, k outputs, reduction r = taps x cpt channels) or
            // as a vector op (rows, element operations over bytes), as work_of describes it. Each case
            // reads the fields it needs where it needs them (values held across the switch would
            // spill from the registers).
            std::int64_t overhead = vector_overhead, params = 0, move = 0, macs = 0;
            body_cycles b;
            auto vector_op = [&](std::int64_t vrows, std::int64_t vops, std::int64_t vbytes) {
                if (vops > 0) b = vector_body<Report, A>(vrows, vops, vbytes);
            };
            switch (kind) {
            case op_kind::reshape:
                // A view, or a move over the on-chip network when the row structure changes.
                if (o.in_h() != o.out_h() && n_in > 0) move = elems;
                else overhead = 0;
                break;
            case op_kind::conv2d: {
                const std::int64_t cin = n_in == 0 ? 0 : o.in_c();
                const bool dw = graph::is_depthwise(cin, o.groups());
                const std::int64_t per_group = graph::channels_per_group(cin, o.groups());
                // taps x channels per group (1 when depthwise), the weights per filter (graph::conv_weights).
                const std::int64_t r = std::int64_t{o.kernel_h()} * o.kernel_w() * per_group;
                params = r * o.filters() + 4 * std::int64_t{o.filters()};
                overhead = mac_overhead;
                batch.push(i, o.out_h(), o.out_w(), o.filters(), r, per_group, o.kernel_h(), o.stride_h(), o.in_h(), o.in_w(), dw);
                if constexpr (Report) macs = o.out_h() * o.out_w() * o.filters() * r;
                break;
            }
            case op_kind::fully_connected: {
                const std::int64_t r = o.in_h() * o.in_w() * o.in_c();
                params = graph::dense_weights(r, o.filters()) + 4 * std::int64_t{o.filters()};
                overhead = mac_overhead;
                batch.push(i, 1, 1, o.filters(), r, r, 1, 1, 1, 1, false);
                if constexpr (Report) macs = o.filters() * r;
                break;
            }
            case op_kind::avg_pool:
                overhead = pool_overhead;
                batch.push(i, o.out_h(), o.out_w(), o.out_c(), std::int64_t{o.kernel_h()} * o.kernel_w(), 1, o.kernel_h(),
                           o.stride_h(), o.in_h(), o.in_w(), true);
                break;
            case op_kind::max_pool:
                overhead = pool_overhead;
                vector_op(o.out_h(), elems * o.kernel_h() * o.kernel_w(), in_bytes + elems);
                break;
            case op_kind::global_avg_pool:
                overhead = pool_overhead;
                vector_op(o.in_h(), in_bytes, in_bytes + elems);
                break;
            case op_kind::concat: {
                // A move of every input into one tensor, then a rescale of all inputs but the first.
                move = elems;
                const std::int64_t first = n_in == 0 ? 0 : elements[in[0]];
                const std::int64_t vops = std::max<std::int64_t>(0, in_bytes - first);
                vector_op(o.out_h(), vops, 2 * vops);
                break;
            }
            case op_kind::add:
            case op_kind::mul: vector_op(o.out_h(), std::max(in_bytes, elems), in_bytes + elems); break;
            case op_kind::softmax: vector_op(o.out_h(), 4 * elems, in_bytes + elems); break;
            case op_kind::batch_norm:
            case op_kind::activation:
            case op_kind::pad: vector_op(o.out_h(), elems, in_bytes + elems); break;
            default: return false;
            }
            if (move > 0) {
                const std::int64_t m = network_cycles(static_cast<double>(move));
                b.total = std::max(b.total, m);
                if (Report) b.memory = std::max(b.memory, m);
            }
            // Activations that do not fit the tiles spill to the SRAM (written and read back), and
            // beyond it over the host link.
            std::int64_t host_spill = 0;
            if (in_out > tile_capacity) [[unlikely]] {
                const std::int64_t spill = in_out - tile_capacity;
                host_spill = std::max<std::int64_t>(0, spill - param_cache);
                const std::int64_t s = network_cycles(2.0 * static_cast<double>(spill - host_spill));
                b.total += s;
                if (Report) b.memory += s;
                host_any |= host_spill;
            }
            const std::int64_t c = overhead + b.total;
            cost[i] = {c, params, 2 * host_spill};
            if constexpr (Report) {
                det[i] = {overhead, b.compute, b.memory, macs};
            }
            cycles += c;
            params_total += params;
            if (batch.n == mac_batch::cap) {
                if (!price_macs<Report, A>(batch, cost, det, cycles)) return r.overflow = true, false;
                batch.n = 0;
            }
        }
        const bool device_used = i > inputs;
        if (!device_used && i == n) return false;  // only inputs
        if (batch.n > 0 && !price_macs<Report, A>(batch, cost, det, cycles)) return r.overflow = true, false;
        r.end = i;
        r.device_used = device_used;
        r.in_total = in_total;
        r.cycles = cycles;
        r.params = params_total;
        r.max_spill = std::max<std::int64_t>(0, max_in_out - tile_capacity);
        r.host_spill = host_any != 0;
        // Outputs (when nothing is partitioned): the device ops no later op reads (a mask, not a
        // branch per op, which mispredicts at each output).
        std::int64_t out_bytes = 0;
        for (std::size_t j = 0; j < i; ++j) out_bytes += elements[j] & (std::int64_t{read[j]} - 1);
        r.out_bytes = out_bytes;
        return true;
    }

    // ceil(a / 2^s) (powers of two) or ceil(a / d).
    template <array_logs A>
    static std::int64_t div_up(std::int64_t a, int s, std::int64_t d) noexcept {
        if constexpr (A != other_logs) return shift_up(a, s);
        else return (a + d - 1) / d;
    }
    // ceil(a / 2^s).
    static std::int64_t shift_up(std::int64_t a, int s) noexcept { return (a + (std::int64_t{1} << s) - 1) >> s; }
    // Cycles to move or process `amount` at a rate whose inverse (cycles per unit, ceiling included)
    // is `inverse`: a multiplication, not a division, in the walk.
    static std::int64_t cycles_of(double amount, double inverse) noexcept {
        return static_cast<std::int64_t>(std::ceil(amount * inverse));
    }
    std::int64_t network_cycles(double bytes) const noexcept { return cycles_of(bytes, net_inv_); }
    std::int64_t link(std::int64_t bytes) const noexcept {
        if (bytes <= 0) return 0;
        return static_cast<std::int64_t>(
            std::ceil((cfg_.host_latency_seconds + static_cast<double>(bytes) / cfg_.host_bytes_per_second) * cfg_.clock_hz));
    }

    // ---- MAC ops: the compiler's split and the ceilings, several ops side by side ----
    // The formula runs on vectors of doubles holding exact integers (every count below 2^53 is
    // exact, and so are its products and ceiling quotients below 2^53): the same operations as the
    // 64-bit integer arithmetic they stand for, applied to `simd` ops at once. Ops are priced in
    // batches, the walk's order otherwise unchanged (cycles are sums of integers). A count beyond
    // 2^53 is rounded to the nearest double; an op's cycles beyond 2^62 are an overflow error.
#if defined(__AVX__)
    static constexpr int simd = 4;
#else
    static constexpr int simd = 2;  // 16-byte vectors: the baseline of x86-64 and Arm
#endif
    using vd = double __attribute__((vector_size(8 * simd)));
    using vmask = std::int64_t __attribute__((vector_size(8 * simd)));
    static vd splat(double v) noexcept { return vd{} + v; }
    static vd ceil_of(vd x) noexcept {
#if defined(__AVX__)
        return reinterpret_cast<vd>(_mm256_round_pd(reinterpret_cast<__m256d>(x), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC));
#else
        for (int j = 0; j < simd; ++j) x[j] = std::ceil(x[j]);
        return x;
#endif
    }
    static bool all_of(vmask m) noexcept {
#if defined(__AVX__)
        return _mm256_movemask_pd(reinterpret_cast<__m256d>(m)) == 15;
#else
        return m[0] != 0 && m[1] != 0;
#endif
    }
    static vd min_of(vd a, vd b) noexcept { return b < a ? b : a; }
    static vd max_of(vd a, vd b) noexcept { return a < b ? b : a; }

    // MAC ops waiting to be priced: rows x width output positions, k output channels, reduction
    // r = taps x cpt channels, the input rows a kernel of `kernel_h` rows at `stride_h` reads from
    // an in_h x in_w input; dw (1 or 0): depthwise (one input channel per output channel).
    struct mac_batch {
        static constexpr int cap = 64;  // a multiple of simd
        enum field { rows, width, k, r, cpt, kernel_h, stride_h, in_h, in_w, dw, fields };
        alignas(64) double v[fields][cap];
        std::uint32_t op[cap];
        int n;
        void push(std::size_t i, std::int64_t out_rows, std::int64_t out_width, std::int64_t channels, std::int64_t reduction,
                  std::int64_t per_group, std::int64_t kh, std::int64_t sh, std::int64_t ih, std::int64_t iw, bool depthwise) noexcept {
            const std::int64_t f[fields] = {out_rows, out_width, channels, reduction, per_group, kh, sh, ih, iw, depthwise ? 1 : 0};
            for (int q = 0; q < fields; ++q) v[q][n] = static_cast<double>(f[q]);
            op[n] = static_cast<std::uint32_t>(i);
            ++n;
        }
        vd at(int q, int j) const noexcept {
            vd x;
            std::memcpy(&x, &v[q][j], sizeof x);
            return x;
        }
    };
    // One candidate split: `tk` channel groups x `ts` row slices = tiles (and their inverses).
    struct split_candidate {
        double tk, ts, inv_tk, inv_ts;
    };
    struct mac_cycles {
        vd total, compute, memory;
    };

    // The MAC ops' bodies of lanes [j, j + simd) of the batch: the compiler's split (fewest positions
    // through the busiest tile, then fewest weight blocks, then more row slices), then the compute,
    // narrow-memory and network ceilings and the first weight block, which no pass can hide.
    template <array_logs A>
    [[gnu::always_inline]] mac_cycles mac_body(const mac_batch& b, int j) const noexcept {
        // ceil(a / d): with power-of-two sizes a product with the exact inverse, else a division
        // (exact for a below 2^53: the quotient is never rounded across an integer).
        constexpr bool pow2 = A != other_logs;
        auto up = [](vd a, auto d, auto inv) noexcept {
            if constexpr (pow2) return ceil_of(a * inv);
            else return ceil_of(a / d);
        };
        using f = mac_batch::field;
        const vd rows = b.at(f::rows, j), width = b.at(f::width, j), k = b.at(f::k, j), r = b.at(f::r, j);
        const vmask dw = b.at(f::dw, j) != 0.0;
        const vd lanes = dw ? splat(dw_lanes_) : splat(lanes_);
        const vd inv_lanes = dw ? splat(inv_dw_lanes_) : splat(inv_lanes_);
        const vd r_blocks = up(r, cells_, inv_cells_);
        // The split: `tk` channel groups x `ts` row slices, each tile `rows_t` rows and ceil(k / tk)
        // channels in `k_blocks` weight blocks, as (positions per block, blocks) compared
        // lexicographically (r_blocks is common); ties keep fewer channel groups (candidates come
        // in increasing tk).
        auto candidate = [&](const split_candidate& c, vd& kb, vd& rt) noexcept {
            kb = pow2 ? ceil_of(k * (inv_lanes * c.inv_tk)) : ceil_of(k / (lanes * c.tk));
            rt = up(rows, c.ts, c.inv_ts);
            return kb * rt;
        };
        vd k_blocks, rows_t;
        vd pos = candidate(splits_[0], k_blocks, rows_t);
        vd tk = splat(splits_[0].tk), inv_tk = splat(splits_[0].inv_tk);
        const std::size_t count = A.tiles >= 0 ? static_cast<std::size_t>(A.tiles) + 1 : splits_.size();
#pragma GCC unroll 16
        for (std::size_t c = 1; c < count; ++c) {
            vd kb, rt;
            const vd p = candidate(splits_[c], kb, rt);
            const vmask better = (p < pos) | ((p == pos) & (kb < k_blocks));
            pos = better ? p : pos;
            k_blocks = better ? kb : k_blocks;
            rows_t = better ? rt : rows_t;
            tk = better ? splat(splits_[c].tk) : tk;
            inv_tk = better ? splat(splits_[c].inv_tk) : inv_tk;
        }
        const vd k_t = up(k, tk, inv_tk);
        const vd blocks = k_blocks * r_blocks;
        const vd compute = ceil_of(blocks * (rows_t * width + pass_overhead_) * k_.compute);
        // Narrow memory: each block reads the input rows its output rows need (halo included), the
        // last reduction block writes the outputs.
        const vd in_rows = min_of(b.at(f::in_h, j), (rows_t - 1.0) * b.at(f::stride_h, j) + b.at(f::kernel_h, j));
        const vd channels = dw ? k_t * r_blocks : k_blocks * b.at(f::cpt, j);
        const vd read = in_rows * b.at(f::in_w, j) * channels;
        const vd write = rows_t * width * k_t;
        const vd mem = dw ? ceil_of(read * dw_inv_) + ceil_of(write * narrow_inv_) : ceil_of((read + write) * narrow_inv_);
        // The network multicasts each group's blocks: all weights cross it once.
        const vd weights = ceil_of(k_t * r * tk * net_inv_);
        const vd first = ceil_of(min_of(r, splat(cells_)) * min_of(lanes, k_t) * tk * net_inv_);
        const vd memory = max_of(mem, weights);
        return {max_of(compute, memory) + first, compute, memory};
    }

    // Prices the batch's ops and adds their bodies to their costs and to `cycles`. False when a
    // count reaches 2^62 (the caller reports the overflow).
    template <bool Report, array_logs A>
    bool price_macs(mac_batch& b, op_cost* cost, op_detail* det, std::int64_t& cycles) const noexcept {
        for (int j = b.n; j % simd != 0; ++j) {  // pad the last vector with copies of the last op
            for (int q = 0; q < mac_batch::fields; ++q) b.v[q][j] = b.v[q][b.n - 1];
        }
        // Counts in [0, 2^52) turn into integers by their bits: x + 2^52 holds x in its mantissa.
        constexpr double two52 = 4503599627370496.0, limit = 4611686018427387904.0;  // 2^52, 2^62
        constexpr std::int64_t two52_bits = 0x4330000000000000;
        bool ok = true;
        std::int64_t sum = 0;
        for (int j = 0; j < b.n; j += simd) {
            const mac_cycles m = mac_body<A>(b, j);
            vmask whole = (m.total >= 0.0) & (m.total < two52);
            if constexpr (Report) whole &= (m.compute < two52) & (m.memory < two52);
            std::int64_t c[simd];
            if (all_of(whole)) [[likely]] {
                const vmask bits = reinterpret_cast<vmask>(m.total + two52) - two52_bits;
                std::memcpy(c, &bits, sizeof c);
            } else {
                for (int l = 0; l < simd; ++l) {
                    ok &= m.total[l] >= 0 && m.total[l] < limit;
                    c[l] = static_cast<std::int64_t>(ok ? m.total[l] : 0.0);
                }
            }
            for (int l = 0; l < simd && j + l < b.n; ++l) {
                const std::uint32_t i = b.op[j + l];
                cost[i].cost += c[l];
                sum += c[l];
                if constexpr (Report) {
                    det[i].compute = static_cast<std::int64_t>(ok ? m.compute[l] : 0.0);
                    det[i].memory += static_cast<std::int64_t>(ok ? m.memory[l] : 0.0);
                }
            }
        }
        cycles += sum;
        return ok;
    }

    // A vector-path op's body: rows over tiles (or equal chunks when rows are fewer than tiles);
    // element operations / vector width or bytes through the tile port, the larger.
    template <bool Report, array_logs A>
    body_cycles vector_body(std::int64_t rows, std::int64_t vector_ops, std::int64_t bytes) const noexcept {
        const bool by_rows = rows >= cfg_.tiles;
        const std::int64_t pieces = by_rows ? rows : cfg_.tiles;
        const std::int64_t per_tile = div_up<A>(pieces, logs<A>().tiles, cfg_.tiles);
        const double per_piece = by_rows ? 1.0 / static_cast<double>(rows) : inv_tiles_;
        const std::int64_t comp = per_tile * cycles_of(static_cast<double>(vector_ops) * per_piece, vector_inv_);
        const std::int64_t mem = per_tile * cycles_of(static_cast<double>(bytes) * per_piece, narrow_inv_);
        body_cycles b;
        b.total = std::max(comp, mem);
        if constexpr (Report) {
            b.compute = comp;
            b.memory = mem;
        }
        return b;
    }

    static constexpr bool is_pow2(std::int64_t v) noexcept { return v > 0 && (v & (v - 1)) == 0; }
    static int log2_of(std::int64_t v) noexcept { return is_pow2(v) ? __builtin_ctzll(static_cast<unsigned long long>(v)) : 0; }

    // Per-config constants of the formula: the ceilings applied to the rates and fixed costs once.
    void init() {
        tile_capacity_ = cfg_.tiles * cfg_.tile_memory_bytes;
        pow2_ = is_pow2(cfg_.tiles) && is_pow2(cfg_.cells_per_tile) && is_pow2(cfg_.lanes_per_cell) &&
                is_pow2(cfg_.depthwise_lanes);
        logs_ = {log2_of(cfg_.tiles), log2_of(cfg_.cells_per_tile), log2_of(cfg_.lanes_per_cell),
                 log2_of(cfg_.depthwise_lanes)};
        narrow_inv_ = k_.narrow / cfg_.tile_bytes_per_cycle;
        dw_inv_ = narrow_inv_ * k_.strided;
        net_inv_ = k_.network / cfg_.sram_bytes_per_cycle;
        vector_inv_ = k_.vector / static_cast<double>(cfg_.vector_width);
        inv_tiles_ = 1.0 / static_cast<double>(cfg_.tiles);
        cells_ = static_cast<double>(cfg_.cells_per_tile);
        lanes_ = static_cast<double>(cfg_.lanes_per_cell);
        dw_lanes_ = static_cast<double>(cfg_.depthwise_lanes);
        inv_cells_ = 1.0 / cells_;  // exact for powers of two, the only case that multiplies by them
        inv_lanes_ = 1.0 / lanes_;
        inv_dw_lanes_ = 1.0 / dw_lanes_;
        pass_overhead_ = static_cast<double>(cfg_.pass_overhead_cycles);
        // Every split of the tiles into row slices x channel groups, in increasing channel groups.
        splits_.clear();
        for (std::int64_t tk = 1; tk <= cfg_.tiles; ++tk) {
            if (cfg_.tiles % tk != 0) continue;
            const auto g = static_cast<double>(tk), s = static_cast<double>(cfg_.tiles / tk);
            splits_.push_back({g, s, 1.0 / g, 1.0 / s});
        }
        auto scaled = [&](std::int64_t c) { return static_cast<std::int64_t>(std::llround(static_cast<double>(c) * k_.overhead)); };
        mac_overhead_ = scaled(cfg_.op_overhead_cycles);
        pool_overhead_ = scaled(cfg_.pool_overhead_cycles);
        vector_overhead_ = scaled(cfg_.vector_overhead_cycles);
        // [kind * 8 + activation]: the op runs on the device (inputs excluded), i.e. cfg_.support.supports(op).
        static_assert(graph::activation_names.size() <= 8);
        fast_op_.fill(false);
        for (std::size_t k = 0; k < cfg_.support.kinds.size(); ++k)
            for (std::size_t a = 0; a < cfg_.support.activations.size(); ++a)
                fast_op_[k * 8 + a] = k != static_cast<std::size_t>(graph::op_kind::input) &&
                                      k != static_cast<std::size_t>(graph::op_kind::opaque) && cfg_.support.kinds[k] &&
                                      cfg_.support.activations[a];
    }

    edgetpu_config cfg_;
    apm_ceilings k_;
    std::int64_t tile_capacity_ = 0;  // activation bytes the tiles hold
    bool pow2_ = false;
    array_logs logs_{0, 0, 0, 0};  // log2 of the array's sizes (0 for a size that is not a power of two)
    // Cycles per byte (or element operation) of each ceiling, its factor included.
    double narrow_inv_ = 1, dw_inv_ = 1, net_inv_ = 1, vector_inv_ = 1, inv_tiles_ = 1;
    // The array's sizes (and inverses) and the pass overhead as doubles, for the MAC formula.
    double cells_ = 1, lanes_ = 1, dw_lanes_ = 1, inv_cells_ = 1, inv_lanes_ = 1, inv_dw_lanes_ = 1, pass_overhead_ = 0;
    std::vector<split_candidate> splits_;  // the tiles' splits (see mac_body)
    std::int64_t mac_overhead_ = 0, pool_overhead_ = 0, vector_overhead_ = 0;
    std::array<bool, 8 * graph::op_kind_names.size()> fast_op_{};
};

static_assert(accelerator_model<apm>);

}  // namespace accelnas::hw
