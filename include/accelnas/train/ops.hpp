#pragma once
/// \file
/// Differentiable ops on tape variables: every op of the network IR (convolution with stride,
/// padding and groups, fully connected, add, concat, mul with 1x1xC broadcast, pooling, batch norm
/// with running statistics, activations, reshape, pad, dropout, softmax) and the softmax
/// cross-entropy loss with label smoothing. Each op computes its value at once and, while the tape
/// records, a backward function that adds into its parents' gradients.

#include <accelnas/core/error.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/activation.hpp>
#include <accelnas/graph/op.hpp>
#include <accelnas/train/diverged.hpp>
#include <accelnas/train/kernels.hpp>
#include <accelnas/train/tape.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <vector>

namespace accelnas::train {

namespace detail {

// Creates the output node of an op; it needs a gradient when any parent does.
inline var make_output(tape& t, const shape4& s, std::initializer_list<var> parents) {
    bool rg = false;
    for (auto p : parents) rg = rg || t.at(p).requires_grad;
    auto r = t.push(s, rg);
    if (t.at(r).requires_grad)
        for (auto p : parents) t.at(r).parents.push_back(p.id);
    return r;
}

inline tape& tape_of(var v) {
    require(v.owner != nullptr, "train: variable is not on a tape");
    return *v.owner;
}

// Splits [0, n) over the thread pool unless the work is too small to pay for a thread hand-off;
// `f(lo, hi, chunk)` gets the chunk index (< row_chunks(t, n, work)), for per-chunk partial sums.
inline std::size_t row_chunks(tape& t, std::size_t n, std::size_t work) {
    return work < (std::size_t{1} << 15) ? 1 : t.pool().chunks_for(n);
}
template <class F>
void parallel_rows(tape& t, std::size_t n, std::size_t work, F&& f) {
    const std::size_t chunks = row_chunks(t, n, work);
    if (chunks == 1) f(std::size_t{0}, n, std::size_t{0});
    else t.pool().run(n, [&](std::size_t lo, std::size_t hi, std::size_t) { f(lo, hi, thread_pool::chunk_index(lo, n, chunks)); });
}

// The output node of a convolution (or a fully connected layer as one) of `x` by `w` with geometry
// `g`: computes the value and, while recording, the backward closure.
inline var record_conv(tape& t, var x, var w, const conv_geometry& g, const shape4& out) {
    auto y = make_output(t, out, {x, w});
    conv_forward(t, t.value(x).data(), t.value(w).data(), t.value(y).data(), g);
    if (t.at(y).requires_grad)
        t.at(y).backward = [g, xi = x.id, wi = w.id](tape& tp, node& self) {
            bool fresh = false;
            float* dx = tp.at(xi).requires_grad ? tp.grad_slot(xi, fresh).data() : nullptr;
            float* dw = tp.at(wi).requires_grad ? tp.grad_data(wi) : nullptr;
            conv_backward(tp, tp.at(xi).value().data(), tp.at(wi).value().data(), self.grad().data(), dx, dw, g,
                          fresh);
        };
    return y;
}

}  // namespace detail

/// 2-D convolution of NHWC `x` with HWIO weights `w` [kh, kw, c / groups, filters].
inline var conv2d(var x, var w, int stride_h, int stride_w, graph::padding pad, std::size_t groups) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x)), ws = shape_of(t.value(w));
    require(ws[2] * groups == xs[3], "train::conv2d: weight input channels ", ws[2], " x groups ", groups,
            " != input channels ", xs[3]);
    require(stride_h > 0 && stride_w > 0, "train::conv2d: stride must be positive");
    const auto g = make_geometry(xs, ws[0], ws[1], std::size_t(stride_h), std::size_t(stride_w), pad, groups, ws[3],
                                 "train::conv2d");
    return detail::record_conv(t, x, w, g, {g.n, g.oh, g.ow, g.oc});
}

/// Fully connected layer: the NHWC-flattened rows of `x` times `w` [1, 1, h*w*c, units]; output
/// [n, 1, 1, units].
inline var fully_connected(var x, var w) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x)), ws = shape_of(t.value(w));
    const std::size_t in = xs[1] * xs[2] * xs[3];
    require(ws[0] == 1 && ws[1] == 1 && ws[2] == in, "train::fully_connected: weight [", ws[0], ",", ws[1], ",",
            ws[2], ",", ws[3], "] does not take ", in, " input features");
    // A fully connected layer is a 1x1 convolution of the flattened 1x1x(in) input.
    const auto g = make_geometry({xs[0], 1, 1, in}, 1, 1, 1, 1, graph::padding::valid, 1, ws[3],
                                 "train::fully_connected");
    return detail::record_conv(t, x, w, g, {xs[0], 1, 1, ws[3]});
}

/// Adds the per-channel bias `b` [1, 1, 1, c] to every pixel of `x`.
inline var bias_add(var x, var b) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    const std::size_t c = xs[3], rows = elements(xs) / c;
    require(t.value(b).size() == c, "train::bias_add: bias has ", t.value(b).size(), " elements, input has ", c,
            " channels");
    auto y = detail::make_output(t, xs, {x, b});
    const float* xp = t.value(x).data();
    const float* bp = t.value(b).data();
    float* yp = t.value(y).data();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < c; ++i) yp[r * c + i] = xp[r * c + i] + bp[i];
    if (t.at(y).requires_grad)
        t.at(y).backward = [xi = x.id, bi = b.id, rows, c](tape& tp, node& self) {
            const float* d = self.grad().data();
            if (tp.at(xi).requires_grad) {
                bool fresh = false;
                float* dx = tp.grad_slot(xi, fresh).data();
                if (fresh) std::copy_n(d, rows * c, dx);
                else for (std::size_t i = 0; i < rows * c; ++i) dx[i] += d[i];
            }
            if (tp.at(bi).requires_grad) {
                float* db = tp.grad_data(bi);
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t i = 0; i < c; ++i) db[i] += d[r * c + i];
            }
        };
    return y;
}

/// Element-wise activation. A NaN or infinite input throws `train::diverged` (relu would otherwise
/// turn a NaN into 0 and hide it).
inline var activate(var x, graph::activation a) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    auto y = detail::make_output(t, xs, {x});
    const float* xp = t.value(x).data();
    float* yp = t.value(y).data();
    const std::size_t n = elements(xs);
    if (const auto bad = first_non_finite(xp, n); bad < n)
        throw diverged(accelnas::detail::concat("train::activate: input element ", bad, " is ", xp[bad]));
    detail::parallel_rows(t, n, n, [&](std::size_t lo, std::size_t hi, std::size_t) {
        switch (a) {  // the common cases as plain loops the compiler vectorises
        case graph::activation::relu:
            for (std::size_t i = lo; i < hi; ++i) yp[i] = graph::activation_value(graph::activation::relu, xp[i]);
            break;
        case graph::activation::relu6:
            for (std::size_t i = lo; i < hi; ++i) yp[i] = graph::activation_value(graph::activation::relu6, xp[i]);
            break;
        default:
            for (std::size_t i = lo; i < hi; ++i) yp[i] = graph::activation_value(a, xp[i]);
        }
    });
    if (t.at(y).requires_grad)
        t.at(y).backward = [xi = x.id, a, n](tape& tp, node& self) {
            const float* d = self.grad().data();
            const float* xv = tp.at(xi).value().data();
            const float* yv = self.value().data();
            bool fresh = false;
            float* dx = tp.grad_slot(xi, fresh).data();
            detail::parallel_rows(tp, n, n, [&](std::size_t lo, std::size_t hi, std::size_t) {
                if (fresh) std::fill(dx + lo, dx + hi, 0.0f);
                switch (a) {
                case graph::activation::relu:
                    for (std::size_t i = lo; i < hi; ++i) dx[i] += xv[i] > 0.0f ? d[i] : 0.0f;
                    break;
                case graph::activation::relu6:
                    for (std::size_t i = lo; i < hi; ++i) dx[i] += xv[i] > 0.0f && xv[i] < 6.0f ? d[i] : 0.0f;
                    break;
                default:
                    for (std::size_t i = lo; i < hi; ++i) dx[i] += d[i] * graph::activation_derivative(a, xv[i], yv[i]);
                }
            });
        };
    return y;
}

/// Element-wise sum of one or more variables of one shape, followed by the activation `act` when it
/// is none, relu or relu6 (fused: a residual add and its ReLU take one pass). A fused activation
/// throws `train::diverged` on a NaN or infinite sum, as `activate` does.
inline var add(std::span<const var> xs, graph::activation act = graph::activation::none) {
    require(!xs.empty(), "train::add: needs at least one input");
    require(act == graph::activation::none || act == graph::activation::relu || act == graph::activation::relu6,
            "train::add: only relu and relu6 are fused, not ", graph::to_string(act));
    auto& t = detail::tape_of(xs[0]);
    const auto s = shape_of(t.value(xs[0]));
    bool rg = false;
    for (auto v : xs) {
        require(shape_of(t.value(v)) == s, "train::add: inputs have different shapes");
        rg = rg || t.at(v).requires_grad;
    }
    auto y = t.push(s, rg);
    float* yp = t.value(y).data();
    const std::size_t n = elements(s);
    detail::parallel_rows(t, n, n * xs.size(), [&](std::size_t lo, std::size_t hi, std::size_t) {
        std::copy(t.value(xs[0]).data() + lo, t.value(xs[0]).data() + hi, yp + lo);
        for (std::size_t k = 1; k < xs.size(); ++k) {
            const float* p = t.value(xs[k]).data();
            for (std::size_t i = lo; i < hi; ++i) yp[i] += p[i];
        }
    });
    if (act != graph::activation::none) {
        if (const auto bad = first_non_finite(yp, n); bad < n)
            throw diverged(accelnas::detail::concat("train::add: sum element ", bad, " is ", yp[bad], " before the ",
                                                    graph::to_string(act)));
        detail::parallel_rows(t, n, n, [&](std::size_t lo, std::size_t hi, std::size_t) {
            if (act == graph::activation::relu)
                for (std::size_t i = lo; i < hi; ++i) yp[i] = graph::activation_value(graph::activation::relu, yp[i]);
            else
                for (std::size_t i = lo; i < hi; ++i) yp[i] = graph::activation_value(graph::activation::relu6, yp[i]);
        });
    }
    if (t.at(y).requires_grad) {
        for (auto v : xs) t.at(y).parents.push_back(v.id);
        t.at(y).backward = [n, act](tape& tp, node& self) {
            float* d = self.grad().data();
            // A fused relu/relu6 turns the node's own gradient into the sum's in place: the derivative
            // comes from the output, inside (0, 6) exactly when the sum is.
            if (act != graph::activation::none) {
                const float* yv = self.value().data();
                detail::parallel_rows(tp, n, n, [&](std::size_t lo, std::size_t hi, std::size_t) {
                    if (act == graph::activation::relu)
                        for (std::size_t i = lo; i < hi; ++i) d[i] = yv[i] > 0.0f ? d[i] : 0.0f;
                    else
                        for (std::size_t i = lo; i < hi; ++i) d[i] = yv[i] > 0.0f && yv[i] < 6.0f ? d[i] : 0.0f;
                });
            }
            for (auto pi : self.parents)
                if (tp.at(pi).requires_grad) {
                    bool fresh = false;
                    float* dx = tp.grad_slot(pi, fresh).data();
                    detail::parallel_rows(tp, n, n, [&](std::size_t lo, std::size_t hi, std::size_t) {
                        if (fresh) std::copy(d + lo, d + hi, dx + lo);
                        else for (std::size_t i = lo; i < hi; ++i) dx[i] += d[i];
                    });
                }
        };
    }
    return y;
}
/// Element-wise sum of two variables of one shape.
inline var add(var a, var b) {
    const var xs[2] = {a, b};
    return add(std::span<const var>(xs, 2));
}

/// Element-wise product; `b` may be [n, 1, 1, c] and then scales each channel of `a`.
inline var mul(var a, var b) {
    auto& t = detail::tape_of(a);
    const auto as = shape_of(t.value(a)), bs = shape_of(t.value(b));
    const bool bcast = bs != as;
    require(!bcast || (bs[0] == as[0] && bs[1] == 1 && bs[2] == 1 && bs[3] == as[3]),
            "train::mul: second input must have the first's shape or be [n, 1, 1, c]");
    auto y = detail::make_output(t, as, {a, b});
    const std::size_t n = as[0], pix = as[1] * as[2], c = as[3];
    const float* ap = t.value(a).data();
    const float* bp = t.value(b).data();
    float* yp = t.value(y).data();
    detail::parallel_rows(t, n, n * pix * c, [&](std::size_t lo, std::size_t hi, std::size_t) {
        for (std::size_t i = lo; i < hi; ++i)
            for (std::size_t p = 0; p < pix; ++p)
                for (std::size_t k = 0; k < c; ++k) {
                    const std::size_t e = (i * pix + p) * c + k;
                    yp[e] = ap[e] * bp[bcast ? i * c + k : e];
                }
    });
    if (t.at(y).requires_grad)
        t.at(y).backward = [ai = a.id, bi = b.id, bcast, n, pix, c](tape& tp, node& self) {
            const float* d = self.grad().data();
            const float* av = tp.at(ai).value().data();
            const float* bv = tp.at(bi).value().data();
            float* da = tp.at(ai).requires_grad ? tp.grad_of(ai).data() : nullptr;
            float* db = tp.at(bi).requires_grad ? tp.grad_of(bi).data() : nullptr;
            // Split over images: a broadcast db sums over one image's pixels only.
            detail::parallel_rows(tp, n, n * pix * c, [&](std::size_t lo, std::size_t hi, std::size_t) {
                for (std::size_t i = lo; i < hi; ++i)
                    for (std::size_t p = 0; p < pix; ++p)
                        for (std::size_t k = 0; k < c; ++k) {
                            const std::size_t e = (i * pix + p) * c + k, f = bcast ? i * c + k : e;
                            if (da) da[e] += d[e] * bv[f];
                            if (db) db[f] += d[e] * av[e];
                        }
            });
        };
    return y;
}

/// Concatenation along channels of variables with equal n, h and w.
inline var concat(std::span<const var> xs) {
    require(!xs.empty(), "train::concat: needs at least one input");
    auto& t = detail::tape_of(xs[0]);
    auto s = shape_of(t.value(xs[0]));
    s[3] = 0;
    bool rg = false;
    std::vector<std::size_t> cs;
    for (auto v : xs) {
        const auto vs = shape_of(t.value(v));
        require(vs[0] == s[0] && vs[1] == s[1] && vs[2] == s[2], "train::concat: inputs differ in n, h or w");
        s[3] += vs[3];
        cs.push_back(vs[3]);
        rg = rg || t.at(v).requires_grad;
    }
    auto y = t.push(s, rg);
    const std::size_t rows = s[0] * s[1] * s[2], c = s[3];
    float* yp = t.value(y).data();
    for (std::size_t k = 0, off = 0; k < xs.size(); off += cs[k], ++k) {
        const float* p = t.value(xs[k]).data();
        for (std::size_t r = 0; r < rows; ++r) std::copy_n(p + r * cs[k], cs[k], yp + r * c + off);
    }
    if (t.at(y).requires_grad) {
        for (auto v : xs) t.at(y).parents.push_back(v.id);
        t.at(y).backward = [rows, c, cs](tape& tp, node& self) {
            const float* d = self.grad().data();
            std::size_t off = 0;
            for (std::size_t k = 0; k < cs.size(); off += cs[k], ++k) {
                const auto pi = self.parents[k];
                if (!tp.at(pi).requires_grad) continue;
                float* dx = tp.grad_of(pi).data();
                for (std::size_t r = 0; r < rows; ++r)
                    for (std::size_t i = 0; i < cs[k]; ++i) dx[r * cs[k] + i] += d[r * c + off + i];
            }
        };
    }
    return y;
}

/// Max or average pooling over a kh x kw window; average pooling divides by the taps inside the
/// input unless `count_include_pad`.
inline var pool(var x, bool max, int kh, int kw, int sh, int sw, graph::padding pad, bool count_include_pad = false) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    require(kh > 0 && kw > 0, "train::pool: kernel must be positive");
    require(sh > 0 && sw > 0, "train::pool: stride must be positive");
    const auto g = make_geometry(xs, std::size_t(kh), std::size_t(kw), std::size_t(sh), std::size_t(sw), pad, 1,
                                 xs[3], "train::pool");
    auto y = detail::make_output(t, {g.n, g.oh, g.ow, g.c}, {x});
    const float* xp = t.value(x).data();
    float* yp = t.value(y).data();
    auto& nd = t.at(y);
    const std::size_t c = g.c, outn = g.n * g.oh * g.ow * c;
    require(!max || elements(xs) < std::size_t(std::numeric_limits<std::int32_t>::max()),
            "train::pool: input too large for max-pool indices");
    if (max) nd.iaux.resize(outn);
    detail::parallel_rows(t, g.n, outn, [&](std::size_t lo, std::size_t hi, std::size_t) {
        for (std::size_t n = lo; n < hi; ++n)
            for (std::size_t oy = 0; oy < g.oh; ++oy)
                for (std::size_t ox = 0; ox < g.ow; ++ox) {
                    const std::size_t o = ((n * g.oh + oy) * g.ow + ox) * c;
                    for (std::size_t k = 0; k < c; ++k) yp[o + k] = max ? -std::numeric_limits<float>::infinity() : 0.0f;
                    std::size_t taps = 0;
                    detail::for_each_tap(g, n, oy, ox, [&](std::size_t, std::size_t pixel) {
                        ++taps;
                        const std::size_t i = pixel * c;
                        for (std::size_t k = 0; k < c; ++k) {
                            if (max) {
                                if (xp[i + k] > yp[o + k]) {
                                    yp[o + k] = xp[i + k];
                                    nd.iaux[o + k] = std::int32_t(i + k);
                                }
                            } else {
                                yp[o + k] += xp[i + k];
                            }
                        }
                    });
                    if (!max) {
                        const float div = count_include_pad ? float(g.kh * g.kw) : float(taps);
                        for (std::size_t k = 0; k < c; ++k) yp[o + k] /= div;
                    }
                }
    });
    if (nd.requires_grad)
        nd.backward = [g, max, count_include_pad, xi = x.id](tape& tp, node& self) {
            const float* d = self.grad().data();
            float* dx = tp.grad_of(xi).data();
            const std::size_t c = g.c;
            const std::size_t per_image = g.oh * g.ow * c;
            // Split over images: every window of an image lies inside that image.
            detail::parallel_rows(tp, g.n, g.n * per_image, [&](std::size_t lo, std::size_t hi, std::size_t) {
                if (max) {
                    for (std::size_t o = lo * per_image; o < hi * per_image; ++o) dx[self.iaux[o]] += d[o];
                    return;
                }
                for (std::size_t n = lo; n < hi; ++n)
                    for (std::size_t oy = 0; oy < g.oh; ++oy)
                        for (std::size_t ox = 0; ox < g.ow; ++ox) {
                            const std::size_t o = ((n * g.oh + oy) * g.ow + ox) * c;
                            std::size_t taps = 0;
                            detail::for_each_tap(g, n, oy, ox, [&](std::size_t, std::size_t) { ++taps; });
                            const float inv = 1.0f / (count_include_pad ? float(g.kh * g.kw) : float(taps));
                            detail::for_each_tap(g, n, oy, ox, [&](std::size_t, std::size_t pixel) {
                                const std::size_t i = pixel * c;
                                for (std::size_t k = 0; k < c; ++k) dx[i + k] += d[o + k] * inv;
                            });
                        }
            });
        };
    return y;
}

/// Mean over h and w: [n, 1, 1, c].
inline var global_avg_pool(var x) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    const std::size_t n = xs[0], pix = xs[1] * xs[2], c = xs[3];
    auto y = detail::make_output(t, {n, 1, 1, c}, {x});
    const float* xp = t.value(x).data();
    float* yp = t.value(y).data();
    const float inv = 1.0f / float(pix);
    detail::parallel_rows(t, n, n * pix * c, [&](std::size_t lo, std::size_t hi, std::size_t) {
        for (std::size_t i = lo; i < hi; ++i) {
            float* o = yp + i * c;
            std::fill(o, o + c, 0.0f);
            for (std::size_t p = 0; p < pix; ++p)
                for (std::size_t k = 0; k < c; ++k) o[k] += xp[(i * pix + p) * c + k];
            for (std::size_t k = 0; k < c; ++k) o[k] *= inv;
        }
    });
    if (t.at(y).requires_grad)
        t.at(y).backward = [xi = x.id, n, pix, c, inv](tape& tp, node& self) {
            const float* d = self.grad().data();
            float* dx = tp.grad_of(xi).data();
            detail::parallel_rows(tp, n, n * pix * c, [&](std::size_t lo, std::size_t hi, std::size_t) {
                for (std::size_t i = lo; i < hi; ++i)
                    for (std::size_t p = 0; p < pix; ++p)
                        for (std::size_t k = 0; k < c; ++k) dx[(i * pix + p) * c + k] += d[i * c + k] * inv;
            });
        };
    return y;
}

/// Running statistics and settings of one batch-norm layer (owned by the model).
struct batch_norm_state {
    tensor* running_mean = nullptr;  ///< [1, 1, 1, c]
    tensor* running_var = nullptr;   ///< [1, 1, 1, c]
    float momentum = 0.9f;           ///< running = momentum * running + (1 - momentum) * batch
    float eps = 1e-3f;               ///< added to the variance
};

/// Batch norm over n, h and w with scale `gamma` and shift `beta` ([1, 1, 1, c]), followed by the
/// activation `act` (fused, so relu/relu6 cost no extra pass). Training mode normalises with the
/// batch statistics and updates the running ones (unbiased variance); inference mode uses the
/// running statistics. A batch mean or variance that is not finite (a NaN or infinite input, or
/// squares that overflow) and non-finite running statistics throw `train::diverged` naming the
/// channel, instead of normalising with them (an infinite variance would make the output beta).
inline var batch_norm(var x, var gamma, var beta, const batch_norm_state& st, bool training,
                      graph::activation act = graph::activation::none) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    const std::size_t c = xs[3], rows = elements(xs) / c;
    require(t.value(gamma).size() == c && t.value(beta).size() == c, "train::batch_norm: gamma/beta have ",
            t.value(gamma).size(), "/", t.value(beta).size(), " elements, input has ", c, " channels");
    require(st.running_mean && st.running_var && st.running_mean->size() == c && st.running_var->size() == c,
            "train::batch_norm: running statistics missing or not of ", c, " channels");
    require(!training || rows > 1, "train::batch_norm: training needs more than one value per channel");
    auto y = detail::make_output(t, xs, {x, gamma, beta});
    auto& nd = t.at(y);
    nd.aux.resize(2 * c);  // mean, 1/std used by this forward pass
    float* mean = nd.aux.data();
    float* invstd = mean + c;
    const float* xp = t.value(x).data();
    float* yp = t.value(y).data();
    std::size_t total_rows = rows;  // the whole batch's (all members' in a data-parallel step)
    if (training) {
        const std::size_t chunks = detail::row_chunks(t, rows, rows * c);
        std::vector<double> part(2 * c * chunks, 0.0);
        detail::parallel_rows(t, rows, rows * c, [&](std::size_t lo, std::size_t hi, std::size_t ch) {
            double* s = part.data() + 2 * c * ch;
            double* q = s + c;
            // Shifted sums (shift = first row) keep the variance accurate; float partial sums over
            // blocks of rows vectorise, doubles collect the blocks.
            std::vector<float> bs(2 * c);
            for (std::size_t r0 = lo; r0 < hi; r0 += 64) {
                float* __restrict fs = bs.data();
                float* __restrict fq = fs + c;
                std::fill(fs, fs + 2 * c, 0.0f);
                for (std::size_t r = r0; r < std::min(hi, r0 + 64); ++r) {
                    const float* __restrict xr = xp + r * c;
                    for (std::size_t k = 0; k < c; ++k) {
                        const float v = xr[k] - xp[k];
                        fs[k] += v;
                        fq[k] += v * v;
                    }
                }
                for (std::size_t k = 0; k < c; ++k) {
                    s[k] += fs[k];
                    q[k] += fq[k];
                }
            }
        });
        // Per channel: sums of (x - shift) and (x - shift)^2 over the batch, in chunk order.
        std::vector<double> sum(3 * c);  // shift, s, q
        for (std::size_t k = 0; k < c; ++k) {
            double s = 0, q = 0;
            for (std::size_t th = 0; th < chunks; ++th) {
                s += part[2 * c * th + k];
                q += part[2 * c * th + c + k];
            }
            sum[k] = double(xp[k]);
            sum[c + k] = s;
            sum[2 * c + k] = q;
        }
        if (auto* grp = t.group()) {
            // A data-parallel step: the other members hold the rest of the batch. Their sums are
            // moved to member 0's shift and added in member order (the same on every member).
            sum.push_back(double(rows));
            const auto& all = grp->exchange(t.member(), sum);
            total_rows = 0;
            for (std::size_t k = 0; k < c; ++k) sum[c + k] = sum[2 * c + k] = 0;
            for (std::size_t k = 0; k < c; ++k) sum[k] = all[0][k];
            for (const auto& o : all) {
                const double nm = o[3 * c];
                for (std::size_t k = 0; k < c; ++k) {
                    const double d = o[k] - sum[k], sm = o[c + k];
                    sum[c + k] += sm + nm * d;
                    sum[2 * c + k] += o[2 * c + k] + 2 * d * sm + nm * d * d;
                }
            }
            for (const auto& o : all) total_rows += std::size_t(o[3 * c]);
        }
        const bool update_running = !t.group() || t.member() == 0;  // one writer of the running statistics
        for (std::size_t k = 0; k < c; ++k) {
            const double s = sum[c + k], q = sum[2 * c + k], shift = sum[k];
            const double m = s / double(total_rows), var = std::max(0.0, q / double(total_rows) - m * m);
            mean[k] = float(m + shift);
            invstd[k] = float(1.0 / std::sqrt(var + double(st.eps)));
            if (!std::isfinite(mean[k]) || !std::isfinite(var) || !std::isfinite(float(var)))
                throw diverged(accelnas::detail::concat("train::batch_norm: batch ",
                                                        std::isfinite(mean[k]) ? "variance" : "mean", " of channel ", k,
                                                        " is ", std::isfinite(mean[k]) ? var : double(mean[k]),
                                                        " (a non-finite input, or values whose squares overflow)"));
            if (!update_running) continue;
            auto& rm = (*st.running_mean)(0, 0, 0, k);
            auto& rv = (*st.running_var)(0, 0, 0, k);
            rm = st.momentum * rm + (1.0f - st.momentum) * mean[k];
            rv = st.momentum * rv + (1.0f - st.momentum) * float(var * double(total_rows) / double(total_rows - 1));
            if (!std::isfinite(rm) || !std::isfinite(rv))
                throw diverged(accelnas::detail::concat("train::batch_norm: running ", std::isfinite(rm) ? "variance" : "mean",
                                                        " of channel ", k, " became ", std::isfinite(rm) ? rv : rm));
        }
    } else {
        for (std::size_t k = 0; k < c; ++k) {
            mean[k] = (*st.running_mean)(0, 0, 0, k);
            invstd[k] = 1.0f / std::sqrt((*st.running_var)(0, 0, 0, k) + st.eps);
            if (!std::isfinite(mean[k]) || !std::isfinite((*st.running_var)(0, 0, 0, k)) || !std::isfinite(invstd[k]))
                throw diverged(accelnas::detail::concat("train::batch_norm: running statistics of channel ", k,
                                                        " are not finite (mean ", mean[k], ", variance ",
                                                        (*st.running_var)(0, 0, 0, k), ")"));
        }
    }
    std::vector<float> scale(c), shift(c);
    const float* gp = t.value(gamma).data();
    const float* bp = t.value(beta).data();
    for (std::size_t k = 0; k < c; ++k) {
        scale[k] = gp[k] * invstd[k];
        shift[k] = bp[k] - mean[k] * scale[k];
    }
    detail::parallel_rows(t, rows, rows * c, [&](std::size_t lo, std::size_t hi, std::size_t) {
        const float* __restrict sc = scale.data();
        const float* __restrict sh = shift.data();
        for (std::size_t r = lo; r < hi; ++r) {
            const float* __restrict xr = xp + r * c;
            float* __restrict yr = yp + r * c;
            switch (act) {
            case graph::activation::none:
                for (std::size_t k = 0; k < c; ++k) yr[k] = xr[k] * sc[k] + sh[k];
                break;
            case graph::activation::relu:
                for (std::size_t k = 0; k < c; ++k) yr[k] = graph::activation_value(graph::activation::relu, xr[k] * sc[k] + sh[k]);
                break;
            case graph::activation::relu6:
                for (std::size_t k = 0; k < c; ++k) yr[k] = graph::activation_value(graph::activation::relu6, xr[k] * sc[k] + sh[k]);
                break;
            default:
                for (std::size_t k = 0; k < c; ++k) yr[k] = graph::activation_value(act, xr[k] * sc[k] + sh[k]);
            }
        }
    });
    if (nd.requires_grad)
        nd.backward = [xi = x.id, gi = gamma.id, bi = beta.id, rows, total_rows, c, act, training](tape& tp, node& self) {
            // The node's own gradient is consumed here, so it is turned into the gradient before the
            // activation in place (saves a buffer and a pass).
            float* dz = self.grad().data();
            const float* yv = self.value().data();
            const float* xv = tp.at(xi).value().data();
            const float* mean = self.aux.data();
            const float* invstd = mean + c;
            const float* gv = tp.at(gi).value().data();
            const float* bv = tp.at(bi).value().data();
            const std::size_t chunks = detail::row_chunks(tp, rows, rows * c);
            std::vector<double> part(2 * c * chunks, 0.0);
            detail::parallel_rows(tp, rows, rows * c, [&](std::size_t lo, std::size_t hi, std::size_t ch) {
                double* sd = part.data() + 2 * c * ch;  // sum of dz
                double* sx = sd + c;                    // sum of dz * xhat
                std::vector<float> bs(2 * c);
                for (std::size_t r0 = lo; r0 < hi; r0 += 64) {
                    const std::size_t r1 = std::min(hi, r0 + 64);
                    float* __restrict fd = bs.data();
                    float* __restrict fx = fd + c;
                    std::fill(fd, fd + 2 * c, 0.0f);
                    for (std::size_t r = r0; r < r1; ++r) {
                        float* __restrict d = dz + r * c;
                        const float* __restrict y = yv + r * c;
                        const float* __restrict x = xv + r * c;
                        switch (act) {
                        case graph::activation::none: break;
                        // relu and relu6: the derivative from the output, which is inside (0, 6)
                        // exactly when the input is (no pass to rebuild the input).
                        case graph::activation::relu:
                            for (std::size_t k = 0; k < c; ++k) d[k] *= graph::activation_derivative(graph::activation::relu, y[k], y[k]);
                            break;
                        case graph::activation::relu6:
                            for (std::size_t k = 0; k < c; ++k) d[k] *= graph::activation_derivative(graph::activation::relu6, y[k], y[k]);
                            break;
                        default:
                            for (std::size_t k = 0; k < c; ++k)
                                d[k] *= graph::activation_derivative(act, (x[k] - mean[k]) * invstd[k] * gv[k] + bv[k], y[k]);
                        }
                        for (std::size_t k = 0; k < c; ++k) {
                            fd[k] += d[k];
                            fx[k] += d[k] * (x[k] - mean[k]) * invstd[k];
                        }
                    }
                    for (std::size_t k = 0; k < c; ++k) {
                        sd[k] += fd[k];
                        sx[k] += fx[k];
                    }
                }
            });
            std::vector<double> sums(2 * c);  // sum of dz, sum of dz * xhat, in chunk order
            for (std::size_t k = 0; k < c; ++k) {
                double a = 0, b = 0;
                for (std::size_t th = 0; th < chunks; ++th) {
                    a += part[2 * c * th + k];
                    b += part[2 * c * th + c + k];
                }
                sums[k] = a;
                sums[c + k] = b;
            }
            // A data-parallel step: the sums over the whole batch, added in member order; member 0
            // alone adds gamma's and beta's gradients (the members' gradients are summed later).
            bool add_param_grads = true;
            if (auto* grp = tp.group()) {
                const auto& all = grp->exchange(tp.member(), sums);
                std::fill(sums.begin(), sums.end(), 0.0);
                for (const auto& o : all)
                    for (std::size_t k = 0; k < 2 * c; ++k) sums[k] += o[k];
                add_param_grads = tp.member() == 0;
            }
            std::vector<float> coef(3 * c);  // dx = a dz + b x + e, per channel
            const float inv_m = 1.0f / float(total_rows);
            for (std::size_t k = 0; k < c; ++k) {
                const float sum_d = float(sums[k]), sum_dx = float(sums[c + k]), gi_k = gv[k] * invstd[k];
                coef[k] = gi_k;
                coef[c + k] = training ? -gi_k * inv_m * sum_dx * invstd[k] : 0.0f;
                coef[2 * c + k] = training ? -gi_k * inv_m * (sum_d - sum_dx * invstd[k] * mean[k]) : 0.0f;
                if (!add_param_grads) continue;
                if (tp.at(gi).requires_grad) tp.grad_data(gi)[k] += sum_dx;
                if (tp.at(bi).requires_grad) tp.grad_data(bi)[k] += sum_d;
            }
            if (!tp.at(xi).requires_grad) return;
            bool fresh = false;
            float* dx = tp.grad_slot(xi, fresh).data();
            detail::parallel_rows(tp, rows, rows * c, [&](std::size_t lo, std::size_t hi, std::size_t) {
                const float* __restrict ca = coef.data();
                const float* __restrict cb = ca + c;
                const float* __restrict ce = cb + c;
                for (std::size_t r = lo; r < hi; ++r) {
                    float* __restrict o = dx + r * c;
                    const float* __restrict d = dz + r * c;
                    const float* __restrict x = xv + r * c;
                    if (fresh)
                        for (std::size_t k = 0; k < c; ++k) o[k] = ca[k] * d[k] + cb[k] * x[k] + ce[k];
                    else
                        for (std::size_t k = 0; k < c; ++k) o[k] += ca[k] * d[k] + cb[k] * x[k] + ce[k];
                }
            });
        };
    return y;
}

/// Reshape to `s` (same element count; NHWC order is kept).
inline var reshape(var x, const shape4& s) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    require(elements(s) == elements(xs), "train::reshape: target has ", elements(s), " elements, input has ",
            elements(xs));
    auto y = detail::make_output(t, s, {x});
    std::copy_n(t.value(x).data(), elements(s), t.value(y).data());
    if (t.at(y).requires_grad)
        t.at(y).backward = [xi = x.id](tape& tp, node& self) {
            const float* d = self.grad().data();
            float* dx = tp.grad_of(xi).data();
            for (std::size_t i = 0, n = self.value().size(); i < n; ++i) dx[i] += d[i];
        };
    return y;
}

/// Zero padding of h and w: top, bottom, left, right.
inline var pad(var x, std::size_t top, std::size_t bottom, std::size_t left, std::size_t right) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    const shape4 s{xs[0], xs[1] + top + bottom, xs[2] + left + right, xs[3]};
    auto y = detail::make_output(t, s, {x});
    float* yp = t.value(y).data();
    const float* xp = t.value(x).data();
    std::fill(yp, yp + elements(s), 0.0f);
    const std::size_t c = xs[3];
    for (std::size_t n = 0; n < xs[0]; ++n)
        for (std::size_t i = 0; i < xs[1]; ++i)
            std::copy_n(xp + (n * xs[1] + i) * xs[2] * c, xs[2] * c, yp + ((n * s[1] + i + top) * s[2] + left) * c);
    if (t.at(y).requires_grad)
        t.at(y).backward = [xi = x.id, xs, s, top, left](tape& tp, node& self) {
            const float* d = self.grad().data();
            float* dx = tp.grad_of(xi).data();
            const std::size_t c = xs[3];
            for (std::size_t n = 0; n < xs[0]; ++n)
                for (std::size_t i = 0; i < xs[1]; ++i) {
                    const float* src = d + ((n * s[1] + i + top) * s[2] + left) * c;
                    float* dst = dx + (n * xs[1] + i) * xs[2] * c;
                    for (std::size_t j = 0; j < xs[2] * c; ++j) dst[j] += src[j];
                }
        };
    return y;
}

/// Inverted dropout: in training, zeroes each element with probability `rate` and scales the rest
/// by 1 / (1 - rate); identity otherwise.
inline var dropout(var x, float rate, rng& g, bool training) {
    auto& t = detail::tape_of(x);
    require(rate >= 0.0f && rate < 1.0f, "train::dropout: rate ", rate, " must be in [0, 1)");
    const auto xs = shape_of(t.value(x));
    auto y = detail::make_output(t, xs, {x});
    auto& nd = t.at(y);
    const std::size_t n = elements(xs);
    const float* xp = t.value(x).data();
    float* yp = t.value(y).data();
    nd.aux.assign(n, 1.0f);
    if (training && rate > 0.0f) {
        const float keep = 1.0f / (1.0f - rate);
        for (std::size_t i = 0; i < n; ++i) nd.aux[i] = uniform01(g) < double(rate) ? 0.0f : keep;
    }
    for (std::size_t i = 0; i < n; ++i) yp[i] = xp[i] * nd.aux[i];
    if (nd.requires_grad)
        nd.backward = [xi = x.id, n](tape& tp, node& self) {
            const float* d = self.grad().data();
            float* dx = tp.grad_of(xi).data();
            for (std::size_t i = 0; i < n; ++i) dx[i] += d[i] * self.aux[i];
        };
    return y;
}

/// Softmax over channels.
inline var softmax(var x) {
    auto& t = detail::tape_of(x);
    const auto xs = shape_of(t.value(x));
    const std::size_t c = xs[3], rows = elements(xs) / c;
    auto y = detail::make_output(t, xs, {x});
    const float* xp = t.value(x).data();
    float* yp = t.value(y).data();
    for (std::size_t r = 0; r < rows; ++r) {
        const float m = *std::max_element(xp + r * c, xp + (r + 1) * c);
        float s = 0;
        for (std::size_t k = 0; k < c; ++k) s += (yp[r * c + k] = std::exp(xp[r * c + k] - m));
        for (std::size_t k = 0; k < c; ++k) yp[r * c + k] /= s;
    }
    if (t.at(y).requires_grad)
        t.at(y).backward = [xi = x.id, rows, c](tape& tp, node& self) {
            const float* d = self.grad().data();
            const float* yv = self.value().data();
            float* dx = tp.grad_of(xi).data();
            for (std::size_t r = 0; r < rows; ++r) {
                float dot = 0;
                for (std::size_t k = 0; k < c; ++k) dot += d[r * c + k] * yv[r * c + k];
                for (std::size_t k = 0; k < c; ++k) dx[r * c + k] += yv[r * c + k] * (d[r * c + k] - dot);
            }
        };
    return y;
}

namespace detail {
// The mean softmax cross-entropy of the n rows of k `logits` against the targets q(i, j) (checked
// by the caller): its value, and its gradient (probabilities minus targets, over n) kept in the
// node's aux for the backward pass.
template <class Target>
var cross_entropy(tape& t, var logits, std::size_t n, std::size_t k, Target&& q) {
    auto y = make_output(t, {1, 1, 1, 1}, {logits});
    auto& nd = t.at(y);
    nd.aux.resize(n * k);
    const float* xp = t.value(logits).data();
    double loss = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float* r = xp + i * k;
        const float m = *std::max_element(r, r + k);
        double s = 0;
        for (std::size_t j = 0; j < k; ++j) s += std::exp(double(r[j] - m));
        const double lse = std::log(s) + m;
        for (std::size_t j = 0; j < k; ++j) {
            const double qj = double(q(i, j));
            loss -= qj * (double(r[j]) - lse);
            nd.aux[i * k + j] = float((std::exp(double(r[j]) - lse) - qj) / double(n));
        }
    }
    t.value(y)(0, 0, 0, 0) = float(loss / double(n));
    if (nd.requires_grad)
        nd.backward = [xi = logits.id](tape& tp, node& self) {
            const float d = self.grad()(0, 0, 0, 0);
            float* dx = tp.grad_of(xi).data();
            for (std::size_t i = 0; i < self.aux.size(); ++i) dx[i] += d * self.aux[i];
        };
    return y;
}
}  // namespace detail

/// Mean softmax cross-entropy of `logits` ([n, 1, 1, k], or [n, h, w, k] flattened per image) against
/// integer `labels` (one per image), with label smoothing: targets are (1 - s) one-hot + s / k.
/// Returns a 1x1x1x1 variable.
inline var softmax_cross_entropy(var logits, std::span<const std::int32_t> labels, float smoothing = 0.0f) {
    auto& t = detail::tape_of(logits);
    const auto xs = shape_of(t.value(logits));
    const std::size_t n = xs[0], k = xs[1] * xs[2] * xs[3];
    require(labels.size() == n, "train::softmax_cross_entropy: ", labels.size(), " labels for a batch of ", n);
    require(smoothing >= 0.0f && smoothing < 1.0f, "train::softmax_cross_entropy: label smoothing ", smoothing,
            " must be in [0, 1)");
    for (std::size_t i = 0; i < n; ++i)
        require(labels[i] >= 0 && std::size_t(labels[i]) < k, "train::softmax_cross_entropy: label ", labels[i],
                " of image ", i, " is not a class in [0, ", k, ")");
    const float off = smoothing / float(k), on = 1.0f - smoothing + off;
    return detail::cross_entropy(t, logits, n, k, [&](std::size_t i, std::size_t j) { return j == std::size_t(labels[i]) ? on : off; });
}

/// Mean softmax cross-entropy of `logits` ([n, 1, 1, k], or [n, h, w, k] flattened per image) against
/// soft `targets` (n x k probabilities, row-major: a teacher's predictions in distillation):
/// -1/n sum_i sum_j q_ij log softmax(x_i)_j. The targets are constants (no gradient flows to them);
/// each row must be finite, non-negative and sum to 1 within 1e-3. Returns a 1x1x1x1 variable.
inline var soft_cross_entropy(var logits, std::span<const float> targets) {
    auto& t = detail::tape_of(logits);
    const auto xs = shape_of(t.value(logits));
    const std::size_t n = xs[0], k = xs[1] * xs[2] * xs[3];
    require(targets.size() == n * k, "train::soft_cross_entropy: ", targets.size(), " target probabilities for a batch of ", n,
            " images of ", k, " classes (expected ", n * k, ")");
    for (std::size_t i = 0; i < n; ++i) {
        const float* q = targets.data() + i * k;
        double sum = 0;
        for (std::size_t j = 0; j < k; ++j) {
            require(std::isfinite(q[j]) && q[j] >= 0.0f, "train::soft_cross_entropy: target ", q[j], " of image ", i,
                    ", class ", j, " is not a probability");
            sum += q[j];
        }
        require(std::abs(sum - 1.0) <= 1e-3, "train::soft_cross_entropy: the targets of image ", i, " sum to ", sum, ", not 1");
    }
    return detail::cross_entropy(t, logits, n, k, [&](std::size_t i, std::size_t j) { return targets[i * k + j]; });
}

}  // namespace accelnas::train
