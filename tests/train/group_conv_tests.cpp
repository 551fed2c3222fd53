// Group convolutions in the trainer, as GC-IBN blocks use them: the gradient check on the grouped
// shapes of the edgetpu_v2 space (several input channels per group with a channel multiplier,
// one channel per group, stride 2), and a short proxy training of a sampled edgetpu_v2 network
// (with at least one GC-IBN block) on 4000 images whose loss falls and whose accuracy beats chance.
#include <accelnas/app/proxy.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/train/gradcheck.hpp>
#include <accelnas/train/ops.hpp>
#include <accelnas/train/trainer.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;
using graph::padding;

namespace {
tensor random_input(rng& g, shape4 s, double scale) {
    tensor t = xt::empty<float>(s);
    for (auto& v : t) v = float(normal01(g) * scale);
    return t;
}
}  // namespace

TEST_CASE("Grouped conv2d of GC-IBN shapes passes the gradient check", "[train][gradcheck]") {
    struct shape_case {
        shape4 x;
        std::size_t k, groups, filters, stride;
    };
    const shape_case cases[] = {
        {{2, 6, 6, 8}, 3, 4, 16, 1},  // 2 channels per group, 4 filters per group
        {{1, 7, 7, 8}, 3, 2, 32, 2},  // 4 channels per group, 16 filters per group, stride 2, odd size
        {{1, 6, 5, 4}, 5, 4, 8, 2},   // one channel per group, channel multiplier 2 (the depthwise end)
        {{1, 5, 5, 6}, 3, 3, 6, 1},   // 3 groups: neither a power of two nor depthwise
    };
    for (const auto& c : cases) {
        INFO("x " << c.x[1] << "x" << c.x[2] << "x" << c.x[3] << " kernel " << c.k << " groups " << c.groups << " filters "
                  << c.filters << " stride " << c.stride);
        rng g(7 + c.groups);
        std::vector<tensor> in{random_input(g, c.x, 1.0), random_input(g, {c.k, c.k, c.x[3] / c.groups, c.filters}, 0.5)};
        const auto r = check_gradients(
            [&](tape&, std::vector<var>& v) {
                return conv2d(v[0], v[1], int(c.stride), int(c.stride), padding::same, c.groups);
            },
            std::move(in), g, 1e-2, 1e-2);
        INFO("input " << r.input << " element " << r.element << ": numeric " << r.numeric << " analytic " << r.analytic);
        CHECK(r.ok);
        CHECK(r.max_error < 1e-2);
    }
}

TEST_CASE("A sampled edgetpu_v2 network with GC-IBN blocks trains at proxy size", "[train]") {
    const auto& s = space::find_space("edgetpu_v2");
    app::proxy_options o;
    o.train_images = 4000;
    o.test_images = 500;
    // The first sample (seed 4 onwards) whose proxy network has a grouped, non-depthwise conv.
    rng g(4);
    graph::network net("none");
    bool grouped = false;
    for (int i = 0; i < 50 && !grouped; ++i) {
        net = app::proxy_network(s, s.sample(g), o);
        for (std::size_t k = 0; k < net.size(); ++k) {
            const auto& op = net.ops()[k];
            if (op.kind == graph::op_kind::conv2d && op.groups > 1 && !graph::is_depthwise(op, net.in_channels(k)))
                grouped = true;
        }
    }
    REQUIRE(grouped);
    const auto data = app::load_proxy_data(ACCELNAS_FMNIST_DIR, o);
    fit_options fo;
    fo.epochs = 2;
    fo.batch = 64;
    fo.lr = o.lr;
    fo.warmup_epochs = 0.3;
    fo.augment.flip = false;
    fo.seed = 3;
    const auto r = fit(net, data, fo);
    REQUIRE(r.history.size() == 2);
    CHECK(std::isfinite(r.history[1].train_loss));
    CHECK(r.history[1].train_loss < r.history[0].train_loss);
    CHECK(r.test_acc > 0.15);  // 10 classes: chance is 0.1 (500 test images: sd about 0.013)
}
