#pragma once
/// \file
/// The free-parameter tables of calibration: which fields of an Edge TPU or CPU config
/// `fit_config` may fit, by field name, each bounded by its documented physical range.

#include <accelnas/core/error.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/fit_config.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accelnas::hw {

namespace detail {

template <class C>
free_parameter<C> real_field(std::string_view name, double C::*f, double lo, double hi) {
    return {std::string(name), [f](const C& c) { return c.*f; }, [f](C& c, double v) { c.*f = v; }, lo, hi};
}

template <class C>
free_parameter<C> integer_field(std::string_view name, std::int64_t C::*f, double lo, double hi) {
    return {std::string(name), [f](const C& c) { return static_cast<double>(c.*f); },
            [f](C& c, double v) { c.*f = static_cast<std::int64_t>(std::llround(v)); }, lo, hi};
}

// The entry of `table` named `name`; otherwise an error listing every name of the table.
template <class C>
free_parameter<C> pick(std::vector<free_parameter<C>> table, std::string_view name, std::string_view device) {
    std::string known;
    for (std::size_t i = 0; i < table.size(); ++i) {
        if (table[i].name == name) return std::move(table[i]);
        known += (i == 0 ? "" : i + 1 == table.size() ? " or " : ", ") + table[i].name;
    }
    fail("unknown ", device, " calibration parameter '", name, "' (expected ", known, ")");
}

}  // namespace detail

/// A physical range of one free parameter, with where it comes from.
struct physical_range {
    double lo = 0.0, hi = 0.0;  ///< bounds enforced by the fit (lo > 0: the fit runs in log space)
    std::string source;         ///< the public fact or argument behind the bounds
};

namespace detail {

// The host link a shipped Edge TPU target sits behind, from its name: its bandwidth and per-transfer
// latency ranges differ by orders of magnitude (USB 3.0 and PCIe Gen2 x1 against phone DRAM).
enum class link_kind { usb3, pcie_gen2_x1, phone_dram, unknown };

inline link_kind link_of(std::string_view target) {
    if (target == "coral-usb") return link_kind::usb3;
    if (target == "coral-devboard") return link_kind::pcie_gen2_x1;
    if (target == "pixel4-edgetpu") return link_kind::phone_dram;
    return link_kind::unknown;  // coral-latbench (form factor unpublished) and configs without a target
}

}  // namespace detail

/// The physical range of Edge TPU parameter `name` on `target` (a shipped target name, or "" for a
/// device of unknown form factor: the union of the Coral and phone ranges). The sources are
/// reference/edgetpu_facts.md and the public USB 3.0, PCIe Gen2 and LPDDR4X figures; docs/hw.md
/// ("Physical ranges") lists them. `accelnas::error` naming the known parameters otherwise.
inline physical_range edgetpu_physical_range(std::string_view name, std::string_view target = "") {
    using detail::link_kind;
    const auto link = detail::link_of(target);
    if (name == "clock_hz")
        return {60e6, 1e9, "libedgetpu clock settings 63-500 MHz (Coral); up to 2x the Coral maximum for a phone SoC"};
    if (name == "tile_bytes_per_cycle")
        return {4, 64, "narrow-memory port per tile: 16 banks x 4-byte words feed the 64 cells (64 B/cycle at most)"};
    if (name == "sram_bytes_per_cycle")
        return {16, 1024, "on-chip network from the parameter SRAM: at most one 64-byte port per tile x 16 tiles"};
    if (name == "host_bytes_per_second") {
        if (link == link_kind::usb3) return {50e6, 500e6, "USB 3.0: 5 Gb/s line rate, 8b/10b coding, 500 MB/s payload at most"};
        if (link == link_kind::pcie_gen2_x1) return {50e6, 500e6, "PCIe Gen2 x1: 5 GT/s, 8b/10b coding, 500 MB/s at most"};
        if (link == link_kind::phone_dram)
            return {1e9, 34.1e9, "LPDDR4X-4266, 4 x 16-bit channels: 34.1 GB/s peak, shared with the SoC"};
        return {50e6, 34.1e9, "from a Coral link (USB 3.0 / PCIe Gen2 x1) to phone LPDDR4X"};
    }
    if (name == "host_latency_seconds") {
        if (link == link_kind::usb3) return {5e-6, 250e-6, "USB 3.0 bulk transfer: a few us set-up, 125 us microframes"};
        if (link == link_kind::pcie_gen2_x1) return {1e-6, 100e-6, "PCIe DMA descriptor and completion: 1-100 us"};
        if (link == link_kind::phone_dram) return {0.1e-6, 10e-6, "DMA from DRAM on the SoC: sub-us to a few us"};
        return {0.1e-6, 250e-6, "from phone DRAM DMA to USB 3.0 bulk transfers"};
    }
    if (name == "inference_overhead_seconds")
        return {10e-6, 1e-3, "runtime and driver per invocation: 10 us to 1 ms"};
    if (name == "op_overhead_cycles" || name == "pool_overhead_cycles" || name == "vector_overhead_cycles")
        return {16, 20000, "instruction issue and synchronisation per op: tens of cycles to 80 us at 250 MHz"};
    if (name == "pass_overhead_cycles")
        return {8, 1024, "fill and drain of one weight block: a few pipeline stages to 16x the 64-cell chain"};
    if (name == "param_cache_bytes")
        return {1 << 20, 8 << 20, "about 8 MB of on-chip SRAM caches parameters; 1.1-7.9 MiB seen in compiled models"};
    if (name == "vector_width")
        return {8, 256, "vector-path elements per cycle per tile: 1/8x to 4x the 64 cells"};
    if (name == "lanes_per_cell")
        return {1, 16, "MAC lanes per cell: 4 on Coral (4 TOPS at 500 MHz over 1,024 cells); up to 4x that"};
    fail("unknown Edge TPU calibration parameter '", name,
         "' (expected clock_hz, tile_bytes_per_cycle, sram_bytes_per_cycle, host_bytes_per_second, host_latency_seconds,"
         " inference_overhead_seconds, op_overhead_cycles, pool_overhead_cycles, vector_overhead_cycles,"
         " pass_overhead_cycles, param_cache_bytes, vector_width or lanes_per_cell)");
}

/// The free parameters of an Edge TPU config that calibration may fit, by field name: mechanisms
/// (clock, bandwidths, overheads, cache size), bounded by their physical range on `target`
/// (`edgetpu_physical_range`).
inline free_parameter<edgetpu_config> edgetpu_free_parameter(std::string_view name, std::string_view target = "") {
    using C = edgetpu_config;
    using detail::integer_field, detail::real_field;
    const auto r = edgetpu_physical_range(name, target);
    return detail::pick<C>({real_field<C>("clock_hz", &C::clock_hz, r.lo, r.hi),
                            real_field<C>("tile_bytes_per_cycle", &C::tile_bytes_per_cycle, r.lo, r.hi),
                            real_field<C>("sram_bytes_per_cycle", &C::sram_bytes_per_cycle, r.lo, r.hi),
                            real_field<C>("host_bytes_per_second", &C::host_bytes_per_second, r.lo, r.hi),
                            real_field<C>("host_latency_seconds", &C::host_latency_seconds, r.lo, r.hi),
                            real_field<C>("inference_overhead_seconds", &C::inference_overhead_seconds, r.lo, r.hi),
                            integer_field<C>("op_overhead_cycles", &C::op_overhead_cycles, r.lo, r.hi),
                            integer_field<C>("pool_overhead_cycles", &C::pool_overhead_cycles, r.lo, r.hi),
                            integer_field<C>("vector_overhead_cycles", &C::vector_overhead_cycles, r.lo, r.hi),
                            integer_field<C>("pass_overhead_cycles", &C::pass_overhead_cycles, r.lo, r.hi),
                            integer_field<C>("param_cache_bytes", &C::param_cache_bytes, r.lo, r.hi),
                            integer_field<C>("vector_width", &C::vector_width, r.lo, r.hi),
                            integer_field<C>("lanes_per_cell", &C::lanes_per_cell, r.lo, r.hi)},
                           name, "Edge TPU");
}

/// The physical range of CPU parameter `name` (a 4-thread phone CPU such as the Pixel 4's
/// Snapdragon 855: 4 big cores at 2.4-2.8 GHz, two 128-bit int8 dot-product pipes each, about
/// 700 G MAC/s peak). `accelnas::error` naming the known parameters otherwise.
inline physical_range cpu_physical_range(std::string_view name) {
    if (name == "conv_macs_per_second" || name == "pointwise_macs_per_second" || name == "depthwise_macs_per_second" ||
        name == "dense_macs_per_second")
        return {1e9, 7e11, "int8 MACs on 4 cores: 1 G MAC/s to the 700 G MAC/s NEON dot-product peak"};
    if (name == "vector_elements_per_second") return {1e8, 1e11, "element-wise int8 ops on 4 cores with NEON"};
    if (name == "op_overhead_seconds") return {1e-7, 1e-3, "interpreter dispatch per op: 0.1 us to 1 ms"};
    if (name == "inference_overhead_seconds") return {1e-6, 1e-2, "interpreter set-up per invocation: 1 us to 10 ms"};
    fail("unknown CPU calibration parameter '", name,
         "' (expected conv_macs_per_second, pointwise_macs_per_second, depthwise_macs_per_second,"
         " dense_macs_per_second, vector_elements_per_second, op_overhead_seconds or inference_overhead_seconds)");
}

/// The free parameters of a CPU config that calibration may fit, by field name, bounded by
/// `cpu_physical_range`.
inline free_parameter<cpu_config> cpu_free_parameter(std::string_view name) {
    using C = cpu_config;
    using detail::real_field;
    const auto r = cpu_physical_range(name);
    return detail::pick<C>({real_field<C>("conv_macs_per_second", &C::conv_macs_per_second, r.lo, r.hi),
                            real_field<C>("pointwise_macs_per_second", &C::pointwise_macs_per_second, r.lo, r.hi),
                            real_field<C>("depthwise_macs_per_second", &C::depthwise_macs_per_second, r.lo, r.hi),
                            real_field<C>("dense_macs_per_second", &C::dense_macs_per_second, r.lo, r.hi),
                            real_field<C>("vector_elements_per_second", &C::vector_elements_per_second, r.lo, r.hi),
                            real_field<C>("op_overhead_seconds", &C::op_overhead_seconds, r.lo, r.hi),
                            real_field<C>("inference_overhead_seconds", &C::inference_overhead_seconds, r.lo, r.hi)},
                           name, "CPU");
}

}  // namespace accelnas::hw
