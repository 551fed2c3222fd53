#pragma once
/// \file
/// The `hw::accelerator_model` concept: anything that prices a `graph::network` on a device.

#include <accelnas/graph/network.hpp>
#include <accelnas/hw/report.hpp>

#include <concepts>
#include <string_view>

namespace accelnas::hw {

/// A latency model of one device. Semantic requirements the compiler cannot check:
/// - `estimate` is deterministic and thread-safe on a const model (many threads may price networks at once);
/// - `total_seconds` is finite and positive for every valid network and is the sum of the per-op
///   seconds plus input/output transfer and per-inference overhead;
/// - bad input (an op the target cannot run at all, a zero-sized tensor) raises `accelnas::error`,
///   never yields NaN;
/// - `seconds(net) == estimate(net).total_seconds`, but `seconds` may skip building the per-op table.
template <class M>
concept accelerator_model = requires(const M& m, const graph::network& net) {
    { m.name() } -> std::convertible_to<std::string_view>;
    { m.estimate(net) } -> std::same_as<latency_report>;
    { m.seconds(net) } -> std::convertible_to<double>;
};

}  // namespace accelnas::hw
