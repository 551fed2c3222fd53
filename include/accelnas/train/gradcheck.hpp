#pragma once
/// \file
/// Gradient checkers (central differences), shipped in the library so that every op - and any op a
/// user adds - can be verified the same way (as dlib's test_layer): `check_gradients` for a function
/// of tape variables, `check_model_gradients` for the loss of a whole `train::model`.
///
/// The ops compute in float, so the numeric derivative carries rounding noise of about
/// ulp(output) * sqrt(outputs) / eps. The error of an element is therefore relative wherever the
/// derivative is larger than `floor` - |numeric - analytic| / max(|numeric|, |analytic|, floor) - so
/// a formula that is off by a few percent fails on any derivative above the floor (with the default
/// tolerance 1e-2 and floor 1e-2, a 10% error on a 0.1 derivative gives 0.1, not 0.01 as the older
/// max(1, |analytic|) scale did); only derivatives below the floor are compared absolutely, where
/// float noise would otherwise dominate. Each input (parameter tensor) also gets a norm-wise error
/// ||numeric - analytic|| / max(||analytic||, floor), which averages the noise out and is what a
/// check of a network with kinked activations (a few units crossing a kink) should assert.

#include <accelnas/core/rng.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/tape.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace accelnas::train {

/// Outcome of `check_gradients` / `check_model_gradients`.
struct gradcheck_result {
    double max_error = 0;     ///< largest |numeric - analytic| / max(|numeric|, |analytic|, floor)
    std::size_t input = 0;    ///< input (or parameter) holding the worst element
    std::size_t element = 0;  ///< flat index of the worst element
    double numeric = 0, analytic = 0;  ///< the two derivatives at the worst element
    double max_norm_error = 0;         ///< largest ||numeric - analytic|| / max(||analytic||, floor) of an input
    std::size_t norm_input = 0;        ///< input with the largest norm-wise error
    std::size_t checked = 0;           ///< elements compared
    bool ok = true;                    ///< max_error <= tolerance
};

/// Settings of a gradient check.
struct gradcheck_options {
    double eps = 1e-2;        ///< central-difference step
    double tolerance = 1e-2;  ///< bound on the element error (sets `gradcheck_result::ok`)
    double floor = 1e-2;      ///< derivatives below this are compared absolutely (see the file comment)
    std::size_t threads = 1;  ///< threads of the tape the function runs on
    std::size_t sample = 0;   ///< check at most this many elements per input, drawn by the rng (0: all)
};

namespace detail {

// Accumulates the errors of one input into `res`; `num` and `ana` are that input's derivatives at
// the checked elements `idx`.
inline void gradcheck_collect(gradcheck_result& res, std::size_t input, std::span<const std::size_t> idx,
                              std::span<const double> num, std::span<const double> ana, double floor) {
    double diff2 = 0, ana2 = 0;
    for (std::size_t j = 0; j < idx.size(); ++j) {
        const double err = std::abs(num[j] - ana[j]) / std::max({std::abs(num[j]), std::abs(ana[j]), floor});
        if (res.checked == 0 || err > res.max_error) {
            res.max_error = err;
            res.input = input;
            res.element = idx[j];
            res.numeric = num[j];
            res.analytic = ana[j];
        }
        diff2 += (num[j] - ana[j]) * (num[j] - ana[j]);
        ana2 += ana[j] * ana[j];
        ++res.checked;
    }
    const double ne = std::sqrt(diff2) / std::max(std::sqrt(ana2), floor);
    if (ne > res.max_norm_error) {
        res.max_norm_error = ne;
        res.norm_input = input;
    }
}

// The elements of an input of `size` elements to check: all, or `sample` drawn without repetition.
inline std::vector<std::size_t> gradcheck_elements(std::size_t size, std::size_t sample, rng& g) {
    std::vector<std::size_t> idx(size);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    if (sample == 0 || sample >= size) return idx;
    for (std::size_t i = 0; i < sample; ++i) std::swap(idx[i], idx[i + std::size_t(uniform_index(g, size - i))]);
    idx.resize(sample);
    std::sort(idx.begin(), idx.end());
    return idx;
}

// Central difference of `loss` in the float `x`, dividing by the step actually taken (x +- eps
// rounds to floats, which matters for a relative check).
template <class Loss>
double central_difference(float& x, double eps, Loss&& loss) {
    const float keep = x, up = float(double(keep) + eps), down = float(double(keep) - eps);
    x = up;
    const double hi = loss();
    x = down;
    const double lo = loss();
    x = keep;
    return (hi - lo) / (double(up) - double(down));
}

}  // namespace detail

/// Checks the gradients of `f(tape&, std::vector<var>&) -> var` with respect to each of `inputs`.
/// The scalar checked is L = sum(out * R) for a fixed random R (so every output element matters),
/// accumulated in double. `f` must be deterministic (seed its own rng inside when it draws random
/// numbers).
template <class F>
gradcheck_result check_gradients(F&& f, std::vector<tensor> inputs, rng& g, const gradcheck_options& opt) {
    tape t(opt.threads);
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
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const auto idx = detail::gradcheck_elements(inputs[k].size(), opt.sample, g);
        std::vector<double> num, ana;
        for (auto i : idx) {
            num.push_back(detail::central_difference(inputs[k].data()[i], opt.eps, loss));
            ana.push_back(analytic[k].data()[i]);
        }
        detail::gradcheck_collect(res, k, idx, num, ana, opt.floor);
    }
    res.ok = res.max_error <= opt.tolerance;
    t.set_recording(true);
    return res;
}

/// `check_gradients` with the step, tolerance and threads given positionally.
template <class F>
gradcheck_result check_gradients(F&& f, std::vector<tensor> inputs, rng& g, double eps = 1e-2, double tolerance = 1e-2,
                                 std::size_t threads = 1) {
    gradcheck_options o;
    o.eps = eps;
    o.tolerance = tolerance;
    o.threads = threads;
    return check_gradients(std::forward<F>(f), std::move(inputs), g, o);
}

/// Checks the parameter gradients of a whole model: the loss is the softmax cross-entropy of
/// `m.forward(batch, training)` against `labels` (the training objective, batch statistics in batch
/// norm), and every parameter (or `opt.sample` elements of each) is perturbed in turn. Input `k` of
/// the result is `m.parameters()[k]`. The model's parameters are restored; in training mode the
/// running statistics move with every forward pass (as in training), which does not change the loss.
inline gradcheck_result check_model_gradients(model& m, const tensor& batch, std::span<const std::int32_t> labels, rng& g,
                                              const gradcheck_options& opt = {}, bool training = true) {
    tape t(opt.threads);
    t.clear();
    auto l0 = softmax_cross_entropy(m.forward(t, batch, training), labels);
    t.backward(l0);
    std::vector<tensor> analytic;
    for (const auto& p : m.parameters()) analytic.push_back(p.grad);
    auto loss = [&] {
        t.clear();
        pause_recording pause(t);
        const auto logits = m.forward(t, batch, training);
        // The cross-entropy in double from the float logits (the op rounds its value to float).
        const tensor& z = t.value(logits);
        const std::size_t n = z.shape()[0], k = z.size() / n;
        double s = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const float* row = z.data() + i * k;
            const double mx = *std::max_element(row, row + k);
            double e = 0;
            for (std::size_t j = 0; j < k; ++j) e += std::exp(double(row[j]) - mx);
            s += std::log(e) + mx - double(row[labels[i]]);
        }
        return s / double(n);
    };
    gradcheck_result res;
    auto& ps = m.parameters();
    for (std::size_t k = 0; k < ps.size(); ++k) {
        const auto idx = detail::gradcheck_elements(ps[k].value.size(), opt.sample, g);
        std::vector<double> num, ana;
        for (auto i : idx) {
            num.push_back(detail::central_difference(ps[k].value.data()[i], opt.eps, loss));
            ana.push_back(analytic[k].data()[i]);
        }
        detail::gradcheck_collect(res, k, idx, num, ana, opt.floor);
    }
    res.ok = res.max_error <= opt.tolerance;
    return res;
}

}  // namespace accelnas::train
