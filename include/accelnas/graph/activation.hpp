#pragma once
/// \file
/// The activation functions of the IR as scalar float functions, with their derivatives: the one
/// definition the trainer (train/ops.hpp) and the float reference of the int8 path (quant/) use.
/// relu6 clamps to [0, 6]; hard_sigmoid = relu6(x + 3) / 6; hard_swish = x hard_sigmoid(x);
/// sigmoid = 1 / (1 + e^-x); swish = x sigmoid(x).

#include <accelnas/graph/op.hpp>

#include <algorithm>
#include <cmath>

namespace accelnas::graph {

/// Value of activation `a` at `x`.
inline float activation_value(activation a, float x) noexcept {
    switch (a) {
    case activation::none: return x;
    case activation::relu: return x > 0.0f ? x : 0.0f;
    case activation::relu6: return std::min(std::max(x, 0.0f), 6.0f);
    case activation::sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case activation::hard_sigmoid: return std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case activation::hard_swish: return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case activation::swish: return x / (1.0f + std::exp(-x));
    }
    return x;
}

/// Derivative of activation `a` at input `x`, given its output `y = activation_value(a, x)` (sigmoid
/// reuses it). At the kinks (0 and 6 for relu6, +-3 for the hard ones) the derivative of the
/// flat side is taken.
inline float activation_derivative(activation a, float x, float y) noexcept {
    switch (a) {
    case activation::none: return 1.0f;
    case activation::relu: return x > 0.0f ? 1.0f : 0.0f;
    case activation::relu6: return x > 0.0f && x < 6.0f ? 1.0f : 0.0f;
    case activation::sigmoid: return y * (1.0f - y);
    case activation::hard_sigmoid: return x > -3.0f && x < 3.0f ? 1.0f / 6.0f : 0.0f;
    case activation::hard_swish: return x <= -3.0f ? 0.0f : x >= 3.0f ? 1.0f : (2.0f * x + 3.0f) / 6.0f;
    case activation::swish: {
        const float s = 1.0f / (1.0f + std::exp(-x));
        return s * (1.0f + x * (1.0f - s));
    }
    }
    return 1.0f;
}

}  // namespace accelnas::graph
