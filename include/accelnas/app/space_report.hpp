#pragma once
/// \file
/// What `accelnas-space` prints about the shipped search spaces: an overview, a space's decisions,
/// the known points, and one line of costs per architecture; and decoding at the space's deployment
/// input, at another size, or compound-scaled.

#include <accelnas/graph/cost.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/space/scaling.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <ostream>
#include <string>

namespace accelnas::app::space_report {

/// How `decode` sizes a network: the space's deployment input unless overridden.
struct decode_options {
    std::optional<space::compound_scaling> scaling;  ///< scale the architecture (width, depth, resolution)
    std::int64_t resolution = 0;                     ///< input size when not scaling (0: the deployment size)
    std::int64_t classes = 0;                        ///< logits (0: the deployment classes)
};

/// Decodes `a` of space `s` as `o` says.
inline graph::network decode(const space::any_space& s, const space::architecture& a, const decode_options& o) {
    const auto classes = o.classes ? o.classes : s.deployment.classes;
    if (o.scaling) return space::decode_scaled(*s.description, a, *o.scaling, classes, s.deployment.channels);
    return s.decode(a, s.deployment.shape(o.resolution), classes);
}

/// "   311.58 M MACs    3.887 M params   62 ops  224x224  <text>".
inline void print_costs(std::ostream& out, const graph::network& net, const std::string& text) {
    const auto c = graph::cost_of(net);
    const auto in = net.input_shape();
    char buf[96];
    std::snprintf(buf, sizeof buf, "%9.2f M MACs  %7.3f M params  %4zu ops  %lldx%lld  ", static_cast<double>(c.macs) / 1e6,
                  static_cast<double>(c.params) / 1e6, net.size(), static_cast<long long>(in.h),
                  static_cast<long long>(in.w));
    out << buf << text << '\n';
}

/// One line per decision of `s` with its choices, then the count and log10 of the space size.
inline void print_decisions(std::ostream& out, const space::any_space& s) {
    const auto& d = *s.description;
    char buf[64];
    for (const auto& x : d.decisions) {
        std::snprintf(buf, sizeof buf, "%-16s ", x.name.c_str());
        out << buf << space::values_text(d.slots_of(x)) << '\n';
    }
    std::snprintf(buf, sizeof buf, "%zu decisions, log10 size %.3f\n", s.cardinalities.size(), s.log10_size);
    out << buf;
}

/// One line per known point: model, space, architecture text.
inline void print_known(std::ostream& out) {
    char buf[64];
    for (const auto& k : space::known_points()) {
        std::snprintf(buf, sizeof buf, "%-24s %-8s ", std::string(k.model).c_str(), std::string(k.space).c_str());
        out << buf << k.arch_text << '\n';
    }
}

/// Raw and distinct sizes of `s`: "raw <n> architectures (10^x)" and "distinct <n> networks
/// (10^y, exact|sampled from N architectures)".
inline void print_size(std::ostream& out, const space::any_space& s) {
    const auto z = space::size_of(*s.description);
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s: raw %s architectures (10^%.3f)\n", s.name.c_str(), z.raw.c_str(), z.log10_raw);
    out << buf;
    if (z.exact)
        std::snprintf(buf, sizeof buf, "%s: distinct %s networks (10^%.3f, exact)\n", s.name.c_str(), z.distinct.c_str(),
                      z.log10_distinct);
    else
        std::snprintf(buf, sizeof buf, "%s: distinct %s networks (10^%.3f, estimated from %zu sampled architectures)\n",
                      s.name.c_str(), z.distinct.c_str(), z.log10_distinct, z.samples);
    out << buf;
}

/// The selectable spaces (decisions, log10 size) and which published models are points of them.
inline void print_overview(std::ostream& out) {
    char buf[96];
    for (const auto* p : space::all_spaces()) {
        const auto& x = *p;
        std::snprintf(buf, sizeof buf, "%-10s %3zu decisions  log10 size %7.3f\n", x.name.c_str(), x.cardinalities.size(),
                      x.log10_size);
        out << buf;
    }
    for (const auto& k : space::known_points())
        out << "known point: " << k.model << " in '" << k.space << "'\n";
}

}  // namespace accelnas::app::space_report
