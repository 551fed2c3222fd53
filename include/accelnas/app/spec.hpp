#pragma once
/// \file
/// Model specs: the one string grammar every tool uses to name a network.
///
///     spec := zoo-name                      mobilenet_v2
///           | zoo-name '@' size             resnet50_v1@299 (square input size, digits only, > 0)
///           | 'nb201:' arch                 NAS-Bench-201 training graph of an arch string
///           | 'nb201-latbench:' arch        the NAS-Bench-201 graph measured on the Edge TPU
///           | space ':' arch ['@' size]     a search-space architecture (space/registry.hpp) at the
///                                         space's deployment input (`any_space::deployment`)
///           | path                          a JSON network spec (graph/json.hpp)
///           | path '.onnx'                  an ONNX model (tools built with the optional accelnas::onnx)
///
/// A spec is a path when it ends in ".json", or when it contains a '/' before its first ':' (or has a
/// '/' and no ':'); otherwise a ':' makes it a prefixed spec; otherwise it is a zoo name.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <charconv>
#include <filesystem>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace accelnas::app {

/// Which form of the grammar a spec has.
enum class spec_kind {
    zoo,             ///< a zoo name, maybe with '@size'
    nb201,           ///< nb201:<arch>
    nb201_latbench,  ///< nb201-latbench:<arch>
    space,           ///< <space>:<arch>[@size], a search-space architecture
    file,            ///< a path to a JSON network spec
};

/// A spec split into its parts (nothing is built or opened yet).
struct parsed_spec {
    spec_kind kind = spec_kind::zoo;
    std::string text;             ///< the whole spec as given
    std::string name;             ///< zoo: model name; space: space name; file: the path
    std::int64_t resolution = 0;  ///< zoo, space: the '@' size, 0 when absent (the default size)
    std::string arch;             ///< nb201, nb201_latbench: the text after the first ':'; space: that text without '@size'
};

namespace detail {

/// The one parser of a trailing '@size': splits `text` at its last '@' into the part before it and a
/// positive size (0 when there is no '@'). The error names the offending size.
inline std::pair<std::string_view, std::int64_t> split_size(std::string_view text) {
    const auto at = text.rfind('@');
    if (at == std::string_view::npos) return {text, 0};
    const auto head = text.substr(0, at), digits = text.substr(at + 1);
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc{} || ptr != digits.data() + digits.size() ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
        fail("input size '", digits, "' after '@' is not a positive whole number that fits 64 bits (expected e.g. ",
             head, "@299)");
    if (v <= 0) fail("input size ", v, " after '@' must be positive");
    return {head, v};
}

/// Search-space specs `<space>:<arch text>[@size]`: the architecture of a shipped space (see
/// space/registry.hpp) decoded at the space's deployment input (`any_space::deployment`), at
/// size x size when '@size' is given.
inline graph::network resolve_space_spec(std::string_view space_name, std::string_view arch, std::int64_t size) {
    if (!space::is_space_name(space_name)) {
        std::string known = "nb201, nb201-latbench";
        for (const auto& n : space::names()) known += ", " + n;
        fail("unknown spec prefix '", space_name, ":' (known prefixes: ", known, ")");
    }
    const auto& s = space::find_space(space_name);
    const auto& in = s.deployment;
    auto net = s.decode(s.parse(arch), in.shape(size), in.classes);
    const bool other_size = size != 0 && size != in.resolution;
    net.set_name(std::string(space_name) + ":" + std::string(arch) + (other_size ? "@" + std::to_string(size) : ""));
    return net;
}

inline bool spec_is_path(std::string_view s) {
    if (s.size() >= 5 && s.substr(s.size() - 5) == ".json") return true;
    if (s.size() >= 5 && s.substr(s.size() - 5) == ".onnx") return true;
    const auto slash = s.find('/');
    return slash != std::string_view::npos && slash < s.find(':');  // npos ':' compares greater
}

}  // namespace detail

/// The reader of ONNX model specs (paths ending in ".onnx"). Empty unless the program was built with
/// the optional ONNX component, which sets it (accelnas/onnx/import.hpp: `onnx::enable_onnx_specs`);
/// the header-only library cannot read ONNX itself.
inline std::function<graph::network(const std::string& path)>& onnx_spec_reader() {
    static std::function<graph::network(const std::string&)> reader;
    return reader;
}

/// Splits `spec` into its grammar form and parts; malformed specs raise accelnas::error
/// "model spec '<spec>': ...".
inline parsed_spec parse_spec(std::string_view spec) {
    parsed_spec p;
    p.text = std::string(spec);
    auto bad = [&](auto&&... why) -> void { fail("model spec '", spec, "': ", why...); };
    if (spec.find_first_not_of(" \t\r\n") == std::string_view::npos)
        bad("empty (expected a zoo name, name@size, nb201:<arch>, nb201-latbench:<arch> or a JSON file path)");
    if (detail::spec_is_path(spec)) {
        p.kind = spec_kind::file;
        p.name = std::string(spec);
        return p;
    }
    if (const auto colon = spec.find(':'); colon != std::string_view::npos) {
        const auto prefix = spec.substr(0, colon);
        p.arch = std::string(spec.substr(colon + 1));
        if (prefix.empty()) bad("nothing before ':' (expected nb201:, nb201-latbench: or <space>:)");
        if (prefix == "nb201") p.kind = spec_kind::nb201;
        else if (prefix == "nb201-latbench") p.kind = spec_kind::nb201_latbench;
        else p.kind = spec_kind::space;
        p.name = std::string(prefix);
        if (p.arch.empty()) bad("no architecture after '", prefix, ":'");
        if (p.kind == spec_kind::space) {
            try {
                const auto [arch, size] = detail::split_size(p.arch);
                p.arch = std::string(arch);
                p.resolution = size;
            } catch (const error& e) {
                bad(e.what());
            }
        }
        return p;
    }
    p.kind = spec_kind::zoo;
    try {
        const auto [name, size] = detail::split_size(spec);
        p.name = std::string(name);
        p.resolution = size;
    } catch (const error& e) {
        bad(e.what());
    }
    if (p.name.empty()) bad("no zoo name before '@'");
    if (!zoo::contains(p.name)) {
        // A bare file name reads as a zoo name; say how to mean the file instead.
        std::error_code ec;
        const bool file = p.resolution == 0 && std::filesystem::is_regular_file(p.name, ec);
        bad("unknown zoo model '", p.name, "' (known: ", zoo::detail::known_names(), ")",
            file ? "; a file of that name exists: write ./" + p.name + " to read it as a JSON spec" : std::string{});
    }
    return p;
}

/// Builds the network a parsed spec names. Networks of zoo specs with '@' are named "<name>@<size>",
/// NAS-Bench-201 ones by their spec, JSON files keep their own name (or take the path if unnamed).
inline graph::network resolve_spec(const parsed_spec& p) {
    try {
        switch (p.kind) {
        case spec_kind::zoo: {
            auto net = zoo::build(p.name, {.resolution = p.resolution});
            if (p.resolution) net.set_name(p.name + "@" + std::to_string(p.resolution));
            return net;
        }
        case spec_kind::nb201:
        case spec_kind::nb201_latbench: {
            auto net = zoo::nasbench201(p.arch, p.kind == spec_kind::nb201 ? zoo::nb201_variant::training
                                                                          : zoo::nb201_variant::latbench);
            net.set_name(p.text);
            return net;
        }
        case spec_kind::space: return detail::resolve_space_spec(p.name, p.arch, p.resolution);
        case spec_kind::file: {
            if (p.name.size() >= 5 && p.name.substr(p.name.size() - 5) == ".onnx") {
                require(bool(onnx_spec_reader()), "ONNX support was not built into this program (configure accelnas "
                        "with libonnx-dev installed to build accelnas::onnx)");
                return onnx_spec_reader()(p.name);
            }
            auto net = graph::load_network(p.name);
            net.validate();
            if (net.name().empty()) net.set_name(p.name);
            return net;
        }
        }
    } catch (const error& e) {
        fail("model spec '", p.text, "': ", e.what());
    }
    fail("model spec '", p.text, "': unknown spec kind");
}

/// Resolves a model spec (see the grammar at the top of this file) to a network; every failure is
/// accelnas::error "model spec '<spec>': <what is wrong>".
inline graph::network resolve_spec(std::string_view spec) { return resolve_spec(parse_spec(spec)); }

}  // namespace accelnas::app
