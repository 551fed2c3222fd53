#pragma once
/// \file
/// `quant::evaluate_int8`: the one call a training tool makes to report float vs int8 accuracy of a
/// trained network: fold batch norm, observe activation ranges on some training images, quantize, and classify a
/// test set with both the float model (the unfolded network, as trained) and the int8 model.
///
/// Top-1 is taken on the logits: when the network ends in a softmax, on the softmax's input (same
/// argmax as the probabilities, without the ties that 1/256-quantized probabilities would create).
/// Ties between int8 logits go to the lowest class index.

#include <accelnas/core/error.hpp>
#include <accelnas/core/tensor.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant/fold.hpp>
#include <accelnas/quant/int8_model.hpp>
#include <accelnas/quant/ranges.hpp>
#include <accelnas/quant/reference.hpp>
#include <accelnas/train/parameters.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace accelnas::quant {

/// Float vs int8 results of `evaluate_int8`.
struct int8_evaluation {
    double float_accuracy = 0.0;       ///< top-1 of the float network (unfolded, as trained), in [0, 1]
    double int8_accuracy = 0.0;        ///< top-1 of the int8 model, in [0, 1]
    double agreement = 0.0;            ///< fraction of images on which float and int8 top-1 agree
    double max_logit_error = 0.0;      ///< max |int8 - float| over all logits, in output quantization steps
    double mean_logit_error = 0.0;     ///< mean |int8 - float| over all logits, in output quantization steps
    std::int64_t images = 0;           ///< test images classified
    std::int64_t calibration_images = 0;  ///< images used to calibrate activation ranges
};

/// Batch sizes used by `evaluate_int8`.
struct evaluate_options {
    std::size_t batch_size = 256;              ///< test batch size (memory vs speed only)
    std::size_t calibration_batch_size = 256;  ///< calibration batch size (memory vs speed only)
};

namespace detail {
// The op whose output is taken as logits: the output op, or the input of a final softmax.
inline std::size_t logits_op(const graph::network& net) {
    const std::size_t out = output_op(net);
    const auto& o = net.ops()[out];
    return o.kind == graph::op_kind::softmax ? o.inputs[0] : out;
}

inline xt::xtensor<float, 4> slice_batch(const xt::xtensor<float, 4>& images, std::size_t b, std::size_t m) {
    auto s = images.shape();
    const std::size_t per = s[1] * s[2] * s[3];
    s[0] = m;
    xt::xtensor<float, 4> t = xt::empty<float>(s);
    std::copy_n(images.data() + b * per, m * per, t.data());
    return t;
}

inline std::size_t argmax_row(const float* v, std::size_t n) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i)
        if (v[i] > v[best]) best = i;
    return best;
}
}  // namespace detail

/// Folds and quantizes `net` with `params`, observing activation ranges on `calibration_images`
/// (NHWC float, the same preprocessing as training), then classifies `test_images` (NHWC float) with
/// the float and the int8 model and compares with `labels` (any random-access container of
/// integers, one per image).
template <class Labels>
int8_evaluation evaluate_int8(const graph::network& net, const train::parameter_set& params,
                              const xt::xtensor<float, 4>& calibration_images, const xt::xtensor<float, 4>& test_images,
                              const Labels& labels, const evaluate_options& options = {}) {
    require(options.batch_size > 0, "evaluate_int8: batch_size must be positive");
    const std::size_t n = test_images.shape()[0];
    require(std::size_t(std::size(labels)) == n, "evaluate_int8: ", std::size(labels), " labels for ", n, " test images");
    require(n > 0, "evaluate_int8: no test images");
    const float_model original(net, params);
    auto folded = fold_batch_norm(net, params);
    const float_model folded_float(folded.network, folded.parameters);
    const auto ranges = observe_ranges(folded_float, calibration_images, options.calibration_batch_size);
    const int8_model q(std::move(folded.network), folded.parameters, ranges);

    const std::size_t float_logits = detail::logits_op(net);
    const std::string& logits_name = net.ops()[float_logits].name;
    const std::size_t int8_logits =
        q.network().contains(logits_name) ? q.network().find(logits_name).id : detail::logits_op(q.network());
    const float out_scale = q.params(int8_logits).scale;

    int8_evaluation r;
    r.images = std::int64_t(n);
    r.calibration_images = ranges.images;
    std::int64_t float_ok = 0, int8_ok = 0, agree = 0, logits = 0;
    double err_sum = 0.0, err_max = 0.0;
    for (std::size_t b = 0; b < n; b += options.batch_size) {
        const std::size_t m = std::min(options.batch_size, n - b);
        const auto batch = detail::slice_batch(test_images, b, m);
        const auto yf = original.predict(batch, float_logits);
        const auto yq = q.predict(batch, int8_logits);
        require(yf.size() == yq.size(), "evaluate_int8: float and int8 logits differ in size");
        const std::size_t k = yf.size() / m;
        for (std::size_t i = 0; i < m; ++i) {
            const std::size_t pf = detail::argmax_row(yf.data() + i * k, k);
            const std::size_t pq = detail::argmax_row(yq.data() + i * k, k);
            const auto label = static_cast<std::int64_t>(labels[b + i]);
            require(label >= 0 && std::size_t(label) < k, "evaluate_int8: label ", label, " of test image ", b + i,
                    " is outside [0, ", k, ")");
            float_ok += std::int64_t(pf) == label;
            int8_ok += std::int64_t(pq) == label;
            agree += pf == pq;
        }
        for (std::size_t e = 0; e < yf.size(); ++e) {
            const double d = std::abs(double(yq.data()[e]) - double(yf.data()[e])) / out_scale;
            err_sum += d;
            err_max = std::max(err_max, d);
        }
        logits += std::int64_t(yf.size());
    }
    r.float_accuracy = double(float_ok) / double(n);
    r.int8_accuracy = double(int8_ok) / double(n);
    r.agreement = double(agree) / double(n);
    r.max_logit_error = err_max;
    r.mean_logit_error = err_sum / double(logits);
    return r;
}

}  // namespace accelnas::quant
