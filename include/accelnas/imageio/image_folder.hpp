#pragma once
/// \file
/// A data set from folders of images, one folder per class (the layout of torchvision's
/// ImageFolder): either DIR/train/<class>/ and DIR/test/<class>/, or DIR/<class>/ alone (no test
/// part). Classes are the training class folders in name order; files ending in .png, .jpg or .jpeg
/// (any case) are decoded (imageio/decode.hpp), resized to a fixed square size and kept as uint8,
/// so every epoch after loading reads memory, never a decoder. An optional cache file keeps the
/// decoded images across runs: it is keyed on the size, the channels and every image's path, byte
/// size and modification time, and rebuilt when any of them changes. Part of the optional
/// `accelnas::image_io` target (libpng, libjpeg-turbo).

#include <accelnas/core/atomic_file.hpp>
#include <accelnas/core/error.hpp>
#include <accelnas/imageio/decode.hpp>
#include <accelnas/train/image_set.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace accelnas::train {

/// How the images of a folder become a data set.
struct folder_options {
    std::size_t size = 32;     ///< every image is resized to size x size
    std::size_t channels = 3;  ///< 3 (RGB) or 1 (grey)
    std::string cache;         ///< file keeping the decoded images across runs ("" = none)
};

/// What `load_image_folder` did.
struct folder_report {
    std::vector<std::string> classes;  ///< class names, label i = classes[i]
    std::size_t decoded = 0;           ///< images decoded by this call
    std::size_t from_cache = 0;        ///< images read from the cache file instead
};

namespace detail {
namespace fs = std::filesystem;

struct folder_file {
    std::string path;
    std::int32_t label;
};

inline bool is_image_name(const fs::path& p) {
    std::string e = p.extension().string();
    for (auto& ch : e) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return e == ".png" || e == ".jpg" || e == ".jpeg";
}

inline std::vector<std::string> sorted_subfolders(const fs::path& root) {
    std::vector<std::string> r;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory()) r.push_back(e.path().filename().string());
    std::sort(r.begin(), r.end());
    return r;
}

// The image files under `root`/<class>/ with their labels; every class folder must hold images.
inline std::vector<folder_file> list_part(const fs::path& root, const std::vector<std::string>& classes,
                                          const std::vector<std::string>& present) {
    std::vector<folder_file> files;
    for (const auto& name : present) {
        const auto it = std::find(classes.begin(), classes.end(), name);
        require(it != classes.end(), "image folder: '", (root / name).string(),
                "' is a class the training folder does not have");
        std::vector<std::string> imgs;
        for (const auto& e : fs::directory_iterator(root / name))
            if (e.is_regular_file() && is_image_name(e.path())) imgs.push_back(e.path().string());
        require(!imgs.empty(), "image folder: class folder '", (root / name).string(),
                "' holds no images (.png, .jpg or .jpeg)");
        std::sort(imgs.begin(), imgs.end());
        for (auto& p : imgs) files.push_back({std::move(p), std::int32_t(it - classes.begin())});
    }
    return files;
}

// FNV-1a over the options and each file's path, byte size and modification time.
inline std::string folder_fingerprint(const std::vector<folder_file>& train, const std::vector<folder_file>& test,
                                      const folder_options& o) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&](const std::string& s) {
        for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
    };
    mix(std::to_string(o.size) + "x" + std::to_string(o.channels));
    for (const auto* part : {&train, &test})
        for (const auto& f : *part) {
            mix(f.path);
            mix(std::to_string(f.label) + " " + std::to_string(fs::file_size(f.path)) + " " +
                std::to_string(fs::last_write_time(f.path).time_since_epoch().count()));
        }
    std::ostringstream os;
    os << std::hex << h << "-" << train.size() << "-" << test.size();
    return os.str();
}

inline constexpr const char* folder_cache_magic = "accelnas-image-cache-1";

// Reads both parts from the cache file when it matches `key`; false (and nothing read) otherwise.
inline bool read_folder_cache(const std::string& path, const std::string& key, image_set& train, image_set& test) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::string magic, k;
    if (!(f >> magic >> k) || magic != folder_cache_magic || k != key) return false;
    f.get();  // the newline after the key
    for (auto* s : {&train, &test}) {
        std::uint64_t head[4];
        if (!f.read(reinterpret_cast<char*>(head), sizeof head)) return false;
        s->count = head[0];
        s->rows = head[1];
        s->cols = head[2];
        s->channels = head[3];
        if (s->rows != s->cols || s->rows > 4096 || (s->channels != 1 && s->channels != 3) || s->count > (1ull << 32))
            return false;
        s->labels.resize(s->count);
        s->pixels.resize(s->count * s->image_bytes());
        if (!f.read(reinterpret_cast<char*>(s->labels.data()), std::streamsize(s->count * sizeof(std::int32_t))) ||
            !f.read(reinterpret_cast<char*>(s->pixels.data()), std::streamsize(s->pixels.size())))
            return false;
    }
    return f.peek() == std::char_traits<char>::eof();
}

inline void write_folder_cache(const std::string& path, const std::string& key, const image_set& train,
                               const image_set& test) {
    std::string bytes = std::string(folder_cache_magic) + " " + key + "\n";
    for (const auto* s : {&train, &test}) {
        const std::uint64_t head[4] = {s->count, s->rows, s->cols, s->channels};
        bytes.append(reinterpret_cast<const char*>(head), sizeof head);
        bytes.append(reinterpret_cast<const char*>(s->labels.data()), s->count * sizeof(std::int32_t));
        bytes.append(reinterpret_cast<const char*>(s->pixels.data()), s->pixels.size());
    }
    write_file_atomically(path, bytes);
}

inline image_set decode_part(const std::vector<folder_file>& files, const folder_options& o) {
    image_set s;
    s.rows = s.cols = o.size;
    s.channels = o.channels;
    s.count = files.size();
    s.pixels.resize(s.count * s.image_bytes());
    s.labels.resize(s.count);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto img = imageio::resize(imageio::decode_file(files[i].path, o.channels), o.size, o.size);
        std::copy(img.pixels.begin(), img.pixels.end(), s.pixels.begin() + std::ptrdiff_t(i * s.image_bytes()));
        s.labels[i] = files[i].label;
    }
    return s;
}
}  // namespace detail

/// Loads the image folder `dir` (see the file comment), resized to `fo.size` with `fo.channels`
/// channels, with the validation split, limits and normalisation of `o`. A missing folder, no
/// class folders, a class folder without images, a test class the training part lacks, or an
/// image that does not decode raise `accelnas::error` naming the path. `report`, when given,
/// receives the class names and how many images were decoded or read from the cache.
inline dataset load_image_folder(const std::string& dir, const folder_options& fo = {}, const load_options& o = {},
                                 folder_report* report = nullptr) {
    namespace fs = std::filesystem;
    require(fo.size >= 1 && fo.size <= 4096, "image folder: size must be in 1..4096, got ", fo.size);
    require(fo.channels == 1 || fo.channels == 3, "image folder: channels must be 1 or 3, got ", fo.channels);
    require(fs::is_directory(dir), "image folder: '", dir, "' is not a folder");
    const bool split = fs::is_directory(fs::path(dir) / "train");
    const fs::path train_root = split ? fs::path(dir) / "train" : fs::path(dir);
    const fs::path test_root = fs::path(dir) / "test";
    const auto classes = detail::sorted_subfolders(train_root);
    require(!classes.empty(), "image folder: '", train_root.string(), "' holds no class folders (expected ",
            dir, "/<class>/*.png|jpg or ", dir, "/train/<class>/... and ", dir, "/test/<class>/...)");
    const auto train_files = detail::list_part(train_root, classes, classes);
    std::vector<detail::folder_file> test_files;
    if (split && fs::is_directory(test_root))
        test_files = detail::list_part(test_root, classes, detail::sorted_subfolders(test_root));

    dataset d;
    d.classes = classes.size();
    folder_report rep;
    rep.classes = classes;
    const std::string key = fo.cache.empty() ? "" : detail::folder_fingerprint(train_files, test_files, fo);
    if (!fo.cache.empty() && detail::read_folder_cache(fo.cache, key, d.train, d.test)) {
        rep.from_cache = d.train.count + d.test.count;
    } else {
        d.train = detail::decode_part(train_files, fo);
        d.test = detail::decode_part(test_files, fo);
        rep.decoded = d.train.count + d.test.count;
        if (!fo.cache.empty()) detail::write_folder_cache(fo.cache, key, d.train, d.test);
    }
    finish_loading(d, o, "image folder '" + dir + "'");
    if (report) *report = std::move(rep);
    return d;
}

}  // namespace accelnas::train
