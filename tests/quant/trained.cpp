// int8 post-training quantization of networks trained briefly on real Fashion-MNIST data with the
// trainer (train::fit): the float reference inference agrees with the trainer's own inference, and
// int8 accuracy is within 1 point of float accuracy.

#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/quant.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

using namespace accelnas;
namespace g = accelnas::graph;

namespace {

struct images {
    train::tensor x;
    std::vector<std::int32_t> labels;
};

images batch_of(const train::dataset& d, const train::image_set& s, std::size_t count) {
    std::vector<std::size_t> idx(std::min(count, s.count));
    std::iota(idx.begin(), idx.end(), 0);
    images r;
    rng unused(0);
    train::make_batch(d, s, idx, {32, 1, false, 0}, unused, r.x, r.labels);
    return r;
}

// A small MobilenetEdgeTPU-style network at 32x32: stem, fused IBN blocks (full kxk expansion conv)
// in the early stages, IBN blocks with depthwise convs later, 1x1 head, pool, classifier
// (saved as tests/quant/edgetpu_small.json).
g::network edgetpu_style() {
    namespace b = g::blocks;
    g::network net("edgetpu_small");
    auto x = net.input({1, 32, 32, 1});
    auto y = net.conv2d(x, {.filters = 16, .kernel = 3, .stride = 2, .act = g::activation::relu, .name = "stem"});
    y = b::fused_ibn(net, y, {.expanded = 16, .out = 16, .expand = false, .prefix = "f1_"});
    y = b::fused_ibn(net, y, {.expanded = 64, .out = 24, .stride = 2, .prefix = "f2_"});
    y = b::fused_ibn(net, y, {.expanded = 96, .out = 24, .prefix = "f3_"});
    y = b::ibn(net, y, {.expanded = 96, .out = 40, .kernel = 5, .stride = 2, .prefix = "i4_"});
    y = b::ibn(net, y, {.expanded = 160, .out = 40, .prefix = "i5_"});
    y = net.conv2d(y, {.filters = 128, .act = g::activation::relu, .name = "head"});
    y = net.global_avg_pool(y, "pool");
    net.fully_connected(y, {.units = 10, .name = "logits"});
    return net;
}

void check_int8_after_training(const g::network& net, const train::dataset& data, std::size_t train_images) {
    rng gen(1);
    train::model m(net, gen);
    train::fit_options o;
    o.epochs = 1;
    o.threads = 1;
    train::dataset sub = data;
    sub.train.count = train_images;  // train on a prefix (brief training keeps the test fast)
    sub.test.count = 0;              // evaluated below
    train::fit(m, sub, o);
    const auto params = m.export_parameters();

    const auto test = batch_of(data, data.test, data.test.count);
    const auto calib = batch_of(data, data.train, 500);

    // The float reference and the trainer's inference compute the same logits.
    const auto head = test.x.shape()[0] > 256 ? xt::xtensor<float, 4>(xt::view(test.x, xt::range(0, 256))) : test.x;
    const auto mine = quant::float_model(net, params).predict(head);
    const auto theirs = m.predict(head);
    REQUIRE(mine.size() == theirs.size());
    double diff = 0.0, peak = 0.0;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        diff = std::max(diff, std::abs(double(mine.data()[i]) - theirs.data()[i]));
        peak = std::max(peak, std::abs(double(theirs.data()[i])));
    }
    INFO(net.name() << ": reference vs trainer logits: max |diff| " << diff << " of max |logit| " << peak);
    CHECK(diff <= 1e-3 * peak);

    const auto r = quant::evaluate_int8(net, params, calib.x, test.x, test.labels);
    INFO(net.name() << ": float " << r.float_accuracy << " int8 " << r.int8_accuracy << " agreement " << r.agreement
                    << " logit error max " << r.max_logit_error << " mean " << r.mean_logit_error << " steps");
    CHECK(r.float_accuracy >= 0.70);  // it did learn
    CHECK(r.float_accuracy - r.int8_accuracy <= 0.01);
    CHECK(r.agreement >= 0.97);
    WARN(net.name() << ": float " << r.float_accuracy << " int8 " << r.int8_accuracy << " agreement " << r.agreement);
}

}  // namespace

TEST_CASE("int8 on the peer model trained briefly on Fashion-MNIST: drop <= 1 point", "[quant][slow]") {
    const auto data = train::load_fashion_mnist(ACCELNAS_FMNIST_DIR, 12000, 2000);
    const auto net = train::adapt_network(g::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"), 32, 1, 10);
    check_int8_after_training(net, data, 12000);
}

TEST_CASE("int8 on a MobilenetEdgeTPU-style network (fused IBN + IBN) trained briefly: drop <= 1 point",
          "[quant][slow]") {
    const auto net = edgetpu_style();
    // tests/quant/edgetpu_small.json is this network, for `accelnas-train --model ... --int8`.
    CHECK(g::structural_difference(net, g::load_network(ACCELNAS_SOURCE_DIR "/tests/quant/edgetpu_small.json")) == "");
    const auto data = train::load_fashion_mnist(ACCELNAS_FMNIST_DIR, 8000, 2000);
    check_int8_after_training(net, data, 8000);
}
