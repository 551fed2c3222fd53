#pragma once
/// \file
/// Static costs of a network: MACs, parameters and activation bytes, per op and in total.

#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>

#include <cstdint>
#include <vector>

namespace accelnas::graph {

/// Costs of one op.
struct op_cost {
    std::int64_t macs = 0;        ///< multiply-accumulates (conv2d and fully_connected)
    std::int64_t weights = 0;     ///< weight elements
    std::int64_t biases = 0;      ///< bias elements
    std::int64_t bn_params = 0;   ///< batch-norm scale and offset (trainable; folded away for inference)
    std::int64_t out_elements = 0;///< output elements

    /// Weights plus biases (the inference parameter count; BN counted apart).
    constexpr std::int64_t params() const noexcept { return weights + biases; }
};

/// Costs of a whole network.
struct network_cost {
    std::vector<op_cost> per_op;           ///< one entry per op, in network order
    std::int64_t macs = 0;                 ///< total MACs
    std::int64_t params = 0;               ///< total weights + biases
    std::int64_t bn_params = 0;            ///< total batch-norm scale + offset
    std::int64_t activation_elements = 0;  ///< sum of all op outputs (inputs included)
    std::int64_t peak_live_elements = 0;   ///< largest sum of live tensors along the topological order

    /// Sum of all activations in bytes at int8.
    constexpr std::int64_t activation_bytes_int8() const noexcept { return activation_elements; }
    /// Sum of all activations in bytes at float32.
    constexpr std::int64_t activation_bytes_f32() const noexcept { return 4 * activation_elements; }
    /// Peak of live activation bytes at int8.
    constexpr std::int64_t peak_activation_bytes_int8() const noexcept { return peak_live_elements; }
    /// Peak of live activation bytes at float32.
    constexpr std::int64_t peak_activation_bytes_f32() const noexcept { return 4 * peak_live_elements; }
};

/// Costs of op `i` of `net`.
inline op_cost cost_of(const network& net, std::size_t i) {
    const op& o = net.at(i);
    op_cost c;
    c.out_elements = o.out.elements();
    switch (o.kind) {
    case op_kind::conv2d: {
        const std::int64_t cin = net.in_channels(i);
        c.weights = conv_weights(o.kernel_h, o.kernel_w, cin, o.groups, o.filters);
        c.macs = conv_macs(o.out.h, o.out.w, o.filters, o.kernel_h, o.kernel_w, cin, o.groups);  // per image (batch 1)
        c.biases = o.bias ? o.filters : 0;
        c.bn_params = o.batch_norm ? 2 * o.filters : 0;
        break;
    }
    case op_kind::fully_connected: {
        const auto& x = net.in_shape(i);
        c.weights = dense_weights(x.h * x.w * x.c, o.filters);
        c.macs = c.weights;
        c.biases = o.bias ? o.filters : 0;
        c.bn_params = o.batch_norm ? 2 * o.filters : 0;
        break;
    }
    case op_kind::batch_norm:
        c.bn_params = 2 * o.out.c;
        break;
    default:
        break;
    }
    return c;
}

/// Costs of every op and the totals; the peak counts each tensor from its producer until its last
/// consumer has run (network outputs stay live to the end).
inline network_cost cost_of(const network& net) {
    network_cost t;
    const auto n = net.size();
    t.per_op.reserve(n);
    std::vector<std::size_t> last_use(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        last_use[i] = i;
        for (auto j : net.ops()[i].inputs) last_use[j] = i;
    }
    for (auto o : net.outputs()) last_use[o] = n;  // outputs live until the end
    std::vector<std::vector<std::size_t>> dies_after(n + 1);
    for (std::size_t i = 0; i < n; ++i) dies_after[last_use[i]].push_back(i);
    std::int64_t live = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto c = cost_of(net, i);
        t.macs += c.macs;
        t.params += c.params();
        t.bn_params += c.bn_params;
        t.activation_elements += c.out_elements;
        live += c.out_elements;  // inputs of op i are still live while it runs
        t.peak_live_elements = std::max(t.peak_live_elements, live);
        for (auto d : dies_after[i]) live -= net.ops()[d].out.elements();
        t.per_op.push_back(c);
    }
    return t;
}

}  // namespace accelnas::graph
