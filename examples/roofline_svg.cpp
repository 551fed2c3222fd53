// Per-op roofline of a model as an SVG plot: every MAC op (conv, depthwise, dense) is a point at
// (arithmetic intensity = MACs per byte moved, achieved MAC rate), coloured by the limiter the model
// reports; the lines are the device's ceilings (peak MAC rate, tile-memory bandwidth, host link).
//
//   example_roofline_svg --target coral-usb --estimator apm --out enet_s.svg efficientnet_edgetpu_s

#include <accelnas/hw.hpp>
#include <accelnas/spec.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

using namespace accelnas;

int main(int argc, char** argv) {
    CLI::App app{"Per-op roofline of a model as an SVG plot"};
    std::string target = "coral-usb", estimator = "apm", out = "roofline.svg", spec = "efficientnet_edgetpu_s";
    app.add_option("--target", target, "Edge TPU target (coral-usb, coral-devboard, pixel4-edgetpu, coral-latbench)");
    app.add_option("--estimator", estimator, "sim or apm");
    app.add_option("--out", out, "SVG file to write");
    app.add_option("spec", spec, "model spec (zoo name[@size], space:arch, file.json, ...)");
    CLI11_PARSE(app, argc, argv);
    try {
        const auto cfg = hw::targets::edgetpu(target);
        const auto net = resolve_spec(spec);
        const auto rep = hw::make_target(target, estimator).estimate(net);
        const double peak = static_cast<double>(cfg.peak_macs_per_cycle()) * cfg.clock_hz;       // MAC/s
        const double tile_bw = cfg.tile_bytes_per_cycle * static_cast<double>(cfg.tiles) * cfg.clock_hz;  // B/s
        const double host_bw = cfg.host_bytes_per_second;
        struct point { double x, y; hw::limiter l; std::string name; };
        std::vector<point> pts;
        for (const auto& o : rep.ops) {
            if (o.macs == 0 || o.seconds <= 0 || o.where != hw::placement::accelerator) continue;
            const auto w = hw::work_of(net, o.index);
            const double bytes = static_cast<double>(w.in_bytes + w.out_bytes + w.param_bytes);
            pts.push_back({static_cast<double>(o.macs) / bytes, static_cast<double>(o.macs) / o.seconds, o.bound, o.name});
        }
        require(!pts.empty(), "model '", spec, "' has no MAC op on the accelerator to plot");
        // Log-log axes spanning the points and the ridge points of the ceilings.
        double x0 = 0.1, x1 = 1e4, y0 = 1e8, y1 = peak * 2;
        for (const auto& p : pts) { x0 = std::min(x0, p.x / 2); x1 = std::max(x1, p.x * 2); y0 = std::min(y0, p.y / 2); }
        const double W = 900, H = 600, L = 80, R = 220, T = 40, B = 60;
        auto sx = [&](double x) { return L + (std::log10(x) - std::log10(x0)) / (std::log10(x1) - std::log10(x0)) * (W - L - R); };
        auto sy = [&](double y) { return H - B - (std::log10(y) - std::log10(y0)) / (std::log10(y1) - std::log10(y0)) * (H - T - B); };
        std::ofstream f(out);
        require(f.good(), "--out: cannot write '", out, "'");
        f << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' font-family='sans-serif' font-size='12'>\n";
        f << "<rect width='100%' height='100%' fill='white'/>\n";
        f << "<text x='" << L << "' y='24' font-size='15'>Roofline of " << rep.network << " on " << target << " (" << estimator
          << "), " << rep.total_ms() << " ms</text>\n";
        // Axes with decade ticks.
        f << "<line x1='" << L << "' y1='" << H - B << "' x2='" << W - R << "' y2='" << H - B << "' stroke='black'/>\n";
        f << "<line x1='" << L << "' y1='" << T << "' x2='" << L << "' y2='" << H - B << "' stroke='black'/>\n";
        for (double d = std::ceil(std::log10(x0)); d <= std::log10(x1); d += 1)
            f << "<text x='" << sx(std::pow(10, d)) - 10 << "' y='" << H - B + 18 << "'>1e" << d << "</text>\n";
        for (double d = std::ceil(std::log10(y0)); d <= std::log10(y1); d += 1)
            f << "<text x='" << 20 << "' y='" << sy(std::pow(10, d)) + 4 << "'>1e" << d << "</text>\n";
        f << "<text x='" << (L + W - R) / 2 - 120 << "' y='" << H - 15 << "'>arithmetic intensity (MACs per byte moved)</text>\n";
        f << "<text x='15' y='" << T - 10 << "'>MAC/s</text>\n";
        // Ceilings: min(peak, bw * intensity) for the tile memories and the host link.
        auto roof = [&](double bw, const char* colour, const char* label) {
            const double ridge = peak / bw;
            const double xa = x0, xb = std::min(ridge, x1);
            f << "<polyline fill='none' stroke='" << colour << "' stroke-width='2' points='" << sx(xa) << ',' << sy(std::max(y0, bw * xa))
              << ' ' << sx(xb) << ',' << sy(bw * xb) << ' ' << sx(x1) << ',' << sy(peak) << "'/>\n";
            f << "<text x='" << W - R + 5 << "' y='" << sy(std::max(y0 * 1.5, bw * x1 > peak ? peak : bw * x1)) << "' fill='" << colour
              << "'>" << label << "</text>\n";
        };
        roof(host_bw, "#999999", "host link");
        roof(tile_bw, "#1f77b4", "tile memory / peak");
        const char* colours[] = {"#d62728", "#1f77b4", "#7f7f7f", "#2ca02c"};  // compute, on-chip, host, overhead
        for (const auto& p : pts)
            f << "<circle cx='" << sx(p.x) << "' cy='" << sy(p.y) << "' r='4' fill='" << colours[static_cast<int>(p.l)]
              << "' fill-opacity='0.8'><title>" << p.name << "</title></circle>\n";
        for (int i = 0; i < 4; ++i) {
            const double y = T + 40 + 20 * i;
            f << "<circle cx='" << W - R + 15 << "' cy='" << y << "' r='5' fill='" << colours[i] << "'/>"
              << "<text x='" << W - R + 25 << "' y='" << y + 4 << "'>" << hw::to_string(static_cast<hw::limiter>(i)) << "</text>\n";
        }
        f << "</svg>\n";
        std::printf("wrote %s: %zu MAC ops of %s on %s\n", out.c_str(), pts.size(), rep.network.c_str(), target.c_str());
    } catch (const error& e) {
        std::cerr << "example_roofline_svg: error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
