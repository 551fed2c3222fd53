#pragma once
/// \file
/// ONNX import: an ONNX model (opset 11-17) whose ops map onto the IR becomes a `graph::network`.
/// Only the structure is read (weights give their shapes, never their values), so the result is what
/// the cost models, the accelerator models and the search need. NCHW becomes the IR's NHWC; batch
/// norm after a conv or dense layer, and activations after conv, dense, add and batch norm, are
/// fused into the producing op as the zoo builds them; Identity and Dropout disappear; the mean over
/// H and W (ReduceMean) is global average pooling; x*Sigmoid(x)
/// and x*HardSigmoid(x) become swish and hard swish; shape arithmetic on constants (Shape, Gather,
/// Unsqueeze, Squeeze, Concat, Cast, Add/Sub/Mul/Div) is folded. ONNX's explicit pads become the IR's
/// TensorFlow SAME or VALID policy when that gives the same output size (so MACs are exact), else
/// an explicit pad op before a VALID window. Ops outside that mapping are an error listing them all,
/// or, with `unsupported_policy::host`, opaque ops (graph::op_kind::opaque) whose output shapes come
/// from ONNX's shape inference: no accelerator runs them, so the host CPU prices them.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/onnx/model_file.hpp>

// <sys/mman.h> defines MAP_TYPE, which ONNX's parser.h (included by shape inference) uses as an enumerator.
#pragma push_macro("MAP_TYPE")
#undef MAP_TYPE
#include <onnx/shape_inference/implementation.h>
#pragma pop_macro("MAP_TYPE")

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace accelnas::onnx {

/// What the importer does with an ONNX op that has no IR counterpart.
enum class unsupported_policy {
    error,  ///< raise `accelnas::error` listing every such op with its node name
    /// import it as a `graph::op_kind::opaque` op (its output shapes from ONNX's shape inference):
    /// no accelerator runs it, so on an Edge TPU it is the partition point and the host CPU prices it
    host,
};

/// Parses "error" or "host" (the `--unsupported` option of the tools).
inline unsupported_policy parse_unsupported_policy(std::string_view text) {
    if (text == "error") return unsupported_policy::error;
    if (text == "host") return unsupported_policy::host;
    fail("--unsupported '", text, "': expected 'error' (the default: refuse the model) or 'host' (run such ops on the host CPU)");
}

/// Options of `import_model` / `import_file`.
struct import_options {
    /// Replaces the shape of the (single) graph input, NCHW as ONNX writes it (e.g. {1, 3, 224, 224}),
    /// for models exported with dynamic sizes; empty keeps the model's own.
    std::vector<std::int64_t> input_shape = {};
    /// Network name; empty takes the ONNX graph's name (or the file stem for `import_file`).
    std::string name = {};
    /// Files larger than this are refused before they are read.
    std::uintmax_t max_bytes = max_model_bytes;
    /// Ops with no IR counterpart: an error (the default) or opaque ops priced on the host CPU.
    unsupported_policy unsupported = unsupported_policy::error;
};

/// Parses "1x3x224x224" (or "3x224x224", batch 1 implied) into NCHW dims for `import_options`.
inline std::vector<std::int64_t> parse_input_shape(std::string_view text) {
    std::vector<std::int64_t> dims;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto x = text.find('x', pos);
        if (x == std::string_view::npos) x = text.size();
        const auto part = text.substr(pos, x - pos);
        require(!part.empty() && part.size() < 10 && part.find_first_not_of("0123456789") == std::string_view::npos,
                "input shape '", text, "': expected positive sizes joined by 'x' (e.g. 1x3x224x224)");
        dims.push_back(std::stoll(std::string(part)));
        require(dims.back() > 0, "input shape '", text, "': sizes must be positive");
        pos = x + 1;
    }
    require(dims.size() == 3 || dims.size() == 4 || dims.size() == 2, "input shape '", text,
            "': expected CxHxW, NxCxHxW or NxF");
    if (dims.size() == 3) dims.insert(dims.begin(), 1);
    return dims;
}

namespace detail {

/// The ONNX ops the importer maps (default domain).
inline const std::set<std::string>& supported_ops() {
    static const std::set<std::string> s{
        "Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Mul", "Add", "Sum",
        "Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "Gemm", "MatMul", "Flatten", "Reshape", "Pad",
        "Softmax", "Identity", "Dropout", "ReduceMean", "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Sub",
        "Div"};
    return s;
}

/// A value of the ONNX graph during import: a tensor computed by an IR op, or a folded constant.
struct value {
    bool is_constant = false;
    std::size_t op = 0;  ///< tensor: the IR op producing it
    int rank = 4;        ///< tensor: 4 (NCHW), 2 (N x features, IR 1x1xF) or 0 (another rank: an opaque op's
                         ///< output that only opaque ops may read; IR 1x1x1x(elements))
    std::vector<std::int64_t> dims;  ///< constant: dims
    std::vector<double> values;      ///< constant: values (empty for weights, whose values are never read)
    bool values_known = false;       ///< constant: `values` hold the data
    const ::onnx::TensorProto* tensor = nullptr;  ///< constant from an initializer: read on demand
};

class importer {
public:
    importer(const ::onnx::ModelProto& m, const import_options& opt, std::filesystem::path base)
        : model_(m), g_(m.graph()), opt_(opt), base_(std::move(base)) {}

    graph::network run() {
        opset_ = default_opset(model_);
        require(opset_ >= min_opset && opset_ <= max_opset, "ONNX opset ", opset_, " is not supported (the importer reads opsets ",
                min_opset, "-", max_opset, ")");
        check_ops();
        for (const auto& t : g_.initializer()) {
            if (is_external(t)) {
                const auto ref = external_location(t, base_);
                std::error_code ec;
                require(std::filesystem::is_regular_file(ref.file, ec), "initializer '", t.name(),
                        "' keeps its data in the external file '", ref.file.string(), "', which does not exist");
            }
            value v;
            v.is_constant = true;
            v.dims.assign(t.dims().begin(), t.dims().end());
            v.tensor = &t;
            values_[t.name()] = std::move(v);
        }
        const auto order = topological_order();
        count_uses(order);
        for (const auto& in : g_.input())
            if (!values_.count(in.name())) add_input(in);
        require(raw_.size() > 0, "the ONNX graph has no input tensor (every input is an initializer)");
        for (auto i : order) convert(static_cast<int>(i));
        for (const auto& out : g_.output()) {
            const auto it = values_.find(out.name());
            require(it != values_.end(), "graph output '", out.name(), "' is produced by no node");
            require(!it->second.is_constant, "graph output '", out.name(), "' is a constant, not computed from the input");
        }
        graph::network net(opt_.name.empty() ? g_.name() : opt_.name);
        for (auto o : ops_) net.append(std::move(o));
        net.validate();
        return net;
    }

private:
    // ---- checks before conversion ----
    void check_ops() {
        std::string bad;
        std::size_t count = 0;
        for (int i = 0; i < g_.node_size(); ++i) {
            const auto& n = g_.node(i);
            if (is_supported(n)) continue;
            if (opt_.unsupported == unsupported_policy::host) {
                opaque_.insert(i);
                continue;
            }
            const bool dflt = n.domain().empty() || n.domain() == "ai.onnx";
            ++count;
            bad += accelnas::detail::concat("\n  ", dflt ? "" : n.domain() + ".", n.op_type(), " (node '", node_label(n, i), "')");
        }
        if (count)
            fail("the ONNX model has ", count, " op", count == 1 ? "" : "s",
                 " with no accelnas IR counterpart:", bad);
    }
public:
    /// True when node `n` has an IR counterpart (its op type is in the importer's table).
    static bool is_supported(const ::onnx::NodeProto& n) {
        const bool dflt = n.domain().empty() || n.domain() == "ai.onnx";
        return dflt && supported_ops().count(n.op_type());
    }

private:
    static std::string node_label(const ::onnx::NodeProto& n, int i) {
        if (!n.name().empty()) return n.name();
        if (n.output_size() > 0 && !n.output(0).empty()) return n.output(0);
        return "#" + std::to_string(i);
    }

    std::vector<std::size_t> topological_order() const {
        std::unordered_map<std::string, int> producer;
        const int n = g_.node_size();
        for (int i = 0; i < n; ++i)
            for (const auto& o : g_.node(i).output()) {
                if (o.empty()) continue;
                if (const auto p = producer.find(o); p != producer.end())
                    fail("tensor '", o, "' is produced by two nodes ('", node_label(g_.node(p->second), p->second),
                         "' and '", node_label(g_.node(i), i), "')");
                producer[o] = i;
            }
        std::set<std::string> given;
        for (const auto& t : g_.initializer()) given.insert(t.name());
        for (const auto& in : g_.input()) given.insert(in.name());
        std::vector<int> pending(static_cast<std::size_t>(n), 0);
        std::vector<std::vector<int>> next(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            for (const auto& in : g_.node(i).input()) {
                if (in.empty()) continue;  // an omitted optional input
                if (auto p = producer.find(in); p != producer.end()) {
                    ++pending[static_cast<std::size_t>(i)];
                    next[static_cast<std::size_t>(p->second)].push_back(i);
                } else if (!given.count(in)) {
                    fail("node '", node_label(g_.node(i), i), "' (", g_.node(i).op_type(), ") reads '", in,
                         "', which no node, initializer or graph input produces (a dangling input)");
                }
            }
        // Kahn's algorithm taking the earliest ready node first: a file in topological order (as ONNX
        // requires) keeps its order, so export -> import gives the ops back in place.
        std::vector<std::size_t> order;
        std::priority_queue<int, std::vector<int>, std::greater<>> ready;
        for (int i = 0; i < n; ++i)
            if (!pending[static_cast<std::size_t>(i)]) ready.push(i);
        while (!ready.empty()) {
            const int i = ready.top();
            ready.pop();
            order.push_back(static_cast<std::size_t>(i));
            for (auto j : next[static_cast<std::size_t>(i)])
                if (--pending[static_cast<std::size_t>(j)] == 0) ready.push(j);
        }
        if (order.size() != static_cast<std::size_t>(n)) {
            std::string cyc;
            for (int i = 0; i < n; ++i)
                if (pending[static_cast<std::size_t>(i)] > 0) cyc += " '" + node_label(g_.node(i), i) + "'";
            fail("the ONNX graph has a cycle through the nodes", cyc);
        }
        return order;
    }

    /// Counts how often each tensor is read (graph outputs count as a read), finding x*Sigmoid(x)
    /// and x*HardSigmoid(x) first: their sigmoid node is skipped and counts no read of x.
    void count_uses(const std::vector<std::size_t>& order) {
        std::unordered_map<std::string, int> producer;
        std::unordered_map<std::string, int> reads;
        for (int i = 0; i < g_.node_size(); ++i) {
            for (const auto& o : g_.node(i).output()) producer[o] = i;
            for (const auto& in : g_.node(i).input()) ++reads[in];
        }
        for (const auto& o : g_.output()) ++reads[o.name()];
        for (auto i : order) {
            const auto& m = g_.node(static_cast<int>(i));
            if (m.op_type() != "Mul" || m.input_size() != 2) continue;
            for (int k = 0; k < 2; ++k) {
                const auto p = producer.find(m.input(k));
                if (p == producer.end()) continue;
                const auto& s = g_.node(p->second);
                const bool sig = s.op_type() == "Sigmoid";
                const bool hsig = s.op_type() == "HardSigmoid" && hard_sigmoid_matches(s);
                if (!(sig || hsig) || s.input_size() != 1 || s.input(0) != m.input(1 - k) || reads[m.input(k)] != 1)
                    continue;
                skipped_.insert(p->second);
                swish_[static_cast<int>(i)] = {m.input(1 - k), sig ? graph::activation::swish : graph::activation::hard_swish};
                --reads[m.input(1 - k)];
                break;
            }
        }
        reads_ = std::move(reads);
    }

    static bool hard_sigmoid_matches(const ::onnx::NodeProto& n) {
        return std::abs(float_attr(n, "alpha", 0.2f) - 1.0f / 6.0f) < 1e-4f && std::abs(float_attr(n, "beta", 0.5f) - 0.5f) < 1e-6f;
    }

    // ---- values ----
    void add_input(const ::onnx::ValueInfoProto& in) {
        require(in.type().has_tensor_type(), "graph input '", in.name(), "' is not a tensor");
        std::vector<std::int64_t> dims;
        std::string dynamic;
        const auto& shp = in.type().tensor_type().shape();
        for (int d = 0; d < shp.dim_size(); ++d) {
            const auto& dim = shp.dim(d);
            if (dim.has_dim_value() && dim.dim_value() > 0) dims.push_back(dim.dim_value());
            else {
                dims.push_back(-1);
                if (d > 0) dynamic += accelnas::detail::concat(dynamic.empty() ? "" : ", ", "dim ", d,
                                                               dim.has_dim_param() ? " '" + dim.dim_param() + "'" : std::string{});
            }
        }
        if (!opt_.input_shape.empty()) {
            require(++inputs_seen_ == 1, "--input-shape fixes one input, but the model has several");
            require(opt_.input_shape.size() == dims.size() || dims.empty(), "graph input '", in.name(), "' has rank ",
                    dims.size(), " but the given input shape has ", opt_.input_shape.size(), " sizes");
            dims = opt_.input_shape;
        } else {
            require(shp.dim_size() > 0 || in.type().tensor_type().has_shape(), "graph input '", in.name(), "' has no shape: give one with --input-shape");
            require(dynamic.empty(), "graph input '", in.name(), "' has dynamic sizes (", dynamic,
                    "): fix them with --input-shape (e.g. --input-shape 1x3x224x224)");
        }
        value v;
        graph::op o;
        o.name = unique_name(in.name());
        o.kind = graph::op_kind::input;
        if (dims.size() == 4) {
            o.out = {1, dims[2], dims[3], dims[1]};
            v.rank = 4;
        } else if (dims.size() == 2) {
            o.out = {1, 1, 1, dims[1]};
            v.rank = 2;
        } else {
            fail("graph input '", in.name(), "' has rank ", dims.size(), "; the importer reads NCHW images (rank 4) or feature vectors (rank 2)");
        }
        v.op = push(std::move(o), in.name());
        values_[in.name()] = v;
    }

    const value& get(const ::onnx::NodeProto& n, int k) const {
        require(k < n.input_size() && !n.input(k).empty(), node_what(n), ": input ", k, " is missing");
        const auto it = values_.find(n.input(k));
        require(it != values_.end(), node_what(n), ": input '", n.input(k), "' is not available");
        return it->second;
    }
    const value& tensor_in(const ::onnx::NodeProto& n, int k) const {
        const auto& v = get(n, k);
        require(!v.is_constant, node_what(n), ": input '", n.input(k), "' must be computed from the network input, not a constant");
        require(v.rank != 0, node_what(n), ": input '", n.input(k), "' is an output of an op imported as a host op ",
                "whose rank the IR has no tensor for (only NCHW and N x features); only host ops may read it");
        return v;
    }
    const std::vector<double>& constant_values(const ::onnx::NodeProto& n, int k) {
        auto& v = const_cast<value&>(get(n, k));
        require(v.is_constant, node_what(n), ": input '", n.input(k), "' must be a constant (computed from the input it is not supported)");
        if (!v.values_known) {
            v.values = tensor_values(*v.tensor, base_);
            v.values_known = true;
        }
        return v.values;
    }
    bool has_input(const ::onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }

    std::string node_what(const ::onnx::NodeProto& n) const {
        return accelnas::detail::concat(n.op_type(), " node '", n.name().empty() ? (n.output_size() ? n.output(0) : "") : n.name(), "'");
    }
    std::string unique_name(std::string base) {
        if (base.empty()) base = "op";
        std::string s = base;
        for (int k = 1; names_.count(s); ++k) s = base + "_" + std::to_string(k);
        names_.insert(s);
        return s;
    }

    /// Appends `o` to the shape-checking network and the op list; returns its index.
    std::size_t push(graph::op o, const std::string& output_name) {
        try {
            raw_.append(o);
        } catch (const error& e) {
            fail(e.what());
        }
        o.out = raw_.ops().back().out;
        ops_.push_back(std::move(o));
        const auto i = ops_.size() - 1;
        uses_.push_back(use_count(output_name));
        return i;
    }
    int use_count(const std::string& name) const {
        const auto it = reads_.find(name);
        return it == reads_.end() ? 0 : it->second;
    }
    const graph::tensor_shape& shape(const value& v) const { return ops_[v.op].out; }

    void set_tensor(const ::onnx::NodeProto& n, std::size_t op, int rank) {
        value v;
        v.op = op;
        v.rank = rank;
        values_[n.output(0)] = v;
    }
    /// Output 0 of `n` is input value `v` under another name (Identity, Dropout, a no-op flatten).
    void alias(const ::onnx::NodeProto& n, value v, int rank) {
        if (!v.is_constant) {
            uses_[v.op] += use_count(n.output(0)) - 1;
            v.rank = rank;
        }
        values_[n.output(0)] = std::move(v);
    }
    void set_constant(const ::onnx::NodeProto& n, std::vector<std::int64_t> dims, std::vector<double> vals) {
        value v;
        v.is_constant = true;
        v.dims = std::move(dims);
        v.values = std::move(vals);
        v.values_known = true;
        values_[n.output(0)] = std::move(v);
    }

    graph::op make(const ::onnx::NodeProto& n, graph::op_kind k, std::vector<std::size_t> inputs) {
        graph::op o;
        o.name = unique_name(n.name().empty() ? n.output(0) : n.name());
        o.kind = k;
        o.inputs = std::move(inputs);
        return o;
    }

    /// Applies activation `a` to tensor `x` for node `n`: fused into the producer when it is a conv,
    /// dense, add or batch norm without an activation that nothing else reads, else a standalone op.
    void activate(const ::onnx::NodeProto& n, const value& x, graph::activation a) {
        auto& p = ops_[x.op];
        const bool fusable = p.kind == graph::op_kind::conv2d || p.kind == graph::op_kind::fully_connected ||
                             p.kind == graph::op_kind::add || p.kind == graph::op_kind::batch_norm;
        if (fusable && p.act == graph::activation::none && uses_[x.op] == 1) {
            p.act = a;
            alias(n, x, x.rank);
            return;
        }
        auto o = make(n, graph::op_kind::activation, {x.op});
        o.act = a;
        set_tensor(n, push(std::move(o), n.output(0)), x.rank);
    }

    // ---- windows: ONNX pads -> SAME / VALID / explicit pad ----
    struct window_plan {
        graph::padding pad = graph::padding::valid;
        bool explicit_pad = false;
        std::array<std::int64_t, 4> pads{0, 0, 0, 0};  // top, bottom, left, right
    };
    window_plan plan_window(const ::onnx::NodeProto& n, const graph::tensor_shape& in, std::int64_t kh, std::int64_t kw,
                            std::int64_t sh, std::int64_t sw) const {
        window_plan w;
        const auto auto_pad = string_attr(n, "auto_pad", "NOTSET");
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            w.pad = graph::padding::same;
            return w;
        }
        if (auto_pad == "VALID") return w;
        require(auto_pad == "NOTSET", node_what(n), ": unknown auto_pad '", auto_pad, "'");
        auto pads = ints_attr(n, "pads");
        if (pads.empty()) pads.assign(4, 0);
        require(pads.size() == 4, node_what(n), ": expected 4 pads for a 2-D window, got ", pads.size());
        for (auto p : pads) require(p >= 0, node_what(n), ": negative pads are not supported");
        const bool ceil_mode = int_attr(n, "ceil_mode", 0) != 0;
        auto out = [&](std::int64_t size, std::int64_t k, std::int64_t s, std::int64_t before, std::int64_t after) {
            const std::int64_t span = size + before + after - k;
            require(span >= 0, node_what(n), ": the window (", k, ") is larger than the padded input (", size + before + after, ")");
            std::int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
            if (ceil_mode && (o - 1) * s >= size + before) --o;  // the last window must start inside the input
            return o;
        };
        const auto oh = out(in.h, kh, sh, pads[0], pads[2]);
        const auto ow = out(in.w, kw, sw, pads[1], pads[3]);
        auto matches = [&](graph::padding p) {
            return graph::window_output(in.h, kh, sh, p) == oh && graph::window_output(in.w, kw, sw, p) == ow &&
                   (p == graph::padding::same || (kh <= in.h && kw <= in.w));
        };
        const bool no_pads = pads[0] == 0 && pads[1] == 0 && pads[2] == 0 && pads[3] == 0;
        if (no_pads && matches(graph::padding::valid)) return w;
        if (matches(graph::padding::same)) {
            w.pad = graph::padding::same;
            return w;
        }
        if (matches(graph::padding::valid)) return w;
        // Pad explicitly (extending the bottom/right pad as ceil_mode does) and slide a VALID window.
        w.explicit_pad = true;
        const auto bottom = std::max<std::int64_t>(0, (oh - 1) * sh + kh - in.h - pads[0]);
        const auto right = std::max<std::int64_t>(0, (ow - 1) * sw + kw - in.w - pads[1]);
        w.pads = {pads[0], bottom, pads[1], right};
        return w;
    }
    /// Emits the explicit pad op of a window plan, returning the op the window reads.
    std::size_t pad_for(const ::onnx::NodeProto& n, std::size_t x, const window_plan& w) {
        if (!w.explicit_pad) return x;
        graph::op p;
        p.name = unique_name((n.name().empty() ? n.output(0) : n.name()) + "/pad");
        p.kind = graph::op_kind::pad;
        p.inputs = {x};
        p.pads = w.pads;
        const auto i = push(std::move(p), "");
        uses_[i] = 1;  // read by the window alone
        return i;
    }

    // ---- nodes ----
    void convert(int index);
    void conv(const ::onnx::NodeProto& n);
    void pool(const ::onnx::NodeProto& n, graph::op_kind k);
    void dense(const ::onnx::NodeProto& n, bool gemm);
    void eltwise(const ::onnx::NodeProto& n);
    void flatten(const ::onnx::NodeProto& n, const value& x, std::vector<std::int64_t> target);
    bool fold_constant(const ::onnx::NodeProto& n);
    void opaque(const ::onnx::NodeProto& n);
    graph::tensor_shape inferred_shape(const ::onnx::NodeProto& n, const std::string& output, int& rank) const;

    const ::onnx::ModelProto& model_;
    const ::onnx::GraphProto& g_;
    import_options opt_;
    std::filesystem::path base_;
    std::int64_t opset_ = 0;
    int inputs_seen_ = 0;
    graph::network raw_;
    std::vector<graph::op> ops_;
    std::vector<int> uses_;
    std::unordered_map<std::string, value> values_;
    std::unordered_map<std::string, int> reads_;
    std::set<int> skipped_;
    std::map<int, std::pair<std::string, graph::activation>> swish_;
    std::set<std::string> names_;
    std::set<int> opaque_;  ///< nodes with no IR counterpart imported as opaque host ops
};

/// The static shape ONNX's shape inference gave `output` of node `n`, as an IR shape: NCHW (rank 4)
/// becomes NHWC, N x F (rank 2) 1x1xF, any other rank 1x1x1x(elements) with `rank` 0.
inline graph::tensor_shape importer::inferred_shape(const ::onnx::NodeProto& n, const std::string& output, int& rank) const {
    const ::onnx::ValueInfoProto* info = nullptr;
    for (const auto& v : g_.value_info())
        if (v.name() == output) info = &v;
    for (const auto& v : g_.output())
        if (v.name() == output) info = &v;
    require(info && info->type().has_tensor_type() && info->type().tensor_type().has_shape(), node_what(n),
            ": ONNX's shape inference gives no shape for its output '", output,
            "', so it cannot be imported as a host op (its size must be known statically)");
    const auto& shp = info->type().tensor_type().shape();
    std::vector<std::int64_t> d;
    for (int k = 0; k < shp.dim_size(); ++k) {
        const auto& dim = shp.dim(k);
        require(dim.has_dim_value() && dim.dim_value() > 0, node_what(n), ": dim ", k, " of its output '", output,
                "' is not known statically (", dim.has_dim_param() ? "'" + dim.dim_param() + "'" : std::string("data-dependent"),
                "), so it cannot be imported as a host op");
        d.push_back(dim.dim_value());
    }
    if (d.size() == 4 && d[0] == 1) {
        rank = 4;
        return {1, d[2], d[3], d[1]};
    }
    if (d.size() == 2 && d[0] == 1) {
        rank = 2;
        return {1, 1, 1, d[1]};
    }
    std::int64_t e = 1;
    for (auto x : d) require(!__builtin_mul_overflow(e, x, &e), node_what(n), ": output '", output, "' is too large");
    rank = 0;
    return {1, 1, 1, e};
}

/// Node `n` with no IR counterpart as an opaque op: it reads the tensors among its inputs (constant
/// inputs such as TopK's K are attributes of it) and gives output 0; each further output that is read
/// becomes an opaque op of the same type reading output 0 (the IR's ops have one output).
inline void importer::opaque(const ::onnx::NodeProto& n) {
    const std::string type = (n.domain().empty() || n.domain() == "ai.onnx" ? "" : n.domain() + ".") + n.op_type();
    std::vector<std::size_t> ins;
    for (int k = 0; k < n.input_size(); ++k) {
        if (!has_input(n, k)) continue;
        const auto& v = get(n, k);
        if (!v.is_constant && std::find(ins.begin(), ins.end(), v.op) == ins.end()) ins.push_back(v.op);
    }
    require(!ins.empty(), node_what(n), ": reads only constants, so it cannot be imported as a host op (",
            type, " has no IR counterpart and is not shape arithmetic the importer folds)");
    int rank = 4;
    auto o = make(n, graph::op_kind::opaque, ins);
    o.opaque_type = type;
    o.target = inferred_shape(n, n.output(0), rank);
    const auto main = push(std::move(o), n.output(0));
    set_tensor(n, main, rank);
    for (int k = 1; k < n.output_size(); ++k) {
        const auto& name = n.output(k);
        if (name.empty() || use_count(name) == 0) continue;
        auto extra = make(n, graph::op_kind::opaque, {main});
        extra.name = unique_name(name);
        extra.opaque_type = type;
        int r = 4;
        extra.target = inferred_shape(n, name, r);
        value v;
        v.op = push(std::move(extra), name);
        v.rank = r;
        values_[name] = v;
        ++uses_[main];
    }
}

inline void importer::conv(const ::onnx::NodeProto& n) {
    const auto& x = tensor_in(n, 0);
    require(x.rank == 4, node_what(n), ": expects an NCHW input");
    const auto& w = get(n, 1);
    require(w.is_constant && w.dims.size() == 4, node_what(n), ": the weights must be a constant of rank 4 (OIHW)");
    for (auto d : ints_attr(n, "dilations")) require(d == 1, node_what(n), ": dilated convolutions are not supported");
    auto ks = ints_attr(n, "kernel_shape");
    if (ks.empty()) ks = {w.dims[2], w.dims[3]};
    require(ks.size() == 2 && ks[0] == w.dims[2] && ks[1] == w.dims[3], node_what(n), ": kernel_shape disagrees with the weights");
    auto st = ints_attr(n, "strides");
    if (st.empty()) st = {1, 1};
    require(st.size() == 2 && st[0] > 0 && st[1] > 0, node_what(n), ": expected two positive strides");
    const auto groups = int_attr(n, "group", 1);
    const auto& in = shape(x);
    require(groups > 0 && in.c % groups == 0 && w.dims[1] * groups == in.c, node_what(n), ": weights ", w.dims[0], "x",
            w.dims[1], " per group do not fit ", in.c, " input channels in ", groups, " groups");
    const auto plan = plan_window(n, in, ks[0], ks[1], st[0], st[1]);
    const auto src = pad_for(n, x.op, plan);
    auto o = make(n, graph::op_kind::conv2d, {src});
    o.kernel_h = static_cast<int>(ks[0]);
    o.kernel_w = static_cast<int>(ks[1]);
    o.stride_h = static_cast<int>(st[0]);
    o.stride_w = static_cast<int>(st[1]);
    o.pad = plan.pad;
    o.groups = groups;
    o.filters = w.dims[0];
    o.bias = has_input(n, 2);
    set_tensor(n, push(std::move(o), n.output(0)), 4);
}

inline void importer::pool(const ::onnx::NodeProto& n, graph::op_kind k) {
    const auto& x = tensor_in(n, 0);
    require(x.rank == 4, node_what(n), ": expects an NCHW input");
    for (auto d : ints_attr(n, "dilations")) require(d == 1, node_what(n), ": dilated pooling is not supported");
    const auto ks = ints_attr(n, "kernel_shape");
    require(ks.size() == 2 && ks[0] > 0 && ks[1] > 0, node_what(n), ": expected a 2-D kernel_shape");
    auto st = ints_attr(n, "strides");
    if (st.empty()) st = {1, 1};
    require(st.size() == 2 && st[0] > 0 && st[1] > 0, node_what(n), ": expected two positive strides");
    const auto plan = plan_window(n, shape(x), ks[0], ks[1], st[0], st[1]);
    const auto src = pad_for(n, x.op, plan);
    auto o = make(n, k, {src});
    o.kernel_h = static_cast<int>(ks[0]);
    o.kernel_w = static_cast<int>(ks[1]);
    o.stride_h = static_cast<int>(st[0]);
    o.stride_w = static_cast<int>(st[1]);
    o.pad = plan.pad;
    o.count_include_pad = k == graph::op_kind::avg_pool && int_attr(n, "count_include_pad", 0) != 0;
    set_tensor(n, push(std::move(o), n.output(0)), 4);
}

inline void importer::dense(const ::onnx::NodeProto& n, bool gemm) {
    const auto& x = tensor_in(n, 0);
    const auto& s = shape(x);
    require(x.rank == 2 || (s.h == 1 && s.w == 1), node_what(n), ": expects a flattened (N x features) input, got ", s);
    const auto& w = get(n, 1);
    require(w.is_constant && w.dims.size() == 2, node_what(n), ": the weights must be a constant matrix");
    if (gemm) require(int_attr(n, "transA", 0) == 0, node_what(n), ": transA is not supported");
    const bool trans_b = gemm && int_attr(n, "transB", 0) != 0;
    const auto in_features = trans_b ? w.dims[1] : w.dims[0];
    const auto units = trans_b ? w.dims[0] : w.dims[1];
    require(in_features == s.c * s.h * s.w, node_what(n), ": weights expect ", in_features, " features, the input has ", s.c * s.h * s.w);
    auto o = make(n, graph::op_kind::fully_connected, {x.op});
    o.filters = units;
    o.bias = gemm && has_input(n, 2);
    set_tensor(n, push(std::move(o), n.output(0)), 2);
}

inline void importer::flatten(const ::onnx::NodeProto& n, const value& x, std::vector<std::int64_t> target) {
    const auto& s = shape(x);
    if (target.size() == 2) {
        require(target[1] == s.h * s.w * s.c, node_what(n), ": flattening ", s, " to ", target[1], " features");
        if (s.h == 1 && s.w == 1) {  // N x C x 1 x 1 -> N x C: the same NHWC tensor
            alias(n, x, 2);
            return;
        }
        auto o = make(n, graph::op_kind::reshape, {x.op});
        o.target = {1, 1, 1, target[1]};
        set_tensor(n, push(std::move(o), n.output(0)), 2);
        return;
    }
    require(target.size() == 4, node_what(n), ": only reshapes to rank 2 or 4 are supported");
    auto o = make(n, graph::op_kind::reshape, {x.op});
    o.target = {1, target[2], target[3], target[1]};
    set_tensor(n, push(std::move(o), n.output(0)), 4);
}

inline void importer::eltwise(const ::onnx::NodeProto& n) {
    const bool is_add = n.op_type() == "Add" || n.op_type() == "Sum";
    std::vector<const value*> xs;
    const value* c = nullptr;
    for (int k = 0; k < n.input_size(); ++k) {
        const auto& v = get(n, k);
        if (v.is_constant) c = &v;
        else xs.push_back(&v);
    }
    if (c) {
        // A bias after MatMul (or after a conv without one): fused into the producer.
        require(is_add && xs.size() == 1 && n.input_size() == 2, node_what(n), ": ", n.op_type(),
                " with a constant operand is only supported as the bias of a dense layer or conv");
        const auto& x = *xs[0];
        auto& p = ops_[x.op];
        std::int64_t elems = 1;
        for (auto d : c->dims) elems *= d;
        require((p.kind == graph::op_kind::fully_connected || p.kind == graph::op_kind::conv2d) && !p.bias &&
                    !p.batch_norm && p.act == graph::activation::none && uses_[x.op] == 1 && elems == p.filters,
                node_what(n), ": adding a constant is only supported as the bias of a dense layer or conv");
        p.bias = true;
        alias(n, x, x.rank);
        return;
    }
    require(xs.size() >= 2, node_what(n), ": needs two tensor inputs");
    if (is_add) {
        std::vector<std::size_t> ins;
        for (auto* v : xs) {
            require(shape(*v) == shape(*xs[0]), node_what(n), ": broadcasting add of ", shape(*xs[0]), " and ", shape(*v),
                    " is not supported");
            ins.push_back(v->op);
        }
        set_tensor(n, push(make(n, graph::op_kind::add, ins), n.output(0)), xs[0]->rank);
        return;
    }
    require(xs.size() == 2, node_what(n), ": Mul takes two inputs");
    const value* a = xs[0];
    const value* b = xs[1];
    if (shape(*a).h == 1 && shape(*a).w == 1 && !(shape(*b).h == 1 && shape(*b).w == 1)) std::swap(a, b);  // scale second
    set_tensor(n, push(make(n, graph::op_kind::mul, {a->op, b->op}), n.output(0)), a->rank);
}

inline bool importer::fold_constant(const ::onnx::NodeProto& n) {
    const auto& t = n.op_type();
    auto all_constant = [&] {
        for (int k = 0; k < n.input_size(); ++k)
            if (has_input(n, k) && !get(n, k).is_constant) return false;
        return n.input_size() > 0;
    };
    if (t == "Constant") {
        const auto* a = attribute(n, "value");
        if (a && a->has_t()) {
            std::vector<std::int64_t> dims(a->t().dims().begin(), a->t().dims().end());
            set_constant(n, dims, tensor_values(a->t(), base_));
        } else if ((a = attribute(n, "value_int"))) {
            set_constant(n, {}, {double(a->i())});
        } else if ((a = attribute(n, "value_ints"))) {
            set_constant(n, {a->ints_size()}, std::vector<double>(a->ints().begin(), a->ints().end()));
        } else if ((a = attribute(n, "value_float"))) {
            set_constant(n, {}, {double(a->f())});
        } else if ((a = attribute(n, "value_floats"))) {
            set_constant(n, {a->floats_size()}, std::vector<double>(a->floats().begin(), a->floats().end()));
        } else {
            fail(node_what(n), ": unsupported Constant (no value, value_int(s) or value_float(s))");
        }
        return true;
    }
    if (t == "Shape") {
        const auto& x = tensor_in(n, 0);
        const auto& s = shape(x);
        std::vector<double> d = x.rank == 4 ? std::vector<double>{1, double(s.c), double(s.h), double(s.w)}
                                            : std::vector<double>{1, double(s.c)};
        auto start = int_attr(n, "start", 0), end = int_attr(n, "end", static_cast<std::int64_t>(d.size()));
        const auto r = static_cast<std::int64_t>(d.size());
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = std::clamp<std::int64_t>(start, 0, r);
        end = std::clamp<std::int64_t>(end, start, r);
        std::vector<double> part(d.begin() + start, d.begin() + end);
        set_constant(n, {static_cast<std::int64_t>(part.size())}, part);
        return true;
    }
    if (!all_constant()) return false;
    if (t == "Identity" || t == "Cast" || t == "Dropout") {
        auto v = get(n, 0);
        values_[n.output(0)] = v;
        return true;
    }
    if (t == "Gather") {
        const auto data = constant_values(n, 0);
        const auto idx = constant_values(n, 1);
        const auto& dd = get(n, 0).dims;
        require(dd.size() <= 1 && int_attr(n, "axis", 0) == 0, node_what(n), ": only gathers from 1-D constants are folded");
        std::vector<double> r;
        for (auto i : idx) {
            auto k = static_cast<std::int64_t>(i);
            if (k < 0) k += static_cast<std::int64_t>(data.size());
            require(k >= 0 && k < static_cast<std::int64_t>(data.size()), node_what(n), ": index ", i, " out of range");
            r.push_back(data[static_cast<std::size_t>(k)]);
        }
        set_constant(n, get(n, 1).dims, r);
        return true;
    }
    if (t == "Unsqueeze" || t == "Squeeze") {
        const auto vals = constant_values(n, 0);
        auto dims = get(n, 0).dims;
        std::vector<std::int64_t> axes = ints_attr(n, "axes");
        if (has_input(n, 1))
            for (auto a : constant_values(n, 1)) axes.push_back(static_cast<std::int64_t>(a));
        if (t == "Unsqueeze") {
            const auto r = static_cast<std::int64_t>(dims.size() + axes.size());
            for (auto& a : axes) a = a < 0 ? a + r : a;
            std::sort(axes.begin(), axes.end());
            for (auto a : axes) {
                require(a >= 0 && a <= static_cast<std::int64_t>(dims.size()), node_what(n), ": axis out of range");
                dims.insert(dims.begin() + a, 1);
            }
        } else {
            std::vector<std::int64_t> kept;
            const auto r = static_cast<std::int64_t>(dims.size());
            for (auto& a : axes) a = a < 0 ? a + r : a;
            for (std::int64_t i = 0; i < r; ++i) {
                const bool drop = axes.empty() ? dims[static_cast<std::size_t>(i)] == 1
                                               : std::find(axes.begin(), axes.end(), i) != axes.end();
                if (!drop) kept.push_back(dims[static_cast<std::size_t>(i)]);
            }
            dims = kept;
        }
        set_constant(n, dims, vals);
        return true;
    }
    if (t == "Concat") {
        std::vector<double> r;
        for (int k = 0; k < n.input_size(); ++k) {
            require(get(n, k).dims.size() <= 1, node_what(n), ": only concatenations of 1-D constants are folded");
            const auto v = constant_values(n, k);
            r.insert(r.end(), v.begin(), v.end());
        }
        set_constant(n, {static_cast<std::int64_t>(r.size())}, r);
        return true;
    }
    if (t == "Add" || t == "Sub" || t == "Mul" || t == "Div") {
        const auto a = constant_values(n, 0);
        const auto b = constant_values(n, 1);
        require(a.size() == b.size() || a.size() == 1 || b.size() == 1, node_what(n), ": constant shapes do not broadcast");
        const auto len = std::max(a.size(), b.size());
        std::vector<double> r(len);
        for (std::size_t i = 0; i < len; ++i) {
            const double x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i];
            r[i] = t == "Add" ? x + y : t == "Sub" ? x - y : t == "Mul" ? x * y : (y == 0 ? 0 : std::trunc(x / y));
        }
        set_constant(n, a.size() >= b.size() ? get(n, 0).dims : get(n, 1).dims, r);
        return true;
    }
    return false;
}

inline void importer::convert(int index) {
    const auto& n = g_.node(index);
    if (skipped_.count(index)) return;
    require(n.output_size() >= 1 && !n.output(0).empty(), node_what(n), ": has no output");
    if (opaque_.count(index)) return opaque(n);
    if (fold_constant(n)) return;
    const auto& t = n.op_type();
    if (const auto sw = swish_.find(index); sw != swish_.end()) {
        const auto it = values_.find(sw->second.first);
        require(it != values_.end() && !it->second.is_constant, node_what(n), ": swish of a constant");
        activate(n, it->second, sw->second.second);
        return;
    }
    if (t == "Conv") return conv(n);
    if (t == "MaxPool") {
        require(n.output_size() == 1 || n.output(1).empty(), node_what(n), ": the Indices output is not supported");
        return pool(n, graph::op_kind::max_pool);
    }
    if (t == "AveragePool") return pool(n, graph::op_kind::avg_pool);
    if (t == "GlobalAveragePool") {
        const auto& x = tensor_in(n, 0);
        return set_tensor(n, push(make(n, graph::op_kind::global_avg_pool, {x.op}), n.output(0)), 4);
    }
    if (t == "ReduceMean") {  // x.mean([2, 3]) in PyTorch: global average pooling
        const auto& x = tensor_in(n, 0);
        auto axes = ints_attr(n, "axes");
        for (auto& a : axes) a = a < 0 ? a + x.rank : a;
        std::sort(axes.begin(), axes.end());
        require(x.rank == 4 && axes == std::vector<std::int64_t>{2, 3}, node_what(n),
                ": only the mean over H and W (axes 2, 3) is supported");
        return set_tensor(n, push(make(n, graph::op_kind::global_avg_pool, {x.op}), n.output(0)),
                          int_attr(n, "keepdims", 1) ? 4 : 2);
    }
    if (t == "BatchNormalization") {
        const auto& x = tensor_in(n, 0);
        require(int_attr(n, "training_mode", 0) == 0, node_what(n), ": training-mode batch norm is not supported");
        auto& p = ops_[x.op];
        if ((p.kind == graph::op_kind::conv2d || p.kind == graph::op_kind::fully_connected) && !p.batch_norm &&
            p.act == graph::activation::none && uses_[x.op] == 1) {
            p.batch_norm = true;
            return alias(n, x, x.rank);
        }
        return set_tensor(n, push(make(n, graph::op_kind::batch_norm, {x.op}), n.output(0)), x.rank);
    }
    if (t == "Relu") return activate(n, tensor_in(n, 0), graph::activation::relu);
    if (t == "Sigmoid") return activate(n, tensor_in(n, 0), graph::activation::sigmoid);
    if (t == "HardSwish") return activate(n, tensor_in(n, 0), graph::activation::hard_swish);
    if (t == "HardSigmoid") {
        require(hard_sigmoid_matches(n), node_what(n), ": only HardSigmoid with alpha 1/6 and beta 0.5 (relu6(x + 3) / 6) is supported");
        return activate(n, tensor_in(n, 0), graph::activation::hard_sigmoid);
    }
    if (t == "Clip") {
        const auto& x = tensor_in(n, 0);
        const double lo = has_input(n, 1) ? constant_values(n, 1).at(0) : -INFINITY;
        const double hi = has_input(n, 2) ? constant_values(n, 2).at(0) : INFINITY;
        if (lo == 0 && hi == 6) return activate(n, x, graph::activation::relu6);
        if (lo == 0 && std::isinf(hi)) return activate(n, x, graph::activation::relu);
        fail(node_what(n), ": only Clip(0, 6) (ReLU6) and Clip(0, inf) (ReLU) are supported, got Clip(", lo, ", ", hi, ")");
    }
    if (t == "Identity" || t == "Dropout") return alias(n, tensor_in(n, 0), tensor_in(n, 0).rank);
    if (t == "Add" || t == "Sum" || t == "Mul") return eltwise(n);
    if (t == "Concat") {
        auto axis = int_attr(n, "axis", 1);
        std::vector<std::size_t> ins;
        int rank = 4;
        for (int k = 0; k < n.input_size(); ++k) {
            const auto& v = tensor_in(n, k);
            rank = v.rank;
            ins.push_back(v.op);
        }
        if (axis < 0) axis += rank;
        require(axis == 1, node_what(n), ": only concatenation along channels (axis 1) is supported");
        return set_tensor(n, push(make(n, graph::op_kind::concat, ins), n.output(0)), rank);
    }
    if (t == "Gemm") return dense(n, true);
    if (t == "MatMul") return dense(n, false);
    if (t == "Flatten") {
        const auto& x = tensor_in(n, 0);
        auto axis = int_attr(n, "axis", 1);
        if (axis < 0) axis += x.rank;
        require(axis == 1, node_what(n), ": only Flatten with axis 1 is supported");
        const auto& s = shape(x);
        return flatten(n, x, {1, s.h * s.w * s.c});
    }
    if (t == "Reshape") {
        const auto& x = tensor_in(n, 0);
        const auto& s = shape(x);
        const auto spec = constant_values(n, 1);
        std::vector<std::int64_t> in_dims = x.rank == 4 ? std::vector<std::int64_t>{1, s.c, s.h, s.w}
                                                        : std::vector<std::int64_t>{1, s.c};
        std::vector<std::int64_t> target;
        std::int64_t known = 1;
        int infer = -1;
        for (std::size_t i = 0; i < spec.size(); ++i) {
            auto d = static_cast<std::int64_t>(spec[i]);
            if (d == 0 && int_attr(n, "allowzero", 0) == 0) {
                require(i < in_dims.size(), node_what(n), ": copies dimension ", i, " the input does not have");
                d = in_dims[i];
            }
            if (d == -1) {
                require(infer < 0, node_what(n), ": more than one -1 in the target shape");
                infer = static_cast<int>(i);
            } else {
                require(d > 0, node_what(n), ": target size ", d, " is not supported");
                known *= d;
            }
            target.push_back(d);
        }
        const auto total = s.h * s.w * s.c;
        if (infer >= 0) {
            require(known > 0 && total % known == 0, node_what(n), ": cannot infer the -1 size");
            target[static_cast<std::size_t>(infer)] = total / known;
        }
        require(!target.empty() && target[0] == 1, node_what(n), ": only batch 1 reshapes are supported");
        return flatten(n, x, target);
    }
    if (t == "Pad") {
        const auto& x = tensor_in(n, 0);
        require(x.rank == 4, node_what(n), ": expects an NCHW input");
        require(string_attr(n, "mode", "constant") == "constant", node_what(n), ": only constant (zero) padding is supported");
        const auto p = constant_values(n, 1);
        require(p.size() == 8 && p[0] == 0 && p[1] == 0 && p[4] == 0 && p[5] == 0, node_what(n),
                ": only padding of H and W (8 pads, none on N and C) is supported");
        auto o = make(n, graph::op_kind::pad, {x.op});
        o.pads = {static_cast<std::int64_t>(p[2]), static_cast<std::int64_t>(p[6]), static_cast<std::int64_t>(p[3]),
                  static_cast<std::int64_t>(p[7])};
        return set_tensor(n, push(std::move(o), n.output(0)), 4);
    }
    if (t == "Softmax") {
        const auto& x = tensor_in(n, 0);
        auto axis = int_attr(n, "axis", opset_ >= 13 ? -1 : 1);
        if (axis < 0) axis += x.rank;
        const auto& s = shape(x);
        require(axis == 1 || (s.h == 1 && s.w == 1 && axis == x.rank - 1 && x.rank == 2), node_what(n),
                ": only softmax over channels is supported");
        return set_tensor(n, push(make(n, graph::op_kind::softmax, {x.op}), n.output(0)), x.rank);
    }
    fail(node_what(n), ": ", t, " is only supported on constants (shape arithmetic)");
}

}  // namespace detail

/// Converts a parsed ONNX model to a network. `base` is the folder external data paths are relative
/// to. Unsupported ops raise `accelnas::error` listing every one with its node name, or, with
/// `opt.unsupported == unsupported_policy::host`, become opaque ops whose output shapes come from
/// ONNX's shape inference (run on a copy of the model with the input shape fixed).
inline graph::network import_model(const ::onnx::ModelProto& m, const import_options& opt = {},
                                   const std::filesystem::path& base = {}) {
    if (opt.unsupported == unsupported_policy::host) {
        bool any = false;
        for (const auto& n : m.graph().node()) any = any || !detail::importer::is_supported(n);
        if (any) {
            auto copy = m;
            auto* g = copy.mutable_graph();
            if (!opt.input_shape.empty()) {
                std::set<std::string> init;
                for (const auto& t : g->initializer()) init.insert(t.name());
                for (auto& in : *g->mutable_input()) {
                    if (init.count(in.name())) continue;
                    auto* shp = in.mutable_type()->mutable_tensor_type()->mutable_shape();
                    shp->clear_dim();
                    for (auto d : opt.input_shape) shp->add_dim()->set_dim_value(d);
                    break;
                }
            }
            try {
                ::onnx::shape_inference::InferShapes(copy, ::onnx::OpSchemaRegistry::Instance(),
                                                     ::onnx::ShapeInferenceOptions{false, 0, true});
            } catch (const std::exception& e) {
                fail("ONNX shape inference (needed for the output shapes of host ops) fails: ", e.what());
            }
            return detail::importer(copy, opt, base).run();
        }
    }
    return detail::importer(m, opt, base).run();
}

/// Reads an ONNX model file and converts it (see `import_model`); every failure is
/// `accelnas::error` naming the file and what is wrong.
inline graph::network import_file(const std::string& path, import_options opt = {}) {
    try {
        const auto m = read_model_file(path, opt.max_bytes);
        // Exporters name graphs generically ("main_graph", "torch_jit"): the file says more.
        if (opt.name.empty()) opt.name = std::filesystem::path(path).stem().string();
        return import_model(m, opt, std::filesystem::path(path).parent_path());
    } catch (const error& e) {
        const std::string what = e.what();
        if (what.find(path) != std::string::npos) throw;
        fail("ONNX model '", path, "': ", what);
    }
}

}  // namespace accelnas::onnx
