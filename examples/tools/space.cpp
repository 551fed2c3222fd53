// accelnas-space: the shipped search spaces from the command line.
//
//   accelnas-space                                    spaces (decisions, log10 size) and known points
//   accelnas-space --space pixel4 --decisions         one space's decisions and their choices
//   accelnas-space --space edgetpu --sample 5 --seed 1   sampled architectures with MACs and params
//   accelnas-space --space edgetpu --decode "<arch text>" [--scale 1.2,1.4,300 | --phi 1] [--net-json]
//   accelnas-space --known                            the published models that are points of a space

#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/space.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace accelnas;
namespace sp = accelnas::space;

void print_costs(const graph::network& net, const std::string& text) {
    const auto c = graph::cost_of(net);
    const auto in = net.input_shape();
    std::printf("%9.2f M MACs  %7.3f M params  %4zu ops  %lldx%lld  %s\n", static_cast<double>(c.macs) / 1e6,
                static_cast<double>(c.params) / 1e6, net.size(), static_cast<long long>(in.h),
                static_cast<long long>(in.w), text.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"accelnas-space: list, sample and decode the shipped search spaces"};
    std::string space_name = "edgetpu";
    bool decisions = false, known = false, net_json = false, arch_json = false;
    int samples = 0;
    unsigned long long seed = 1;
    std::string decode_text;
    std::vector<double> scale;
    double phi = -1;
    std::int64_t resolution = 224, classes = 1000;
    app.add_option("--space", space_name, "space to use: mnasnet, edgetpu or pixel4")->capture_default_str();
    app.add_flag("--decisions", decisions, "print the space's decisions and their choices");
    app.add_option("--sample", samples, "print N sampled architectures with their costs")->check(CLI::Range(1, 100000));
    app.add_option("--seed", seed, "seed of the sampler")->capture_default_str();
    app.add_option("--decode", decode_text, "decode an architecture given in text form and print its costs");
    app.add_option("--scale", scale, "compound scaling width,depth,resolution applied when decoding")
        ->expected(3)->delimiter(',');
    app.add_option("--phi", phi, "compound coefficient phi (alpha 1.2, beta 1.1, gamma 1.15) applied when decoding")
        ->check(CLI::Range(0.0, 10.0));
    app.add_option("--resolution", resolution, "input size (square) when not scaling")->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--classes", classes, "logits of the decoded networks")->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--net-json", net_json, "with --decode: print the decoded network as JSON");
    app.add_flag("--arch-json", arch_json, "with --decode or --sample: print architectures as JSON, not text");
    app.add_flag("--known", known, "print the published models that are points of a shipped space");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto& s = sp::find_space(space_name);
        const auto& d = *s.description;
        auto decode = [&](const sp::architecture& a) {
            if (!scale.empty()) {
                sp::compound_scaling c{.width = scale[0], .depth = scale[1],
                                       .resolution = static_cast<std::int64_t>(scale[2])};
                return sp::decode_scaled(d, a, c, classes);
            }
            if (phi >= 0) return sp::decode_scaled(d, a, sp::compound_coefficients(phi, resolution), classes);
            return s.decode(a, {1, resolution, resolution, 3}, classes);
        };
        auto show = [&](const sp::architecture& a) { return arch_json ? s.to_json(a).dump() : s.to_text(a); };
        bool did = false;
        if (decisions) {
            did = true;
            for (const auto& x : d.decisions)
                std::printf("%-16s %s\n", x.name.c_str(),
                            sp::values_text(x.what, d.stages[x.stage].values[static_cast<std::size_t>(x.what)]).c_str());
            std::printf("%zu decisions, log10 size %.3f\n", s.cardinalities.size(), s.log10_size);
        }
        if (samples > 0) {
            did = true;
            rng g(seed);
            for (int i = 0; i < samples; ++i) {
                const auto a = s.sample(g);
                print_costs(decode(a), show(a));
            }
        }
        if (!decode_text.empty()) {
            did = true;
            const auto a = s.parse(decode_text);
            const auto net = decode(a);
            if (net_json) std::cout << graph::to_json(net).dump(1) << "\n";
            else print_costs(net, show(a));
        }
        if (known) {
            did = true;
            for (const auto& k : sp::known_points())
                std::printf("%-24s %-8s %s\n", std::string(k.model).c_str(), std::string(k.space).c_str(),
                            std::string(k.arch_text).c_str());
        }
        if (!did) {
            for (const auto& x : sp::shipped_spaces())
                std::printf("%-8s %3zu decisions  log10 size %7.3f\n", x.name.c_str(), x.cardinalities.size(),
                            x.log10_size);
            for (const auto& k : sp::known_points())
                std::printf("known point: %s in '%s'\n", std::string(k.model).c_str(), std::string(k.space).c_str());
        }
    } catch (const accelnas::error& e) {
        std::cerr << "accelnas-space: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
