// The image-folder data set (optional accelnas::image_io part): PNG and JPEG files written here with
// libpng and libjpeg, decoded, resized and cached; undecodable images and empty class folders.
#ifdef ACCELNAS_WITH_IMAGE_IO
#include <accelnas/imageio/image_folder.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include "scratch.hpp"

#include <jpeglib.h>
#include <png.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;
namespace fs = std::filesystem;
using accelnas_test::fresh_dir;

namespace {

// Writes `px` (rows x cols x channels, channels 1 or 3) as a PNG with libpng's simplified API.
void write_png(const fs::path& path, std::size_t rows, std::size_t cols, std::size_t channels,
               const std::vector<std::uint8_t>& px) {
    fs::create_directories(path.parent_path());
    png_image pi{};
    pi.version = PNG_IMAGE_VERSION;
    pi.width = png_uint_32(cols);
    pi.height = png_uint_32(rows);
    pi.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    REQUIRE(png_image_write_to_file(&pi, path.string().c_str(), 0, px.data(), 0, nullptr));
}

// Writes `px` (RGB) as a quality-95 JPEG with libjpeg.
void write_jpeg(const fs::path& path, std::size_t rows, std::size_t cols, const std::vector<std::uint8_t>& px) {
    fs::create_directories(path.parent_path());
    FILE* f = std::fopen(path.string().c_str(), "wb");
    REQUIRE(f != nullptr);
    jpeg_compress_struct c{};
    jpeg_error_mgr err{};
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = JDIMENSION(cols);
    c.image_height = JDIMENSION(rows);
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = const_cast<std::uint8_t*>(px.data()) + std::size_t(c.next_scanline) * cols * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    std::fclose(f);
}

std::vector<std::uint8_t> solid(std::size_t rows, std::size_t cols, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    std::vector<std::uint8_t> px;
    for (std::size_t i = 0; i < rows * cols; ++i) px.insert(px.end(), {r, g, b});
    return px;
}

}  // namespace

TEST_CASE("image folder: classes in name order, PNG exact, JPEG close, resizing, train/test layout", "[train][data]") {
    const auto dir = fresh_dir("layout");
    // 8x8 RGB PNG whose 2x2 blocks shrink to their mean at 4x4.
    std::vector<std::uint8_t> grad(8 * 8 * 3);
    for (std::size_t r = 0; r < 8; ++r)
        for (std::size_t c = 0; c < 8; ++c)
            for (std::size_t k = 0; k < 3; ++k) grad[(r * 8 + c) * 3 + k] = std::uint8_t(r * 12 + c * 4 + k * 60);
    write_png(dir / "train" / "b_gradient" / "g1.png", 8, 8, 3, grad);
    write_jpeg(dir / "train" / "a_red" / "r1.jpg", 16, 16, solid(16, 16, 220, 30, 40));
    write_jpeg(dir / "train" / "a_red" / "r2.JPEG", 4, 4, solid(4, 4, 200, 10, 10));
    write_png(dir / "train" / "c_grey" / "k.png", 4, 4, 1, std::vector<std::uint8_t>(16, 77));
    std::ofstream(dir / "train" / "c_grey" / "notes.txt") << "not an image, ignored\n";
    write_png(dir / "test" / "c_grey" / "t.png", 4, 4, 1, std::vector<std::uint8_t>(16, 90));

    load_options lo;
    lo.validation = 0;
    folder_report rep;
    const auto d = load_image_folder(dir.string(), {.size = 4, .channels = 3, .cache = ""}, lo, &rep);
    REQUIRE(rep.classes == std::vector<std::string>{"a_red", "b_gradient", "c_grey"});
    CHECK(d.classes == 3);
    REQUIRE(d.train.count == 4);
    REQUIRE(d.test.count == 1);
    CHECK(rep.decoded == 5);
    CHECK(d.train.rows == 4);
    CHECK(d.train.channels == 3);
    CHECK(d.train.labels == std::vector<std::int32_t>{0, 0, 1, 2});
    // JPEG (lossy): the solid colour within a few levels, after the 16 -> 4 shrink too.
    for (std::size_t p = 0; p < 16; ++p) {
        CHECK(std::abs(int(d.train.pixels[p * 3 + 0]) - 220) <= 4);
        CHECK(std::abs(int(d.train.pixels[p * 3 + 1]) - 30) <= 4);
        CHECK(std::abs(int(d.train.pixels[48 + p * 3 + 0]) - 200) <= 4);
    }
    // PNG (lossless) shrunk 8 -> 4: each output pixel is the mean of its 2x2 block.
    const std::uint8_t* g = d.train.pixels.data() + 2 * 48;
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 4; ++c)
            for (std::size_t k = 0; k < 3; ++k) {
                double m = 0;
                for (std::size_t dr = 0; dr < 2; ++dr)
                    for (std::size_t dc = 0; dc < 2; ++dc) m += grad[((2 * r + dr) * 8 + 2 * c + dc) * 3 + k];
                CHECK(int(g[(r * 4 + c) * 3 + k]) == int(std::lround(m / 4)));
            }
    // A grey PNG read as RGB: the level in every channel.
    for (std::size_t i = 0; i < 48; ++i) CHECK(d.train.pixels[3 * 48 + i] == 77);
    CHECK(d.test.labels == std::vector<std::int32_t>{2});
    CHECK(d.test.pixels[5] == 90);
    // Enlarging 4 -> 8 keeps a solid image solid; grey loading gives one channel.
    const auto big = load_image_folder(dir.string(), {.size = 8, .channels = 1, .cache = ""}, lo);
    CHECK(big.train.channels == 1);
    CHECK(big.train.pixels.size() == 4 * 64);
    for (std::size_t i = 0; i < 64; ++i) CHECK(big.train.pixels[3 * 64 + i] == 77);
    fs::remove_all(dir);
}

TEST_CASE("image folder: the cache file spares decoding and follows changes", "[train][data]") {
    const auto dir = fresh_dir("cache");
    for (int k = 0; k < 3; ++k)
        for (int i = 0; i < 4; ++i)
            write_png(dir / ("class" + std::to_string(k)) / ("img" + std::to_string(i) + ".png"), 6, 6, 3,
                      solid(6, 6, std::uint8_t(40 * k + i), std::uint8_t(100 + i), std::uint8_t(7 * k)));
    const auto cache = (fs::temp_directory_path() / "accelnas_folder_cache.bin").string();
    fs::remove(cache);
    const folder_options fo{.size = 8, .channels = 3, .cache = cache};
    load_options lo;
    lo.validation = 0.25;
    folder_report first, second, third;
    const auto a = load_image_folder(dir.string(), fo, lo, &first);
    CHECK(first.decoded == 12);
    CHECK(first.from_cache == 0);
    CHECK(a.test.count == 0);  // no train/ and test/ folders: all images train
    CHECK(a.train.count == 9);
    CHECK(a.validation.count == 3);
    REQUIRE(fs::exists(cache));
    const auto b = load_image_folder(dir.string(), fo, lo, &second);
    CHECK(second.decoded == 0);
    CHECK(second.from_cache == 12);
    CHECK(b.train.pixels == a.train.pixels);
    CHECK(b.validation.labels == a.validation.labels);
    // Another image in a class: the cache no longer matches and is rebuilt.
    write_png(dir / "class1" / "img9.png", 6, 6, 3, solid(6, 6, 1, 2, 3));
    load_image_folder(dir.string(), fo, lo, &third);
    CHECK(third.decoded == 13);
    // Training on the folder: epochs read memory, never the files.
    fs::remove_all(dir);
    fit_options o;
    o.epochs = 2;
    o.batch = 4;
    o.augment = {8, 3, true, 1};
    graph::network n("tiny");
    auto x = n.input({1, 8, 8, 3});
    n.fully_connected(n.global_avg_pool(n.conv2d(x, {.filters = 4, .kernel = 3})), {.units = 3});
    CHECK(fit(n, b, o).epochs == 2);
    fs::remove(cache);
}

TEST_CASE("image folder: bad folders and undecodable images are clear errors", "[train][data]") {
    CHECK_THROWS_WITH(load_image_folder("/nonexistent/images"), Catch::Contains("is not a folder"));
    const auto dir = fresh_dir("bad");
    CHECK_THROWS_WITH(load_image_folder(dir.string()), Catch::Contains("holds no class folders"));
    write_png(dir / "cat" / "a.png", 4, 4, 3, solid(4, 4, 1, 2, 3));
    fs::create_directories(dir / "dog");
    std::ofstream(dir / "dog" / "readme.txt") << "no images here\n";
    CHECK_THROWS_WITH(load_image_folder(dir.string()),
                      Catch::Contains("class folder '" + (dir / "dog").string() + "' holds no images"));
    // A truncated PNG.
    write_png(dir / "dog" / "b.png", 16, 16, 3, solid(16, 16, 9, 9, 9));
    fs::resize_file(dir / "dog" / "b.png", fs::file_size(dir / "dog" / "b.png") - 20);
    CHECK_THROWS_WITH(load_image_folder(dir.string()),
                      Catch::Contains("image '" + (dir / "dog" / "b.png").string() + "' is not a decodable PNG"));
    // A truncated JPEG (libjpeg alone would return grey rows).
    fs::remove(dir / "dog" / "b.png");
    std::vector<std::uint8_t> noise(32 * 32 * 3);
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = std::uint8_t((i * 37) % 251);
    write_jpeg(dir / "dog" / "c.jpg", 32, 32, noise);
    fs::resize_file(dir / "dog" / "c.jpg", fs::file_size(dir / "dog" / "c.jpg") / 2);
    CHECK_THROWS_WITH(load_image_folder(dir.string()),
                      Catch::Contains("image '" + (dir / "dog" / "c.jpg").string() + "' is not a decodable JPEG"));
    // Text named .jpg.
    fs::remove(dir / "dog" / "c.jpg");
    std::ofstream(dir / "dog" / "d.jpg") << "hello";
    CHECK_THROWS_WITH(load_image_folder(dir.string()), Catch::Contains("is neither PNG nor JPEG"));
    // A test class the training part lacks.
    fs::remove(dir / "dog" / "d.jpg");
    write_png(dir / "dog" / "e.png", 4, 4, 3, solid(4, 4, 5, 5, 5));
    fs::create_directories(dir / "train");
    fs::rename(dir / "cat", dir / "train" / "cat");
    fs::rename(dir / "dog", dir / "train" / "dog");
    write_png(dir / "test" / "bird" / "f.png", 4, 4, 3, solid(4, 4, 5, 5, 5));
    CHECK_THROWS_WITH(load_image_folder(dir.string()), Catch::Contains("is a class the training folder does not have"));
    fs::remove_all(dir);
}
#endif
