#pragma once
/// \file
/// The proxy task of `accelnas-search`: how a candidate's accuracy is measured. A candidate of a
/// space is decoded twice: at the space's deployment input (`any_space::deployment`, 224x224x3 and
/// 1000 classes for the shipped spaces) for its latency and parameter bytes, and at proxy size for a
/// short training on a data set (app/data.hpp; Fashion-MNIST by default):
///
/// - input 32x32xC (C: the data set's channels; Fashion-MNIST's 28x28 images centred and
///   zero-padded), the data set's classes;
/// - every filter count scaled by `width` (default 0.25) with EfficientNet's `round_filters`
///   (multiples of 8), the depth unchanged (the layer counts are decisions of the space), through
///   `space::decode_scaled`;
/// - a validation part carved from the training images (`validation`, default 10%, chosen by the
///   search seed); `epochs` epochs (default 1) of SGD (Nesterov 0.9, cosine schedule, 10% warm-up)
///   over the first `train_images` remaining training images; the candidate's accuracy is its
///   top-1 on the first `validation_images` validation images. The test images are never read
///   while a search chooses: `proxy_train(..., with_test = true)` reports chosen architectures
///   on the first `test_images` of them at the end;
/// - single-threaded, seeded by (search seed, step): the accuracy depends only on the architecture
///   and the step, so a resumed search reproduces it.
/// It joins the search space with the trainer, so it lives in the application part: the search part
/// itself never includes train/ (its evaluators are callables).

#include <accelnas/app/data.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/space/scaling.hpp>
#include <accelnas/train/blocking.hpp>
#include <accelnas/train/trainer.hpp>

#include <cstdint>
#include <string>

namespace accelnas::app {

/// Settings of the proxy task.
struct proxy_options {
    std::int64_t resolution = 32;     ///< square input of the proxy network
    std::int64_t channels = 1;        ///< input channels (set from the data set: Fashion-MNIST is grey)
    double width = 0.25;              ///< filter multiplier applied to the decoded network
    std::size_t train_images = 6000;  ///< training images used (the first ones after the split)
    std::size_t validation_images = 2000;  ///< validation images that score a candidate
    std::size_t test_images = 2000;   ///< test images that report the chosen architectures at the end
    double validation = 0.1;          ///< fraction of the training images carved out as validation
    std::size_t epochs = 1;           ///< training epochs
    std::size_t batch = 64;           ///< mini-batch size
    float lr = 0.1f;                  ///< peak learning rate
    double warmup_epochs = 0.1;       ///< linear warm-up length in epochs
    /// Cache sizes Eigen blocks every matrix product of the run by (`train/blocking.hpp`), set by
    /// `apply_blocking` for the whole process while the run lasts; all zero (the default): the sizes
    /// the process blocks by already (the CPU's own unless the caller set others), so that the same
    /// seed trains other weights on CPUs with other caches.
    train::gemm_cache_sizes gemm_caches{};
};

/// Throws unless the proxy options are usable.
inline void validate(const proxy_options& o) {
    require(o.resolution >= 28, "proxy: resolution must be at least 28 (Fashion-MNIST images are 28x28), got ", o.resolution);
    require(o.channels == 1 || o.channels == 3, "proxy: channels must be 1 or 3, got ", o.channels);
    require(o.width > 0, "proxy: width must be positive, got ", o.width);
    require(o.train_images >= 1 && o.validation_images >= 1 && o.test_images >= 1,
            "proxy: train_images, validation_images and test_images must be at least 1");
    require(o.validation > 0 && o.validation < 1, "proxy: the validation fraction must be in (0, 1), got ", o.validation);
    require(o.epochs >= 1 && o.batch >= 1, "proxy: epochs and batch must be at least 1");
    require(o.lr > 0, "proxy: lr must be positive");
    if (train::is_set(o.gemm_caches)) train::check_gemm_cache_sizes(o.gemm_caches);
}

/// Makes Eigen block by `o.gemm_caches` when they are set (for the whole process) until the
/// returned scope ends, which puts the earlier sizes back; otherwise changes nothing. Every run of
/// app/ that trains holds one for its duration.
[[nodiscard]] inline train::scoped_gemm_cache_sizes apply_blocking(const proxy_options& o) {
    return train::scoped_gemm_cache_sizes(o.gemm_caches);
}


/// The proxy network of architecture `a` of space `s` (see the file comment).
inline graph::network proxy_network(const space::any_space& s, const space::architecture& a, const proxy_options& o,
                                    std::int64_t classes = 10) {
    return space::decode_scaled(*s.description, a, {.width = o.width, .depth = 1.0, .resolution = o.resolution}, classes, o.channels);
}

/// Loads the data set `data` (app/data.hpp) for the proxy: the validation part carved by `seed`,
/// then the first `train_images`, `validation_images` and `test_images` of the parts; images of a
/// folder are resized to the proxy resolution.
inline train::dataset load_proxy_data(const std::string& data, const proxy_options& o, std::uint64_t seed = 0) {
    data_options d;
    d.load.train_limit = o.train_images;
    d.load.validation_limit = o.validation_images;
    d.load.test_limit = o.test_images;
    d.load.validation = o.validation;
    d.load.seed = seed;
    d.image_size = static_cast<std::size_t>(o.resolution);
    return load_data(parse_data_spec(data), d);
}

/// Accuracies of one proxy training.
struct proxy_scores {
    double validation = 0;  ///< top-1 on the validation images (what a search selects on)
    double test = 0;        ///< top-1 on the test images (only when asked for; 0 otherwise)
};

/// Trains `net` (already at proxy size) on `data` with seed `seed` and scores it on the validation
/// images, and on the test images only when `with_test` (reporting a chosen architecture). The
/// training does not depend on `with_test`: the same seed gives the same validation accuracy.
/// Throws `accelnas::error` when training diverges (the search marks the candidate failed).
inline proxy_scores proxy_train(const graph::network& net, const train::dataset& data, const proxy_options& o,
                                std::uint64_t seed, bool with_test) {
    require(data.validation.count > 0,
            "proxy: the data set has no validation part (candidates are scored on it, never on test images)");
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
    fo.evaluate_test = with_test;
    try {
        const auto r = train::fit(net, data, fo);
        return {r.val_acc, with_test ? r.test_acc : 0.0};
    } catch (const train::diverged& e) {
        fail("training failed: ", e.what());
    }
}

/// Proxy accuracy of `net` (already at proxy size) trained on `data` with seed `seed`: its
/// validation accuracy; the test images are not read.
inline double proxy_accuracy(const graph::network& net, const train::dataset& data, const proxy_options& o, std::uint64_t seed) {
    return proxy_train(net, data, o, seed, false).validation;
}

/// A seed for step `step` of a search seeded with `seed` (SplitMix64 of both).
inline std::uint64_t step_seed(std::uint64_t seed, std::uint64_t step) {
    return derive_seed(seed, step + 0x632BE59BD9B4E019ull);
}

/// The seed of training `k` (0, 1, ...) of step `step` when a candidate is trained with several
/// seeds: training 0 is `step_seed(seed, step)`, so one seed per candidate is the single-seed
/// search, and the first training of a multi-seed search is the single-seed search's training.
inline std::uint64_t training_seed(std::uint64_t seed, std::uint64_t step, std::uint64_t k) {
    return k == 0 ? step_seed(seed, step) : derive_seed(step_seed(seed, step), k);
}

}  // namespace accelnas::app
