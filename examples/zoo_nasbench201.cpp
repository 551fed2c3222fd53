#include <accelnas/graph/cost.hpp>
#include <accelnas/zoo/nasbench201.hpp>
#include <accelnas/zoo/resnet.hpp>

#include <iostream>

int main() {
    using namespace accelnas;
    // The best CIFAR-10 cell of NAS-Bench-201, in both graph variants.
    const char* arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
    for (auto v : {zoo::nb201_variant::training, zoo::nb201_variant::latbench}) {
        const graph::network net = zoo::nasbench201(arch, v);
        const auto cost = graph::cost_of(net);
        std::cout << net.name() << ": " << net.size() << " ops, " << cost.macs << " MACs, " << cost.params
                  << " params (+" << cost.bn_params << " BN)\n";
    }
    // A cell whose branches are dead or cut by `none`: the LatBench graph drops them.
    const auto cell = zoo::parse_nb201_arch("|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|none~2|");
    std::cout << zoo::to_string(cell) << " -> LatBench ops: " << zoo::nasbench201(cell, zoo::nb201_variant::latbench).size()
              << ", training ops: " << zoo::nasbench201(cell, zoo::nb201_variant::training).size() << "\n";
    // A classic model at another input size.
    const auto r = zoo::resnet50_v1({.resolution = 299});
    std::cout << r.name() << "@299: " << graph::cost_of(r).macs << " MACs\n";
    // Malformed strings raise accelnas::error naming the position.
    try {
        zoo::parse_nb201_arch("|nor_conv_3x3~0|+|none~0|none~2|+|none~0|none~1|none~2|");
    } catch (const accelnas::error& e) {
        std::cout << e.what() << "\n";
    }
}
