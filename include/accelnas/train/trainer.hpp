#pragma once
/// \file
/// The training loop: shuffled mini-batches by seed, augmentation, a learning-rate schedule, an
/// optimizer step, evaluation after each epoch (on the validation part, and on the test part
/// unless told not to) and a per-epoch callback. Both `fit` overloads take
/// (what to train, data, options) and report failure one way: a non-finite loss or gradient throws
/// `train::diverged` instead of continuing on garbage, bad input throws `accelnas::error`.
/// `fit(network, data, options)` is the one-call entry point for searches (proxy accuracy of a
/// candidate).

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/train/augment.hpp>
#include <accelnas/train/checkpoint.hpp>
#include <accelnas/train/data_parallel.hpp>
#include <accelnas/train/diverged.hpp>
#include <accelnas/train/fashion_mnist.hpp>
#include <accelnas/train/image_set.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/optimizers.hpp>
#include <accelnas/train/tape.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace accelnas::train {

/// Figures of one finished epoch.
struct epoch_report {
    std::size_t epoch = 0;        ///< 1-based
    double train_loss = 0;        ///< mean training cross-entropy of the epoch
    double test_acc = 0;          ///< top-1 on the test part after the epoch (0: none, or not evaluated)
    double val_acc = 0;           ///< top-1 on the validation part after the epoch (0: none)
    double train_seconds = 0;     ///< wall time of the training part
    double img_per_s = 0;         ///< training images per second
    float lr = 0;                 ///< learning rate of the last step
};

/// Hyper-parameters of a training run. The defaults are the PyTorch peer's.
struct fit_options {
    std::size_t epochs = 1;
    std::size_t batch = 64;
    std::size_t threads = 1;
    /// With several threads, training takes data-parallel steps (`batch_split`: each thread runs
    /// the network on its share of the batch; see `batch_split_suits`);
    /// false: every op splits its own work over the threads. Results differ between the two (and
    /// between thread counts) by rounding; each is deterministic.
    bool split_batch = true;
    train::optimizer optimizer = sgd{};            ///< SGD 0.9 Nesterov, wd 4e-5 (not BN, not bias)
    schedule_kind schedule = schedule_kind::cosine;
    float lr = 0.1f;                               ///< peak learning rate
    double warmup_epochs = 1.0;                    ///< linear warm-up length in epochs
    float decay_rate = 0.97f;                      ///< exponential schedule: factor per decay_epochs
    double decay_epochs = 2.4;                     ///< exponential schedule: epochs per factor
    float label_smoothing = 0.0f;
    batch_options augment{32, 1, true, 0};         ///< 32x32, 1 channel, flips, no shift
    std::uint64_t seed = 0;                        ///< initial weights, order, augmentation
    std::size_t eval_batch = 250;                  ///< images per inference batch
    model_options model{};                         ///< BN settings of the model `fit(network, ...)` builds
    bool evaluate_test = true;                     ///< false: never read the test part (selection runs)
    std::function<void(const epoch_report&)> on_epoch;              ///< after each epoch
    std::function<void(std::size_t step, std::size_t steps)> on_step;  ///< after each step of an epoch
    std::string checkpoint;        ///< when set, a training checkpoint is written here after every epoch
    std::string resume;            ///< when set, the run continues from this training checkpoint
    std::size_t stop_after = 0;    ///< when set, return after this epoch (the schedule still spans `epochs`)
};

/// Outcome of a completed `fit`.
struct fit_result {
    double test_acc = 0;                ///< top-1 on the test part after the last epoch
    double val_acc = 0;                 ///< top-1 on the validation part after the last epoch
    std::size_t epochs = 0;             ///< epochs completed
    double img_per_s = 0;               ///< training images/s over all epochs
    std::vector<epoch_report> history;  ///< one entry per epoch
};

/// Top-1 accuracy of `m` on `s` (inference mode, batches of `batch`).
inline double evaluate(const model& m, const dataset& d, const image_set& s, const batch_options& o,
                       std::size_t batch = 250) {
    require(s.count > 0, "train::evaluate: the image set is empty");
    batch_options eo = o;
    eo.flip = false;
    eo.shift = 0;
    rng unused(0);
    tensor x;
    std::vector<std::int32_t> labels;
    std::vector<std::size_t> idx;
    std::size_t hits = 0;
    for (std::size_t i = 0; i < s.count; i += batch) {
        idx.resize(std::min(batch, s.count - i));
        std::iota(idx.begin(), idx.end(), i);
        make_batch(d, s, idx, eo, unused, x, labels);
        const auto logits = m.predict(x);
        const std::size_t k = logits.shape()[1];
        for (std::size_t b = 0; b < idx.size(); ++b) {
            const float* r = logits.data() + b * k;
            hits += std::size_t(std::max_element(r, r + k) - r) == std::size_t(labels[b]);
        }
    }
    return double(hits) / double(s.count);
}

namespace detail {

// The settings a resumed run must share with the run that wrote the checkpoint (everything that
// changes the sequence of steps except the thread count, which changes results only by rounding).
inline std::string run_key(const fit_options& o, std::size_t train_count) {
    std::ostringstream k;
    k.precision(9);
    k << "epochs=" << o.epochs << " batch=" << o.batch << " train_images=" << train_count << " lr=" << o.lr
      << " schedule=" << int(o.schedule) << " warmup=" << o.warmup_epochs << " decay=" << o.decay_rate << "/"
      << o.decay_epochs << " smoothing=" << o.label_smoothing << " augment=" << o.augment.size << "x"
      << o.augment.channels << (o.augment.flip ? "+flip" : "") << "+shift" << o.augment.shift << " seed=" << o.seed
      << " optimizer=" << o.optimizer.index();
    std::visit(
        [&](const auto& x) {
            using O = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<O, sgd>) k << "(" << x.momentum << "," << x.nesterov << "," << x.weight_decay << ")";
            else if constexpr (std::is_same_v<O, rmsprop>)
                k << "(" << x.decay << "," << x.momentum << "," << x.epsilon << "," << x.weight_decay << ")";
            else k << "(" << x.beta1 << "," << x.beta2 << "," << x.epsilon << "," << x.weight_decay << ")";
        },
        o.optimizer);
    return k.str();
}

}  // namespace detail

/// Trains `m` on `d.train`, evaluating on `d.validation` and `d.test` (unless `o.evaluate_test`
/// is false) after each epoch. Throws `train::diverged` on a non-finite loss, gradient, weight,
/// batch-norm statistic or activation (naming the epoch, step and the parameter or op; `m` then
/// holds the weights of the failed step), `accelnas::error` on bad input. With `o.checkpoint` a
/// training checkpoint is written after every epoch; with `o.resume` the run continues from one
/// (its settings must match, else `accelnas::error` names both) and ends with the same weights as
/// the uninterrupted run at the same thread count. The history of a resumed run lists the epochs it
/// ran.
inline fit_result fit(model& m, const dataset& d, const fit_options& o) {
    require(o.epochs > 0 && o.batch > 0 && o.threads > 0, "train::fit: epochs, batch and threads must be positive");
    require(d.train.count > 0, "train::fit: the training set is empty");
    const auto in = m.network().input_shape();
    require(std::size_t(in.h) == o.augment.size && std::size_t(in.w) == o.augment.size &&
                std::size_t(in.c) == o.augment.channels,
            "train::fit: network '", m.network().name(), "' takes ", in.h, "x", in.w, "x", in.c, " but batches are ",
            o.augment.size, "x", o.augment.size, "x", o.augment.channels, " (use adapt_network)");
    rng g(derive_seed(o.seed, 1, /*scramble=*/false));
    std::unique_ptr<batch_split> split;
    if (o.split_batch && batch_split_suits(m, o.threads)) split = std::make_unique<batch_split>(m, o.threads);
    tape t(split ? 1 : o.threads);
    m.set_threads(o.threads);
    // A last batch of a single image is dropped: batch norm cannot normalise one value per channel
    // (1x1 maps after global pooling), as in PyTorch.
    const std::size_t n = d.train.count, steps = n / o.batch + (n % o.batch > 1 ? 1 : 0), total = steps * o.epochs;
    require(steps > 0, "train::fit: ", n, " training image(s) cannot make a batch (need at least 2)");
    lr_schedule sched{o.schedule, o.lr, std::size_t(std::llround(o.warmup_epochs * double(steps))), total,
                      o.decay_rate, std::max<std::size_t>(1, std::size_t(std::llround(o.decay_epochs * double(steps)))),
                      true};
    train::optimizer opt = o.optimizer;
    std::vector<std::size_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    tensor x;
    std::vector<std::int32_t> labels;
    fit_result res;
    double train_s = 0;
    std::size_t step = 0, first_epoch = 1;
    const std::string key = detail::run_key(o, n);
    if (!o.resume.empty()) {
        auto st = load_training_checkpoint(o.resume, m);
        require(st.run == key, "train::fit: checkpoint '", o.resume, "' is of another run\n  checkpoint: ", st.run,
                "\n  this run:   ", key);
        require(st.order.size() == n && st.epoch <= o.epochs, "train::fit: checkpoint '", o.resume,
                "' does not fit this run");
        std::istringstream(st.rng_state) >> g;
        for (std::size_t i = 0; i < n; ++i) perm[i] = std::size_t(st.order[i]);
        opt = std::move(st.opt);
        step = st.step;
        train_s = st.train_seconds;
        first_epoch = st.epoch + 1;
        res.epochs = st.epoch;
    }
    const std::size_t last_epoch = o.stop_after ? std::min(o.stop_after, o.epochs) : o.epochs;
    for (std::size_t e = first_epoch; e <= last_epoch; ++e) {
        for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[uniform_index(g, i)]);  // Fisher-Yates
        const auto t0 = std::chrono::steady_clock::now();
        double loss_sum = 0;
        std::size_t seen = 0;
        float lr = 0;
        for (std::size_t s = 0; s < steps; ++s, ++step) {
            const std::size_t lo = s * o.batch, hi = std::min(n, lo + o.batch);
            make_batch(d, d.train, std::span<const std::size_t>(perm.data() + lo, hi - lo), o.augment, g, x, labels);
            t.clear();
            var loss;
            float lv = 0;
            try {
                if (split) lv = split->step(x, labels, o.label_smoothing);  // forward and backward
                else loss = softmax_cross_entropy(m.forward(t, x, true), labels, o.label_smoothing);
            } catch (const diverged& err) {
                throw diverged(accelnas::detail::concat("train::fit: at epoch ", e, ", step ", s + 1, ": ", err.what()));
            }
            if (!split) lv = t.value(loss)(0, 0, 0, 0);
            if (!std::isfinite(lv)) {
                const auto first = split ? split->first_non_finite_output() : m.first_non_finite_output(t);
                throw diverged(accelnas::detail::concat(
                    "train::fit: loss is ", lv, " at epoch ", e, ", step ", s + 1,
                    first < m.network().size() ? " (the first non-finite output is op '" + m.network().ops()[first].name + "')"
                                               : std::string(),
                    " (lower the learning rate?)"));
            }
            if (!split) t.backward(loss);
            for (const auto& p : m.parameters())
                if (const auto bad = first_non_finite(p.grad.data(), p.grad.size()); bad < p.grad.size())
                    throw diverged(accelnas::detail::concat("train::fit: gradient of '", p.name, "' is ", p.grad.data()[bad],
                                                            " at epoch ", e, ", step ", s + 1));
            lr = sched.at(step);
            train::step(opt, m.parameters(), lr, split ? &split->pool() : &t.pool());
            for (const auto& p : m.parameters())
                if (const auto bad = first_non_finite(p.value.data(), p.value.size()); bad < p.value.size())
                    throw diverged(accelnas::detail::concat("train::fit: weight '", p.name, "' became ",
                                                            p.value.data()[bad], " in the update of epoch ", e, ", step ",
                                                            s + 1, " (lower the learning rate?)"));
            loss_sum += double(lv) * double(hi - lo);
            seen += hi - lo;
            if (o.on_step) o.on_step(s + 1, steps);
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        train_s += secs;
        epoch_report r;
        r.epoch = e;
        r.train_loss = loss_sum / double(seen);
        r.val_acc = d.validation.count ? evaluate(m, d, d.validation, o.augment, o.eval_batch) : 0.0;
        r.test_acc = o.evaluate_test && d.test.count ? evaluate(m, d, d.test, o.augment, o.eval_batch) : 0.0;
        r.train_seconds = secs;
        r.img_per_s = double(seen) / secs;
        r.lr = lr;
        res.history.push_back(r);
        res.epochs = e;
        res.test_acc = r.test_acc;
        res.val_acc = r.val_acc;
        if (!o.checkpoint.empty()) {
            training_state st;
            st.epoch = e;
            st.step = step;
            st.run = key;
            std::ostringstream rs;
            rs << g;
            st.rng_state = rs.str();
            st.order.assign(perm.begin(), perm.end());
            st.opt = opt;
            st.train_seconds = train_s;
            save_training_checkpoint(o.checkpoint, m, st);
        }
        if (o.on_epoch) o.on_epoch(r);
    }
    res.img_per_s = train_s > 0 ? double(std::min(n, steps * o.batch)) * double(res.epochs) / train_s : 0.0;
    return res;
}

/// A copy of `net` fitted to a data set: the input becomes 1 x size x size x channels and the last
/// conv2d / fully_connected op (the classifier) gets `classes` outputs. Shapes are re-inferred and
/// flattens (reshapes to 1x1xC) follow the new size; an op that cannot take the new sizes (e.g. any
/// other fixed reshape) raises `accelnas::error` naming it.
inline graph::network adapt_network(const graph::network& net, std::size_t size, std::size_t channels,
                                    std::size_t classes) {
    net.validate();
    std::size_t last = net.size();
    for (std::size_t i = 0; i < net.size(); ++i)
        if (net.ops()[i].kind == graph::op_kind::conv2d || net.ops()[i].kind == graph::op_kind::fully_connected)
            last = i;
    graph::network r(net.name());
    for (std::size_t i = 0; i < net.size(); ++i) {
        auto o = net.ops()[i];
        if (o.kind == graph::op_kind::input) o.out = {1, std::int64_t(size), std::int64_t(size), std::int64_t(channels)};
        if (o.kind == graph::op_kind::reshape && o.target.h == 1 && o.target.w == 1) {
            const auto& x = r.ops()[o.inputs[0]].out;  // a flatten follows the new size
            o.target.c = x.h * x.w * x.c;
        }
        if (i == last) {
            require(o.groups == 1, "adapt_network: classifier op '", o.name, "' is a grouped convolution");
            o.filters = std::int64_t(classes);
        }
        r.append(std::move(o));
    }
    return r;
}

/// One call for searches: adapts `net` to `d` (`o.augment.size` square, `o.augment.channels`,
/// d.classes), builds a model seeded by `o.seed` and trains it with `fit(model&, d, o)`: the same
/// reports, and the same failures (`train::diverged`, `accelnas::error`).
inline fit_result fit(const graph::network& net, const dataset& d, const fit_options& o) {
    const auto adapted = adapt_network(net, o.augment.size, o.augment.channels, d.classes);
    rng g(o.seed);
    model_options mo = o.model;
    mo.threads = o.threads;
    model m(adapted, g, mo);
    return fit(m, d, o);
}

}  // namespace accelnas::train
