// accelnas-train: trains any network spec of the IR on Fashion-MNIST with the from-scratch trainer.
//
//   accelnas-train --model examples/specs/peer_mbconv.json --epochs 10 --json
//
// The spec is adapted to the data set (train::adapt_network): its input becomes 32x32x{1|3}
// (--channels) and its last conv2d/fully_connected op gets 10 outputs. A progress bar per epoch goes
// to stderr; the final figures (float and int8 test accuracy, training images/s, peak RSS) go to
// stdout, as one JSON object with --json. --throughput N skips the data set and times N training
// steps on random data (what bench/vs_pytorch.sh compares against PyTorch).
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#if __has_include(<accelnas/quant/evaluate.hpp>)
#include <accelnas/quant/evaluate.hpp>
#define ACCELNAS_TRAIN_HAS_INT8 1
#endif

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>

using namespace accelnas;

namespace {

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

// Random-data training throughput: warm-up steps, then `steps` timed steps of batch `batch`.
double throughput(train::model& m, std::size_t batch, std::size_t threads, std::size_t steps, float lr) {
    const auto in = m.network().input_shape();
    rng g(1);
    train::tensor x = xt::empty<float>(train::shape4{batch, std::size_t(in.h), std::size_t(in.w), std::size_t(in.c)});
    for (auto& v : x) v = float(normal01(g));
    std::vector<std::int32_t> labels(batch);
    for (auto& l : labels) l = std::int32_t(uniform_index(g, 10));
    train::tape t(threads);
    train::sgd opt{.momentum = 0.9f, .nesterov = false, .weight_decay = 0.0f};
    auto step = [&] {
        t.clear();
        auto loss = train::softmax_cross_entropy(m.forward(t, x, true), labels);
        t.backward(loss);
        opt.step(m.parameters(), lr);
    };
    for (int i = 0; i < 5; ++i) step();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < steps; ++i) step();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return double(batch * steps) / s;
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"Train a network spec of the accelnas IR on Fashion-MNIST"};
    std::string spec, data_dir = train::default_fashion_mnist_dir, optimizer = "sgd", schedule = "cosine", save;
    train::fit_options o;
    std::size_t channels = 1, train_limit = 0, test_limit = 0, throughput_steps = 0;
    bool json = false, int8 = false, no_flip = false;
    double momentum = 0.9, weight_decay = 4e-5, bn_eps = 1e-3;
    std::string init = "variance_scaling";
    app.add_option("--model", spec, "network spec (JSON, schema accelnas.network)")->required();
    app.add_option("--epochs", o.epochs, "training epochs")->default_val(1);
    app.add_option("--batch", o.batch, "mini-batch size")->default_val(64);
    app.add_option("--threads", o.threads, "threads for the kernels")->default_val(1);
    app.add_option("--lr", o.lr, "peak learning rate")->default_val(0.1);
    app.add_option("--optimizer", optimizer, "sgd (Nesterov), rmsprop (TF flavour) or adam")->default_val("sgd");
    app.add_option("--momentum", momentum, "SGD/RMSProp momentum")->default_val(0.9);
    app.add_option("--weight-decay", weight_decay, "L2 on conv/dense kernels (not BN, not biases)")->default_val(4e-5);
    app.add_option("--schedule", schedule, "constant, cosine or exponential")->default_val("cosine");
    app.add_option("--warmup-epochs", o.warmup_epochs, "linear warm-up length in epochs")->default_val(1.0);
    app.add_option("--label-smoothing", o.label_smoothing, "label smoothing of the cross-entropy")->default_val(0.0);
    app.add_option("--channels", channels, "input channels: 1, or 3 (grey replicated)")->default_val(1);
    app.add_flag("--no-flip", no_flip, "disable random horizontal flips");
    app.add_option("--shift", o.augment.shift, "random translation by up to +-N pixels")->default_val(0);
    app.add_option("--init", init, "variance_scaling (TF reference) or torch_default (PyTorch's)")
        ->default_val("variance_scaling");
    app.add_option("--bn-eps", bn_eps, "batch-norm epsilon (TF 1e-3, PyTorch 1e-5)")->default_val(1e-3);
    app.add_option("--seed", o.seed, "seed of weights, order and augmentation")->default_val(0);
    app.add_option("--data", data_dir, "folder with the Fashion-MNIST IDX files");
    app.add_option("--train-limit", train_limit, "use only the first N training images (0 = all)")->default_val(0);
    app.add_option("--test-limit", test_limit, "use only the first N test images (0 = all)")->default_val(0);
    app.add_option("--save", save, "write a checkpoint of the trained model here");
    app.add_flag("--int8", int8, "also report int8 post-training-quantized test accuracy");
    app.add_flag("--json", json, "print the final figures as one JSON object");
    app.add_option("--throughput", throughput_steps, "time N training steps on random data instead (no data set)")
        ->default_val(0);
    CLI11_PARSE(app, argc, argv);

    require(channels == 1 || channels == 3, "--channels must be 1 or 3, got ", channels);
    o.augment.channels = channels;
    o.augment.flip = !no_flip;
    if (optimizer == "sgd") o.optimizer = train::sgd{.momentum = float(momentum), .nesterov = true, .weight_decay = float(weight_decay)};
    else if (optimizer == "rmsprop") o.optimizer = train::rmsprop{.momentum = float(momentum), .weight_decay = float(weight_decay)};
    else if (optimizer == "adam") o.optimizer = train::adam{.weight_decay = float(weight_decay)};
    else fail("--optimizer: unknown optimizer '", optimizer, "' (expected sgd, rmsprop or adam)");
    o.schedule = train::parse_schedule_kind(schedule);

    const auto net = train::adapt_network(graph::load_network(spec), 32, channels, 10);
    rng g(o.seed);
    require(init == "variance_scaling" || init == "torch_default", "--init: unknown scheme '", init,
            "' (expected variance_scaling or torch_default)");
    train::model m(net, g,
                   {.init = init == "torch_default" ? train::init_scheme::torch_default
                                                    : train::init_scheme::variance_scaling,
                    .bn_eps = float(bn_eps), .threads = o.threads});

    if (throughput_steps > 0) {
        const double ips = throughput(m, o.batch, o.threads, throughput_steps, 0.01f);
        if (json)
            std::cout << nlohmann::json{{"img_per_s", ips}, {"peak_rss_mb", peak_rss_mb()}, {"threads", o.threads},
                                        {"batch", o.batch}, {"params", m.parameter_count()}}.dump() << "\n";
        else
            std::printf("threads=%zu batch=%zu params=%zu train img/s %.0f peak_rss_mb %.0f\n", o.threads, o.batch,
                        m.parameter_count(), ips, peak_rss_mb());
        return 0;
    }

    const auto data = train::load_fashion_mnist(data_dir, train_limit, test_limit);
    if (!json)
        std::printf("model %s: %zu params | %zu train / %zu test images | batch %zu threads %zu lr %g %s %s\n",
                    net.name().c_str(), m.parameter_count(), data.train.count, data.test.count, o.batch, o.threads,
                    double(o.lr), optimizer.c_str(), schedule.c_str());
    std::size_t epoch = 1;
    o.on_step = [&](std::size_t s, std::size_t steps) {
        if (s % std::max<std::size_t>(1, steps / 50) != 0 && s != steps) return;
        const std::size_t w = 40, k = s * w / steps;
        std::fprintf(stderr, "\repoch %zu [%s%s] %zu/%zu", epoch, std::string(k, '#').c_str(),
                     std::string(w - k, ' ').c_str(), s, steps);
        std::fflush(stderr);
    };
    o.on_epoch = [&](const train::epoch_report& r) {
        std::fprintf(stderr, "\n");
        std::printf("epoch %2zu  loss %.4f  test_acc %.4f  train %.1f s  %.0f img/s  lr %.4g\n", r.epoch,
                    r.train_loss, r.test_acc, r.train_seconds, r.img_per_s, double(r.lr));
        std::fflush(stdout);
        ++epoch;
    };
    const auto res = train::fit(m, data, o);
    if (!save.empty()) m.save(save);

    nlohmann::json out{{"test_acc", res.test_acc}, {"img_per_s", res.img_per_s}, {"epochs", res.epochs},
                       {"test_acc_int8", nullptr}};
    nlohmann::json hist = nlohmann::json::array();
    for (const auto& h : res.history) hist.push_back(h.test_acc);
    out["test_acc_per_epoch"] = hist;
    if (int8) {
#ifdef ACCELNAS_TRAIN_HAS_INT8
        // Calibrate on the first 1000 training images (no augmentation), test on the whole test set.
        auto images = [&](const train::image_set& s, std::size_t count, std::vector<std::int32_t>& labels) {
            std::vector<std::size_t> idx(std::min(count, s.count));
            std::iota(idx.begin(), idx.end(), 0);
            train::batch_options bo = o.augment;
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
        const auto q = quant::evaluate_int8(net, m.export_parameters(), cal, test, test_labels);
        out["test_acc_int8"] = q.int8_accuracy;
        out["test_acc_float_reference"] = q.float_accuracy;  // quant's own float inference: a cross-check
        out["int8_agreement"] = q.agreement;
        if (!json)
            std::printf("int8: test_acc_int8=%.4f (quant's float reference %.4f, top-1 agreement %.4f)\n",
                        q.int8_accuracy, q.float_accuracy, q.agreement);
#else
        fail("--int8: int8 quantization (include/accelnas/quant/) is not available in this build");
#endif
    }
    out["peak_rss_mb"] = peak_rss_mb();
    if (json) {
        std::cout << out.dump() << "\n";
    } else {
        std::printf("FINAL test_acc=%.4f img_per_s=%.0f peak_rss_mb=%.0f\n", res.test_acc, res.img_per_s,
                    peak_rss_mb());
    }
    return 0;
} catch (const accelnas::error& e) {
    std::fprintf(stderr, "accelnas-train: error: %s\n", e.what());
    return 1;
}
