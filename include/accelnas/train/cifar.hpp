#pragma once
/// \file
/// CIFAR-10 and CIFAR-100 from their binary versions, the files users download
/// (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz, unpacked): 32x32 RGB images stored as records
/// of label byte(s) followed by 3072 bytes, the red, green and blue planes of 1024 bytes each,
/// row-major. CIFAR-10: data_batch_1.bin ... data_batch_5.bin and test_batch.bin, records of
/// 1 + 3072 bytes, 10 classes. CIFAR-100: train.bin and test.bin, records of 2 + 3072 bytes (the
/// coarse label, 20 classes, then the fine label, 100 classes).

#include <accelnas/core/error.hpp>
#include <accelnas/train/augment.hpp>
#include <accelnas/train/image_set.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace accelnas::train {

/// Which labels of CIFAR-100 to use.
enum class cifar100_labels {
    fine,    ///< 100 classes
    coarse,  ///< 20 superclasses
};

namespace detail {
// Appends the records of the CIFAR binary file `path` to `s`: `label_bytes` label bytes (the label
// used is byte `label_at`, below `classes`) followed by the three 1024-byte colour planes.
inline void read_cifar_file(const std::string& path, std::size_t label_bytes, std::size_t label_at, std::size_t classes,
                            image_set& s, const std::string& what) {
    require(std::filesystem::exists(path), what, ": file '", path, "' does not exist (unpack the binary version of ",
            what, " into the folder)");
    std::ifstream f(path, std::ios::binary);
    require(f.good(), what, ": cannot open '", path, "'");
    const std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(f)), {});
    require(!f.bad(), what, ": cannot read '", path, "'");
    constexpr std::size_t plane = 32 * 32, pixels = 3 * plane;
    const std::size_t rec = label_bytes + pixels;
    require(!b.empty(), what, ": '", path, "' is empty");
    require(b.size() % rec == 0, what, ": '", path, "' holds ", b.size(), " bytes, not a whole number of ", rec,
            "-byte records (truncated, or not a ", what, " binary file)");
    const std::size_t n = b.size() / rec, first = s.count;
    s.rows = s.cols = 32;
    s.channels = 3;
    s.count += n;
    s.pixels.resize(s.count * pixels);
    s.labels.resize(s.count);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t* r = b.data() + i * rec;
        const std::size_t label = r[label_at];
        require(label < classes, what, ": '", path, "': label ", label, " of record ", i, " is not in 0..", classes - 1,
                " (not a ", what, " binary file?)");
        s.labels[first + i] = std::int32_t(label);
        std::uint8_t* dst = s.pixels.data() + (first + i) * pixels;
        const std::uint8_t* src = r + label_bytes;
        for (std::size_t p = 0; p < plane; ++p)  // planar RGB -> interleaved
            for (std::size_t c = 0; c < 3; ++c) dst[3 * p + c] = src[c * plane + p];
    }
}
}  // namespace detail

/// Loads CIFAR-10 from `dir` (data_batch_1.bin ... data_batch_5.bin, test_batch.bin), with the
/// validation split, limits and normalisation of `o`. A missing, empty or truncated file, or a
/// label outside 0..9, raises `accelnas::error` naming the file.
inline dataset load_cifar10(const std::string& dir, const load_options& o = {}) {
    dataset d;
    d.classes = 10;
    for (int i = 1; i <= 5; ++i)
        detail::read_cifar_file(dir + "/data_batch_" + std::to_string(i) + ".bin", 1, 0, 10, d.train, "CIFAR-10");
    detail::read_cifar_file(dir + "/test_batch.bin", 1, 0, 10, d.test, "CIFAR-10");
    finish_loading(d, o, "CIFAR-10 '" + dir + "'");
    return d;
}

/// Loads CIFAR-100 from `dir` (train.bin, test.bin) with its fine (100 classes) or coarse (20)
/// labels, and the validation split, limits and normalisation of `o`.
inline dataset load_cifar100(const std::string& dir, const load_options& o = {},
                             cifar100_labels labels = cifar100_labels::fine) {
    dataset d;
    const bool fine = labels == cifar100_labels::fine;
    d.classes = fine ? 100 : 20;
    detail::read_cifar_file(dir + "/train.bin", 2, fine ? 1 : 0, d.classes, d.train, "CIFAR-100");
    detail::read_cifar_file(dir + "/test.bin", 2, fine ? 1 : 0, d.classes, d.test, "CIFAR-100");
    finish_loading(d, o, "CIFAR-100 '" + dir + "'");
    return d;
}

}  // namespace accelnas::train
