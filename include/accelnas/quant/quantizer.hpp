#pragma once
/// \file
/// The int8 quantizer (TFLite's full-integer scheme): from a folded network, its float parameters
/// and the activation ranges observed on it (ranges.hpp), every op's quantization - scales, zero
/// points, fixed-point multipliers, int8 weights and int32 biases. The int8 interpreter
/// (int8_model.hpp) runs the result.
/// - activations: per-tensor **asymmetric int8**, real = scale * (q - zero_point), q in [-128, 127].
///   The range is the min/max over all calibration images (no averaging, no percentile clipping),
///   widened to contain 0 so that zero (padding, ReLU) is exact; scale = (max - min) / 255 and
///   zero_point = round(-128 - min / scale), nudged into [-128, 127]. max_pool, avg_pool, reshape
///   and pad keep their input's parameters; softmax has TFLite's fixed 1/256, -128.
/// - weights of conv2d / fully_connected: per-output-channel **symmetric int8** in [-127, 127]
///   (zero point 0). The quantizer checks that no accumulator can overflow int32
///   (taps * 255 * 127 + |bias| < 2^31) and raises `accelnas::error` naming the op otherwise.
/// - biases: int32 with scale = input scale * weight scale of the channel.
/// - requantization: per channel a fixed-point multiplier s_in s_w[o] / s_out (fixed_point.hpp);
///   add, mul, concat and global_avg_pool get the multipliers of their rescalings.
/// - fused relu / relu6 clamp the requantized value to the int8 codes of [0, inf) / [0, 6]; other
///   activations (fused or standalone) go through a 256-entry lookup table from the int8 codes of
///   the pre-activation value to the nearest int8 code of the activation's output.
/// Quantizing a float rounds to nearest and saturates to [-128, 127]: saturation is the defined
/// semantics for values outside the calibrated range (as in every int8 engine), not an error.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/activation.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/fixed_point.hpp>
#include <accelnas/quant/parameter_index.hpp>
#include <accelnas/quant/ranges.hpp>
#include <accelnas/quant/reference.hpp>
#include <accelnas/train/parameters.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace accelnas::quant {

/// Asymmetric int8 quantization of one tensor: real = scale * (q - zero_point).
struct quant_params {
    float scale = 1.0f;           ///< real value of one step (positive)
    std::int32_t zero_point = 0;  ///< the q that stands for real 0, in [-128, 127]

    /// Nearest int8 to `x`, saturated to [-128, 127].
    std::int8_t quantize(float x) const noexcept {
        const float q = std::nearbyint(x / scale) + float(zero_point);
        return static_cast<std::int8_t>(std::clamp(q, -128.0f, 127.0f));
    }
    /// Real value of `q`.
    float dequantize(std::int32_t q) const noexcept { return scale * float(q - zero_point); }
    /// Equal scale and zero point.
    friend bool operator==(const quant_params&, const quant_params&) = default;
};

/// Asymmetric int8 parameters covering `r` widened to contain 0 (see the file comment); an empty or
/// all-zero range gives scale 1, zero point -128 ... any scale represents an all-zero tensor exactly.
inline quant_params asymmetric_params(const tensor_range& r) {
    const float lo = r.empty() ? 0.0f : std::min(r.min, 0.0f), hi = r.empty() ? 0.0f : std::max(r.max, 0.0f);
    require(std::isfinite(lo) && std::isfinite(hi), "asymmetric_params: range [", lo, ", ", hi, "] is not finite");
    quant_params p;
    if (hi == lo) {
        p.zero_point = -128;
        return p;
    }
    p.scale = float((double(hi) - double(lo)) / 255.0);
    const double zp = -128.0 - double(lo) / double(p.scale);
    p.zero_point = std::int32_t(std::clamp(std::nearbyint(zp), -128.0, 127.0));
    return p;
}

/// The quantization of one op: everything the int8 interpreter needs besides the graph.
struct quantized_op {
    quant_params out;                      ///< parameters of the op's output
    quant_params stage;                    ///< parameters of the requantized value (the pre-activation value for table ops)
    std::int32_t lo = -128, hi = 127;      ///< clamp of the requantized value (fused relu / relu6)
    bool use_lut = false;                  ///< the requantized code goes through `lut`
    std::array<std::int8_t, 256> lut{};    ///< stage code + 128 -> output code (activations other than relu / relu6)
    std::int64_t taps = 0;                 ///< conv2d / fully_connected: accumulation length per filter
    std::vector<std::int8_t> weight;       ///< conv2d / fully_connected: int8 weights in the float layout (HWIO / [in, units])
    std::vector<float> weight_scale;       ///< conv2d / fully_connected: per filter
    std::vector<std::int32_t> bias;        ///< conv2d / fully_connected: per filter, scale s_in * weight_scale
    std::vector<fixed_multiplier> requant; ///< conv2d / fully_connected: per filter, s_in * weight_scale / stage.scale
    std::vector<fixed_multiplier> in_mult; ///< add / concat: per input, its rescaling
    fixed_multiplier out_mult;             ///< add / mul / global_avg_pool: the rescaling to `stage`
    int left_shift = 0;                    ///< add: inputs are shifted left by this many bits before rescaling

    /// Output code of a requantized value `v` (stage code): clamp, then the table if any.
    std::int8_t finish(std::int32_t v) const noexcept {
        v = std::clamp(v, lo, hi);
        return use_lut ? lut[std::size_t(v + 128)] : static_cast<std::int8_t>(v);
    }
};

namespace detail {

inline void build_lut(quantized_op& q, graph::activation act) {
    for (int c = -128; c <= 127; ++c)
        q.lut[std::size_t(c + 128)] = q.out.quantize(graph::activation_value(act, q.stage.dequantize(c)));
}

// int8 weights, per-channel scales, int32 biases and requantization multipliers of conv2d /
// fully_connected op `i`, whose input has scale `s_in`.
inline void quantize_weights(const graph::op& o, const train::op_parameters& p, float s_in, quantized_op& q) {
    const std::int64_t f = o.filters, k = std::int64_t(p.weight.size()) / f;
    q.taps = k;
    constexpr std::int64_t acc_max = std::numeric_limits<std::int32_t>::max();
    const std::int64_t bias_room = acc_max - k * 255 * 127;
    require(bias_room > 0, "quantize_ops: op '", o.name, "' accumulates ", k,
            " products per output; int32 accumulation could overflow (at most ", acc_max / (255 * 127), ")");
    q.weight.resize(std::size_t(k * f));
    q.weight_scale.resize(std::size_t(f));
    q.bias.resize(std::size_t(f));
    q.requant.resize(std::size_t(f));
    const float* w = p.weight.data();
    for (std::int64_t oo = 0; oo < f; ++oo) {
        double wmax = 0.0;
        for (std::int64_t e = 0; e < k; ++e) wmax = std::max(wmax, std::abs(double(w[e * f + oo])));
        const double b = p.bias.size() ? double(p.bias(std::size_t(oo))) : 0.0;
        require(std::isfinite(wmax) && std::isfinite(b), "quantize_ops: op '", o.name, "': filter ", oo,
                " has a non-finite weight or bias");
        // Symmetric per-channel scale; raised when needed so that the int32 bias fits next to the
        // worst-case accumulation (a near-dead filter with a large folded bias).
        double s_w = std::max(wmax / 127.0, std::abs(b) / (double(s_in) * double(bias_room)));
        if (s_w == 0.0) s_w = 1.0;
        q.weight_scale[std::size_t(oo)] = float(s_w);
        for (std::int64_t e = 0; e < k; ++e)
            q.weight[std::size_t(e * f + oo)] =
                static_cast<std::int8_t>(std::clamp(std::nearbyint(double(w[e * f + oo]) / s_w), -127.0, 127.0));
        const double bq = std::nearbyint(b / (double(s_in) * s_w));
        q.bias[std::size_t(oo)] = std::int32_t(std::clamp(bq, -double(bias_room), double(bias_room)));
        q.requant[std::size_t(oo)] = fixed_multiplier::from(double(s_in) * s_w / double(q.stage.scale));
    }
}

}  // namespace detail

/// Quantizes every op of `net`, a folded network (no batch norm: see `fold_batch_norm`) with its parameters and
/// the activation ranges observed on it (`observe_ranges`); one entry per op, in op order. See the
/// file comment for the scheme; bad input raises `accelnas::error` naming the op.
inline std::vector<quantized_op> quantize_ops(const graph::network& net, const train::parameter_set& params,
                                              const activation_ranges& ranges) {
    using graph::op_kind;
    require(ranges.output.size() == net.size() && ranges.pre_activation.size() == net.size(), "quantize_ops: ranges of ",
            ranges.output.size(), " ops but network '", net.name(), "' has ", net.size(), " ops");
    const parameter_index index(net, params);
    std::vector<quantized_op> ops(net.size());
    for (std::size_t i = 0; i < net.size(); ++i) {
        const auto& o = net.ops()[i];
        require(o.kind != op_kind::batch_norm && !o.batch_norm, "quantize_ops: op '", o.name,
                "' has batch norm; fold it first (quant::fold_batch_norm)");
        require(o.kind != op_kind::opaque, "quantize_ops: op '", o.name, "' is an opaque ", o.opaque_type,
                " op (one accelnas does not model), which cannot be quantized");
        auto& q = ops[i];
        const auto& in = o.inputs.empty() ? q.out : ops[o.inputs[0]].out;
        switch (o.kind) {
        case op_kind::max_pool:
        case op_kind::avg_pool:
        case op_kind::reshape:
        case op_kind::pad: q.out = in; break;
        case op_kind::softmax: q.out = {1.0f / 256.0f, -128}; break;
        default: q.out = asymmetric_params(ranges.output[i]); break;
        }
        q.stage = q.out;
        if (o.kind == op_kind::activation) {  // table from the input's codes
            q.use_lut = true;
            q.stage = in;
            detail::build_lut(q, o.act);
        } else if (o.act != graph::activation::none) {
            if (o.act == graph::activation::relu || o.act == graph::activation::relu6) {
                q.lo = std::max(-128, q.out.zero_point);
                // relu6's largest output (6), from its one definition
                const float relu6_top = graph::activation_value(graph::activation::relu6, std::numeric_limits<float>::infinity());
                if (o.act == graph::activation::relu6)
                    q.hi = std::min<std::int32_t>(127, q.out.zero_point + std::int32_t(std::nearbyint(relu6_top / q.out.scale)));
            } else {
                q.use_lut = true;
                q.stage = asymmetric_params(ranges.pre_activation[i]);
                detail::build_lut(q, o.act);
            }
        }
        if (o.kind == op_kind::conv2d || o.kind == op_kind::fully_connected)
            detail::quantize_weights(o, index.at(i), ops[o.inputs[0]].out.scale, q);
        else if (o.kind == op_kind::add) {
            double max_s = 0.0;
            for (auto j : o.inputs) max_s = std::max(max_s, double(ops[j].out.scale));
            int extra = 0;  // keep the int32 sum of up to 64 terms below 2^31
            while ((std::size_t{8} << extra) < o.inputs.size()) ++extra;
            q.left_shift = 20 - extra;
            for (auto j : o.inputs) q.in_mult.push_back(fixed_multiplier::from(double(ops[j].out.scale) / (2.0 * max_s)));
            q.out_mult = fixed_multiplier::from(2.0 * max_s / (std::ldexp(1.0, q.left_shift) * q.stage.scale));
        } else if (o.kind == op_kind::mul) {
            q.out_mult = fixed_multiplier::from(double(ops[o.inputs[0]].out.scale) * ops[o.inputs[1]].out.scale /
                                                q.stage.scale);
        } else if (o.kind == op_kind::concat) {
            for (auto j : o.inputs) q.in_mult.push_back(fixed_multiplier::from(double(ops[j].out.scale) / q.out.scale));
        } else if (o.kind == op_kind::global_avg_pool) {
            const auto& x = net.in_shape(i);
            q.out_mult = fixed_multiplier::from(double(in.scale) / (double(x.h * x.w) * q.out.scale));
        }
    }
    return ops;
}

}  // namespace accelnas::quant
