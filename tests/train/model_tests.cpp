// train::model from graph::network (parameters, exported layout, inference, checkpoints), the
// optimizers and schedules, the Fashion-MNIST loader, and short real training runs on a subset.
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <zlib.h>

using namespace accelnas;
using namespace accelnas::train;
using graph::activation;

namespace {

graph::network peer_network() { return graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json"); }

// A network touching every op kind the trainer maps: SE (mul broadcast), concat, pooling, pad,
// standalone BN and activation, flatten + dense with BN, hard-swish, a trailing softmax.
graph::network every_op_network() {
    graph::network n("every_op");
    auto x = n.input({1, 12, 12, 2});
    auto a = n.conv2d(x, {.filters = 8, .kernel = 3, .stride = 2, .act = activation::hard_swish});
    a = graph::blocks::ibn(n, a, {.expanded = 16, .out = 8, .kernel = 3, .se = {.reduced = 4}});
    auto b = n.max_pool(a, {.kernel = 2, .stride = 1, .pad = graph::padding::same});
    auto c = n.avg_pool(a, {.kernel = 3, .stride = 1, .pad = graph::padding::same});
    auto d = n.concat({b, c});
    d = n.batch_norm(d, {.act = activation::relu6});
    d = n.pad(d, {1, 0, 0, 1});
    d = n.activate(d, activation::swish);
    d = n.conv2d(d, {.filters = 6, .kernel = 2, .pad = graph::padding::valid, .bias = true, .bn = false,
                     .act = activation::sigmoid});
    auto f = n.flatten(d);
    f = n.fully_connected(f, {.units = 12, .bias = false, .bn = true, .act = activation::relu});
    f = n.fully_connected(f, {.units = 10});
    n.softmax(f);
    return n;
}

const dataset& small_data() {
    static const dataset d = load_fashion_mnist(ACCELNAS_FMNIST_DIR, 6000, 1000);
    return d;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("accelnas_train_" + name)).string();
}

}  // namespace

TEST_CASE("model of the peer network: PyTorch's parameter count, exported layout, inference", "[train]") {
    rng g(0);
    model m(peer_network(), g);
    CHECK(m.parameter_count() == 38618);  // the peer's count with 1 input channel
    const auto ps = m.export_parameters();
    REQUIRE(ps.size() == 15);  // stem, 4 x 3 convs, head conv, dense
    CHECK(ps[0].op == 1);
    CHECK(shape_of(ps[0].weight) == shape4{3, 3, 1, 16});  // HWIO
    CHECK(shape_of(ps[2].weight) == shape4{3, 3, 1, 64});  // depthwise: I = 1
    CHECK(ps[0].bn_gamma.size() == 16);
    CHECK(ps[0].bn_var(0) == 1.0f);
    CHECK(ps[0].bias.size() == 0);
    const auto& fc = ps.back();
    CHECK(shape_of(fc.weight) == shape4{1, 1, 128, 10});
    CHECK(fc.bias.size() == 10);
    CHECK(fc.bn_gamma.size() == 0);
    // He (fan-out) init: stem std sqrt(2 / (9 * 16)).
    double sq = 0;
    for (float v : ps[0].weight) sq += double(v) * v;
    CHECK(std::sqrt(sq / 144) == Approx(std::sqrt(2.0 / 144)).epsilon(0.35));

    tensor x = xt::empty<float>(shape4{5, 32, 32, 1});
    for (auto& v : x) v = float(normal01(g));
    const auto logits = m.predict(x);
    CHECK(logits.shape()[0] == 5);
    CHECK(logits.shape()[1] == 10);
    // Inference is per image: one image alone gives the same logits.
    tensor x1 = xt::view(x, xt::range(2, 3), xt::all(), xt::all(), xt::all());
    const auto l1 = m.predict(x1);
    for (std::size_t k = 0; k < 10; ++k) CHECK(l1(0, k) == Approx(logits(2, k)).margin(1e-4));
    tensor bad = xt::zeros<float>(shape4{1, 28, 28, 1});
    CHECK_THROWS_AS(m.predict(bad), accelnas::error);
}

TEST_CASE("PyTorch's default init is available: U(+-1/sqrt(fan_in)) kernels and biases", "[train]") {
    rng g(0);
    model m(peer_network(), g, {.init = init_scheme::torch_default});
    const auto ps = m.export_parameters();
    const double stem = 1.0 / 3.0, dense = 1.0 / std::sqrt(128.0);  // fan_in 9 and 128
    CHECK(xt::amax(xt::abs(ps[0].weight))() <= stem);
    CHECK(xt::amax(xt::abs(ps[0].weight))() > 0.9 * stem);
    CHECK(xt::amax(xt::abs(ps.back().weight))() <= dense);
    CHECK(xt::amax(xt::abs(ps.back().bias))() > 0.0);
}

TEST_CASE("every op kind trains: loss decreases on a fixed batch", "[train]") {
    rng g(4);
    model m(every_op_network(), g);
    tensor x = xt::empty<float>(shape4{16, 12, 12, 2});
    for (auto& v : x) v = float(normal01(g));
    std::vector<std::int32_t> labels(16);
    for (std::size_t i = 0; i < 16; ++i) labels[i] = std::int32_t(i % 10);
    tape t(2);
    adam opt{};
    float first = 0, last = 0;
    for (int s = 0; s < 60; ++s) {
        t.clear();
        auto loss = softmax_cross_entropy(m.forward(t, x, true), labels);
        last = t.value(loss)(0, 0, 0, 0);
        if (s == 0) first = last;
        t.backward(loss);
        opt.step(m.parameters(), 0.01f);
    }
    CHECK(last < 0.5f * first);
    CHECK(m.predict(x).shape()[1] == 10);  // the trailing softmax is left out
}

TEST_CASE("checkpoints round-trip exactly, truncated, foreign and mismatched files are errors", "[train]") {
    rng g(1);
    model a(peer_network(), g);
    // Move the running statistics away from their initial values.
    tensor x = xt::empty<float>(shape4{8, 32, 32, 1});
    for (auto& v : x) v = float(normal01(g));
    {
        tape t;
        a.forward(t, x, true);
    }
    const auto path = temp_path("ckpt.bin");
    a.save(path);
    rng g2(99);
    model b(peer_network(), g2);
    b.load(path);
    const auto pa = a.export_parameters(), pb = b.export_parameters();
    for (std::size_t i = 0; i < pa.size(); ++i) {
        const bool same = pa[i].weight == pb[i].weight && pa[i].bn_mean == pb[i].bn_mean && pa[i].bn_var == pb[i].bn_var;
        CHECK(same);
    }
    const auto ya = a.predict(x);
    CHECK(bool(ya == b.predict(x)));

    // Truncated: every prefix of the file is rejected.
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const auto cut = temp_path("ckpt_cut.bin");
    for (std::size_t len : {std::size_t{0}, std::size_t{5}, std::size_t{30}, bytes.size() / 2, bytes.size() - 1}) {
        std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(len));
        CHECK_THROWS_AS(b.load(cut), accelnas::error);
    }
    std::ofstream(cut, std::ios::binary) << "PK\x03\x04 certainly not a checkpoint";
    CHECK_THROWS_WITH(b.load(cut), Catch::Contains("not an accelnas checkpoint"));
    CHECK_THROWS_AS(b.load(temp_path("does_not_exist.bin")), accelnas::error);
    model other(every_op_network(), g);
    CHECK_THROWS_WITH(other.load(path), Catch::Contains("another network"));
    CHECK(bool(b.predict(x) == ya));  // failed loads left b unchanged
    std::remove(path.c_str());
    std::remove(cut.c_str());
}

TEST_CASE("optimizers follow their update rules, weight decay skips BN and biases", "[train]") {
    auto params = [] {
        std::vector<parameter> ps(2);
        ps[0] = {"w", xt::ones<float>(shape4{1, 1, 1, 2}), xt::zeros<float>(shape4{1, 1, 1, 2}), true};
        ps[1] = {"b", xt::ones<float>(shape4{1, 1, 1, 1}), xt::zeros<float>(shape4{1, 1, 1, 1}), false};
        ps[0].grad(0, 0, 0, 0) = 0.5f;
        ps[1].grad(0, 0, 0, 0) = 0.5f;
        return ps;
    };
    {
        auto ps = params();
        sgd o{.momentum = 0.9f, .nesterov = true, .weight_decay = 0.1f};
        o.step(ps, 0.1f);
        // g = 0.5 + 0.1; buf = 0.6; nesterov step = g + 0.9 buf = 1.14.
        CHECK(ps[0].value(0, 0, 0, 0) == Approx(1 - 0.1 * 1.14));
        CHECK(ps[0].value(0, 0, 0, 1) == Approx(1 - 0.1 * 0.19));  // decay alone: g = 0.1
        CHECK(ps[1].value(0, 0, 0, 0) == Approx(1 - 0.1 * 0.95));  // no decay on the bias
        o.step(ps, 0.1f);  // second step: buf = 0.9 * 0.6 + g'
        const double w1 = 1 - 0.1 * 1.14, g2 = 0.5 + 0.1 * w1, buf2 = 0.9 * 0.6 + g2;
        CHECK(ps[0].value(0, 0, 0, 0) == Approx(w1 - 0.1 * (g2 + 0.9 * buf2)));
    }
    {
        auto ps = params();
        rmsprop o{.decay = 0.9f, .momentum = 0.0f, .epsilon = 1e-3f, .weight_decay = 0.0f};
        o.step(ps, 0.1f);
        // ms starts at 1 (TensorFlow): ms = 0.9 + 0.1 * 0.25.
        CHECK(ps[1].value(0, 0, 0, 0) == Approx(1 - 0.1 * 0.5 / std::sqrt(0.925 + 1e-3)));
    }
    {
        auto ps = params();
        adam o{};
        o.step(ps, 0.01f);
        CHECK(ps[1].value(0, 0, 0, 0) == Approx(1 - 0.01).epsilon(1e-5));  // first step: lr * sign(g)
    }
}

TEST_CASE("schedules: the peer's cosine with warm-up, exponential", "[train]") {
    lr_schedule s{.kind = schedule_kind::cosine, .base = 0.1f, .warmup_steps = 10, .total_steps = 100};
    CHECK(s.at(0) == Approx(0.01));
    CHECK(s.at(9) == Approx(0.1 * 0.5 * (1 + std::cos(M_PI * 9 / 100))));
    CHECK(s.at(50) == Approx(0.05));
    CHECK(s.at(99) < 0.0001f);
    lr_schedule e{.kind = schedule_kind::exponential, .base = 1.0f, .decay_rate = 0.5f, .decay_steps = 10};
    CHECK(e.at(9) == 1.0f);
    CHECK(e.at(10) == 0.5f);
    CHECK(e.at(25) == 0.25f);
    CHECK_THROWS_AS(parse_schedule_kind("linear"), accelnas::error);
}

TEST_CASE("Fashion-MNIST: sizes, the peer's normalisation, padding, flips, channels", "[train]") {
    const auto& d = small_data();
    CHECK(d.train.count == 6000);
    CHECK(d.test.count == 1000);
    CHECK(d.train.rows == 28);
    CHECK(d.train.pixels.size() == 6000u * 28 * 28);
    std::size_t per_class[10] = {};
    for (auto l : d.test.labels) ++per_class[l];
    for (auto c : per_class) CHECK(c > 50);
    const auto full = load_fashion_mnist(ACCELNAS_FMNIST_DIR, 0, 10);
    CHECK(full.train.count == 60000);
    CHECK(full.mean[0] == Approx(0.2860).margin(1e-3));   // the well-known Fashion-MNIST statistics
    CHECK(full.stddev[0] == Approx(0.3530).margin(1e-3));

    rng g(0);
    tensor x;
    std::vector<std::int32_t> labels;
    const std::size_t idx[2] = {0, 1};
    make_batch(d, d.train, idx, {32, 3, false, 0}, g, x, labels);
    CHECK(shape_of(x) == shape4{2, 32, 32, 3});
    CHECK(labels[0] == d.train.labels[0]);
    CHECK(x(0, 0, 0, 0) == 0.0f);  // the 2-pixel border is zero after normalisation
    const std::uint8_t p = d.train.pixels[10 * 28 + 5];
    CHECK(x(0, 12, 7, 0) == d.lut[0][p]);
    CHECK(x(0, 12, 7, 2) == d.lut[0][p]);  // replicated channels
    // Flips: with p = 0.5 over 64 images, some are mirrored (column c -> 27 - c).
    std::vector<std::size_t> many(64, 0);
    make_batch(d, d.train, many, {32, 1, true, 0}, g, x, labels);
    std::size_t mirrored = 0;
    for (std::size_t b = 0; b < 64; ++b) mirrored += x(b, 12, 2 + 27 - 5, 0) == d.lut[0][p] && x(b, 12, 7, 0) != d.lut[0][p];
    CHECK(mirrored > 10);
    CHECK(mirrored < 54);
}

TEST_CASE("Fashion-MNIST: missing and corrupt files are clear errors", "[train]") {
    CHECK_THROWS_WITH(load_fashion_mnist("/nonexistent/fmnist"), Catch::Contains("dataset-fashion-mnist"));
    const auto dir = std::filesystem::temp_directory_path() / "accelnas_train_bad_fmnist";
    std::filesystem::create_directories(dir);
    for (const char* f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                          "t10k-labels-idx1-ubyte.gz"})
        std::filesystem::copy_file(std::string(ACCELNAS_FMNIST_DIR) + "/" + f, dir / f,
                                   std::filesystem::copy_options::overwrite_existing);
    // A truncated gzip of the training images.
    {
        std::ifstream in(dir / "train-images-idx3-ubyte.gz", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(dir / "train-images-idx3-ubyte.gz", std::ios::binary).write(bytes.data(), 100000);
    }
    CHECK_THROWS_AS(load_fashion_mnist(dir.string()), accelnas::error);
    // A valid gzip whose IDX payload is short.
    {
        gzFile f = gzopen((dir / "train-images-idx3-ubyte.gz").string().c_str(), "wb");
        const unsigned char hdr[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
        gzwrite(f, hdr, 16);
        gzclose(f);
    }
    CHECK_THROWS_WITH(load_fashion_mnist(dir.string()), Catch::Contains("truncated or corrupt"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("training the peer model on 6000 images reaches > 80% test accuracy", "[train]") {
    const auto& d = small_data();
    fit_options o;
    o.epochs = 3;
    o.threads = 2;
    o.warmup_epochs = 0.5;
    std::vector<double> accs;
    o.on_epoch = [&](const epoch_report& r) { accs.push_back(r.test_acc); };
    const auto r = fit(peer_network(), d, o);
    CHECK(r.epochs == 3);
    CHECK(accs.size() == 3);
    CHECK(r.history.back().train_loss < r.history.front().train_loss);
    CHECK(r.test_acc > 0.80);
    CHECK(r.img_per_s > 0);
}

TEST_CASE("training is deterministic: same seed, same weights, with 2 threads too", "[train]") {
    dataset d = load_fashion_mnist(ACCELNAS_FMNIST_DIR, 1280, 100);
    fit_options o;
    o.threads = 2;
    std::vector<parameter_set> runs;
    for (int i = 0; i < 2; ++i) {
        rng g(3);
        model m(peer_network(), g);
        fit(m, d, o);
        runs.push_back(m.export_parameters());
    }
    bool same = true;
    for (std::size_t i = 0; i < runs[0].size(); ++i)
        same = same && runs[0][i].weight == runs[1][i].weight && runs[0][i].bn_mean == runs[1][i].bn_mean;
    CHECK(same);
}

TEST_CASE("divergence stops training with a clear error", "[train]") {
    dataset d = load_fashion_mnist(ACCELNAS_FMNIST_DIR, 640, 100);
    fit_options o;
    o.lr = 1e30f;
    o.warmup_epochs = 0;
    rng g(0);
    model m(peer_network(), g);
    CHECK_THROWS_AS(fit(m, d, o), diverged);
    // The network overload fails the same way, with a message naming where.
    CHECK_THROWS_AS(fit(peer_network(), d, o), diverged);
    CHECK_THROWS_WITH(fit(peer_network(), d, o), Catch::Contains("train::fit") && Catch::Contains("at epoch 1"));
}

TEST_CASE("adapt_network fits any spec to 32x32xC inputs and 10 classes", "[train]") {
    graph::network n("wide");
    auto x = n.input({1, 224, 224, 3});
    x = n.conv2d(x, {.filters = 8, .kernel = 3, .stride = 2});
    x = n.global_avg_pool(x);
    n.fully_connected(x, {.units = 1000});
    const auto a = adapt_network(n, 32, 1, 10);
    CHECK(a.input_shape() == graph::tensor_shape{1, 32, 32, 1});
    CHECK(a.ops().back().out.c == 10);
    graph::network r("fixed_reshape");
    auto y = r.input({1, 8, 8, 1});
    y = r.reshape(y, {1, 4, 4, 4});
    r.fully_connected(y, {.units = 10});
    CHECK_THROWS_AS(adapt_network(r, 32, 1, 10), accelnas::error);
}

TEST_CASE("fit adapts a network with a flatten and dense BN, a last batch of one image is dropped", "[train]") {
    dataset d = load_fashion_mnist(ACCELNAS_FMNIST_DIR, 65, 50);
    fit_options o;
    o.augment.channels = 3;
    const auto r = fit(every_op_network(), d, o);
    CHECK(r.epochs == 1);
    CHECK(r.history.at(0).train_loss > 0);
}
