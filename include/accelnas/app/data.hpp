#pragma once
/// \file
/// Data sets by name, as the tools take them (`--data`): `fashion-mnist[:DIR]` (Debian's
/// dataset-fashion-mnist by default), `cifar10:DIR`, `cifar100:DIR` (fine labels),
/// `cifar100-coarse:DIR` (the 20 superclasses), `folder:DIR` (one folder per class; needs the
/// optional accelnas::image_io part, i.e. this header compiled with ACCELNAS_WITH_IMAGE_IO), or a
/// bare DIR, read as Fashion-MNIST's IDX files (what `--data DIR` always meant).

#include <accelnas/core/error.hpp>
#include <accelnas/train/cifar.hpp>
#include <accelnas/train/fashion_mnist.hpp>
#include <accelnas/train/image_set.hpp>
#ifdef ACCELNAS_WITH_IMAGE_IO
#include <accelnas/imageio/image_folder.hpp>
#endif

#include <string>

namespace accelnas::app {

/// A parsed data-set name.
struct data_spec {
    std::string kind;  ///< fashion-mnist, cifar10, cifar100, cifar100-coarse or folder
    std::string dir;   ///< its folder
};

/// The accepted forms, for help texts.
inline std::string data_spec_list() {
    return "fashion-mnist[:DIR], cifar10:DIR, cifar100:DIR, cifar100-coarse:DIR, folder:DIR";
}

/// True when image folders can be decoded (built with accelnas::image_io).
inline constexpr bool image_folders_available() {
#ifdef ACCELNAS_WITH_IMAGE_IO
    return true;
#else
    return false;
#endif
}

/// Parses `text` (see the file comment); an unknown kind or a kind without its DIR is an error.
inline data_spec parse_data_spec(const std::string& text) {
    require(!text.empty(), "--data: empty data set name (expected ", data_spec_list(), ")");
    const auto colon = text.find(':');
    const std::string head = text.substr(0, colon), rest = colon == std::string::npos ? "" : text.substr(colon + 1);
    if (head == "fashion-mnist") return {"fashion-mnist", rest.empty() ? train::default_fashion_mnist_dir : rest};
    for (const char* k : {"cifar10", "cifar100", "cifar100-coarse", "folder"})
        if (head == k) {
            require(colon != std::string::npos && !rest.empty(), "--data ", text, ": ", k, " needs its folder (", k, ":DIR)");
            return {head, rest};
        }
    // Anything else with a colon before any slash names an unknown kind; a bare path is Fashion-MNIST.
    require(colon == std::string::npos || text.find('/') < colon, "--data ", text, ": unknown data set '", head,
            "' (expected ", data_spec_list(), ")");
    return {"fashion-mnist", text};
}

/// How `load_data` loads.
struct data_options {
    train::load_options load;  ///< validation split, limits, normalisation
    std::size_t image_size = 32;  ///< folder: images are resized to this square size
    std::string cache;            ///< folder: cache file of the decoded images ("" = none)
};

/// Loads the data set `spec` names.
inline train::dataset load_data(const data_spec& spec, const data_options& o = {}) {
    if (spec.kind == "fashion-mnist") return train::load_fashion_mnist(spec.dir, o.load);
    if (spec.kind == "cifar10") return train::load_cifar10(spec.dir, o.load);
    if (spec.kind == "cifar100") return train::load_cifar100(spec.dir, o.load, train::cifar100_labels::fine);
    if (spec.kind == "cifar100-coarse") return train::load_cifar100(spec.dir, o.load, train::cifar100_labels::coarse);
    if (spec.kind == "folder") {
#ifdef ACCELNAS_WITH_IMAGE_IO
        return train::load_image_folder(spec.dir, {.size = o.image_size, .channels = 3, .cache = o.cache}, o.load);
#else
        fail("--data folder:", spec.dir, ": this build has no image decoding (accelnas::image_io needs libpng-dev and "
             "libjpeg62-turbo-dev at build time)");
#endif
    }
    fail("unknown data set kind '", spec.kind, "' (expected ", data_spec_list(), ")");
}

}  // namespace accelnas::app
