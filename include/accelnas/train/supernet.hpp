#pragma once
/// \file
/// `train::supernet`: weight sharing for one-shot architecture search. The supernet owns one
/// "shared" tensor per key, as large as the largest op that uses the key; a sampled path is a
/// plain `graph::network` whose ops name their key (a caller's function of the op name), and it
/// runs as a `train::model` whose weights are slices of the shared tensors:
/// - a smaller kernel is the centre crop of the largest (kernel dimensions of a conv weight),
/// - fewer input or output channels are the first channels of the widest (channel prefix of conv,
///   dense and batch-norm parameters),
/// - ops that differ in kind (an IBN's 1x1 expansion against a fused IBN's kxk one) simply use
///   different keys; layers a path skips are absent from its network and keep their weights.
/// A path is therefore exactly the stand-alone network with the shared weights copied out, so it
/// trains and infers with the trainer's own kernels and tape. Training a path updates the slices it
/// used (SGD with momentum per shared element; elements the path did not use are not touched).
///
/// Batch norm: the gamma/beta pairs are shared like any parameter, but running statistics are not:
/// a path's model keeps batch-norm momentum 0, so one forward pass in training mode over some
/// training images (`recalibrate`) sets them to exactly those images' batch statistics. A sampled
/// path is validated after such a recalibration (as one-shot methods do), never with statistics
/// accumulated along other paths; `recalibrated_accuracy` recalibrates on the scored batch itself
/// and scores it in the same forward pass.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/train/diverged.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/tape.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::train {

/// Settings of a `supernet`: the SGD of the shared weights and the batch-norm epsilon of its paths.
struct supernet_options {
    float momentum = 0.9f;        ///< SGD momentum of the shared weights
    bool nesterov = true;         ///< Nesterov momentum
    float weight_decay = 4e-5f;   ///< L2 on conv and dense kernels (not biases, not BN)
    float bn_eps = 1e-3f;         ///< batch-norm epsilon of the path models
    std::size_t threads = 1;      ///< threads of the training tape and of inference
};

/// Maps an op name of a path network to the key of the shared weights it uses.
using share_key_fn = std::function<std::string(std::string_view op_name)>;

/// A weight-sharing network (see the file comment).
class supernet {
public:
    /// A sampled path: the stand-alone model of one network, its parameters slices of the shared tensors.
    struct path {
        std::unique_ptr<train::model> model;  ///< the path's network with its current weights
        std::vector<std::size_t> shared;      ///< per model parameter: index of its shared tensor
    };

    /// An empty supernet: `reserve` the networks it covers, then `initialise`.
    explicit supernet(supernet_options o = {}) : opt_(o), tape_(std::make_unique<tape>(o.threads)) {}

    /// The options.
    const supernet_options& options() const noexcept { return opt_; }
    /// Number of shared tensors.
    std::size_t size() const noexcept { return shared_.size(); }
    /// Number of shared scalars.
    std::size_t parameter_count() const noexcept {
        std::size_t n = 0;
        for (const auto& s : shared_) n += s.value.size();
        return n;
    }
    /// The shared tensor of parameter `name` ("<key>/weight", "/bias", "/gamma", "/beta"); error when absent.
    const tensor& shared(const std::string& name) const { return shared_.at(index_of(name)).value; }

    /// Grows the shared shapes so that every op of `net` (keys from `key`) fits; only before
    /// `initialise`. Shapes of one key must agree in the parity of their kernel sizes (centre crops).
    void reserve(const graph::network& net, const share_key_fn& key) {
        require(!initialised_, "train::supernet::reserve: the supernet is already initialised (reserve every network first)");
        rng unused(0);
        model m(net, unused, {.init = init_scheme::torch_default, .bn_momentum = 0.0f, .bn_eps = opt_.bn_eps});
        for (const auto& p : m.parameters()) {
            const auto name = shared_name(p.name, key);
            const auto s = shape_of(p.value);
            auto it = by_name_.find(name);
            if (it == by_name_.end()) {
                by_name_.emplace(name, shared_.size());
                shared_.push_back({name, xt::zeros<float>(s), {}, p.decay, kind_of(net, p.name)});
                continue;
            }
            auto& t = shared_[it->second];
            shape4 big = shape_of(t.value);
            for (std::size_t d = 0; d < 4; ++d) {
                if (d < 2)
                    require((big[d] - s[d]) % 2 == 0, "train::supernet: '", name, "' is used with kernel sizes ", big[d],
                            " and ", s[d], " (a centre crop needs sizes of the same parity)");
                big[d] = std::max(big[d], s[d]);
            }
            if (big != shape_of(t.value)) t.value = xt::zeros<float>(big);
        }
    }

    /// Draws the initial shared values as `train::model` does for the largest op of each key
    /// (variance scaling, fan out, for conv kernels; U(+-1/sqrt(units)) for dense kernels; biases
    /// and beta 0, gamma 1) and clears the momentum.
    void initialise(rng& g) {
        require(!shared_.empty(), "train::supernet::initialise: no network was reserved");
        for (auto& s : shared_) {
            const auto sh = shape_of(s.value);
            switch (s.k) {
            case kind::conv_weight: {
                const double fan_out = double(sh[0] * sh[1] * sh[3]);
                for (auto& v : s.value) v = float(normal01(g) * std::sqrt(2.0 / fan_out));
                break;
            }
            case kind::dense_weight:
                for (auto& v : s.value) v = float((2.0 * uniform01(g) - 1.0) / std::sqrt(double(sh[3])));
                break;
            case kind::gamma: std::fill(s.value.begin(), s.value.end(), 1.0f); break;
            case kind::zero: std::fill(s.value.begin(), s.value.end(), 0.0f); break;
            }
            s.velocity = xt::zeros<float>(sh);
        }
        initialised_ = true;
    }
    /// True once `initialise` (or `load`) ran.
    bool initialised() const noexcept { return initialised_; }

    /// The path of `net` (keys from `key`) with the current shared weights copied in. Every op must
    /// fit a reserved shape; otherwise `accelnas::error` names the op's parameter.
    path make_path(const graph::network& net, const share_key_fn& key) const {
        require(initialised_, "train::supernet::make_path: initialise the supernet first");
        rng unused(0);
        path p;
        // torch_default draws fewer random numbers per weight than variance scaling; the values are
        // overwritten by the shared slices below anyway.
        p.model = std::make_unique<model>(net, unused, model_options{.init = init_scheme::torch_default, .bn_momentum = 0.0f,
                                                                    .bn_eps = opt_.bn_eps, .threads = opt_.threads});
        for (auto& q : p.model->parameters()) {
            const auto name = shared_name(q.name, key);
            const auto it = by_name_.find(name);
            require(it != by_name_.end(), "train::supernet: parameter '", q.name, "' (shared as '", name,
                    "') was not reserved");
            const auto& s = shared_[it->second];
            check_fits(s, q);
            for_each_run(shape_of(s.value), shape_of(q.value), [&](std::size_t from, std::size_t to, std::size_t n) {
                std::memcpy(q.value.data() + to, s.value.data() + from, n * sizeof(float));
            });
            p.shared.push_back(it->second);
        }
        return p;
    }

    /// One SGD step along path `p` on the NHWC batch `x` with `labels` at learning rate `lr`: the
    /// gradient of the mean cross-entropy updates the shared slices the path uses, and the path's
    /// weights are refreshed from them. Returns the loss; throws `train::diverged` when the loss,
    /// a gradient or an updated weight is not finite (the shared weights are then left as they were
    /// only when the loss or a gradient failed).
    float train_step(path& p, const tensor& x, std::span<const std::int32_t> labels, float lr) {
        auto& m = *p.model;
        tape_->clear();
        const var logits = m.forward(*tape_, x, true);
        const var loss = softmax_cross_entropy(logits, labels);
        const float lv = tape_->value(loss)(0, 0, 0, 0);
        if (!std::isfinite(lv)) throw diverged(accelnas::detail::concat("train::supernet: loss is ", lv));
        tape_->backward(loss);
        for (const auto& q : m.parameters())
            if (const auto bad = first_non_finite(q.grad.data(), q.grad.size()); bad < q.grad.size())
                throw diverged(accelnas::detail::concat("train::supernet: gradient of '", q.name, "' is ", q.grad.data()[bad]));
        auto& ps = m.parameters();
        for (std::size_t i = 0; i < ps.size(); ++i) {
            auto& s = shared_[p.shared[i]];
            auto& q = ps[i];
            const float wd = s.decay ? opt_.weight_decay : 0.0f;
            for_each_run(shape_of(s.value), shape_of(q.value), [&](std::size_t from, std::size_t to, std::size_t n) {
                float* w = s.value.data() + from;
                float* b = s.velocity.data() + from;
                const float* gr = q.grad.data() + to;
                float* out = q.value.data() + to;
                for (std::size_t j = 0; j < n; ++j) {
                    sgd(w[j], b[j], gr[j], wd, lr);
                    out[j] = w[j];
                }
            });
            if (const auto bad = first_non_finite(q.value.data(), q.value.size()); bad < q.value.size())
                throw diverged(accelnas::detail::concat("train::supernet: weight '", q.name, "' became ", q.value.data()[bad],
                                                        " in the update (lower the learning rate?)"));
        }
        return lv;
    }

    /// A step over several paths (the sandwich rule's largest path with the sampled one, in-place
    /// distillation): `accumulate` adds the gradient of one path's mean cross-entropy on its batch
    /// into the supernet's gradient; `apply` then takes one SGD step (momentum, weight decay as in
    /// `train_step`) with the summed gradient on every shared element some accumulated path used,
    /// once per element however many paths used it, and refreshes those paths' weights. Elements no
    /// path used are not touched. `accumulate(p)` then `apply(lr)` is `train_step(p, lr)` exactly.
    /// The accumulated paths must outlive the `apply`. Returns the loss; `probabilities`, when
    /// given, receives the path's softmax outputs (n x k, row-major: a teacher's soft targets).
    /// Throws `train::diverged` when the loss or a gradient is not finite (nothing is accumulated
    /// from this path then).
    float accumulate(path& p, const tensor& x, std::span<const std::int32_t> labels, std::vector<float>* probabilities = nullptr) {
        return accumulate_with(p, x, [&](var logits) {
            if (probabilities) {
                const auto& v = tape_->value(logits);
                const std::size_t n = v.shape()[0], k = v.size() / std::max<std::size_t>(1, n);
                probabilities->resize(n * k);
                for (std::size_t i = 0; i < n; ++i) {
                    const float* r = v.data() + i * k;
                    const float m = *std::max_element(r, r + k);
                    double sum = 0;
                    for (std::size_t j = 0; j < k; ++j) sum += ((*probabilities)[i * k + j] = std::exp(r[j] - m));
                    for (std::size_t j = 0; j < k; ++j) (*probabilities)[i * k + j] = float((*probabilities)[i * k + j] / sum);
                }
            }
            return softmax_cross_entropy(logits, labels);
        });
    }
    /// As `accumulate`, the loss the cross-entropy against the soft `targets` (n x k probabilities,
    /// `soft_cross_entropy`): in-place distillation from a teacher path's `probabilities`.
    float accumulate(path& p, const tensor& x, std::span<const float> targets) {
        return accumulate_with(p, x, [&](var logits) { return soft_cross_entropy(logits, targets); });
    }
    /// The SGD step of the gradients accumulated since the last `apply` (see `accumulate`); throws
    /// `train::diverged` when an updated weight is not finite. Without accumulated paths: nothing.
    void apply(float lr) {
        for (path* pp : pending_) {
            auto& ps = pp->model->parameters();
            for (std::size_t i = 0; i < ps.size(); ++i) {
                const std::size_t si = pp->shared[i];
                auto& s = shared_[si];
                auto& gs = grad_[si];
                auto& used = used_[si];
                const float wd = s.decay ? opt_.weight_decay : 0.0f;
                for_each_run(shape_of(s.value), shape_of(ps[i].value), [&](std::size_t from, std::size_t, std::size_t n) {
                    float* w = s.value.data() + from;
                    float* b = s.velocity.data() + from;
                    float* gr = gs.data() + from;
                    std::uint8_t* u = used.data() + from;
                    for (std::size_t j = 0; j < n; ++j) {
                        if (!u[j]) continue;
                        sgd(w[j], b[j], gr[j], wd, lr);
                        gr[j] = 0.0f;
                        u[j] = 0;
                    }
                });
            }
        }
        auto pending = std::move(pending_);
        pending_.clear();
        for (path* pp : pending) {
            auto& ps = pp->model->parameters();
            for (std::size_t i = 0; i < ps.size(); ++i) {
                const auto& s = shared_[pp->shared[i]];
                auto& q = ps[i];
                for_each_run(shape_of(s.value), shape_of(q.value), [&](std::size_t from, std::size_t to, std::size_t n) {
                    std::memcpy(q.value.data() + to, s.value.data() + from, n * sizeof(float));
                });
                if (const auto bad = first_non_finite(q.value.data(), q.value.size()); bad < q.value.size())
                    throw diverged(accelnas::detail::concat("train::supernet: weight '", q.name, "' became ", q.value.data()[bad],
                                                            " in the update (lower the learning rate?)"));
            }
        }
    }

    /// Sets the batch-norm running statistics of path `p` to the batch statistics of the NHWC
    /// images `x` (one forward pass in training mode, nothing recorded, weights unchanged).
    void recalibrate(path& p, const tensor& x) {
        tape_->clear();
        pause_recording pause(*tape_);
        p.model->forward(*tape_, x, true);
        tape_->clear();
    }

    /// Top-1 accuracy of path `p` (inference mode: run `recalibrate` first) on `x` with `labels`.
    static double accuracy(const path& p, const tensor& x, std::span<const std::int32_t> labels) {
        const auto logits = p.model->predict(x);
        return top1(logits.data(), logits.shape()[0], logits.shape()[1], labels, "train::supernet::accuracy");
    }

    /// Top-1 accuracy of path `p` on `x` with `labels`, batch norm normalising by `x`'s own
    /// statistics: `recalibrate(p, x)` followed by `accuracy(p, x, labels)` in one forward pass
    /// (the two differ only by the unbiased variance of the running statistics, n / (n - 1) over
    /// n = images x positions per channel). The path's running statistics are left at `x`'s.
    double recalibrated_accuracy(path& p, const tensor& x, std::span<const std::int32_t> labels) {
        tape_->clear();
        pause_recording pause(*tape_);
        const var logits = p.model->forward(*tape_, x, true);
        const auto& v = tape_->value(logits);
        const double acc = top1(v.data(), v.shape()[0], v.size() / std::max<std::size_t>(1, v.shape()[0]), labels,
                                "train::supernet::recalibrated_accuracy");
        tape_->clear();
        return acc;
    }

    /// Writes the shared weights and their momentum (binary, exact floats).
    void save(std::ostream& f) const {
        require(initialised_, "train::supernet::save: the supernet is not initialised");
        f.write(magic, sizeof magic);
        put<std::uint64_t>(f, shared_.size());
        for (const auto& s : shared_) {
            put<std::uint32_t>(f, std::uint32_t(s.name.size()));
            f.write(s.name.data(), std::streamsize(s.name.size()));
            for (auto d : shape_of(s.value)) put<std::uint64_t>(f, d);
            f.write(reinterpret_cast<const char*>(s.value.data()), std::streamsize(s.value.size() * sizeof(float)));
            f.write(reinterpret_cast<const char*>(s.velocity.data()), std::streamsize(s.velocity.size() * sizeof(float)));
        }
    }
    /// Reads what `save` wrote into a supernet reserved with the same networks (same names and
    /// shapes, else `accelnas::error` naming the first difference; the supernet is then unchanged).
    void load(std::istream& f, const std::string& what) {
        auto where = [&] { return "train::supernet::load: " + what + ": "; };
        char m[sizeof magic];
        f.read(m, sizeof m);
        require(bool(f) && std::memcmp(m, magic, sizeof magic) == 0, where(), "not a supernet checkpoint");
        require(get<std::uint64_t>(f, what) == shared_.size(), where(), "holds another number of shared tensors than this supernet");
        std::vector<std::pair<tensor, tensor>> loaded;
        for (const auto& s : shared_) {
            const auto len = get<std::uint32_t>(f, what);
            require(len < 4096, where(), "corrupt name length");
            std::string nm(len, '\0');
            f.read(nm.data(), len);
            require(bool(f) && nm == s.name, where(), "expected shared tensor '", s.name, "', found '", nm, "'");
            shape4 sh;
            for (auto& d : sh) d = std::size_t(get<std::uint64_t>(f, what));
            require(sh == shape_of(s.value), where(), "shared tensor '", s.name, "' has another shape");
            tensor v = xt::empty<float>(sh), b = xt::empty<float>(sh);
            f.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
            f.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size() * sizeof(float)));
            require(bool(f), where(), "truncated (in '", s.name, "')");
            loaded.emplace_back(std::move(v), std::move(b));
        }
        for (std::size_t i = 0; i < shared_.size(); ++i) {
            shared_[i].value = std::move(loaded[i].first);
            shared_[i].velocity = std::move(loaded[i].second);
        }
        initialised_ = true;
    }

private:
    enum class kind { conv_weight, dense_weight, gamma, zero };
    struct shared_tensor {
        std::string name;
        tensor value, velocity;
        bool decay = false;
        kind k = kind::zero;
    };
    static constexpr char magic[8] = {'A', 'N', 'A', 'S', 'S', 'U', 'P', '1'};

    // Fraction of the n rows of k logits whose largest logit is at the row's label.
    static double top1(const float* logits, std::size_t n, std::size_t k, std::span<const std::int32_t> labels, const char* who) {
        require(labels.size() == n, who, ": ", labels.size(), " labels for ", n, " images");
        std::size_t hits = 0;
        for (std::size_t b = 0; b < n; ++b) {
            const float* r = logits + b * k;
            hits += std::size_t(std::max_element(r, r + k) - r) == std::size_t(labels[b]);
        }
        return n ? double(hits) / double(n) : 0.0;
    }
    static kind kind_of(const graph::network& net, const std::string& name) {
        if (name.ends_with("/gamma")) return kind::gamma;
        if (!name.ends_with("/weight")) return kind::zero;
        const auto op = name.substr(0, name.rfind('/'));
        for (const auto& o : net.ops())
            if (o.name == op) return o.kind == graph::op_kind::fully_connected ? kind::dense_weight : kind::conv_weight;
        return kind::conv_weight;
    }
    // "<op>/<what>" -> "<key(op)>/<what>"
    static std::string shared_name(const std::string& param, const share_key_fn& key) {
        const auto cut = param.rfind('/');
        require(cut != std::string::npos, "train::supernet: parameter name '", param, "' has no '/'");
        return key(std::string_view(param).substr(0, cut)) + param.substr(cut);
    }
    std::size_t index_of(const std::string& name) const {
        const auto it = by_name_.find(name);
        require(it != by_name_.end(), "train::supernet: no shared tensor '", name, "'");
        return it->second;
    }
    static void check_fits(const shared_tensor& s, const parameter& q) {
        const auto big = shape_of(s.value), sm = shape_of(q.value);
        for (std::size_t d = 0; d < 4; ++d)
            require(sm[d] <= big[d] && (d >= 2 || (big[d] - sm[d]) % 2 == 0), "train::supernet: parameter '", q.name,
                    "' of shape ", sm[0], "x", sm[1], "x", sm[2], "x", sm[3], " does not fit its shared tensor '", s.name,
                    "' of ", big[0], "x", big[1], "x", big[2], "x", big[3], " (reserve the largest networks first)");
    }
    // Calls f(offset in the shared tensor, offset in the path tensor, run length) for each
    // contiguous run of the slice: kernel dimensions centred, channel dimensions prefixes.
    template <class F>
    static void for_each_run(const shape4& big, const shape4& sm, F&& f) {
        const std::size_t oh = (big[0] - sm[0]) / 2, ow = (big[1] - sm[1]) / 2;
        for (std::size_t a = 0; a < sm[0]; ++a)
            for (std::size_t b = 0; b < sm[1]; ++b)
                for (std::size_t c = 0; c < sm[2]; ++c)
                    f((((a + oh) * big[1] + (b + ow)) * big[2] + c) * big[3], ((a * sm[1] + b) * sm[2] + c) * sm[3], sm[3]);
    }
    // One SGD step of weight `w` with momentum buffer `b` on gradient `grad` (weight decay `wd`
    // added): the update of `train_step` and `apply`.
    void sgd(float& w, float& b, float grad, float wd, float lr) const noexcept {
        const float g = grad + wd * w;
        b = opt_.momentum * b + g;
        w -= lr * (opt_.nesterov ? g + opt_.momentum * b : b);
    }
    // The forward and backward pass of `accumulate`: `loss_of(logits)` records the loss.
    template <class LossOf>
    float accumulate_with(path& p, const tensor& x, LossOf&& loss_of) {
        require(initialised_, "train::supernet::accumulate: initialise the supernet first");
        auto& m = *p.model;
        tape_->clear();
        const var logits = m.forward(*tape_, x, true);
        const var loss = loss_of(logits);
        const float lv = tape_->value(loss)(0, 0, 0, 0);
        if (!std::isfinite(lv)) throw diverged(accelnas::detail::concat("train::supernet: loss is ", lv));
        tape_->backward(loss);
        auto& ps = m.parameters();
        for (const auto& q : ps)
            if (const auto bad = first_non_finite(q.grad.data(), q.grad.size()); bad < q.grad.size())
                throw diverged(accelnas::detail::concat("train::supernet: gradient of '", q.name, "' is ", q.grad.data()[bad]));
        if (grad_.size() != shared_.size()) {
            grad_.resize(shared_.size());
            used_.resize(shared_.size());
        }
        for (std::size_t i = 0; i < ps.size(); ++i) {
            const std::size_t si = p.shared[i];
            const auto& s = shared_[si];
            if (grad_[si].size() != s.value.size()) {
                grad_[si].assign(s.value.size(), 0.0f);
                used_[si].assign(s.value.size(), 0);
            }
            const float* gr = ps[i].grad.data();
            for_each_run(shape_of(s.value), shape_of(ps[i].value), [&](std::size_t from, std::size_t to, std::size_t n) {
                float* acc = grad_[si].data() + from;
                std::uint8_t* u = used_[si].data() + from;
                for (std::size_t j = 0; j < n; ++j) {
                    acc[j] += gr[to + j];
                    u[j] = 1;
                }
            });
        }
        if (std::find(pending_.begin(), pending_.end(), &p) == pending_.end()) pending_.push_back(&p);
        return lv;
    }
    template <class T>
    static void put(std::ostream& f, T v) { f.write(reinterpret_cast<const char*>(&v), sizeof v); }
    template <class T>
    static T get(std::istream& f, const std::string& what) {
        T v{};
        f.read(reinterpret_cast<char*>(&v), sizeof v);
        require(bool(f), "train::supernet::load: ", what, ": truncated");
        return v;
    }

    supernet_options opt_;
    std::vector<shared_tensor> shared_;
    std::map<std::string, std::size_t> by_name_;
    std::vector<std::vector<float>> grad_;          // per shared tensor: the accumulated gradient (allocated on first use)
    std::vector<std::vector<std::uint8_t>> used_;   // per shared element: some accumulated path used it
    std::vector<path*> pending_;                    // the paths accumulated since the last apply
    bool initialised_ = false;
    std::unique_ptr<tape> tape_;  // the training tape (a pointer: supernets move)
};

}  // namespace accelnas::train
