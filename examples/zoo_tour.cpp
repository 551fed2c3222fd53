#include <accelnas/graph/cost.hpp>
#include <accelnas/app/spec.hpp>
#include <accelnas/zoo.hpp>
#include <iostream>

int main() {
    using namespace accelnas;
    // A zoo model by function, with options (0 = the model's default).
    graph::network a = zoo::efficientnet_edgetpu_s();
    graph::network b = zoo::mobilenet_v2({.resolution = 160, .classes = 10});
    // The same through the registry and through the spec grammar every tool uses.
    graph::network c = zoo::build("mnasnet_a1");
    graph::network d = app::resolve_spec("resnet50_v1@299");
    graph::network e = app::resolve_spec("nb201-latbench:|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
                                    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
    for (const auto* n : {&a, &b, &c, &d, &e}) {
        const auto cost = graph::cost_of(*n);
        std::cout << n->name() << ": " << cost.macs << " MACs, " << cost.params << " params\n";
    }
    // Published figures and their sources.
    const auto& pub = zoo::published("efficientnet_edgetpu_s");
    std::cout << pub.macs->value << " MACs per " << pub.macs->source << "\n";
}
