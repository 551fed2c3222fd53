#pragma once
/// \file
/// PNG (libpng) and JPEG (libjpeg-turbo) decoding to 8-bit grey or RGB, and resizing to a fixed
/// size. Part of the optional `accelnas::image_io` target: it needs Debian's libpng-dev and
/// libjpeg62-turbo-dev at build and link time, so the header-only core never includes it (the
/// target, when CMake finds both libraries, defines ACCELNAS_WITH_IMAGE_IO and links them).
/// Anything that does not decode cleanly - a truncated file, a bad checksum, a JPEG whose data ends
/// early (libjpeg only warns and fills grey) - is an `accelnas::error` naming the file.

#include <accelnas/core/error.hpp>

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace accelnas::imageio {

/// A decoded 8-bit image, row-major with interleaved channels.
struct image {
    std::size_t rows = 0, cols = 0, channels = 0;
    std::vector<std::uint8_t> pixels;  ///< rows * cols * channels
};

/// Decodes the PNG in `bytes` to `channels` (1: grey, 3: RGB) channels; `name` names it in errors.
inline image decode_png(const std::vector<std::uint8_t>& bytes, std::size_t channels, const std::string& name) {
    require(channels == 1 || channels == 3, "decode_png: channels must be 1 or 3, got ", channels);
    png_image pi{};
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&pi, bytes.data(), bytes.size()))
        fail("image '", name, "' is not a decodable PNG (libpng: ", pi.message, ")");
    pi.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    image r;
    r.rows = pi.height;
    r.cols = pi.width;
    r.channels = channels;
    r.pixels.resize(PNG_IMAGE_SIZE(pi));
    // Transparent pixels are composed over black: the background PNG_FORMAT_* without alpha implies.
    if (!png_image_finish_read(&pi, nullptr, r.pixels.data(), 0, nullptr)) {
        const std::string msg = pi.message;
        png_image_free(&pi);
        fail("image '", name, "' is not a decodable PNG (libpng: ", msg, ")");
    }
    return r;
}

namespace detail {
struct jpeg_failure {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

// A fatal error, and every corrupt-data warning (libjpeg would go on and return grey pixels),
// leave the decoder through longjmp with the message.
inline void jpeg_fatal(j_common_ptr c) {
    auto* f = reinterpret_cast<jpeg_failure*>(c->err);
    (*c->err->format_message)(c, f->message);
    std::longjmp(f->jump, 1);
}
inline void jpeg_message(j_common_ptr c, int level) {
    if (level < 0) jpeg_fatal(c);  // level -1: a corrupt-data warning
}

// Decodes into `out` (already shaped by the caller on success); returns false with `f.message` set
// on failure. Kept free of objects with destructors, since libjpeg leaves it through longjmp.
inline bool jpeg_decode(const std::uint8_t* data, std::size_t size, std::size_t channels, jpeg_failure& f,
                        image& out) {
    jpeg_decompress_struct c{};
    c.err = jpeg_std_error(&f.mgr);
    f.mgr.error_exit = jpeg_fatal;
    f.mgr.emit_message = jpeg_message;
    if (setjmp(f.jump)) {
        jpeg_destroy_decompress(&c);
        return false;
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, data, static_cast<unsigned long>(size));
    jpeg_read_header(&c, TRUE);
    c.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&c);
    out.rows = c.output_height;
    out.cols = c.output_width;
    out.channels = channels;
    out.pixels.resize(out.rows * out.cols * channels);
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = out.pixels.data() + std::size_t(c.output_scanline) * out.cols * channels;
        jpeg_read_scanlines(&c, &row, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return true;
}
}  // namespace detail

/// Decodes the JPEG in `bytes` to `channels` (1: grey, 3: RGB) channels; `name` names it in errors.
inline image decode_jpeg(const std::vector<std::uint8_t>& bytes, std::size_t channels, const std::string& name) {
    require(channels == 1 || channels == 3, "decode_jpeg: channels must be 1 or 3, got ", channels);
    detail::jpeg_failure f{};
    image r;
    if (!detail::jpeg_decode(bytes.data(), bytes.size(), channels, f, r))
        fail("image '", name, "' is not a decodable JPEG (libjpeg: ", f.message, ")");
    return r;
}

/// Reads the file at `path` and decodes it as PNG or JPEG (told apart by their signatures, not by
/// the file name) to `channels` channels.
inline image decode_file(const std::string& path, std::size_t channels) {
    std::ifstream f(path, std::ios::binary);
    require(f.good(), "cannot open image '", path, "'");
    const std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(f)), {});
    require(!f.bad(), "cannot read image '", path, "'");
    static constexpr std::uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (b.size() >= 8 && std::equal(png_sig, png_sig + 8, b.begin())) return decode_png(b, channels, path);
    if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return decode_jpeg(b, channels, path);
    fail("image '", path, "' is neither PNG nor JPEG (", b.size(), " bytes, unknown signature)");
}

namespace detail {
// Per output coordinate of one axis: the source indices and weights. Shrinking averages the source
// pixels each output pixel covers (area weights, no aliasing); enlarging interpolates linearly
// between pixel centres (half-pixel convention). Equal sizes give the identity.
struct tap {
    std::size_t src;
    double w;
};
inline std::vector<std::vector<tap>> axis_weights(std::size_t from, std::size_t to) {
    std::vector<std::vector<tap>> out(to);
    const double scale = double(from) / double(to);
    for (std::size_t o = 0; o < to; ++o) {
        if (from == to) {
            out[o] = {{o, 1.0}};
        } else if (from > to) {
            const double a = double(o) * scale, b = double(o + 1) * scale;
            for (auto s = std::size_t(a); s < from && double(s) < b; ++s) {
                const double w = std::min(b, double(s + 1)) - std::max(a, double(s));
                if (w > 1e-12) out[o].push_back({s, w / scale});
            }
        } else {
            const double x = std::clamp((double(o) + 0.5) * scale - 0.5, 0.0, double(from - 1));
            const auto s0 = std::size_t(x);
            const std::size_t s1 = std::min(s0 + 1, from - 1);
            const double t = x - double(s0);
            out[o] = {{s0, 1.0 - t}, {s1, t}};
        }
    }
    return out;
}
}  // namespace detail

/// `img` resized to `rows` x `cols` (aspect ratio not kept): area averaging when shrinking,
/// bilinear when enlarging, rounded to the nearest byte.
inline image resize(const image& img, std::size_t rows, std::size_t cols) {
    require(img.rows > 0 && img.cols > 0 && rows > 0 && cols > 0, "resize: sizes must be positive (", img.rows, "x",
            img.cols, " -> ", rows, "x", cols, ")");
    if (img.rows == rows && img.cols == cols) return img;
    const auto wy = detail::axis_weights(img.rows, rows), wx = detail::axis_weights(img.cols, cols);
    const std::size_t ch = img.channels;
    std::vector<double> tmp(img.rows * cols * ch, 0.0);  // horizontal pass
    for (std::size_t r = 0; r < img.rows; ++r)
        for (std::size_t x = 0; x < cols; ++x)
            for (const auto& t : wx[x])
                for (std::size_t c = 0; c < ch; ++c)
                    tmp[(r * cols + x) * ch + c] += t.w * img.pixels[(r * img.cols + t.src) * ch + c];
    image out;
    out.rows = rows;
    out.cols = cols;
    out.channels = ch;
    out.pixels.resize(rows * cols * ch);
    for (std::size_t y = 0; y < rows; ++y)
        for (std::size_t x = 0; x < cols; ++x)
            for (std::size_t c = 0; c < ch; ++c) {
                double v = 0;
                for (const auto& t : wy[y]) v += t.w * tmp[(t.src * cols + x) * ch + c];
                out.pixels[(y * cols + x) * ch + c] = std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
            }
    return out;
}

}  // namespace accelnas::imageio
