// Train the PyTorch peer's model for two epochs, then quantize it to int8 and compare accuracies.
//   example_quant_int8 [--quick]   (--quick: 2000 training and 500 test images, what ctest runs)
#include <accelnas/graph/json.hpp>
#include <accelnas/quant.hpp>
#include <accelnas/train.hpp>   // only to train the model of this example

#include <cstdio>
#include <numeric>
#include <string>

using namespace accelnas;

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    auto net = train::adapt_network(graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"), 32, 1, 10);
    const auto data = train::load_fashion_mnist(train::default_fashion_mnist_dir, quick ? 2000 : 0, quick ? 500 : 0);
    rng g(0);
    train::model m(net, g);
    train::fit_options o;
    o.epochs = 2;
    train::fit(m, data, o);
    const train::parameter_set params = m.export_parameters();

    // NHWC float batches with the training preprocessing: 1000 training images to calibrate, the test set.
    train::tensor calib, test;
    std::vector<std::int32_t> labels, unused;
    std::vector<std::size_t> idx(data.test.count);
    std::iota(idx.begin(), idx.end(), 0);
    rng no_aug(0);
    train::make_batch(data, data.test, idx, {32, 1, false, 0}, no_aug, test, labels);
    idx.resize(1000);
    train::make_batch(data, data.train, idx, {32, 1, false, 0}, no_aug, calib, unused);

    // One call: fold, observe ranges, quantize, classify with float and int8.
    const auto r = quant::evaluate_int8(net, params, calib, test, labels);
    std::printf("float %.4f int8 %.4f\n", r.float_accuracy, r.int8_accuracy);

    // Or step by step:
    const auto folded = quant::fold_batch_norm(net, params);              // no batch norm left
    const quant::float_model reference(folded.network, folded.parameters); // float inference
    const auto ranges = quant::observe_ranges(reference, calib);          // per-tensor min/max
    const quant::int8_model q(folded.network, folded.parameters, ranges); // int8 weights + kernels
    const auto logits = q.predict(test);                                  // quantize, run int8, dequantize
    std::printf("logits of %zu test images\n", logits.shape(0));
}
