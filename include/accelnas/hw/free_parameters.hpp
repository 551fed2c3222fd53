#pragma once
/// \file
/// The free-parameter tables of calibration: which fields of an Edge TPU or CPU config
/// `fit_config` may fit, by field name, each with physically plausible bounds.

#include <accelnas/core/error.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/fit_config.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace accelnas::hw {

/// The free parameters of an Edge TPU config that calibration may fit, by field name: mechanisms
/// (clock, bandwidths, overheads, cache size), with physically plausible bounds.
inline free_parameter<edgetpu_config> edgetpu_free_parameter(std::string_view name) {
    using C = edgetpu_config;
    auto real = [&](double C::*f, double lo, double hi) {
        return free_parameter<C>{std::string(name), [f](const C& c) { return c.*f; }, [f](C& c, double v) { c.*f = v; }, lo, hi};
    };
    auto integer = [&](std::int64_t C::*f, double lo, double hi) {
        return free_parameter<C>{std::string(name), [f](const C& c) { return static_cast<double>(c.*f); },
                                 [f](C& c, double v) { c.*f = static_cast<std::int64_t>(std::llround(v)); }, lo, hi};
    };
    if (name == "clock_hz") return real(&C::clock_hz, 50e6, 2e9);
    if (name == "tile_bytes_per_cycle") return real(&C::tile_bytes_per_cycle, 1, 1024);
    if (name == "sram_bytes_per_cycle") return real(&C::sram_bytes_per_cycle, 1, 4096);
    if (name == "host_bytes_per_second") return real(&C::host_bytes_per_second, 10e6, 100e9);
    if (name == "host_latency_seconds") return real(&C::host_latency_seconds, 1e-7, 1e-2);
    if (name == "inference_overhead_seconds") return real(&C::inference_overhead_seconds, 1e-7, 0.1);
    if (name == "op_overhead_cycles") return integer(&C::op_overhead_cycles, 1, 1e6);
    if (name == "pool_overhead_cycles") return integer(&C::pool_overhead_cycles, 1, 1e6);
    if (name == "vector_overhead_cycles") return integer(&C::vector_overhead_cycles, 1, 1e6);
    if (name == "pass_overhead_cycles") return integer(&C::pass_overhead_cycles, 1, 1e4);
    if (name == "param_cache_bytes") return integer(&C::param_cache_bytes, 1e5, 64e6);
    if (name == "vector_width") return integer(&C::vector_width, 1, 4096);
    if (name == "lanes_per_cell") return integer(&C::lanes_per_cell, 1, 64);
    fail("unknown Edge TPU calibration parameter '", name,
         "' (expected clock_hz, tile_bytes_per_cycle, sram_bytes_per_cycle, host_bytes_per_second, "
         "host_latency_seconds, inference_overhead_seconds, op_overhead_cycles, pool_overhead_cycles, "
         "vector_overhead_cycles, pass_overhead_cycles, "
         "param_cache_bytes, vector_width or lanes_per_cell)");
}

/// The free parameters of a CPU config that calibration may fit, by field name.
inline free_parameter<cpu_config> cpu_free_parameter(std::string_view name) {
    using C = cpu_config;
    auto real = [&](double C::*f, double lo, double hi) {
        return free_parameter<C>{std::string(name), [f](const C& c) { return c.*f; }, [f](C& c, double v) { c.*f = v; }, lo, hi};
    };
    if (name == "conv_macs_per_second") return real(&C::conv_macs_per_second, 1e8, 1e13);
    if (name == "pointwise_macs_per_second") return real(&C::pointwise_macs_per_second, 1e8, 1e13);
    if (name == "depthwise_macs_per_second") return real(&C::depthwise_macs_per_second, 1e8, 1e13);
    if (name == "dense_macs_per_second") return real(&C::dense_macs_per_second, 1e8, 1e13);
    if (name == "vector_elements_per_second") return real(&C::vector_elements_per_second, 1e7, 1e12);
    if (name == "op_overhead_seconds") return real(&C::op_overhead_seconds, 1e-8, 1e-2);
    if (name == "inference_overhead_seconds") return real(&C::inference_overhead_seconds, 1e-8, 0.1);
    fail("unknown CPU calibration parameter '", name,
         "' (expected conv_macs_per_second, pointwise_macs_per_second, depthwise_macs_per_second, dense_macs_per_second, "
         "vector_elements_per_second, op_overhead_seconds or inference_overhead_seconds)");
}

}  // namespace accelnas::hw
