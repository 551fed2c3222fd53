// accelnas-space: the shipped search spaces from the command line.
//
//   accelnas-space                                    spaces (decisions, log10 size) and known points
//   accelnas-space --space pixel4 --decisions         one space's decisions and their choices
//   accelnas-space --space edgetpu --sample 5 --seed 1   sampled architectures with MACs and params
//   accelnas-space --space edgetpu --decode "<arch text>" [--scale 1.2,1.4,300 | --phi 1] [--net-json]
//   accelnas-space --known                            the published models that are points of a space
//   accelnas-space --space edgetpu --size             architectures (raw) and distinct networks

#include "cli.hpp"

#include <accelnas/app/space_report.hpp>
#include <accelnas/graph/json.hpp>

#include <iostream>
#include <string>
#include <vector>

using namespace accelnas;
namespace report = accelnas::app::space_report;

int main(int argc, char** argv) {
    CLI::App cli{"accelnas-space: list, sample and decode the shipped search spaces"};
    std::string space_name = "edgetpu";
    bool decisions = false, known = false, net_json = false, arch_json = false, size = false, canonical = false;
    int samples = 0;
    unsigned long long seed = 1;
    std::string decode_text;
    std::vector<double> scale;
    double phi = -1;
    report::decode_options dopt;
    cli.add_option("--space", space_name, "space to use: " + [] {
        std::string r;
        for (const auto& n : space::names()) r += (r.empty() ? "" : ", ") + n;
        return r;
    }())->capture_default_str();
    cli.add_flag("--decisions", decisions, "print the space's decisions and their choices");
    cli.add_option("--sample", samples, "print N sampled architectures with their costs")->check(CLI::Range(1, 100000));
    cli.add_option("--seed", seed, "seed of the sampler")->capture_default_str()->check(tools::count_range(0, INT64_MAX));
    cli.add_option("--decode", decode_text, "decode an architecture given in text form and print its costs");
    cli.add_option("--scale", scale, "compound scaling width,depth,resolution applied when decoding")
        ->expected(3)->delimiter(',');
    cli.add_option("--phi", phi, "compound coefficient phi (alpha 1.2, beta 1.1, gamma 1.15) applied when decoding")
        ->check(CLI::Range(0.0, 10.0));
    cli.add_option("--resolution", dopt.resolution, "input size (square) when not scaling (default: the space's, 224)")
        ->check(tools::count_range(1, 100000));
    cli.add_option("--classes", dopt.classes, "logits of the decoded networks (default: the space's, 1000)")
        ->check(tools::count_range(1, 1000000));
    cli.add_flag("--net-json", net_json, "with --decode: print the decoded network as JSON");
    cli.add_flag("--arch-json", arch_json, "with --decode or --sample: print architectures as JSON, not text");
    cli.add_flag("--size", size, "print the space's size: architectures (raw) and distinct networks");
    cli.add_flag("--canonical", canonical, "with --decode or --sample: print architectures in canonical form");
    cli.add_flag("--known", known, "print the published models that are points of a shipped space");
    return tools::run("accelnas-space", cli, argc, argv, [&] {
        if (!scale.empty()) {
            app::usage_require(scale[0] > 0 && scale[1] > 0 && scale[2] >= 1 && scale[2] <= 100000,
                               "--scale: width and depth must be positive and the resolution in [1, 100000]");
            dopt.scaling = space::compound_scaling{.width = scale[0], .depth = scale[1],
                                                   .resolution = static_cast<std::int64_t>(scale[2])};
        }
        const auto& s = space::find_space(space_name);
        if (!dopt.scaling && phi >= 0)
            dopt.scaling = space::compound_coefficients(phi, dopt.resolution ? dopt.resolution : s.deployment.resolution);
        auto show = [&](const space::architecture& x) {
            const auto a = canonical ? s.canonical(x) : x;
            return arch_json ? s.to_json(a).dump() : s.to_text(a);
        };
        bool did = false;
        if (decisions) {
            did = true;
            report::print_decisions(std::cout, s);
        }
        if (samples > 0) {
            did = true;
            rng g(seed);
            for (int i = 0; i < samples; ++i) {
                const auto a = s.sample(g);
                report::print_costs(std::cout, report::decode(s, a, dopt), show(a));
            }
        }
        if (!decode_text.empty()) {
            did = true;
            const auto a = s.parse(decode_text);
            const auto net = report::decode(s, a, dopt);
            if (net_json) std::cout << graph::to_json(net).dump(1) << "\n";
            else report::print_costs(std::cout, net, show(a));
        }
        if (size) {
            did = true;
            report::print_size(std::cout, s);
        }
        if (known) {
            did = true;
            report::print_known(std::cout);
        }
        if (!did) report::print_overview(std::cout);
        return app::exit_success;
    });
}
