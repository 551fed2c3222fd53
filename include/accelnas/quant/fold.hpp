#pragma once
/// \file
/// `quant::fold_batch_norm`: rewrites a network and its parameters so that no batch norm is left,
/// as inference engines do before quantizing. The folded network computes the same function (up to
/// float rounding; the arithmetic is done in double and rounded once).
///
/// Rules, applied in network order:
/// 1. conv2d / fully_connected with `batch_norm`: with s = gamma / sqrt(var + eps), the weights of
///    filter o become w[..., o] * s[o] and the bias (b[o] - mean[o]) * s[o] + beta[o] (b = 0 when the
///    op had no bias); the op gets `bias = true`, `batch_norm = false`, its activation unchanged.
/// 2. A standalone batch_norm (y = s x + t per channel, then its activation) is folded
///    a) backwards into the op that produces its input, when that op (after its own folding) is a
///       conv2d / fully_connected without activation whose output only this batch norm reads: the
///       producer's weights and bias are scaled by s, t is added to the bias, and the producer takes
///       the batch norm's activation; else
///    b) forwards into the op that consumes it, when the batch norm has no activation, exactly one op
///       reads it, and that op is a fully_connected or a conv2d whose window never reads padding
///       (VALID, or a 1x1 kernel): w'[.., ci, o] = w[.., ci, o] s[c(ci, o)] and
///       b'[o] = b[o] + sum over taps and ci of w[.., ci, o] t[c(ci, o)], c(ci, o) being the input
///       channel that weight reads (forward folding into a SAME conv with k > 1 would be wrong at the
///       borders, where the padded zeros are zeros of the batch-norm output); else
///    c) it is kept as a per-channel affine op: a 1x1 depthwise conv2d (groups = filters = channels)
///       with weights s, bias t and the batch norm's activation, under the batch norm's name.
/// Ops keep their names; folded-away batch norms disappear, so op indices change.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/parameter_index.hpp>
#include <accelnas/train/parameters.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace accelnas::quant {

/// A network without batch norm and its parameters (see `fold_batch_norm`).
struct folded_network {
    graph::network network;             ///< ops without batch_norm flags or batch_norm ops
    train::parameter_set parameters;    ///< one entry per conv2d / fully_connected of `network`
};

namespace detail {
struct fold_work {
    std::vector<double> weight;              // HWIO / [1,1,in,units] flattened, last index = filter
    std::vector<double> bias;                // empty = no bias
    std::array<std::size_t, 4> shape{};
    graph::activation act = graph::activation::none;
    bool is_affine = false;                  // a standalone batch norm kept as 1x1 depthwise conv
};

struct channel_affine {
    std::vector<double> scale, shift;
};

inline channel_affine bn_affine(const train::op_parameters& p) {
    channel_affine a;
    for (std::size_t c = 0; c < p.bn_gamma.size(); ++c) {
        const double s = double(p.bn_gamma(c)) / std::sqrt(double(p.bn_var(c)) + double(p.bn_eps));
        a.scale.push_back(s);
        a.shift.push_back(double(p.bn_beta(c)) - double(p.bn_mean(c)) * s);
    }
    return a;
}

// Scales filter o by a.scale[o] and adds a.shift[o] after it: y' = s (w x + b) + t.
inline void fold_after(fold_work& w, const channel_affine& a) {
    const std::size_t f = w.shape[3];
    if (w.bias.empty()) w.bias.assign(f, 0.0);
    for (std::size_t e = 0; e < w.weight.size(); ++e) w.weight[e] *= a.scale[e % f];
    for (std::size_t o = 0; o < f; ++o) w.bias[o] = w.bias[o] * a.scale[o] + a.shift[o];
}

// Folds an input affine (per input channel) into a conv/fc reading it: w (s x + t) + b.
inline void fold_before(fold_work& w, const channel_affine& a, const graph::op& o, const graph::tensor_shape& x) {
    const std::size_t f = w.shape[3], cin = w.shape[2];
    if (w.bias.empty()) w.bias.assign(f, 0.0);
    const std::size_t groups = o.kind == graph::op_kind::conv2d ? std::size_t(o.groups) : 1;
    const std::size_t fg = std::size_t(graph::filters_per_group(std::int64_t(f), std::int64_t(groups))), c = std::size_t(x.c);
    for (std::size_t e = 0; e < w.weight.size(); ++e) {
        const std::size_t oo = e % f, ci = (e / f) % cin;
        const std::size_t ch = o.kind == graph::op_kind::conv2d ? (oo / fg) * cin + ci : ci % c;
        w.bias[oo] += w.weight[e] * a.shift[ch];
        w.weight[e] *= a.scale[ch];
    }
}
}  // namespace detail

/// Folds every batch norm of `net` (see the file comment for the rules) and returns the new network
/// with its parameters. `params` is checked against `net` first (`parameter_index`).
inline folded_network fold_batch_norm(const graph::network& net, const train::parameter_set& params) {
    using graph::op_kind;
    for (const auto& o : net.ops())
        require(o.kind != op_kind::opaque, "fold_batch_norm: op '", o.name, "' is an opaque ", o.opaque_type,
                " op (one accelnas does not model), which cannot be quantized");
    const parameter_index index(net, params);
    const std::size_t n = net.size();
    std::vector<std::size_t> consumers(n, 0);
    for (const auto& o : net.ops())
        for (auto j : o.inputs) ++consumers[j];

    std::vector<std::optional<detail::fold_work>> work(n);
    std::vector<std::optional<detail::channel_affine>> pending(n);  // input affine folded forward
    std::vector<std::size_t> target(n);                                // op that holds op i's value
    std::vector<char> dropped(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& o = net.ops()[i];
        target[i] = i;
        if (o.kind == op_kind::conv2d || o.kind == op_kind::fully_connected) {
            const auto& p = index.at(i);
            detail::fold_work w;
            w.weight.assign(p.weight.begin(), p.weight.end());
            w.bias.assign(p.bias.begin(), p.bias.end());
            for (std::size_t d = 0; d < 4; ++d) w.shape[d] = p.weight.shape()[d];
            w.act = o.act;
            if (pending[i]) detail::fold_before(w, *pending[i], o, net.in_shape(i));
            if (o.batch_norm) detail::fold_after(w, detail::bn_affine(p));
            work[i] = std::move(w);
        } else if (o.kind == op_kind::batch_norm) {
            const auto a = detail::bn_affine(index.at(i));
            const std::size_t src = o.inputs[0], holder = target[src];
            if (work[holder] && work[holder]->act == graph::activation::none && consumers[src] == 1) {
                detail::fold_after(*work[holder], a);  // rule 2a
                work[holder]->act = o.act;
                target[i] = holder;
                dropped[i] = 1;
                continue;
            }
            if (o.act == graph::activation::none && consumers[i] == 1) {
                std::size_t q = i + 1;
                while (q < n && std::find(net.ops()[q].inputs.begin(), net.ops()[q].inputs.end(), i) ==
                                    net.ops()[q].inputs.end())
                    ++q;
                const auto& c = net.ops()[q];
                const bool no_padding = c.kind == op_kind::conv2d &&
                                        (c.pad == graph::padding::valid || (c.kernel_h == 1 && c.kernel_w == 1));
                if (c.kind == op_kind::fully_connected || no_padding) {  // rule 2b
                    pending[q] = a;
                    target[i] = holder;
                    dropped[i] = 1;
                    continue;
                }
            }
            detail::fold_work w;  // rule 2c
            const std::size_t ch = std::size_t(o.out.c);
            w.weight = a.scale;
            w.bias = a.shift;
            w.shape = {1, 1, 1, ch};
            w.act = o.act;
            w.is_affine = true;
            work[i] = std::move(w);
        }
    }

    folded_network r{graph::network(net.name()), {}};
    std::vector<std::size_t> new_index(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        if (dropped[i]) continue;
        graph::op o = net.ops()[i];
        for (auto& j : o.inputs) j = new_index[target[j]];
        if (work[i]) {
            const auto& w = *work[i];
            if (w.is_affine) {
                o.kind = op_kind::conv2d;
                o.kernel_h = o.kernel_w = o.stride_h = o.stride_w = 1;
                o.pad = graph::padding::same;
                o.groups = o.filters = o.out.c;
            }
            o.bias = !w.bias.empty();
            o.batch_norm = false;
            o.act = w.act;
            train::op_parameters p;
            p.weight = xt::empty<float>(w.shape);
            std::transform(w.weight.begin(), w.weight.end(), p.weight.begin(), [](double v) { return float(v); });
            if (o.bias) {
                p.bias = xt::empty<float>(std::array<std::size_t, 1>{w.bias.size()});
                std::transform(w.bias.begin(), w.bias.end(), p.bias.begin(), [](double v) { return float(v); });
            }
            new_index[i] = r.network.append(std::move(o)).id;
            p.op = new_index[i];
            r.parameters.push_back(std::move(p));
        } else {
            new_index[i] = r.network.append(std::move(o)).id;
        }
    }
    return r;
}

}  // namespace accelnas::quant
