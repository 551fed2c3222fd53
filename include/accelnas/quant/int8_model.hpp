#pragma once
/// \file
/// `quant::int8_model`: the int8 interpreter - integer inference of a batch-norm-free (folded)
/// network quantized by `quantize_ops` (quantizer.hpp holds the scheme: scales, zero points,
/// multipliers, int8 weights). Kernels:
/// - conv2d (groups, depthwise, stride, SAME/VALID) and fully_connected: int32 accumulation of
///   (x - zp_x) * w over the window (padded taps contribute 0, i.e. real zero) plus the int32 bias,
///   then the per-channel fixed-point multiplier and + zp_out. Operands are widened to int16
///   (exact); conv2d accumulates one input value times a row of filters at a time (vectorised over
///   filters, skipping zero inputs), fully_connected uses one dot product per unit.
/// - add: TFLite's scheme: inputs shifted left by 20 bits (fewer for many inputs), each rescaled to
///   a common scale by a fixed-point multiplier, summed in int32, rescaled to the output.
/// - mul (incl. 1x1xC broadcast): (a - zp_a)(b - zp_b) in int32, rescaled by s_a s_b / s_out.
/// - concat: each input rescaled to the output parameters (copied when they are equal).
/// - max_pool, avg_pool (integer mean, rounded half away from zero), reshape, pad (with the zero
///   point): output parameters equal the input's, as in TFLite.
/// - global_avg_pool: int32 sum of (x - zp), rescaled by s_in / (H W s_out).
/// - fused activations: clamp (relu, relu6) or lookup table of the requantized code; standalone
///   activations: the lookup table of the input code.
/// - softmax: no integer kernel; it runs in float between dequantize and quantize, with TFLite's
///   fixed output parameters scale 1/256, zero point -128 (probability 1 saturates to 255/256).
/// Every rescaled result is rounded to nearest and saturated to [-128, 127]: saturation is the
/// defined semantics of int8 inference (values beyond the calibrated range clip), not an error.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/fixed_point.hpp>
#include <accelnas/quant/fold.hpp>
#include <accelnas/quant/quantizer.hpp>
#include <accelnas/quant/ranges.hpp>
#include <accelnas/quant/reference.hpp>
#include <accelnas/quant/window.hpp>
#include <accelnas/train/parameters.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace accelnas::quant {

namespace detail {

/// NHWC int8 tensor of the integer inference.
using qtensor = nhwc_tensor<std::int8_t>;

/// One op as the interpreter runs it: its quantization plus the weights in the kernels' layout.
struct int8_op : quantized_op {
    std::vector<std::int16_t> kernel;  // conv2d: [tap][filter] (HWIO); fully_connected: [unit][input]
};

inline std::int32_t dot_i16(const std::int16_t* a, const std::int16_t* b, std::int64_t n) noexcept {
    std::int32_t s = 0;
    for (std::int64_t i = 0; i < n; ++i) s += std::int32_t(a[i]) * std::int32_t(b[i]);
    return s;
}

inline std::int8_t saturate8(std::int32_t v) noexcept { return static_cast<std::int8_t>(std::clamp(v, -128, 127)); }

}  // namespace detail

/// Integer (int8) inference of a folded network; see the file comment for the arithmetic.
class int8_model {
public:
    /// Quantizes `folded` (no batch norm: see `fold_batch_norm`) with its parameters and the
    /// activation ranges measured on it (`observe_ranges`), see `quantize_ops`.
    int8_model(graph::network folded, const train::parameter_set& params, const activation_ranges& ranges)
        : net_(std::move(folded)), in_(input_op(net_)), out_(output_op(net_)) {
        auto ops = quantize_ops(net_, params, ranges);
        ops_.reserve(ops.size());
        for (std::size_t i = 0; i < ops.size(); ++i) {
            ops_.push_back({std::move(ops[i]), {}});
            lay_out_kernel(i);
        }
    }

    /// The (folded) network this model runs.
    const graph::network& network() const noexcept { return net_; }
    /// Index of the op whose output `predict` returns.
    std::size_t output() const noexcept { return out_; }
    /// Quantization parameters of the output of op `op`.
    const quant_params& params(std::size_t op) const { return at(op).out; }
    /// int8 weights of conv2d / fully_connected op `op` in the float layout (HWIO, [in, units]).
    const std::vector<std::int8_t>& weights(std::size_t op) const { return at(op).weight; }
    /// Per-output-channel weight scales of op `op`.
    const std::vector<float>& weight_scales(std::size_t op) const { return at(op).weight_scale; }
    /// int32 biases of op `op` (scale: input scale * weight scale of the channel).
    const std::vector<std::int32_t>& biases(std::size_t op) const { return at(op).bias; }

    /// Quantizes a float NHWC batch with the input's parameters (round to nearest, saturating).
    xt::xtensor<std::int8_t, 4> quantize_input(const xt::xtensor<float, 4>& batch) const {
        detail::check_batch_shape(net_, in_, batch.shape());
        xt::xtensor<std::int8_t, 4> q = xt::empty<std::int8_t>(batch.shape());
        const auto& p = ops_[in_].out;
        std::transform(batch.begin(), batch.end(), q.begin(), [&](float x) { return p.quantize(x); });
        return q;
    }

    /// int8 output of op `op` for an int8 NHWC batch quantized with `params(input)`.
    xt::xtensor<std::int8_t, 4> run(const xt::xtensor<std::int8_t, 4>& batch, std::size_t op) const {
        detail::qtensor r = forward(batch, op);
        xt::xtensor<std::int8_t, 4> y = xt::empty<std::int8_t>(shape_of(r.shape));
        std::copy(r.data.begin(), r.data.end(), y.begin());
        return y;
    }

    /// Dequantized network output for a float NHWC batch (quantize, int8 inference, dequantize).
    xt::xtensor<float, 4> predict(const xt::xtensor<float, 4>& batch) const { return predict(batch, out_); }

    /// Dequantized output of op `op` for a float NHWC batch.
    xt::xtensor<float, 4> predict(const xt::xtensor<float, 4>& batch, std::size_t op) const {
        detail::qtensor r = forward(quantize_input(batch), op);
        xt::xtensor<float, 4> y = xt::empty<float>(shape_of(r.shape));
        const auto& p = ops_[op].out;
        std::transform(r.data.begin(), r.data.end(), y.begin(), [&](std::int8_t q) { return p.dequantize(q); });
        return y;
    }

private:
    const detail::int8_op& at(std::size_t op) const {
        require(op < ops_.size(), "int8_model: op index ", op, " out of range (", ops_.size(), " ops)");
        return ops_[op];
    }

    static std::array<std::size_t, 4> shape_of(const graph::tensor_shape& s) {
        return {std::size_t(s.n), std::size_t(s.h), std::size_t(s.w), std::size_t(s.c)};
    }

    // The int16 kernel of conv2d / fully_connected op `i` in the layout its loop reads.
    void lay_out_kernel(std::size_t i) {
        const auto& o = net_.ops()[i];
        auto& q = ops_[i];
        if (o.kind != graph::op_kind::conv2d && o.kind != graph::op_kind::fully_connected) return;
        const std::int64_t f = o.filters, k = q.taps;
        q.kernel.resize(q.weight.size());
        if (o.kind == graph::op_kind::conv2d) {  // [tap][filter]: accumulate a row of filters per input value
            std::copy(q.weight.begin(), q.weight.end(), q.kernel.begin());
        } else {  // fully_connected: [unit][input], one dot product per unit
            for (std::int64_t e = 0; e < k; ++e)
                for (std::int64_t oo = 0; oo < f; ++oo) q.kernel[std::size_t(oo * k + e)] = q.weight[std::size_t(e * f + oo)];
        }
    }

    detail::qtensor forward(const xt::xtensor<std::int8_t, 4>& batch, std::size_t last) const {
        using graph::op_kind;
        require(last < net_.size(), "int8_model: op index ", last, " out of range (", net_.size(), " ops)");
        detail::check_batch_shape(net_, in_, batch.shape());
        std::vector<detail::qtensor> t(net_.size());
        auto uses = detail::use_counts(net_, last);
        for (std::size_t i = 0; i <= last; ++i) {
            const auto& o = net_.ops()[i];
            if (o.kind != op_kind::input && uses[i] == 0) continue;
            const auto& q = ops_[i];
            auto in = [&](std::size_t k) -> const detail::qtensor& { return t[o.inputs[k]]; };
            detail::qtensor y;
            switch (o.kind) {
            case op_kind::input:
                y.shape = {std::int64_t(batch.shape()[0]), o.out.h, o.out.w, o.out.c};
                y.data.assign(batch.begin(), batch.end());
                break;
            case op_kind::conv2d: y = conv(o, q, in(0), ops_[o.inputs[0]].out.zero_point); break;
            case op_kind::fully_connected: y = dense(o, q, in(0), ops_[o.inputs[0]].out.zero_point); break;
            case op_kind::add: y = add(o, q, t); break;
            case op_kind::mul: y = mul(o, q, in(0), in(1)); break;
            case op_kind::concat: y = concat(o, q, t); break;
            case op_kind::max_pool:
            case op_kind::avg_pool: y = pool(o, in(0), q.out.zero_point); break;
            case op_kind::global_avg_pool: y = global_pool(q, in(0), ops_[o.inputs[0]].out.zero_point); break;
            case op_kind::activation:
                y = in(0);
                for (auto& v : y.data) v = q.lut[std::size_t(v + 128)];
                break;
            case op_kind::reshape:
                y = in(0);
                y.shape = {y.shape.n, o.out.h, o.out.w, o.out.c};
                break;
            case op_kind::pad: y = detail::pad(o, in(0), std::int8_t(q.out.zero_point)); break;
            case op_kind::softmax: y = softmax(q, in(0), ops_[o.inputs[0]].out); break;
            case op_kind::batch_norm: fail("int8_model: op '", o.name, "' is a batch norm; fold it first");
            case op_kind::opaque: fail("int8_model: op '", o.name, "' is opaque (", o.opaque_type, ")");
            }
            t[i] = std::move(y);
            for (auto j : o.inputs)
                if (--uses[j] == 0) t[j] = {};
        }
        return std::move(t[last]);
    }

    static detail::qtensor conv(const graph::op& o, const detail::int8_op& q, const detail::qtensor& x, std::int32_t zp) {
        const detail::window2d win(o, x.shape);
        const std::int64_t n = x.shape.n, ih = x.shape.h, iw = x.shape.w, c = x.shape.c;
        const std::int64_t oh = win.oh(), ow = win.ow(), f = o.filters, g = o.groups, cg = graph::channels_per_group(c, g), fg = graph::filters_per_group(f, g);
        const std::int64_t k = q.taps;
        detail::qtensor y{{n, oh, ow, f}, std::vector<std::int8_t>(std::size_t(n * oh * ow * f))};
        if (graph::one_channel_per_group(c, g)) {  // depthwise with channel multiplier fg: [tap][filter] kernel
            detail::depthwise<std::int32_t>(
                win, n, c, fg, x.data.data(), q.kernel.data(),
                [&](std::int32_t* acc) { std::copy(q.bias.begin(), q.bias.end(), acc); },
                [zp](std::int8_t v) { return std::int32_t(v) - zp; },
                [&](std::int64_t pos, const std::int32_t* acc) { requantize(q, acc, &y.data[std::size_t(pos * f)], 0, f); });
            return y;
        }
        std::vector<std::int16_t> col(static_cast<std::size_t>(oh * ow * k));
        std::vector<std::int32_t> acc(static_cast<std::size_t>(fg));
        for (std::int64_t b = 0; b < n; ++b)
            for (std::int64_t gi = 0; gi < g; ++gi) {
                std::fill(col.begin(), col.end(), std::int16_t{0});  // padded taps: real zero
                detail::im2col(win, &x.data[std::size_t(b * ih * iw * c + gi * cg)], c, cg, col.data(), k,
                               [zp](std::int8_t v) { return std::int16_t(v - zp); });
                for (std::int64_t r = 0; r < oh * ow; ++r) {
                    const std::int16_t* row = &col[std::size_t(r * k)];
                    std::copy_n(&q.bias[std::size_t(gi * fg)], fg, acc.begin());
                    for (std::int64_t e = 0; e < k; ++e) {
                        const std::int32_t v = row[e];
                        if (v == 0) continue;  // real zeros (ReLU outputs, padding) add nothing
                        const std::int16_t* wr = &q.kernel[std::size_t(e * f + gi * fg)];
                        for (std::int64_t oo = 0; oo < fg; ++oo) acc[std::size_t(oo)] += v * std::int32_t(wr[oo]);
                    }
                    requantize(q, acc.data(), &y.data[std::size_t((b * oh * ow + r) * f + gi * fg)], gi * fg, fg);
                }
            }
        return y;
    }

    /// Output codes of filters [first, first + count) of one output position from their int32
    /// accumulators. Kept out of line on purpose: inlined into the conv loop nests it competes with
    /// them for registers.
    [[gnu::noinline]] static void requantize(const detail::int8_op& q, const std::int32_t* acc, std::int8_t* dst,
                                             std::int64_t first, std::int64_t count) {
        const std::int32_t zp_stage = q.stage.zero_point;
        for (std::int64_t oo = 0; oo < count; ++oo)
            dst[oo] = q.finish(zp_stage + q.requant[std::size_t(first + oo)].apply(acc[oo]));
    }

    static detail::qtensor dense(const graph::op& o, const detail::int8_op& q, const detail::qtensor& x, std::int32_t zp) {
        const std::int64_t n = x.shape.n, k = q.taps, u = o.filters;
        detail::qtensor y{{n, 1, 1, u}, std::vector<std::int8_t>(std::size_t(n * u))};
        std::vector<std::int16_t> row(static_cast<std::size_t>(k));
        for (std::int64_t b = 0; b < n; ++b) {
            for (std::int64_t e = 0; e < k; ++e) row[std::size_t(e)] = std::int16_t(x.data[std::size_t(b * k + e)] - zp);
            for (std::int64_t oo = 0; oo < u; ++oo) {
                const std::int32_t acc = q.bias[std::size_t(oo)] + detail::dot_i16(row.data(), &q.kernel[std::size_t(oo * k)], k);
                y.data[std::size_t(b * u + oo)] = q.finish(q.stage.zero_point + q.requant[std::size_t(oo)].apply(acc));
            }
        }
        return y;
    }

    detail::qtensor add(const graph::op& o, const detail::int8_op& q, const std::vector<detail::qtensor>& t) const {
        const auto& x0 = t[o.inputs[0]];
        detail::qtensor y{x0.shape, std::vector<std::int8_t>(x0.data.size())};
        const std::size_t m = o.inputs.size();
        std::vector<const std::int8_t*> src(m);
        std::vector<std::int32_t> zp(m);
        for (std::size_t k = 0; k < m; ++k) {
            src[k] = t[o.inputs[k]].data.data();
            zp[k] = ops_[o.inputs[k]].out.zero_point;
        }
        const std::int32_t scale_up = std::int32_t{1} << q.left_shift;
        for (std::size_t e = 0; e < y.data.size(); ++e) {
            std::int32_t sum = 0;
            for (std::size_t k = 0; k < m; ++k) sum += q.in_mult[k].apply((std::int32_t(src[k][e]) - zp[k]) * scale_up);
            y.data[e] = q.finish(q.stage.zero_point + q.out_mult.apply(sum));
        }
        return y;
    }

    detail::qtensor mul(const graph::op& o, const detail::int8_op& q, const detail::qtensor& a,
                        const detail::qtensor& b) const {
        detail::qtensor y{a.shape, std::vector<std::int8_t>(a.data.size())};
        const std::int32_t za = ops_[o.inputs[0]].out.zero_point, zb = ops_[o.inputs[1]].out.zero_point;
        // equal shapes, or b is 1x1xC: one value per image and channel
        detail::for_each_broadcast(a.shape, !(a.shape == b.shape), [&](std::size_t e, std::size_t eb) {
            const std::int32_t acc = (std::int32_t(a.data[e]) - za) * (std::int32_t(b.data[eb]) - zb);
            y.data[e] = q.finish(q.stage.zero_point + q.out_mult.apply(acc));
        });
        return y;
    }

    detail::qtensor concat(const graph::op& o, const detail::int8_op& q, const std::vector<detail::qtensor>& t) const {
        const auto& s0 = t[o.inputs[0]].shape;
        const std::int64_t px = s0.n * s0.h * s0.w, c = o.out.c;
        detail::qtensor y{{s0.n, s0.h, s0.w, c}, std::vector<std::int8_t>(std::size_t(px * c))};
        std::int64_t off = 0;
        for (std::size_t k = 0; k < o.inputs.size(); ++k) {
            const auto& x = t[o.inputs[k]];
            const auto& p = ops_[o.inputs[k]].out;
            const std::int64_t xc = x.shape.c;
            for (std::int64_t i = 0; i < px; ++i) {
                const std::int8_t* src = &x.data[std::size_t(i * xc)];
                std::int8_t* dst = &y.data[std::size_t(i * c + off)];
                if (p == q.out) std::copy_n(src, xc, dst);
                else
                    for (std::int64_t ch = 0; ch < xc; ++ch)
                        dst[ch] = detail::saturate8(q.out.zero_point + q.in_mult[k].apply(std::int32_t(src[ch]) - p.zero_point));
            }
            off += xc;
        }
        return y;
    }

    static detail::qtensor pool(const graph::op& o, const detail::qtensor& x, std::int32_t zp) {
        const detail::window2d win(o, x.shape);
        const std::int64_t n = x.shape.n, c = x.shape.c;
        detail::qtensor y{{n, win.oh(), win.ow(), c}, std::vector<std::int8_t>(std::size_t(n * win.oh() * win.ow() * c))};
        const bool is_max = o.kind == graph::op_kind::max_pool;
        detail::pool<std::int32_t>(win, is_max, -128, n, c, x.data.data(), y.data.data(),
                                   [&](std::int32_t* acc, std::int64_t valid, std::int8_t* dst) {
                                       const std::int32_t taps = std::int32_t(valid);
                                       std::int32_t div = taps;
                                       if (!is_max && o.count_include_pad) {  // padded taps are real zeros: code zp
                                           div = o.kernel_h * o.kernel_w;
                                           for (std::int64_t ch = 0; ch < c; ++ch) acc[ch] += (div - taps) * zp;
                                       }
                                       for (std::int64_t ch = 0; ch < c; ++ch) {
                                           const std::int32_t a = acc[ch];
                                           dst[ch] = is_max ? std::int8_t(a)
                                                            : detail::saturate8(a >= 0 ? (a + div / 2) / div : -((-a + div / 2) / div));
                                       }
                                   });
        return y;
    }

    static detail::qtensor global_pool(const detail::int8_op& q, const detail::qtensor& x, std::int32_t zp) {
        const std::int64_t n = x.shape.n, hw = x.shape.h * x.shape.w, c = x.shape.c;
        detail::qtensor y{{n, 1, 1, c}, std::vector<std::int8_t>(std::size_t(n * c))};
        std::vector<std::int32_t> acc(static_cast<std::size_t>(c));
        for (std::int64_t b = 0; b < n; ++b) {
            std::fill(acc.begin(), acc.end(), 0);
            for (std::int64_t s = 0; s < hw; ++s) {
                const std::int8_t* src = &x.data[std::size_t((b * hw + s) * c)];
                for (std::int64_t ch = 0; ch < c; ++ch) acc[std::size_t(ch)] += std::int32_t(src[ch]) - zp;
            }
            for (std::int64_t ch = 0; ch < c; ++ch)
                y.data[std::size_t(b * c + ch)] = detail::saturate8(q.out.zero_point + q.out_mult.apply(acc[std::size_t(ch)]));
        }
        return y;
    }

    static detail::qtensor softmax(const detail::int8_op& q, const detail::qtensor& x, const quant_params& in) {
        detail::qtensor y{x.shape, std::vector<std::int8_t>(x.data.size())};
        const std::size_t c = std::size_t(x.shape.c);
        std::vector<double> e(c);
        for (std::size_t px = 0; px < x.data.size(); px += c) {
            double m = -std::numeric_limits<double>::infinity(), sum = 0.0;
            for (std::size_t ch = 0; ch < c; ++ch) m = std::max(m, double(in.dequantize(x.data[px + ch])));
            for (std::size_t ch = 0; ch < c; ++ch) sum += e[ch] = std::exp(double(in.dequantize(x.data[px + ch])) - m);
            for (std::size_t ch = 0; ch < c; ++ch) y.data[px + ch] = q.out.quantize(float(e[ch] / sum));
        }
        return y;
    }

    graph::network net_;
    std::size_t in_, out_;
    std::vector<detail::int8_op> ops_;
};

/// Folds `net`, observes its activation ranges on `calibration_images` (NHWC, in batches of
/// `batch_size`) and returns the int8 model: the one-call post-training quantization.
inline int8_model quantize(const graph::network& net, const train::parameter_set& params,
                           const xt::xtensor<float, 4>& calibration_images, std::size_t batch_size = 256) {
    auto folded = fold_batch_norm(net, params);
    const float_model reference(folded.network, folded.parameters);
    const auto ranges = observe_ranges(reference, calibration_images, batch_size);
    return int8_model(std::move(folded.network), folded.parameters, ranges);
}

}  // namespace accelnas::quant
