#pragma once
/// \file
/// Fashion-MNIST from the IDX files of Debian's `dataset-fashion-mnist` (gzip or plain). The raw
/// uint8 images are kept once; batches are assembled on the fly into a reused NHWC buffer with the
/// peer's normalisation (x/255, minus the training-pixel mean, over their standard deviation), zero
/// padding 28 -> 32 (2 px each side, 0 after normalisation), optional 3-channel replication and
/// random horizontal flips / translations.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/train/tape.hpp>

#include <zlib.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace accelnas::train {

/// Where Debian installs the data set.
inline constexpr const char* default_fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

/// Labelled uint8 images (row-major, one channel).
struct image_set {
    std::vector<std::uint8_t> pixels;   ///< count * rows * cols
    std::vector<std::int32_t> labels;   ///< count
    std::size_t count = 0, rows = 0, cols = 0;
};

/// A train/test pair with its normalisation.
struct dataset {
    image_set train, test;
    std::size_t classes = 10;
    float mean = 0, stddev = 1;          ///< of all training pixels, on the [0, 1] scale
    std::array<float, 256> lut{};        ///< (v / 255 - mean) / stddev
};

namespace detail {
inline std::vector<std::uint8_t> read_gz(const std::string& path) {
    require(std::filesystem::exists(path), "fashion_mnist: file '", path, "' does not exist");
    gzFile f = gzopen(path.c_str(), "rb");
    require(f != nullptr, "fashion_mnist: cannot open '", path, "'");
    std::vector<std::uint8_t> out;
    std::vector<std::uint8_t> buf(1 << 20);
    for (;;) {
        const int n = gzread(f, buf.data(), unsigned(buf.size()));
        if (n < 0) {
            int code = 0;
            std::string msg = gzerror(f, &code);
            gzclose(f);
            fail("fashion_mnist: '", path, "' is corrupt (zlib: ", msg, ")");
        }
        if (n == 0) break;
        out.insert(out.end(), buf.begin(), buf.begin() + n);
    }
    gzclose(f);
    return out;
}

inline std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// Parses an IDX file of uint8 with `ndim` dimensions; returns the dims and the payload offset.
inline std::vector<std::size_t> idx_header(const std::vector<std::uint8_t>& b, std::size_t ndim, const std::string& path) {
    require(b.size() >= 4 + 4 * ndim && b[0] == 0 && b[1] == 0 && b[2] == 0x08 && b[3] == ndim, "fashion_mnist: '",
            path, "' is not an IDX file of uint8 with ", ndim, " dimension(s)");
    std::vector<std::size_t> dims;
    std::size_t total = 1;
    for (std::size_t i = 0; i < ndim; ++i) {
        dims.push_back(be32(b.data() + 4 + 4 * i));
        total *= dims.back();
    }
    require(b.size() == 4 + 4 * ndim + total, "fashion_mnist: '", path, "' holds ", b.size() - 4 - 4 * ndim,
            " data bytes but its header announces ", total, " (truncated or corrupt)");
    return dims;
}

inline std::string idx_path(const std::string& dir, const std::string& stem) {
    const auto gz = dir + "/" + stem + ".gz";
    if (std::filesystem::exists(gz)) return gz;
    if (std::filesystem::exists(dir + "/" + stem)) return dir + "/" + stem;
    fail("fashion_mnist: neither '", gz, "' nor '", dir, "/", stem,
         "' exists (install dataset-fashion-mnist or pass the folder holding the IDX files)");
}

inline image_set load_split(const std::string& dir, const std::string& split, std::size_t limit) {
    const auto ip = idx_path(dir, split + "-images-idx3-ubyte"), lp = idx_path(dir, split + "-labels-idx1-ubyte");
    auto ib = read_gz(ip);
    const auto idims = idx_header(ib, 3, ip);
    auto lb = read_gz(lp);
    const auto ldims = idx_header(lb, 1, lp);
    require(idims[0] == ldims[0], "fashion_mnist: '", ip, "' has ", idims[0], " images but '", lp, "' ", ldims[0],
            " labels");
    image_set s;
    s.count = limit ? std::min(limit, idims[0]) : idims[0];
    s.rows = idims[1];
    s.cols = idims[2];
    const std::size_t px = s.rows * s.cols;
    s.pixels.assign(ib.begin() + 16, ib.begin() + 16 + std::ptrdiff_t(s.count * px));
    s.labels.resize(s.count);
    for (std::size_t i = 0; i < s.count; ++i) {
        s.labels[i] = lb[8 + i];
        require(s.labels[i] < 10, "fashion_mnist: '", lp, "': label ", s.labels[i], " of image ", i, " is not in 0..9");
    }
    return s;
}
}  // namespace detail

/// Loads Fashion-MNIST from `dir` (the IDX files, gzip or not). `train_limit` / `test_limit` keep
/// only the first images (0 = all): the small fixture for fast tests. The normalisation statistics
/// are those of the loaded training images (all 60000 unless limited).
inline dataset load_fashion_mnist(const std::string& dir = default_fashion_mnist_dir, std::size_t train_limit = 0,
                                  std::size_t test_limit = 0) {
    dataset d;
    d.train = detail::load_split(dir, "train", train_limit);
    d.test = detail::load_split(dir, "t10k", test_limit);
    // Exact mean / std of the training pixels from their histogram, as the peer computes them.
    std::array<double, 256> hist{};
    for (auto p : d.train.pixels) hist[p] += 1;
    double n = 0, s = 0;
    for (int v = 0; v < 256; ++v) { n += hist[v]; s += hist[v] * v / 255.0; }
    const double mean = s / n;
    double q = 0;
    for (int v = 0; v < 256; ++v) q += hist[v] * (v / 255.0 - mean) * (v / 255.0 - mean);
    const double sd = std::sqrt(q / n);
    require(sd > 0, "fashion_mnist: training pixels have zero variance");
    d.mean = float(mean);
    d.stddev = float(sd);
    for (int v = 0; v < 256; ++v) d.lut[std::size_t(v)] = float((v / 255.0 - mean) / sd);
    return d;
}

/// How images become network inputs.
struct batch_options {
    std::size_t size = 32;       ///< output height and width (images are centred, zero-padded)
    std::size_t channels = 1;    ///< 1, or 3 (the grey channel replicated)
    bool flip = false;           ///< random horizontal flip with p = 0.5 (training)
    std::size_t shift = 0;       ///< random translation by up to +-shift pixels (a padded random crop)
};

/// Writes the images `idx` of `s` into `out` ([idx.size(), size, size, channels], resized only when
/// its shape changes) and their labels into `labels`. Augmentation draws from `g` when enabled.
inline void make_batch(const dataset& d, const image_set& s, std::span<const std::size_t> idx,
                       const batch_options& o, rng& g, tensor& out, std::vector<std::int32_t>& labels) {
    require(o.channels == 1 || o.channels == 3, "make_batch: channels must be 1 or 3, got ", o.channels);
    require(o.size >= s.rows && o.size >= s.cols, "make_batch: size ", o.size, " is smaller than the images (",
            s.rows, "x", s.cols, ")");
    const shape4 sh{idx.size(), o.size, o.size, o.channels};
    if (shape_of(out) != sh) out.resize(sh);
    std::fill(out.begin(), out.end(), 0.0f);
    labels.resize(idx.size());
    const std::ptrdiff_t top = std::ptrdiff_t((o.size - s.rows) / 2), left = std::ptrdiff_t((o.size - s.cols) / 2);
    for (std::size_t b = 0; b < idx.size(); ++b) {
        require(idx[b] < s.count, "make_batch: image index ", idx[b], " out of range (", s.count, " images)");
        labels[b] = s.labels[idx[b]];
        const bool flip = o.flip && uniform01(g) < 0.5;
        std::ptrdiff_t dy = 0, dx = 0;
        if (o.shift) {
            dy = std::ptrdiff_t(uniform_index(g, 2 * o.shift + 1)) - std::ptrdiff_t(o.shift);
            dx = std::ptrdiff_t(uniform_index(g, 2 * o.shift + 1)) - std::ptrdiff_t(o.shift);
        }
        const std::uint8_t* img = s.pixels.data() + idx[b] * s.rows * s.cols;
        float* dst = out.data() + b * o.size * o.size * o.channels;
        for (std::size_t r = 0; r < s.rows; ++r) {
            const std::ptrdiff_t y = top + std::ptrdiff_t(r) + dy;
            if (y < 0 || y >= std::ptrdiff_t(o.size)) continue;
            for (std::size_t c = 0; c < s.cols; ++c) {
                const std::ptrdiff_t x = left + std::ptrdiff_t(flip ? s.cols - 1 - c : c) + dx;
                if (x < 0 || x >= std::ptrdiff_t(o.size)) continue;
                const float v = d.lut[img[r * s.cols + c]];
                float* p = dst + (std::size_t(y) * o.size + std::size_t(x)) * o.channels;
                for (std::size_t ch = 0; ch < o.channels; ++ch) p[ch] = v;
            }
        }
    }
}

}  // namespace accelnas::train
