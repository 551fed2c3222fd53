// accelnas-train: trains any network spec of the IR on a data set with the from-scratch trainer.
//
//   accelnas-train --model examples/specs/peer_mbconv.json --epochs 10 --json
//   accelnas-train --model examples/specs/peer_mbconv.json --data cifar10:DIR --shift 4 --validation 0.1
//
// --data is fashion-mnist[:DIR] (the default), cifar10:DIR, cifar100:DIR, cifar100-coarse:DIR or
// folder:DIR (app/data.hpp); a bare DIR holds Fashion-MNIST's IDX files. The spec is adapted to the
// data set (train::adapt_network): its input becomes SxSxC (S = 32, or the images' size when
// larger; C = the images' channels, or 3 for grey images with --channels 3) and its last
// conv2d/fully_connected op gets one output per class. --validation F carves F of the training
// images out as a validation part (by --seed), scored after every epoch (default 0: all
// training images train, as the published protocol and the PyTorch peer do). A progress bar per epoch goes
// to stderr; the final figures (float and int8 test accuracy, training images/s, peak RSS) go to
// stdout, as one JSON object with --json (the per-epoch lines then go to stderr, so stdout holds
// exactly that object; on an error, e.g. a diverged training, stdout stays empty and the message
// goes to stderr). --throughput N skips the data set and times N training steps on random data
// (what bench/vs_pytorch.sh compares against PyTorch). --checkpoint PATH writes a training checkpoint
// after every epoch; --resume PATH continues that run to the same final weights as an uninterrupted
// one (same settings and threads); --load CKPT --eval-only evaluates saved weights.
// --gemm-cache-sizes L1,L2,L3 makes Eigen block its matrix products by these cache sizes instead of
// the CPU's, so that CPUs with other caches do not change the summation order (train/blocking.hpp);
// the sizes used are reported (gemm_cache_sizes).
#include "cli.hpp"

#include <accelnas/app/data.hpp>
#include <accelnas/app/training.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/search/progress.hpp>
#include <accelnas/train/blocking.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

using namespace accelnas;
namespace training = accelnas::app::training;

int main(int argc, char** argv) {
    CLI::App cli{"Train a network spec of the accelnas IR on a data set (Fashion-MNIST, CIFAR-10/100, image folders)"};
    std::string spec, data_name = "fashion-mnist", optimizer = "sgd", schedule = "cosine", save;
    app::data_options data_opt;
    data_opt.load.validation = 0.0;
    train::fit_options o;
    std::size_t channels = 1, train_limit = 0, test_limit = 0, throughput_steps = 0;
    bool json = false, int8 = false, no_flip = false;
    double momentum = 0.9, weight_decay = 4e-5, bn_eps = 1e-3;
    std::string init = "variance_scaling", gemm_caches;
    using tools::count_range;
    cli.add_option("--model", spec, "network spec (JSON, schema accelnas.network)")->required();
    cli.add_option("--epochs", o.epochs, "training epochs")->default_val(1)->check(count_range(1, 100000));
    cli.add_option("--batch", o.batch, "mini-batch size")->default_val(64)->check(count_range(1, 65536));
    cli.add_option("--threads", o.threads, "threads for the kernels")->default_val(1)->check(count_range(1, 256));
    cli.add_option("--lr", o.lr, "peak learning rate")->default_val(0.1)->check(CLI::Range(1e-12, 1e6));
    cli.add_option("--optimizer", optimizer, "sgd (Nesterov), rmsprop (TF flavour) or adam")->default_val("sgd")
        ->check(CLI::IsMember({"sgd", "rmsprop", "adam"}));
    cli.add_option("--momentum", momentum, "SGD/RMSProp momentum")->default_val(0.9)->check(CLI::Range(0.0, 1.0));
    cli.add_option("--weight-decay", weight_decay, "L2 on conv/dense kernels (not BN, not biases)")->default_val(4e-5)
        ->check(CLI::Range(0.0, 1.0));
    cli.add_option("--schedule", schedule, "constant, cosine or exponential")->default_val("cosine")
        ->check(CLI::IsMember({"constant", "cosine", "exponential"}));
    cli.add_option("--warmup-epochs", o.warmup_epochs, "linear warm-up length in epochs")->default_val(1.0)
        ->check(CLI::Range(0.0, 100000.0));
    cli.add_option("--label-smoothing", o.label_smoothing, "label smoothing of the cross-entropy")->default_val(0.0)
        ->check(tools::half_open(0.0, 1.0));
    auto* channels_opt = cli.add_option("--channels", channels, "input channels of grey data: 1, or 3 (replicated); RGB data: 3")
        ->default_val(1)->check(CLI::IsMember({"1", "3"}));
    cli.add_flag("--no-flip", no_flip, "disable random horizontal flips");
    cli.add_option("--shift", o.augment.shift, "random crop with N-pixel padding (translation by up to +-N pixels)")
        ->default_val(0)->check(count_range(0, 16));
    cli.add_option("--init", init, "variance_scaling (TF reference) or torch_default (PyTorch's)")
        ->default_val("variance_scaling")->check(CLI::IsMember({"variance_scaling", "torch_default"}));
    cli.add_option("--bn-eps", bn_eps, "batch-norm epsilon (TF 1e-3, PyTorch 1e-5)")->default_val(1e-3)
        ->check(CLI::Range(1e-12, 1.0));
    cli.add_option("--seed", o.seed, "seed of weights, order and augmentation")->default_val(0)
        ->check(count_range(0, INT64_MAX));
    cli.add_option("--data", data_name, "data set: " + app::data_spec_list() + ", or a folder of Fashion-MNIST IDX files")
        ->default_val("fashion-mnist");
    cli.add_option("--validation", data_opt.load.validation, "fraction of the training images held out as validation")
        ->default_val(0.0)->check(tools::half_open(0.0, 1.0));
    cli.add_option("--image-size", data_opt.image_size, "folder data: images are resized to NxN")->default_val(32)
        ->check(count_range(1, 4096));
    cli.add_option("--image-cache", data_opt.cache, "folder data: cache file of the decoded images");
    cli.add_option("--mean", data_opt.load.mean, "per-channel normalisation mean on the [0,1] scale (default: computed)")
        ->delimiter(',');
    cli.add_option("--std", data_opt.load.stddev, "per-channel normalisation deviation (default: computed)")->delimiter(',');
    cli.add_option("--train-limit", train_limit, "use only the first N training images (0 = all)")->default_val(0)
        ->check(count_range(0, 100000000));
    cli.add_option("--test-limit", test_limit, "use only the first N test images (0 = all)")->default_val(0)
        ->check(count_range(0, 100000000));
    cli.add_option("--save", save, "write a checkpoint of the trained model here");
    std::string load;
    bool eval_only = false;
    cli.add_option("--checkpoint", o.checkpoint, "write a training checkpoint here after every epoch (for --resume)");
    cli.add_option("--resume", o.resume, "continue the run of this training checkpoint (same settings)");
    cli.add_option("--stop-after", o.stop_after, "stop after this epoch (the schedule still spans --epochs)")
        ->default_val(0)->check(count_range(0, 100000));
    cli.add_option("--load", load, "start from the weights of this checkpoint (model or training checkpoint)");
    cli.add_flag("--eval-only", eval_only, "only evaluate the --load weights on the test set");
    cli.add_flag("--int8", int8, "also report int8 post-training-quantized test accuracy");
    cli.add_flag("--json", json, "print the final figures as one JSON object (and nothing else) on stdout");
    cli.add_option("--throughput", throughput_steps, "time N training steps on random data instead (no data set)")
        ->default_val(0)->check(count_range(0, 1000000));
    cli.add_option("--gemm-cache-sizes", gemm_caches, "block matrix products by these cache sizes (bytes) instead of "
                   "the CPU's, so that other CPUs' caches do not change the summation order")->type_name("L1,L2,L3");
    return tools::run("accelnas-train", cli, argc, argv, [&] {
        if (!gemm_caches.empty()) train::set_gemm_cache_sizes(tools::gemm_cache_sizes_option(gemm_caches));
        const auto caches = train::current_gemm_cache_sizes();
        const nlohmann::json caches_json = {caches.l1, caches.l2, caches.l3};
        if (!save.empty()) require_folder_of(save);
        if (!o.checkpoint.empty()) require_folder_of(o.checkpoint);
        require(!eval_only || !load.empty(), "--eval-only needs --load CKPT");
        require(load.empty() || o.resume.empty(), "--load and --resume exclude each other (--resume loads the weights)");
        const auto data_spec = app::parse_data_spec(data_name);
        require(data_opt.load.mean.size() == data_opt.load.stddev.size(), "--mean has ", data_opt.load.mean.size(),
                " value(s) but --std ", data_opt.load.stddev.size());
        o.augment.flip = !no_flip;
        o.optimizer = training::optimizer_by_name(optimizer, momentum, weight_decay);
        o.schedule = train::parse_schedule_kind(schedule);
        const auto source = graph::load_network(spec);
        std::optional<train::dataset> loaded;
        std::size_t size = 32, classes = 10;
        if (throughput_steps == 0) {
            data_opt.load.train_limit = train_limit;
            data_opt.load.test_limit = test_limit;
            data_opt.load.seed = o.seed;
            loaded = app::load_data(data_spec, data_opt);
            size = std::max<std::size_t>(32, std::max(loaded->train.rows, loaded->train.cols));
            classes = loaded->classes;
            if (loaded->train.channels == 3) {
                require(channels_opt->count() == 0 || channels == 3, "--channels 1: the images of ", data_name,
                        " are RGB (3 channels)");
                channels = 3;
            }
        }
        o.augment.channels = channels;
        o.augment.size = size;
        const auto net = train::adapt_network(source, size, channels, classes);
        rng g(o.seed);
        train::model m(net, g, {.init = training::init_by_name(init), .bn_eps = float(bn_eps), .threads = o.threads});
        if (!load.empty()) train::load_weights(m, load);

        if (throughput_steps > 0) {
            const double ips = training::throughput(m, o.batch, o.threads, throughput_steps, 0.01f);
            if (json)
                std::cout << nlohmann::json{{"img_per_s", ips}, {"peak_rss_mb", training::peak_rss_mb()},
                                            {"threads", o.threads}, {"batch", o.batch},
                                            {"params", m.parameter_count()}, {"gemm_cache_sizes", caches_json}}.dump() << "\n";
            else
                std::printf("threads=%zu batch=%zu params=%zu train img/s %.0f peak_rss_mb %.0f\n", o.threads, o.batch,
                            m.parameter_count(), ips, training::peak_rss_mb());
            return app::exit_success;
        }

        const auto& data = *loaded;
        if (!json) {
            std::printf("model %s: %zu params | %zu train / %zu test images | batch %zu threads %zu lr %g %s %s\n",
                        net.name().c_str(), m.parameter_count(), data.train.count, data.test.count, o.batch, o.threads,
                        double(o.lr), optimizer.c_str(), schedule.c_str());
            std::printf("matrix products blocked by cache sizes L1 %td, L2 %td, L3 %td bytes (%s)\n", caches.l1,
                        caches.l2, caches.l3, gemm_caches.empty() ? "the CPU's" : "--gemm-cache-sizes");
            if (data.validation.count)
                std::printf("validation: %zu images held out of the training images (seed %llu)\n", data.validation.count,
                            static_cast<unsigned long long>(o.seed));
        }
        if (eval_only) {
            const double acc = train::evaluate(m, data, data.test, o.augment, o.eval_batch);
            if (json)
                std::cout << nlohmann::json{{"test_acc", acc}, {"checkpoint", load}, {"test_images", data.test.count}}.dump()
                          << "\n";
            else std::printf("EVAL test_acc=%.4f (%zu test images, weights of %s)\n", acc, data.test.count, load.c_str());
            return app::exit_success;
        }
        std::size_t epoch = 1;
        // One bar per epoch: redrawn in place on a terminal, one plain line per tenth when piped.
        std::optional<search::progress_bar> bar;
        o.on_step = [&](std::size_t s, std::size_t steps) {
            if (!bar) bar.emplace(std::cerr, steps, search::is_terminal(2), std::max<std::size_t>(1, steps / 10),
                                  "epoch " + std::to_string(epoch));
            bar->update(s);
        };
        o.on_epoch = [&](const train::epoch_report& r) {
            bar.reset();
            // With --json, stdout holds only the final object: the epoch lines go to stderr.
            std::fprintf(json ? stderr : stdout, "epoch %2zu  loss %.4f  test_acc %.4f  train %.1f s  %.0f img/s  lr %.4g",
                         r.epoch, r.train_loss, r.test_acc, r.train_seconds, r.img_per_s, double(r.lr));
            if (data.validation.count) std::fprintf(json ? stderr : stdout, "  val_acc %.4f", r.val_acc);
            std::fprintf(json ? stderr : stdout, "\n");
            std::fflush(json ? stderr : stdout);
            epoch = r.epoch + 1;
        };
        const auto res = train::fit(m, data, o);
        if (!save.empty()) training::save_checkpoint(m, save);
        auto out = training::result_json(res);
        if (data.validation.count) out["val_acc"] = res.val_acc;
        if (int8) {
            const auto q = training::evaluate_int8(net, m, data, o.augment);
            training::add_int8(out, q);
            if (!json)
                std::printf("int8: test_acc_int8=%.4f (quant's float reference %.4f, top-1 agreement %.4f)\n",
                            q.int8_accuracy, q.float_accuracy, q.agreement);
        }
        out["peak_rss_mb"] = training::peak_rss_mb();
        out["gemm_cache_sizes"] = caches_json;
        if (json) std::cout << out.dump() << "\n";
        else std::printf("FINAL test_acc=%.4f img_per_s=%.0f peak_rss_mb=%.0f\n", res.test_acc, res.img_per_s,
                         training::peak_rss_mb());
        return app::exit_success;
    });
}
