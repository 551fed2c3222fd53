#pragma once
/// \file
/// `train::model`: the trainable form of any `graph::network`. It owns the parameters (initialised
/// as the TensorFlow reference implementations do) and the batch-norm running statistics, records a
/// forward pass on a tape for training, runs float inference, exports its parameters in the
/// `parameter_set` layout the int8 quantizer consumes, and saves/loads exact checkpoints.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/train/diverged.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/parameters.hpp>
#include <accelnas/train/tape.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

namespace accelnas::train {

/// One trainable tensor of a model with its gradient buffer.
struct parameter {
    std::string name;    ///< "<op name>/weight", "/bias", "/gamma", "/beta"
    tensor value;        ///< the parameter
    tensor grad;         ///< its gradient (summed by the tape, zeroed by `model::zero_grad`)
    bool decay = false;  ///< weight decay applies (conv and dense weights; not biases, not BN)
};

/// How `train::model` draws initial weights.
enum class init_scheme {
    variance_scaling,  ///< TF EfficientNet/MnasNet: conv N(0, sqrt(2 / fan_out)), dense U(+-1/sqrt(units))
    torch_default,     ///< PyTorch's defaults: conv and dense U(+-1/sqrt(fan_in)), biases likewise
};

/// Settings of a model that the network IR does not carry.
struct model_options {
    init_scheme init = init_scheme::variance_scaling;  ///< initial weights
    float bn_momentum = 0.9f;  ///< running = momentum * running + (1 - momentum) * batch statistic
    float bn_eps = 1e-3f;      ///< batch-norm epsilon (TensorFlow's default)
    std::size_t threads = 1;   ///< threads for `predict` (training uses the tape's)
};

/// The trainable form of a `graph::network` (one input; the output is the network's last op, and a
/// trailing softmax is left out so that forward/predict give logits).
class model {
public:
    /// Builds the parameters of `net`, drawing the initial values from `g`. With the default
    /// `init_scheme::variance_scaling`: conv kernels N(0, sqrt(2 / fan_out)) with fan_out = kh * kw *
    /// filters / groups (He / variance scaling, fan out, as EfficientNet and MnasNet), dense kernels
    /// U(+-1/sqrt(units)) (the same references), biases 0; with `init_scheme::torch_default` PyTorch's
    /// U(+-1/sqrt(fan_in)) for kernels and biases. BN: beta 0, gamma 1, running mean 0, variance 1.
    model(const graph::network& net, rng& g, const model_options& opt = {}) : net_(net), opt_(opt) {
        net_.validate();
        std::size_t inputs = 0;
        for (const auto& o : net_.ops()) {
            inputs += o.kind == graph::op_kind::input;
            require(o.kind != graph::op_kind::opaque, "train::model: op '", o.name, "' of network '", net_.name(),
                    "' is an opaque ", o.opaque_type, " op (one accelnas does not model), which cannot be trained");
        }
        require(inputs == 1, "train::model: network '", net_.name(), "' has ", inputs,
                " inputs; models with exactly one input are supported");
        const auto outs = net_.outputs();
        output_ = outs.back();
        if (net_.ops()[output_].kind == graph::op_kind::softmax) output_ = net_.ops()[output_].inputs[0];
        slots_.resize(net_.size());
        std::size_t count = 0;
        for (const auto& o : net_.ops())
            count += (o.kind == graph::op_kind::conv2d || o.kind == graph::op_kind::fully_connected) * (1 + o.bias) +
                     2 * (o.batch_norm || o.kind == graph::op_kind::batch_norm);
        params_.reserve(count);  // parameter addresses must stay stable
        for (std::size_t i = 0; i < net_.size(); ++i) {
            const auto& o = net_.ops()[i];
            auto& s = slots_[i];
            const auto in = net_.in_shape(i);
            std::size_t bn_channels = 0;
            if (o.kind == graph::op_kind::conv2d) {
                const auto kh = std::size_t(o.kernel_h), kw = std::size_t(o.kernel_w);
                const auto f = std::size_t(o.filters);
                const auto cg = std::size_t(graph::channels_per_group(in.c, o.groups));
                tensor w = xt::empty<float>(shape4{kh, kw, cg, f});
                const double fan_in = double(kh * kw * cg);
                if (opt.init == init_scheme::torch_default) fill_uniform(w, g, 1.0 / std::sqrt(fan_in));
                else for (auto& v : w) v = float(normal01(g) * std::sqrt(2.0 / double(kh * kw * std::size_t(graph::filters_per_group(o.filters, o.groups)))));
                s.weight = add_param(o.name + "/weight", std::move(w), true);
                if (o.bias) s.bias = add_param(o.name + "/bias", bias_init(f, fan_in, g), false);
                if (o.batch_norm) bn_channels = f;
            } else if (o.kind == graph::op_kind::fully_connected) {
                const auto f = std::size_t(o.filters), fan_in = std::size_t(in.h * in.w * in.c);
                tensor w = xt::empty<float>(shape4{1, 1, fan_in, f});
                fill_uniform(w, g, 1.0 / std::sqrt(double(opt.init == init_scheme::torch_default ? fan_in : f)));
                s.weight = add_param(o.name + "/weight", std::move(w), true);
                if (o.bias) s.bias = add_param(o.name + "/bias", bias_init(f, double(fan_in), g), false);
                if (o.batch_norm) bn_channels = f;
            } else if (o.kind == graph::op_kind::batch_norm) {
                bn_channels = std::size_t(in.c);
            }
            if (bn_channels) {
                s.gamma = add_param(o.name + "/gamma", xt::ones<float>(shape4{1, 1, 1, bn_channels}), false);
                s.beta = add_param(o.name + "/beta", xt::zeros<float>(shape4{1, 1, 1, bn_channels}), false);
                s.running_mean = xt::zeros<float>(shape4{1, 1, 1, bn_channels});
                s.running_var = xt::ones<float>(shape4{1, 1, 1, bn_channels});
            }
        }
    }

    model(const model&) = delete;
    model& operator=(const model&) = delete;
    model(model&&) = delete;

    /// The network this model trains.
    const graph::network& network() const noexcept { return net_; }
    /// The options the model was built with.
    const model_options& options() const noexcept { return opt_; }
    /// All trainable parameters, in network order.
    std::vector<parameter>& parameters() noexcept { return params_; }
    /// All trainable parameters, in network order.
    const std::vector<parameter>& parameters() const noexcept { return params_; }
    /// Number of trainable scalars.
    std::size_t parameter_count() const noexcept {
        std::size_t n = 0;
        for (const auto& p : params_) n += p.value.size();
        return n;
    }
    /// Sets every parameter gradient to zero (before each recorded forward pass), large ones split
    /// over `pool` when given.
    void zero_grad(thread_pool* pool = nullptr) {
        for (auto& p : params_) {
            if (p.grad.shape() != p.value.shape()) {
                p.grad = xt::zeros<float>(p.value.shape());
            } else {
                float* g = p.grad.data();
                if (pool && pool->threads() > 1 && p.grad.size() >= (std::size_t{1} << 15))
                    pool->run(p.grad.size(), [&](std::size_t lo, std::size_t hi, std::size_t) { std::fill(g + lo, g + hi, 0.0f); });
                else
                    std::fill(g, g + p.grad.size(), 0.0f);
            }
        }
    }
    /// Index of the op whose output is the model's output (logits).
    std::size_t output_op() const noexcept { return output_; }

    /// Records the forward pass of the NHWC `batch` (any n; h, w, c as the network input) on `t` and
    /// returns the logits variable. Training mode uses batch statistics in BN and updates the running
    /// ones; parameters enter the tape as leaves whose gradients accumulate into `parameter::grad`.
    var forward(tape& t, const tensor& batch, bool training) {
        require_input_shape(batch);
        if (t.recording()) zero_grad(&t.pool());
        auto param = [&](std::size_t idx) {
            auto& p = params_[idx];
            if (p.grad.shape() != p.value.shape()) p.grad = xt::zeros<float>(p.value.shape());
            return t.parameter(p.value, p.grad);
        };
        return forward_with(t, batch, training, values_, param);
    }

    /// `forward` for one member of a data-parallel step (several threads recording this model at
    /// once, each on its own tape and slice of the batch): parameter `i` enters the tape as a leaf
    /// whose gradient buffer `lender` lends (`tape::parameter`) instead of `parameter::grad`, and the
    /// op outputs are kept in `values` (for `first_non_finite_output`). Parameters are only read.
    var forward(tape& t, const tensor& batch, bool training, gradient_lender& lender, std::vector<var>& values) {
        require_input_shape(batch);
        auto param = [&](std::size_t idx) { return t.parameter(params_[idx].value, lender, idx); };
        return forward_with(t, batch, training, values, param);
    }

    /// Index of the first op (in network order, up to op `last`) whose output in the last forward
    /// pass on `t` holds a NaN or infinity, or `network().size()` when there is none. Used after a
    /// failure only: it reads every recorded output.
    std::size_t first_non_finite_output(tape& t, std::size_t last = std::size_t(-1)) const {
        return first_non_finite_output(t, values_, last);
    }
    /// `first_non_finite_output` of a pass recorded with the data-parallel `forward` (its `values`).
    std::size_t first_non_finite_output(tape& t, const std::vector<var>& values, std::size_t last = std::size_t(-1)) const {
        for (std::size_t i = 0; i < values.size() && i <= last; ++i) {
            const var y = values[i];
            if (y.owner != &t || y.id >= t.size()) continue;
            const auto& val = t.value(y);
            if (first_non_finite(val.data(), val.size()) < val.size()) return i;
        }
        return net_.size();
    }

private:
    // Both `forward`s: the batch's images must have the network input's h, w, c.
    void require_input_shape(const tensor& batch) const {
        const auto in = net_.input_shape();
        const auto& bs = batch.shape();
        require(bs[1] == std::size_t(in.h) && bs[2] == std::size_t(in.w) && bs[3] == std::size_t(in.c),
                "train::model::forward: batch images are ", bs[1], "x", bs[2], "x", bs[3], " but network '",
                net_.name(), "' takes ", in.h, "x", in.w, "x", in.c);
    }

    template <class Param>
    var forward_with(tape& t, const tensor& batch, bool training, std::vector<var>& v, Param& param) {
        v.assign(net_.size(), var{});
        for (std::size_t i = 0; i <= output_; ++i) {
            try {
                v[i] = forward_op(t, i, batch, training, param, v);
            } catch (const diverged& e) {
                // Name the op, and the first earlier op whose output is already not finite (where a
                // NaN or infinity appeared, when it is not this op's own statistics).
                const auto first = first_non_finite_output(t, v, i);
                throw diverged(accelnas::detail::concat(
                    "train::model: op '", net_.ops()[i].name, "' (", graph::to_string(net_.ops()[i].kind), "): ", e.what(),
                    first < i ? "; the first non-finite output is op '" + net_.ops()[first].name + "'" : std::string()));
            }
        }
        return v[output_];
    }

    // Records op `i` of the network (its conv/dense/pool..., bias, batch norm and activation).
    template <class Param>
    var forward_op(tape& t, std::size_t i, const tensor& batch, bool training, Param& param, std::vector<var>& v) {
        {
            const auto& o = net_.ops()[i];
            auto& s = slots_[i];
            auto x = [&](std::size_t k) { return v[o.inputs[k]]; };
            var y{};
            bool act_done = false;
            switch (o.kind) {
            case graph::op_kind::input: y = t.constant(batch); break;
            case graph::op_kind::conv2d:
                y = conv2d(x(0), param(std::size_t(s.weight)), o.stride_h, o.stride_w, o.pad, std::size_t(o.groups));
                break;
            case graph::op_kind::fully_connected: y = fully_connected(x(0), param(std::size_t(s.weight))); break;
            case graph::op_kind::add: {
                std::vector<var> xs;
                for (auto j : o.inputs) xs.push_back(v[j]);
                // A residual add's relu/relu6 is fused into it (no extra pass, no extra node).
                act_done = o.act == graph::activation::relu || o.act == graph::activation::relu6;
                y = add(std::span<const var>(xs), act_done ? o.act : graph::activation::none);
                break;
            }
            case graph::op_kind::concat: {
                std::vector<var> xs;
                for (auto j : o.inputs) xs.push_back(v[j]);
                y = concat(std::span<const var>(xs));
                break;
            }
            case graph::op_kind::mul: y = mul(x(0), x(1)); break;
            case graph::op_kind::max_pool:
            case graph::op_kind::avg_pool:
                y = pool(x(0), o.kind == graph::op_kind::max_pool, o.kernel_h, o.kernel_w, o.stride_h, o.stride_w,
                         o.pad, o.count_include_pad);
                break;
            case graph::op_kind::global_avg_pool: y = global_avg_pool(x(0)); break;
            case graph::op_kind::batch_norm: y = x(0); break;  // the BN itself follows below
            case graph::op_kind::activation: y = x(0); break;
            case graph::op_kind::reshape:
                y = reshape(x(0), {t.value(x(0)).shape()[0], std::size_t(o.target.h), std::size_t(o.target.w),
                                   std::size_t(o.target.c)});
                break;
            case graph::op_kind::pad:
                y = pad(x(0), std::size_t(o.pads[0]), std::size_t(o.pads[1]), std::size_t(o.pads[2]),
                        std::size_t(o.pads[3]));
                break;
            case graph::op_kind::softmax: y = softmax(x(0)); break;
            case graph::op_kind::opaque: fail("train::model: op '", o.name, "' is opaque (", o.opaque_type, ")");
            }
            if (s.bias >= 0) y = bias_add(y, param(std::size_t(s.bias)));
            if (s.gamma >= 0) {
                const bool fuse = o.act == graph::activation::none || o.act == graph::activation::relu ||
                                  o.act == graph::activation::relu6;
                y = batch_norm(y, param(std::size_t(s.gamma)), param(std::size_t(s.beta)),
                               {&s.running_mean, &s.running_var, opt_.bn_momentum, opt_.bn_eps}, training,
                               fuse ? o.act : graph::activation::none);
                act_done = fuse;
            }
            if (!act_done && o.act != graph::activation::none) y = activate(y, o.act);
            return y;
        }
    }

public:

    /// Float inference of an NHWC batch: logits [n, classes] (the output op's values flattened per
    /// image). Not thread-safe (it reuses one internal tape).
    xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& nhwc_batch) const {
        auto& self = const_cast<model&>(*this);  // the running statistics are not touched in inference
        if (!infer_) infer_ = std::make_unique<tape>(opt_.threads);
        infer_->clear();
        pause_recording p(*infer_);
        auto y = self.forward(*infer_, nhwc_batch, false);
        const auto& out = infer_->value(y);
        const std::size_t n = out.shape()[0], k = out.size() / std::max<std::size_t>(n, 1);
        xt::xtensor<float, 2> r = xt::empty<float>(std::array<std::size_t, 2>{n, k});
        std::copy(out.begin(), out.end(), r.begin());
        return r;
    }

    /// Sets the number of threads `predict` uses.
    void set_threads(std::size_t threads) {
        opt_.threads = threads;
        if (infer_) infer_->set_threads(threads);
    }

    /// The float parameters in the shared layout (HWIO conv kernels, NHWC-flattened dense kernels,
    /// BN gamma/beta/running mean/variance), one entry per op that has any, in network order.
    parameter_set export_parameters() const {
        parameter_set r;
        auto vec = [](const tensor& t) {
            xt::xtensor<float, 1> v = xt::empty<float>(std::array<std::size_t, 1>{t.size()});
            std::copy(t.begin(), t.end(), v.begin());
            return v;
        };
        for (std::size_t i = 0; i < net_.size(); ++i) {
            const auto& s = slots_[i];
            if (s.weight < 0 && s.gamma < 0) continue;
            op_parameters p;
            p.op = i;
            if (s.weight >= 0) p.weight = params_[std::size_t(s.weight)].value;
            if (s.bias >= 0) p.bias = vec(params_[std::size_t(s.bias)].value);
            if (s.gamma >= 0) {
                p.bn_gamma = vec(params_[std::size_t(s.gamma)].value);
                p.bn_beta = vec(params_[std::size_t(s.beta)].value);
                p.bn_mean = vec(s.running_mean);
                p.bn_var = vec(s.running_var);
                p.bn_eps = opt_.bn_eps;
            }
            r.push_back(std::move(p));
        }
        return r;
    }

    /// Writes all parameters and BN running statistics to `path` (binary, exact floats).
    void save(const std::string& path) const {
        std::ofstream f(path, std::ios::binary);
        require(bool(f), "train::model::save: cannot open '", path, "' for writing");
        save(f);
        require(bool(f), "train::model::save: writing '", path, "' failed");
    }
    /// Writes the checkpoint of `save(path)` to a binary stream.
    void save(std::ostream& f) const {
        f.write(magic, sizeof magic);
        put<std::uint32_t>(f, checkpoint_version);
        put<std::uint64_t>(f, fingerprint(checkpoint_version));
        const auto ts = state_tensors();
        put<std::uint64_t>(f, ts.size());
        for (const auto& [name, t] : ts) {
            put<std::uint32_t>(f, std::uint32_t(name.size()));
            f.write(name.data(), std::streamsize(name.size()));
            for (auto d : t->shape()) put<std::uint64_t>(f, d);
            f.write(reinterpret_cast<const char*>(t->data()), std::streamsize(t->size() * sizeof(float)));
        }
    }

    /// Reads a checkpoint written by `save` for the same network; a missing, truncated or foreign
    /// file, or one of another network, raises `accelnas::error` and leaves the model unchanged.
    /// Checkpoints of version 1 (whose fingerprint left out activations, padding and reshape
    /// targets) still load.
    void load(const std::string& path) {
        std::ifstream f(path, std::ios::binary);
        require(bool(f), "train::model::load: cannot open '", path, "'");
        load(f, path, true);
    }
    /// Reads the checkpoint of `save(std::ostream&)` from `f` (`path` names it in errors); with
    /// `whole`, bytes after it are an error, otherwise the stream is left just after it.
    void load(std::istream& f, const std::string& path, bool whole) {
        auto where = [&] { return "train::model::load: '" + path + "': "; };
        char m[sizeof magic];
        f.read(m, sizeof m);
        require(bool(f) && std::memcmp(m, magic, sizeof magic) == 0, where(), "not an accelnas checkpoint");
        const auto version = get<std::uint32_t>(f, path);
        require(version == 1 || version == checkpoint_version, where(), "unsupported checkpoint version ", version);
        require(get<std::uint64_t>(f, path) == fingerprint(version), where(), "checkpoint of another network (not '",
                net_.name(), "')");
        const auto ts = state_tensors();
        require(get<std::uint64_t>(f, path) == ts.size(), where(), "tensor count differs from the model's");
        std::vector<tensor> loaded;
        for (const auto& [name, t] : ts) {
            const auto len = get<std::uint32_t>(f, path);
            require(len < 4096, where(), "corrupt tensor name length");
            std::string nm(len, '\0');
            f.read(nm.data(), len);
            require(bool(f), where(), "truncated (in the name of '", name, "')");
            require(nm == name, where(), "expected tensor '", name, "', found '", nm, "'");
            shape4 s;
            for (auto& d : s) d = std::size_t(get<std::uint64_t>(f, path));
            require(s == shape_of(*t), where(), "tensor '", name, "' has another shape than the model's");
            tensor v = xt::empty<float>(s);
            f.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
            require(bool(f), where(), "truncated (in the values of '", name, "')");
            loaded.push_back(std::move(v));
        }
        if (whole) {
            f.peek();
            require(f.eof(), where(), "trailing bytes after the last tensor");
        }
        for (std::size_t i = 0; i < ts.size(); ++i) *ts[i].second = std::move(loaded[i]);
    }

    /// Running mean and variance of the batch norm of op `i` (empty tensors when it has none).
    std::pair<const tensor&, const tensor&> bn_statistics(std::size_t i) const {
        require(i < slots_.size(), "train::model::bn_statistics: op index ", i, " out of range");
        return {slots_[i].running_mean, slots_[i].running_var};
    }

    /// Sets the running statistics of the batch norm of op `i` (shapes as `bn_statistics(i)`).
    void restore_bn_statistics(std::size_t i, const tensor& mean, const tensor& var) {
        require(i < slots_.size() && slots_[i].running_mean.shape() == mean.shape() &&
                    slots_[i].running_var.shape() == var.shape(),
                "train::model::restore_bn_statistics: op ", i, " has no statistics of these shapes");
        slots_[i].running_mean = mean;
        slots_[i].running_var = var;
    }

private:
    struct slot {
        std::ptrdiff_t weight = -1, bias = -1, gamma = -1, beta = -1;
        tensor running_mean, running_var;
    };
    static constexpr char magic[8] = {'A', 'N', 'A', 'S', 'C', 'K', 'P', 'T'};
    static constexpr std::uint32_t checkpoint_version = 2;

    static void fill_uniform(tensor& t, rng& g, double bound) {
        for (auto& v : t) v = float((2.0 * uniform01(g) - 1.0) * bound);
    }
    tensor bias_init(std::size_t f, double fan_in, rng& g) const {
        tensor b = xt::zeros<float>(shape4{1, 1, 1, f});
        if (opt_.init == init_scheme::torch_default) fill_uniform(b, g, 1.0 / std::sqrt(fan_in));
        return b;
    }

    std::ptrdiff_t add_param(std::string name, tensor v, bool decay) {
        parameter p;
        p.name = std::move(name);
        p.grad = xt::zeros<float>(v.shape());
        p.value = std::move(v);
        p.decay = decay;
        params_.push_back(std::move(p));
        return std::ptrdiff_t(params_.size() - 1);
    }

    std::vector<std::pair<std::string, tensor*>> state_tensors() const {
        std::vector<std::pair<std::string, tensor*>> r;
        auto& self = const_cast<model&>(*this);
        for (auto& p : self.params_) r.emplace_back(p.name, &p.value);
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (slots_[i].gamma >= 0) {
                r.emplace_back(net_.ops()[i].name + "/running_mean", &self.slots_[i].running_mean);
                r.emplace_back(net_.ops()[i].name + "/running_var", &self.slots_[i].running_var);
            }
        return r;
    }

    // FNV-1a over the structure (kinds, shapes, attributes), so a checkpoint only loads into its
    // network. Version 2 covers every field that changes what the network computes; version 1 left
    // out the activation, padding, pads, reshape target and count_include_pad.
    std::uint64_t fingerprint(std::uint32_t version) const {
        std::uint64_t h = 1469598103934665603ull;
        auto mix = [&](std::int64_t v) {
            for (int b = 0; b < 8; ++b) {
                h ^= std::uint64_t(v >> (8 * b)) & 0xff;
                h *= 1099511628211ull;
            }
        };
        for (const auto& o : net_.ops()) {
            mix(std::int64_t(o.kind));
            mix(o.out.h); mix(o.out.w); mix(o.out.c);
            mix(o.kernel_h); mix(o.kernel_w); mix(o.stride_h); mix(o.stride_w);
            mix(o.groups); mix(o.bias); mix(o.batch_norm);
            for (auto i : o.inputs) mix(std::int64_t(i));
            if (version < 2) continue;
            mix(std::int64_t(o.act));
            mix(std::int64_t(o.pad));
            mix(o.count_include_pad);
            mix(o.filters);
            for (auto p : o.pads) mix(p);
            mix(o.target.h); mix(o.target.w); mix(o.target.c);
        }
        return h;
    }

    template <class T>
    static void put(std::ostream& f, T v) { f.write(reinterpret_cast<const char*>(&v), sizeof v); }
    template <class T>
    static T get(std::istream& f, const std::string& path) {
        T v{};
        f.read(reinterpret_cast<char*>(&v), sizeof v);
        require(bool(f), "train::model::load: '", path, "': truncated header");
        return v;
    }

    graph::network net_;
    model_options opt_;
    std::size_t output_ = 0;
    std::vector<parameter> params_;
    std::vector<slot> slots_;
    std::vector<var> values_;
    mutable std::unique_ptr<tape> infer_;
};

}  // namespace accelnas::train
