#pragma once
/// \file
/// Printable summaries of a network: a per-op table and one-line totals.

#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/network.hpp>

#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>

namespace accelnas::graph {

/// Human-readable count: 1234567 -> "1.23M".
inline std::string human(double v) {
    const char* unit[] = {"", "K", "M", "G", "T"};
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.2f%s", v, unit[u]);
    return buf;
}

/// Short description of an op's attributes ("3x3/2 same g=1 f=32 bn relu6").
inline std::string describe(const network& net, std::size_t i) {
    const op& o = net.at(i);
    std::ostringstream os;
    switch (o.kind) {
    case op_kind::conv2d:
        os << o.kernel_h << 'x' << o.kernel_w << '/' << o.stride_h << ' ' << to_string(o.pad);
        if (is_depthwise(o, net.in_channels(i))) os << " dw";
        else if (o.groups > 1) os << " g=" << o.groups;
        break;
    case op_kind::max_pool:
    case op_kind::avg_pool: os << o.kernel_h << 'x' << o.kernel_w << '/' << o.stride_h << ' ' << to_string(o.pad); break;
    case op_kind::pad: os << o.pads[0] << ',' << o.pads[1] << ',' << o.pads[2] << ',' << o.pads[3]; break;
    case op_kind::opaque: os << o.opaque_type; break;
    default: break;
    }
    if (o.batch_norm) os << " bn";
    if (o.bias) os << " bias";
    if (o.act != activation::none) os << ' ' << to_string(o.act);
    auto s = os.str();
    return s.size() && s[0] == ' ' ? s.substr(1) : s;
}

/// Writes a per-op table: index, name, kind, attributes, output shape, MACs, params.
inline void print_ops(std::ostream& os, const network& net) {
    const auto c = cost_of(net);
    char line[256];
    std::snprintf(line, sizeof line, "%4s  %-28s %-16s %-22s %-16s %10s %10s\n", "#", "op", "kind", "attributes",
                  "output", "MACs", "params");
    os << line;
    for (std::size_t i = 0; i < net.size(); ++i) {
        const auto& o = net.ops()[i];
        std::ostringstream shp;
        shp << o.out.h << 'x' << o.out.w << 'x' << o.out.c;
        std::snprintf(line, sizeof line, "%4zu  %-28.28s %-16s %-22.22s %-16s %10s %10s\n", i, o.name.c_str(),
                      std::string(to_string(o.kind)).c_str(), describe(net, i).c_str(), shp.str().c_str(),
                      human(double(c.per_op[i].macs)).c_str(), human(double(c.per_op[i].params())).c_str());
        os << line;
    }
    os << "total: " << human(double(c.macs)) << " MACs, " << human(double(c.params)) << " params (+"
       << human(double(c.bn_params)) << " BN), activations " << human(double(c.activation_bytes_int8()))
       << "B int8, peak live " << human(double(c.peak_activation_bytes_int8())) << "B int8\n";
}

}  // namespace accelnas::graph
