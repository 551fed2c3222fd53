#pragma once
/// \file
/// The discrete-event core of the Edge TPU simulator: integer-cycle events in a deterministic
/// order, and the shared resources built on it (a first-come-first-served transfer server for the
/// host link and the on-chip network, a tile's narrow memory with its banks).

#include <accelnas/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <numeric>
#include <string>
#include <vector>

namespace accelnas::hw::sim {

/// Largest cycle count the simulator represents (overflow guard: sums of two stay in 63 bits).
inline constexpr std::int64_t max_cycles = std::int64_t{1} << 61;

/// Cycles of `x` (a product of a rate and a size), or an error naming `what()` (called only then)
/// when it is not a finite count the simulator can represent.
template <class What>
inline std::int64_t to_cycles(double x, What&& what) {
    if (!(std::isfinite(x) && x >= 0 && x < static_cast<double>(max_cycles)))
        fail(what(), ": ", x, " cycles is not a representable cycle count (check the config's rates)");
    return static_cast<std::int64_t>(std::ceil(x - 1e-9 * x));
}

/// `a + b` for cycle counts, or an error naming `what` beyond `max_cycles`.
inline std::int64_t add_cycles(std::int64_t a, std::int64_t b, const char* what) {
    require(a <= max_cycles - b, what, ": the simulated time exceeds ", max_cycles, " cycles");
    return a + b;
}

/// One event: at `time`, component action `type` with arguments `a`, `b`. Events at the same time
/// run in the order they were scheduled (`seq`), which makes every run of the same input identical.
struct event {
    std::int64_t time = 0;
    std::uint64_t seq = 0;
    std::uint32_t type = 0;
    std::uint32_t a = 0;
    std::uint32_t b = 0;
};

/// The event queue: a binary min-heap on (time, seq).
class event_queue {
public:
    /// Schedules action `type(a, b)` at `time`.
    void push(std::int64_t time, std::uint32_t type, std::uint32_t a = 0, std::uint32_t b = 0) {
        heap_.push_back({time, next_seq_++, type, a, b});
        std::push_heap(heap_.begin(), heap_.end(), later);
    }
    /// True when no event is pending.
    bool empty() const noexcept { return heap_.empty(); }
    /// Removes and returns the earliest event.
    event pop() {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        const event e = heap_.back();
        heap_.pop_back();
        return e;
    }
    /// Events scheduled so far.
    std::uint64_t scheduled() const noexcept { return next_seq_; }

private:
    static bool later(const event& x, const event& y) noexcept {
        return x.time != y.time ? x.time > y.time : x.seq > y.seq;
    }
    std::vector<event> heap_;
    std::uint64_t next_seq_ = 0;
};

/// A transfer served first come, first served at a fixed rate (the host link, the on-chip network):
/// requests that arrive while it is busy queue, so requesters contend for its bandwidth.
struct transfer_server {
    /// A request: who asked (`tag`, `arg`, `arg2` come back on completion) and how many cycles it takes.
    struct request {
        std::int64_t cycles = 0;
        std::uint32_t tag = 0, arg = 0, arg2 = 0;
        std::int64_t queued_at = 0;
    };
    std::deque<request> waiting;   ///< requests not yet started, in arrival order
    bool busy = false;
    request current;               ///< the transfer in flight (when busy)
    std::int64_t started = 0;      ///< when `current` started
    std::int64_t busy_cycles = 0;  ///< total cycles spent transferring
};

/// A tile's narrow memory: `banks` banks of `word` bytes; `bytes_per_cycle` in total. A contiguous
/// access streams at the full rate; a strided access of `segment`-byte pieces wastes the rest of
/// each word and, when the stride maps the pieces onto few banks, serialises on them (a bank
/// conflict: e.g. one byte per position at a stride that is a multiple of the bank interleave).
/// The bank count is physical and fixed: 16 banks of 4 bytes, the 64-byte port that feeds one byte
/// to each of a tile's 64 cells per cycle (reference/edgetpu_facts.md: 64 cells per tile). The
/// fitted `bytes_per_cycle` is the sustained rate; it does not change how many banks there are.
struct narrow_memory {
    static constexpr std::int64_t word = 4;    ///< bytes per bank access (int8 x 4)
    static constexpr std::int64_t banks = 16;  ///< banks per tile (fixed by the chip, not fitted)
    double bytes_per_cycle = 64;

    /// A memory of `bw` bytes per cycle.
    explicit narrow_memory(double bw = 64) : bytes_per_cycle(bw) {}

    /// Words per cycle a strided stream of `segment`-byte pieces every `stride` bytes sustains.
    double strided_rate(std::int64_t segment, std::int64_t stride) const {
        const std::int64_t wps = (segment + word - 1) / word;  // words each piece touches
        if (wps >= banks) return bytes_per_cycle / word;
        const std::int64_t stride_words = std::max<std::int64_t>(1, stride / word);
        // Distinct banks the pieces land on: starts repeat every banks / gcd(stride, banks) pieces.
        const std::int64_t starts = banks / std::gcd(stride_words % banks == 0 ? banks : stride_words % banks, banks);
        const std::int64_t cover = std::min(banks, starts * wps);
        return std::min(bytes_per_cycle / word, static_cast<double>(cover));
    }

    /// Cycles to move `bytes` through the port; `segment` 0 means contiguous.
    template <class What>
    std::int64_t cycles(std::int64_t bytes, std::int32_t segment, std::int64_t stride, double strided_words_per_cycle,
                        What&& what) const {
        if (bytes <= 0) return 0;
        if (segment <= 0 || segment >= stride) return to_cycles(static_cast<double>(bytes) / bytes_per_cycle, what);
        const double pieces = static_cast<double>((bytes + segment - 1) / segment);
        const double words = pieces * static_cast<double>((segment + word - 1) / word);
        return to_cycles(words / strided_words_per_cycle, what);
    }
};

}  // namespace accelnas::hw::sim
