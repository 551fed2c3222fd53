#pragma once
/// \file
/// The reports of `accelnas-info`: a model spec resolved with its costs (MACs, parameters,
/// activation bytes) and, for plain zoo names, the published figures it is checked against; as a
/// table, CSV or JSON, per model or per op.

#include <accelnas/app/spec.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/summary.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace accelnas::app::info {

/// One resolved model with its costs and, for plain zoo names, the published figures.
struct row {
    std::string model;   ///< the spec as given
    graph::network net;  ///< the network it names
    graph::network_cost cost;  ///< its costs
    const zoo::published_figures* pub = nullptr;  // only for plain zoo names at their standard size
    zoo::published_counts counted{};              // our counts the way `pub` counts
};

/// Resolves `spec` and counts its costs; plain zoo names also get their published figures.
inline row make_row(const std::string& spec) {
    const auto p = parse_spec(spec);
    row r{spec, resolve_spec(p), {}, nullptr, {}};
    r.cost = graph::cost_of(r.net);
    if (p.kind == spec_kind::zoo && p.resolution == 0) {
        r.pub = &zoo::published(p.name);
        r.counted = zoo::count_like(r.net, *r.pub);
    }
    return r;
}

/// "HxWxC" of the network input.
inline std::string input_text(const graph::network& net) {
    const auto s = net.input_shape();
    return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

/// Relative difference in percent of our count from a published figure, "" when there is none.
inline std::string diff_pct(const std::optional<zoo::published_figure>& f, std::int64_t ours) {
    if (!f) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.1f%%", 100.0 * (static_cast<double>(ours) - f->value) / f->value);
    return buf;
}

/// A published count as a whole number ("1790000000", not "1.79e+09").
inline std::string plain(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

/// Top-1 as published: "76.0", "77.23".
inline std::string percent(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string t = buf;
    if (t.size() > 3 && t.back() == '0') t.pop_back();
    return t;
}

/// A CSV field, quoted when it holds a comma, a quote or a newline.
inline std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

/// The summary table (and with `per_op` a table of ops per model) of `rows`.
inline void print_table(std::ostream& out, const std::vector<row>& rows, bool per_op) {
    // The model column fits the longest spec (NAS-Bench-201 specs are about 100 characters).
    std::size_t width = 32;
    for (const auto& r : rows) width = std::max(width, r.model.size());
    const std::string fmt_text = "%-" + std::to_string(width) +
                                 "s %-11s %5s %9s %9s %8s %10s %10s | %9s %7s %9s %7s %6s\n";
    const char* fmt = fmt_text.c_str();
    std::vector<char> line(width + 160);
    std::snprintf(line.data(), line.size(), fmt, "model", "input", "ops", "MACs", "params", "BN", "act int8", "peak int8",
                  "pub MACs", "dMACs", "pub par", "dparams", "top-1");
    out << line.data();
    for (const auto& r : rows) {
        std::string pm, pp, t1, dm, dp;
        if (r.pub) {
            if (r.pub->macs) pm = graph::human(r.pub->macs->value), dm = diff_pct(r.pub->macs, r.counted.macs);
            if (r.pub->params) pp = graph::human(r.pub->params->value), dp = diff_pct(r.pub->params, r.counted.params);
            if (r.pub->top1) t1 = percent(r.pub->top1->value);
        }
        std::snprintf(line.data(), line.size(), fmt, r.model.c_str(), input_text(r.net).c_str(),
                      std::to_string(r.net.size()).c_str(), graph::human(double(r.cost.macs)).c_str(),
                      graph::human(double(r.cost.params)).c_str(), graph::human(double(r.cost.bn_params)).c_str(),
                      graph::human(double(r.cost.activation_bytes_int8())).c_str(),
                      graph::human(double(r.cost.peak_activation_bytes_int8())).c_str(), pm.c_str(), dm.c_str(),
                      pp.c_str(), dp.c_str(), t1.c_str());
        out << line.data();
    }
    if (rows.size() && std::any_of(rows.begin(), rows.end(), [](const row& r) { return r.pub; }))
        out << "dMACs/dparams: our count (counted as the source counts: BN params and element-wise ops "
                     "where it includes them) relative to the published figure; sources: accelnas-info --format json\n";
    if (per_op)
        for (const auto& r : rows) {
            out << "\n" << r.model << " (" << r.net.name() << ")\n";
            graph::print_ops(out, r.net);
        }
}

/// One CSV row per model (with `per_op`: per op) of `rows`.
inline void print_csv(std::ostream& out, const std::vector<row>& rows, bool per_op) {
    if (per_op) {
        out << "model,index,op,kind,attributes,output,macs,params,bn_params,out_bytes_int8\n";
        for (const auto& r : rows)
            for (std::size_t i = 0; i < r.net.size(); ++i) {
                const auto& o = r.net.ops()[i];
                const auto& c = r.cost.per_op[i];
                std::ostringstream shape;
                shape << o.out.h << 'x' << o.out.w << 'x' << o.out.c;
                out << csv_field(r.model) << ',' << i << ',' << csv_field(o.name) << ',' << graph::to_string(o.kind)
                          << ',' << csv_field(graph::describe(r.net, i)) << ',' << shape.str() << ',' << c.macs << ','
                          << c.params() << ',' << c.bn_params << ',' << c.out_elements << '\n';
            }
        return;
    }
    out << "model,input,ops,macs,params,bn_params,activation_bytes_int8,peak_activation_bytes_int8,"
                 "published_macs,published_params,published_top1,macs_diff,params_diff\n";
    for (const auto& r : rows) {
        std::string pm, pp, t1, dm, dp;
        if (r.pub) {
            if (r.pub->macs) pm = plain(r.pub->macs->value), dm = diff_pct(r.pub->macs, r.counted.macs);
            if (r.pub->params) pp = plain(r.pub->params->value), dp = diff_pct(r.pub->params, r.counted.params);
            if (r.pub->top1) t1 = percent(r.pub->top1->value);
        }
        out << csv_field(r.model) << ',' << input_text(r.net) << ',' << r.net.size() << ',' << r.cost.macs << ','
                  << r.cost.params << ',' << r.cost.bn_params << ',' << r.cost.activation_bytes_int8() << ','
                  << r.cost.peak_activation_bytes_int8() << ',' << pm << ',' << pp << ',' << t1 << ',' << dm << ','
                  << dp << '\n';
    }
}

/// `rows` as one JSON array (with `per_op`: a per_op array in each).
inline void print_json(std::ostream& out, const std::vector<row>& rows, bool per_op) {
    using nlohmann::json;
    json all = json::array();
    for (const auto& r : rows) {
        const auto s = r.net.input_shape();
        json j{{"model", r.model},
               {"name", r.net.name()},
               {"input", {s.h, s.w, s.c}},
               {"ops", r.net.size()},
               {"macs", r.cost.macs},
               {"params", r.cost.params},
               {"bn_params", r.cost.bn_params},
               {"activation_bytes_int8", r.cost.activation_bytes_int8()},
               {"activation_bytes_f32", r.cost.activation_bytes_f32()},
               {"peak_activation_bytes_int8", r.cost.peak_activation_bytes_int8()},
               {"peak_activation_bytes_f32", r.cost.peak_activation_bytes_f32()}};
        if (r.pub) {
            json p = json::object();
            auto fig = [&](const char* key, const std::optional<zoo::published_figure>& f) {
                if (f) p[key] = {{"value", f->value}, {"source", std::string(f->source)}};
            };
            fig("macs", r.pub->macs);
            fig("params", r.pub->params);
            fig("top1", r.pub->top1);
            p["params_include_bn"] = r.pub->params_include_bn;
            p["macs_elementwise_per_conv_output"] = r.pub->macs_elementwise_per_conv_output;
            if (!r.pub->note.empty()) p["note"] = std::string(r.pub->note);
            p["counted_macs"] = r.counted.macs;
            p["counted_params"] = r.counted.params;
            j["published"] = p;
        }
        if (per_op) {
            json ops = json::array();
            for (std::size_t i = 0; i < r.net.size(); ++i) {
                const auto& o = r.net.ops()[i];
                const auto& c = r.cost.per_op[i];
                ops.push_back({{"index", i},
                               {"op", o.name},
                               {"kind", std::string(graph::to_string(o.kind))},
                               {"attributes", graph::describe(r.net, i)},
                               {"output", {o.out.h, o.out.w, o.out.c}},
                               {"macs", c.macs},
                               {"params", c.params()},
                               {"bn_params", c.bn_params},
                               {"out_bytes_int8", c.out_elements}});
            }
            j["per_op"] = ops;
        }
        all.push_back(j);
    }
    out << all.dump(1) << '\n';
}


/// Prints "<model> <space>:<arch text>" for each known point (a published model that is an exact
/// architecture of a shipped space) among `models` (all of them when `models` is empty); throws
/// when none of `models` is one.
inline void print_known_points(std::ostream& out, const std::vector<std::string>& models) {
    int found = 0;
    for (const auto& k : space::known_points()) {
        if (!models.empty() && std::find(models.begin(), models.end(), k.model) == models.end()) continue;
        out << k.model << ' ' << k.space << ':' << k.arch_text << '\n';
        ++found;
    }
    if (found > 0) return;
    std::string known;
    for (const auto& k : space::known_points()) known += (known.empty() ? "" : ", ") + std::string(k.model);
    fail("no SPEC given is a known point of a shipped space (known: ", known, ")");
}

/// Prints `rows` in `format` (table, csv or json); `accelnas::error` on another format.
inline void print(std::ostream& out, const std::vector<row>& rows, const std::string& format, bool per_op) {
    if (format == "csv") print_csv(out, rows, per_op);
    else if (format == "json") print_json(out, rows, per_op);
    else if (format == "table") print_table(out, rows, per_op);
    else fail("unknown format '", format, "' (expected table, csv or json)");
}

}  // namespace accelnas::app::info
