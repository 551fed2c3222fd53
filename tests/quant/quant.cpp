// Tests of accelnas::quant on random networks with random weights: float reference inference
// against naive loops and hand-computed values, batch-norm folding, fixed-point rescaling, int8
// inference against the float inference of the folded network, and error reporting.

#include <accelnas/core/rng.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/quant.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>

using namespace accelnas;
namespace g = accelnas::graph;

namespace {

// Random parameters for every op of `net` that needs them: He-normal weights, small biases, BN
// statistics far from identity so that folding has work to do.
train::parameter_set random_parameters(const g::network& net, std::uint64_t seed) {
    accelnas::rng r(seed);
    auto normal = [&](double s) { return float(normal01(r) * s); };
    auto uniform = [&](double lo, double hi) { return float(lo + (hi - lo) * uniform01(r)); };
    train::parameter_set ps;
    for (std::size_t i = 0; i < net.size(); ++i) {
        const auto& o = net.ops()[i];
        train::op_parameters p;
        p.op = i;
        std::int64_t bn = 0;
        if (o.kind == g::op_kind::conv2d || o.kind == g::op_kind::fully_connected) {
            const auto& x = net.in_shape(i);
            std::array<std::size_t, 4> s{};
            if (o.kind == g::op_kind::conv2d)
                s = {std::size_t(o.kernel_h), std::size_t(o.kernel_w), std::size_t(x.c / o.groups), std::size_t(o.filters)};
            else
                s = {1, 1, std::size_t(x.h * x.w * x.c), std::size_t(o.filters)};
            p.weight = xt::empty<float>(s);
            const double sd = std::sqrt(2.0 / double(s[0] * s[1] * s[2]));
            for (auto& w : p.weight) w = normal(sd);
            if (o.bias) {
                p.bias = xt::empty<float>(std::array<std::size_t, 1>{std::size_t(o.filters)});
                for (auto& b : p.bias) b = normal(0.1);
            }
            if (o.batch_norm) bn = o.filters;
        } else if (o.kind == g::op_kind::batch_norm) {
            bn = o.out.c;
        } else {
            continue;
        }
        if (bn) {
            const std::array<std::size_t, 1> s{std::size_t(bn)};
            p.bn_gamma = xt::empty<float>(s);
            p.bn_beta = xt::empty<float>(s);
            p.bn_mean = xt::empty<float>(s);
            p.bn_var = xt::empty<float>(s);
            for (std::size_t c = 0; c < std::size_t(bn); ++c) {
                p.bn_gamma(c) = uniform(0.5, 1.5);
                p.bn_beta(c) = normal(0.2);
                p.bn_mean(c) = normal(0.2);
                p.bn_var(c) = uniform(0.5, 2.0);
            }
        }
        ps.push_back(std::move(p));
    }
    return ps;
}

xt::xtensor<float, 4> random_batch(const g::network& net, std::size_t n, std::uint64_t seed) {
    accelnas::rng r(seed);
    const auto s = net.input_shape();
    xt::xtensor<float, 4> x = xt::empty<float>(std::array<std::size_t, 4>{n, std::size_t(s.h), std::size_t(s.w), std::size_t(s.c)});
    for (auto& v : x) v = float(normal01(r));
    return x;
}

double max_abs(const xt::xtensor<float, 4>& a) {
    double m = 0.0;
    for (float v : a) m = std::max(m, std::abs(double(v)));
    return m;
}

double max_abs_diff(const xt::xtensor<float, 4>& a, const xt::xtensor<float, 4>& b) {
    REQUIRE(a.shape() == b.shape());
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a.data()[i]) - double(b.data()[i])));
    return m;
}

// A mobile-style network touching every op kind and activation of the IR.
g::network every_op_network() {
    g::network net("every_op");
    auto x = net.input({1, 13, 13, 3});
    auto s = net.conv2d(x, {.filters = 16, .kernel = 3, .stride = 2, .act = g::activation::relu6, .name = "stem"});
    auto d = net.depthwise_conv2d(s, {.kernel = 3, .act = g::activation::hard_swish, .name = "dw"});
    auto p = net.global_avg_pool(d, "se_pool");
    auto r = net.conv2d(p, {.filters = 4, .bias = true, .bn = false, .act = g::activation::relu, .name = "se_reduce"});
    auto e = net.conv2d(r, {.filters = 16, .bias = true, .bn = false, .act = g::activation::sigmoid, .name = "se_expand"});
    auto m = net.mul(d, e, {.name = "se_mul"});
    auto pr = net.conv2d(m, {.filters = 16, .name = "project"});
    auto a = net.add(s, pr, {.name = "residual"});
    auto gc = net.conv2d(a, {.filters = 12, .kernel = 3, .pad = g::padding::valid, .groups = 4,
                             .act = g::activation::swish, .name = "grouped"});
    auto dm = net.depthwise_conv2d(gc, {.kernel = 5, .stride = 2, .multiplier = 2, .act = g::activation::hard_sigmoid,
                                        .name = "dw_mult"});
    auto mp = net.max_pool(gc, {.kernel = 3, .stride = 2, .pad = g::padding::same, .name = "maxpool"});
    auto ap = net.avg_pool(gc, {.kernel = 3, .stride = 2, .pad = g::padding::same, .name = "avgpool"});
    auto api = net.avg_pool(gc, {.kernel = 2, .stride = 2, .pad = g::padding::same, .count_include_pad = true,
                                 .name = "avgpool_incl"});
    auto c = net.concat({dm, mp, ap, api}, "concat");
    auto bn = net.batch_norm(c, {.act = g::activation::relu, .name = "pre_bn"});  // kept as affine
    auto pd = net.pad(bn, {1, 0, 0, 1}, "pad");
    auto ac = net.activate(pd, g::activation::swish, "act");
    auto a3 = net.add(std::vector<g::node>{ac, ac, ac}, {.act = g::activation::relu, .name = "add3"});
    auto h = net.conv2d(a3, {.filters = 24, .kernel = 2, .pad = g::padding::valid, .bias = true,
                             .act = g::activation::relu, .name = "head"});
    auto gp = net.global_avg_pool(h, "pool");
    auto f = net.flatten(gp, "flatten");
    auto rs = net.reshape(f, {1, 2, 3, 4}, "reshape");
    auto fc = net.fully_connected(rs, {.units = 10, .name = "logits"});
    net.softmax(fc, "probs");
    return net;
}

// Standalone batch norms that exercise every folding rule.
g::network fold_rules_network() {
    g::network net("fold_rules");
    auto x = net.input({1, 9, 9, 4});
    auto c1 = net.conv2d(x, {.filters = 8, .kernel = 3, .bn = false, .name = "c1"});
    auto b1 = net.batch_norm(c1, {.act = g::activation::relu6, .name = "bn_back"});     // 2a: into c1
    auto b2 = net.batch_norm(b1, {.name = "bn_fwd_valid"});                             // 2b: into c2
    auto c2 = net.conv2d(b2, {.filters = 8, .kernel = 3, .pad = g::padding::valid, .groups = 2,
                              .act = g::activation::relu, .name = "c2"});
    auto b3 = net.batch_norm(c2, {.name = "bn_fwd_1x1"});                               // 2b: into c3 (1x1)
    auto c3 = net.conv2d(b3, {.filters = 6, .stride = 2, .name = "c3"});                // with its own BN
    auto b4 = net.batch_norm(c3, {.name = "bn_back_chain"});                            // 2a: c3 had no act
    auto b5 = net.batch_norm(c2, {.name = "bn_affine"});       // 2c: c2 has an act, c4 is SAME 3x3
    auto c4 = net.conv2d(b5, {.filters = 6, .kernel = 3, .stride = 2, .act = g::activation::relu, .name = "c4"});
    auto a = net.add(b4, c4, {.name = "add"});
    auto b6 = net.batch_norm(a, {.name = "bn_fc"});                                     // 2b: into fc
    net.fully_connected(b6, {.units = 5, .bn = true, .name = "fc"});
    return net;
}

std::size_t count_kind(const g::network& net, g::op_kind k) {
    std::size_t n = 0;
    for (const auto& o : net.ops()) n += o.kind == k;
    return n;
}

}  // namespace

TEST_CASE("float reference: SAME padding with stride 2 follows TensorFlow (hand-computed)", "[quant]") {
    g::network net("hand");
    auto x = net.input({1, 4, 4, 1});
    net.conv2d(x, {.filters = 1, .kernel = 3, .stride = 2, .bn = false, .name = "c"});
    train::parameter_set ps(1);
    ps[0].op = 1;
    ps[0].weight = xt::ones<float>(std::array<std::size_t, 4>{3, 3, 1, 1});
    xt::xtensor<float, 4> in = xt::empty<float>(std::array<std::size_t, 4>{1, 4, 4, 1});
    for (std::size_t i = 0; i < 16; ++i) in.data()[i] = float(i);
    const auto y = quant::float_model(net, ps).predict(in);
    // out 2x2, pad_total = 1: no padding on top/left, one row/column at the bottom/right.
    REQUIRE(y.shape() == std::array<std::size_t, 4>{1, 2, 2, 1});
    CHECK(y(0, 0, 0, 0) == 0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10);
    CHECK(y(0, 0, 1, 0) == 2 + 3 + 6 + 7 + 10 + 11);
    CHECK(y(0, 1, 0, 0) == 8 + 9 + 10 + 12 + 13 + 14);
    CHECK(y(0, 1, 1, 0) == 10 + 11 + 14 + 15);
}

TEST_CASE("float reference: grouped / depthwise / strided convolutions match naive loops", "[quant]") {
    struct cfg { int k, s; std::int64_t cin, f, groups; g::padding pad; };
    const cfg cases[] = {{3, 1, 6, 9, 3, g::padding::same},  {3, 2, 8, 8, 8, g::padding::same},
                         {5, 2, 4, 8, 4, g::padding::valid}, {1, 1, 5, 7, 1, g::padding::same},
                         {2, 3, 6, 4, 2, g::padding::same},  {3, 2, 3, 5, 1, g::padding::valid}};
    std::uint64_t seed = 1;
    for (const auto& c : cases) {
        g::network net("conv");
        auto x = net.input({1, 7, 8, c.cin});
        net.conv2d(x, {.filters = c.f, .kernel = c.k, .stride = c.s, .pad = c.pad, .groups = c.groups, .bias = true,
                       .bn = false});
        const auto ps = random_parameters(net, seed);
        const auto in = random_batch(net, 2, seed + 100);
        ++seed;
        const auto y = quant::float_model(net, ps).predict(in);
        const auto& o = net.ops()[1];
        const auto gh = g::window_along(7, c.k, c.s, c.pad), gw = g::window_along(8, c.k, c.s, c.pad);
        const std::int64_t cg = c.cin / c.groups, fg = c.f / c.groups;
        double worst = 0.0;
        for (std::size_t b = 0; b < 2; ++b)
            for (std::int64_t oy = 0; oy < o.out.h; ++oy)
                for (std::int64_t ox = 0; ox < o.out.w; ++ox)
                    for (std::int64_t f = 0; f < c.f; ++f) {
                        double acc = ps[0].bias(std::size_t(f));
                        for (std::int64_t ky = 0; ky < c.k; ++ky)
                            for (std::int64_t kx = 0; kx < c.k; ++kx)
                                for (std::int64_t ci = 0; ci < cg; ++ci) {
                                    const auto yy = oy * c.s - gh.pad_before + ky, xx = ox * c.s - gw.pad_before + kx;
                                    if (yy < 0 || yy >= 7 || xx < 0 || xx >= 8) continue;
                                    acc += double(in(b, std::size_t(yy), std::size_t(xx), std::size_t((f / fg) * cg + ci))) *
                                           ps[0].weight(std::size_t(ky), std::size_t(kx), std::size_t(ci), std::size_t(f));
                                }
                        worst = std::max(worst, std::abs(acc - y(b, std::size_t(oy), std::size_t(ox), std::size_t(f))));
                    }
        CHECK(worst < 1e-4);
    }
}

TEST_CASE("fixed_multiplier: rescaling equals correctly rounded real arithmetic", "[quant]") {
    accelnas::rng r(7);
    for (int t = 0; t < 2000; ++t) {
        const double real = std::ldexp(0.5 + 0.5 * uniform01(r), int(uniform_index(r, 40)) - 30);
        const auto m = quant::fixed_multiplier::from(real);
        CHECK(std::abs(m.real() / real - 1.0) < 1e-9);
        const auto x = std::int32_t(std::int64_t(uniform_index(r, 1u << 24)) - (1 << 23));
        const double exact = double(x) * m.real();
        if (std::abs(exact) < 2e9) CHECK(std::abs(double(m.apply(x)) - exact) <= 0.5 + 1e-9);
    }
    CHECK(quant::fixed_multiplier::from(0.0).apply(12345) == 0);
    CHECK(quant::fixed_multiplier::from(1e-12).apply(1000) == 0);
    CHECK(quant::fixed_multiplier::from(1024.0).apply(1 << 30) == std::numeric_limits<std::int32_t>::max());
    CHECK(quant::fixed_multiplier::from(1024.0).apply(-(1 << 30)) == std::numeric_limits<std::int32_t>::min());
    CHECK_THROWS_AS(quant::fixed_multiplier::from(-1.0), accelnas::error);
}

TEST_CASE("asymmetric_params: range widened to 0, zero exact, saturation outside", "[quant]") {
    const auto p = quant::asymmetric_params({0.5f, 6.0f});  // widened to [0, 6]
    CHECK(p.zero_point == -128);
    CHECK(p.scale == Approx(6.0 / 255));
    CHECK(p.dequantize(p.quantize(0.0f)) == 0.0f);
    CHECK(p.quantize(100.0f) == 127);
    CHECK(p.quantize(-100.0f) == -128);
    const auto q = quant::asymmetric_params({-1.0f, 3.0f});
    CHECK(q.dequantize(q.quantize(0.0f)) == 0.0f);
    CHECK(std::abs(q.dequantize(q.quantize(2.2f)) - 2.2f) <= q.scale / 2 + 1e-6f);
}

TEST_CASE("fold_batch_norm: no batch norm left, float outputs preserved (1e-4 relative)", "[quant]") {
    for (auto net : {every_op_network(), fold_rules_network()}) {
        for (std::uint64_t seed : {11u, 12u, 13u}) {
            const auto ps = random_parameters(net, seed);
            const auto folded = quant::fold_batch_norm(net, ps);
            for (const auto& o : folded.network.ops()) {
                CHECK(o.kind != g::op_kind::batch_norm);
                CHECK_FALSE(o.batch_norm);
            }
            const auto in = random_batch(net, 5, seed + 1000);
            const quant::float_model a(net, ps), b(folded.network, folded.parameters);
            // compare logits (before the softmax) and the final output
            const std::string logits = net.name() == "every_op" ? "logits" : "fc";
            const auto ya = a.predict(in, net.find(logits).id), yb = b.predict(in, folded.network.find(logits).id);
            INFO(net.name() << " seed " << seed << ": max |diff| " << max_abs_diff(ya, yb) << " of max |y| " << max_abs(ya));
            CHECK(max_abs_diff(ya, yb) <= 1e-4 * max_abs(ya));
            CHECK(max_abs_diff(a.predict(in), b.predict(in)) <= 1e-4);
        }
    }
    // Which rule applied where: the fold-rules network keeps exactly one batch norm, as an affine op.
    const auto net = fold_rules_network();
    const auto folded = quant::fold_batch_norm(net, random_parameters(net, 1));
    CHECK(count_kind(folded.network, g::op_kind::conv2d) == 5);  // c1..c4 + bn_affine
    CHECK(folded.network.size() == 8);  // input, c1, c2, c3, bn_affine, c4, add, fc
    const auto& affine = folded.network.at(folded.network.find("bn_affine"));
    CHECK(affine.kind == g::op_kind::conv2d);
    CHECK(affine.groups == 8);
    CHECK(folded.network.at(folded.network.find("c1")).act == g::activation::relu6);
    CHECK_FALSE(folded.network.contains("bn_back"));
    CHECK_FALSE(folded.network.contains("bn_fwd_valid"));
    CHECK_FALSE(folded.network.contains("bn_fc"));
}

TEST_CASE("int8 inference matches float inference of the folded network", "[quant]") {
    // The test images are part of the calibration set, so no activation leaves its calibrated range
    // (values beyond it saturate by design, which is not what this test measures). What is left is
    // rounding: each requantization rounds to half a step of its tensor, the weights to half a step
    // of their channel scale, and these errors reach the logits through the layers in between
    // (about unit gain with He initialisation) and add up like a random walk. Measured on these
    // networks: max 5.2 and mean 1.2 output steps; required: max <= 8 and mean <= 1.5 output steps
    // (one output step = the logits' quantization scale).
    for (auto net : {every_op_network(), fold_rules_network()}) {
        for (std::uint64_t seed : {21u, 22u, 23u}) {
            const auto ps = random_parameters(net, seed);
            const auto test = random_batch(net, 32, seed + 2);
            auto calib = random_batch(net, 96, seed + 1);
            std::copy(test.begin(), test.end(), calib.begin());  // first 32 calibration images = the test images
            const auto folded = quant::fold_batch_norm(net, ps);
            const quant::float_model ref(folded.network, folded.parameters);
            const auto q = quant::quantize(net, ps, calib, 40);
            const std::size_t logits = folded.network.find(net.name() == "every_op" ? "logits" : "fc").id;
            const auto yf = ref.predict(test, logits), yq = q.predict(test, logits);
            const double step = q.params(logits).scale;
            double mean = 0.0;
            for (std::size_t i = 0; i < yf.size(); ++i) mean += std::abs(double(yf.data()[i]) - yq.data()[i]);
            mean /= double(yf.size()) * step;
            const double worst = max_abs_diff(yf, yq) / step;
            INFO(net.name() << " seed " << seed << ": max " << worst << " steps, mean " << mean << " steps, step " << step);
            CHECK(worst <= 8.0);
            CHECK(mean <= 1.5);
            if (net.name() == "every_op") {  // softmax output: TFLite's fixed 1/256 scale
                CHECK(q.params(q.output()).scale == 1.0f / 256);
                CHECK(max_abs_diff(ref.predict(test), q.predict(test)) <= 0.05);
            }
        }
    }
}

TEST_CASE("int8 add, mul and concat are within one output step of float on their int8 inputs", "[quant]") {
    const auto net = every_op_network();
    const auto ps = random_parameters(net, 41);
    const auto x = random_batch(net, 16, 42);
    const auto q = quant::quantize(net, ps, x);
    const auto& qn = q.network();
    auto deq = [&](const char* name) { return q.predict(x, qn.find(name).id); };
    auto step = [&](const char* name) { return double(q.params(qn.find(name).id).scale); };
    auto clamp_to = [&](const char* name, double v) {  // saturation to the int8 range is the defined semantics
        const auto& p = q.params(qn.find(name).id);
        return std::clamp(v, double(p.dequantize(-128)), double(p.dequantize(127)));
    };
    {  // residual = stem + project
        const auto a = deq("stem"), b = deq("project"), y = deq("residual");
        double worst = 0.0;
        for (std::size_t i = 0; i < y.size(); ++i)
            worst = std::max(worst, std::abs(clamp_to("residual", double(a.data()[i]) + b.data()[i]) - y.data()[i]));
        CHECK(worst <= 1.0001 * step("residual"));
    }
    {  // se_mul = dw * se_expand (1x1xC broadcast)
        const auto a = deq("dw"), b = deq("se_expand"), y = deq("se_mul");
        const std::size_t c = a.shape()[3], hwc = a.shape()[1] * a.shape()[2] * c;
        double worst = 0.0;
        for (std::size_t i = 0; i < y.size(); ++i)
            worst = std::max(worst, std::abs(clamp_to("se_mul", double(a.data()[i]) * b.data()[(i / hwc) * c + i % c]) -
                                             y.data()[i]));
        CHECK(worst <= 1.0001 * step("se_mul"));
    }
    {  // concat of four tensors with different parameters
        const auto y = deq("concat");
        std::size_t off = 0;
        double worst = 0.0;
        for (const char* name : {"dw_mult", "maxpool", "avgpool", "avgpool_incl"}) {
            const auto a = deq(name);
            const std::size_t c = a.shape()[3], px = a.size() / c;
            for (std::size_t p = 0; p < px; ++p)
                for (std::size_t ch = 0; ch < c; ++ch)
                    worst = std::max(worst, std::abs(double(a.data()[p * c + ch]) - y.data()[p * y.shape()[3] + off + ch]));
            off += c;
        }
        CHECK(worst <= 0.5001 * step("concat"));
    }
}

TEST_CASE("int8 weights are per-channel symmetric and biases int32 at s_in * s_w", "[quant]") {
    const auto net = every_op_network();
    const auto ps = random_parameters(net, 5);
    const auto q = quant::quantize(net, ps, random_batch(net, 16, 6));
    const auto folded = quant::fold_batch_norm(net, ps);
    const std::size_t head = q.network().find("head").id;
    const auto& w = q.weights(head);
    const auto& sw = q.weight_scales(head);
    const auto& fw = folded.parameters;
    const auto it = std::find_if(fw.begin(), fw.end(), [&](const auto& p) { return p.op == head; });
    REQUIRE(it != fw.end());
    const std::size_t f = 24;
    REQUIRE(w.size() == it->weight.size());
    for (std::size_t o = 0; o < f; ++o) {
        int peak = 0;
        for (std::size_t e = o; e < w.size(); e += f) {
            peak = std::max(peak, std::abs(int(w[e])));
            CHECK(std::abs(w[e] * sw[o] - it->weight.data()[e]) <= sw[o] / 2 * 1.0001);
        }
        CHECK(peak == 127);  // symmetric: the largest magnitude maps to 127
        const double s_in = q.params(q.network().ops()[head].inputs[0]).scale;
        CHECK(std::abs(q.biases(head)[o] * s_in * sw[o] - it->bias(o)) <= s_in * sw[o] / 2 * 1.0001);
    }
}

TEST_CASE("quant errors name the op at fault", "[quant]") {
    auto net = fold_rules_network();
    auto ps = random_parameters(net, 3);
    SECTION("missing parameters") {
        ps.erase(ps.begin());
        REQUIRE_THROWS_WITH(quant::float_model(net, ps), Catch::Contains("no entry for op 'c1'"));
    }
    SECTION("wrong weight shape") {
        ps[0].weight = xt::zeros<float>(std::array<std::size_t, 4>{3, 3, 4, 7});
        REQUIRE_THROWS_WITH(quant::fold_batch_norm(net, ps), Catch::Contains("op 'c1': weight has shape [3,3,4,7]"));
    }
    SECTION("wrong batch-norm size") {
        ps[1].bn_var = xt::ones<float>(std::array<std::size_t, 1>{3});
        REQUIRE_THROWS_WITH(quant::float_model(net, ps), Catch::Contains("'bn_back': bn_var has 3 elements"));
    }
    SECTION("unfolded network given to int8_model") {
        const quant::float_model m(net, ps);
        const auto cal = quant::observe_ranges(m, random_batch(net, 4, 1));
        REQUIRE_THROWS_WITH(quant::int8_model(net, ps, cal), Catch::Contains("fold it first"));
    }
    SECTION("wrong input batch shape") {
        const quant::float_model m(net, ps);
        xt::xtensor<float, 4> bad = xt::zeros<float>(std::array<std::size_t, 4>{1, 9, 9, 3});
        REQUIRE_THROWS_WITH(m.predict(bad), Catch::Contains("expected Nx9x9x4"));
    }
    SECTION("non-finite activations during calibration") {
        const auto folded = quant::fold_batch_norm(net, ps);
        auto in = random_batch(net, 2, 1);
        in(0, 0, 0, 0) = std::numeric_limits<float>::quiet_NaN();
        const quant::float_model m(folded.network, folded.parameters);
        REQUIRE_THROWS_WITH(quant::observe_ranges(m, in), Catch::Contains("non-finite"));
    }
}

TEST_CASE("evaluate_int8 reports float and int8 accuracy on labelled data", "[quant]") {
    // Labels are the float model's own predictions: float accuracy is 1 by construction, and int8
    // accuracy equals the float/int8 agreement.
    const auto net = every_op_network();
    const auto ps = random_parameters(net, 31);
    const auto test = random_batch(net, 200, 32);
    const auto y = quant::float_model(net, ps).predict(test);
    std::vector<int> labels;
    for (std::size_t i = 0; i < 200; ++i) {
        int best = 0;
        for (int c = 1; c < 10; ++c)
            if (y(i, 0, 0, std::size_t(c)) > y(i, 0, 0, std::size_t(best))) best = c;
        labels.push_back(best);
    }
    const auto r = quant::evaluate_int8(net, ps, random_batch(net, 100, 33), test, labels, {.batch_size = 64});
    CHECK(r.float_accuracy == 1.0);
    CHECK(r.int8_accuracy == r.agreement);
    CHECK(r.agreement >= 0.8);
    CHECK(r.images == 200);
    CHECK(r.calibration_images == 100);
    CHECK(r.max_logit_error <= 8.0);
    labels.pop_back();
    CHECK_THROWS_WITH(quant::evaluate_int8(net, ps, test, test, labels), Catch::Contains("199 labels for 200"));
}

TEST_CASE("each int8 conv / dense / pool kernel is within one output step of float on its int8 operands",
          "[quant]") {
    // For every single-input op without a table-driven activation: run the float op (a one-op network)
    // on the dequantized int8 input with the dequantized int8 weights and int32 biases; the only
    // difference left is the final requantization (0.5 step) and the fixed-point multiplier's rounding.
    g::network convs("conv_variants");  // the conv variants that every_op_network fuses with table activations
    {
        auto in = convs.input({1, 11, 10, 6});
        auto a = convs.depthwise_conv2d(in, {.kernel = 3, .stride = 2, .act = g::activation::relu, .name = "dw_s2"});
        auto b = convs.depthwise_conv2d(a, {.kernel = 5, .multiplier = 3, .name = "dw_mult"});
        auto c = convs.conv2d(b, {.filters = 12, .kernel = 3, .pad = g::padding::valid, .groups = 6,
                                  .act = g::activation::relu6, .name = "grouped"});
        auto d = convs.conv2d(c, {.filters = 8, .kernel = 3, .stride = 2, .groups = 4, .name = "grouped_s2"});
        convs.fully_connected(d, {.units = 7, .act = g::activation::relu, .name = "fc_relu"});
    }
    std::size_t checked = 0;
    for (const auto& net : {every_op_network(), convs}) {
        const auto ps = random_parameters(net, 51);
        const auto x = random_batch(net, 8, 52);
        const auto q = quant::quantize(net, ps, x);
        const auto& qn = q.network();
        for (std::size_t i = 0; i < qn.size(); ++i) {
            const auto& o = qn.ops()[i];
            const bool table = o.act != g::activation::none && o.act != g::activation::relu && o.act != g::activation::relu6;
            if (o.inputs.size() != 1 || table || o.kind == g::op_kind::softmax || o.kind == g::op_kind::activation) continue;
            g::network one("one");
            auto in = one.input(qn.in_shape(i));
            g::op copy = o;
            copy.inputs = {in.id};
            one.append(copy);
            train::parameter_set p1;
            if (o.kind == g::op_kind::conv2d || o.kind == g::op_kind::fully_connected) {
                train::op_parameters p;
                p.op = 1;
                const auto& w = q.weights(i);
                const auto& sw = q.weight_scales(i);
                const std::size_t f = std::size_t(o.filters);
                const auto& xs = qn.in_shape(i);
                p.weight = o.kind == g::op_kind::conv2d
                               ? xt::xtensor<float, 4>(xt::empty<float>(std::array<std::size_t, 4>{
                                     std::size_t(o.kernel_h), std::size_t(o.kernel_w), std::size_t(xs.c / o.groups), f}))
                               : xt::xtensor<float, 4>(xt::empty<float>(std::array<std::size_t, 4>{1, 1, std::size_t(xs.h * xs.w * xs.c), f}));
                for (std::size_t e = 0; e < w.size(); ++e) p.weight.data()[e] = float(w[e]) * sw[e % f];
                if (o.bias) {
                    const double s_in = q.params(o.inputs[0]).scale;
                    p.bias = xt::empty<float>(std::array<std::size_t, 1>{f});
                    for (std::size_t c = 0; c < f; ++c) p.bias(c) = float(q.biases(i)[c] * s_in * sw[c]);
                }
                p1.push_back(std::move(p));
            }
            const auto expected = quant::float_model(one, p1).predict(q.predict(x, o.inputs[0]));
            const auto got = q.predict(x, i);
            const auto& par = q.params(i);
            double worst = 0.0;
            for (std::size_t e = 0; e < got.size(); ++e) {
                const double want = std::clamp(double(expected.data()[e]), double(par.dequantize(-128)), double(par.dequantize(127)));
                worst = std::max(worst, std::abs(want - got.data()[e]) / par.scale);
            }
            INFO("op '" << o.name << "' (" << g::to_string(o.kind) << "): max error " << worst << " output steps");
            CHECK(worst <= 0.5 + 1e-3);
            ++checked;
        }
    }
    CHECK(checked >= 17);
}

TEST_CASE("near-dead filters keep their folded bias, accumulators that could overflow int32 are refused", "[quant]") {
    g::network net("dead");
    auto x = net.input({1, 6, 6, 3});
    auto c = net.conv2d(x, {.filters = 4, .kernel = 3, .name = "c"});
    net.global_avg_pool(c, "pool");
    auto ps = random_parameters(net, 61);
    ps[0].bn_gamma(1) = 1e-9f;  // filter 1 folds to ~1e-9 weights and a bias of beta - mean * ~0
    ps[0].bn_beta(1) = 0.75f;
    const auto in = random_batch(net, 4, 62);
    const auto q = quant::quantize(net, ps, in);
    const auto folded = quant::fold_batch_norm(net, ps);
    const std::size_t conv = q.network().find("c").id;
    const auto yf = quant::float_model(folded.network, folded.parameters).predict(in, conv);
    const auto yq = q.predict(in, conv);
    for (std::size_t e = 1; e < yf.size(); e += 4)  // channel 1: ~0.75 everywhere, within half a step
        CHECK(std::abs(yq.data()[e] - yf.data()[e]) <= 0.5001 * q.params(conv).scale);
    // the channel scale was raised so that the bias fits next to the worst-case accumulation
    CHECK(std::abs(std::int64_t(q.biases(conv)[1])) <= std::int64_t(std::numeric_limits<std::int32_t>::max()) - 27 * 255 * 127);
    CHECK(q.weight_scales(conv)[1] > 1e-9f / 127);

    g::network wide("wide");
    auto w = wide.input({1, 1, 1, 70000});
    wide.fully_connected(w, {.units = 2, .name = "too_wide"});
    const auto pw = random_parameters(wide, 63);
    REQUIRE_THROWS_WITH(quant::quantize(wide, pw, random_batch(wide, 2, 64)),
                        Catch::Contains("'too_wide' accumulates 70000 products") && Catch::Contains("overflow"));
}
