// Tutorial: search spaces as types.
//
// A search space in accelnas is a C++ type: a stem, a head and stages, each stage a list of
// compile-time choice lists. The number of decisions, their cardinalities and the size of the space
// are constants the compiler knows; a wrong policy (an even kernel, a stride of 3, an empty list)
// does not compile. This program
//   1. defines a small custom space,
//   2. samples architectures from it and prints their text form, MACs and parameters,
//   3. parses, mutates and explores the neighbours of an architecture,
//   4. scales one architecture with EfficientNet's compound scaling,
//   5. looks at the shipped spaces through the run-time registry.
//
// Run: example_space_tutorial [--samples N] [--seed S]

#include <accelnas/graph/cost.hpp>
#include <accelnas/space.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

using namespace accelnas;
namespace sp = accelnas::space;

// ---- 1. A custom space -------------------------------------------------------------------------
// Three stages for 96x96 images. Every choice list with two or more values is a decision; a list
// with one value fixes that property (stage 3's kernel). Slots without a list keep their defaults
// (block ibn, kernel 3, expansion 6, no SE, relu, identity skip, width 1, layers +0).
struct mini_space
    : sp::search_space<
          sp::stem<16>,   // 3x3 stride-2 conv to 16 channels
          sp::head<256>,  // 1x1 conv to 256 channels before the global pool and the logits
          // stage<filters, stride, base layers, choice lists...>
          sp::stage<24, 2, 2, sp::blocks<sp::ibn_block, sp::fused_ibn_block>, sp::kernels<3, 5>,
                    sp::expansions<4, 8>>,
          sp::stage<48, 2, 3, sp::kernels<3, 5>, sp::expansions<4, 8>, sp::layer_deltas<-1, 0, 1>,
                    sp::width_multipliers<0.75, 1.0, 1.25>>,
          sp::stage<96, 2, 2, sp::kernels<5>, sp::expansions<6>, sp::se_ratios<0.0, 0.25>,
                    sp::skips<sp::skip_kind::identity, sp::skip_kind::none>>> {
    // The name appears in the JSON form and in error messages.
    static constexpr std::string_view name = "mini";
    // How expansion ratios become channels: from the real input channels (TF-slim), the default.
    static constexpr sp::expansion_rule expansion = sp::expansion_rule::actual_input;
};

// What controllers rely on is checked by the compiler: the decision shape is a constant.
static_assert(sp::decision_shape<mini_space>);
static_assert(mini_space::num_decisions == 3 + 4 + 2);
// Try it: change `sp::kernels<3, 5>` to `sp::kernels<3, 4>` and the compiler answers
// "kernels<...>: every kernel size must be odd and positive".

int main(int argc, char** argv) {
    CLI::App app{"accelnas tutorial: a custom search space as a type"};
    int samples = 5;
    unsigned long long seed = 2020;
    app.add_option("--samples", samples, "architectures to sample from the custom space")->check(CLI::Range(1, 1000));
    app.add_option("--seed", seed, "seed of the random engine");
    CLI11_PARSE(app, argc, argv);

    try {
        std::cout << "== 1. the custom space '" << mini_space::name << "'\n";
        std::cout << "decisions: " << mini_space::num_decisions << " (";
        const auto names = sp::decision_names<mini_space>();
        for (std::size_t i = 0; i < names.size(); ++i)
            std::cout << (i ? ", " : "") << names[i] << ":" << mini_space::cardinalities[i];
        std::printf(")\nlog10 of the space size: %.3f\n\n", mini_space::log10_size);

        // ---- 2. sampling ---------------------------------------------------------------------
        // Every random choice takes an explicit engine: the same seed gives the same samples.
        std::cout << "== 2. " << samples << " samples (seed " << seed << ")\n";
        rng g(seed);
        const graph::tensor_shape input{1, 96, 96, 3};
        const std::int64_t classes = 10;
        sp::architecture first;
        for (int i = 0; i < samples; ++i) {
            const auto a = sp::sample<mini_space>(g);
            if (i == 0) first = a;
            const auto net = sp::decode<mini_space>(a, input, classes);
            const auto c = graph::cost_of(net);
            std::printf("%2d  %7.2f M MACs  %6.3f M params  %3zu ops  %s\n", i, static_cast<double>(c.macs) / 1e6,
                        static_cast<double>(c.params) / 1e6, net.size(), sp::to_text<mini_space>(a).c_str());
        }

        // ---- 3. the codec and the controller helpers -------------------------------------------
        std::cout << "\n== 3. text, JSON, mutation, neighbours\n";
        const auto text = sp::to_text<mini_space>(first);
        const auto back = sp::parse<mini_space>(text);  // round trip
        std::cout << "text round trip: " << (back == first ? "ok" : "MISMATCH") << "\n";
        std::cout << "JSON: " << sp::to_json<mini_space>(first).dump() << "\n";
        const auto child = sp::mutate<mini_space>(first, g);  // exactly one decision changed
        std::cout << "mutated: " << sp::to_text<mini_space>(child) << "\n";
        std::cout << "neighbours (one decision away): " << sp::neighbours<mini_space>(first).size() << "\n";
        // Errors are accelnas::error naming the decision at fault.
        try {
            sp::parse<mini_space>("block=ibn,kernel=4,expand=4/-/-");
        } catch (const accelnas::error& e) {
            std::cout << "a bad text is rejected: " << e.what() << "\n";
        }

        // ---- 4. compound scaling ---------------------------------------------------------------
        // EfficientNet's rules on the plan (block table) of an architecture: filters by
        // round_filters (multiple of 8, never below 90%), repeats by ceil, and the resolution.
        std::cout << "\n== 4. compound scaling of sample 0\n";
        for (double phi : {0.0, 1.0, 2.0}) {
            const auto s = sp::compound_coefficients(phi, input.h);  // alpha 1.2, beta 1.1, gamma 1.15
            const auto net = sp::decode_scaled<mini_space>(first, s, classes);
            std::printf("phi %.0f: width %.3f depth %.3f resolution %3lld -> %7.2f M MACs\n", phi, s.width, s.depth,
                        static_cast<long long>(s.resolution),
                        static_cast<double>(graph::cost_of(net).macs) / 1e6);
        }

        // ---- 5. the shipped spaces, chosen by name at run time -----------------------------------
        std::cout << "\n== 5. shipped spaces\n";
        for (const auto& name : sp::names()) {
            const auto& s = sp::find_space(name);
            std::printf("%-8s %2zu decisions, log10 size %.3f\n", s.name.c_str(), s.cardinalities.size(),
                        s.log10_size);
        }
        for (const auto& k : sp::known_points()) {
            const auto& in = sp::find_space(k.space).deployment;  // the space's deployment input
            const auto net = sp::decode_named(k.space, k.arch_text, in.shape(), in.classes);
            std::printf("%-24s is a point of '%s': %.0f M MACs\n", std::string(k.model).c_str(),
                        std::string(k.space).c_str(), static_cast<double>(graph::cost_of(net).macs) / 1e6);
        }
        // EfficientNet-EdgeTPU-L is EdgeTPU-S scaled by (1.2, 1.4, 300).
        const auto l = sp::decode_scaled<sp::edgetpu>(sp::efficientnet_edgetpu_s_arch(),
                                                      sp::efficientnet_edgetpu_l_scaling,
                                                      sp::find_space("edgetpu").deployment.classes);
        std::printf("EdgeTPU-S scaled by (1.2, 1.4, 300): %.2f G MACs (EfficientNet-EdgeTPU-L)\n",
                    static_cast<double>(graph::cost_of(l).macs) / 1e9);
    } catch (const accelnas::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
