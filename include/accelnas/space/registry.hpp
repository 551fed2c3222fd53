#pragma once
/// \file
/// Run-time selection of a shipped space by name, for tools: `names()`, `is_space_name()`,
/// `find_space()` returning a type-erased `any_space`, and `decode_named()` for the model-spec
/// grammar `<space>:<arch text>`. Also the known points (published models that are architectures of
/// a shipped space).

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/architecture.hpp>
#include <accelnas/space/canonical.hpp>
#include <accelnas/space/codec.hpp>
#include <accelnas/space/search_space.hpp>
#include <accelnas/space/spaces/edgetpu.hpp>
#include <accelnas/space/spaces/edgetpu_v2.hpp>
#include <accelnas/space/spaces/mnasnet.hpp>
#include <accelnas/space/spaces/pixel4.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::space {

/// A search space chosen at run time: its name, decision shape and operations behind std::function
/// (one indirection per call; controllers that know the space at compile time use the type instead).
struct any_space {
    std::string name;                                   ///< space name
    std::vector<std::size_t> cardinalities;             ///< cardinality of each decision
    std::vector<std::string> decision_names;            ///< name of each decision ("s3.kernel")
    double log10_size = 0;                              ///< log10 of the number of architectures
    const space_description* description = nullptr;    ///< the space as data (static storage)
    deployment_input deployment;                        ///< the input its networks are deployed at
    std::function<architecture(rng&)> sample;                                    ///< uniform sample
    std::function<architecture(const architecture&, rng&)> mutate;              ///< one decision changed
    std::function<std::vector<architecture>(const architecture&)> neighbours;   ///< all one-decision moves
    std::function<void(const architecture&)> validate;                          ///< throws naming the decision
    std::function<architecture(std::string_view)> parse;                        ///< text -> architecture
    std::function<std::string(const architecture&)> to_text;                    ///< architecture -> text
    std::function<nlohmann::json(const architecture&)> to_json;                 ///< architecture -> JSON
    std::function<architecture(const nlohmann::json&)> from_json;               ///< JSON -> architecture
    /// architecture, input {1, R, R, C}, classes -> network
    std::function<graph::network(const architecture&, graph::tensor_shape, std::int64_t)> decode;
    /// the lexicographically first architecture decoding to the same network (space/canonical.hpp)
    std::function<architecture(const architecture&)> canonical;
};

/// The type-erased form of space type `S`.
template <search_space_type S>
any_space make_any_space() {
    const space_description* d = &description<S>();
    any_space a;
    a.name = std::string(S::name);
    a.cardinalities.assign(S::cardinalities.begin(), S::cardinalities.end());
    a.decision_names = decision_names(*d);
    a.log10_size = S::log10_size;
    a.description = d;
    if constexpr (requires { S::deployment; }) a.deployment = S::deployment;
    a.sample = [d](rng& g) { return sample(*d, g); };
    a.mutate = [d](const architecture& x, rng& g) { return mutate(*d, x, g); };
    a.neighbours = [d](const architecture& x) { return neighbours(*d, x); };
    a.validate = [d](const architecture& x) { validate(*d, x); };
    a.parse = [d](std::string_view t) { return parse(*d, t); };
    a.to_text = [d](const architecture& x) { return to_text(*d, x); };
    a.to_json = [d](const architecture& x) { return to_json(*d, x); };
    a.from_json = [d](const nlohmann::json& j) { return from_json(*d, j); };
    a.decode = [d](const architecture& x, graph::tensor_shape in, std::int64_t classes) {
        return decode(*d, x, in, classes);
    };
    a.canonical = [d](const architecture& x) { return space::canonical(*d, x); };
    return a;
}

/// The shipped spaces, type-erased.
inline const std::vector<any_space>& shipped_spaces() {
    static const std::vector<any_space> all{make_any_space<mnasnet>(), make_any_space<edgetpu>(),
                                            make_any_space<pixel4>(), make_any_space<edgetpu_v2>()};
    return all;
}

namespace detail {
// Spaces a program registered (a deque: references stay valid as it grows).
inline std::deque<any_space>& user_spaces() {
    static std::deque<any_space> all;
    return all;
}
}  // namespace detail

/// Every space the tools can select by name: the shipped ones, then those registered with
/// `register_space`, in registration order.
inline std::vector<const any_space*> all_spaces() {
    std::vector<const any_space*> r;
    for (const auto& s : shipped_spaces()) r.push_back(&s);
    for (const auto& s : detail::user_spaces()) r.push_back(&s);
    return r;
}

/// Names of the selectable spaces ("mnasnet", "edgetpu", "pixel4", "edgetpu_v2", then registered ones).
inline std::vector<std::string> names() {
    std::vector<std::string> r;
    for (const auto* s : all_spaces()) r.push_back(s->name);
    return r;
}

/// True when `name` names a selectable space.
inline bool is_space_name(std::string_view name) {
    for (const auto* s : all_spaces())
        if (s->name == name) return true;
    return false;
}

/// Makes space type `S` selectable by name in every run-time entry point (`find_space`, model
/// specs `<space>:<arch>`, the search, space listing and estimation tools' code in app/). Call it
/// at the start of `main`, before any thread looks a space up; registering a name twice, or a
/// shipped name, is an `accelnas::error`. Returns the registered type-erased space.
template <search_space_type S>
const any_space& register_space() {
    require(!is_space_name(S::name), "register_space: a space called '", S::name, "' is already selectable");
    return detail::user_spaces().emplace_back(make_any_space<S>());
}

/// The space called `name`; `accelnas::error` listing the valid names otherwise.
inline const any_space& find_space(std::string_view name) {
    for (const auto* s : all_spaces())
        if (s->name == name) return *s;
    std::string all;
    for (const auto& n : names()) {
        if (!all.empty()) all += ", ";
        all += n;
    }
    fail("unknown search space '", name, "' (expected one of: ", all, ")");
}

/// Decodes `arch_text` of space `space` on `input` with `classes` logits (errors name the space and
/// the decision at fault).
inline graph::network decode_named(std::string_view space, std::string_view arch_text, graph::tensor_shape input,
                                   std::int64_t classes) {
    const auto& s = find_space(space);
    return s.decode(s.parse(arch_text), input, classes);
}

/// A published model that is an architecture of a shipped space.
struct known_point {
    std::string_view model;      ///< zoo model name
    std::string_view space;      ///< space name
    std::string_view arch_text;  ///< the architecture's text form
};

/// The known points: EfficientNet-EdgeTPU-S (edgetpu), MobilenetEdgeTPU (pixel4), MnasNet-A1 (mnasnet).
inline const std::vector<known_point>& known_points() {
    static const std::vector<known_point> all{
        {"efficientnet_edgetpu_s", edgetpu::name, efficientnet_edgetpu_s_text},
        {"mobilenet_edgetpu", pixel4::name, mobilenet_edgetpu_text},
        {"mnasnet_a1", mnasnet::name, mnasnet_a1_text},
    };
    return all;
}

}  // namespace accelnas::space
