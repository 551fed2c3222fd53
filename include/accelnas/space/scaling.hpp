#pragma once
/// \file
/// EfficientNet compound scaling of plans: filters by `round_filters` (divisor 8, never below 90%),
/// repeats by `ceil`, and the input resolution; also the compound-coefficient form
/// (depth = alpha^phi, width = beta^phi, resolution = gamma^phi).

#include <accelnas/core/error.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/space/plan.hpp>

#include <cmath>
#include <cstdint>

namespace accelnas::space {

/// Width, depth and resolution of a compound scaling (EfficientNet's (w, d, r)).
struct compound_scaling {
    double width = 1.0;           ///< filter multiplier
    double depth = 1.0;           ///< repeat multiplier
    std::int64_t resolution = 0;  ///< input size of the scaled network (0: keep the caller's)
    friend bool operator==(const compound_scaling&, const compound_scaling&) = default;
};

/// EfficientNet `round_filters`: max(divisor, int(f*w + divisor/2) // divisor * divisor), plus one
/// divisor if that lost more than 10% of f*w.
inline std::int64_t round_filters(std::int64_t filters, double width, std::int64_t divisor = 8) {
    require(filters > 0 && width > 0.0 && divisor > 0, "round_filters: filters ", filters, ", width ", width,
            " and divisor ", divisor, " must be positive");
    return graph::blocks::make_divisible(static_cast<double>(filters) * width, divisor);
}

/// EfficientNet `round_repeats`: ceil(depth * repeats).
inline int round_repeats(int repeats, double depth) {
    require(repeats >= 0 && depth > 0.0, "round_repeats: repeats ", repeats, " must not be negative and depth ",
            depth, " must be positive");
    return static_cast<int>(std::ceil(depth * repeats));
}

/// The coefficients of compound coefficient `phi`: depth alpha^phi, width beta^phi, resolution
/// round(base_resolution * gamma^phi). Defaults are EfficientNet's alpha 1.2, beta 1.1, gamma 1.15.
inline compound_scaling compound_coefficients(double phi, std::int64_t base_resolution, double alpha = 1.2,
                                              double beta = 1.1, double gamma = 1.15) {
    require(base_resolution > 0, "compound_coefficients: base resolution must be positive, got ", base_resolution);
    require(alpha >= 1.0 && beta >= 1.0 && gamma >= 1.0, "compound_coefficients: alpha ", alpha, ", beta ", beta,
            " and gamma ", gamma, " must be at least 1");
    return {.width = std::pow(beta, phi),
            .depth = std::pow(alpha, phi),
            .resolution = std::llround(static_cast<double>(base_resolution) * std::pow(gamma, phi))};
}

/// `plan` scaled by `s`: stem, head and every stage's filters by round_filters(f, s.width), every
/// stage's repeats by round_repeats(r, s.depth). (The resolution is applied by the caller's input.)
inline network_plan scale(network_plan plan, const compound_scaling& s) {
    require(s.width > 0.0 && s.depth > 0.0, "scale: width ", s.width, " and depth ", s.depth, " must be positive");
    plan.stem_filters = round_filters(plan.stem_filters, s.width);
    if (plan.head_filters > 0) plan.head_filters = round_filters(plan.head_filters, s.width);
    for (auto& st : plan.stages) {
        st.filters = round_filters(st.filters, s.width);
        st.repeats = round_repeats(st.repeats, s.depth);
    }
    return plan;
}

}  // namespace accelnas::space
