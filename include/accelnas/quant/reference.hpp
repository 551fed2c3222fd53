#pragma once
/// \file
/// `quant::float_model`: a plain float32 inference of any `graph::network` with a
/// `train::parameter_set`, NHWC, batch along N. It is the yardstick the int8 model is measured
/// against (run on the folded network) and a cross-check of a trainer's inference (run on the
/// unfolded network: batch norm is then applied in inference form, y = gamma (x - mean) /
/// sqrt(var + eps) + beta). Convolutions go through im2col + Eigen GEMM, depthwise convolutions
/// through direct loops.
///
/// Semantics of every op kind (TensorFlow conventions):
/// - conv2d: HWIO weights, groups (group g reads input channels [g*C/G, (g+1)*C/G) and writes
///   filters [g*F/G, (g+1)*F/G)), stride, SAME or VALID (graph::window_along); then bias, then batch
///   norm, then the fused activation.
/// - fully_connected: dot product with the NHWC-flattened input; bias, batch norm, activation.
/// - add (any number of inputs), mul (equal shapes, or a 1x1xC second input broadcast over H, W), each
///   followed by its fused activation; concat along channels.
/// - max_pool ignores padded taps; avg_pool divides by the valid taps, or by the whole window when
///   count_include_pad (padded taps count as zeros); global_avg_pool is the mean over H and W.
/// - batch_norm (standalone) and activation apply their activation; reshape keeps NHWC element order;
///   pad adds zeros; softmax is over channels (max-subtracted).
/// - activations: graph::activation_value (graph/activation.hpp).

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/activation.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/parameter_index.hpp>
#include <accelnas/quant/window.hpp>
#include <accelnas/train/parameters.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace accelnas::quant {

/// The op whose output is the network's result: the last op that no other op consumes.
inline std::size_t output_op(const graph::network& net) {
    const auto outs = net.outputs();
    require(!outs.empty(), "network '", net.name(), "' has no output op");
    return outs.back();
}

/// Index of the single input op of `net`; networks with several inputs raise `accelnas::error`.
inline std::size_t input_op(const graph::network& net) {
    std::size_t found = net.size(), count = 0;
    for (std::size_t i = 0; i < net.size(); ++i)
        if (net.ops()[i].kind == graph::op_kind::input) {
            if (count++ == 0) found = i;
        }
    require(count == 1, "network '", net.name(), "' has ", count, " input ops; quant supports exactly one");
    return found;
}

/// Called by `float_model::run` for every op: (op index, true for the value before the fused
/// activation / false for the op's output, NHWC batch shape, values). Pre-activation values are
/// reported only for ops with a fused activation other than none.
using float_observer =
    std::function<void(std::size_t op, bool pre_activation, const graph::tensor_shape& shape, std::span<const float>)>;

namespace detail {

/// NHWC float tensor of the reference inference.
using ftensor = nhwc_tensor<float>;

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

inline void check_batch_shape(const graph::network& net, std::size_t in, const std::array<std::size_t, 4>& s) {
    const auto& want = net.ops()[in].out;
    require(s[0] > 0 && std::int64_t(s[1]) == want.h && std::int64_t(s[2]) == want.w && std::int64_t(s[3]) == want.c,
            "network '", net.name(), "': input batch has shape ", s[0], "x", s[1], "x", s[2], "x", s[3],
            ", expected Nx", want.h, "x", want.w, "x", want.c, " (NHWC)");
}

/// Number of consumers of every op among the ops `last` depends on, +1 for `last` so it stays
/// alive; ops `last` does not depend on get 0 (and are skipped).
inline std::vector<std::size_t> use_counts(const graph::network& net, std::size_t last) {
    std::vector<char> needed(net.size(), 0);
    needed[last] = 1;
    for (std::size_t i = last + 1; i-- > 0;)
        if (needed[i])
            for (auto j : net.ops()[i].inputs) needed[j] = 1;
    std::vector<std::size_t> uses(net.size(), 0);
    for (std::size_t i = 0; i <= last; ++i)
        if (needed[i])
            for (auto j : net.ops()[i].inputs) ++uses[j];
    ++uses[last];
    return uses;
}

/// Float convolution over NHWC `x` with HWIO `w` (and per-filter `bias` when non-empty).
inline ftensor conv2d_f32(const graph::op& o, const ftensor& x, const float* w, const float* bias) {
    const window2d win(o, x.shape);
    const std::int64_t n = x.shape.n, ih = x.shape.h, iw = x.shape.w, c = x.shape.c;
    const std::int64_t oh = win.oh(), ow = win.ow(), f = o.filters, g = o.groups;
    const std::int64_t cg = graph::channels_per_group(c, g), fg = graph::filters_per_group(f, g), kh = o.kernel_h, kw = o.kernel_w;
    ftensor y{{n, oh, ow, f}, std::vector<float>(std::size_t(n * oh * ow * f), 0.0f)};
    if (graph::one_channel_per_group(c, g)) {  // depthwise (with channel multiplier fg): direct loops over channels
        detail::depthwise<float>(
            win, n, c, fg, x.data.data(), w, [f](float* acc) { std::fill_n(acc, f, 0.0f); }, [](float v) { return v; },
            [&](std::int64_t pos, const float* acc) { std::copy_n(acc, f, &y.data[std::size_t(pos * f)]); });
    } else {
        const std::int64_t k = kh * kw * cg;
        const std::int64_t per_image = oh * ow;
        const std::int64_t chunk = std::max<std::int64_t>(1, 8192 / per_image);  // images per GEMM
        row_matrix col;
        Eigen::Map<const row_matrix> wm(w, k, f);
        for (std::int64_t b0 = 0; b0 < n; b0 += chunk) {
            const std::int64_t nb = std::min(chunk, n - b0), rows = nb * per_image;
            Eigen::Map<row_matrix> ym(&y.data[std::size_t(b0 * per_image * f)], rows, f);
            const bool direct = g == 1 && kh == 1 && kw == 1 && o.stride_h == 1 && o.stride_w == 1;
            for (std::int64_t gi = 0; gi < g; ++gi) {
                if (direct) {
                    Eigen::Map<const row_matrix> xm(&x.data[std::size_t(b0 * ih * iw * c)], rows, c);
                    ym.noalias() = xm * wm;
                    continue;
                }
                col.setZero(rows, k);
                for (std::int64_t b = 0; b < nb; ++b)
                    detail::im2col(win, &x.data[std::size_t((b0 + b) * ih * iw * c + gi * cg)], c, cg,
                                   col.data() + b * per_image * k, k, [](float v) { return v; });
                ym.middleCols(gi * fg, fg).noalias() = col * wm.middleCols(gi * fg, fg);
            }
        }
    }
    if (bias)
        for (std::size_t i = 0; i < y.data.size(); i += std::size_t(f))
            for (std::int64_t j = 0; j < f; ++j) y.data[i + std::size_t(j)] += bias[j];
    return y;
}

/// Float dense layer over the NHWC-flattened `x`; `w` is [in_features, units] row-major.
inline ftensor dense_f32(const graph::op& o, const ftensor& x, const float* w, const float* bias) {
    const std::int64_t n = x.shape.n, k = x.shape.h * x.shape.w * x.shape.c, u = o.filters;
    ftensor y{{n, 1, 1, u}, std::vector<float>(std::size_t(n * u))};
    Eigen::Map<const row_matrix> xm(x.data.data(), n, k), wm(w, k, u);
    Eigen::Map<row_matrix> ym(y.data.data(), n, u);
    ym.noalias() = xm * wm;
    if (bias)
        for (std::int64_t b = 0; b < n; ++b)
            for (std::int64_t j = 0; j < u; ++j) y.data[std::size_t(b * u + j)] += bias[j];
    return y;
}

/// Max or average pooling of `x` with the window of `o`.
inline ftensor pool_f32(const graph::op& o, const ftensor& x) {
    const window2d win(o, x.shape);
    const std::int64_t n = x.shape.n, c = x.shape.c;
    ftensor y{{n, win.oh(), win.ow(), c}, std::vector<float>(std::size_t(n * win.oh() * win.ow() * c))};
    const bool is_max = o.kind == graph::op_kind::max_pool;
    detail::pool(win, is_max, -std::numeric_limits<float>::infinity(), n, c, x.data.data(), y.data.data(),
                 [&](const float* acc, std::int64_t taps, float* out) {
                     const float div = float(o.count_include_pad ? std::int64_t{o.kernel_h} * o.kernel_w : taps);
                     for (std::int64_t ch = 0; ch < c; ++ch) out[ch] = is_max ? acc[ch] : acc[ch] / div;
                 });
    return y;
}

/// Network-ready float parameters of one op: weights as stored, bias, batch norm as scale + shift.
struct float_op_parameters {
    std::vector<float> weight;       ///< HWIO (conv2d) or [in_features, units] (fully_connected)
    std::vector<float> bias;         ///< empty when none
    std::vector<float> bn_scale;     ///< gamma / sqrt(var + eps); empty when no batch norm
    std::vector<float> bn_shift;     ///< beta - mean * bn_scale
};

inline std::vector<float> to_vector(const xt::xtensor<float, 1>& v) { return {v.begin(), v.end()}; }

inline float_op_parameters prepare_float(const train::op_parameters& p) {
    float_op_parameters q;
    q.weight.assign(p.weight.begin(), p.weight.end());
    q.bias = to_vector(p.bias);
    if (p.bn_gamma.size() != 0) {
        q.bn_scale.resize(p.bn_gamma.size());
        q.bn_shift.resize(p.bn_gamma.size());
        for (std::size_t c = 0; c < p.bn_gamma.size(); ++c) {
            // double, so that the reference is not the weak link when compared with folded weights
            const double s = double(p.bn_gamma(c)) / std::sqrt(double(p.bn_var(c)) + double(p.bn_eps));
            q.bn_scale[c] = float(s);
            q.bn_shift[c] = float(double(p.bn_beta(c)) - double(p.bn_mean(c)) * s);
        }
    }
    return q;
}

}  // namespace detail

/// Float32 inference of a network with its parameters (folded or not), NHWC, any batch size.
class float_model {
public:
    /// Checks `params` against `net` (see `parameter_index`) and keeps copies of both.
    float_model(graph::network net, const train::parameter_set& params)
        : net_(std::move(net)), in_(input_op(net_)), out_(output_op(net_)), params_(net_.size()) {
        for (const auto& o : net_.ops())
            require(o.kind != graph::op_kind::opaque, "quant::float_model: op '", o.name, "' is an opaque ",
                    o.opaque_type, " op (one accelnas does not model), which it cannot run");
        const parameter_index index(net_, params);
        for (std::size_t i = 0; i < net_.size(); ++i)
            if (const auto* p = index.find(i)) params_[i] = detail::prepare_float(*p);
    }

    /// The network this model runs.
    const graph::network& network() const noexcept { return net_; }
    /// Index of the op whose output `predict` returns.
    std::size_t output() const noexcept { return out_; }

    /// Output of the network (its last unconsumed op) for an NHWC batch.
    xt::xtensor<float, 4> predict(const xt::xtensor<float, 4>& batch) const { return predict(batch, out_); }

    /// Output of op `op` for an NHWC batch (ops after it are not run).
    xt::xtensor<float, 4> predict(const xt::xtensor<float, 4>& batch, std::size_t op) const {
        require(op < net_.size(), "float_model: op index ", op, " out of range (", net_.size(), " ops)");
        detail::ftensor r = run(batch, op, nullptr);
        xt::xtensor<float, 4> y = xt::empty<float>(std::array<std::size_t, 4>{
            std::size_t(r.shape.n), std::size_t(r.shape.h), std::size_t(r.shape.w), std::size_t(r.shape.c)});
        std::copy(r.data.begin(), r.data.end(), y.begin());
        return y;
    }

    /// Runs the whole network on `batch`, reporting every op's values to `observer` as they are made.
    void observe(const xt::xtensor<float, 4>& batch, const float_observer& observer) const {
        run(batch, out_, &observer);
    }

private:
    detail::ftensor run(const xt::xtensor<float, 4>& batch, std::size_t last, const float_observer* obs) const {
        using graph::op_kind;
        detail::check_batch_shape(net_, in_, batch.shape());
        std::vector<detail::ftensor> t(net_.size());
        auto uses = detail::use_counts(net_, last);
        const auto report = [&](std::size_t i, bool pre, const detail::ftensor& v) {
            if (obs) (*obs)(i, pre, v.shape, std::span<const float>(v.data));
        };
        for (std::size_t i = 0; i <= last; ++i) {
            const auto& o = net_.ops()[i];
            if (o.kind != op_kind::input && uses[i] == 0) continue;  // not needed for `last`
            const auto& p = params_[i];
            auto in = [&](std::size_t k) -> const detail::ftensor& { return t[o.inputs[k]]; };
            detail::ftensor y;
            bool fused = false;  // op kinds whose `act` is applied below
            switch (o.kind) {
            case op_kind::input:
                y.shape = {std::int64_t(batch.shape()[0]), o.out.h, o.out.w, o.out.c};
                y.data.assign(batch.begin(), batch.end());
                break;
            case op_kind::conv2d:
            case op_kind::fully_connected: {
                y = o.kind == op_kind::conv2d
                        ? detail::conv2d_f32(o, in(0), p.weight.data(), p.bias.empty() ? nullptr : p.bias.data())
                        : detail::dense_f32(o, in(0), p.weight.data(), p.bias.empty() ? nullptr : p.bias.data());
                if (!p.bn_scale.empty()) affine(y, p.bn_scale, p.bn_shift);
                fused = true;
                break;
            }
            case op_kind::batch_norm:
                y = in(0);
                affine(y, p.bn_scale, p.bn_shift);
                fused = true;
                break;
            case op_kind::activation:
                y = in(0);
                fused = true;
                break;
            case op_kind::add:
                y = in(0);
                for (std::size_t k = 1; k < o.inputs.size(); ++k) {
                    const auto& z = in(k).data;
                    for (std::size_t e = 0; e < y.data.size(); ++e) y.data[e] += z[e];
                }
                fused = true;
                break;
            case op_kind::mul: {
                y = in(0);
                const auto& z = in(1);
                // equal shapes, or a 1x1xC z broadcast over H and W
                detail::for_each_broadcast(y.shape, !(z.shape == y.shape),
                                           [&](std::size_t e, std::size_t ez) { y.data[e] *= z.data[ez]; });
                fused = true;
                break;
            }
            case op_kind::concat: {
                std::int64_t c = 0;
                for (std::size_t k = 0; k < o.inputs.size(); ++k) c += in(k).shape.c;
                const auto& s0 = in(0).shape;
                y.shape = {s0.n, s0.h, s0.w, c};
                y.data.resize(std::size_t(s0.n * s0.h * s0.w * c));
                std::int64_t off = 0;
                for (std::size_t k = 0; k < o.inputs.size(); ++k) {
                    const auto& z = in(k);
                    const std::int64_t zc = z.shape.c;
                    for (std::int64_t px = 0; px < s0.n * s0.h * s0.w; ++px)
                        std::copy_n(&z.data[std::size_t(px * zc)], zc, &y.data[std::size_t(px * c + off)]);
                    off += zc;
                }
                break;
            }
            case op_kind::max_pool:
            case op_kind::avg_pool:
                y = detail::pool_f32(o, in(0));
                break;
            case op_kind::global_avg_pool: {
                const auto& x = in(0);
                const std::int64_t hw = x.shape.h * x.shape.w, c = x.shape.c;
                y.shape = {x.shape.n, 1, 1, c};
                y.data.assign(std::size_t(x.shape.n * c), 0.0f);
                for (std::int64_t b = 0; b < x.shape.n; ++b) {
                    std::vector<double> acc(std::size_t(c), 0.0);
                    for (std::int64_t s = 0; s < hw; ++s)
                        for (std::int64_t ch = 0; ch < c; ++ch) acc[std::size_t(ch)] += x.data[std::size_t((b * hw + s) * c + ch)];
                    for (std::int64_t ch = 0; ch < c; ++ch) y.data[std::size_t(b * c + ch)] = float(acc[std::size_t(ch)] / double(hw));
                }
                break;
            }
            case op_kind::reshape:
                y = in(0);
                y.shape = {y.shape.n, o.out.h, o.out.w, o.out.c};
                break;
            case op_kind::pad: y = detail::pad(o, in(0), 0.0f); break;
            case op_kind::softmax: {
                y = in(0);
                const std::size_t c = std::size_t(y.shape.c);
                for (std::size_t px = 0; px < y.data.size(); px += c) {
                    float m = -std::numeric_limits<float>::infinity();
                    for (std::size_t ch = 0; ch < c; ++ch) m = std::max(m, y.data[px + ch]);
                    double sum = 0.0;
                    for (std::size_t ch = 0; ch < c; ++ch) sum += y.data[px + ch] = std::exp(y.data[px + ch] - m);
                    for (std::size_t ch = 0; ch < c; ++ch) y.data[px + ch] = float(y.data[px + ch] / sum);
                }
                break;
            }
            case op_kind::opaque: fail("quant::float_model: op '", o.name, "' is opaque (", o.opaque_type, ")");
            }
            if (fused && o.act != graph::activation::none) {
                report(i, true, y);
                for (auto& v : y.data) v = graph::activation_value(o.act, v);
            }
            report(i, false, y);
            t[i] = std::move(y);
            for (auto j : o.inputs)
                if (--uses[j] == 0) t[j] = {};  // free tensors after their last consumer
        }
        return std::move(t[last]);
    }

    static void affine(detail::ftensor& y, const std::vector<float>& scale, const std::vector<float>& shift) {
        const std::size_t c = scale.size();
        for (std::size_t e = 0; e < y.data.size(); e += c)
            for (std::size_t ch = 0; ch < c; ++ch) y.data[e + ch] = y.data[e + ch] * scale[ch] + shift[ch];
    }

    graph::network net_;
    std::size_t in_, out_;
    std::vector<detail::float_op_parameters> params_;
};

}  // namespace accelnas::quant
