#pragma once
/// \file
/// Calibration images for post-training int8 quantization (quant::observe_ranges), as
/// `accelnas-export --int8` draws them: the first training images of Fashion-MNIST preprocessed as
/// `accelnas-train` feeds them, or, when a network has no data set at hand, uniform random images.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/train/augment.hpp>
#include <accelnas/train/fashion_mnist.hpp>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::app {

/// Where calibration images come from.
enum class calibration_source {
    random,         ///< uniform in [-1, 1): the activation ranges then describe that input, not real images
    fashion_mnist,  ///< the first training images of Fashion-MNIST, preprocessed as accelnas-train does
};

/// Parses "random" or "fmnist".
inline calibration_source parse_calibration_source(std::string_view s) {
    if (s == "random") return calibration_source::random;
    if (s == "fmnist") return calibration_source::fashion_mnist;
    fail("calibration images '", s, "': expected 'random' or 'fmnist'");
}

/// `count` NHWC calibration images for the input of `net`. Random images are drawn from rng(`seed`);
/// Fashion-MNIST images (from `dir`) need the trainer's input, 32x32 with 1 or 3 channels.
inline train::tensor calibration_images(const graph::network& net, calibration_source src, std::size_t count,
                                        std::uint64_t seed, const std::string& dir = train::default_fashion_mnist_dir) {
    require(count > 0, "calibration needs at least one image");
    const auto s = net.input_shape();
    if (src == calibration_source::random) {
        rng g(seed);
        train::tensor x = xt::empty<float>({count, std::size_t(s.h), std::size_t(s.w), std::size_t(s.c)});
        for (auto& v : x) v = float(uniform01(g) * 2.0 - 1.0);
        return x;
    }
    require(s.h == 32 && s.w == 32 && (s.c == 1 || s.c == 3), "calibration on Fashion-MNIST needs the trainer's input ",
            "(32x32 with 1 or 3 channels), but network '", net.name(), "' takes ", s.h, "x", s.w, "x", s.c);
    const auto data = train::load_fashion_mnist(dir, count, 1);
    require(data.train.count >= count, "Fashion-MNIST in '", dir, "' has ", data.train.count, " training images, fewer than ",
            count);
    std::vector<std::size_t> idx(count);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    rng no_augmentation(0);
    train::tensor x;
    std::vector<std::int32_t> labels;
    train::make_batch(data, data.train, idx, {32, std::size_t(s.c), false, 0}, no_augmentation, x, labels);
    return x;
}

}  // namespace accelnas::app
