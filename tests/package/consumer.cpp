// A minimal program that uses accelnas as an installed or added package.
#include <accelnas/graph.hpp>

#include <iostream>

int main() {
    using namespace accelnas::graph;
    network net("consumer");
    auto x = net.input({1, 32, 32, 3});
    auto y = net.conv2d(x, {.filters = 16, .kernel = 3, .stride = 2, .act = activation::relu});
    net.fully_connected(net.global_avg_pool(y), {.units = 10});
    const auto c = cost_of(net);
    std::cout << "consumer: " << c.macs << " MACs, " << c.params << " params\n";
    return c.macs == 16 * 16 * 16 * 27 + 160 ? 0 : 1;
}
