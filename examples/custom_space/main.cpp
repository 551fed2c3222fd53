// A user's search space reaching the shipped tools: a block of its own (sandglass_block.hpp), a
// space that mixes it with the library's IBN, one registration call, then the unchanged
// command lines of accelnas-search, accelnas-space and accelnas-estimate:
//
//   example_custom_space space --space sandglass --decisions --size
//   example_custom_space search --space sandglass --quality none --latency-ms 1 --budget 8 --out runs/sg
//   example_custom_space estimate --target coral-usb "sandglass:block=sandglass,kernel=5,reduce=2/..."
#include "sandglass_block.hpp"

#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/registry.hpp>

#include <cstdio>
#include <string_view>

namespace my {

template <std::int64_t Filters, int Stride, int Layers>
using sandglass_stage = sp::stage<Filters, Stride, Layers, sp::blocks<sandglass_block, sp::ibn_block>,
                                  sp::kernels<3, 5>, reductions<2, 4>, sp::width_multipliers<0.75, 1.0>>;

/// Five stages, each choosing the sandglass block or the IBN, the kernel, the sandglass
/// reduction and the width.
struct sandglass_space : sp::search_space<sp::stem<32>, sp::head<1280>, sandglass_stage<24, 2, 2>,
                                          sandglass_stage<40, 2, 2>, sandglass_stage<80, 2, 3>,
                                          sandglass_stage<112, 1, 2>, sandglass_stage<192, 2, 2>> {
    static constexpr std::string_view name = "sandglass";
};

}  // namespace my

// The shipped tools' programs, compiled into this executable (tool_*.cpp).
int accelnas_search_main(int argc, char** argv);
int accelnas_space_main(int argc, char** argv);
int accelnas_estimate_main(int argc, char** argv);

int main(int argc, char** argv) {
    accelnas::space::register_space<my::sandglass_space>();
    const std::string_view tool = argc > 1 ? argv[1] : "";
    if (tool == "search") return accelnas_search_main(argc - 1, argv + 1);
    if (tool == "space") return accelnas_space_main(argc - 1, argv + 1);
    if (tool == "estimate") return accelnas_estimate_main(argc - 1, argv + 1);
    std::fprintf(stderr, "usage: %s search|space|estimate [the tool's options]\n", argv[0]);
    return 2;
}
