#pragma once
/// \file
/// Plain configuration structs describing devices: the Edge TPU family (tiles of cells with MAC
/// lanes, tile memories, a parameter cache, a host link), a mobile CPU, and a generic systolic array.
/// Every model of one device (simulator, APM) takes the same struct. `validate()` rejects
/// zero, negative, non-finite or physically implausible values (each field has a range that keeps
/// every derived cycle and byte count in 64 bits) with an `accelnas::error` naming the field.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/op.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace accelnas::hw {

namespace detail {
inline void require_positive(const std::string& cfg, const char* field, double v) {
    require(std::isfinite(v) && v > 0, "config '", cfg, "': ", field, " must be positive and finite, got ", v);
}
inline void require_non_negative(const std::string& cfg, const char* field, double v) {
    require(std::isfinite(v) && v >= 0, "config '", cfg, "': ", field, " must be non-negative and finite, got ", v);
}
// Physical range of a field: every cycle and byte count derived from it stays representable.
inline void require_range(const std::string& cfg, const char* field, double v, double lo, double hi) {
    require(std::isfinite(v) && v >= lo && v <= hi, "config '", cfg, "': ", field, " must be in [", lo, ", ", hi,
            "], got ", v);
}
}  // namespace detail

/// Which op kinds and fused activations a device runs; ops outside this set are partitioned to the host.
struct op_support {
    std::array<bool, graph::op_kind_names.size()> kinds{};          ///< indexed by graph::op_kind
    std::array<bool, graph::activation_names.size()> activations{}; ///< indexed by graph::activation

    /// Everything runs (a CPU).
    static op_support all() {
        op_support s;
        s.kinds.fill(true);
        s.activations.fill(true);
        return s;
    }
    /// The Edge TPU compiler's list (reference/edgetpu_facts.md): every IR op kind has a supported
    /// TFLite counterpart, but swish, hard-swish and hard-sigmoid do not (they were left out of the
    /// EfficientNet-EdgeTPU space because they ran poorly on the Edge TPU stack).
    static op_support edgetpu() {
        op_support s = all();
        s.activations[static_cast<std::size_t>(graph::activation::swish)] = false;
        s.activations[static_cast<std::size_t>(graph::activation::hard_swish)] = false;
        s.activations[static_cast<std::size_t>(graph::activation::hard_sigmoid)] = false;
        return s;
    }
    /// True when the device runs op `o` (its kind and its fused or standalone activation). No device
    /// runs an opaque op (one accelnas does not model), whatever `kinds` says: it is a partition point.
    bool supports(const graph::op& o) const noexcept {
        return o.kind != graph::op_kind::opaque && kinds[static_cast<std::size_t>(o.kind)] &&
               activations[static_cast<std::size_t>(o.act)];
    }
};

/// A mobile CPU: latency linear in work with a per-op-kind efficiency and a fixed cost per op.
struct cpu_config {
    std::string name = "cpu";
    double conv_macs_per_second = 40e9;       ///< regular (full) convolutions with a kxk kernel, k > 1
    double pointwise_macs_per_second = 40e9;  ///< 1x1 convolutions (a plain GEMM, no im2col)
    double depthwise_macs_per_second = 10e9;  ///< depthwise convolutions (poor reuse on a CPU)
    double dense_macs_per_second = 10e9;      ///< fully connected layers (memory-bound GEMV)
    double vector_elements_per_second = 4e9;  ///< element-wise ops and pooling, per element touched
    double op_overhead_seconds = 10e-6;       ///< interpreter dispatch per op
    double inference_overhead_seconds = 0.0;  ///< fixed cost per inference

    /// Throws `accelnas::error` naming the first field that is not a valid resource.
    void validate() const {
        detail::require_positive(name, "conv_macs_per_second", conv_macs_per_second);
        detail::require_positive(name, "pointwise_macs_per_second", pointwise_macs_per_second);
        detail::require_positive(name, "depthwise_macs_per_second", depthwise_macs_per_second);
        detail::require_positive(name, "dense_macs_per_second", dense_macs_per_second);
        detail::require_positive(name, "vector_elements_per_second", vector_elements_per_second);
        detail::require_non_negative(name, "op_overhead_seconds", op_overhead_seconds);
        detail::require_non_negative(name, "inference_overhead_seconds", inference_overhead_seconds);
        // Upper (and lower) physical bounds: 1 kop/s to 1 Pop/s, fixed costs up to 10 s.
        for (auto [f, v] : {std::pair{"conv_macs_per_second", conv_macs_per_second},
                            {"pointwise_macs_per_second", pointwise_macs_per_second},
                            {"depthwise_macs_per_second", depthwise_macs_per_second},
                            {"dense_macs_per_second", dense_macs_per_second},
                            {"vector_elements_per_second", vector_elements_per_second}})
            detail::require_range(name, f, v, 1e3, 1e15);
        detail::require_range(name, "op_overhead_seconds", op_overhead_seconds, 0, 10);
        detail::require_range(name, "inference_overhead_seconds", inference_overhead_seconds, 0, 10);
    }
};

/// An Edge TPU-like device. Defaults are the public Coral facts (16 tiles x 64 cells x 4 lanes at
/// 500 MHz, 192 KiB per tile, ~8 MiB parameter cache) with uncalibrated guesses for the rest; the
/// shipped targets (hw/targets.hpp) carry calibrated values.
///
/// Mapping (see hw/mapping.hpp): tiles split output rows (or output channels when rows are few);
/// within a tile the cells reduce over kernel taps x input channels (a shallow input leaves cells
/// idle; a depthwise conv reduces only over its taps), and the lanes of a cell hold different output
/// channels that share the cell's input (a depthwise conv cannot share it: it uses `depthwise_lanes`).
struct edgetpu_config {
    std::string name = "edgetpu";
    std::int64_t tiles = 16;                 ///< compute tiles (4 x 4)
    std::int64_t cells_per_tile = 64;        ///< cells per tile (reduction depth of one pass)
    std::int64_t lanes_per_cell = 4;         ///< MAC lanes per cell (output channels per pass)
    std::int64_t depthwise_lanes = 1;        ///< lanes a depthwise conv can use (inputs are broadcast along lanes; inferred)
    std::int64_t vector_width = 64;          ///< elements per cycle per tile on the vector path (inferred)
    double clock_hz = 500e6;                 ///< core clock
    std::int64_t tile_memory_bytes = 196608; ///< narrow (tile-local) activation memory per tile
    double tile_bytes_per_cycle = 64;        ///< narrow-memory bandwidth per tile
    std::int64_t param_cache_bytes = 8 << 20;///< on-chip SRAM for parameters, shared with activation spills
    double sram_bytes_per_cycle = 128;       ///< bandwidth of that shared SRAM (weight loads, spills)
    std::int64_t pass_overhead_cycles = 16;  ///< pipeline fill/drain per weight block on a tile
    double host_bytes_per_second = 320e6;    ///< effective host link (USB 3.0 / PCIe / phone DRAM)
    double host_latency_seconds = 20e-6;     ///< fixed cost of one host-link transfer
    std::int64_t op_overhead_cycles = 2000;  ///< fixed cost per MAC op (conv, dense): instruction issue, sync
    std::int64_t pool_overhead_cycles = 2000;   ///< fixed cost per pooling op (window set-up, border handling)
    std::int64_t vector_overhead_cycles = 2000; ///< fixed cost per other vector-path op (add, mul, concat, ...)
    double inference_overhead_seconds = 100e-6; ///< runtime/driver cost per inference
    /// True: an op's set-up may begin while earlier ops it does not read still compute (a branch
    /// sets up under its sibling). False: the sequencer issues one op at a time, so a set-up waits
    /// until every earlier op has finished (it may still overlap the drain of their last pass).
    bool overlap_branch_setup = true;
    bool host_fallback = true;               ///< unsupported ops run on `host` (false: they are an error)
    op_support support = op_support::edgetpu(); ///< ops the device runs
    cpu_config host = {};                    ///< prices ops partitioned to the host CPU

    /// MACs per cycle at full utilization.
    constexpr std::int64_t peak_macs_per_cycle() const noexcept { return tiles * cells_per_tile * lanes_per_cell; }

    /// Throws `accelnas::error` naming the first field that is not a valid resource.
    void validate() const {
        detail::require_positive(name, "tiles", static_cast<double>(tiles));
        detail::require_positive(name, "cells_per_tile", static_cast<double>(cells_per_tile));
        detail::require_positive(name, "lanes_per_cell", static_cast<double>(lanes_per_cell));
        detail::require_positive(name, "depthwise_lanes", static_cast<double>(depthwise_lanes));
        require(depthwise_lanes <= lanes_per_cell, "config '", name, "': depthwise_lanes ", depthwise_lanes,
                " exceeds lanes_per_cell ", lanes_per_cell);
        detail::require_positive(name, "vector_width", static_cast<double>(vector_width));
        detail::require_positive(name, "clock_hz", clock_hz);
        detail::require_positive(name, "tile_memory_bytes", static_cast<double>(tile_memory_bytes));
        detail::require_positive(name, "tile_bytes_per_cycle", tile_bytes_per_cycle);
        detail::require_non_negative(name, "param_cache_bytes", static_cast<double>(param_cache_bytes));
        detail::require_positive(name, "sram_bytes_per_cycle", sram_bytes_per_cycle);
        detail::require_non_negative(name, "pass_overhead_cycles", static_cast<double>(pass_overhead_cycles));
        detail::require_positive(name, "host_bytes_per_second", host_bytes_per_second);
        detail::require_non_negative(name, "host_latency_seconds", host_latency_seconds);
        detail::require_non_negative(name, "op_overhead_cycles", static_cast<double>(op_overhead_cycles));
        detail::require_non_negative(name, "pool_overhead_cycles", static_cast<double>(pool_overhead_cycles));
        detail::require_non_negative(name, "vector_overhead_cycles", static_cast<double>(vector_overhead_cycles));
        detail::require_non_negative(name, "inference_overhead_seconds", inference_overhead_seconds);
        require(tiles <= 4096 && cells_per_tile <= 65536 && lanes_per_cell <= 65536, "config '", name,
                "': array sizes are implausibly large (tiles ", tiles, ", cells ", cells_per_tile, ", lanes ",
                lanes_per_cell, ")");
        // Physical ranges (upper bounds keep every cycle and byte count of a model in 64 bits).
        detail::require_range(name, "vector_width", static_cast<double>(vector_width), 1, 65536);
        detail::require_range(name, "clock_hz", clock_hz, 1e3, 1e11);
        detail::require_range(name, "tile_memory_bytes", static_cast<double>(tile_memory_bytes), 1, 1ll << 36);
        detail::require_range(name, "tile_bytes_per_cycle", tile_bytes_per_cycle, 1e-3, 1 << 20);
        detail::require_range(name, "param_cache_bytes", static_cast<double>(param_cache_bytes), 0, 1ll << 40);
        detail::require_range(name, "sram_bytes_per_cycle", sram_bytes_per_cycle, 1e-3, 1 << 24);
        detail::require_range(name, "pass_overhead_cycles", static_cast<double>(pass_overhead_cycles), 0, 1 << 24);
        detail::require_range(name, "host_bytes_per_second", host_bytes_per_second, 1e3, 1e13);
        detail::require_range(name, "host_latency_seconds", host_latency_seconds, 0, 10);
        detail::require_range(name, "op_overhead_cycles", static_cast<double>(op_overhead_cycles), 0, 1ll << 32);
        detail::require_range(name, "pool_overhead_cycles", static_cast<double>(pool_overhead_cycles), 0, 1ll << 32);
        detail::require_range(name, "vector_overhead_cycles", static_cast<double>(vector_overhead_cycles), 0, 1ll << 32);
        detail::require_range(name, "inference_overhead_seconds", inference_overhead_seconds, 0, 10);
        if (host_fallback) host.validate();
    }
};

/// Dataflow of a systolic array (SCALE-Sim's names).
enum class dataflow { os, ws, is };

inline constexpr std::array<std::string_view, 3> dataflow_names{"os", "ws", "is"};
/// Text name of a dataflow ("os", "ws", "is").
constexpr std::string_view to_string(dataflow d) noexcept { return dataflow_names[static_cast<std::size_t>(d)]; }

/// A generic rows x cols systolic array counted the way SCALE-Sim v2 counts compute cycles.
struct systolic_config {
    std::string name = "systolic";
    std::int64_t rows = 32;          ///< array rows
    std::int64_t cols = 32;          ///< array columns
    dataflow flow = dataflow::os;    ///< output, weight or input stationary
    double clock_hz = 1e9;           ///< clock used to turn cycles into seconds

    /// Throws `accelnas::error` naming the first field that is not a valid resource.
    void validate() const {
        detail::require_positive(name, "rows", static_cast<double>(rows));
        detail::require_positive(name, "cols", static_cast<double>(cols));
        detail::require_positive(name, "clock_hz", clock_hz);
        detail::require_range(name, "rows", static_cast<double>(rows), 1, 65536);
        detail::require_range(name, "cols", static_cast<double>(cols), 1, 65536);
        detail::require_range(name, "clock_hz", clock_hz, 1e3, 1e11);
    }
};

}  // namespace accelnas::hw
