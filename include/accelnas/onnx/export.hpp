#pragma once
/// \file
/// ONNX export: a `graph::network` with its float parameters (train::parameter_set, as the trainer's
/// `model::export_parameters` gives them) becomes an ONNX model, opset 13, NCHW as ONNX tools expect.
/// Conv kernels go from HWIO to OIHW, batch norm stays a BatchNormalization node after its conv (so
/// that import gives the same network back), TensorFlow SAME and VALID padding become auto_pad
/// SAME_UPPER and VALID, dense layers become Flatten + Gemm with their rows reordered from the IR's NHWC
/// flattening to ONNX's NCHW one, swish and hard swish become x * Sigmoid(x) and x * HardSigmoid(x).
///
/// `export_qdq_model` writes the int8 quantization of quant/ (quantize_ops: TFLite's full-integer
/// scheme) in the QDQ form that ONNX Runtime and the TFLite converters read: every op's output goes
/// through QuantizeLinear -> DequantizeLinear with its per-tensor scale and zero point (int8), conv
/// and dense weights are int8 initializers behind a DequantizeLinear with per-output-channel scales
/// (axis 0, zero points 0), biases int32 behind one with scale input scale * weight scale. An
/// activation the int8 engine runs as a lookup table (sigmoid, hard sigmoid, swish, hard swish) gets
/// a QuantizeLinear -> DequantizeLinear of its pre-activation parameters before it, as the table reads
/// the requantized codes; relu and relu6 (clamps of the requantized value) sit before the op's QDQ.

#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/onnx/model_file.hpp>
#include <accelnas/quant/quantizer.hpp>
#include <accelnas/quant/ranges.hpp>
#include <accelnas/train/parameters.hpp>

// <sys/mman.h> defines MAP_TYPE, which ONNX's parser.h (included by the checker) uses as an enumerator.
#pragma push_macro("MAP_TYPE")
#undef MAP_TYPE
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#pragma pop_macro("MAP_TYPE")

#include <cstdint>
#include <type_traits>
#include <string>
#include <vector>

namespace accelnas::onnx {

/// The opset the exporter writes.
inline constexpr std::int64_t export_opset = 13;

/// Options of `export_model`.
struct export_options {
    std::string producer_version = "0.1.0";  ///< written as the producer's version
};

namespace detail {

inline ::onnx::TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& v) {
    ::onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(::onnx::TensorProto_DataType_FLOAT);
    for (auto d : dims) t.add_dims(d);
    t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    return t;
}
/// An integer initializer (INT8 or INT32) from raw values in `v`, little-endian as ONNX stores raw data.
template <class T>
inline ::onnx::TensorProto int_tensor(const std::string& name, std::vector<std::int64_t> dims, const std::vector<T>& v) {
    static_assert(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int32_t>);
    ::onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(std::is_same_v<T, std::int8_t> ? ::onnx::TensorProto_DataType_INT8 : ::onnx::TensorProto_DataType_INT32);
    for (auto d : dims) t.add_dims(d);
    t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)));
    return t;
}
inline ::onnx::TensorProto int64_tensor(const std::string& name, std::vector<std::int64_t> dims, const std::vector<std::int64_t>& v) {
    ::onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(::onnx::TensorProto_DataType_INT64);
    for (auto d : dims) t.add_dims(d);
    for (auto x : v) t.add_int64_data(x);
    return t;
}
inline void set_ints(::onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto_AttributeType_INTS);
    for (auto x : v) a->add_ints(x);
}
inline void set_int(::onnx::NodeProto& n, const std::string& name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
}
inline void set_float(::onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(v);
}
inline void value_info(::onnx::ValueInfoProto* vi, const std::string& name, std::vector<std::int64_t> dims) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(::onnx::TensorProto_DataType_FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

class exporter {
public:
    /// `q`: the int8 quantization of every op (quant::quantize_ops) for a QDQ export, or null for float.
    exporter(const graph::network& net, const train::parameter_set& params,
             const std::vector<quant::quantized_op>* q = nullptr)
        : net_(net), q_(q) {
        require(!q || q->size() == net.size(), "QDQ export: quantization of ", q ? q->size() : 0, " ops for a network of ",
                net.size(), " ops");
        by_op_.assign(net.size(), nullptr);
        for (const auto& p : params) {
            require(p.op < net.size(), "parameter set names op ", p.op, " of a network of ", net.size(), " ops");
            by_op_[p.op] = &p;
        }
    }

    ::onnx::ModelProto run(const export_options& opt) {
        net_.validate();
        ::onnx::ModelProto m;
        m.set_ir_version(8);  // ONNX 1.10+: the IR version of opset 13-15 models
        m.set_producer_name("accelnas");
        m.set_producer_version(opt.producer_version);
        auto* os = m.add_opset_import();
        os->set_domain("");
        os->set_version(export_opset);
        g_ = m.mutable_graph();
        g_->set_name(net_.name().empty() ? "accelnas" : net_.name());
        names_.assign(net_.size(), {});
        flat_from_.assign(net_.size(), graph::tensor_shape{});
        rank_.assign(net_.size(), 4);
        for (std::size_t i = 0; i < net_.size(); ++i) emit(i);
        for (auto o : net_.outputs()) {
            const auto& s = net_.ops()[o].out;
            value_info(g_->add_output(), names_[o],
                       rank_[o] == 2 ? std::vector<std::int64_t>{1, s.c} : std::vector<std::int64_t>{1, s.c, s.h, s.w});
        }
        return m;
    }

private:
    const train::op_parameters& params_of(std::size_t i, const char* what) const {
        const auto* p = by_op_[i];
        require(p != nullptr, "op '", net_.ops()[i].name, "' has no parameters in the parameter set (", what, ")");
        return *p;
    }
    ::onnx::NodeProto* node(const std::string& type, const std::string& name, std::vector<std::string> ins,
                            const std::string& out) {
        auto* n = g_->add_node();
        n->set_op_type(type);
        n->set_name(name);
        for (auto& s : ins) n->add_input(s);
        n->add_output(out);
        return n;
    }
    std::string constant_floats(const std::string& name, std::vector<std::int64_t> dims, const std::vector<float>& v) {
        *g_->add_initializer() = float_tensor(name, std::move(dims), v);
        return name;
    }
    static std::vector<float> to_vector(const xt::xtensor<float, 1>& t) { return {t.begin(), t.end()}; }

    /// TensorFlow SAME is ONNX's SAME_UPPER exactly (the odd padding element after); auto_pad rather than
    /// explicit pads keeps the policy itself, which import reads back (for a 1x1 window both agree).
    static void set_window_padding(::onnx::NodeProto& n, const graph::op& o) {
        auto* a = n.add_attribute();
        a->set_name("auto_pad");
        a->set_type(::onnx::AttributeProto_AttributeType_STRING);
        a->set_s(o.pad == graph::padding::same ? "SAME_UPPER" : "VALID");
    }

    /// Emits the activation `a` on tensor `x`, returning the name of the result (`out` when given).
    std::string activation(graph::activation a, const std::string& x, const std::string& base, const std::string& out) {
        using graph::activation;
        switch (a) {
        case activation::none: return x;
        case activation::relu: node("Relu", base + "/relu", {x}, out); break;
        case activation::relu6: {
            const auto lo = constant_floats(base + "/clip_min", {}, {0.0f});
            const auto hi = constant_floats(base + "/clip_max", {}, {6.0f});
            node("Clip", base + "/relu6", {x, lo, hi}, out);
            break;
        }
        case activation::sigmoid: node("Sigmoid", base + "/sigmoid", {x}, out); break;
        case activation::hard_sigmoid: {
            auto* n = node("HardSigmoid", base + "/hard_sigmoid", {x}, out);
            set_float(*n, "alpha", 1.0f / 6.0f);
            set_float(*n, "beta", 0.5f);
            break;
        }
        case activation::hard_swish: {
            // HardSwish is opset 14: x * HardSigmoid(x) (the importer fuses the pair back).
            auto* n = node("HardSigmoid", base + "/hard_sigmoid", {x}, base + "/hard_sigmoid");
            set_float(*n, "alpha", 1.0f / 6.0f);
            set_float(*n, "beta", 0.5f);
            node("Mul", base + "/hard_swish", {x, base + "/hard_sigmoid"}, out);
            break;
        }
        case activation::swish:
            node("Sigmoid", base + "/sigmoid", {x}, base + "/sigmoid");
            node("Mul", base + "/swish", {x, base + "/sigmoid"}, out);
            break;
        }
        return out;
    }

    /// QuantizeLinear -> DequantizeLinear of float tensor `x` with `p` (initializers and nodes named
    /// `base`/q, `base`/dq); returns the dequantized tensor's name.
    std::string qdq(const std::string& x, const quant::quant_params& p, const std::string& base) {
        const auto s = constant_floats(base + "/scale", {}, {p.scale});
        *g_->add_initializer() = int_tensor<std::int8_t>(base + "/zero_point", {}, {static_cast<std::int8_t>(p.zero_point)});
        node("QuantizeLinear", base + "/q", {x, s, base + "/zero_point"}, base + "/q");
        node("DequantizeLinear", base + "/dq", {base + "/q", s, base + "/zero_point"}, base + "/dq");
        return base + "/dq";
    }

    /// QDQ export: the int8 weights of conv / dense op `i` (`w`: values in the ONNX layout, one row of
    /// `per_row` per output channel) and its int32 bias behind DequantizeLinear nodes; returns their names.
    std::vector<std::string> quantized_weights(std::size_t i, const std::vector<std::int8_t>& w, std::vector<std::int64_t> dims) {
        const auto& o = net_.ops()[i];
        const auto& q = (*q_)[i];
        const auto f = o.filters;
        require(std::int64_t(q.weight_scale.size()) == f && std::int64_t(q.bias.size()) == f, "QDQ export: op '", o.name,
                "' has no int8 weights for its ", f, " filters");
        const float s_in = (*q_)[o.inputs[0]].out.scale;
        std::vector<float> bias_scale(std::size_t(f), 0.0f);
        for (std::int64_t k = 0; k < f; ++k) bias_scale[std::size_t(k)] = s_in * q.weight_scale[std::size_t(k)];
        const std::string wn = o.name + "/weight", bn = o.name + "/bias";
        *g_->add_initializer() = int_tensor<std::int8_t>(wn + "/int8", std::move(dims), w);
        constant_floats(wn + "/scale", {f}, q.weight_scale);
        *g_->add_initializer() = int_tensor<std::int8_t>(wn + "/zero_point", {f}, std::vector<std::int8_t>(std::size_t(f), 0));
        set_int(*node("DequantizeLinear", wn + "/dq", {wn + "/int8", wn + "/scale", wn + "/zero_point"}, wn), "axis", 0);
        *g_->add_initializer() = int_tensor<std::int32_t>(bn + "/int32", {f}, q.bias);
        constant_floats(bn + "/scale", {f}, bias_scale);
        *g_->add_initializer() = int_tensor<std::int32_t>(bn + "/zero_point", {f}, std::vector<std::int32_t>(std::size_t(f), 0));
        set_int(*node("DequantizeLinear", bn + "/dq", {bn + "/int32", bn + "/scale", bn + "/zero_point"}, bn), "axis", 0);
        return {wn, bn};
    }

    /// Emits batch norm (when present) then the activation after the main node of op `i`, whose
    /// output is `y`; records the op's final tensor name. In a QDQ export a lookup-table activation
    /// first quantizes `y` with its pre-activation parameters (the table's input codes).
    void epilogue(std::size_t i, std::string y, bool bn) {
        const auto& o = net_.ops()[i];
        const auto& name = o.name;
        require(!q_ || !bn, "QDQ export: op '", name, "' has batch norm; fold it first (quant::fold_batch_norm)");
        if (q_ && (*q_)[i].use_lut && o.kind != graph::op_kind::activation) y = qdq(y, (*q_)[i].stage, name + "/stage");
        if (bn) {
            const auto& p = params_of(i, "batch norm");
            const auto c = static_cast<std::int64_t>(p.bn_gamma.size());
            require(c == o.out.c && p.bn_beta.size() == p.bn_gamma.size() && p.bn_mean.size() == p.bn_gamma.size() &&
                        p.bn_var.size() == p.bn_gamma.size(),
                    "op '", name, "': batch-norm parameters do not match its ", o.out.c, " channels");
            const auto gs = constant_floats(name + "/bn/gamma", {c}, to_vector(p.bn_gamma));
            const auto bs = constant_floats(name + "/bn/beta", {c}, to_vector(p.bn_beta));
            const auto ms = constant_floats(name + "/bn/mean", {c}, to_vector(p.bn_mean));
            const auto vs = constant_floats(name + "/bn/var", {c}, to_vector(p.bn_var));
            const std::string out = o.act == graph::activation::none ? name : name + "/bn";
            auto* n = node("BatchNormalization", name + "/bn", {y, gs, bs, ms, vs}, out);
            set_float(*n, "epsilon", p.bn_eps);
            y = out;
        }
        names_[i] = activation(o.act, y, name, name);
    }

    /// Emits op `i`; in a QDQ export its output then goes through QuantizeLinear -> DequantizeLinear.
    void emit(std::size_t i) {
        emit_float(i);
        if (q_) names_[i] = qdq(names_[i], (*q_)[i].out, net_.ops()[i].name);
    }

    void emit_float(std::size_t i) {
        const auto& o = net_.ops()[i];
        const auto& name = o.name;
        auto in = [&](std::size_t k) { return names_[o.inputs[k]]; };
        const std::string pre = name + "/pre";  // the main node's output when an epilogue follows
        switch (o.kind) {
        case graph::op_kind::opaque:
            // Its attributes and all but its tensor inputs were not kept on import: it cannot be written back.
            fail("ONNX export: op '", name, "' is an opaque ", o.opaque_type,
                 " op (one accelnas does not model, imported with --unsupported host); it cannot be exported");
        case graph::op_kind::input:
            value_info(g_->add_input(), name, {1, o.out.c, o.out.h, o.out.w});
            names_[i] = name;
            return;
        case graph::op_kind::conv2d: {
            const auto& p = params_of(i, "conv weights");
            const auto& x = net_.in_shape(i);
            const auto cin = graph::channels_per_group(x.c, o.groups);
            const auto& w = p.weight;
            require(w.dimension() == 4 && std::int64_t(w.shape()[0]) == o.kernel_h && std::int64_t(w.shape()[1]) == o.kernel_w &&
                        std::int64_t(w.shape()[2]) == cin && std::int64_t(w.shape()[3]) == o.filters,
                    "op '", name, "': weights do not have the shape ", o.kernel_h, "x", o.kernel_w, "x", cin, "x", o.filters);
            std::vector<float> oihw(w.size());
            for (std::int64_t f = 0; f < o.filters; ++f)
                for (std::int64_t c = 0; c < cin; ++c)
                    for (std::int64_t y = 0; y < o.kernel_h; ++y)
                        for (std::int64_t xx = 0; xx < o.kernel_w; ++xx)
                            oihw[std::size_t(((f * cin + c) * o.kernel_h + y) * o.kernel_w + xx)] =
                                w(std::size_t(y), std::size_t(xx), std::size_t(c), std::size_t(f));
            std::vector<std::string> ins{in(0)};
            if (q_) {
                const auto& qw = (*q_)[i].weight;  // HWIO, as the float weights
                require(qw.size() == oihw.size(), "QDQ export: op '", name, "' has ", qw.size(), " int8 weights, not ", oihw.size());
                std::vector<std::int8_t> q8(qw.size());
                for (std::int64_t f = 0; f < o.filters; ++f)
                    for (std::int64_t c = 0; c < cin; ++c)
                        for (std::int64_t y = 0; y < o.kernel_h; ++y)
                            for (std::int64_t xx = 0; xx < o.kernel_w; ++xx)
                                q8[std::size_t(((f * cin + c) * o.kernel_h + y) * o.kernel_w + xx)] =
                                    qw[std::size_t(((y * o.kernel_w + xx) * cin + c) * o.filters + f)];
                for (auto& s : quantized_weights(i, q8, {o.filters, cin, o.kernel_h, o.kernel_w})) ins.push_back(s);
            } else {
                ins.push_back(constant_floats(name + "/weight", {o.filters, cin, o.kernel_h, o.kernel_w}, oihw));
            }
            if (o.bias && !q_) {
                require(std::int64_t(p.bias.size()) == o.filters, "op '", name, "': bias size ", p.bias.size(), " is not ", o.filters);
                ins.push_back(constant_floats(name + "/bias", {o.filters}, to_vector(p.bias)));
            }
            const bool more = o.batch_norm || o.act != graph::activation::none;
            auto* n = node("Conv", name, ins, more ? pre : name);
            set_ints(*n, "kernel_shape", {o.kernel_h, o.kernel_w});
            set_ints(*n, "strides", {o.stride_h, o.stride_w});
            set_window_padding(*n, o);
            set_int(*n, "group", o.groups);
            return epilogue(i, more ? pre : name, o.batch_norm);
        }
        case graph::op_kind::fully_connected: {
            const auto& p = params_of(i, "dense weights");
            std::string x = in(0);
            // The features in the order ONNX flattens them (NCHW) and the NHWC shape they came from.
            graph::tensor_shape src = net_.in_shape(i);
            if (rank_[o.inputs[0]] == 4) {
                node("Flatten", name + "/flatten", {x}, name + "/flatten");
                x = name + "/flatten";
            } else {
                src = flat_from_[o.inputs[0]];
            }
            const auto features = src.h * src.w * src.c;
            const auto& w = p.weight;
            require(w.dimension() == 4 && std::int64_t(w.shape()[2]) == features && std::int64_t(w.shape()[3]) == o.filters,
                    "op '", name, "': weights do not have the shape 1x1x", features, "x", o.filters);
            std::vector<float> b(w.size());  // [units, features], features in CHW order
            for (std::int64_t u = 0; u < o.filters; ++u)
                for (std::int64_t y = 0; y < src.h; ++y)
                    for (std::int64_t xx = 0; xx < src.w; ++xx)
                        for (std::int64_t c = 0; c < src.c; ++c)
                            b[std::size_t(u * features + (c * src.h + y) * src.w + xx)] =
                                w(0, 0, std::size_t((y * src.w + xx) * src.c + c), std::size_t(u));
            std::vector<std::string> ins{x};
            if (q_) {
                const auto& qw = (*q_)[i].weight;  // [features (NHWC order), units], as the float weights
                require(qw.size() == b.size(), "QDQ export: op '", name, "' has ", qw.size(), " int8 weights, not ", b.size());
                std::vector<std::int8_t> q8(qw.size());
                for (std::int64_t u = 0; u < o.filters; ++u)
                    for (std::int64_t y = 0; y < src.h; ++y)
                        for (std::int64_t xx = 0; xx < src.w; ++xx)
                            for (std::int64_t c = 0; c < src.c; ++c)
                                q8[std::size_t(u * features + (c * src.h + y) * src.w + xx)] =
                                    qw[std::size_t(((y * src.w + xx) * src.c + c) * o.filters + u)];
                for (auto& s : quantized_weights(i, q8, {o.filters, features})) ins.push_back(s);
            } else {
                ins.push_back(constant_floats(name + "/weight", {o.filters, features}, b));
            }
            if (o.bias && !q_) {
                require(std::int64_t(p.bias.size()) == o.filters, "op '", name, "': bias size ", p.bias.size(), " is not ", o.filters);
                ins.push_back(constant_floats(name + "/bias", {o.filters}, to_vector(p.bias)));
            }
            const bool more = o.batch_norm || o.act != graph::activation::none;
            auto* n = node("Gemm", name, ins, more ? pre : name);
            set_int(*n, "transB", 1);
            rank_[i] = 2;
            flat_from_[i] = o.out;
            return epilogue(i, more ? pre : name, o.batch_norm);
        }
        case graph::op_kind::add: {
            const bool more = o.act != graph::activation::none;
            std::vector<std::string> ins;
            for (std::size_t k = 0; k < o.inputs.size(); ++k) ins.push_back(in(k));
            node(ins.size() == 2 ? "Add" : "Sum", name, ins, more ? pre : name);
            rank_[i] = rank_[o.inputs[0]];
            flat_from_[i] = flat_from_[o.inputs[0]];
            return epilogue(i, more ? pre : name, false);
        }
        case graph::op_kind::mul: {
            const bool more = o.act != graph::activation::none;
            node("Mul", name, {in(0), in(1)}, more ? pre : name);
            rank_[i] = rank_[o.inputs[0]];
            flat_from_[i] = flat_from_[o.inputs[0]];
            return epilogue(i, more ? pre : name, false);
        }
        case graph::op_kind::concat: {
            std::vector<std::string> ins;
            for (std::size_t k = 0; k < o.inputs.size(); ++k) {
                require(rank_[o.inputs[k]] == 4, "op '", name, "': concatenating flattened tensors is not exported");
                ins.push_back(in(k));
            }
            set_int(*node("Concat", name, ins, name), "axis", 1);
            names_[i] = name;
            return;
        }
        case graph::op_kind::max_pool:
        case graph::op_kind::avg_pool: {
            const bool mx = o.kind == graph::op_kind::max_pool;
            auto* n = node(mx ? "MaxPool" : "AveragePool", name, {in(0)}, name);
            set_ints(*n, "kernel_shape", {o.kernel_h, o.kernel_w});
            set_ints(*n, "strides", {o.stride_h, o.stride_w});
            set_window_padding(*n, o);
            if (!mx) set_int(*n, "count_include_pad", o.count_include_pad ? 1 : 0);
            names_[i] = name;
            return;
        }
        case graph::op_kind::global_avg_pool:
            require(rank_[o.inputs[0]] == 4, "op '", name, "': global pooling of a flattened tensor");
            node("GlobalAveragePool", name, {in(0)}, name);
            names_[i] = name;
            return;
        case graph::op_kind::batch_norm:
            rank_[i] = rank_[o.inputs[0]];
            flat_from_[i] = flat_from_[o.inputs[0]];
            return epilogue(i, in(0), true);
        case graph::op_kind::activation:
            rank_[i] = rank_[o.inputs[0]];
            flat_from_[i] = flat_from_[o.inputs[0]];
            names_[i] = activation(o.act, in(0), name, name);
            if (o.act == graph::activation::none) {
                node("Identity", name, {in(0)}, name);
                names_[i] = name;
            }
            return;
        case graph::op_kind::reshape: {
            const auto& x = net_.in_shape(i);
            require(o.target.h == 1 && o.target.w == 1, "op '", name, "': only reshapes to 1x1xC (flatten) are exported, not to ",
                    o.target);
            if (rank_[o.inputs[0]] == 4) {
                node("Flatten", name, {in(0)}, name);
                flat_from_[i] = x;
            } else {
                node("Identity", name, {in(0)}, name);
                flat_from_[i] = flat_from_[o.inputs[0]];
            }
            rank_[i] = 2;
            names_[i] = name;
            return;
        }
        case graph::op_kind::pad: {
            require(rank_[o.inputs[0]] == 4, "op '", name, "': padding a flattened tensor");
            *g_->add_initializer() = int64_tensor(name + "/pads", {8}, {0, 0, o.pads[0], o.pads[2], 0, 0, o.pads[1], o.pads[3]});
            node("Pad", name, {in(0), name + "/pads"}, name);
            names_[i] = name;
            return;
        }
        case graph::op_kind::softmax:
            set_int(*node("Softmax", name, {in(0)}, name), "axis", 1);
            rank_[i] = rank_[o.inputs[0]];
            flat_from_[i] = flat_from_[o.inputs[0]];
            names_[i] = name;
            return;
        }
        fail("op '", name, "': op kind ", static_cast<int>(o.kind), " is not exported");
    }

    const graph::network& net_;
    const std::vector<quant::quantized_op>* q_ = nullptr;
    std::vector<const train::op_parameters*> by_op_;
    ::onnx::GraphProto* g_ = nullptr;
    std::vector<std::string> names_;
    std::vector<graph::tensor_shape> flat_from_;  // rank-2 tensors: the NHWC shape flattened into them
    std::vector<int> rank_;
};

}  // namespace detail

/// The ONNX model (opset 13, NCHW, float) of `net` with the parameters `params` (one entry per op
/// with parameters, the trainer's `model::export_parameters` layout). A missing or misshapen
/// parameter raises `accelnas::error` naming the op.
inline ::onnx::ModelProto export_model(const graph::network& net, const train::parameter_set& params,
                                       const export_options& opt = {}) {
    return detail::exporter(net, params).run(opt);
}

/// The QDQ ONNX model (opset 13) of the int8 quantization of `folded`, a network without batch norm
/// (quant::fold_batch_norm) with its folded parameters and the activation ranges observed on it
/// (quant::observe_ranges): the quantization is `quant::quantize_ops(folded, params, ranges)`, the one
/// `quant::int8_model(folded, params, ranges)` runs. Networks the int8 engine cannot quantize raise
/// `accelnas::error` naming the op (quantize_ops' checks).
inline ::onnx::ModelProto export_qdq_model(const graph::network& folded, const train::parameter_set& params,
                                           const quant::activation_ranges& ranges, const export_options& opt = {}) {
    const auto q = quant::quantize_ops(folded, params, ranges);
    return detail::exporter(folded, params, &q).run(opt);
}

/// Runs ONNX's own checker with full shape inference on `m`; raises `accelnas::error` with the
/// checker's message when it fails.
inline void check_model(const ::onnx::ModelProto& m) {
    try {
        ::onnx::checker::check_model(m);
        auto copy = m;
        ::onnx::shape_inference::InferShapes(copy, ::onnx::OpSchemaRegistry::Instance(),
                                             ::onnx::ShapeInferenceOptions{true, 1, true});
    } catch (const std::exception& e) {
        fail("the ONNX checker rejects the model: ", e.what());
    }
}

/// Writes `m` to `path` whole or not at all (core/atomic_file.hpp); models of 2 GiB or more, which
/// protobuf cannot write in one message, raise `accelnas::error`.
inline void write_model(const ::onnx::ModelProto& m, const std::string& path) {
    const auto bytes = m.ByteSizeLong();
    require(bytes < max_model_bytes, "the ONNX model of ", bytes, " bytes exceeds protobuf's 2 GiB limit");
    std::string out;
    require(m.SerializeToString(&out), "cannot serialize the ONNX model");
    write_file_atomically(path, out);
}

}  // namespace accelnas::onnx
