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
#include <array>
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
    /// True when the conv is a plain per-pixel GEMM (1x1, stride 1, no padding).
    bool pointwise() const noexcept {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pad_top == 0 && pad_left == 0 && oh == h && ow == w;
    }
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

namespace detail {

// Window taps that no output pixel reaches inside the input only ever multiply padding (a 3x3 SAME
// window on a 1x1 input uses its centre tap alone), so the window trimmed to the taps some output
// pixel reaches gives the same result with less work. Sets `out` to the trimmed geometry and
// `first_row` to the weight row of its first tap, and returns true, when taps can be trimmed and the
// remaining ones are contiguous rows of the HWIO weight (one kernel row, or whole kernel rows).
inline bool trim_window(const conv_geometry& g, conv_geometry& out, std::size_t& first_row) {
    auto reach = [](std::size_t in, std::size_t k, std::size_t s, std::size_t pad, std::size_t outn, std::size_t& k0,
                    std::size_t& k1) {
        k0 = std::size_t(std::max<std::ptrdiff_t>(0, std::ptrdiff_t(pad) - std::ptrdiff_t((outn - 1) * s)));
        k1 = std::min(k, in + pad);
    };
    std::size_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
    reach(g.h, g.kh, g.sh, g.pad_top, g.oh, y0, y1);
    reach(g.w, g.kw, g.sw, g.pad_left, g.ow, x0, x1);
    if (y1 <= y0 || x1 <= x0 || (y0 == 0 && y1 == g.kh && x0 == 0 && x1 == g.kw)) return false;
    if (y1 - y0 != 1 && !(x0 == 0 && x1 == g.kw)) return false;
    out = g;
    out.kh = y1 - y0;
    out.kw = x1 - x0;
    out.pad_top = g.pad_top - y0;
    out.pad_left = g.pad_left - x0;
    first_row = (y0 * g.kw + x0) * g.cg();
    return true;
}

// True when a GEMM convolution's batch is too small in pixels to split over images: each chunk would
// get a few rows and pack the whole weight matrix for them (ResNet's last stages at 32x32 have 1-4
// pixels per image). Such convolutions build the column matrix of the whole batch once and split the
// GEMMs by columns instead. The column matrix of the whole batch stays below 8 MB.
inline bool split_by_columns(tape& t, const conv_geometry& g) {
    const std::size_t rows = g.n * g.oh * g.ow;
    return t.threads() > 1 && g.groups == 1 && rows / t.pool().chunks_for(g.n) < 256 &&
           rows * g.kh * g.kw * g.c <= (std::size_t{1} << 21);
}

// Calls f(c0, c1) on parts of [0, cols) over the pool's threads, part edges on multiples of 16
// columns (whole SIMD registers); each column is in exactly one part.
template <class F>
void split_columns(tape& t, std::size_t cols, F&& f) {
    const std::size_t parts = std::min(t.threads(), std::max<std::size_t>(1, cols / 32));
    if (parts == 1) {
        f(std::size_t{0}, cols);
        return;
    }
    auto edge = [&](std::size_t q) { return q == parts ? cols : q * cols / parts / 16 * 16; };
    t.pool().parallel_for(0, parts, [&](std::size_t p) { f(edge(p), edge(p + 1)); });
}

// Output pixels [oy0, oy1) x [ox0, ox1) of a window op that all have the taps [ky0, ky1) x [kx0, kx1)
// of the window inside the input (and no others).
struct window_class {
    std::size_t oy0, oy1, ox0, ox1, ky0, ky1, kx0, kx1;
};

// Splits the output pixels of a GEMM convolution into window classes when at least a quarter of the
// im2col GEMM would multiply padding (small inputs: a 3x3 SAME window on 2x2 sees 4 of its 9 taps
// from every pixel) and the column matrix of the whole batch stays below 8 MB; returns false (and
// the convolution takes the im2col path) otherwise. Each class is then one GEMM over only the taps
// inside, gathered without zeros.
inline bool padded_classes(const conv_geometry& g, std::vector<window_class>& cls) {
    if (g.groups != 1 || g.kh * g.kw == 1 || g.n * g.oh * g.ow * g.kh * g.kw * g.c > (std::size_t{1} << 21)) return false;
    // Runs of output coordinates along one axis with the same taps inside: {o0, o1, k0, k1}.
    auto runs = [](std::size_t in, std::size_t k, std::size_t s, std::size_t pad, std::size_t out) {
        std::vector<std::array<std::size_t, 4>> r;
        for (std::size_t o = 0; o < out; ++o) {
            const std::ptrdiff_t base = std::ptrdiff_t(o * s) - std::ptrdiff_t(pad);
            const auto k0 = std::size_t(std::clamp<std::ptrdiff_t>(-base, 0, std::ptrdiff_t(k)));
            const auto k1 = std::size_t(std::clamp<std::ptrdiff_t>(std::ptrdiff_t(in) - base, 0, std::ptrdiff_t(k)));
            if (!r.empty() && r.back()[2] == k0 && r.back()[3] == k1) r.back()[1] = o + 1;
            else r.push_back({o, o + 1, k0, k1});
        }
        return r;
    };
    const auto ys = runs(g.h, g.kh, g.sh, g.pad_top, g.oh), xs = runs(g.w, g.kw, g.sw, g.pad_left, g.ow);
    std::size_t inside = 0;
    cls.clear();
    for (const auto& y : ys)
        for (const auto& x : xs) {
            if (y[3] <= y[2] || x[3] <= x[2]) return false;  // pixels that see only padding
            cls.push_back({y[0], y[1], x[0], x[1], y[2], y[3], x[2], x[3]});
            inside += (y[1] - y[0]) * (x[1] - x[0]) * (y[3] - y[2]) * (x[3] - x[2]);
        }
    return 4 * inside <= 3 * g.oh * g.ow * g.kh * g.kw;
}

// Calls f(r, j, src, len) for every row r of class `c`'s column matrix over images [lo, hi) (rows
// ordered by image, oy, ox) and every kernel row ky = ky0 + j of the class: the `len` floats of the
// input from offset `src` are columns [j * len, (j + 1) * len) of row r (the class's taps of one
// kernel row are consecutive input pixels).
template <class F>
inline void for_each_class_segment(const conv_geometry& g, const window_class& c, std::size_t lo, std::size_t hi, F&& f) {
    const std::size_t cx = c.ox1 - c.ox0, cy = c.oy1 - c.oy0, len = (c.kx1 - c.kx0) * g.c;
    for (std::size_t n = lo; n < hi; ++n)
        for (std::size_t oy = c.oy0; oy < c.oy1; ++oy)
            for (std::size_t ox = c.ox0; ox < c.ox1; ++ox) {
                const std::size_t r = (n * cy + oy - c.oy0) * cx + ox - c.ox0;
                const std::size_t ix = ox * g.sw + c.kx0 - g.pad_left;
                for (std::size_t ky = c.ky0; ky < c.ky1; ++ky) {
                    const std::size_t iy = oy * g.sh + ky - g.pad_top;
                    f(r, ky - c.ky0, ((n * g.h + iy) * g.w + ix) * g.c, len);
                }
            }
}

// Calls f(r, out) for every row r of class `c` over images [lo, hi) and its output pixel's offset
// `out` (in floats, oc per pixel).
template <class F>
inline void for_each_class_row(const conv_geometry& g, const window_class& c, std::size_t lo, std::size_t hi, F&& f) {
    const std::size_t cx = c.ox1 - c.ox0, cy = c.oy1 - c.oy0;
    for (std::size_t n = lo; n < hi; ++n)
        for (std::size_t oy = c.oy0; oy < c.oy1; ++oy)
            for (std::size_t ox = c.ox0; ox < c.ox1; ++ox)
                f((n * cy + oy - c.oy0) * cx + ox - c.ox0, ((n * g.oh + oy) * g.ow + ox) * g.oc);
}

// The weight rows of class `c`'s taps, packed: kc x oc.
inline void gather_class_weights(const float* w, const conv_geometry& g, const window_class& c, float* wc) {
    const std::size_t len = (c.kx1 - c.kx0) * g.c * g.oc;
    for (std::size_t ky = c.ky0; ky < c.ky1; ++ky)
        std::memcpy(wc + (ky - c.ky0) * len, w + (ky * g.kw + c.kx0) * g.c * g.oc, len * sizeof(float));
}

// Forward of a convolution split into window classes (see padded_classes).
inline void conv_forward_classes(tape& t, const float* x, const float* w, float* y, const conv_geometry& g,
                                 const std::vector<window_class>& cls) {
    for (const auto& c : cls) {
        const std::size_t rows = g.n * (c.oy1 - c.oy0) * (c.ox1 - c.ox0);
        const std::size_t kc = (c.ky1 - c.ky0) * (c.kx1 - c.kx0) * g.c;
        float* wc = t.scratch(0, 1, kc * g.oc);
        float* a = t.scratch(0, 2, rows * kc);
        float* out = t.scratch(0, 3, rows * g.oc);
        gather_class_weights(w, g, c, wc);
        t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
            for_each_class_segment(g, c, lo, hi, [&](std::size_t r, std::size_t j, std::size_t src, std::size_t len) {
                std::memcpy(a + r * kc + j * len, x + src, len * sizeof(float));
            });
        });
        const auto am = rows_view(static_cast<const float*>(a), rows, kc, kc);
        const auto wm = rows_view(static_cast<const float*>(wc), kc, g.oc, g.oc);
        auto om = rows_view(out, rows, g.oc, g.oc);
        split_columns(t, g.oc, [&](std::size_t c0, std::size_t c1) {
            const auto cols = std::ptrdiff_t(c1 - c0);
            om.middleCols(std::ptrdiff_t(c0), cols).noalias() = am * wm.middleCols(std::ptrdiff_t(c0), cols);
        });
        t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
            for_each_class_row(g, c, lo, hi, [&](std::size_t r, std::size_t o) {
                std::memcpy(y + o, out + r * g.oc, g.oc * sizeof(float));
            });
        });
    }
}

// Backward of a convolution split into window classes: dx (zeroed first when `dx_fresh`) and dw
// accumulate class by class in a fixed order.
inline void conv_backward_classes(tape& t, const float* x, const float* w, const float* dy, float* dx, float* dw,
                                  const conv_geometry& g, bool dx_fresh, const std::vector<window_class>& cls) {
    const std::size_t xsize = g.h * g.w * g.c;
    if (dx && dx_fresh)
        t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) { std::fill(dx + lo * xsize, dx + hi * xsize, 0.0f); });
    for (const auto& c : cls) {
        const std::size_t rows = g.n * (c.oy1 - c.oy0) * (c.ox1 - c.ox0);
        const std::size_t kc = (c.ky1 - c.ky0) * (c.kx1 - c.kx0) * g.c;
        float* d = t.scratch(0, 0, rows * g.oc);
        float* wc = t.scratch(0, 1, kc * g.oc);
        float* a = t.scratch(0, 2, rows * kc);
        t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
            for_each_class_row(g, c, lo, hi, [&](std::size_t r, std::size_t o) {
                std::memcpy(d + r * g.oc, dy + o, g.oc * sizeof(float));
            });
        });
        const auto dm = rows_view(static_cast<const float*>(d), rows, g.oc, g.oc);
        auto am = rows_view(a, rows, kc, kc);
        auto wm = rows_view(wc, kc, g.oc, g.oc);
        if (dx) {
            gather_class_weights(w, g, c, wc);
            split_columns(t, kc, [&](std::size_t c0, std::size_t c1) {
                const auto c0i = std::ptrdiff_t(c0), cols = std::ptrdiff_t(c1 - c0);
                am.middleCols(c0i, cols).noalias() = dm * wm.middleRows(c0i, cols).transpose();
            });
            t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
                for_each_class_segment(g, c, lo, hi, [&](std::size_t r, std::size_t j, std::size_t dst, std::size_t len) {
                    const float* src = a + r * kc + j * len;
                    float* o = dx + dst;
                    for (std::size_t i = 0; i < len; ++i) o[i] += src[i];
                });
            });
        }
        if (dw) {
            t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
                for_each_class_segment(g, c, lo, hi, [&](std::size_t r, std::size_t j, std::size_t src, std::size_t len) {
                    std::memcpy(a + r * kc + j * len, x + src, len * sizeof(float));
                });
            });
            // The class's weight gradient (wc reused), then added to its rows of dw.
            split_columns(t, kc, [&](std::size_t r0, std::size_t r1) {
                const auto r0i = std::ptrdiff_t(r0), n = std::ptrdiff_t(r1 - r0);
                wm.middleRows(r0i, n).noalias() = am.middleCols(r0i, n).transpose() * dm;
            });
            const std::size_t len = (c.kx1 - c.kx0) * g.c * g.oc;
            for (std::size_t ky = c.ky0; ky < c.ky1; ++ky) {
                const float* src = wc + (ky - c.ky0) * len;
                float* o = dw + (ky * g.kw + c.kx0) * g.c * g.oc;
                for (std::size_t i = 0; i < len; ++i) o[i] += src[i];
            }
        }
    }
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
    conv_geometry trimmed;
    std::size_t first_row = 0;
    if (trim_window(g, trimmed, first_row)) return conv_forward(t, x, w + first_row * g.oc, y, trimmed);
    if (std::vector<window_class> cls; padded_classes(g, cls)) return conv_forward_classes(t, x, w, y, g, cls);
    const auto wm = rows_view(w, k, g.oc, g.oc);
    if (split_by_columns(t, g)) {
        const std::size_t rows = g.n * pix;
        const float* a = x;
        if (!g.pointwise()) {
            float* col = t.scratch(0, 3, rows * k);
            t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) { im2col(x, g, lo, hi, 0, col + lo * pix * k); });
            a = col;
        }
        const auto am = rows_view(a, rows, k, k);
        auto ym = rows_view(y, rows, g.oc, g.oc);
        split_columns(t, g.oc, [&](std::size_t c0, std::size_t c1) {
            const auto cols = std::ptrdiff_t(c1 - c0);
            ym.middleCols(std::ptrdiff_t(c0), cols).noalias() = am * wm.middleCols(std::ptrdiff_t(c0), cols);
        });
        return;
    }
    const std::size_t nb = images_per_block(g);
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
        // Taps that only ever see padding get no gradient (their rows of dw stay as they are).
        conv_geometry trimmed;
        std::size_t first_row = 0;
        if (trim_window(g, trimmed, first_row))
            return conv_backward(t, x, w + first_row * g.oc, dy, dx, dw ? dw + first_row * g.oc : nullptr, trimmed,
                                 dx_fresh);
        if (std::vector<window_class> cls; padded_classes(g, cls))
            return conv_backward_classes(t, x, w, dy, dx, dw, g, dx_fresh, cls);
    }
    {
        const std::size_t nb = images_per_block(g);
        const auto wm = rows_view(w, k, g.oc, g.oc);
        // Input gradients: split over images (each image's dx is its own), or for a batch of few
        // pixels over the columns of the column gradient (see split_by_columns).
        if (dx && split_by_columns(t, g)) {
            const std::size_t rows = g.n * pix, xsize = g.h * g.w * g.c;
            const auto dym = rows_view(dy, rows, g.oc, g.oc);
            if (g.pointwise()) {
                auto dxm = rows_view(dx, rows, g.c, g.c);
                split_columns(t, g.c, [&](std::size_t c0, std::size_t c1) {
                    const auto c0i = std::ptrdiff_t(c0), cols = std::ptrdiff_t(c1 - c0);
                    if (dx_fresh) dxm.middleCols(c0i, cols).noalias() = dym * wm.middleRows(c0i, cols).transpose();
                    else dxm.middleCols(c0i, cols).noalias() += dym * wm.middleRows(c0i, cols).transpose();
                });
            } else {
                float* dcol = t.scratch(0, 3, rows * k);
                auto dcm = rows_view(dcol, rows, k, k);
                split_columns(t, k, [&](std::size_t c0, std::size_t c1) {
                    const auto c0i = std::ptrdiff_t(c0), cols = std::ptrdiff_t(c1 - c0);
                    dcm.middleCols(c0i, cols).noalias() = dym * wm.middleRows(c0i, cols).transpose();
                });
                t.pool().run(g.n, [&](std::size_t lo, std::size_t hi, std::size_t) {
                    if (dx_fresh) std::fill(dx + lo * xsize, dx + hi * xsize, 0.0f);
                    col2im_add(dcol + lo * pix * k, g, lo, hi, 0, dx);
                });
            }
        } else if (dx) {
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
        }
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
