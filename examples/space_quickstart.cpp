#include <accelnas/graph/cost.hpp>
#include <accelnas/space.hpp>
#include <iostream>

namespace sp = accelnas::space;

// A space is a type: stem, head, stages; each stage = base filters, stride, base layers, choice lists.
struct my_space : sp::search_space<sp::stem<16>, sp::head<256>,
                                   sp::stage<24, 2, 2, sp::kernels<3, 5>, sp::expansions<4, 8>>,
                                   sp::stage<48, 2, 3, sp::blocks<sp::ibn_block, sp::fused_ibn_block>,
                                             sp::layer_deltas<-1, 0, 1>>> {
    static constexpr std::string_view name = "my_space";
};
static_assert(my_space::num_decisions == 4);            // compile-time decision shape

int main() {
    accelnas::rng g(2020);
    const auto arch = sp::sample<my_space>(g);           // one uniform index per decision
    const auto net = sp::decode<my_space>(arch, {1, 96, 96, 3}, 10);   // a graph::network
    std::cout << sp::to_text<my_space>(arch) << "  " << accelnas::graph::cost_of(net).macs << " MACs\n";
    // The paper's EfficientNet-EdgeTPU-S, scaled to -L by EfficientNet's rules:
    const auto l = sp::decode_scaled<sp::edgetpu>(sp::efficientnet_edgetpu_s_arch(),
                                                  sp::efficientnet_edgetpu_l_scaling, 1001);
    std::cout << accelnas::graph::cost_of(l).macs << " MACs (EfficientNet-EdgeTPU-L)\n";
}
