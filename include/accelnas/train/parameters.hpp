#pragma once
/// \file
/// The float parameters of a network, in a layout shared by the trainer (which produces them) and
/// the int8 quantizer (which consumes them). Activations are NHWC everywhere.

#include <accelnas/core/tensor.hpp>

#include <cstddef>
#include <vector>

namespace accelnas::train {

/// Parameters of one op of a `graph::network`.
struct op_parameters {
    std::size_t op = 0;                  ///< index of the op in the network
    /// conv2d: [kernel_h, kernel_w, in_channels / groups, filters] (HWIO, as TensorFlow);
    /// fully_connected: [1, 1, in_features, units] with in_features in NHWC flattening order.
    /// Empty for a standalone batch_norm op.
    xt::xtensor<float, 4> weight;
    xt::xtensor<float, 1> bias;          ///< empty when the op has no bias
    /// Batch norm after the op (op.batch_norm) or of a standalone batch_norm op; empty when none.
    /// Inference: y = gamma * (x - mean) / sqrt(var + eps) + beta.
    xt::xtensor<float, 1> bn_gamma, bn_beta, bn_mean, bn_var;
    float bn_eps = 1e-3f;
};

/// All parameters of a network: one entry per op that has any, in network order.
using parameter_set = std::vector<op_parameters>;

}  // namespace accelnas::train
