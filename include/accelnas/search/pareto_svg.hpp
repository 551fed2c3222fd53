#pragma once
/// \file
/// The Pareto plot of a search as SVG: accuracy vs latency of every successful candidate, the
/// Pareto front as a staircase, and reference models drawn as labelled points.

#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/layout.hpp>
#include <accelnas/search/pareto.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

namespace accelnas::search {

/// A labelled reference point of the Pareto plot (a zoo model at the same proxy size).
struct baseline_point {
    std::string name;      ///< label
    double accuracy = 0;   ///< proxy accuracy in [0, 1]
    double latency = 0;    ///< seconds on the plotted target
};

/// Options of `write_pareto_svg`.
struct svg_options {
    std::string title = "Pareto front";  ///< plot title
    std::string target = "target";       ///< latency axis label ("latency on <target> (ms)")
    std::size_t target_index = 0;        ///< which latency of the evaluations is plotted
    int width = 720, height = 480;       ///< image size in pixels
    bool log_latency = true;             ///< logarithmic latency axis (candidates span 10x and more)
};

/// Draws all successful candidates (grey), the Pareto front (a blue staircase with points) and the
/// baselines (red labelled diamonds) as accuracy vs latency (ms).
inline void write_pareto_svg(std::ostream& os, const std::vector<evaluation>& evals, const std::vector<baseline_point>& baselines,
                             const svg_options& o = {}) {
    pareto_archive front_only;
    std::vector<const evaluation*> pts;
    for (const auto& e : evals)
        if (e.ok && e.latency.size() > o.target_index) {
            pts.push_back(&e);
            evaluation one = e;
            one.latency = {e.latency[o.target_index]};
            front_only.insert(one);
        }
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    auto extend = [&](double lat, double acc) {
        x0 = std::min(x0, lat * 1e3), x1 = std::max(x1, lat * 1e3), y0 = std::min(y0, acc), y1 = std::max(y1, acc);
    };
    for (auto* e : pts) extend(e->latency[o.target_index], e->accuracy);
    for (const auto& b : baselines) extend(b.latency, b.accuracy);
    if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (y1 - y0 < 1e-9) y0 -= 0.05, y1 += 0.05;
    const bool lg = o.log_latency && x0 > 0;
    auto fx = [lg](double ms) { return lg ? std::log10(ms) : ms; };  // axis coordinate of a latency
    auto ifx = [lg](double v) { return lg ? std::pow(10.0, v) : v; };
    double a0 = fx(x0), a1 = fx(x1);
    if (a1 - a0 < 1e-9) a0 -= 0.5, a1 += 0.5;
    const double px = 0.05 * (a1 - a0), py = 0.05 * (y1 - y0);
    a0 -= px, a1 += px, y0 -= py, y1 += py;
    const double L = 70, R = 20, T = 40, B = 50, W = o.width, H = o.height;
    auto sx = [&](double ms) { return L + (fx(ms) - a0) / (a1 - a0) * (W - L - R); };
    auto sy = [&](double acc) { return H - B - (acc - y0) / (y1 - y0) * (H - T - B); };
    auto esc = [](std::string s) {
        std::string r;
        for (char c : s) r += c == '<' ? std::string("&lt;") : c == '>' ? std::string("&gt;") : c == '&' ? std::string("&amp;") : std::string(1, c);
        return r;
    };
    os << std::fixed << std::setprecision(2);
    os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    os << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << esc(o.title) << "</text>\n";
    os << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
    os << "<line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
    for (int i = 0; i <= 5; ++i) {
        const double xv = ifx(a0 + (a1 - a0) * i / 5), yv = y0 + (y1 - y0) * i / 5;
        os << "<text x=\"" << sx(xv) << "\" y=\"" << H - B + 16 << "\" text-anchor=\"middle\">" << std::setprecision(3) << xv << "</text>\n";
        os << "<text x=\"" << L - 6 << "\" y=\"" << sy(yv) + 4 << "\" text-anchor=\"end\">" << yv << "</text>\n" << std::setprecision(2);
    }
    os << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">latency on " << esc(o.target) << " (ms" << (lg ? ", log scale" : "") << ")</text>\n";
    os << "<text transform=\"translate(16," << (T + H - B) / 2 << ") rotate(-90)\" text-anchor=\"middle\">proxy accuracy</text>\n";
    for (auto* e : pts)
        os << "<circle cx=\"" << sx(e->latency[o.target_index] * 1e3) << "\" cy=\"" << sy(e->accuracy) << "\" r=\"2.5\" fill=\"#bbbbbb\"/>\n";
    const auto f = front_only.front();
    if (!f.empty()) {
        os << "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\" points=\"";
        for (std::size_t i = 0; i < f.size(); ++i) {
            if (i) os << sx(f[i].latency[0] * 1e3) << ',' << sy(f[i - 1].accuracy) << ' ';
            os << sx(f[i].latency[0] * 1e3) << ',' << sy(f[i].accuracy) << ' ';
        }
        os << "\"/>\n";
        for (const auto& e : f)
            os << "<circle cx=\"" << sx(e.latency[0] * 1e3) << "\" cy=\"" << sy(e.accuracy) << "\" r=\"4\" fill=\"#1f5fbf\"><title>step "
               << e.step << ' ' << to_string(e.arch) << "</title></circle>\n";
    }
    for (const auto& b : baselines) {
        const double x = sx(b.latency * 1e3), y = sy(b.accuracy);
        os << "<path d=\"M" << x << ' ' << y - 6 << " L" << x + 6 << ' ' << y << " L" << x << ' ' << y + 6 << " L" << x - 6 << ' ' << y
           << " Z\" fill=\"#d62728\"/>\n";
        os << "<text x=\"" << x + 8 << "\" y=\"" << y - 6 << "\" fill=\"#d62728\">" << esc(b.name) << "</text>\n";
    }
    os << "</svg>\n";
}

/// Writes the Pareto SVG to `path`.
inline void write_pareto_svg(const std::string& path, const std::vector<evaluation>& evals, const std::vector<baseline_point>& baselines,
                             const svg_options& o = {}) {
    std::ofstream f(path);
    require(f.good(), "write_pareto_svg: cannot write ", path);
    write_pareto_svg(f, evals, baselines, o);
    require(f.good(), "write_pareto_svg: write to ", path, " failed");
}

}  // namespace accelnas::search
