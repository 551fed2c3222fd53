#pragma once
/// \file
/// The Adam update (Kingma & Ba 2015) for one parameter, in float or double: the arithmetic shared by
/// the search controllers' policy optimizer (search/adam.hpp) and the trainer's (train/optimizers.hpp),
/// which differ only in where the moments live and in the direction of the step.

#include <cmath>
#include <cstddef>

namespace accelnas {

/// Bias corrections of Adam's moments after `t` steps: 1 - beta1^t and 1 - beta2^t.
template <class T>
struct adam_corrections {
    T first;   ///< 1 - beta1^t
    T second;  ///< 1 - beta2^t

    /// The corrections of step `t` (1-based).
    adam_corrections(T beta1, T beta2, std::size_t t)
        : first(T(1) - std::pow(beta1, T(t))), second(T(1) - std::pow(beta2, T(t))) {}
};

/// Updates the moments `m`, `v` of one parameter with gradient `g` and returns the step length
/// `lr * (m / c1) / (sqrt(v / c2) + epsilon)`; the caller adds it (ascent) or subtracts it (descent).
template <class T>
inline T adam_step(T& m, T& v, T g, T lr, T beta1, T beta2, T epsilon, const adam_corrections<T>& c) noexcept {
    m = beta1 * m + (T(1) - beta1) * g;
    v = beta2 * v + (T(1) - beta2) * g * g;
    return lr * (m / c.first) / (std::sqrt(v / c.second) + epsilon);
}

}  // namespace accelnas
