#pragma once
/// \file
/// `graph::network`: the DAG of ops every part of accelnas speaks. A builder whose calls read like
/// the architecture tables, with shape inference and validation on every call.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/op.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace accelnas::graph {

/// Handle to the output of one op of a network (its index).
struct node {
    std::size_t id = 0;
    friend constexpr bool operator==(node, node) = default;
};

/// Arguments of `network::conv2d` (designated initializers: `{.filters = 32, .kernel = 3, .stride = 2}`).
struct conv_args {
    std::int64_t filters = 0;      ///< output channels (required)
    int kernel = 1;                ///< square kernel; kernel_h/kernel_w override it when non-zero
    int stride = 1;                ///< square stride; stride_h/stride_w override it when non-zero
    padding pad = padding::same;
    std::int64_t groups = 1;
    bool bias = false;
    bool bn = true;                ///< batch norm after the conv (folded for inference)
    activation act = activation::none;
    std::string name = {};
    int kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0;
};

/// Arguments of `network::depthwise_conv2d`.
struct depthwise_args {
    int kernel = 3;
    int stride = 1;
    padding pad = padding::same;
    std::int64_t multiplier = 1;   ///< output channels = input channels * multiplier
    bool bias = false;
    bool bn = true;
    activation act = activation::none;
    std::string name = {};
};

/// Arguments of `network::fully_connected`.
struct dense_args {
    std::int64_t units = 0;        ///< output features (required)
    bool bias = true;
    bool bn = false;
    activation act = activation::none;
    std::string name = {};
};

/// Arguments of `network::max_pool` / `network::avg_pool`.
struct pool_args {
    int kernel = 2;
    int stride = 0;                ///< 0 means equal to the kernel
    padding pad = padding::valid;
    bool count_include_pad = false;
    std::string name = {};
};

/// Arguments shared by the element-wise builders (add, mul, batch_norm, activation, ...).
struct eltwise_args {
    activation act = activation::none;
    std::string name = {};
};

/// A network: ops in topological order (every op's inputs come before it). Builder calls check
/// their arguments and infer shapes at once, so a network is valid by construction; errors are
/// `accelnas::error` naming the op.
class network {
public:
    network() = default;
    /// An empty network called `name`.
    explicit network(std::string name) : name_(std::move(name)) {}

    /// The network's name (model name in tables and reports).
    const std::string& name() const noexcept { return name_; }
    /// Renames the network.
    void set_name(std::string n) { name_ = std::move(n); }

    // ---- builder ----
    /// Adds an input of `s` (all sizes positive).
    node input(tensor_shape s, std::string name = "input") {
        op o;
        o.name = std::move(name);
        o.kind = op_kind::input;
        o.out = s;
        check_positive(o.name, "input shape", s);
        checked_elements(o.name, s);
        return push(std::move(o));
    }

    /// Adds a 2-D convolution of `x`.
    node conv2d(node x, const conv_args& a) {
        op o = make(op_kind::conv2d, a.name, {x});
        o.kernel_h = a.kernel_h ? a.kernel_h : a.kernel;
        o.kernel_w = a.kernel_w ? a.kernel_w : a.kernel;
        o.stride_h = a.stride_h ? a.stride_h : a.stride;
        o.stride_w = a.stride_w ? a.stride_w : a.stride;
        o.pad = a.pad;
        o.groups = a.groups;
        o.filters = a.filters;
        o.bias = a.bias;
        o.batch_norm = a.bn;
        o.act = a.act;
        return push(std::move(o));
    }

    /// Adds a depthwise convolution (groups = input channels).
    node depthwise_conv2d(node x, const depthwise_args& a) {
        const auto c = shape(x).c;
        return conv2d(x, {.filters = c * a.multiplier, .kernel = a.kernel, .stride = a.stride, .pad = a.pad,
                          .groups = c, .bias = a.bias, .bn = a.bn, .act = a.act, .name = a.name});
    }

    /// Adds a fully connected layer over the flattened input; output 1x1xunits.
    node fully_connected(node x, const dense_args& a) {
        op o = make(op_kind::fully_connected, a.name, {x});
        o.filters = a.units;
        o.bias = a.bias;
        o.batch_norm = a.bn;
        o.act = a.act;
        return push(std::move(o));
    }

    /// Element-wise sum of two tensors of one shape (e.g. a residual connection).
    node add(node a, node b, const eltwise_args& e = {}) { return add(std::vector<node>{a, b}, e); }
    /// Element-wise sum of two or more tensors of one shape.
    node add(std::vector<node> xs, const eltwise_args& e = {}) {
        op o = make(op_kind::add, e.name, xs);
        o.act = e.act;
        return push(std::move(o));
    }
    /// Element-wise product; `b` may be 1x1xC to scale channels (squeeze-and-excitation).
    node mul(node a, node b, const eltwise_args& e = {}) {
        op o = make(op_kind::mul, e.name, {a, b});
        o.act = e.act;
        return push(std::move(o));
    }
    /// Concatenation along channels of tensors with equal H and W.
    node concat(std::vector<node> xs, std::string name = {}) { return push(make(op_kind::concat, name, xs)); }

    /// Max pooling.
    node max_pool(node x, const pool_args& p) { return pool(op_kind::max_pool, x, p); }
    /// Average pooling.
    node avg_pool(node x, const pool_args& p) { return pool(op_kind::avg_pool, x, p); }
    /// Mean over H and W: 1x1xC.
    node global_avg_pool(node x, std::string name = {}) { return push(make(op_kind::global_avg_pool, name, {x})); }
    /// Standalone batch norm with an optional activation (pre-activation blocks).
    node batch_norm(node x, const eltwise_args& e = {}) {
        op o = make(op_kind::batch_norm, e.name, {x});
        o.act = e.act;
        return push(std::move(o));
    }
    /// Standalone activation.
    node activate(node x, activation act, std::string name = {}) {
        op o = make(op_kind::activation, name, {x});
        o.act = act;
        return push(std::move(o));
    }
    /// Reshape to `target` (same element count; n is kept).
    node reshape(node x, tensor_shape target, std::string name = {}) {
        op o = make(op_kind::reshape, name, {x});
        o.target = target;
        return push(std::move(o));
    }
    /// Flatten to 1x1x(H*W*C).
    node flatten(node x, std::string name = {}) {
        const auto s = shape(x);
        return reshape(x, {1, 1, 1, s.h * s.w * s.c}, std::move(name));
    }
    /// Zero padding: top, bottom, left, right (non-negative).
    node pad(node x, std::array<std::int64_t, 4> pads, std::string name = {}) {
        op o = make(op_kind::pad, name, {x});
        o.pads = pads;
        return push(std::move(o));
    }
    /// Softmax over channels.
    node softmax(node x, std::string name = {}) { return push(make(op_kind::softmax, name, {x})); }
    /// An opaque op of foreign type `type` (e.g. ONNX "TopK") reading `xs` and giving a tensor of
    /// shape `out` (n is kept from the first input); see op_kind::opaque.
    node opaque(std::vector<node> xs, std::string type, tensor_shape out, std::string name = {}) {
        op o = make(op_kind::opaque, name, std::move(xs));
        o.opaque_type = std::move(type);
        o.target = out;
        return push(std::move(o));
    }

    /// Appends a fully specified op (used by the JSON reader and by code that copies networks);
    /// attributes are validated and the output shape inferred exactly as by the builder calls.
    node append(op o) {
        if (o.name.empty()) o.name = auto_name(o.kind);
        for (auto i : o.inputs)
            require(i < ops_.size(), "op '", o.name, "': input index ", i, " does not name an earlier op");
        if (o.kind == op_kind::input) {
            check_positive(o.name, "input shape", o.out);
            checked_elements(o.name, o.out);
        }
        return push(std::move(o));
    }

    // ---- queries ----
    /// Number of ops (inputs included).
    std::size_t size() const noexcept { return ops_.size(); }
    /// True when the network has no op.
    bool empty() const noexcept { return ops_.empty(); }
    /// All ops in topological order.
    const std::vector<op>& ops() const noexcept { return ops_; }
    /// The op at `n`.
    const op& at(node n) const { return at(n.id); }
    /// The op at index `i` (bounds-checked).
    const op& at(std::size_t i) const {
        require(i < ops_.size(), "network '", name_, "': op index ", i, " out of range (", ops_.size(), " ops)");
        return ops_[i];
    }
    /// Output shape of `n`.
    const tensor_shape& shape(node n) const { return at(n).out; }
    /// Index of the op called `name`; `accelnas::error` if there is none.
    node find(std::string_view name) const {
        auto it = by_name_.find(std::string(name));
        require(it != by_name_.end(), "network '", name_, "': no op named '", name, "'");
        return {it->second};
    }
    /// True when an op called `name` exists.
    bool contains(std::string_view name) const { return by_name_.count(std::string(name)) != 0; }
    /// Shape of the first input op.
    tensor_shape input_shape() const {
        for (const auto& o : ops_)
            if (o.kind == op_kind::input) return o.out;
        fail("network '", name_, "' has no input");
    }
    /// Ops whose output no other op consumes (the network outputs), in order.
    std::vector<std::size_t> outputs() const {
        std::vector<char> used(ops_.size(), 0);
        for (const auto& o : ops_)
            for (auto i : o.inputs) used[i] = 1;
        std::vector<std::size_t> r;
        for (std::size_t i = 0; i < ops_.size(); ++i)
            if (!used[i]) r.push_back(i);
        return r;
    }
    /// For every op, the ops that consume its output.
    std::vector<std::vector<std::size_t>> consumers() const {
        std::vector<std::vector<std::size_t>> r(ops_.size());
        for (std::size_t i = 0; i < ops_.size(); ++i)
            for (auto j : ops_[i].inputs) r[j].push_back(i);
        return r;
    }
    /// Input channels of op `i` (channels of its first input; 0 for inputs).
    std::int64_t in_channels(std::size_t i) const {
        const auto& o = at(i);
        return o.inputs.empty() ? 0 : ops_[o.inputs[0]].out.c;
    }
    /// Shape of the first input of op `i` (its own shape for inputs).
    const tensor_shape& in_shape(std::size_t i) const {
        const auto& o = at(i);
        return o.inputs.empty() ? o.out : ops_[o.inputs[0]].out;
    }
    /// Throws `accelnas::error` unless the network has at least one input and one non-input op.
    void validate() const {
        require(!ops_.empty(), "network '", name_, "' is empty (no ops)");
        bool has_input = false, has_compute = false;
        for (const auto& o : ops_) (o.kind == op_kind::input ? has_input : has_compute) = true;
        require(has_input, "network '", name_, "' has no input op");
        require(has_compute, "network '", name_, "' has only inputs (no ops that compute)");
    }

private:
    static void check_positive(const std::string& name, const char* what, const tensor_shape& s) {
        require(s.n > 0 && s.h > 0 && s.w > 0 && s.c > 0, "op '", name, "': ", what, " ", s,
                " must have all sizes positive");
    }
    static std::int64_t checked_mul(const std::string& name, std::int64_t a, std::int64_t b, const char* what) {
        std::int64_t r;
        if (__builtin_mul_overflow(a, b, &r)) fail("op '", name, "': ", what, " overflows 64 bits");
        return r;
    }
    static std::int64_t checked_elements(const std::string& name, const tensor_shape& s) {
        return checked_mul(name, checked_mul(name, checked_mul(name, s.n, s.h, "element count"), s.w, "element count"),
                           s.c, "element count");
    }

    std::string auto_name(op_kind k) const {
        std::string base(to_string(k));
        for (std::size_t i = ops_.size();; ++i) {
            auto n = base + "_" + std::to_string(i);
            if (!by_name_.count(n)) return n;
        }
    }

    op make(op_kind k, const std::string& name, std::vector<node> xs) {
        op o;
        o.kind = k;
        o.name = name.empty() ? auto_name(k) : name;
        for (auto x : xs) {
            require(x.id < ops_.size(), "op '", o.name, "': input #", o.inputs.size(), " (index ", x.id,
                    ") does not name an earlier op of network '", name_, "'");
            o.inputs.push_back(x.id);
        }
        return o;
    }

    node pool(op_kind k, node x, const pool_args& p) {
        op o = make(k, p.name, {x});
        o.kernel_h = o.kernel_w = p.kernel;
        o.stride_h = o.stride_w = p.stride ? p.stride : p.kernel;
        o.pad = p.pad;
        o.count_include_pad = p.count_include_pad;
        return push(std::move(o));
    }

    // Output size of a sliding window (graph::window_output), after checking that a VALID window fits.
    static std::int64_t window_out(const op& o, std::int64_t in, int k, int s, const char* dim) {
        require(o.pad == padding::same || k <= in, "op '", o.name, "': VALID ", dim, " kernel ", k,
                " is larger than the input ", dim, " ", in);
        return window_output(in, k, s, o.pad);
    }

    void infer(op& o) const {
        const auto nin = o.inputs.size();
        auto need_inputs = [&](std::size_t lo, std::size_t hi) {
            require(nin >= lo && nin <= hi, "op '", o.name, "' (", to_string(o.kind), ") takes ",
                    lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi),
                    " input(s), got ", nin);
        };
        auto in = [&](std::size_t i) -> const tensor_shape& { return ops_[o.inputs[i]].out; };
        switch (o.kind) {
        case op_kind::input:
            need_inputs(0, 0);
            return;
        case op_kind::conv2d: {
            need_inputs(1, 1);
            const auto& x = in(0);
            require(o.kernel_h > 0 && o.kernel_w > 0, "op '", o.name, "': kernel ", o.kernel_h, "x", o.kernel_w,
                    " must be positive");
            require(o.stride_h > 0 && o.stride_w > 0, "op '", o.name, "': stride ", o.stride_h, "x", o.stride_w,
                    " must be positive");
            require(o.filters > 0, "op '", o.name, "': filters must be positive, got ", o.filters);
            require(o.groups > 0, "op '", o.name, "': groups must be positive, got ", o.groups);
            require(x.c % o.groups == 0, "op '", o.name, "': input channels ", x.c, " are not divisible by groups ",
                    o.groups);
            require(o.filters % o.groups == 0, "op '", o.name, "': filters ", o.filters,
                    " are not divisible by groups ", o.groups);
            o.out = {x.n, window_out(o, x.h, o.kernel_h, o.stride_h, "height"),
                     window_out(o, x.w, o.kernel_w, o.stride_w, "width"), o.filters};
            // MACs = out elements * kernel taps * in-channels per group: must fit 64 bits.
            checked_mul(o.name, checked_mul(o.name, checked_elements(o.name, o.out),
                                            checked_mul(o.name, o.kernel_h, o.kernel_w, "kernel size"), "MAC count"),
                        channels_per_group(x.c, o.groups), "MAC count");
            checked_mul(o.name,
                        checked_mul(o.name, o.kernel_h * std::int64_t{o.kernel_w}, channels_per_group(x.c, o.groups), "weights"),
                        o.filters, "weight count");
            return;
        }
        case op_kind::fully_connected: {
            need_inputs(1, 1);
            require(o.filters > 0, "op '", o.name, "': units must be positive, got ", o.filters);
            const auto& x = in(0);
            checked_mul(o.name, x.h * x.w * x.c, o.filters, "weight count");
            o.out = {x.n, 1, 1, o.filters};
            return;
        }
        case op_kind::add: {
            need_inputs(2, 64);
            for (std::size_t i = 1; i < nin; ++i)
                require(in(i) == in(0), "op '", o.name, "': input #", i, " '", ops_[o.inputs[i]].name, "' has shape ",
                        in(i), " but input #0 '", ops_[o.inputs[0]].name, "' has shape ", in(0),
                        " (add needs equal shapes)");
            o.out = in(0);
            return;
        }
        case op_kind::mul: {
            need_inputs(2, 2);
            const auto &a = in(0), &b = in(1);
            const bool same = a == b;
            const bool bcast = b.h == 1 && b.w == 1 && b.c == a.c && b.n == a.n;
            require(same || bcast, "op '", o.name, "': shapes ", a, " and ", b,
                    " do not match (mul needs equal shapes, or a 1x1xC second input)");
            o.out = a;
            return;
        }
        case op_kind::concat: {
            need_inputs(1, 1024);
            tensor_shape s = in(0);
            for (std::size_t i = 1; i < nin; ++i) {
                const auto& t = in(i);
                require(t.n == s.n && t.h == s.h && t.w == s.w, "op '", o.name, "': input #", i, " '",
                        ops_[o.inputs[i]].name, "' is ", t, " but input #0 is ", in(0),
                        " (concat needs equal N, H and W)");
                if (__builtin_add_overflow(s.c, t.c, &s.c)) fail("op '", o.name, "': channel count overflows");
            }
            checked_elements(o.name, s);
            o.out = s;
            return;
        }
        case op_kind::max_pool:
        case op_kind::avg_pool: {
            need_inputs(1, 1);
            require(o.kernel_h > 0 && o.kernel_w > 0 && o.stride_h > 0 && o.stride_w > 0, "op '", o.name,
                    "': pooling kernel and stride must be positive");
            const auto& x = in(0);
            o.out = {x.n, window_out(o, x.h, o.kernel_h, o.stride_h, "height"),
                     window_out(o, x.w, o.kernel_w, o.stride_w, "width"), x.c};
            return;
        }
        case op_kind::global_avg_pool:
            need_inputs(1, 1);
            o.out = {in(0).n, 1, 1, in(0).c};
            return;
        case op_kind::batch_norm:
        case op_kind::activation:
        case op_kind::softmax:
            need_inputs(1, 1);
            o.out = in(0);
            return;
        case op_kind::reshape: {
            need_inputs(1, 1);
            auto t = o.target;
            t.n = in(0).n;
            check_positive(o.name, "reshape target", t);
            require(checked_elements(o.name, t) == in(0).elements(), "op '", o.name, "': reshape target ", t,
                    " has ", t.elements(), " elements but the input ", in(0), " has ", in(0).elements());
            o.target = t;
            o.out = t;
            return;
        }
        case op_kind::pad: {
            need_inputs(1, 1);
            for (auto p : o.pads) require(p >= 0, "op '", o.name, "': pads must be non-negative");
            auto s = in(0);
            s.h += o.pads[0] + o.pads[1];
            s.w += o.pads[2] + o.pads[3];
            checked_elements(o.name, s);
            o.out = s;
            return;
        }
        case op_kind::opaque: {
            need_inputs(1, 1024);
            require(!o.opaque_type.empty(), "op '", o.name, "': an opaque op needs its foreign op type");
            auto t = o.target;
            t.n = in(0).n;
            check_positive(o.name, "opaque output shape", t);
            checked_elements(o.name, t);
            o.target = t;
            o.out = t;
            return;
        }
        }
        fail("op '", o.name, "': unknown op kind ", static_cast<int>(o.kind));
    }

    node push(op o) {
        require(!o.name.empty(), "op names must not be empty");
        require(!by_name_.count(o.name), "op '", o.name, "': duplicate name in network '", name_, "'");
        infer(o);
        by_name_.emplace(o.name, ops_.size());
        ops_.push_back(std::move(o));
        return {ops_.size() - 1};
    }

    std::string name_;
    std::vector<op> ops_;
    std::unordered_map<std::string, std::size_t> by_name_;
};

/// Compares two networks op by op, ignoring op and network names. Returns an empty string when
/// they are structurally identical, else a description of the first difference.
inline std::string structural_difference(const network& a, const network& b) {
    if (a.size() != b.size())
        return accelnas::detail::concat("op counts differ: ", a.size(), " vs ", b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const op &x = a.ops()[i], &y = b.ops()[i];
        auto diff = [&](const char* what) {
            return accelnas::detail::concat("op #", i, " ('", x.name, "' vs '", y.name, "'): ", what, " differs (",
                                  to_string(x.kind), " ", x.out, " vs ", to_string(y.kind), " ", y.out, ")");
        };
        if (x.kind != y.kind) return diff("kind");
        if (x.inputs != y.inputs) return diff("inputs");
        if (x.out != y.out) return diff("output shape");
        if (x.kernel_h != y.kernel_h || x.kernel_w != y.kernel_w) return diff("kernel");
        if (x.stride_h != y.stride_h || x.stride_w != y.stride_w) return diff("stride");
        if (x.pad != y.pad) return diff("padding");
        if (x.groups != y.groups) return diff("groups");
        if (x.filters != y.filters) return diff("filters");
        if (x.bias != y.bias) return diff("bias");
        if (x.batch_norm != y.batch_norm) return diff("batch_norm");
        if (x.act != y.act) return diff("activation");
        if (x.count_include_pad != y.count_include_pad) return diff("count_include_pad");
        if (x.pads != y.pads) return diff("pads");
        if (x.opaque_type != y.opaque_type) return diff("opaque type");
    }
    return {};
}

}  // namespace accelnas::graph
