#pragma once
/// \file
/// What `accelnas-train` does around `train::fit`: optimizers and weight initialisations by name,
/// a random-data throughput measurement, int8 post-training quantization of the trained model,
/// checkpoints written whole or not at all, and the final figures as one JSON object.

#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/quant/evaluate.hpp>
#include <accelnas/train.hpp>

#include <nlohmann/json.hpp>

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace accelnas::app::training {

/// Peak resident set size of this process in MB.
inline double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

/// The optimizer called `name` (sgd: Nesterov; rmsprop: TF flavour; adam) with `momentum` (sgd,
/// rmsprop) and L2 `weight_decay`.
inline train::optimizer optimizer_by_name(const std::string& name, double momentum, double weight_decay) {
    if (name == "sgd") return train::sgd{.momentum = float(momentum), .nesterov = true, .weight_decay = float(weight_decay)};
    if (name == "rmsprop") return train::rmsprop{.momentum = float(momentum), .weight_decay = float(weight_decay)};
    if (name == "adam") return train::adam{.weight_decay = float(weight_decay)};
    fail("--optimizer: unknown optimizer '", name, "' (expected sgd, rmsprop or adam)");
}

/// The weight initialisation called `name`: variance_scaling (the TF reference) or torch_default.
inline train::init_scheme init_by_name(const std::string& name) {
    if (name == "variance_scaling") return train::init_scheme::variance_scaling;
    if (name == "torch_default") return train::init_scheme::torch_default;
    fail("--init: unknown scheme '", name, "' (expected variance_scaling or torch_default)");
}

/// Random-data training throughput in images/s: 5 warm-up steps, then `steps` timed steps of
/// batch `batch` (SGD momentum 0.9 at `lr`).
inline double throughput(train::model& m, std::size_t batch, std::size_t threads, std::size_t steps, float lr) {
    const auto in = m.network().input_shape();
    rng g(1);
    train::tensor x = xt::empty<float>(train::shape4{batch, std::size_t(in.h), std::size_t(in.w), std::size_t(in.c)});
    for (auto& v : x) v = float(normal01(g));
    std::vector<std::int32_t> labels(batch);
    for (auto& l : labels) l = std::int32_t(uniform_index(g, 10));
    train::sgd opt{.momentum = 0.9f, .nesterov = false, .weight_decay = 0.0f};
    // As train::fit steps: split by images over several threads (see batch_split_suits), else op by op.
    std::unique_ptr<train::batch_split> split;
    std::unique_ptr<train::tape> t;
    if (train::batch_split_suits(m, threads)) split = std::make_unique<train::batch_split>(m, threads);
    else t = std::make_unique<train::tape>(threads);
    auto step = [&] {
        if (split) {
            split->step(x, labels);
            opt.step(m.parameters(), lr, &split->pool());
            return;
        }
        t->clear();
        auto loss = train::softmax_cross_entropy(m.forward(*t, x, true), labels);
        t->backward(loss);
        opt.step(m.parameters(), lr, &t->pool());
    };
    for (int i = 0; i < 5; ++i) step();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < steps; ++i) step();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return double(batch * steps) / s;
}

/// int8 post-training quantization of a trained model: calibrated on the first 1000 training images
/// (no augmentation), tested on the whole test set.
inline quant::int8_evaluation evaluate_int8(const graph::network& net, train::model& m, const train::dataset& data,
                                            const train::batch_options& augment) {
    auto images = [&](const train::image_set& s, std::size_t count, std::vector<std::int32_t>& labels) {
        std::vector<std::size_t> idx(std::min(count, s.count));
        std::iota(idx.begin(), idx.end(), 0);
        train::batch_options bo = augment;
        bo.flip = false;
        bo.shift = 0;
        rng unused(0);
        train::tensor x;
        train::make_batch(data, s, idx, bo, unused, x, labels);
        return x;
    };
    std::vector<std::int32_t> cal_labels, test_labels;
    const auto cal = images(data.train, 1000, cal_labels);
    const auto test = images(data.test, data.test.count, test_labels);
    return quant::evaluate_int8(net, m.export_parameters(), cal, test, test_labels);
}

/// The final figures of a training run as one JSON object (test_acc_int8 is null without int8).
inline nlohmann::json result_json(const train::fit_result& res) {
    nlohmann::json out{{"test_acc", res.test_acc}, {"img_per_s", res.img_per_s}, {"epochs", res.epochs},
                       {"test_acc_int8", nullptr}};
    nlohmann::json hist = nlohmann::json::array();
    for (const auto& h : res.history) hist.push_back(h.test_acc);
    out["test_acc_per_epoch"] = hist;
    return out;
}

/// Adds the int8 figures to a result object.
inline void add_int8(nlohmann::json& out, const quant::int8_evaluation& q) {
    out["test_acc_int8"] = q.int8_accuracy;
    out["test_acc_float_reference"] = q.float_accuracy;  // quant's own float inference: a cross-check
    out["int8_agreement"] = q.agreement;
}

/// Writes the checkpoint of `m` to `path` whole or not at all: `train::model::save` writes into an
/// in-memory file, whose bytes then go to disk through `write_file_atomically`.
inline void save_checkpoint(const train::model& m, const std::string& path) {
    const int fd = ::memfd_create("accelnas-checkpoint", 0);
    require(fd >= 0, "cannot write '", path, "': memfd_create: ", std::strerror(errno));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    try {
        m.save("/proc/self/fd/" + std::to_string(fd));
    } catch (const error& e) {
        fail("cannot write '", path, "': ", e.what());
    }
    std::string bytes;
    char buf[1 << 16];
    for (off_t at = 0;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, at);
        require(n >= 0, "cannot write '", path, "': reading the checkpoint back: ", std::strerror(errno));
        if (n == 0) break;
        bytes.append(buf, static_cast<std::size_t>(n));
        at += n;
    }
    write_file_atomically(path, std::string_view(bytes));
}

}  // namespace accelnas::app::training
