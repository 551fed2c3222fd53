#pragma once
/// \file
/// The architecture codec and the controller helpers, on a runtime space description: validation,
/// text and JSON forms (both round-trip), sampling, one-decision mutation, neighbours, and decoding
/// to a plan and to a `graph::network`.
///
/// Text form: one group per stage, separated by '/', each group the stage's decisions as
/// `key=value` separated by ',' (a stage without decisions is written `-`), e.g. for two stages
/// `block=fused_ibn,kernel=3,expand=4/block=ibn,kernel=5,expand=8`. Keys may come in any order in
/// parsed text; written text uses slot order. Values are compared by value ("1.0" == "1", "+1" == "1").

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/space/architecture.hpp>
#include <accelnas/space/description.hpp>
#include <accelnas/space/plan.hpp>
#include <accelnas/space/scaling.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::space {

/// Names of the decisions of `d` ("s1.block", "s1.kernel", ...), in decision order.
inline std::vector<std::string> decision_names(const space_description& d) {
    std::vector<std::string> r;
    for (const auto& x : d.decisions) r.push_back(x.name);
    return r;
}

/// Cardinalities of the decisions of `d`, in decision order.
inline std::vector<std::size_t> cardinalities(const space_description& d) {
    std::vector<std::size_t> r;
    for (const auto& x : d.decisions) r.push_back(x.cardinality);
    return r;
}

/// log10 of the number of architectures of `d` (the product of the cardinalities).
inline double log10_size(const space_description& d) {
    double r = 0;
    for (const auto& x : d.decisions) r += std::log10(static_cast<double>(x.cardinality));
    return r;
}

/// Throws `accelnas::error` unless `a` has one choice per decision of `d`, each in range; the
/// message names the space and the decision.
inline void validate(const space_description& d, const architecture& a) {
    require(a.choices.size() == d.decisions.size(), "space '", d.name, "': architecture has ", a.choices.size(),
            " choices, expected one per decision (", d.decisions.size(), ")");
    for (std::size_t i = 0; i < a.choices.size(); ++i) {
        const auto& x = d.decisions[i];
        require(a.choices[i] >= 0 && static_cast<std::size_t>(a.choices[i]) < x.cardinality, "space '", d.name,
                "': decision '", x.name, "' (#", i, ") has choice index ", a.choices[i], ", expected 0..",
                x.cardinality - 1);
    }
}

/// Stable text form of `a` (see the file comment).
inline std::string to_text(const space_description& d, const architecture& a) {
    validate(d, a);
    std::string r;
    std::size_t k = 0;
    for (std::size_t i = 0; i < d.stages.size(); ++i) {
        if (i) r += '/';
        std::string g;
        for (; k < d.decisions.size() && d.decisions[k].stage == i; ++k) {
            const auto& v = d.slot_of(k);
            if (!g.empty()) g += ',';
            g += std::string(v.key) + "=" + value_text(v, v.values[static_cast<std::size_t>(a.choices[k])]);
        }
        r += g.empty() ? "-" : g;
    }
    return r;
}

namespace detail {
inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> r;
    std::size_t b = 0;
    for (;;) {
        auto e = s.find(sep, b);
        r.push_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
        if (e == std::string_view::npos) return r;
        b = e + 1;
    }
}
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}
// Index of the decision of stage `stage` deciding slot key `key`; npos when none.
inline std::size_t find_decision(const space_description& d, std::size_t stage, std::string_view key) {
    for (std::size_t k = 0; k < d.decisions.size(); ++k)
        if (d.decisions[k].stage == stage && d.decisions[k].key == key)
            return k;
    return static_cast<std::size_t>(-1);
}
// Choice index of value text `v` for decision k; throws naming the decision.
inline int choice_of(const space_description& d, std::size_t k, std::string_view v) {
    const auto& x = d.decisions[k];
    const auto& sv = d.slot_of(k);
    double num = 0;
    if (parse_value(sv, v, num))
        for (std::size_t i = 0; i < sv.values.size(); ++i)
            if (sv.values[i] == num) return static_cast<int>(i);
    fail("space '", d.name, "': decision '", x.name, "': '", v, "' is not one of its choices (", values_text(sv), ")");
}
inline std::string stage_keys(const space_description& d, std::size_t stage) {
    std::string r;
    for (const auto& x : d.decisions)
        if (x.stage == stage) {
            if (!r.empty()) r += ", ";
            r += x.key;
        }
    return r.empty() ? "none" : r;
}
}  // namespace detail

/// Parses the text form of an architecture of `d`; errors name the decision (or stage) at fault.
inline architecture parse(const space_description& d, std::string_view text) {
    const auto groups = detail::split(detail::trim(text), '/');
    require(groups.size() == d.stages.size(), "space '", d.name, "': architecture text has ", groups.size(),
            " stage group(s) separated by '/', expected ", d.stages.size());
    architecture a;
    a.choices.assign(d.decisions.size(), -1);
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto g = detail::trim(groups[i]);
        if (g == "-" || g.empty()) continue;
        for (auto tok : detail::split(g, ',')) {
            tok = detail::trim(tok);
            const auto eq = tok.find('=');
            require(eq != std::string_view::npos, "space '", d.name, "': stage ", i + 1, ": '", tok,
                    "' is not key=value");
            const auto key = detail::trim(tok.substr(0, eq));
            const auto val = detail::trim(tok.substr(eq + 1));
            const auto k = detail::find_decision(d, i, key);
            require(k != static_cast<std::size_t>(-1), "space '", d.name, "': stage ", i + 1, " has no decision '",
                    key, "' (its decisions: ", detail::stage_keys(d, i), ")");
            require(a.choices[k] < 0, "space '", d.name, "': decision '", d.decisions[k].name, "' is given twice");
            a.choices[k] = detail::choice_of(d, k, val);
        }
    }
    for (std::size_t k = 0; k < a.choices.size(); ++k)
        require(a.choices[k] >= 0, "space '", d.name, "': decision '", d.decisions[k].name,
                "' is missing from the architecture text");
    return a;
}

/// JSON form of `a`: {"space": name, "stages": [{key: value, ...}, ...]} with numbers for numeric
/// slots and names for block, act and skip.
inline nlohmann::json to_json(const space_description& d, const architecture& a) {
    validate(d, a);
    nlohmann::json stages = nlohmann::json::array();
    for (std::size_t i = 0; i < d.stages.size(); ++i) stages.push_back(nlohmann::json::object());
    for (std::size_t k = 0; k < d.decisions.size(); ++k) {
        const auto& x = d.decisions[k];
        const auto& sv = d.slot_of(k);
        const double v = sv.values[static_cast<std::size_t>(a.choices[k])];
        auto& slot_json = stages[x.stage][x.key];
        if (sv.format == value_format::name) slot_json = value_text(sv, v);
        else if (sv.format == value_format::real) slot_json = v;
        else slot_json = static_cast<long long>(v);
    }
    return {{"space", d.name}, {"stages", stages}};
}

/// Reads the JSON form written by `to_json`; also accepts {"space": name, "choices": [indices]}.
/// Errors name the JSON path and the decision.
inline architecture from_json(const space_description& d, const nlohmann::json& j) {
    require(j.is_object(), "space '", d.name, "': architecture JSON must be an object");
    require(j.contains("space") && j["space"].is_string(), "space '", d.name,
            "': architecture JSON needs a string field \"space\"");
    require(j["space"].get<std::string>() == d.name, "space '", d.name, "': architecture JSON is of space '",
            j["space"].get<std::string>(), "'");
    architecture a;
    if (j.contains("choices")) {
        const auto& c = j["choices"];
        require(c.is_array(), "space '", d.name, "': \"choices\" must be an array of choice indices");
        for (std::size_t i = 0; i < c.size(); ++i) {
            require(c[i].is_number_integer(), "space '", d.name, "': choices[", i, "] must be an integer");
            // Read wide and range-check, so that a huge index is reported rather than truncated.
            const auto v = c[i].get<std::int64_t>();
            require(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max(), "space '", d.name,
                    "': choices[", i, "] = ", v, " is not a choice index");
            a.choices.push_back(static_cast<int>(v));
        }
        validate(d, a);
        return a;
    }
    require(j.contains("stages") && j["stages"].is_array(), "space '", d.name,
            "': architecture JSON needs an array \"stages\" (or \"choices\")");
    const auto& st = j["stages"];
    require(st.size() == d.stages.size(), "space '", d.name, "': \"stages\" has ", st.size(), " entries, expected ",
            d.stages.size());
    a.choices.assign(d.decisions.size(), -1);
    for (std::size_t i = 0; i < st.size(); ++i) {
        require(st[i].is_object(), "space '", d.name, "': stages[", i, "] must be an object");
        for (const auto& [key, value] : st[i].items()) {
            const auto k = detail::find_decision(d, i, key);
            require(k != static_cast<std::size_t>(-1), "space '", d.name, "': stages[", i, "].", key,
                    ": stage ", i + 1, " has no such decision (its decisions: ", detail::stage_keys(d, i), ")");
            std::string text;
            if (value.is_string()) text = value.get<std::string>();
            else if (value.is_number()) text = value_text(slot_values{.format = value_format::real}, value.get<double>());
            else fail("space '", d.name, "': stages[", i, "].", key, " must be a string or a number");
            a.choices[k] = detail::choice_of(d, k, text);
        }
    }
    for (std::size_t k = 0; k < a.choices.size(); ++k)
        require(a.choices[k] >= 0, "space '", d.name, "': decision '", d.decisions[k].name,
                "' is missing from the architecture JSON");
    return a;
}

/// A uniformly random architecture of `d` (one uniform_index per decision, in decision order).
inline architecture sample(const space_description& d, rng& g) {
    architecture a;
    a.choices.reserve(d.decisions.size());
    for (const auto& x : d.decisions) a.choices.push_back(static_cast<int>(uniform_index(g, x.cardinality)));
    return a;
}

/// `a` with exactly one decision changed: a uniform decision, set to a uniform different choice.
inline architecture mutate(const space_description& d, architecture a, rng& g) {
    validate(d, a);
    require(!d.decisions.empty(), "space '", d.name, "' has no decision to mutate");
    const auto k = uniform_index(g, d.decisions.size());
    const auto n = d.decisions[k].cardinality;
    const auto c = static_cast<std::uint64_t>(a.choices[k]);
    a.choices[k] = static_cast<int>((c + 1 + uniform_index(g, n - 1)) % n);
    return a;
}

/// Every architecture that differs from `a` in exactly one decision (decision order, then choice order).
inline std::vector<architecture> neighbours(const space_description& d, const architecture& a) {
    validate(d, a);
    std::vector<architecture> r;
    for (std::size_t k = 0; k < d.decisions.size(); ++k)
        for (std::size_t c = 0; c < d.decisions[k].cardinality; ++c) {
            if (static_cast<int>(c) == a.choices[k]) continue;
            auto b = a;
            b.choices[k] = static_cast<int>(c);
            r.push_back(std::move(b));
        }
    return r;
}

/// The chosen value index of every slot of stage `i` of `d` for architecture `a` (fixed slots: 0).
inline std::vector<std::size_t> stage_choices(const space_description& d, const architecture& a, std::size_t i) {
    const auto& sd = d.stages[i];
    std::vector<std::size_t> r(sd.slots.size(), 0);
    for (std::size_t k = 0; k < d.decisions.size(); ++k)
        if (d.decisions[k].stage == i) r[d.decisions[k].slot] = static_cast<std::size_t>(a.choices[k]);
    return r;
}

/// The plan row of stage `i` of `d` when its slots take the value indices `choice` (one per slot of
/// the stage, as `stage_choices` gives): filters = make_divisible(base * width, 8), repeats = base
/// layers + delta, the block's slot values by key.
inline stage_plan stage_plan_of(const space_description& d, std::size_t i, const std::vector<std::size_t>& choice) {
    const auto& sd = d.stages[i];
    stage_plan st;
    st.stride = sd.stride;
    double width = 1.0;
    int delta = 0;
    for (std::size_t s = 0; s < sd.slots.size(); ++s) {
        const auto& sv = sd.slots[s];
        const double v = sv.values[choice[s]];
        if (sv.key == block_slot::key) st.block = sd.blocks[static_cast<std::size_t>(v)];
        else if (sv.key == skip_slot::key) st.skip = static_cast<skip_kind>(static_cast<int>(v));
        else if (sv.key == width_slot::key) width = v;
        else if (sv.key == layers_slot::key) delta = static_cast<int>(v);
        else st.values.values.emplace_back(sv.key, v);
    }
    st.filters = graph::blocks::make_divisible(static_cast<double>(sd.filters) * width, 8);
    st.repeats = sd.layers + delta;
    return st;
}

/// The plan of architecture `a` of `d`: each stage's values at the chosen indices (see `stage_plan_of`).
inline network_plan plan_of(const space_description& d, const architecture& a) {
    validate(d, a);
    network_plan p;
    p.name = d.name;
    p.stem_filters = d.stem_filters;
    p.stem_kernel = d.stem_kernel;
    p.stem_stride = d.stem_stride;
    p.head_filters = d.head_filters;
    p.act = d.act;
    p.rule = d.rule;
    for (std::size_t i = 0; i < d.stages.size(); ++i) p.stages.push_back(stage_plan_of(d, i, stage_choices(d, a, i)));
    return p;
}

/// The network of architecture `a` of `d` on `input` ({1, R, R, C}) with `classes` logits.
inline graph::network decode(const space_description& d, const architecture& a, graph::tensor_shape input,
                             std::int64_t classes) {
    return build(plan_of(d, a), input, classes);
}

/// The network of `a` after compound scaling `s` (s.resolution must be set: the input is
/// {1, s.resolution, s.resolution, channels}).
inline graph::network decode_scaled(const space_description& d, const architecture& a, const compound_scaling& s,
                                    std::int64_t classes, std::int64_t channels = 3) {
    require(s.resolution > 0, "space '", d.name, "': decode_scaled needs a positive resolution, got ", s.resolution);
    return build(scale(plan_of(d, a), s), {1, s.resolution, s.resolution, channels}, classes);
}

}  // namespace accelnas::space
