#pragma once
/// \file
/// Loop nests shared by the float reference (`float_model`) and the int8 model (`int8_model`):
/// the walk over output positions (window geometry: graph::window_along) and the taps of their window that
/// fall inside the input, and the kernels built on it (im2col rows, depthwise convolution,
/// max / average pooling), zero padding and the 1x1xC broadcast of mul. Each is written once,
/// templated on the element and accumulator types; the arithmetic (float, or int32 accumulation
/// with the int8 model's rounding and saturation) stays in the functors the callers pass, which are
/// template parameters (inlined, no type erasure in the inner loops).

#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/op.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace accelnas::quant {

namespace detail {

/// NHWC tensor of the reference (`T = float`) and int8 (`T = std::int8_t`) inference.
template <class T>
struct nhwc_tensor {
    graph::tensor_shape shape{};
    std::vector<T> data;
};

/// The 2-D window of a conv2d / pooling op `o` over an input of `in.h` x `in.w` pixels.
struct window2d {
    graph::window_geometry gh, gw;
    std::int64_t ih, iw, kh, kw, sh, sw;

    window2d(const graph::op& o, const graph::tensor_shape& in) noexcept
        : gh(graph::window_along(in.h, o.kernel_h, o.stride_h, o.pad)),
          gw(graph::window_along(in.w, o.kernel_w, o.stride_w, o.pad)),
          ih(in.h), iw(in.w), kh(o.kernel_h), kw(o.kernel_w), sh(o.stride_h), sw(o.stride_w) {}

    std::int64_t oh() const noexcept { return gh.out; }
    std::int64_t ow() const noexcept { return gw.out; }

    /// Calls `tap(t, pixel)` for every tap of output position (oy, ox) inside the input, in row-major
    /// tap order, with `t = ky * kw + kx` and `pixel = yy * iw + xx` (within one image); padded taps
    /// are skipped. Returns the number of taps visited.
    template <class Tap>
    std::int64_t for_each_tap(std::int64_t oy, std::int64_t ox, Tap&& tap) const {
        std::int64_t taps = 0;
        for (std::int64_t ky = 0; ky < kh; ++ky) {
            const std::int64_t yy = oy * sh - gh.pad_before + ky;
            if (yy < 0 || yy >= ih) continue;
            for (std::int64_t kx = 0; kx < kw; ++kx) {
                const std::int64_t xx = ox * sw - gw.pad_before + kx;
                if (xx < 0 || xx >= iw) continue;
                ++taps;
                tap(ky * kw + kx, yy * iw + xx);
            }
        }
        return taps;
    }

    /// Calls `at(b, oy, ox, pos)` for every output position of `n` images, `pos = (b * oh + oy) * ow + ox`.
    template <class At>
    void for_each_output(std::int64_t n, At&& at) const {
        for (std::int64_t b = 0; b < n; ++b)
            for (std::int64_t oy = 0; oy < oh(); ++oy)
                for (std::int64_t ox = 0; ox < ow(); ++ox) at(b, oy, ox, (b * oh() + oy) * ow() + ox);
    }
};

/// im2col of one image: `image` points at the first of the `cg` channels to gather of pixel 0 (pixel
/// stride `c`); row `oy * ow + ox` of `col` (row length `k = kh kw cg`) gets `load(x)` of every valid
/// tap at columns [t cg, (t+1) cg). Padded taps are left as they are (the caller zeroes `col`).
template <class T, class D, class Load>
void im2col(const window2d& win, const T* image, std::int64_t c, std::int64_t cg, D* col, std::int64_t k, Load load) {
    win.for_each_output(1, [&](std::int64_t, std::int64_t oy, std::int64_t ox, std::int64_t pos) {
        D* row = col + pos * k;
        win.for_each_tap(oy, ox, [&](std::int64_t t, std::int64_t pixel) {
            const T* src = image + pixel * c;
            D* d = row + t * cg;
            for (std::int64_t ch = 0; ch < cg; ++ch) d[ch] = load(src[ch]);
        });
    });
}

/// Depthwise convolution (one input channel per group, channel multiplier `fg`) of `n` NHWC images
/// `x` with `c` channels and the [tap][c fg] kernel `w`: per output position `init(acc)`, then
/// `acc[ch fg + m] += load(x[ch]) * Acc(w[t][ch fg + m])` over the valid taps, then `store(pos, acc)`.
template <class Acc, class T, class W, class Init, class Load, class Store>
void depthwise(const window2d& win, std::int64_t n, std::int64_t c, std::int64_t fg, const T* x, const W* w, Init init,
               Load load, Store store) {
    const std::int64_t f = c * fg;
    std::vector<Acc> acc(static_cast<std::size_t>(f));
    win.for_each_output(n, [&](std::int64_t b, std::int64_t oy, std::int64_t ox, std::int64_t pos) {
        Acc* a = acc.data();
        init(a);
        const T* image = x + b * win.ih * win.iw * c;
        win.for_each_tap(oy, ox, [&](std::int64_t t, std::int64_t pixel) {
            const T* src = image + pixel * c;
            const W* wt = w + t * f;
            if (fg == 1) {
                for (std::int64_t ch = 0; ch < c; ++ch) a[ch] += load(src[ch]) * Acc(wt[ch]);
            } else {
                for (std::int64_t ch = 0; ch < c; ++ch)
                    for (std::int64_t m = 0; m < fg; ++m) a[ch * fg + m] += load(src[ch]) * Acc(wt[ch * fg + m]);
            }
        });
        store(pos, a);
    });
}

/// Max (`is_max`, accumulators start at `lowest`) or sum (from 0) pooling of `n` NHWC images `x`
/// with `c` channels; per output position calls `finish(acc, taps, out)` with the `taps` valid taps
/// and `out` the position's `c` outputs in `y`.
template <class Acc, class T, class Finish>
void pool(const window2d& win, bool is_max, Acc lowest, std::int64_t n, std::int64_t c, const T* x, T* y,
          Finish finish) {
    std::vector<Acc> acc(static_cast<std::size_t>(c));
    win.for_each_output(n, [&](std::int64_t b, std::int64_t oy, std::int64_t ox, std::int64_t pos) {
        std::fill(acc.begin(), acc.end(), is_max ? lowest : Acc(0));
        const T* image = x + b * win.ih * win.iw * c;
        const std::int64_t taps = win.for_each_tap(oy, ox, [&](std::int64_t, std::int64_t pixel) {
            const T* src = image + pixel * c;
            for (std::int64_t ch = 0; ch < c; ++ch)
                acc[std::size_t(ch)] = is_max ? std::max<Acc>(acc[std::size_t(ch)], src[ch]) : acc[std::size_t(ch)] + src[ch];
        });
        finish(acc.data(), taps, y + pos * c);
    });
}

/// `x` with `o.pads` (top, bottom, left, right) pixels of value `fill` around every image.
template <class T>
nhwc_tensor<T> pad(const graph::op& o, const nhwc_tensor<T>& x, T fill) {
    const std::int64_t h = x.shape.h + o.pads[0] + o.pads[1], w = x.shape.w + o.pads[2] + o.pads[3], c = x.shape.c;
    nhwc_tensor<T> y{{x.shape.n, h, w, c}, std::vector<T>(std::size_t(x.shape.n * h * w * c), fill)};
    for (std::int64_t b = 0; b < x.shape.n; ++b)
        for (std::int64_t yy = 0; yy < x.shape.h; ++yy)
            std::copy_n(&x.data[std::size_t(((b * x.shape.h + yy) * x.shape.w) * c)], x.shape.w * c,
                        &y.data[std::size_t(((b * h + yy + o.pads[0]) * w + o.pads[2]) * c)]);
    return y;
}

/// Calls `f(e, eb)` for every element `e` of an NHWC tensor of shape `s` and the element `eb` of the
/// second operand: `e` itself, or when `broadcast` (a 1x1xC operand) the same image and channel.
template <class F>
void for_each_broadcast(const graph::tensor_shape& s, bool broadcast, F&& f) {
    const std::size_t c = std::size_t(s.c), hw = std::size_t(s.h * s.w);
    for (std::size_t b = 0; b < std::size_t(s.n); ++b)
        for (std::size_t p = 0; p < hw; ++p)
            for (std::size_t ch = 0; ch < c; ++ch) {
                const std::size_t e = (b * hw + p) * c + ch;
                f(e, broadcast ? b * c + ch : e);
            }
}

}  // namespace detail

}  // namespace accelnas::quant
