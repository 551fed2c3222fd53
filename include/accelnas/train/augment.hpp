#pragma once
/// \file
/// Batches from an `image_set`: images centred in a square NHWC buffer (reused between batches),
/// normalised per channel through the data set's lookup tables, with the augmentations of the
/// CIFAR / ImageNet recipes: a random crop with zero padding (a random translation by up to +-shift
/// pixels, the uncovered border at the channel mean, i.e. 0 after normalisation) and a random
/// horizontal flip. Grey images can be fed to a 3-channel network (the channel is replicated).

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/train/image_set.hpp>
#include <accelnas/train/tape.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace accelnas::train {

/// How images become network inputs.
struct batch_options {
    std::size_t size = 32;       ///< output height and width (images are centred, zero-padded)
    std::size_t channels = 1;    ///< the images' channels, or 3 for grey images (replicated)
    bool flip = false;           ///< random horizontal flip with p = 0.5 (training)
    std::size_t shift = 0;       ///< random crop with padding: translation by up to +-shift pixels
};

/// Writes the images `idx` of `s` into `out` ([idx.size(), size, size, channels], resized only when
/// its shape changes) and their labels into `labels`. Augmentation draws from `g` when enabled
/// (per image: the flip, then the vertical and horizontal shifts).
inline void make_batch(const dataset& d, const image_set& s, std::span<const std::size_t> idx,
                       const batch_options& o, rng& g, tensor& out, std::vector<std::int32_t>& labels) {
    require(o.channels == s.channels || (s.channels == 1 && o.channels == 3), "make_batch: ", o.channels,
            " channel(s) requested from images of ", s.channels, " (expected ", s.channels,
            s.channels == 1 ? ", or 3 to replicate the grey channel)" : ")");
    require(d.lut.size() == s.channels, "make_batch: the data set normalises ", d.lut.size(),
            " channel(s) but the images have ", s.channels);
    require(o.size >= s.rows && o.size >= s.cols, "make_batch: size ", o.size, " is smaller than the images (",
            s.rows, "x", s.cols, ")");
    const shape4 sh{idx.size(), o.size, o.size, o.channels};
    if (shape_of(out) != sh) out.resize(sh);
    std::fill(out.begin(), out.end(), 0.0f);
    labels.resize(idx.size());
    const std::ptrdiff_t top = std::ptrdiff_t((o.size - s.rows) / 2), left = std::ptrdiff_t((o.size - s.cols) / 2);
    const std::size_t sc = s.channels;
    for (std::size_t b = 0; b < idx.size(); ++b) {
        require(idx[b] < s.count, "make_batch: image index ", idx[b], " out of range (", s.count, " images)");
        labels[b] = s.labels[idx[b]];
        const bool flip = o.flip && uniform01(g) < 0.5;
        std::ptrdiff_t dy = 0, dx = 0;
        if (o.shift) {
            dy = std::ptrdiff_t(uniform_index(g, 2 * o.shift + 1)) - std::ptrdiff_t(o.shift);
            dx = std::ptrdiff_t(uniform_index(g, 2 * o.shift + 1)) - std::ptrdiff_t(o.shift);
        }
        const std::uint8_t* img = s.pixels.data() + idx[b] * s.image_bytes();
        float* dst = out.data() + b * o.size * o.size * o.channels;
        for (std::size_t r = 0; r < s.rows; ++r) {
            const std::ptrdiff_t y = top + std::ptrdiff_t(r) + dy;
            if (y < 0 || y >= std::ptrdiff_t(o.size)) continue;
            for (std::size_t c = 0; c < s.cols; ++c) {
                const std::ptrdiff_t x = left + std::ptrdiff_t(flip ? s.cols - 1 - c : c) + dx;
                if (x < 0 || x >= std::ptrdiff_t(o.size)) continue;
                const std::uint8_t* px = img + (r * s.cols + c) * sc;
                float* p = dst + (std::size_t(y) * o.size + std::size_t(x)) * o.channels;
                if (sc == 1) {
                    const float v = d.lut[0][px[0]];
                    for (std::size_t ch = 0; ch < o.channels; ++ch) p[ch] = v;
                } else {
                    for (std::size_t ch = 0; ch < sc; ++ch) p[ch] = d.lut[ch][px[ch]];
                }
            }
        }
    }
}

}  // namespace accelnas::train
