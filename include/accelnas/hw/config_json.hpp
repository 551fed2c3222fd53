#pragma once
/// \file
/// JSON read/write of device configs (schema "accelnas.hw_config", version 1), so that
/// `accelnas-calibrate --out config.json` and every tool's `--config config.json` speak one format.
///
/// {"schema": "accelnas.hw_config", "version": 1, "kind": "edgetpu", "name": "coral-usb",
///  "tiles": 16, ..., "unsupported_activations": ["swish", ...], "host": {"name": ..., ...}}
/// or "kind": "cpu" with the cpu_config fields. Unknown keys and wrong types are errors naming the key.

#include <accelnas/core/error.hpp>
#include <accelnas/hw/config.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <type_traits>
#include <string>
#include <variant>

namespace accelnas::hw {

/// Schema tag of config JSON.
inline constexpr const char* config_schema = "accelnas.hw_config";

namespace detail {
template <class T>
T json_get(const nlohmann::json& j, const char* key, const std::string& where) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        // nlohmann would truncate 16.9 to 16: a count given with a fraction is a mistake.
        const auto& v = j.at(key);
        if (v.is_number_float()) {
            const double d = v.get<double>();
            require(std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e18, where, ".", key,
                    ": must be an integer, got ", v.dump());
            return static_cast<T>(d);
        }
    }
    try {
        return j.at(key).get<T>();
    } catch (const nlohmann::json::exception& e) {
        fail(where, ".", key, ": ", e.what());
    }
}
inline void json_known_keys(const nlohmann::json& j, const std::set<std::string>& keys, const std::string& where) {
    require(j.is_object(), where, ": expected a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
        require(keys.count(it.key()) != 0, where, ": unknown key '", it.key(), "'");
}
}  // namespace detail

/// JSON of a CPU config (without the schema header).
inline nlohmann::json to_json(const cpu_config& c) {
    return {{"name", c.name},
            {"conv_macs_per_second", c.conv_macs_per_second},
            {"pointwise_macs_per_second", c.pointwise_macs_per_second},
            {"depthwise_macs_per_second", c.depthwise_macs_per_second},
            {"dense_macs_per_second", c.dense_macs_per_second},
            {"vector_elements_per_second", c.vector_elements_per_second},
            {"op_overhead_seconds", c.op_overhead_seconds},
            {"inference_overhead_seconds", c.inference_overhead_seconds}};
}

/// CPU config from JSON; missing keys keep `base`'s values. `where` names the JSON path in errors.
inline cpu_config cpu_config_from_json(const nlohmann::json& j, cpu_config base = {}, const std::string& where = "$") {
    detail::json_known_keys(j, {"schema", "version", "kind", "name", "conv_macs_per_second", "pointwise_macs_per_second", "depthwise_macs_per_second",
                                "dense_macs_per_second", "vector_elements_per_second", "op_overhead_seconds",
                                "inference_overhead_seconds"},
                            where);
    auto get = [&](const char* k, auto& field) {
        if (j.contains(k)) field = detail::json_get<std::remove_reference_t<decltype(field)>>(j, k, where);
    };
    get("name", base.name);
    get("conv_macs_per_second", base.conv_macs_per_second);
    get("pointwise_macs_per_second", base.pointwise_macs_per_second);
    get("depthwise_macs_per_second", base.depthwise_macs_per_second);
    get("dense_macs_per_second", base.dense_macs_per_second);
    get("vector_elements_per_second", base.vector_elements_per_second);
    get("op_overhead_seconds", base.op_overhead_seconds);
    get("inference_overhead_seconds", base.inference_overhead_seconds);
    base.validate();
    return base;
}

/// JSON of an Edge TPU config (without the schema header).
inline nlohmann::json to_json(const edgetpu_config& c) {
    nlohmann::json unsupported_kinds = nlohmann::json::array(), unsupported_acts = nlohmann::json::array();
    for (std::size_t i = 0; i < c.support.kinds.size(); ++i)
        if (!c.support.kinds[i]) unsupported_kinds.push_back(graph::op_kind_names[i]);
    for (std::size_t i = 0; i < c.support.activations.size(); ++i)
        if (!c.support.activations[i]) unsupported_acts.push_back(graph::activation_names[i]);
    return {{"name", c.name},
            {"tiles", c.tiles},
            {"cells_per_tile", c.cells_per_tile},
            {"lanes_per_cell", c.lanes_per_cell},
            {"depthwise_lanes", c.depthwise_lanes},
            {"vector_width", c.vector_width},
            {"clock_hz", c.clock_hz},
            {"tile_memory_bytes", c.tile_memory_bytes},
            {"tile_bytes_per_cycle", c.tile_bytes_per_cycle},
            {"param_cache_bytes", c.param_cache_bytes},
            {"sram_bytes_per_cycle", c.sram_bytes_per_cycle},
            {"pass_overhead_cycles", c.pass_overhead_cycles},
            {"host_bytes_per_second", c.host_bytes_per_second},
            {"host_latency_seconds", c.host_latency_seconds},
            {"op_overhead_cycles", c.op_overhead_cycles},
            {"pool_overhead_cycles", c.pool_overhead_cycles},
            {"vector_overhead_cycles", c.vector_overhead_cycles},
            {"inference_overhead_seconds", c.inference_overhead_seconds},
            {"overlap_branch_setup", c.overlap_branch_setup},
            {"host_fallback", c.host_fallback},
            {"unsupported_ops", unsupported_kinds},
            {"unsupported_activations", unsupported_acts},
            {"host", to_json(c.host)}};
}

/// Edge TPU config from JSON; missing keys keep `base`'s values.
inline edgetpu_config edgetpu_config_from_json(const nlohmann::json& j, edgetpu_config base = {},
                                               const std::string& where = "$") {
    detail::json_known_keys(
        j, {"schema", "version", "kind", "name", "tiles", "cells_per_tile", "lanes_per_cell", "depthwise_lanes",
            "vector_width", "clock_hz", "tile_memory_bytes", "tile_bytes_per_cycle", "param_cache_bytes",
            "sram_bytes_per_cycle", "pass_overhead_cycles", "host_bytes_per_second", "host_latency_seconds",
            "op_overhead_cycles", "pool_overhead_cycles", "vector_overhead_cycles", "inference_overhead_seconds", "overlap_branch_setup", "host_fallback", "unsupported_ops",
            "unsupported_activations", "host"},
        where);
    auto get = [&](const char* k, auto& field) {
        if (j.contains(k)) field = detail::json_get<std::remove_reference_t<decltype(field)>>(j, k, where);
    };
    get("name", base.name);
    get("tiles", base.tiles);
    get("cells_per_tile", base.cells_per_tile);
    get("lanes_per_cell", base.lanes_per_cell);
    get("depthwise_lanes", base.depthwise_lanes);
    get("vector_width", base.vector_width);
    get("clock_hz", base.clock_hz);
    get("tile_memory_bytes", base.tile_memory_bytes);
    get("tile_bytes_per_cycle", base.tile_bytes_per_cycle);
    get("param_cache_bytes", base.param_cache_bytes);
    get("sram_bytes_per_cycle", base.sram_bytes_per_cycle);
    get("pass_overhead_cycles", base.pass_overhead_cycles);
    get("host_bytes_per_second", base.host_bytes_per_second);
    get("host_latency_seconds", base.host_latency_seconds);
    get("op_overhead_cycles", base.op_overhead_cycles);
    get("pool_overhead_cycles", base.pool_overhead_cycles);
    get("vector_overhead_cycles", base.vector_overhead_cycles);
    get("inference_overhead_seconds", base.inference_overhead_seconds);
    get("overlap_branch_setup", base.overlap_branch_setup);
    get("host_fallback", base.host_fallback);
    if (j.contains("unsupported_ops")) {
        base.support.kinds.fill(true);
        for (const auto& k : detail::json_get<std::vector<std::string>>(j, "unsupported_ops", where))
            base.support.kinds[static_cast<std::size_t>(graph::parse_op_kind(k))] = false;
    }
    if (j.contains("unsupported_activations")) {
        base.support.activations.fill(true);
        for (const auto& a : detail::json_get<std::vector<std::string>>(j, "unsupported_activations", where))
            base.support.activations[static_cast<std::size_t>(graph::parse_activation(a))] = false;
    }
    if (j.contains("host")) base.host = cpu_config_from_json(j.at("host"), base.host, where + ".host");
    base.validate();
    return base;
}

/// A config read from a file: an Edge TPU or a CPU description.
using device_config = std::variant<edgetpu_config, cpu_config>;

/// The file form of a config (schema header + kind + fields).
inline nlohmann::json config_to_json(const device_config& c) {
    nlohmann::json j = std::visit([](const auto& x) { return to_json(x); }, c);
    j["schema"] = config_schema;
    j["version"] = 1;
    j["kind"] = std::holds_alternative<edgetpu_config>(c) ? "edgetpu" : "cpu";
    return j;
}

/// Parses the file form; errors name the key at fault. Keys the file leaves out keep `base`'s
/// values (a target's shipped config, so that a partial file overrides that target) when `base` is
/// of the file's kind, else the library defaults.
inline device_config config_from_json(const nlohmann::json& j, const std::optional<device_config>& base = std::nullopt) {
    require(j.is_object(), "hw config: expected a JSON object");
    require(j.value("schema", std::string{}) == config_schema, "hw config: schema must be '", config_schema, "'");
    const auto kind = j.value("kind", std::string{});
    if (kind == "edgetpu")
        return edgetpu_config_from_json(j, base && std::holds_alternative<edgetpu_config>(*base) ? std::get<edgetpu_config>(*base) : edgetpu_config{});
    if (kind == "cpu")
        return cpu_config_from_json(j, base && std::holds_alternative<cpu_config>(*base) ? std::get<cpu_config>(*base) : cpu_config{});
    fail("hw config: kind must be 'edgetpu' or 'cpu', got '", kind, "'");
}

/// Reads a config file (missing keys keep `base`'s values, see `config_from_json`).
inline device_config read_config(const std::string& path, const std::optional<device_config>& base = std::nullopt) {
    std::ifstream in(path);
    require(in.good(), "hw config: cannot open '", path, "'");
    nlohmann::json j;
    try {
        in >> j;
    } catch (const nlohmann::json::exception& e) {
        fail("hw config '", path, "': ", e.what());
    }
    return config_from_json(j, base);
}

/// Writes a config file.
inline void write_config(const std::string& path, const device_config& c) {
    std::ofstream out(path);
    require(out.good(), "hw config: cannot write '", path, "'");
    out << config_to_json(c).dump(2) << '\n';
}

}  // namespace accelnas::hw
