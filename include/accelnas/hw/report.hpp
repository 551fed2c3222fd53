#pragma once
/// \file
/// `hw::latency_report`: what an accelerator model says about one network - total latency, and per
/// op the cycles, seconds, binding limiter, utilization and where the op ran.

#include <accelnas/graph/op.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::hw {

/// What bound an op's time (the largest of its cost terms).
enum class limiter {
    compute,         ///< MAC array or vector path busy
    on_chip_memory,  ///< tile-memory or on-chip SRAM bandwidth (activations, cached parameters, spills)
    host_transfer,   ///< host link: streamed parameters, input/output, tensors crossing to the CPU
    overhead,        ///< fixed per-op cost (instruction issue, synchronisation, runtime dispatch)
};

/// Where an op ran.
enum class placement { accelerator, host_cpu };

inline constexpr std::array<std::string_view, 4> limiter_names{"compute", "on_chip_memory", "host_transfer",
                                                                "overhead"};
inline constexpr std::array<std::string_view, 2> placement_names{"accelerator", "host_cpu"};

/// Text name of a limiter ("compute", ...).
constexpr std::string_view to_string(limiter l) noexcept { return limiter_names[static_cast<std::size_t>(l)]; }
/// Text name of a placement ("accelerator" or "host_cpu").
constexpr std::string_view to_string(placement p) noexcept { return placement_names[static_cast<std::size_t>(p)]; }

/// The estimate for one op of the network.
struct op_latency {
    std::size_t index = 0;               ///< op index in the network
    std::string name;                    ///< op name
    graph::op_kind kind = graph::op_kind::input;
    std::int64_t cycles = 0;             ///< device cycles charged to this op (0 for host-CPU ops)
    double seconds = 0.0;                ///< wall time charged to this op (stalls included)
    limiter bound = limiter::overhead;   ///< what bound it
    double utilization = 0.0;            ///< useful MACs (or vector elements) / peak over its compute time, in [0, 1]
    placement where = placement::accelerator;
    std::int64_t macs = 0;               ///< multiply-accumulates of the op
    std::int64_t param_bytes = 0;        ///< int8 weights + int32 biases
    bool params_streamed = false;        ///< parameters fetched over the host link every inference
};

/// The estimate for a whole network on one target.
struct latency_report {
    std::string network;                 ///< name of the network estimated
    std::string target;                  ///< target name (e.g. "coral-usb")
    std::string estimator;               ///< "sim", "apm", "cpu" or "systolic"
    double total_seconds = 0.0;          ///< end-to-end latency of one batch-1 inference
    std::int64_t total_cycles = 0;       ///< device cycles of the accelerator part (0 for a CPU target)
    double clock_hz = 0.0;               ///< device clock the cycles refer to (0 for a CPU target)
    std::vector<op_latency> ops;         ///< one entry per non-input op (empty when per-op detail is off)
    std::int64_t param_bytes_cached = 0;   ///< parameter bytes held in the on-chip cache (loaded once)
    std::int64_t param_bytes_streamed = 0; ///< parameter bytes fetched over the host link every inference
    std::int64_t param_cache_capacity = 0; ///< cache bytes left for parameters after activation spills
    std::int64_t input_bytes = 0;        ///< bytes sent to the device per inference (network input)
    std::int64_t output_bytes = 0;       ///< bytes read back per inference (outputs + tensors crossing to the host)
    double io_seconds = 0.0;             ///< host-link time of input and output transfers
    double host_seconds = 0.0;           ///< time of ops that ran on the host CPU
    std::size_t first_host_op = 0;       ///< index of the first op placed on the host CPU (network size if none)

    /// Total latency in milliseconds.
    double total_ms() const noexcept { return total_seconds * 1e3; }
};

}  // namespace accelnas::hw
