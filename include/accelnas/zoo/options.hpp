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

}  // namespace accelnas::zoo
