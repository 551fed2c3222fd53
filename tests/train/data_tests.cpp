// Data sets beyond Fashion-MNIST: CIFAR-10/100 binary files written here, multi-channel images and
// any number of classes, per-channel normalisation, the validation split, RGB augmentation, and a
// short training on colour images.
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include "scratch.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;
namespace fs = std::filesystem;
using accelnas_test::fresh_dir;

namespace {

// The byte the tests write at pixel p (0..1023) of colour plane c of record i of file f.
std::uint8_t cifar_byte(std::size_t f, std::size_t i, std::size_t c, std::size_t p) {
    return std::uint8_t((f * 31 + i * 7 + c * 50 + p * 3) % 256);
}

// A CIFAR binary file of `n` records: `label_bytes` labels from `label(i)`, then R, G, B planes.
void write_cifar(const fs::path& path, std::size_t f, std::size_t n, std::size_t label_bytes,
                 const std::function<std::vector<std::uint8_t>(std::size_t)>& label) {
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < n; ++i) {
        const auto l = label(i);
        REQUIRE(l.size() == label_bytes);
        out.write(reinterpret_cast<const char*>(l.data()), std::streamsize(l.size()));
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t p = 0; p < 1024; ++p) out.put(char(cifar_byte(f, i, c, p)));
    }
}

fs::path cifar10_dir(const std::string& name, std::size_t per_file = 4) {
    const auto d = fresh_dir(name);
    for (std::size_t f = 1; f <= 5; ++f)
        write_cifar(d / ("data_batch_" + std::to_string(f) + ".bin"), f, per_file, 1,
                    [&](std::size_t i) { return std::vector<std::uint8_t>{std::uint8_t((f + i) % 10)}; });
    write_cifar(d / "test_batch.bin", 6, 3, 1, [](std::size_t i) { return std::vector<std::uint8_t>{std::uint8_t(9 - i)}; });
    return d;
}

// Images whose class is their colour (plus noise): learnable by a tiny network in a few epochs.
dataset colour_data(std::size_t classes, std::size_t per_class, std::uint64_t seed) {
    dataset d;
    d.classes = classes;
    rng g(seed);
    for (auto* s : {&d.train, &d.test}) {
        s->rows = s->cols = 8;
        s->channels = 3;
        for (std::size_t k = 0; k < classes; ++k)
            for (std::size_t i = 0; i < per_class; ++i) {
                for (std::size_t p = 0; p < 64; ++p)
                    for (std::size_t c = 0; c < 3; ++c) {
                        const int base = ((k >> c) & 1) ? 200 : 40;
                        s->pixels.push_back(std::uint8_t(base + int(uniform_index(g, 41)) - 20));
                    }
                s->labels.push_back(std::int32_t(k));
                ++s->count;
            }
    }
    load_options o;
    o.validation = 0.2;
    o.seed = seed;
    finish_loading(d, o, "colour test data");
    return d;
}

}  // namespace

TEST_CASE("CIFAR-10: records of 1 + 3072 bytes become interleaved RGB images with their labels", "[train][data]") {
    const auto dir = cifar10_dir("c10");
    load_options o;
    o.validation = 0;
    const auto d = load_cifar10(dir.string(), o);
    CHECK(d.classes == 10);
    REQUIRE(d.train.count == 20);
    REQUIRE(d.test.count == 3);
    CHECK(d.train.channels == 3);
    CHECK(d.train.rows == 32);
    CHECK(d.train.cols == 32);
    // Image 6 is record 2 of data_batch_2.bin: pixel (row 5, col 9) is plane index 5 * 32 + 9.
    const std::size_t img = 6, p = 5 * 32 + 9;
    for (std::size_t c = 0; c < 3; ++c) CHECK(d.train.pixels[img * 3072 + p * 3 + c] == cifar_byte(2, 2, c, p));
    CHECK(d.train.labels[6] == 4);
    CHECK(d.test.labels[2] == 7);
    CHECK(d.test.pixels[1 * 3072 + 0 * 3 + 2] == cifar_byte(6, 1, 2, 0));
    // Per-channel normalisation: the mean and deviation of what was written, channel by channel.
    for (std::size_t c = 0; c < 3; ++c) {
        double s = 0, q = 0, n = 0;
        for (std::size_t f = 1; f <= 5; ++f)
            for (std::size_t i = 0; i < 4; ++i)
                for (std::size_t px = 0; px < 1024; ++px) {
                    const double v = cifar_byte(f, i, c, px) / 255.0;
                    s += v;
                    q += v * v;
                    n += 1;
                }
        const double mean = s / n, sd = std::sqrt(q / n - mean * mean);
        CHECK(d.mean[c] == Approx(mean).epsilon(1e-5));
        CHECK(d.stddev[c] == Approx(sd).epsilon(1e-4));
        CHECK(d.lut[c][200] == Approx((200 / 255.0 - mean) / sd).epsilon(1e-4));
    }
    fs::remove_all(dir);
}

TEST_CASE("CIFAR-100: fine and coarse labels, more than 10 classes", "[train][data]") {
    const auto dir = fresh_dir("c100");
    write_cifar(dir / "train.bin", 1, 30, 2, [](std::size_t i) {
        return std::vector<std::uint8_t>{std::uint8_t(i % 20), std::uint8_t(70 + i)};
    });
    write_cifar(dir / "test.bin", 2, 5, 2, [](std::size_t i) {
        return std::vector<std::uint8_t>{std::uint8_t(19 - i), std::uint8_t(99 - i)};
    });
    load_options o;
    o.validation = 0;
    const auto fine = load_cifar100(dir.string(), o);
    CHECK(fine.classes == 100);
    CHECK(fine.train.labels[29] == 99);
    CHECK(fine.test.labels[0] == 99);
    const auto coarse = load_cifar100(dir.string(), o, cifar100_labels::coarse);
    CHECK(coarse.classes == 20);
    CHECK(coarse.train.labels[29] == 9);
    CHECK(coarse.test.labels[4] == 15);
    // A fine label of 100 is not CIFAR-100.
    write_cifar(dir / "test.bin", 2, 2, 2, [](std::size_t) { return std::vector<std::uint8_t>{1, 100}; });
    CHECK_THROWS_WITH(load_cifar100(dir.string(), o),
                      Catch::Contains("test.bin") && Catch::Contains("label 100 of record 0 is not in 0..99"));
    fs::remove_all(dir);
}

TEST_CASE("CIFAR: missing, empty, truncated and wrong files are clear errors", "[train][data]") {
    CHECK_THROWS_WITH(load_cifar10("/nonexistent/cifar"), Catch::Contains("data_batch_1.bin' does not exist"));
    const auto dir = cifar10_dir("c10bad", 2);
    // Truncated: the last record is cut short.
    fs::resize_file(dir / "data_batch_3.bin", 2 * 3073 - 100);
    CHECK_THROWS_WITH(load_cifar10(dir.string()), Catch::Contains("data_batch_3.bin") &&
                                                      Catch::Contains("not a whole number of 3073-byte records"));
    // CIFAR-100 files (3074-byte records) in a CIFAR-10 folder: wrong size.
    write_cifar(dir / "data_batch_3.bin", 3, 3, 2, [](std::size_t) { return std::vector<std::uint8_t>{0, 0}; });
    CHECK_THROWS_WITH(load_cifar10(dir.string()), Catch::Contains("3073-byte records"));
    // Empty.
    std::ofstream(dir / "data_batch_3.bin", std::ios::trunc).close();
    CHECK_THROWS_WITH(load_cifar10(dir.string()), Catch::Contains("data_batch_3.bin' is empty"));
    // A label of 10.
    write_cifar(dir / "data_batch_3.bin", 3, 2, 1, [](std::size_t i) { return std::vector<std::uint8_t>{std::uint8_t(9 + i)}; });
    CHECK_THROWS_WITH(load_cifar10(dir.string()), Catch::Contains("label 10 of record 1 is not in 0..9"));
    CHECK_THROWS_AS(load_cifar100(dir.string()), accelnas::error);  // no train.bin
    fs::remove_all(dir);
}

TEST_CASE("validation split: the given fraction, disjoint from training, fixed by the seed", "[train][data]") {
    const auto dir = cifar10_dir("c10split", 20);  // 100 training images
    load_options o;
    o.validation = 0.1;
    o.seed = 5;
    const auto a = load_cifar10(dir.string(), o);
    auto counts = [](const dataset& d) { return std::vector<std::size_t>{d.train.count, d.validation.count, d.test.count}; };
    CHECK(counts(a) == std::vector<std::size_t>{90, 10, 3});
    // Every training image is in exactly one part: identify images by their first 4 bytes.
    auto key = [](const image_set& s, std::size_t i) {
        std::uint32_t k = 0;
        for (std::size_t j = 0; j < 4; ++j) k = (k << 8) | s.pixels[i * 3072 + j];
        return k;
    };
    std::set<std::uint32_t> seen;
    for (std::size_t i = 0; i < a.train.count; ++i) seen.insert(key(a.train, i));
    for (std::size_t i = 0; i < a.validation.count; ++i) CHECK(seen.insert(key(a.validation, i)).second);
    CHECK(seen.size() == 100);
    // The same seed gives the same split, another seed another one.
    const auto b = load_cifar10(dir.string(), o);
    CHECK(b.validation.pixels == a.validation.pixels);
    o.seed = 6;
    const auto c = load_cifar10(dir.string(), o);
    CHECK(c.validation.pixels != a.validation.pixels);
    // The limits apply after the split; the normalisation comes from the training images that remain.
    o.train_limit = 30;
    o.validation_limit = 4;
    o.test_limit = 2;
    const auto l = load_cifar10(dir.string(), o);
    CHECK(counts(l) == std::vector<std::size_t>{30, 4, 2});
    CHECK(l.validation.pixels == std::vector<std::uint8_t>(c.validation.pixels.begin(), c.validation.pixels.begin() + 4 * 3072));
    o.validation = 1.0;
    CHECK_THROWS_WITH(load_cifar10(dir.string(), o), Catch::Contains("fraction must be in [0, 1)"));
    fs::remove_all(dir);
}

TEST_CASE("given normalisation, and its errors", "[train][data]") {
    const auto dir = cifar10_dir("c10norm");
    load_options o;
    o.mean = {0.5f, 0.25f, 0.0f};
    o.stddev = {0.5f, 0.25f, 1.0f};
    const auto d = load_cifar10(dir.string(), o);
    CHECK(d.lut[0][255] == Approx(1.0));
    CHECK(d.lut[0][0] == Approx(-1.0));
    CHECK(d.lut[1][0] == Approx(-1.0));
    CHECK(d.lut[2][51] == Approx(0.2));
    o.mean = {0.5f};
    o.stddev = {0.5f};
    CHECK_THROWS_WITH(load_cifar10(dir.string(), o), Catch::Contains("images of 3 channel(s)"));
    o.mean = {0.5f, 0.5f, 0.5f};
    o.stddev = {0.5f, 0.0f, 0.5f};
    CHECK_THROWS_WITH(load_cifar10(dir.string(), o), Catch::Contains("channel 1"));
    fs::remove_all(dir);
}

TEST_CASE("RGB batches: per-channel values, flips, random crop with padding, channel checks", "[train][data]") {
    dataset d;
    d.classes = 3;
    d.train.rows = d.train.cols = 4;
    d.train.channels = 3;
    d.train.count = 2;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t p = 0; p < 16; ++p)
            for (std::size_t c = 0; c < 3; ++c) d.train.pixels.push_back(std::uint8_t(60 * c + p + 50 * i));
    d.train.labels = {2, 0};
    set_normalisation(d, {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f});  // values v / 255
    rng g(1);
    tensor x;
    std::vector<std::int32_t> labels;
    const std::size_t idx[2] = {1, 0};
    make_batch(d, d.train, idx, {8, 3, false, 0}, g, x, labels);
    CHECK(shape_of(x) == shape4{2, 8, 8, 3});
    CHECK(labels == std::vector<std::int32_t>{0, 2});
    // Image 1, pixel (row 1, col 2) = p 6, centred at offset 2.
    for (std::size_t c = 0; c < 3; ++c) CHECK(x(0, 3, 4, c) == Approx((60.0 * c + 6 + 50) / 255.0));
    CHECK(x(0, 0, 0, 1) == 0.0f);
    // Random crop with 2-pixel padding: every image lands shifted by at most 2 pixels each way,
    // all 16 pixels kept inside the 8x8 frame, the rest 0; over 200 draws every shift occurs.
    std::vector<std::size_t> many(200, 0);
    make_batch(d, d.train, many, {8, 3, false, 2}, g, x, labels);
    std::set<std::pair<int, int>> shifts;
    for (std::size_t b = 0; b < many.size(); ++b) {
        int found = 0, y0 = -1, x0 = -1;
        for (int yy = 0; yy < 8; ++yy)
            for (int xx = 0; xx < 8; ++xx)
                if (x(b, yy, xx, 0) != 0.0f) {
                    if (!found) { y0 = yy; x0 = xx; }
                    ++found;
                }
        CHECK(found == 15);  // pixel 0 of channel 0 is byte 0, i.e. 0 after this normalisation
        shifts.insert({y0 - 2, x0 - 2 - 1});  // the first non-zero pixel is (row 0, col 1)
    }
    CHECK(shifts.size() == 25);
    // Flips: columns mirrored.
    std::vector<std::size_t> one(64, 1);
    make_batch(d, d.train, one, {4, 3, true, 0}, g, x, labels);
    std::size_t mirrored = 0;
    for (std::size_t b = 0; b < 64; ++b) mirrored += x(b, 0, 3, 2) == Approx((120.0 + 0 + 50) / 255.0);
    CHECK(mirrored > 10);
    CHECK(mirrored < 54);
    CHECK_THROWS_WITH(make_batch(d, d.train, idx, {8, 1, false, 0}, g, x, labels),
                      Catch::Contains("1 channel(s) requested from images of 3"));
    CHECK_THROWS_WITH(make_batch(d, d.train, idx, {3, 3, false, 0}, g, x, labels), Catch::Contains("smaller than the images"));
}

TEST_CASE("labels are checked against the set's class count", "[train][data]") {
    dataset d;
    d.classes = 12;
    d.train.rows = d.train.cols = 2;
    d.train.count = 3;
    d.train.pixels = std::vector<std::uint8_t>(12, 7);
    d.train.pixels[0] = 9;
    d.train.labels = {0, 11, 5};
    load_options o;
    o.validation = 0;
    CHECK_NOTHROW(finish_loading(d, o, "twelve"));
    d.train.labels[2] = 12;
    CHECK_THROWS_WITH(finish_loading(d, o, "twelve"), Catch::Contains("twelve") && Catch::Contains("label 12 of image 2 is not in 0..11"));
}

TEST_CASE("a tiny network learns colour classes of 3-channel images, the test part is read only when asked", "[train][data]") {
    const auto d = colour_data(6, 40, 3);
    CHECK(d.train.count == 192);
    CHECK(d.validation.count == 48);
    graph::network n("tiny");
    auto x = n.input({1, 8, 8, 3});
    x = n.conv2d(x, {.filters = 8, .kernel = 3, .act = graph::activation::relu});
    x = n.global_avg_pool(x);
    n.fully_connected(x, {.units = 10});
    fit_options o;
    o.epochs = 6;
    o.batch = 16;
    o.lr = 0.05f;
    o.augment = {8, 3, true, 1};
    o.evaluate_test = false;
    const auto r = fit(n, d, o);
    CHECK(r.val_acc > 0.9);
    CHECK(r.test_acc == 0.0);  // not evaluated
    // Scrambled test labels change nothing of a run that does not read them...
    dataset poisoned = d;
    for (auto& l : poisoned.test.labels) l = std::int32_t((l + 1) % 6);
    const auto p = fit(n, poisoned, o);
    CHECK(p.val_acc == r.val_acc);
    CHECK(p.history.back().train_loss == r.history.back().train_loss);
    // ... and are seen by one that does.
    o.evaluate_test = true;
    const double clean = fit(n, d, o).test_acc;
    CHECK(clean > 0.9);
    CHECK(fit(n, poisoned, o).test_acc <= 1.0 - clean + 1e-9);
}
