#pragma once
/// \file
/// The simulated Edge TPU: executes a compiled `program` (hw/compiler.hpp) event by event in integer
/// cycles. Components, each with its own state and queue:
/// - the sequencer issues ops in program order; an op's fixed set-up (instruction issue, sync) runs
///   once the ops it reads are done and may overlap the drain of its producer's last pass;
///   independent ops (branches) set up while earlier ops still compute, unless the program puts a
///   barrier before the op (then every earlier op must be done);
/// - each tile runs its passes in program order: a MAC pass fills the systolic array, streams its
///   positions one per cycle and drains (`pass_overhead_cycles` for fill and drain), while its input
///   and output bytes move through the tile's narrow memory (banks: strided accesses conflict); the
///   pass takes the longer of the two. A vector chunk takes elements / `vector_width` or its bytes
///   through the same port;
/// - weights sit in a two-slot buffer per tile (double buffering): the on-chip network multicasts a
///   weight block from the parameter SRAM to the tiles of its group when every tile of the group has
///   freed a slot; the network is one first-come-first-served server (`sram_bytes_per_cycle`), so
///   groups, spills and moves contend for it;
/// - the host link carries the DMA engines' transfers one at a time (input, parameters streamed
///   every inference - prefetched when the previous op starts -, spills beyond the SRAM, outputs
///   sent as soon as their op completes), each costing a fixed latency plus bytes / bandwidth;
/// - activation spills to the SRAM are read back while the op runs and written out after it.
/// The loop is bounded by the program's size: a simulation that stops making progress raises an
/// `accelnas::error` naming the op it is stuck on.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/compiler.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/sim/engine.hpp>
#include <accelnas/hw/sim/trace.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace accelnas::hw::sim {

/// Per-op outcome of a simulation.
struct op_outcome {
    std::int64_t start = 0;      ///< when its set-up began (overlap with the producer's drain included)
    std::int64_t complete = 0;   ///< when its last pass, transfer and spill finished
    std::int64_t charged = 0;    ///< cycles it adds to the inference (spans overlap; these add up)
    double compute = 0, memory = 0, host = 0, overhead = 0;  ///< per active tile: where its span went
};

/// The simulated device. Construct with a program and run once.
class device {
public:
    /// A device of config `c` (validated by the caller) about to run `p` compiled from `net`;
    /// records spans into `tr` when it is not null.
    device(const program& p, const graph::network& net, const edgetpu_config& c, trace* tr)
        : p_(p), net_(net), c_(c), tr_(tr), mem_(c.tile_bytes_per_cycle), st_(p.ops.size()),
          out_(p.ops.size()), cur_(static_cast<std::size_t>(c.tiles), 0), done_(static_cast<std::size_t>(c.tiles), 0),
          busy_(static_cast<std::size_t>(c.tiles), 0), free_at_(static_cast<std::size_t>(c.tiles), 0),
          pass_start_(static_cast<std::size_t>(c.tiles), 0), pass_comp_(static_cast<std::size_t>(c.tiles), 0) {
        if (tr_) {
            tr_->clock_hz = c.clock_hz;
            tr_->network = net.name();
            tr_->target = c.name;
            tr_->tracks = {"sequencer", "host link", "dma: input", "dma: parameters", "dma: spills", "dma: outputs",
                           "on-chip network", "vector path"};
            for (std::int64_t t = 0; t < c.tiles; ++t) tr_->tracks.push_back("tile " + std::to_string(t));
        }
    }

    /// Runs the program to completion; returns the device cycles (input transfer to the last output).
    std::int64_t run() {
        const std::size_t n = p_.ops.size();
        for (std::size_t j = 0; j < n; ++j) {
            const auto& op = p_.ops[j];
            auto& s = st_[j];
            s.requested.assign(static_cast<std::size_t>(op.tk), 0);
            s.arrived.assign(static_cast<std::size_t>(op.tk), 0);
            s.passes_left = static_cast<std::int64_t>(op.passes.size());
            if (op.segment > 0) s.strided_rate = mem_.strided_rate(op.segment, op.segment_stride);
        }
        if (p_.input_bytes > 0) link_submit(link_input, 0, 0, p_.input_bytes, "input");
        else input_done_ = 0;
        q_.push(0, ev_seq_try);
        // Each pass, block, transfer and op causes a bounded number of events.
        const std::uint64_t bound = 8 * static_cast<std::uint64_t>(p_.instructions) + 64 * n + 1024;
        std::uint64_t handled = 0;
        while (!q_.empty()) {
            const event e = q_.pop();
            now_ = e.time;
            require(++handled <= bound, "simulation of '", net_.name(), "' did not finish within ", bound,
                    " events (stuck at ", stuck_op(), ")");
            switch (e.type) {
            case ev_seq_try: sequencer_try(); break;
            case ev_setup_done: setup_done(e.a); break;
            case ev_pass_done: pass_done(e.a); break;
            case ev_link_done: link_done(); break;
            case ev_noc_done: noc_done(); break;
            default: fail("simulator: unknown event type ", e.type);
            }
        }
        require(seq_next_ == n, "simulation of '", net_.name(), "' stopped before its end (stuck at ", stuck_op(), ")");
        for (std::size_t j = 0; j < n; ++j)
            require(st_[j].complete >= 0, "simulation of '", net_.name(), "' stopped before op '",
                    net_.ops()[p_.ops[j].op].name, "' completed");
        // What each op adds to the inference: its completion beyond everything before it in program order.
        std::int64_t frontier = input_done_;
        for (std::size_t j = 0; j < n; ++j) {
            const std::int64_t c = st_[j].complete;
            out_[j].complete = c;
            out_[j].start = st_[j].span_start;
            out_[j].charged = std::max<std::int64_t>(0, c - frontier);
            frontier = std::max(frontier, c);
            const double active = std::max<double>(1.0, static_cast<double>(st_[j].active_tiles));
            out_[j].compute = st_[j].compute / active;
            out_[j].memory = st_[j].memory / active + static_cast<double>(st_[j].noc_wait);
            out_[j].host = st_[j].host / active + static_cast<double>(st_[j].link_wait);
            out_[j].overhead = static_cast<double>(st_[j].setup_cycles);
        }
        frontier_ = frontier;
        end_ = std::max(frontier, last_output_);
        return end_;
    }

    /// Per-op outcomes (program order), after `run`.
    const std::vector<op_outcome>& outcomes() const noexcept { return out_; }
    /// When the input transfer finished.
    std::int64_t input_done() const noexcept { return input_done_; }
    /// When the last op completed.
    std::int64_t ops_done() const noexcept { return frontier_; }
    /// Events handled (for speed figures).
    std::uint64_t events() const noexcept { return q_.scheduled(); }

private:
    enum : std::uint32_t { ev_seq_try, ev_setup_done, ev_pass_done, ev_link_done, ev_noc_done };
    enum : std::uint32_t { link_input, link_stream, link_spill_in, link_spill_out, link_output };
    enum : std::uint32_t { noc_weights, noc_spill_in, noc_spill_out, noc_move };

    struct op_state {
        std::int64_t setup_end = -1, complete = -1, span_start = 0, ready_for_tiles = -1;
        std::int64_t passes_left = 0, setup_cycles = 0;
        int pending = 0;          // transfers that must finish before the op completes
        bool out_issued = false;  // spill write-back issued
        int stream = 0;           // 0 none, 1 issued, 2 arrived
        std::int64_t stream_at = 0;
        std::vector<std::int32_t> requested, arrived;  // weight blocks per group
        double strided_rate = 1.0;
        double compute = 0, memory = 0, host = 0;      // summed over tiles
        std::int64_t noc_wait = 0, link_wait = 0;      // wall cycles of spills and moves
        std::int64_t active_tiles = 0;
    };

    const std::string& op_name(std::size_t j) const { return net_.ops()[p_.ops[j].op].name; }
    std::string stuck_op() const {
        for (std::size_t j = 0; j < p_.ops.size(); ++j)
            if (st_[j].complete < 0) return "op '" + op_name(j) + "'";
        return "the output transfer";
    }
    void span(std::uint32_t track, std::int64_t s, std::int64_t e, const std::string& name, const char* what) {
        if (tr_) tr_->add(track, s, e, name, what);
    }

    // ---- host link (DMA engines) ----
    std::int64_t link_cycles(std::int64_t bytes, const char* what) const {
        return to_cycles((c_.host_latency_seconds + static_cast<double>(bytes) / c_.host_bytes_per_second) * c_.clock_hz,
                         [&] { return std::string("host-link transfer of ") + what; });
    }
    void link_submit(std::uint32_t tag, std::uint32_t op, std::uint32_t arg2, std::int64_t bytes, const char* what) {
        transfer_server::request r{link_cycles(bytes, what), tag, op, arg2, now_};
        server_submit(link_, r, ev_link_done);
    }
    void server_submit(transfer_server& s, const transfer_server::request& r, std::uint32_t ev) {
        if (!s.busy) {
            s.busy = true;
            s.current = r;
            s.started = now_;
            q_.push(add_cycles(now_, r.cycles, "transfer"), ev);
        } else {
            s.waiting.push_back(r);
        }
    }
    void server_next(transfer_server& s, std::uint32_t ev) {
        s.busy_cycles += now_ - s.started;
        if (s.waiting.empty()) { s.busy = false; return; }
        s.current = s.waiting.front();
        s.waiting.pop_front();
        s.started = now_;
        q_.push(add_cycles(now_, s.current.cycles, "transfer"), ev);
    }
    void link_done() {
        const auto r = link_.current;
        const std::int64_t started = link_.started;
        server_next(link_, ev_link_done);
        const std::string name = r.tag == link_input ? "input" : op_name(r.arg);
        span(1, started, now_, name, "link");
        switch (r.tag) {
        case link_input:
            input_done_ = now_;
            span(2, started, now_, name, "input");
            q_.push(now_, ev_seq_try);
            break;
        case link_stream: {
            auto& s = st_[r.arg];
            s.stream = 2;
            s.stream_at = now_;
            span(3, started, now_, name, "parameters");
            if (s.setup_end >= 0) request_weights(r.arg);
            break;
        }
        case link_spill_in:
        case link_spill_out: {
            auto& s = st_[r.arg];
            s.link_wait += now_ - started;
            span(4, started, now_, name, "spill");
            --s.pending;
            maybe_complete(r.arg);
            break;
        }
        case link_output:
            span(5, started, now_, name, "output");
            last_output_ = std::max(last_output_, now_);
            break;
        default: break;
        }
    }

    // ---- on-chip network ----
    void noc_submit(std::uint32_t tag, std::uint32_t op, std::uint32_t arg2, std::int64_t bytes) {
        transfer_server::request r{to_cycles(static_cast<double>(bytes) / c_.sram_bytes_per_cycle,
                                             [&] { return "on-chip transfer of op '" + op_name(op) + "'"; }),
                                   tag, op, arg2, now_};
        server_submit(noc_, r, ev_noc_done);
    }
    void noc_done() {
        const auto r = noc_.current;
        const std::int64_t started = noc_.started;
        server_next(noc_, ev_noc_done);
        auto& s = st_[r.arg];
        switch (r.tag) {
        case noc_weights: {
            span(6, started, now_, op_name(r.arg), "weights");
            ++s.arrived[r.arg2];
            const auto& op = p_.ops[r.arg];
            for (std::int64_t t = static_cast<std::int64_t>(r.arg2) * op.ts; t < (r.arg2 + 1) * op.ts; ++t) tile_try(static_cast<std::size_t>(t));
            break;
        }
        default:
            span(6, started, now_, op_name(r.arg), r.tag == noc_move ? "move" : "spill");
            s.noc_wait += now_ - started;
            --s.pending;
            maybe_complete(r.arg);
            break;
        }
    }

    // ---- sequencer ----
    std::int64_t setup_of(setup_class k) const noexcept {
        switch (k) {
        case setup_class::mac: return c_.op_overhead_cycles;
        case setup_class::pool: return c_.pool_overhead_cycles;
        case setup_class::vector: return c_.vector_overhead_cycles;
        case setup_class::none: return 0;
        }
        return 0;
    }
    void sequencer_try() {
        if (seq_busy_ || seq_next_ >= p_.ops.size()) return;
        const std::size_t j = seq_next_;
        const auto& op = p_.ops[j];
        if (op.reads_input && input_done_ < 0) return;
        // The set-up may begin while the producers' last passes drain.
        std::int64_t start = std::max<std::int64_t>(seq_free_, op.reads_input ? input_done_ : 0);
        for (auto d : op.deps) {
            if (st_[d].complete < 0) return;  // its completion schedules another try
            start = std::max(start, st_[d].complete - p_.ops[d].drain);
        }
        if (op.barrier) {
            // Every earlier op must be done, not only the ones this op reads.
            for (; serial_done_ < j; ++serial_done_) {
                if (st_[serial_done_].complete < 0) return;
                serial_free_ = std::max(serial_free_, st_[serial_done_].complete - p_.ops[serial_done_].drain);
            }
            start = std::max(start, serial_free_);
        }
        auto& s = st_[j];
        s.span_start = start;
        const std::int64_t setup = setup_of(op.setup);
        s.setup_end = std::max(now_, add_cycles(start, setup, "op set-up"));
        s.setup_cycles = s.setup_end - std::max(start, seq_free_);
        seq_busy_ = true;
        // Streamed parameters: this op's if not prefetched, and the next op's (one op of prefetch).
        for (std::size_t k = j; k < std::min(j + 2, p_.ops.size()); ++k)
            if (p_.ops[k].streamed && st_[k].stream == 0) {
                st_[k].stream = 1;
                link_submit(link_stream, static_cast<std::uint32_t>(k), 0, p_.ops[k].param_bytes, "parameters");
            }
        span(0, s.setup_end - setup, s.setup_end, op_name(j), "setup");
        q_.push(s.setup_end, ev_setup_done, static_cast<std::uint32_t>(j));
    }
    void setup_done(std::uint32_t j) {
        const auto& op = p_.ops[j];
        auto& s = st_[j];
        seq_busy_ = false;
        seq_free_ = now_;
        ++seq_next_;
        if (op.move_bytes > 0) { ++s.pending; noc_submit(noc_move, j, 0, op.move_bytes); }
        if (op.spill_bytes > 0) { ++s.pending; noc_submit(noc_spill_in, j, 0, op.spill_bytes); }
        if (op.host_spill_bytes > 0) { ++s.pending; link_submit(link_spill_in, j, 0, op.host_spill_bytes, "spill"); }
        if (!op.streamed || s.stream == 2) request_weights(j);
        for (std::int64_t t = 0; t < c_.tiles; ++t) {
            const auto tt = static_cast<std::size_t>(t);
            if (op.tile_begin.size() > tt + 1 && op.tile_begin[tt + 1] > op.tile_begin[tt]) ++s.active_tiles;
            tile_try(tt);
        }
        maybe_complete(j);
        q_.push(now_, ev_seq_try);
    }

    // ---- weights (double buffered per group) ----
    std::int32_t freed(std::size_t j, std::int64_t g) const {
        // Blocks every tile of group g has finished (tiles without passes do not hold a slot).
        const auto& op = p_.ops[j];
        std::int32_t m = op.blocks;
        for (std::int64_t t = g * op.ts; t < (g + 1) * op.ts; ++t) {
            const auto tt = static_cast<std::size_t>(t);
            const std::int64_t count = op.tile_begin[tt + 1] - op.tile_begin[tt];
            if (count == 0) continue;
            const std::int64_t d = cur_[tt] > j ? count : cur_[tt] == j ? done_[tt] : 0;
            m = std::min<std::int32_t>(m, static_cast<std::int32_t>(d));
        }
        return m;
    }
    void request_weights(std::size_t j) {
        const auto& op = p_.ops[j];
        if (op.blocks == 0) return;
        auto& s = st_[j];
        for (std::int64_t g = 0; g < op.tk; ++g) {
            const auto gg = static_cast<std::size_t>(g);
            const std::int32_t limit = std::min<std::int32_t>(op.blocks, freed(j, g) + 2);
            while (s.requested[gg] < limit) {
                const auto b = s.requested[gg]++;
                noc_submit(noc_weights, static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(g),
                           op.block_bytes[static_cast<std::size_t>(g * op.blocks + b)]);
            }
        }
    }

    // ---- tiles ----
    void tile_try(std::size_t t) {
        if (busy_[t]) return;
        while (cur_[t] < p_.ops.size()) {
            const std::size_t j = cur_[t];
            const auto& op = p_.ops[j];
            auto& s = st_[j];
            if (s.setup_end < 0 || s.setup_end > now_) return;  // not issued yet (tiles run ops in order)
            const std::int64_t first = op.tile_begin.empty() ? 0 : op.tile_begin[t];
            const std::int64_t last = op.tile_begin.empty() ? 0 : op.tile_begin[t + 1];
            if (first + done_[t] >= last) {
                ++cur_[t];
                done_[t] = 0;
                continue;
            }
            const tile_pass& q = op.passes[static_cast<std::size_t>(first + done_[t])];
            if (q.block >= 0 && s.arrived[static_cast<std::size_t>(static_cast<std::int64_t>(t) / op.ts)] <= q.block)
                return;  // waiting for its weights
            // Waiting since the tile was free and the op issued: for weights (host or on-chip network).
            const std::int64_t idle = std::max(free_at_[t], s.setup_end);
            if (now_ > idle) {
                const double wait = static_cast<double>(now_ - idle);
                const double host = op.streamed ? std::clamp(static_cast<double>(s.stream_at - idle), 0.0, wait) : 0.0;
                s.host += host;
                s.memory += wait - host;
            }
            std::int64_t comp = 0;
            if (op.cls == op_class::vector || op.cls == op_class::free)
                comp = (q.positions + c_.vector_width - 1) / c_.vector_width;
            else
                comp = add_cycles(q.positions, c_.pass_overhead_cycles, "pass");
            const std::int64_t port =
                mem_.cycles(q.read_bytes + q.write_bytes, op.segment, op.segment_stride, s.strided_rate,
                            [&] { return "op '" + op_name(j) + "'"; });
            const std::int64_t dur = std::max(comp, port);
            s.compute += static_cast<double>(comp);
            s.memory += static_cast<double>(dur - comp);
            busy_[t] = 1;
            pass_start_[t] = now_;
            pass_comp_[t] = comp;
            q_.push(add_cycles(now_, dur, "pass"), ev_pass_done, static_cast<std::uint32_t>(t));
            return;
        }
    }
    void pass_done(std::uint32_t tu) {
        const auto t = static_cast<std::size_t>(tu);
        const std::size_t j = cur_[t];
        const auto& op = p_.ops[j];
        auto& s = st_[j];
        busy_[t] = 0;
        free_at_[t] = now_;
        ++done_[t];
        --s.passes_left;
        if (tr_) {
            const bool vec = op.cls == op_class::vector || op.cls == op_class::free;
            span(static_cast<std::uint32_t>(8 + t), pass_start_[t], now_, op_name(j), vec ? "vector" : "pass");
            if (vec) span(7, pass_start_[t], now_, op_name(j), "vector");
        }
        if (op.blocks > 0) request_weights(j);
        if (s.passes_left == 0) maybe_complete(j);
        tile_try(t);
    }

    // ---- op completion ----
    void maybe_complete(std::size_t j) {
        const auto& op = p_.ops[j];
        auto& s = st_[j];
        if (s.complete >= 0 || s.setup_end < 0 || s.setup_end > now_ || s.passes_left > 0 || s.pending > 0) return;
        if (!s.out_issued) {
            s.out_issued = true;
            const auto ju = static_cast<std::uint32_t>(j);
            if (op.spill_bytes > 0) { ++s.pending; noc_submit(noc_spill_out, ju, 0, op.spill_bytes); }
            if (op.host_spill_bytes > 0) { ++s.pending; link_submit(link_spill_out, ju, 0, op.host_spill_bytes, "spill"); }
            if (s.pending > 0) return;
        }
        s.complete = now_;
        if (op.output_bytes > 0) link_submit(link_output, static_cast<std::uint32_t>(j), 0, op.output_bytes, "outputs");
        q_.push(now_, ev_seq_try);
    }

    const program& p_;
    const graph::network& net_;
    const edgetpu_config& c_;
    trace* tr_;
    narrow_memory mem_;
    event_queue q_;
    transfer_server link_, noc_;
    std::vector<op_state> st_;
    std::vector<op_outcome> out_;
    std::vector<std::size_t> cur_;        // per tile: the op it is on (program index)
    std::vector<std::int64_t> done_;      // per tile: passes done in that op
    std::vector<char> busy_;
    std::vector<std::int64_t> free_at_, pass_start_, pass_comp_;
    std::size_t seq_next_ = 0;
    bool seq_busy_ = false;
    std::int64_t seq_free_ = 0;
    std::size_t serial_done_ = 0;    // ops [0, serial_done_) have completed (seen by a barrier)
    std::int64_t serial_free_ = 0;   // when the last of those finished, less its drain
    std::int64_t now_ = 0, input_done_ = -1, last_output_ = 0, frontier_ = 0, end_ = 0;
};

}  // namespace accelnas::hw::sim
