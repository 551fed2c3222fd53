// onnx_export_case: writes one export case for the Python checks (tests/onnx/opencv_check.py):
// PREFIX.onnx (accelnas' ONNX export), PREFIX.input.bin (a random NCHW float32 image) and
// PREFIX.output.bin (accelnas' own float inference on it, float32).
//
//   onnx_export_case SPEC PREFIX [CHECKPOINT CHANNELS]
//
// Without a checkpoint the weights are fresh (seed 1), with batch-norm gammas and betas drawn at
// random so that the exported BatchNormalization nodes do real work; with one, the network is
// fitted to accelnas-train's input (32x32, CHANNELS, 10 classes) and the checkpoint loaded.

#include <accelnas/app/spec.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/onnx/export.hpp>
#include <accelnas/onnx/spec_reader.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/trainer.hpp>

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
    if (argc != 3 && argc != 5) {
        std::cerr << "usage: onnx_export_case SPEC PREFIX [CHECKPOINT CHANNELS]\n";
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
        const auto model = accelnas::onnx::export_model(net, m.export_parameters());
        accelnas::onnx::check_model(model);
        accelnas::onnx::write_model(model, prefix + ".onnx");
        const auto s = net.input_shape();
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
