// accelnas-info: summaries of networks named by model specs (zoo names, name@size, nb201:<arch>,
// nb201-latbench:<arch>, <space>:<arch>[@size], JSON files). With no SPEC it prints the whole zoo with the published figures
// each model is checked against.
//
//   accelnas-info                                  the zoo table
//   accelnas-info mobilenet_v2 resnet50_v1@299     two models
//   accelnas-info --format csv                     the zoo as CSV (one row per model)
//   accelnas-info --per-op mnasnet_a1              one row per op
//   accelnas-info --spec-json m.json efficientnet_edgetpu_s   write the JSON spec, then `accelnas-info m.json`

#include "cli.hpp"

#include <accelnas/app/info_report.hpp>
#include <accelnas/core/atomic_file.hpp>
#include <accelnas/graph/json.hpp>

#include <iostream>
#include <string>
#include <vector>

using namespace accelnas;

int main(int argc, char** argv) {
    CLI::App cli{"accelnas-info: MACs, parameters and activation bytes of networks named by model specs.\n"
                 "SPEC is a zoo name (mobilenet_v2), name@size (resnet50_v1@299), nb201:<arch>,\n"
                 "nb201-latbench:<arch>, <space>:<arch>[@size] (a search-space architecture) or a path\n"
                 "to a JSON network spec or an ONNX model (.onnx). Without SPEC: the whole zoo."};
    std::vector<std::string> specs;
    std::string format = "table";
    bool per_op = false;
    std::string spec_json;
    cli.add_option("SPEC", specs, "model specs (default: every zoo model; model.onnx with the ONNX component)");
    std::string input_shape, unsupported = "error";
    tools::add_onnx_options(cli, input_shape, &unsupported);
    cli.add_option("--format", format, "output format")->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
    cli.add_flag("--per-op", per_op, "one row per op (table: a table per model; csv: per-op rows; json: per_op arrays)");
    cli.add_option("--spec-json", spec_json, "write the JSON spec of the (single) SPEC to FILE")->type_name("FILE");
    bool arch = false;
    cli.add_flag("--arch", arch,
                 "print the search-space spec (<space>:<arch text>) of each SPEC that is a published point of a "
                 "shipped space (default: all such zoo models)");
    return tools::run("accelnas-info", cli, argc, argv, [&] {
        tools::enable_onnx_specs(input_shape, unsupported);
        if (arch) {
            app::info::print_known_points(std::cout, specs);
            return app::exit_success;
        }
        app::usage_require(spec_json.empty() || specs.size() == 1, "--spec-json needs exactly one SPEC (got ",
                           specs.size(), ")");
        if (specs.empty()) specs = zoo::names();
        std::vector<app::info::row> rows;
        rows.reserve(specs.size());
        for (const auto& s : specs) rows.push_back(app::info::make_row(s));
        if (!spec_json.empty())
            write_file_atomically(spec_json, graph::to_json(rows.front().net).dump(1) + "\n");
        app::info::print(std::cout, rows, format, per_op);
        return app::exit_success;
    });
}
