#pragma once
/// \file
/// Fashion-MNIST from the IDX files of Debian's `dataset-fashion-mnist` (gzip or plain): 28x28 grey
/// images, 10 classes. The raw uint8 images are kept once; `make_batch` (augment.hpp) assembles
/// batches with the peer's normalisation (x/255, minus the training-pixel mean, over their standard
/// deviation) and zero padding 28 -> 32 (2 px each side, 0 after normalisation).

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/train/augment.hpp>
#include <accelnas/train/image_set.hpp>

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

inline image_set load_split(const std::string& dir, const std::string& split) {
    const auto ip = idx_path(dir, split + "-images-idx3-ubyte"), lp = idx_path(dir, split + "-labels-idx1-ubyte");
    auto ib = read_gz(ip);
    const auto idims = idx_header(ib, 3, ip);
    auto lb = read_gz(lp);
    const auto ldims = idx_header(lb, 1, lp);
    require(idims[0] == ldims[0], "fashion_mnist: '", ip, "' has ", idims[0], " images but '", lp, "' ", ldims[0],
            " labels");
    image_set s;
    s.count = idims[0];
    s.rows = idims[1];
    s.cols = idims[2];
    s.pixels.assign(ib.begin() + 16, ib.end());
    s.labels.assign(lb.begin() + 8, lb.end());
    for (std::size_t i = 0; i < s.count; ++i)
        require(s.labels[i] < 10, "fashion_mnist: '", lp, "': label ", s.labels[i], " of image ", i, " is not in 0..9");
    return s;
}
}  // namespace detail

/// Loads Fashion-MNIST from `dir` (the IDX files, gzip or not), carving `o.validation` of the
/// training images out as the validation part (by `o.seed`) and keeping `o`'s limits. The
/// normalisation statistics are those of the training images that remain (unless `o` gives them).
inline dataset load_fashion_mnist(const std::string& dir, const load_options& o) {
    dataset d;
    d.classes = 10;
    d.train = detail::load_split(dir, "train");
    d.test = detail::load_split(dir, "t10k");
    finish_loading(d, o, "fashion_mnist: '" + dir + "'");
    return d;
}

/// Loads Fashion-MNIST from `dir` without a validation part: all training images (or the first
/// `train_limit`, 0 = all) train the model and the first `test_limit` test images (0 = all) report
/// it (the protocol of published accuracies, and of the PyTorch peer). Selecting anything on the
/// test part of this set leaks it: use the `load_options` overload for that.
inline dataset load_fashion_mnist(const std::string& dir = default_fashion_mnist_dir, std::size_t train_limit = 0,
                                  std::size_t test_limit = 0) {
    load_options o;
    o.train_limit = train_limit;
    o.test_limit = test_limit;
    o.validation = 0.0;
    return load_fashion_mnist(dir, o);
}

}  // namespace accelnas::train
