#pragma once
/// \file
/// The shipped targets - `coral-usb`, `coral-devboard`, `pixel4-edgetpu`, `coral-latbench`,
/// `pixel4-cpu` and `systolic-<rows>x<cols>-<os|ws|is>` - and `make_target(name, estimator)` which
/// builds any of them behind `any_accelerator`. The Edge TPU and CPU numbers marked "calibrated"
/// were fitted with `accelnas-calibrate` on reference/*.csv (see docs/hw.md for the commands).

#include <accelnas/core/error.hpp>
#include <accelnas/hw/any_accelerator.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/config_json.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/simulator.hpp>
#include <accelnas/hw/systolic.hpp>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::hw::targets {

/// Pixel 4 CPU (4 threads, int8 TFLite); calibrated on the pixel4-cpu rows.
inline cpu_config pixel4_cpu() {
    cpu_config c;
    c.name = "pixel4-cpu";
    c.conv_macs_per_second = 40.5314e9;        // calibrated (pixel4-cpu rows)
    c.pointwise_macs_per_second = 191.401e9;   // calibrated (pixel4-cpu rows)
    c.depthwise_macs_per_second = 12e9;
    c.dense_macs_per_second = 8e9;
    c.vector_elements_per_second = 4e9;
    c.op_overhead_seconds = 15e-6;
    c.inference_overhead_seconds = 100e-6;
    return c;
}

/// The host CPU behind a Coral accelerator (desktop / Dev Board), for partitioned ops.
inline cpu_config coral_host_cpu() {
    cpu_config c;
    c.name = "coral-host-cpu";
    c.conv_macs_per_second = 20e9;
    c.depthwise_macs_per_second = 5e9;
    c.dense_macs_per_second = 5e9;
    c.vector_elements_per_second = 2e9;
    c.op_overhead_seconds = 10e-6;
    return c;
}

/// The Edge TPU chip as LatBench's 2,000 NAS-Bench-201 rows show it (on-chip mechanisms shared by
/// every Coral target: tile bandwidth, pipeline fill per weight block, per-kind op overheads).
inline edgetpu_config coral_chip() {
    edgetpu_config c;
    c.clock_hz = 250e6;  // the default (throttled) libedgetpu clock: both data sets fit it (docs/hw.md)
    c.tile_bytes_per_cycle = 18.0723;   // calibrated (coral-latbench)
    c.sram_bytes_per_cycle = 384.216;   // calibrated (coral-latbench)
    c.pass_overhead_cycles = 157;       // calibrated (coral-latbench)
    c.op_overhead_cycles = 564;         // calibrated (coral-latbench)
    c.pool_overhead_cycles = 3636;      // calibrated (coral-latbench)
    c.vector_overhead_cycles = 1471;    // calibrated (coral-latbench)
    c.host = coral_host_cpu();
    return c;
}

/// Coral USB Accelerator: the Edge TPU behind USB 3.0; its host link and per-inference overhead
/// calibrated on the simulator against 5 of the 7 coral-usb rows (--holdout 0.3), the narrow memory
/// at its physical 64 B/cycle (a free fit asked for 64.8, just above it).
inline edgetpu_config coral_usb() {
    edgetpu_config c = coral_chip();
    c.name = "coral-usb";
    c.host_bytes_per_second = 475.771e6;        // calibrated (sim, coral-usb rows)
    c.host_latency_seconds = 30e-6;
    c.inference_overhead_seconds = 174.754e-6;  // calibrated (sim, coral-usb rows)
    c.tile_bytes_per_cycle = 64;                // fixed: the 64-byte port (16 banks x 4 B) that feeds 64 cells
    return c;
}

/// Coral Dev Board: the same chip and the same libedgetpu runtime behind PCIe Gen2 x1 on an i.MX 8M
/// host. Only the host link differs from coral-usb, so only the link is fitted (simulator, 5 of its 7
/// rows, --holdout 0.3); the per-inference overhead is coral-usb's (docs/hw.md, "coral-devboard"):
///
///     accelnas-calibrate --target coral-devboard --estimator sim --holdout 0.3
///       --measurements edgetpu_measured_calibration.csv --params host_bytes_per_second
inline edgetpu_config coral_devboard() {
    edgetpu_config c = coral_usb();  // inference_overhead_seconds too: the same runtime
    c.name = "coral-devboard";
    c.host_bytes_per_second = 399.993e6;  // calibrated (sim, coral-devboard rows)
    return c;
}

/// Pixel 4 Edge TPU (Pixel Neural Core): no public specs. It is an Edge TPU, so everything the
/// Coral chip determines is taken from it unchanged: the 16 tiles of 64 cells with 4 MAC lanes, the
/// 192 KiB 16-bank narrow memories, the 8 MiB parameter SRAM, and every mechanism counted in cycles
/// (tile and SRAM bandwidth per cycle, pass fill and drain, op set-up), as the Coral targets have
/// them. Phone memory replaces the host link, fixed at physical values rather than fitted (three
/// rows cannot tell it apart from the clock): a quarter of LPDDR4X-4266's 34.1 GB/s peak (the
/// rest serves the SoC) and 1 us per DMA transfer. Only the clock is fitted, on its 3 rows, without
/// any ordering: a fit of the clock and the per-inference overhead put the overhead at its lower
/// bound, 10 us (the rows ask for no fixed cost), where it stays, so the rows determine one
/// parameter (docs/hw.md, "pixel4-edgetpu"):
///
///     accelnas-calibrate --target pixel4-edgetpu --estimator sim --holdout 0
///       --measurements edgetpu_measured_calibration.csv --params clock_hz
inline edgetpu_config pixel4_edgetpu() {
    edgetpu_config c = coral_usb();
    c.name = "pixel4-edgetpu";
    c.host_bytes_per_second = 8.5e9;             // fixed: a quarter of the LPDDR4X-4266 peak
    c.host_latency_seconds = 1e-6;               // fixed: one DMA transfer from DRAM on the SoC
    c.clock_hz = 164.144e6;                      // calibrated (sim, pixel4-edgetpu rows)
    c.inference_overhead_seconds = 10e-6;        // the range's lower bound, where a fit with the clock put it
    c.host = pixel4_cpu();
    return c;
}

/// The Edge TPU of BRP-NAS LatBench (form factor unpublished) at the throttled 250 MHz clock of the
/// default libedgetpu runtime; calibrated on LatBench's rows (see docs/hw.md for why it is a variant).
///
/// Its sequencer issues one op at a time: an op's set-up waits for every earlier op, not only the
/// ones it reads (LatBench's fitted rows price a cell the same whichever of two sibling branches
/// comes first, and the second add of a chain as dearly as the first). Refitted on the
/// discrete-event simulator with the fixed 16-bank narrow memory and the LatBench graphs as the
/// measured models were built (two-input add chains, merged skip paths): the seven chip mechanisms
/// below, on the 1,000 fit rows of the --holdout 0.5 split (docs/hw.md). The other Coral targets keep
/// `coral_chip()`'s values (but coral-usb's tile bandwidth: the 64 B/cycle port) and overlap a
/// branch's set-up with its sibling.
inline edgetpu_config coral_latbench() {
    edgetpu_config c = coral_chip();
    c.name = "coral-latbench";
    c.overlap_branch_setup = false;
    c.op_overhead_cycles = 252;                 // calibrated (sim, LatBench)
    c.pool_overhead_cycles = 3275;              // calibrated (sim, LatBench)
    c.vector_overhead_cycles = 1658;            // calibrated (sim, LatBench)
    c.inference_overhead_seconds = 404.626e-6;  // calibrated (sim, LatBench)
    c.tile_bytes_per_cycle = 29.9465;           // calibrated (sim, LatBench)
    c.pass_overhead_cycles = 154;               // calibrated (sim, LatBench)
    c.sram_bytes_per_cycle = 926.304;           // calibrated (sim, LatBench)
    return c;
}

/// Names of the Edge TPU and CPU targets `make_target` knows (systolic arrays are built from their name).
inline std::vector<std::string> names() {
    return {"coral-usb", "coral-devboard", "pixel4-edgetpu", "coral-latbench", "pixel4-cpu"};
}

/// Parses "systolic-<rows>x<cols>-<os|ws|is>"; nullopt when `name` does not start with "systolic-".
inline std::optional<systolic_config> parse_systolic(std::string_view name) {
    constexpr std::string_view prefix = "systolic-";
    if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
    auto bad = [&] { fail("target '", name, "': expected systolic-<rows>x<cols>-<os|ws|is>, e.g. systolic-64x64-ws"); };
    std::string_view rest = name.substr(prefix.size());
    const auto x = rest.find('x');
    const auto dash = rest.find('-');
    if (x == std::string_view::npos || dash == std::string_view::npos || dash < x) bad();
    systolic_config c;
    c.name = std::string(name);
    auto num = [&](std::string_view s, std::int64_t& v) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) bad();
    };
    num(rest.substr(0, x), c.rows);
    num(rest.substr(x + 1, dash - x - 1), c.cols);
    const auto df = rest.substr(dash + 1);
    if (df == "os") c.flow = dataflow::os;
    else if (df == "ws") c.flow = dataflow::ws;
    else if (df == "is") c.flow = dataflow::is;
    else bad();
    c.validate();
    return c;
}

/// The shipped Edge TPU config called `name`; `accelnas::error` listing the names otherwise.
inline edgetpu_config edgetpu(std::string_view name) {
    if (name == "coral-usb") return coral_usb();
    if (name == "coral-devboard") return coral_devboard();
    if (name == "pixel4-edgetpu") return pixel4_edgetpu();
    if (name == "coral-latbench") return coral_latbench();
    fail("unknown Edge TPU target '", name, "' (expected coral-usb, coral-devboard, pixel4-edgetpu or coral-latbench)");
}

/// The APM's ceilings shipped for Edge TPU target `name`, fitted against the cycle-level simulator
/// (never against measurements) on 300 random `edgetpu`-space architectures at 224 (seed 11) with
/// the shipped configs above. A config change makes them stale (a test in tests/hw/apm.cpp then
/// fails): refit and paste what this prints (docs/hw.md, "APM"):
///
///     example_hw_accuracy --fit-ceilings
inline apm_ceilings apm_ceilings_of(std::string_view name) {
    // {overhead, compute, narrow, strided, network, vector}
    if (name == "coral-usb") return {0.96, 0.9985, 0.9696, 0.9993, 0.9911, 1.724};  // RMSE 2.9 us on the fit sample
    if (name == "coral-devboard") return {0.9618, 0.9986, 0.9766, 1.032, 0.992, 1.57};  // RMSE 2.9 us on the fit sample
    if (name == "coral-latbench") return {0.9987, 0.9994, 0.9971, 1.066, 1.04, 1.084};  // RMSE 8.3 us on the fit sample
    if (name == "pixel4-edgetpu") return {0.9601, 0.9986, 0.9781, 1.08, 1.003, 1.57};  // RMSE 3.7 us on the fit sample
    fail("no APM ceilings for target '", name, "' (expected coral-usb, coral-devboard, coral-latbench or pixel4-edgetpu)");
}

/// The shipped config of an Edge TPU or CPU target (the base a partial `--config` file overrides).
inline device_config target_config(std::string_view name) {
    if (parse_systolic(name)) fail("target '", name, "': a systolic array takes no --config (its name is its description)");
    if (name == "pixel4-cpu") return pixel4_cpu();
    return edgetpu(name);
}

}  // namespace accelnas::hw::targets

namespace accelnas::hw {

/// Builds target `name` with `estimator` ("sim" = cycle-level simulator, "apm" = the analytical model `apm`; CPU and
/// systolic targets have one model and accept either). `config`, when given, replaces the shipped
/// description (e.g. a file written by accelnas-calibrate); its kind must match the target's.
inline any_accelerator make_target(std::string_view name, std::string_view estimator = "sim",
                                   const std::optional<device_config>& config = std::nullopt) {
    require(estimator == "sim" || estimator == "apm", "unknown estimator '", estimator, "' (expected sim or apm)");
    if (auto s = targets::parse_systolic(name)) {
        require(!config, "target '", name, "': a systolic array takes no --config (its name is its description)");
        return systolic_array(*s);
    }
    if (name == "pixel4-cpu") {
        cpu_config c = targets::pixel4_cpu();
        if (config) {
            require(std::holds_alternative<cpu_config>(*config), "target '", name, "' needs a cpu config, got an edgetpu one");
            c = std::get<cpu_config>(*config);
        }
        return mobile_cpu(c);
    }
    std::string known;
    for (const auto& n : targets::names()) known += (known.empty() ? "" : ", ") + n;
    bool found = false;
    for (const auto& n : targets::names()) found = found || n == name;
    require(found, "unknown target '", name, "' (expected one of: ", known, ", systolic-<rows>x<cols>-<os|ws|is>)");
    edgetpu_config c = targets::edgetpu(name);
    if (config) {
        require(std::holds_alternative<edgetpu_config>(*config), "target '", name, "' needs an edgetpu config, got a cpu one");
        c = std::get<edgetpu_config>(*config);
    }
    if (estimator == "apm") return apm(c, targets::apm_ceilings_of(name));
    return simulator(c);
}

}  // namespace accelnas::hw
