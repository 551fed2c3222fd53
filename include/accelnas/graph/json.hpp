#pragma once
/// \file
/// JSON read/write of `graph::network` (schema "accelnas.network", version 1). Writing then reading
/// gives a network that compares equal op by op, names included. Errors name the JSON path.
///
/// Format: {"schema": "accelnas.network", "version": 1, "name": "...",
///          "ops": [{"name": "x", "kind": "input", "shape": [1, 224, 224, 3]},
///                  {"name": "c1", "kind": "conv2d", "inputs": ["x"], "filters": 32, "kernel": [3, 3],
///                   "stride": [2, 2], "padding": "same", "groups": 1, "bias": false,
///                   "batch_norm": true, "activation": "relu"}, ...]}
/// Attributes an op kind does not use are omitted when writing and rejected when reading. Ops may
/// appear in any order as long as the graph is acyclic.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <tuple>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace accelnas::graph {

/// Schema tag and version written into every network JSON.
inline constexpr const char* network_schema = "accelnas.network";
inline constexpr int network_schema_version = 1;

namespace detail {
inline std::vector<std::string_view> json_fields_of(op_kind k) {
    switch (k) {
    case op_kind::input: return {"shape"};
    case op_kind::conv2d:
        return {"filters", "kernel", "stride", "padding", "groups", "bias", "batch_norm", "activation"};
    case op_kind::fully_connected: return {"units", "bias", "batch_norm", "activation"};
    case op_kind::add:
    case op_kind::mul:
    case op_kind::batch_norm:
    case op_kind::activation: return {"activation"};
    case op_kind::max_pool: return {"kernel", "stride", "padding"};
    case op_kind::avg_pool: return {"kernel", "stride", "padding", "count_include_pad"};
    case op_kind::reshape: return {"shape"};
    case op_kind::pad: return {"pads"};
    case op_kind::opaque: return {"type", "shape"};
    default: return {};
    }
}
}  // namespace detail

/// The JSON form of `net`.
inline nlohmann::json to_json(const network& net) {
    using nlohmann::json;
    json ops = json::array();
    for (const auto& o : net.ops()) {
        json j;
        j["name"] = o.name;
        j["kind"] = std::string(to_string(o.kind));
        if (!o.inputs.empty()) {
            json in = json::array();
            for (auto i : o.inputs) in.push_back(net.ops()[i].name);
            j["inputs"] = in;
        }
        for (auto f : detail::json_fields_of(o.kind)) {
            const std::string k(f);
            if (k == "shape") {
                const auto& s = o.kind == op_kind::input ? o.out : o.target;
                j[k] = {s.n, s.h, s.w, s.c};
            } else if (k == "filters" || k == "units") j[k] = o.filters;
            else if (k == "kernel") j[k] = {o.kernel_h, o.kernel_w};
            else if (k == "stride") j[k] = {o.stride_h, o.stride_w};
            else if (k == "padding") j[k] = std::string(to_string(o.pad));
            else if (k == "groups") j[k] = o.groups;
            else if (k == "bias") j[k] = o.bias;
            else if (k == "batch_norm") j[k] = o.batch_norm;
            else if (k == "activation") j[k] = std::string(to_string(o.act));
            else if (k == "count_include_pad") j[k] = o.count_include_pad;
            else if (k == "pads") j[k] = {o.pads[0], o.pads[1], o.pads[2], o.pads[3]};
            else if (k == "type") j[k] = o.opaque_type;
        }
        ops.push_back(std::move(j));
    }
    return {{"schema", network_schema}, {"version", network_schema_version}, {"name", net.name()}, {"ops", ops}};
}

namespace detail {
struct json_reader {
    const nlohmann::json& j;
    std::string path;

    [[noreturn]] void bad(const std::string& what) const { fail("JSON ", path, ": ", what); }

    const nlohmann::json& field(const char* key) const {
        if (!j.is_object()) bad("expected an object");
        auto it = j.find(key);
        if (it == j.end()) fail("JSON ", path, ": missing field '", key, "'");
        return *it;
    }
    std::string str(const char* key) const {
        const auto& v = field(key);
        if (!v.is_string()) fail("JSON ", path, ".", key, ": expected a string, got ", v.type_name());
        return v.get<std::string>();
    }
    std::int64_t integer(const nlohmann::json& v, const std::string& where) const {
        if (!v.is_number_integer()) fail("JSON ", where, ": expected an integer, got ", v.dump());
        if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
            fail("JSON ", where, ": integer ", v.dump(), " is out of range");
        return v.get<std::int64_t>();
    }
    std::int64_t integer(const char* key) const { return integer(field(key), path + "." + key); }
    int small_int(const nlohmann::json& v, const std::string& where) const {
        auto x = integer(v, where);
        if (x < INT32_MIN || x > INT32_MAX) fail("JSON ", where, ": ", x, " is out of range");
        return static_cast<int>(x);
    }
    bool boolean(const char* key) const {
        const auto& v = field(key);
        if (!v.is_boolean()) fail("JSON ", path, ".", key, ": expected true or false, got ", v.dump());
        return v.get<bool>();
    }
    std::vector<std::int64_t> ints(const char* key, std::size_t n) const {
        const auto& v = field(key);
        const auto where = path + "." + key;
        if (!v.is_array() || v.size() != n) fail("JSON ", where, ": expected an array of ", n, " integers, got ", v.dump());
        std::vector<std::int64_t> r;
        for (std::size_t i = 0; i < n; ++i) r.push_back(integer(v[i], where + "[" + std::to_string(i) + "]"));
        return r;
    }
    std::pair<int, int> pair_of(const char* key) const {
        auto v = ints(key, 2);
        const auto where = path + "." + key;
        return {small_int(v[0], where + "[0]"), small_int(v[1], where + "[1]")};
    }
};
}  // namespace detail

/// Reads a network from its JSON form; `accelnas::error` names the JSON path of the first problem.
inline network network_from_json(const nlohmann::json& doc) {
    using nlohmann::json;
    detail::json_reader top{doc, "$"};
    if (!doc.is_object()) top.bad("expected an object with fields schema, version, name, ops");
    if (top.str("schema") != network_schema)
        fail("JSON $.schema: expected '", network_schema, "', got '", top.str("schema"), "'");
    const auto version = top.integer("version");
    if (version != network_schema_version)
        fail("JSON $.version: unsupported schema version ", version, " (this accelnas reads ", network_schema_version, ")");
    network net(top.str("name"));
    const auto& ops = top.field("ops");
    if (!ops.is_array()) fail("JSON $.ops: expected an array, got ", ops.type_name());
    if (ops.empty()) fail("JSON $.ops: the network is empty (no ops)");

    // Names first, so that inputs may refer to ops listed later; then a topological order.
    std::map<std::string, std::size_t> index;
    std::vector<std::vector<std::string>> in_names(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
        detail::json_reader r{ops[i], "$.ops[" + std::to_string(i) + "]"};
        const auto name = r.str("name");
        if (name.empty()) fail("JSON ", r.path, ".name: must not be empty");
        if (!index.emplace(name, i).second) fail("JSON ", r.path, ".name: duplicate op name '", name, "'");
        if (ops[i].contains("inputs")) {
            const auto& in = ops[i]["inputs"];
            if (!in.is_array()) fail("JSON ", r.path, ".inputs: expected an array of op names");
            for (std::size_t k = 0; k < in.size(); ++k) {
                if (!in[k].is_string())
                    fail("JSON ", r.path, ".inputs[", k, "]: expected an op name, got ", in[k].dump());
                in_names[i].push_back(in[k].get<std::string>());
            }
        }
    }
    for (std::size_t i = 0; i < ops.size(); ++i)
        for (std::size_t k = 0; k < in_names[i].size(); ++k)
            if (!index.count(in_names[i][k]))
                fail("JSON $.ops[", i, "].inputs[", k, "]: op '", ops[i]["name"].get<std::string>(),
                     "' refers to '", in_names[i][k], "', which no op defines (dangling input)");
    std::vector<int> state(ops.size(), 0);  // 0 new, 1 on stack, 2 done
    std::vector<std::size_t> order;
    for (std::size_t root = 0; root < ops.size(); ++root) {
        if (state[root]) continue;
        std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
        state[root] = 1;
        while (!stack.empty()) {
            auto& [v, k] = stack.back();
            if (k < in_names[v].size()) {
                const auto u = index.at(in_names[v][k++]);
                if (state[u] == 1)
                    fail("JSON $.ops[", u, "]: op '", ops[u]["name"].get<std::string>(), "' is part of a cycle");
                if (state[u] == 0) {
                    state[u] = 1;
                    stack.emplace_back(u, 0);
                }
            } else {
                state[v] = 2;
                order.push_back(v);
                stack.pop_back();
            }
        }
    }

    std::map<std::string, std::size_t> built;  // op name -> index in net
    for (auto i : order) {
        detail::json_reader r{ops[i], "$.ops[" + std::to_string(i) + "]"};
        op o;
        o.name = r.str("name");
        o.kind = [&] {
            try {
                return parse_op_kind(r.str("kind"));
            } catch (const error& e) {
                fail("JSON ", r.path, ".kind: ", e.what());
            }
        }();
        const auto allowed = detail::json_fields_of(o.kind);
        for (auto it = ops[i].begin(); it != ops[i].end(); ++it) {
            const auto& k = it.key();
            if (k == "name" || k == "kind" || k == "inputs") continue;
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                fail("JSON ", r.path, ".", k, ": unknown field for a ", to_string(o.kind), " op");
        }
        if (o.kind != op_kind::input && !ops[i].contains("inputs")) fail("JSON ", r.path, ": missing field 'inputs'");
        if (o.kind == op_kind::input && ops[i].contains("inputs")) fail("JSON ", r.path, ".inputs: an input op takes no inputs");
        for (const auto& n : in_names[i]) o.inputs.push_back(built.at(n));
        auto shape4 = [&](const char* key) {
            auto v = r.ints(key, 4);
            return tensor_shape{v[0], v[1], v[2], v[3]};
        };
        auto act = [&] {
            try {
                return parse_activation(r.str("activation"));
            } catch (const error& e) {
                if (!ops[i].contains("activation") || !ops[i]["activation"].is_string()) throw;
                fail("JSON ", r.path, ".activation: ", e.what());
            }
        };
        auto pad = [&] {
            try {
                return parse_padding(r.str("padding"));
            } catch (const error& e) {
                if (!ops[i].contains("padding") || !ops[i]["padding"].is_string()) throw;
                fail("JSON ", r.path, ".padding: ", e.what());
            }
        };
        switch (o.kind) {
        case op_kind::input: o.out = shape4("shape"); break;
        case op_kind::conv2d:
            o.filters = r.integer("filters");
            std::tie(o.kernel_h, o.kernel_w) = r.pair_of("kernel");
            std::tie(o.stride_h, o.stride_w) = r.pair_of("stride");
            o.pad = pad();
            o.groups = r.integer("groups");
            o.bias = r.boolean("bias");
            o.batch_norm = r.boolean("batch_norm");
            o.act = act();
            break;
        case op_kind::fully_connected:
            o.filters = r.integer("units");
            o.bias = r.boolean("bias");
            o.batch_norm = r.boolean("batch_norm");
            o.act = act();
            break;
        case op_kind::add:
        case op_kind::mul:
        case op_kind::batch_norm:
        case op_kind::activation: o.act = act(); break;
        case op_kind::max_pool:
        case op_kind::avg_pool:
            std::tie(o.kernel_h, o.kernel_w) = r.pair_of("kernel");
            std::tie(o.stride_h, o.stride_w) = r.pair_of("stride");
            o.pad = pad();
            if (o.kind == op_kind::avg_pool) o.count_include_pad = r.boolean("count_include_pad");
            break;
        case op_kind::reshape: o.target = shape4("shape"); break;
        case op_kind::opaque:
            o.opaque_type = r.str("type");
            o.target = shape4("shape");
            break;
        case op_kind::pad: {
            auto v = r.ints("pads", 4);
            o.pads = {v[0], v[1], v[2], v[3]};
            break;
        }
        default: break;
        }
        try {
            auto name = o.name;
            const auto id = net.append(std::move(o)).id;
            built[name] = id;
        } catch (const error& e) {
            fail("JSON ", r.path, ": ", e.what());
        }
    }
    // Keep the file's op order when it was already topological (exact round trip).
    return net;
}

/// Parses JSON text into a network.
inline network network_from_json_text(const std::string& text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        fail("JSON: not valid JSON (", e.what(), ")");
    }
    return network_from_json(doc);
}

/// Reads a network from a JSON file.
inline network load_network(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("cannot open network file '", path, "'");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return network_from_json_text(ss.str());
    } catch (const error& e) {
        fail(path, ": ", e.what());
    }
}

/// Writes `net` as JSON to `path` (pretty-printed, 1 space indent).
inline void save_network(const network& net, const std::string& path) {
    std::ofstream out(path);
    if (!out) fail("cannot write network file '", path, "'");
    out << to_json(net).dump(1) << '\n';
    if (!out) fail("error writing network file '", path, "'");
}

}  // namespace accelnas::graph
