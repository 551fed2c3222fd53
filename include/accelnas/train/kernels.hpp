#pragma once
/// \file
/// The heavy kernels behind the differentiable ops: convolution (1x1 as one GEMM, general kernels as
/// im2col + GEMM through Eigen, depthwise as hand-written channel loops), all on NHWC float buffers
/// and split over the tape's `thread_pool`: by images, except weight gradients of GEMM convolutions,
/// which are split by rows of the weight gradient (see `conv_backward`).

#include <accelnas/core/error.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/op.hpp>
#include <accelnas/train/tape.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace accelnas::train {

/// Sizes of one convolution (or pooling window) on an NHWC input, TensorFlow SAME/VALID padding
/// (graph::window_along).
struct conv_geometry {
    std::size_t n = 0, h = 0, w = 0, c = 0;      ///< input
    std::size_t oh = 0, ow = 0, oc = 0;          ///< output
    std::size_t kh = 1, kw = 1, sh = 1, sw = 1;  ///< window and stride
    std::size_t pad_top = 0, pad_left = 0;       ///< leading padding (SAME puts the odd pixel at the end)
    std::size_t groups = 1;                      ///< channel groups

    /// Input channels per group.
    std::size_t cg() const noexcept { return std::size_t(graph::channels_per_group(std::int64_t(c), std::int64_t(groups))); }
    /// Output channels per group.
    std::size_t ocg() const noexcept { return std::size_t(graph::filters_per_group(std::int64_t(oc), std::int64_t(groups))); }
    /// True when the conv is a plain per-pixel GEMM (1x1, stride 1).
    bool pointwise() const noexcept { return kh == 1 && kw == 1 && sh == 1 && sw == 1; }
    /// True when every group has a single input channel (depthwise, any multiplier).
    bool depthwise() const noexcept { return graph::is_depthwise(std::int64_t(c), std::int64_t(groups)); }
};

/// Geometry of a window op; `what` names the op in errors.
inline conv_geometry make_geometry(const shape4& in, std::size_t kh, std::size_t kw, std::size_t sh, std::size_t sw,
                                   graph::padding pad, std::size_t groups, std::size_t out_channels,
                                   const char* what) {
    require(kh > 0 && kw > 0 && sh > 0 && sw > 0, what, ": kernel and stride must be positive");
    require(groups > 0 && in[3] % groups == 0 && out_channels % groups == 0, what, ": input channels ", in[3],
            " and output channels ", out_channels, " must be divisible by groups ", groups);
    conv_geometry g;
    g.n = in[0]; g.h = in[1]; g.w = in[2]; g.c = in[3];
    g.kh = kh; g.kw = kw; g.sh = sh; g.sw = sw; g.groups = groups; g.oc = out_channels;
    require(pad == graph::padding::same || (kh <= g.h && kw <= g.w), what, ": VALID window ", kh, "x", kw,
            " is larger than the input ", g.h, "x", g.w);
    const auto y = graph::window_along(std::int64_t(g.h), std::int64_t(kh), std::int64_t(sh), pad);
    const auto x = graph::window_along(std::int64_t(g.w), std::int64_t(kw), std::int64_t(sw), pad);
    g.oh = std::size_t(y.out);
    g.ow = std::size_t(x.out);
    g.pad_top = std::size_t(y.pad_before);
    g.pad_left = std::size_t(x.pad_before);
    return g;
}

namespace detail {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using matrix_map = Eigen::Map<row_matrix, 0, Eigen::OuterStride<>>;
using const_matrix_map = Eigen::Map<const row_matrix, 0, Eigen::OuterStride<>>;

/// o[i] += a[i] * b[i]
inline void fma_add(float* __restrict o, const float* __restrict a, const float* __restrict b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) o[i] += a[i] * b[i];
}

// Calls f(tap, pixel) for every window tap of output pixel (oy, ox) of image n that falls inside the
// input, in (ky, kx) order: tap = ky * kw + kx, pixel = the input pixel's index (n * h + iy) * w + ix.
template <class F>
inline void for_each_tap(const conv_geometry& g, std::size_t n, std::size_t oy, std::size_t ox, F&& f) {
    for (std::size_t ky = 0; ky < g.kh; ++ky) {
        const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.sh + ky) - std::ptrdiff_t(g.pad_top);
        if (iy < 0 || iy >= std::ptrdiff_t(g.h)) continue;
        for (std::size_t kx = 0; kx < g.kw; ++kx) {
            const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.sw + kx) - std::ptrdiff_t(g.pad_left);
            if (ix < 0 || ix >= std::ptrdiff_t(g.w)) continue;
            f(ky * g.kw + kx, (n * g.h + std::size_t(iy)) * g.w + std::size_t(ix));
        }
    }
}

// A row-major rows x cols view of `p` whose rows are `stride` floats apart.
inline matrix_map rows_view(float* p, std::size_t rows, std::size_t cols, std::size_t stride) {
    return matrix_map(p, std::ptrdiff_t(rows), std::ptrdiff_t(cols), Eigen::OuterStride<>(std::ptrdiff_t(stride)));
}
inline const_matrix_map rows_view(const float* p, std::size_t rows, std::size_t cols, std::size_t stride) {
    return const_matrix_map(p, std::ptrdiff_t(rows), std::ptrdiff_t(cols), Eigen::OuterStride<>(std::ptrdiff_t(stride)));
}

// The GEMM walk of images [lo, hi): blocks of up to nb images, each group of each block in turn;
// calls f(n0, n1, rows, gi) with rows = (n1 - n0) output pixels.
template <class F>
inline void for_each_gemm_block(const conv_geometry& g, std::size_t lo, std::size_t hi, std::size_t nb, F&& f) {
    const std::size_t pix = g.oh * g.ow;
    for (std::size_t n0 = lo; n0 < hi; n0 += nb) {
        const std::size_t n1 = std::min(hi, n0 + nb), rows = (n1 - n0) * pix;
        for (std::size_t gi = 0; gi < g.groups; ++gi) f(n0, n1, rows, gi);
    }
}

// Images per GEMM block: enough rows to keep Eigen efficient, a column buffer of at most ~2 MB.
inline std::size_t images_per_block(const conv_geometry& g) {
    const std::size_t per_image = g.oh * g.ow * g.kh * g.kw * g.cg();
    return std::max<std::size_t>(1, std::min<std::size_t>(g.n, (std::size_t{1} << 19) / std::max<std::size_t>(per_image, 1)));
}

// The im2col walk of images [n0, n1): for every output pixel (image, oy, ox) and every window tap
// (ky, kx) in that order, calls f(offset, inside, pixel): offset = where the tap's cg columns start in
// the column buffer, inside = the tap falls inside the input, pixel = its input pixel index
// (n * h + iy) * w + ix (0 when outside).
template <class F>
inline void for_each_column(const conv_geometry& g, std::size_t n0, std::size_t n1, F&& f) {
    const std::size_t cg = g.cg(), k = g.kh * g.kw * cg;
    for (std::size_t n = n0; n < n1; ++n)
        for (std::size_t oy = 0; oy < g.oh; ++oy)
            for (std::size_t ox = 0; ox < g.ow; ++ox) {
                std::size_t offset = (((n - n0) * g.oh + oy) * g.ow + ox) * k;
                for (std::size_t ky = 0; ky < g.kh; ++ky) {
                    const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.sh + ky) - std::ptrdiff_t(g.pad_top);
                    for (std::size_t kx = 0; kx < g.kw; ++kx, offset += cg) {
                        const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.sw + kx) - std::ptrdiff_t(g.pad_left);
                        const bool inside = !(iy < 0 || ix < 0 || iy >= std::ptrdiff_t(g.h) || ix >= std::ptrdiff_t(g.w));
                        f(offset, inside, inside ? (n * g.h + std::size_t(iy)) * g.w + std::size_t(ix) : 0);
                    }
                }
            }
}

// im2col of images [n0, n1) and channels [c0, c0 + cg): rows (image, oy, ox), columns (ky, kx, ci).
inline void im2col(const float* x, const conv_geometry& g, std::size_t n0, std::size_t n1, std::size_t c0,
                   float* col) {
    const std::size_t cg = g.cg();
    for_each_column(g, n0, n1, [&](std::size_t offset, bool inside, std::size_t pixel) {
        float* row = col + offset;
        if (!inside)
            std::fill(row, row + cg, 0.0f);
        else
            std::memcpy(row, x + pixel * g.c + c0, cg * sizeof(float));
    });
}

// im2col restricted to the columns [k0, k1) of the full column layout (a range of (ky, kx, ci)):
// rows (image, oy, ox), k1 - k0 columns. With [0, k) it is `im2col`.
inline void im2col_columns(const float* x, const conv_geometry& g, std::size_t n0, std::size_t n1, std::size_t c0,
                           std::size_t k0, std::size_t k1, float* col) {
    const std::size_t cg = g.cg(), kk = k1 - k0, t0 = k0 / cg, t1 = (k1 + cg - 1) / cg;
    float* row = col;
    for (std::size_t n = n0; n < n1; ++n)
        for (std::size_t oy = 0; oy < g.oh; ++oy)
            for (std::size_t ox = 0; ox < g.ow; ++ox, row += kk)
                for (std::size_t tap = t0; tap < t1; ++tap) {
                    const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.sh + tap / g.kw) - std::ptrdiff_t(g.pad_top);
                    const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.sw + tap % g.kw) - std::ptrdiff_t(g.pad_left);
                    const std::size_t a = std::max(k0, tap * cg) - tap * cg, b = std::min(k1, (tap + 1) * cg) - tap * cg;
                    float* dst = row + tap * cg + a - k0;
                    if (iy < 0 || ix < 0 || iy >= std::ptrdiff_t(g.h) || ix >= std::ptrdiff_t(g.w))
                        std::fill(dst, dst + (b - a), 0.0f);
                    else
                        std::memcpy(dst, x + ((n * g.h + std::size_t(iy)) * g.w + std::size_t(ix)) * g.c + c0 + a,
                                    (b - a) * sizeof(float));
                }
}

// Adds the columns back onto the input gradient (the transpose of im2col).
inline void col2im_add(const float* col, const conv_geometry& g, std::size_t n0, std::size_t n1, std::size_t c0,
                       float* dx) {
    const std::size_t cg = g.cg();
    for_each_column(g, n0, n1, [&](std::size_t offset, bool inside, std::size_t pixel) {
        if (!inside) return;
        const float* row = col + offset;
        float* d = dx + pixel * g.c + c0;
        for (std::size_t i = 0; i < cg; ++i) d[i] += row[i];
    });
}

}  // namespace detail

/// y = conv(x, w); w is HWIO [kh, kw, c / groups, oc]; y must be sized [n, oh, ow, oc].
inline void conv_forward(tape& t, const float* x, const float* w, float* y, const conv_geometry& g) {
    using namespace detail;
    const std::size_t k = g.kh * g.kw * g.cg(), ocg = g.ocg(), pix = g.oh * g.ow;
    if (g.depthwise()) {
        const std::size_t m = g.ocg();  // channel multiplier (groups == c)
        t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
            for (std::size_t n = lo; n < hi; ++n)
                for (std::size_t oy = 0; oy < g.oh; ++oy)
                    for (std::size_t ox = 0; ox < g.ow; ++ox) {
                        float* o = y + ((n * g.oh + oy) * g.ow + ox) * g.oc;
                        std::fill(o, o + g.oc, 0.0f);
                        for_each_tap(g, n, oy, ox, [&](std::size_t tap, std::size_t pixel) {
                            const float* xi = x + pixel * g.c;
                            const float* wk = w + tap * g.oc;
                            if (m == 1) {
                                fma_add(o, xi, wk, g.c);
                            } else {
                                for (std::size_t ch = 0; ch < g.c; ++ch)
                                    for (std::size_t j = 0; j < m; ++j) o[ch * m + j] += xi[ch] * wk[ch * m + j];
                            }
                        });
                    }
        });
        return;
    }
    const std::size_t nb = images_per_block(g);
    const auto wm = rows_view(w, k, g.oc, g.oc);
    t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t th) {
        float* col = g.pointwise() ? nullptr : t.scratch(th, 0, nb * pix * k);
        for_each_gemm_block(g, lo, hi, nb, [&](std::size_t n0, std::size_t n1, std::size_t rows, std::size_t gi) {
            auto ym = rows_view(y + n0 * pix * g.oc + gi * ocg, rows, ocg, g.oc);
            auto wg = wm.middleCols(std::ptrdiff_t(gi * ocg), std::ptrdiff_t(ocg));
            if (g.pointwise()) {
                ym.noalias() = rows_view(x + n0 * pix * g.c + gi * g.cg(), rows, g.cg(), g.c) * wg;
            } else {
                im2col(x, g, n0, n1, gi * g.cg(), col);
                ym.noalias() = rows_view(static_cast<const float*>(col), rows, k, k) * wg;
            }
        });
    });
}

/// Gradients of `conv_forward`: adds dL/dx into `dx` and dL/dw into `dw` (either may be null); with
/// `dx_fresh` the contents of `dx` are ignored and overwritten instead.
inline void conv_backward(tape& t, const float* x, const float* w, const float* dy, float* dx, float* dw,
                          const conv_geometry& g, bool dx_fresh = false) {
    using namespace detail;
    const std::size_t k = g.kh * g.kw * g.cg(), ocg = g.ocg(), pix = g.oh * g.ow, wsize = k * g.oc;
    if (g.depthwise()) {
        // Depthwise weights are small (kh * kw * c): they are accumulated per chunk of images and
        // summed in chunk order, deterministic whichever thread ran which chunk.
        const std::size_t chunks = t.pool().chunks_for(g.n);
        std::vector<float> partials(dw ? chunks * wsize : 0, 0.0f);
        const std::size_t m = g.ocg();  // channel multiplier (groups == c)
        t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
            float* pw = dw ? partials.data() + thread_pool::chunk_index(lo, g.n, chunks) * wsize : nullptr;
            if (dx && dx_fresh) std::fill(dx + lo * g.h * g.w * g.c, dx + hi * g.h * g.w * g.c, 0.0f);
            for (std::size_t n = lo; n < hi; ++n)
                for (std::size_t oy = 0; oy < g.oh; ++oy)
                    for (std::size_t ox = 0; ox < g.ow; ++ox) {
                        const float* d = dy + ((n * g.oh + oy) * g.ow + ox) * g.oc;
                        for_each_tap(g, n, oy, ox, [&](std::size_t tap, std::size_t pixel) {
                            const std::size_t off = pixel * g.c;
                            const float* wk = w + tap * g.oc;
                            if (m == 1) {
                                if (dx) fma_add(dx + off, d, wk, g.c);
                                if (pw) fma_add(pw + tap * g.oc, d, x + off, g.c);
                            } else {
                                for (std::size_t ch = 0; ch < g.c; ++ch)
                                    for (std::size_t j = 0; j < m; ++j) {
                                        const std::size_t o = ch * m + j;
                                        if (dx) dx[off + ch] += d[o] * wk[o];
                                        if (pw) pw[tap * g.oc + o] += d[o] * x[off + ch];
                                    }
                            }
                        });
                    }
        });
        for (std::size_t c = 0; dw && c < chunks; ++c) {
            const float* p = partials.data() + c * wsize;
            for (std::size_t i = 0; i < wsize; ++i) dw[i] += p[i];
        }
        return;
    }
    {
        const std::size_t nb = images_per_block(g);
        const auto wm = rows_view(w, k, g.oc, g.oc);
        // Input gradients: split over images (each image's dx is its own).
        if (dx)
            t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t th) {
                float* dcol = g.pointwise() ? nullptr : t.scratch(th, 1, nb * pix * k);
                // col2im accumulates, so a fresh gradient is zeroed first (this thread's images only).
                if (dx_fresh && !g.pointwise()) std::fill(dx + lo * g.h * g.w * g.c, dx + hi * g.h * g.w * g.c, 0.0f);
                for_each_gemm_block(g, lo, hi, nb, [&](std::size_t n0, std::size_t n1, std::size_t rows, std::size_t gi) {
                    const auto dym = rows_view(dy + n0 * pix * g.oc + gi * ocg, rows, ocg, g.oc);
                    auto wg = wm.middleCols(std::ptrdiff_t(gi * ocg), std::ptrdiff_t(ocg));
                    if (g.pointwise()) {
                        auto dxm = rows_view(dx + n0 * pix * g.c + gi * g.cg(), rows, g.cg(), g.c);
                        if (dx_fresh) dxm.noalias() = dym * wg.transpose();
                        else dxm.noalias() += dym * wg.transpose();
                    } else {
                        rows_view(dcol, rows, k, k).noalias() = dym * wg.transpose();
                        col2im_add(dcol, g, n0, n1, gi * g.cg(), dx);
                    }
                });
            });
        // Weight gradients: split over the rows of dw (ranges of kernel tap x input channel), each
        // part summing over all images in order. Every element has one writer, so no per-chunk
        // partial buffers (a network's worth of weights per chunk) are kept and summed, and the
        // result does not depend on which thread ran which part. Each part builds only its own
        // columns of im2col.
        if (dw) {
            const std::size_t parts = std::min(t.threads(), k);
            auto part = [&](std::size_t p) {
                const std::size_t k0 = p * k / parts, k1 = (p + 1) * k / parts, kk = k1 - k0;
                const std::size_t nbk = std::max<std::size_t>(
                    1, std::min<std::size_t>(g.n, (std::size_t{1} << 19) / std::max<std::size_t>(pix * kk, 1)));
                float* col = g.pointwise() ? nullptr : t.scratch(p, 2, nbk * pix * kk);
                auto dwm = rows_view(dw + k0 * g.oc, kk, g.oc, g.oc);
                for_each_gemm_block(g, 0, g.n, nbk, [&](std::size_t n0, std::size_t n1, std::size_t rows, std::size_t gi) {
                    const auto dym = rows_view(dy + n0 * pix * g.oc + gi * ocg, rows, ocg, g.oc);
                    auto dwg = dwm.middleCols(std::ptrdiff_t(gi * ocg), std::ptrdiff_t(ocg));
                    if (g.pointwise()) {
                        dwg.noalias() += rows_view(x + n0 * pix * g.c + gi * g.cg() + k0, rows, kk, g.c).transpose() * dym;
                    } else {
                        im2col_columns(x, g, n0, n1, gi * g.cg(), k0, k1, col);
                        dwg.noalias() += rows_view(static_cast<const float*>(col), rows, kk, kk).transpose() * dym;
                    }
                });
            };
            if (parts == 1) part(0);
            else t.pool().parallel_for(0, parts, part);
        }
    }
}

}  // namespace accelnas::train
