#pragma once
/// \file
/// Option handling shared by the classic CNN builders of the zoo (ResNet, Inception, DenseNet,
/// SqueezeNet, VGG).

#include <accelnas/core/error.hpp>
#include <accelnas/zoo/options.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace accelnas::zoo::detail {

/// Input size, class count and input channels of a classic model after applying its defaults.
struct classic_setup {
    std::int64_t resolution = 0;  ///< square input size
    std::int64_t classes = 0;     ///< classifier outputs
    std::int64_t channels = 0;    ///< input channels
};

/// Resolves `opts` against a model's published defaults; negative values raise `accelnas::error`
/// naming the model. Too small resolutions fail later, in the op whose VALID window does not fit.
inline classic_setup resolve_classic(const zoo_options& opts, std::string_view model, std::int64_t resolution,
                                     std::int64_t classes) {
    require(opts.resolution >= 0, "zoo model '", model, "': resolution must be positive (or 0 for the default ",
            resolution, "), got ", opts.resolution);
    require(opts.classes >= 0, "zoo model '", model, "': classes must be positive (or 0 for the default ", classes,
            "), got ", opts.classes);
    require(opts.channels >= 0, "zoo model '", model, "': input channels must be positive (or 0 for 3), got ",
            opts.channels);
    return {or_default(opts.resolution, resolution), or_default(opts.classes, classes), or_default(opts.channels, 3)};
}

/// Concatenates strings, characters and integers into an op name. Appending (rather than
/// `"literal" + std::to_string(i)`) also sidesteps a GCC 12 -Wrestrict false positive at -O3.
template <class... Parts>
std::string op_name(const Parts&... parts) {
    std::string s;
    auto put = [&s](const auto& part) {
        using T = std::decay_t<decltype(part)>;
        if constexpr (std::is_same_v<T, char>) s += part;
        else if constexpr (std::is_integral_v<T>) s += std::to_string(part);
        else s += part;
    };
    (put(parts), ...);
    return s;
}

}  // namespace accelnas::zoo::detail
