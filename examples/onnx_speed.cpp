// example_onnx_speed: times the import of an ONNX model and its latency estimate on coral-usb (the
// cycle-level simulator), e.g. for a ResNet-50 written by
//   accelnas-export --model resnet50_v1 --out resnet50.onnx
// usage: example_onnx_speed MODEL.onnx [REPEATS]

#include <accelnas/hw/targets.hpp>
#include <accelnas/onnx/import.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) try {
    if (argc < 2) {
        std::fprintf(stderr, "usage: example_onnx_speed MODEL.onnx [REPEATS]\n");
        return 2;
    }
    using clock = std::chrono::steady_clock;
    int repeats = 5;
    if (argc > 2) {
        const std::string r = argv[2];
        const auto [end, ec] = std::from_chars(r.data(), r.data() + r.size(), repeats);
        if (ec != std::errc() || end != r.data() + r.size() || repeats < 1) {
            std::fprintf(stderr, "error: REPEATS needs a whole number >= 1, got '%s'\n", r.c_str());
            return 2;
        }
    }
    const auto model = accelnas::hw::make_target("coral-usb", "sim");
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = clock::now();
        const auto net = accelnas::onnx::import_file(argv[1]);
        const auto t1 = clock::now();
        const double ms = model.seconds(net) * 1e3;
        const auto t2 = clock::now();
        std::printf("%s: %zu ops, import %.1f ms + coral-usb estimate %.1f ms = %.1f ms (latency %.3f ms)\n",
                    net.name().c_str(), net.size(), std::chrono::duration<double, std::milli>(t1 - t0).count(),
                    std::chrono::duration<double, std::milli>(t2 - t1).count(),
                    std::chrono::duration<double, std::milli>(t2 - t0).count(), ms);
    }
    return 0;
} catch (const std::exception& e) {  // a missing or malformed model: accelnas::error naming what is wrong
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
