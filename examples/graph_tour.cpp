#include <accelnas/graph.hpp>
#include <iostream>

int main() {
    using namespace accelnas::graph;
    network net("tiny_mbconv");
    auto x = net.input({1, 224, 224, 3});
    auto s = net.conv2d(x, {.filters = 32, .kernel = 3, .stride = 2, .act = activation::relu});
    auto y = blocks::ibn(net, s, {.expanded = 128, .out = 32, .kernel = 3});      // residual added
    auto f = blocks::fused_ibn(net, y, {.expanded = 128, .out = 48, .kernel = 3, .stride = 2});
    auto h = net.conv2d(f, {.filters = 1280, .act = activation::relu});
    net.fully_connected(net.global_avg_pool(h), {.units = 1000});
    print_ops(std::cout, net);                      // per-op table with MACs and params
    const auto c = cost_of(net);                    // totals: c.macs, c.params, c.peak_activation_bytes_int8()
    save_network(net, "tiny.json");                 // JSON round-trips exactly
    auto back = load_network("tiny.json");
    return structural_difference(net, back).empty() ? 0 : 1;
}
