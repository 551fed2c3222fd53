// onnx_export_case: writes one export case for the Python checks (tests/onnx/opencv_check.py):
// PREFIX.onnx (accelnas' ONNX export), PREFIX.input.bin (a random NCHW float32 image) and
// PREFIX.output.bin (accelnas' own float inference on it, float32).
//
//   onnx_export_case SPEC PREFIX [CHECKPOINT CHANNELS] [--int8]
//
// Without a checkpoint the weights are fresh (seed 1), with batch-norm gammas and betas drawn at
// random so that the exported BatchNormalization nodes do real work; with one, the network is
// fitted to accelnas-train's input (32x32, CHANNELS, 10 classes) and the checkpoint loaded.
// With --int8 the model is the QDQ export of the int8 quantization (calibrated as accelnas-export
// --int8 does by default: 256 Fashion-MNIST images with a checkpoint, 256 random ones from seed 0
// without), PREFIX.output.bin the int8 engine's dequantized output, and PREFIX.int8.txt the engine's
// output scale and zero point, PREFIX.codes.txt/.bin every op's int8 codes (qdq_check.py compares
// int8 codes).

#include <accelnas/app/quant_calibration.hpp>
#include <accelnas/app/spec.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/onnx/export.hpp>
#include <accelnas/onnx/spec_reader.hpp>
#include <accelnas/quant/int8_model.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/trainer.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

using namespace accelnas;

namespace {
void write_floats(const std::string& path, const float* p, std::size_t n) {
    write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(p), n * sizeof(float)));
}
}  // namespace

int main(int argc, char** argv) {
    const bool int8 = argc > 3 && std::string(argv[argc - 1]) == "--int8";
    if (int8) --argc;
    if (argc != 3 && argc != 5) {
        std::cerr << "usage: onnx_export_case SPEC PREFIX [CHECKPOINT CHANNELS] [--int8]\n";
        return 2;
    }
    try {
        accelnas::onnx::enable_onnx_specs();
        auto net = app::resolve_spec(argv[1]);
        const std::string prefix = argv[2];
        if (argc == 5) net = train::adapt_network(net, 32, std::stoul(argv[4]), 10);
        rng g(1);
        train::model m(net, g);
        if (argc == 5) {
            m.load(argv[3]);
        } else {
            for (auto& p : m.parameters()) {
                const bool gamma = p.name.ends_with("/gamma"), beta = p.name.ends_with("/beta");
                if (!gamma && !beta)
                    continue;
                for (auto& v : p.value) v = float(gamma ? 0.5 + uniform01(g) : uniform01(g) - 0.5);
            }
        }
        const auto s = net.input_shape();
        if (int8) {
            const auto images = app::calibration_images(
                net, argc == 5 ? app::calibration_source::fashion_mnist : app::calibration_source::random, 256, 0);
            const auto folded = quant::fold_batch_norm(net, m.export_parameters());
            const auto ranges = quant::observe_ranges(quant::float_model(folded.network, folded.parameters), images);
            const auto model = accelnas::onnx::export_qdq_model(folded.network, folded.parameters, ranges);
            accelnas::onnx::check_model(model);
            accelnas::onnx::write_model(model, prefix + ".onnx");
            const quant::int8_model engine(folded.network, folded.parameters, ranges);
            xt::xtensor<float, 4> x = xt::empty<float>({std::size_t(1), std::size_t(s.h), std::size_t(s.w), std::size_t(s.c)});
            for (auto& v : x) v = float(uniform01(g) * 2.0 - 1.0);
            if (argc == 5) std::copy_n(images.begin(), x.size(), x.begin());  // a real image: the first calibration one
            std::vector<float> nchw(x.size());
            for (std::int64_t c = 0; c < s.c; ++c)
                for (std::int64_t y = 0; y < s.h; ++y)
                    for (std::int64_t w = 0; w < s.w; ++w)
                        nchw[std::size_t((c * s.h + y) * s.w + w)] = x(0, std::size_t(y), std::size_t(w), std::size_t(c));
            const auto out = engine.predict(x);
            const auto& p = engine.params(engine.output());
            write_floats(prefix + ".input.bin", nchw.data(), nchw.size());
            write_floats(prefix + ".output.bin", out.data(), out.size());
            char line[64];
            std::snprintf(line, sizeof line, "%.9g %d\n", double(p.scale), int(p.zero_point));
            write_file_atomically(prefix + ".int8.txt", line);
            // Every op's int8 codes (NHWC) for the per-tensor comparison of qdq_check.py: one line per op
            // (name kind h w c) in PREFIX.codes.txt, the codes back to back in PREFIX.codes.bin.
            const auto qx = engine.quantize_input(x);
            std::string codes, index;
            for (std::size_t i = 0; i < folded.network.size(); ++i) {
                const auto& o = folded.network.ops()[i];
                const auto y = engine.run(qx, i);
                codes.append(reinterpret_cast<const char*>(y.data()), y.size());
                index += o.name + " " + std::string(graph::to_string(o.kind)) + " " + std::to_string(o.out.h) + " " +
                         std::to_string(o.out.w) + " " + std::to_string(o.out.c) + "\n";
            }
            write_file_atomically(prefix + ".codes.bin", codes);
            write_file_atomically(prefix + ".codes.txt", index);
            std::cout << prefix << ".onnx: int8 QDQ " << net.name() << " " << s << " -> " << out.size() << " outputs\n";
            return 0;
        }
        const auto model = accelnas::onnx::export_model(net, m.export_parameters());
        accelnas::onnx::check_model(model);
        accelnas::onnx::write_model(model, prefix + ".onnx");
        xt::xtensor<float, 4> x = xt::empty<float>({std::size_t(1), std::size_t(s.h), std::size_t(s.w), std::size_t(s.c)});
        for (auto& v : x) v = float(uniform01(g) * 2.0 - 1.0);
        std::vector<float> nchw(x.size());
        for (std::int64_t c = 0; c < s.c; ++c)
            for (std::int64_t y = 0; y < s.h; ++y)
                for (std::int64_t w = 0; w < s.w; ++w)
                    nchw[std::size_t((c * s.h + y) * s.w + w)] = x(0, std::size_t(y), std::size_t(w), std::size_t(c));
        auto out = m.predict(x);
        if (net.ops().back().kind == graph::op_kind::softmax) {  // predict leaves a trailing softmax out
            float mx = *std::max_element(out.begin(), out.end()), sum = 0;
            for (auto& v : out) sum += (v = std::exp(v - mx));
            for (auto& v : out) v /= sum;
        }
        write_floats(prefix + ".input.bin", nchw.data(), nchw.size());
        write_floats(prefix + ".output.bin", out.data(), out.size());
        std::cout << prefix << ".onnx: " << net.name() << " " << s << " -> " << out.size() << " outputs\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "onnx_export_case: error: " << e.what() << "\n";
        return 1;
    }
}
