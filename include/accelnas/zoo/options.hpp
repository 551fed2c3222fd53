#pragma once
/// \file
/// Options every zoo builder takes.

#include <cstdint>

namespace accelnas::zoo {

/// Input resolution and class count of a zoo model; 0 means the model's published default.
struct zoo_options {
    std::int64_t resolution = 0;  ///< square input size (e.g. 224); 0 = the model's standard size
    std::int64_t classes = 0;     ///< classifier outputs; 0 = the model's standard count (1000 or 1001)
    std::int64_t channels = 3;    ///< input channels
};

/// The "0 = the model's default" rule of every zoo option: `value` unless it is 0, then `fallback`.
/// Negative values pass through (each builder rejects them, naming the model).
constexpr std::int64_t or_default(std::int64_t value, std::int64_t fallback) noexcept {
    return value != 0 ? value : fallback;
}

}  // namespace accelnas::zoo
