// A program that links the installed latency-service client (accelnas::service): a network survives
// the protobuf round trip, and a remote_accelerator can be made (gRPC connects lazily: no server needed).
#include <accelnas/graph/json.hpp>
#include <accelnas/service/remote_accelerator.hpp>

#include <iostream>

int main() {
    using namespace accelnas;
    graph::network net("consumer");
    auto x = net.input({1, 32, 32, 3});
    net.conv2d(x, {.filters = 16, .kernel = 3, .stride = 2, .act = graph::activation::relu});
    const auto back = service::from_proto(service::to_proto(net));
    const service::remote_accelerator remote("127.0.0.1:1", "coral-usb", "apm", {});
    const bool ok = graph::to_json(back) == graph::to_json(net) && remote.name() == "coral-usb";
    std::cout << "service consumer: " << (ok ? "ok" : "round trip failed") << "\n";
    return ok ? 0 : 1;
}
