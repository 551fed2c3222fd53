#pragma once
/// \file
/// The free-parameter tables of calibration: which fields of an Edge TPU or CPU config
/// `fit_config` may fit, by field name, each with physically plausible bounds.

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

/// The free parameters of an Edge TPU config that calibration may fit, by field name: mechanisms
/// (clock, bandwidths, overheads, cache size), with physically plausible bounds.
inline free_parameter<edgetpu_config> edgetpu_free_parameter(std::string_view name) {
    using C = edgetpu_config;
    using detail::integer_field, detail::real_field;
    return detail::pick<C>({real_field<C>("clock_hz", &C::clock_hz, 50e6, 2e9),
                            real_field<C>("tile_bytes_per_cycle", &C::tile_bytes_per_cycle, 1, 1024),
                            real_field<C>("sram_bytes_per_cycle", &C::sram_bytes_per_cycle, 1, 4096),
                            real_field<C>("host_bytes_per_second", &C::host_bytes_per_second, 10e6, 100e9),
                            real_field<C>("host_latency_seconds", &C::host_latency_seconds, 1e-7, 1e-2),
                            real_field<C>("inference_overhead_seconds", &C::inference_overhead_seconds, 1e-7, 0.1),
                            integer_field<C>("op_overhead_cycles", &C::op_overhead_cycles, 1, 1e6),
                            integer_field<C>("pool_overhead_cycles", &C::pool_overhead_cycles, 1, 1e6),
                            integer_field<C>("vector_overhead_cycles", &C::vector_overhead_cycles, 1, 1e6),
                            integer_field<C>("pass_overhead_cycles", &C::pass_overhead_cycles, 1, 1e4),
                            integer_field<C>("param_cache_bytes", &C::param_cache_bytes, 1e5, 64e6),
                            integer_field<C>("vector_width", &C::vector_width, 1, 4096),
                            integer_field<C>("lanes_per_cell", &C::lanes_per_cell, 1, 64)},
                           name, "Edge TPU");
}

/// The free parameters of a CPU config that calibration may fit, by field name.
inline free_parameter<cpu_config> cpu_free_parameter(std::string_view name) {
    using C = cpu_config;
    using detail::real_field;
    return detail::pick<C>({real_field<C>("conv_macs_per_second", &C::conv_macs_per_second, 1e8, 1e13),
                            real_field<C>("pointwise_macs_per_second", &C::pointwise_macs_per_second, 1e8, 1e13),
                            real_field<C>("depthwise_macs_per_second", &C::depthwise_macs_per_second, 1e8, 1e13),
                            real_field<C>("dense_macs_per_second", &C::dense_macs_per_second, 1e8, 1e13),
                            real_field<C>("vector_elements_per_second", &C::vector_elements_per_second, 1e7, 1e12),
                            real_field<C>("op_overhead_seconds", &C::op_overhead_seconds, 1e-8, 1e-2),
                            real_field<C>("inference_overhead_seconds", &C::inference_overhead_seconds, 1e-8, 0.1)},
                           name, "CPU");
}

}  // namespace accelnas::hw
