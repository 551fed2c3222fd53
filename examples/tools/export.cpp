// accelnas-export: writes a network as an ONNX model (opset 13, NCHW, float) with its weights, for
// training at full size in another framework or for deployment.
//
//   accelnas-export --model mobilenet_v2@128 --out mobilenet_v2.onnx          freshly initialised weights
//   accelnas-export --model peer.json --weights peer.ckpt --out peer.onnx      a checkpoint of accelnas-train
//   accelnas-export --model peer.json --weights peer.ckpt --out peer.onnx --int8   int8 QDQ (quant/)
//
// With --weights, the network is first fitted to the trainer's input (32x32, --channels, 10 classes) as
// accelnas-train does, so that the checkpoint it wrote matches; --no-adapt reads it for the spec as is.
// The written model passes ONNX's checker with full shape inference before it is written.
// --int8 writes the int8 quantization of quant/ as QDQ (onnx::export_qdq_model): batch norm folded,
// activation ranges observed on --calibration-images images (Fashion-MNIST training images as
// accelnas-train preprocesses them when --weights is given, else uniform random images in [-1, 1);
// --calibration chooses), then quant::quantize_ops.

#include "cli.hpp"

#include <accelnas/app/quant_calibration.hpp>
#include <accelnas/app/spec.hpp>
#include <accelnas/app/training.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/graph/summary.hpp>
#include <accelnas/onnx/export.hpp>
#include <accelnas/quant/fold.hpp>
#include <accelnas/quant/ranges.hpp>
#include <accelnas/quant/reference.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/trainer.hpp>

#include <iostream>
#include <string>

using namespace accelnas;

int main(int argc, char** argv) {
    CLI::App cli{"accelnas-export: write a network (model spec) as an ONNX model with its weights"};
    std::string spec, weights, out, init = "variance_scaling", input_shape;
    std::size_t channels = 1;
    std::uint64_t seed = 0;
    double bn_eps = 1e-3;
    bool no_adapt = false, int8 = false;
    std::string calibration, data_dir = train::default_fashion_mnist_dir;
    std::size_t calibration_images = 256;
    cli.add_option("--model", spec, "model spec (zoo name[@size], space:arch, file.json, model.onnx)")->required();
    cli.add_option("--weights", weights, "checkpoint written by accelnas-train --save (default: fresh weights)");
    cli.add_option("--out", out, "the ONNX file to write")->required();
    cli.add_option("--channels", channels, "with --weights: the input channels the checkpoint was trained with")
        ->default_val(1)->check(CLI::IsMember({"1", "3"}));
    cli.add_flag("--no-adapt", no_adapt, "with --weights: the checkpoint is of the spec's network as is (not fitted "
                                         "to the trainer's 32x32 input and 10 classes)");
    cli.add_option("--init", init, "fresh weights: variance_scaling (TF reference) or torch_default")
        ->default_val("variance_scaling")->check(CLI::IsMember({"variance_scaling", "torch_default"}));
    cli.add_option("--seed", seed, "fresh weights: seed")->default_val(0)->check(tools::count_range(0, INT64_MAX));
    cli.add_option("--bn-eps", bn_eps, "batch-norm epsilon (as accelnas-train --bn-eps)")->default_val(1e-3)
        ->check(CLI::Range(1e-12, 1.0));
    cli.add_flag("--int8", int8, "write the int8 quantization of quant/ as QDQ (QuantizeLinear/DequantizeLinear, "
                                 "per-channel weight scales)");
    cli.add_option("--calibration", calibration, "with --int8: calibration images, fmnist (default with --weights) or "
                                                 "random (uniform in [-1, 1), default without)")
        ->check(CLI::IsMember({"fmnist", "random"}));
    cli.add_option("--calibration-images", calibration_images, "with --int8: number of calibration images")
        ->default_val(256)->check(tools::count_range(1, 60000));
    cli.add_option("--data", data_dir, "with --calibration fmnist: the Fashion-MNIST folder")
        ->default_val(train::default_fashion_mnist_dir);
    tools::add_onnx_options(cli, input_shape);
    return tools::run("accelnas-export", cli, argc, argv, [&] {
        app::usage_require(int8 || calibration.empty(), "--calibration applies to --int8 exports");
        tools::enable_onnx_specs(input_shape);
        require_folder_of(out);
        auto net = app::resolve_spec(spec);
        if (!weights.empty() && !no_adapt) net = train::adapt_network(net, 32, channels, 10);
        rng g(seed);
        train::model m(net, g, {.init = app::training::init_by_name(init), .bn_eps = float(bn_eps)});
        if (!weights.empty()) m.load(weights);
        std::string how;
        ::onnx::ModelProto model;
        if (int8) {
            const auto src = app::parse_calibration_source(calibration.empty() ? (weights.empty() ? "random" : "fmnist")
                                                                               : calibration);
            const auto images = app::calibration_images(net, src, calibration_images, seed, data_dir);
            const auto folded = quant::fold_batch_norm(net, m.export_parameters());
            const quant::float_model reference(folded.network, folded.parameters);
            const auto ranges = quant::observe_ranges(reference, images);
            model = accelnas::onnx::export_qdq_model(folded.network, folded.parameters, ranges);
            how = ", int8 QDQ calibrated on " + std::to_string(calibration_images) +
                  (src == app::calibration_source::random ? " random images" : " Fashion-MNIST images");
        } else {
            model = accelnas::onnx::export_model(net, m.export_parameters());
        }
        accelnas::onnx::check_model(model);
        accelnas::onnx::write_model(model, out);
        const auto c = graph::cost_of(net);
        std::cout << "wrote " << out << ": " << net.name() << ", " << net.size() << " ops, " << graph::human(double(c.macs))
                  << " MACs, " << graph::human(double(c.params)) << " params, "
                  << (weights.empty() ? "fresh weights (seed " + std::to_string(seed) + ")" : "weights of " + weights)
                  << how << ", opset " << accelnas::onnx::export_opset << "\n";
        return app::exit_success;
    });
}
