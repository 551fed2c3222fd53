#include <accelnas/hw.hpp>
#include <accelnas/zoo/zoo.hpp>
#include <cstdio>
#include <string>

int main() {
    using namespace accelnas;
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const hw::simulator sim(hw::targets::coral_usb());      // cycle-level
    const hw::apm apm_model(hw::targets::coral_usb());      // closed form, same config
    const hw::latency_report r = sim.estimate(net);
    std::printf("%s on %s: %.2f ms (APM %.2f ms), %lld B of weights cached, %lld streamed\n",
                r.network.c_str(), r.target.c_str(), r.total_ms(), apm_model.seconds(net) * 1e3,
                (long long)r.param_bytes_cached, (long long)r.param_bytes_streamed);
    for (const auto& op : r.ops)                            // cycles, limiter, utilization, placement
        std::printf("  %-28s %8lld cycles  %-14s %5.1f%%  %s\n", op.name.c_str(), (long long)op.cycles,
                    std::string(hw::to_string(op.bound)).c_str(), 100 * op.utilization,
                    std::string(hw::to_string(op.where)).c_str());
    const auto any = hw::make_target("pixel4-cpu");         // a target chosen by name
    std::printf("pixel4-cpu: %.2f ms\n", any.seconds(net) * 1e3);
}
