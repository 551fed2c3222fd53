#pragma once
/// \file
/// Targets as the tools name them: the list for help texts (always `hw::targets::names()`, so it
/// cannot drift from what `hw::make_target` accepts), a target's shipped description, the
/// on-chip parameter memory that description declares, and device configs read from files checked
/// against the target they are meant for.

#include <accelnas/core/error.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/config_json.hpp>
#include <accelnas/hw/targets.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace accelnas::app {

/// The shipped description of a target: an Edge TPU, a CPU or a systolic array.
using target_config = std::variant<hw::edgetpu_config, hw::cpu_config, hw::systolic_config>;

/// The Edge TPU and CPU targets, by name: "coral-usb, coral-devboard, ..., pixel4-cpu".
inline std::string named_target_list() {
    std::string r;
    for (const auto& n : hw::targets::names()) r += (r.empty() ? "" : ", ") + n;
    return r;
}

/// The names `hw::make_target` accepts, for help texts: "coral-usb, ..., pixel4-cpu or
/// systolic-<R>x<C>-<os|ws|is>".
inline std::string target_list() { return named_target_list() + " or systolic-<R>x<C>-<os|ws|is>"; }

/// The shipped description of target `name` (any name `hw::make_target` accepts); `accelnas::error`
/// naming the known targets otherwise.
inline target_config shipped_config(std::string_view name) {
    if (auto s = hw::targets::parse_systolic(name)) return *s;
    if (name == "pixel4-cpu") return hw::targets::pixel4_cpu();
    for (const auto& n : hw::targets::names())
        if (n == name) return hw::targets::edgetpu(name);
    fail("unknown target '", name, "' (expected one of: ", target_list(), ")");
}

/// The names of the Edge TPU targets (those whose shipped description is an Edge TPU), for help texts.
inline std::string edgetpu_target_list() {
    std::string r;
    for (const auto& n : hw::targets::names())
        if (std::holds_alternative<hw::edgetpu_config>(shipped_config(n))) r += (r.empty() ? "" : ", ") + n;
    return r;
}

/// Bytes of parameters the target keeps on chip, from its description: an Edge TPU's parameter
/// cache; 0 for a CPU and a systolic array (neither description models a parameter store).
inline double on_chip_parameter_bytes(const target_config& c) {
    if (const auto* e = std::get_if<hw::edgetpu_config>(&c)) return static_cast<double>(e->param_cache_bytes);
    return 0.0;
}

/// The config of kind `Config` in `c`; `accelnas::error` "<what>: target '<target>' needs an <kind>
/// config, got a <kind> one" otherwise (never an unchecked `std::get`).
template <class Config>
Config config_for(const hw::device_config& c, std::string_view target, std::string_view what) {
    auto kind = [](bool edgetpu) { return edgetpu ? "an edgetpu" : "a cpu"; };
    const bool want_edgetpu = std::is_same_v<Config, hw::edgetpu_config>;
    const auto* p = std::get_if<Config>(&c);
    require(p != nullptr, what, ": target '", target, "' needs ", kind(want_edgetpu), " config, got ",
            kind(!want_edgetpu), " one");
    return *p;
}

}  // namespace accelnas::app
