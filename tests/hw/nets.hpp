#pragma once
// Networks shared by the hw tests.
#include <accelnas/graph/network.hpp>

#include <cstdint>

namespace hw_test {

/// One convolution on an hw x hw x cin input: kxk to cout channels, or depthwise kxk.
inline accelnas::graph::network single_conv(std::int64_t hw, std::int64_t cin, std::int64_t cout, int k,
                                            bool depthwise = false) {
    accelnas::graph::network n("conv");
    auto x = n.input({1, hw, hw, cin});
    if (depthwise) n.depthwise_conv2d(x, {.kernel = k});
    else n.conv2d(x, {.filters = cout, .kernel = k});
    return n;
}

}  // namespace hw_test
