// The command-line side of the tool rules of accelnas/app/tool.hpp: CLI11 parse errors (unknown
// options, missing or malformed values, failed range checks) are usage errors (exit 2) in the one
// message form, not CLI11's own exit codes; --help prints and exits 0.
#pragma once

#include <accelnas/app/tool.hpp>
#include <accelnas/train/blocking.hpp>

#include <CLI/CLI.hpp>
#ifdef ACCELNAS_WITH_ONNX
#include <accelnas/app/spec.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/onnx/export.hpp>
#include <accelnas/onnx/spec_reader.hpp>
#include <accelnas/train/model.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#endif

#include <cstdint>
#include <iostream>
#include <string_view>

namespace accelnas::tools {

/// Adds --input-shape, the fixed input size of ONNX models with dynamic sizes, and (when `unsupported`
/// is given) --unsupported, what the importer does with ONNX ops that have no IR counterpart.
inline void add_onnx_options(CLI::App& cli, std::string& input_shape, std::string* unsupported = nullptr) {
    cli.add_option("--input-shape", input_shape, "input size of .onnx models with dynamic sizes, NCHW (e.g. 1x3x224x224)")
        ->type_name("NxCxHxW");
    if (unsupported)
        cli.add_option("--unsupported", *unsupported,
                       ".onnx ops with no accelnas counterpart: error (refuse the model) or host (opaque ops run "
                       "on the host CPU, as the Edge TPU compiler leaves them)")
            ->type_name("error|host")->default_val("error");
}

/// Lets model specs name .onnx files when the tool was built with the ONNX component; without it,
/// --input-shape and --unsupported host are usage errors (.onnx specs then fail saying ONNX support
/// was not built).
inline void enable_onnx_specs([[maybe_unused]] const std::string& input_shape,
                              [[maybe_unused]] const std::string& unsupported = "error") {
#ifdef ACCELNAS_WITH_ONNX
    onnx::import_options opt;
    try {
        if (!input_shape.empty()) opt.input_shape = onnx::parse_input_shape(input_shape);
        opt.unsupported = onnx::parse_unsupported_policy(unsupported);
    } catch (const error& e) {
        app::usage_require(false, e.what());
    }
    onnx::enable_onnx_specs(opt);
#else
    app::usage_require(input_shape.empty(), "--input-shape applies to .onnx models, but ONNX support was not built "
                       "into this program (configure accelnas with libonnx-dev installed)");
    app::usage_require(unsupported == "error", "--unsupported applies to .onnx models, but ONNX support was not built "
                       "into this program (configure accelnas with libonnx-dev installed)");
#endif
}

#ifdef ACCELNAS_WITH_ONNX
/// Writes OUT/best.onnx: the best architecture of OUT/best.json at the space's deployment input, with
/// fresh weights drawn from `seed` (the search trains scaled-down proxies, not this network).
inline void write_best_onnx(const std::string& out, std::uint64_t seed) {
    const auto dir = std::filesystem::path(out);
    std::ifstream f(dir / "best.json");
    const auto j = nlohmann::json::parse(f);
    if (j.at("best").is_null()) return;
    const auto net = app::resolve_spec(j.at("space").get<std::string>() + ":" + j.at("best").at("arch").get<std::string>());
    rng g(seed);
    const train::model m(net, g);
    const auto model = accelnas::onnx::export_model(net, m.export_parameters());
    accelnas::onnx::check_model(model);
    accelnas::onnx::write_model(model, (dir / "best.onnx").string());
}
#endif

/// Parses `argv` with `cli`, then runs `body` under `app::run_guarded`.
template <class Body>
int run(std::string_view tool, CLI::App& cli, int argc, char** argv, Body&& body) {
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return cli.exit(e);  // --help
        std::cerr << app::error_line(tool, e.what()) << "\nRun with --help for more information.\n";
        return app::exit_usage;
    }
    return app::run_guarded(tool, std::forward<Body>(body));
}

/// The value of --gemm-cache-sizes ("L1,L2,L3", bytes), parsed and range-checked; a bad one is a
/// usage error naming the option (exit 2).
inline train::gemm_cache_sizes gemm_cache_sizes_option(const std::string& text) {
    try {
        const auto c = train::parse_gemm_cache_sizes(text);
        train::check_gemm_cache_sizes(c);
        return c;
    } catch (const error& e) {
        app::usage_require(false, "--gemm-cache-sizes: ", e.what());
    }
    return {};
}

/// A count option in [lo, hi]: checked on the text before conversion, so "-5" is a usage error
/// instead of an unsigned value wrapped to 2^64 - 5.
inline CLI::Validator count_range(std::int64_t lo, std::int64_t hi) { return CLI::Range(lo, hi); }

/// A real number in [lo, hi) (e.g. a share that must stay below 1).
inline CLI::Validator half_open(double lo, double hi) {
    return CLI::Validator(
        [lo, hi](std::string& in) -> std::string {
            double v = 0;
            if (CLI::detail::lexical_cast(in, v) && v >= lo && v < hi) return {};
            return "must be a number in [" + CLI::detail::to_string(lo) + ", " + CLI::detail::to_string(hi) + "), got " + in;
        },
        "in [" + CLI::detail::to_string(lo) + ", " + CLI::detail::to_string(hi) + ")");
}

}  // namespace accelnas::tools
