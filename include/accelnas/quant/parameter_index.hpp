#pragma once
/// \file
/// Checked access to a `train::parameter_set` for one `graph::network`: which entry belongs to which
/// op, and whether its tensors have the shapes the op needs (HWIO conv weights, [1,1,in,units] dense
/// weights, per-channel bias and batch-norm vectors). Every mismatch raises `accelnas::error` naming
/// the op and the tensor.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/train/parameters.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace accelnas::quant {

/// Index from op number to its parameters, checked against the network once at construction.
/// It points into the `parameter_set` given to the constructor, which must outlive it.
class parameter_index {
public:
    /// Checks `params` against `net`: entries name existing ops, at most one entry per op, every
    /// conv2d / fully_connected / batch_norm op has an entry whose tensors have the expected shapes.
    parameter_index(const graph::network& net, const train::parameter_set& params)
        : by_op_(net.size(), nullptr) {
        for (const auto& p : params) {
            require(p.op < net.size(), "parameter_set: entry for op index ", p.op, " but network '", net.name(),
                    "' has ", net.size(), " ops");
            require(by_op_[p.op] == nullptr, "parameter_set: two entries for op '", net.ops()[p.op].name, "'");
            by_op_[p.op] = &p;
        }
        for (std::size_t i = 0; i < net.size(); ++i) check(net, i);
    }

    /// Parameters of op `i`, or nullptr when it has none.
    const train::op_parameters* find(std::size_t i) const noexcept { return i < by_op_.size() ? by_op_[i] : nullptr; }
    /// Parameters of op `i`; the constructor guaranteed they exist for ops that need them.
    const train::op_parameters& at(std::size_t i) const { return *by_op_.at(i); }

    /// True when op kind `k` carries parameters.
    static bool has_parameters(graph::op_kind k) noexcept {
        return k == graph::op_kind::conv2d || k == graph::op_kind::fully_connected || k == graph::op_kind::batch_norm;
    }

private:
    void check(const graph::network& net, std::size_t i) const {
        const auto& o = net.ops()[i];
        const auto* p = by_op_[i];
        if (!has_parameters(o.kind)) {
            require(p == nullptr || (p->weight.size() == 0 && p->bias.size() == 0 && p->bn_gamma.size() == 0),
                    "parameter_set: op '", o.name, "' (", graph::to_string(o.kind), ") has no parameters but its entry "
                    "holds tensors");
            return;
        }
        require(p != nullptr, "parameter_set: no entry for op '", o.name, "' (", graph::to_string(o.kind), ")");
        const auto vec = [&](const xt::xtensor<float, 1>& v, const char* what, std::int64_t n) {
            require(static_cast<std::int64_t>(v.size()) == n, "parameter_set: op '", o.name, "': ", what, " has ",
                    v.size(), " elements, expected ", n);
        };
        const auto bn = [&](std::int64_t c) {
            vec(p->bn_gamma, "bn_gamma", c);
            vec(p->bn_beta, "bn_beta", c);
            vec(p->bn_mean, "bn_mean", c);
            vec(p->bn_var, "bn_var", c);
            require(p->bn_eps >= 0.0f, "parameter_set: op '", o.name, "': bn_eps ", p->bn_eps, " is negative");
            for (std::size_t c2 = 0; c2 < p->bn_var.size(); ++c2)
                require(p->bn_var(c2) + p->bn_eps > 0.0f, "parameter_set: op '", o.name, "': bn_var[", c2,
                        "] + eps is not positive");
        };
        if (o.kind == graph::op_kind::batch_norm) {
            require(p->weight.size() == 0, "parameter_set: standalone batch_norm op '", o.name,
                    "' must not have a weight");
            bn(o.out.c);
            return;
        }
        const auto& x = net.in_shape(i);
        std::array<std::size_t, 4> want{};
        if (o.kind == graph::op_kind::conv2d)
            want = {std::size_t(o.kernel_h), std::size_t(o.kernel_w), std::size_t(graph::channels_per_group(x.c, o.groups)),
                    std::size_t(o.filters)};
        else
            want = {1, 1, std::size_t(x.h * x.w * x.c), std::size_t(o.filters)};
        const auto& s = p->weight.shape();
        require(s[0] == want[0] && s[1] == want[1] && s[2] == want[2] && s[3] == want[3], "parameter_set: op '",
                o.name, "': weight has shape [", s[0], ",", s[1], ",", s[2], ",", s[3], "], expected [", want[0], ",",
                want[1], ",", want[2], ",", want[3], "] (",
                o.kind == graph::op_kind::conv2d ? "HWIO" : "1,1,in_features,units", ")");
        if (o.bias) vec(p->bias, "bias", o.filters);
        else require(p->bias.size() == 0, "parameter_set: op '", o.name, "' has no bias but its entry holds one");
        if (o.batch_norm) bn(o.filters);
        else require(p->bn_gamma.size() == 0, "parameter_set: op '", o.name,
                     "' has no batch norm but its entry holds batch-norm vectors");
    }

    std::vector<const train::op_parameters*> by_op_;
};

}  // namespace accelnas::quant
