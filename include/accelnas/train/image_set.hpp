#pragma once
/// \file
/// Labelled uint8 images with any number of channels and classes, a data set made of a training, a
/// validation and a test part, per-channel normalisation (computed from the training images or
/// given), and the validation split carved from the training images by seed. The loaders
/// (fashion_mnist.hpp, cifar.hpp, imageio/image_folder.hpp) fill these; augment.hpp turns them into
/// batches.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace accelnas::train {

/// Labelled uint8 images, row-major with interleaved channels (HWC per image).
struct image_set {
    std::vector<std::uint8_t> pixels;   ///< count * rows * cols * channels
    std::vector<std::int32_t> labels;   ///< count, each in [0, classes)
    std::size_t count = 0, rows = 0, cols = 0;
    std::size_t channels = 1;           ///< 1 (grey) or 3 (RGB)

    /// Bytes of one image.
    std::size_t image_bytes() const { return rows * cols * channels; }
};

/// A data set: the images a model trains on, the validation images carved from the training
/// images (what a search or a tuning loop may select on), the test images (to report a chosen
/// model, never to choose one), and the normalisation of each channel.
struct dataset {
    image_set train, validation, test;
    std::size_t classes = 10;
    std::vector<float> mean{0.0f}, stddev{1.0f};    ///< per channel, on the [0, 1] scale
    std::vector<std::array<float, 256>> lut{{}};    ///< per channel: (v / 255 - mean) / stddev
};

/// How a loader shapes the data set after reading it.
struct load_options {
    std::size_t train_limit = 0;       ///< keep only the first training images after the split (0 = all)
    std::size_t validation_limit = 0;  ///< keep only the first validation images (0 = all)
    std::size_t test_limit = 0;        ///< keep only the first test images (0 = all)
    double validation = 0.1;           ///< fraction of the training images carved out as validation
    std::uint64_t seed = 0;            ///< which training images become validation images
    std::vector<float> mean, stddev;   ///< given normalisation (one value per channel); empty: computed
};

/// Throws unless `s` is consistent and every label is below `classes`; `what` names the set.
inline void check_image_set(const image_set& s, std::size_t classes, const std::string& what) {
    require(s.channels == 1 || s.channels == 3, what, ": images have ", s.channels, " channels (expected 1 or 3)");
    require(s.pixels.size() == s.count * s.image_bytes() && s.labels.size() == s.count, what, ": ", s.count,
            " images of ", s.rows, "x", s.cols, "x", s.channels, " need ", s.count * s.image_bytes(), " pixel bytes and ",
            s.count, " labels, got ", s.pixels.size(), " and ", s.labels.size());
    for (std::size_t i = 0; i < s.count; ++i)
        require(s.labels[i] >= 0 && std::size_t(s.labels[i]) < classes, what, ": label ", s.labels[i], " of image ", i,
                " is not in 0..", classes - 1);
}

/// Sets the normalisation of `d` to the given per-channel mean and standard deviation (on the
/// [0, 1] scale); one value each per channel of the training images.
inline void set_normalisation(dataset& d, const std::vector<float>& mean, const std::vector<float>& stddev) {
    require(mean.size() == d.train.channels && stddev.size() == d.train.channels, "normalisation: ", mean.size(),
            " mean(s) and ", stddev.size(), " standard deviation(s) given for images of ", d.train.channels, " channel(s)");
    d.mean = mean;
    d.stddev = stddev;
    d.lut.assign(mean.size(), {});
    for (std::size_t c = 0; c < mean.size(); ++c) {
        require(std::isfinite(stddev[c]) && stddev[c] > 0 && std::isfinite(mean[c]), "normalisation: channel ", c,
                " has mean ", mean[c], " and standard deviation ", stddev[c], " (the deviation must be positive)");
        for (int v = 0; v < 256; ++v) d.lut[c][std::size_t(v)] = float((v / 255.0 - double(mean[c])) / double(stddev[c]));
    }
}

/// Computes the normalisation of `d` from its training images: the exact mean and standard
/// deviation of each channel (from a histogram of the byte values), as PyTorch code computes them.
inline void compute_normalisation(dataset& d) {
    const image_set& s = d.train;
    require(s.count > 0, "normalisation: the training set is empty");
    std::vector<std::array<double, 256>> hist(s.channels);
    for (std::size_t i = 0; i < s.pixels.size(); ++i) hist[i % s.channels][s.pixels[i]] += 1;
    d.mean.assign(s.channels, 0.0f);
    d.stddev.assign(s.channels, 1.0f);
    d.lut.assign(s.channels, {});
    for (std::size_t c = 0; c < s.channels; ++c) {
        const auto& h = hist[c];
        double n = 0, sum = 0;
        for (int v = 0; v < 256; ++v) { n += h[v]; sum += h[v] * v / 255.0; }
        const double mean = sum / n;
        double q = 0;
        for (int v = 0; v < 256; ++v) q += h[v] * (v / 255.0 - mean) * (v / 255.0 - mean);
        const double sd = std::sqrt(q / n);
        require(sd > 0, "normalisation: channel ", c, " of the training images has zero variance");
        d.mean[c] = float(mean);
        d.stddev[c] = float(sd);
        for (int v = 0; v < 256; ++v) d.lut[c][std::size_t(v)] = float((v / 255.0 - mean) / sd);
    }
}

namespace detail {
// The images `idx` (ascending) of `s`.
inline image_set select(const image_set& s, const std::vector<std::size_t>& idx) {
    image_set r;
    r.rows = s.rows;
    r.cols = s.cols;
    r.channels = s.channels;
    r.count = idx.size();
    const std::size_t b = s.image_bytes();
    r.pixels.resize(idx.size() * b);
    r.labels.resize(idx.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
        std::copy_n(s.pixels.begin() + std::ptrdiff_t(idx[k] * b), b, r.pixels.begin() + std::ptrdiff_t(k * b));
        r.labels[k] = s.labels[idx[k]];
    }
    return r;
}

// Keeps the first `limit` images of `s` (0 = all).
inline void truncate(image_set& s, std::size_t limit) {
    if (limit == 0 || limit >= s.count) return;
    s.count = limit;
    s.pixels.resize(limit * s.image_bytes());
    s.pixels.shrink_to_fit();
    s.labels.resize(limit);
}
}  // namespace detail

/// Moves round(fraction x training images) images, chosen by `seed` (a seeded shuffle), from
/// `d.train` into `d.validation`. Both parts keep the images' original order; any earlier
/// validation images are returned to the training part first, so the split depends only on the
/// training images, the fraction and the seed.
inline void split_validation(dataset& d, double fraction, std::uint64_t seed) {
    require(fraction >= 0 && fraction < 1, "validation split: the fraction must be in [0, 1), got ", fraction);
    if (d.validation.count) {
        // Validation images sit at the end after a merge: a split of a split is the same split.
        image_set merged = d.train;
        merged.pixels.insert(merged.pixels.end(), d.validation.pixels.begin(), d.validation.pixels.end());
        merged.labels.insert(merged.labels.end(), d.validation.labels.begin(), d.validation.labels.end());
        merged.count += d.validation.count;
        d.train = std::move(merged);
        d.validation = {};
    }
    const std::size_t n = d.train.count, k = std::size_t(std::llround(fraction * double(n)));
    d.validation.rows = d.train.rows;
    d.validation.cols = d.train.cols;
    d.validation.channels = d.train.channels;
    if (k == 0) return;
    require(k < n, "validation split: ", fraction, " of ", n, " training images leaves none to train on");
    std::vector<std::size_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    rng g(derive_seed(seed, 0x76616C6964ull));  // "valid"
    for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[uniform_index(g, i)]);
    std::vector<std::size_t> val(perm.begin(), perm.begin() + std::ptrdiff_t(k)), keep(perm.begin() + std::ptrdiff_t(k), perm.end());
    std::sort(val.begin(), val.end());
    std::sort(keep.begin(), keep.end());
    d.validation = detail::select(d.train, val);
    d.train = detail::select(d.train, keep);
}

/// What every loader does after reading the raw parts: checks them, carves the validation split,
/// applies the limits, and sets the normalisation (given, or computed from the training images
/// that remain). `what` names the data set in errors.
inline void finish_loading(dataset& d, const load_options& o, const std::string& what) {
    check_image_set(d.train, d.classes, what + " (training images)");
    if (d.test.count) check_image_set(d.test, d.classes, what + " (test images)");
    require(d.test.count == 0 || (d.test.rows == d.train.rows && d.test.cols == d.train.cols &&
                                  d.test.channels == d.train.channels),
            what, ": test images are ", d.test.rows, "x", d.test.cols, "x", d.test.channels, " but training images ",
            d.train.rows, "x", d.train.cols, "x", d.train.channels);
    if (d.test.count == 0) {
        d.test.rows = d.train.rows;
        d.test.cols = d.train.cols;
        d.test.channels = d.train.channels;
    }
    split_validation(d, o.validation, o.seed);
    detail::truncate(d.train, o.train_limit);
    detail::truncate(d.validation, o.validation_limit);
    detail::truncate(d.test, o.test_limit);
    if (o.mean.empty() && o.stddev.empty()) compute_normalisation(d);
    else set_normalisation(d, o.mean, o.stddev);
}

}  // namespace accelnas::train
