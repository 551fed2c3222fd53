// The opening example of docs/train.md: train the PyTorch peer's model (examples/specs/peer_mbconv.json)
// on Fashion-MNIST with the peer's hyper-parameters and print the test accuracy after each epoch.
//
//   example_train_quickstart [SPEC] [--quick]
//
// --quick trains on the first 2000 images and tests on 500 (what ctest runs).
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) try {
    using namespace accelnas;
    std::string spec = ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json";
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--quick") quick = true;
        else spec = argv[i];
    }
    auto net = graph::load_network(spec);
    // Debian's dataset-fashion-mnist; the limits keep only the first images (0 = all).
    auto data = train::load_fashion_mnist(train::default_fashion_mnist_dir, quick ? 2000 : 0, quick ? 500 : 0);
    train::fit_options o;  // the defaults are the peer's: SGD 0.1 Nesterov, cosine, 1-epoch warm-up, flips
    o.epochs = 2;
    o.threads = 2;
    o.on_epoch = [](const train::epoch_report& r) {
        std::printf("epoch %zu: loss %.4f test_acc %.4f (%.0f img/s)\n", r.epoch, r.train_loss, r.test_acc, r.img_per_s);
    };
    // fit(network, ...) adapts the input to 32x32x1 and the classifier to 10 classes, builds a model
    // from o.seed and trains it; a diverging run throws train::diverged (an accelnas::error).
    auto r = train::fit(net, data, o);
    std::printf("test_acc %.4f, %.0f img/s\n", r.test_acc, r.img_per_s);
    return 0;
} catch (const accelnas::error& e) {
    std::fprintf(stderr, "example_train_quickstart: %s\n", e.what());
    return 1;
}
