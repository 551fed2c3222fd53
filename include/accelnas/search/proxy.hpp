#pragma once
/// \file
/// The proxy task of `accelnas-search`: how a candidate's accuracy is measured. A candidate of a
/// space is decoded twice: at the target's input (224x224x3, 1000 classes) for its latency and
/// parameter bytes, and at proxy size for a short training on Fashion-MNIST:
///
/// - input 32x32x1 (the 28x28 images centred and zero-padded), 10 classes;
/// - every filter count scaled by `width` (default 0.25) with EfficientNet's `round_filters`
///   (multiples of 8), the depth unchanged (the layer counts are decisions of the space), through
///   `space::decode_scaled`;
/// - `epochs` epochs (default 1) of SGD (Nesterov 0.9, cosine schedule, 10% warm-up) over the first
///   `train_images` training images, accuracy on the first `test_images` test images;
/// - single-threaded, seeded by (search seed, step): the accuracy depends only on the architecture
///   and the step, so a resumed search reproduces it.
/// This header includes the trainer; the rest of `search` does not.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/space/scaling.hpp>
#include <accelnas/train/trainer.hpp>

#include <cstdint>
#include <string>

namespace accelnas::search {

/// Settings of the proxy task.
struct proxy_options {
    std::int64_t resolution = 32;     ///< square input of the proxy network
    std::int64_t channels = 1;        ///< input channels (Fashion-MNIST is grey)
    double width = 0.25;              ///< filter multiplier applied to the decoded network
    std::size_t train_images = 6000;  ///< training images used (the first ones of the split)
    std::size_t test_images = 2000;   ///< test images used
    std::size_t epochs = 1;           ///< training epochs
    std::size_t batch = 64;           ///< mini-batch size
    float lr = 0.1f;                  ///< peak learning rate
    double warmup_epochs = 0.1;       ///< linear warm-up length in epochs
};

/// Throws unless the proxy options are usable.
inline void validate(const proxy_options& o) {
    require(o.resolution >= 28, "proxy: resolution must be at least 28 (Fashion-MNIST images are 28x28), got ", o.resolution);
    require(o.channels == 1 || o.channels == 3, "proxy: channels must be 1 or 3, got ", o.channels);
    require(o.width > 0, "proxy: width must be positive, got ", o.width);
    require(o.train_images >= 1 && o.test_images >= 1, "proxy: train_images and test_images must be at least 1");
    require(o.epochs >= 1 && o.batch >= 1, "proxy: epochs and batch must be at least 1");
    require(o.lr > 0, "proxy: lr must be positive");
}

/// The proxy network of architecture `a` of space `s` (see the file comment).
inline graph::network proxy_network(const space::any_space& s, const space::architecture& a, const proxy_options& o,
                                    std::int64_t classes = 10) {
    return space::decode_scaled(*s.description, a, {.width = o.width, .depth = 1.0, .resolution = o.resolution}, classes, o.channels);
}

/// Loads the Fashion-MNIST subset the proxy trains on.
inline train::dataset load_proxy_data(const std::string& dir, const proxy_options& o) {
    return train::load_fashion_mnist(dir, o.train_images, o.test_images);
}

/// Proxy accuracy of `net` (already at proxy size) trained on `data` with seed `seed`; throws
/// `accelnas::error` when training diverges (the search marks the candidate failed).
inline double proxy_accuracy(const graph::network& net, const train::dataset& data, const proxy_options& o, std::uint64_t seed) {
    train::fit_options fo;
    fo.epochs = o.epochs;
    fo.batch = o.batch;
    fo.threads = 1;
    fo.lr = o.lr;
    fo.warmup_epochs = o.warmup_epochs;
    fo.augment.size = static_cast<std::size_t>(o.resolution);
    fo.augment.channels = static_cast<std::size_t>(o.channels);
    fo.augment.flip = false;
    fo.seed = seed;
    try {
        return train::fit(net, data, fo).test_acc;
    } catch (const train::diverged& e) {
        fail("training failed: ", e.what());
    }
}

/// A seed for step `step` of a search seeded with `seed` (SplitMix64 of both).
inline std::uint64_t step_seed(std::uint64_t seed, std::uint64_t step) {
    return derive_seed(seed, step + 0x632BE59BD9B4E019ull);
}

}  // namespace accelnas::search
