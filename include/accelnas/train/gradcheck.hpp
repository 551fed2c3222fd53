#pragma once
/// \file
/// Gradient checker (central differences), shipped in the library so that every op - and any op a
/// user adds - can be verified the same way (as dlib's test_layer).

#include <accelnas/core/rng.hpp>
#include <accelnas/train/tape.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace accelnas::train {

/// Outcome of `check_gradients`.
struct gradcheck_result {
    double max_error = 0;     ///< largest |numeric - analytic| / max(1, |analytic|)
    std::size_t input = 0;    ///< input holding the worst element
    std::size_t element = 0;  ///< flat index of the worst element
    double numeric = 0, analytic = 0;  ///< the two derivatives at the worst element
    bool ok = true;           ///< max_error <= tolerance
};

/// Checks the gradients of `f(tape&, std::vector<var>&) -> var` with respect to each of `inputs`.
/// The scalar checked is L = sum(out * R) for a fixed random R (so every output element matters),
/// accumulated in double; numeric derivatives use central differences with step `eps`. `f` must be
/// deterministic (seed its own rng inside when it draws random numbers).
template <class F>
gradcheck_result check_gradients(F&& f, std::vector<tensor> inputs, rng& g, double eps = 1e-2, double tolerance = 1e-2,
                                 std::size_t threads = 1) {
    tape t(threads);
    auto run = [&](bool record) {
        t.clear();
        t.set_recording(record);
        std::vector<var> vs;
        for (auto& x : inputs) vs.push_back(t.variable(x));
        auto out = f(t, vs);
        return std::pair{out, vs};
    };
    auto [out0, vs0] = run(true);
    const tensor& y0 = t.value(out0);
    tensor r = xt::empty<float>(y0.shape());
    for (auto& v : r) v = float(normal01(g));
    t.backward(out0, r);
    std::vector<tensor> analytic;
    for (auto v : vs0) {
        const tensor* gr = t.gradient(v);
        analytic.push_back(gr ? *gr : tensor(xt::zeros<float>(t.value(v).shape())));
    }
    auto loss = [&] {
        auto [out, vs] = run(false);
        (void)vs;
        const tensor& y = t.value(out);
        double s = 0;
        for (std::size_t i = 0; i < y.size(); ++i) s += double(y.data()[i]) * double(r.data()[i]);
        return s;
    };
    gradcheck_result res;
    for (std::size_t k = 0; k < inputs.size(); ++k)
        for (std::size_t i = 0; i < inputs[k].size(); ++i) {
            float& x = inputs[k].data()[i];
            const float keep = x;
            x = keep + float(eps);
            const double hi = loss();
            x = keep - float(eps);
            const double lo = loss();
            x = keep;
            const double num = (hi - lo) / (2 * eps), ana = analytic[k].data()[i];
            const double err = std::abs(num - ana) / std::max(1.0, std::abs(ana));
            if (err > res.max_error) res = {err, k, i, num, ana, true};
        }
    res.ok = res.max_error <= tolerance;
    t.set_recording(true);
    return res;
}

}  // namespace accelnas::train
