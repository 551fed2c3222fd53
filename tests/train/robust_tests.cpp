// The trainer's guards against being fooled: gradient checks whose tolerance cannot hide a wrong
// formula (fused BN + relu/relu6, BN's multi-threaded path, grouped convolution, a whole network),
// divergence detected where it appears, checkpoints that resume to the same weights, determinism.
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/train.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;
using graph::activation;
using graph::padding;

namespace {

tensor random_tensor(rng& g, shape4 s, double scale = 1.0) {
    tensor t = xt::empty<float>(s);
    for (auto& v : t) v = float(normal01(g) * scale);
    return t;
}

std::string temp_path(const std::string& name) {
    // The process id keeps test runs of other build trees on the same machine off these files.
    return (std::filesystem::temp_directory_path() / ("accelnas_robust_" + std::to_string(::getpid()) + "_" + name)).string();
}

gradcheck_result checked(const gradcheck_result& r) {
    INFO("input " << r.input << " element " << r.element << ": numeric " << r.numeric << " analytic " << r.analytic
                  << " (max error " << r.max_error << ", norm error " << r.max_norm_error << ", " << r.checked
                  << " elements)");
    CHECK(r.ok);
    CHECK(r.checked > 0);
    return r;
}

// Batch-norm inputs whose pre-activations gamma * xhat + beta stay at least `margin` away from the
// kinks of relu6 (0 and 6): beta is chosen per channel in the widest gap, so central differences of
// size eps never straddle a kink.
void away_from_kinks(const tensor& x, const tensor& gamma, tensor& beta, double margin) {
    const std::size_t c = x.shape()[3], rows = x.size() / c;
    for (std::size_t k = 0; k < c; ++k) {
        double s = 0, q = 0;
        for (std::size_t r = 0; r < rows; ++r) s += x.data()[r * c + k];
        const double m = s / double(rows);
        for (std::size_t r = 0; r < rows; ++r) q += (x.data()[r * c + k] - m) * (x.data()[r * c + k] - m);
        const double inv = 1.0 / std::sqrt(q / double(rows) + 1e-3);
        double best = -1, best_b = 0;
        for (double b = -2.0; b <= 2.0; b += 0.005) {
            double d = 1e9;
            for (std::size_t r = 0; r < rows; ++r) {
                const double z = gamma.data()[k] * (x.data()[r * c + k] - m) * inv + b;
                d = std::min({d, std::abs(z), std::abs(z - 6.0)});
            }
            if (d > best) best = d, best_b = b;
        }
        REQUIRE(best > margin);
        beta.data()[k] = float(best_b);
    }
}

graph::network small_network() {
    graph::network n("small");
    auto x = n.input({1, 6, 6, 3});
    auto a = n.conv2d(x, {.filters = 4, .kernel = 3, .stride = 1, .act = activation::relu6});
    auto b = n.conv2d(a, {.filters = 4, .kernel = 3, .stride = 1, .groups = 4, .act = activation::relu});
    b = n.conv2d(b, {.filters = 4, .kernel = 1, .groups = 2, .act = activation::none});
    auto c = n.add({a, b});
    c = n.global_avg_pool(c);
    n.fully_connected(c, {.units = 5, .bias = true});
    return n;
}

}  // namespace

TEST_CASE("the gradient check catches a formula that is off by a few percent", "[train][gradcheck]") {
    rng g(1);
    // y = 0.05 x^2 has the derivative 0.1 x, about 0.1 on these inputs; the backward of this op is
    // wrong by 5% on every element. The old scale max(1, |analytic|) called that an error of 0.005.
    auto x = random_tensor(g, {1, 1, 2, 3});
    for (auto& v : x) v = 1.0f + 0.1f * v;
    auto wrong = [](tape& t, std::vector<var>& v) {
        const auto s = shape_of(t.value(v[0]));
        auto y = t.push(s, t.at(v[0]).requires_grad);
        for (std::size_t i = 0; i < elements(s); ++i) t.value(y).data()[i] = 0.05f * t.value(v[0]).data()[i] * t.value(v[0]).data()[i];
        if (t.at(y).requires_grad) {
            t.at(y).parents.push_back(v[0].id);
            t.at(y).backward = [xi = v[0].id](tape& tp, node& self) {
                float* dx = tp.grad_of(xi).data();
                for (std::size_t i = 0; i < self.value().size(); ++i)
                    dx[i] += self.grad().data()[i] * 0.105f * tp.at(xi).value().data()[i];
            };
        }
        return y;
    };
    const auto r = check_gradients(wrong, {x}, g);
    CHECK_FALSE(r.ok);
    CHECK(r.max_error > 0.04);
    // A real op with its gradient perturbed by 3% on one channel only: batch norm with fused relu6.
    auto x2 = random_tensor(g, {2, 3, 3, 4}, 2.0);
    tensor ga = random_tensor(g, {1, 1, 1, 4}, 0.3), be = xt::zeros<float>(shape4{1, 1, 1, 4});
    for (auto& v : ga) v += 1.0f;
    away_from_kinks(x2, ga, be, 0.06);
    tensor rm = xt::zeros<float>(shape4{1, 1, 1, 4}), rv = xt::ones<float>(shape4{1, 1, 1, 4});
    for (bool perturb : {false, true}) {
        auto f = [&](tape& t, std::vector<var>& v) {
            auto y = batch_norm(v[0], v[1], v[2], {&rm, &rv, 0.9f, 1e-3f}, true, activation::relu6);
            if (perturb && t.at(y).requires_grad) {
                auto inner = t.at(y).backward;
                t.at(y).backward = [inner](tape& tp, node& self) {
                    for (std::size_t i = 2; i < self.grad().size(); i += 4) self.grad().data()[i] *= 1.03f;
                    inner(tp, self);
                };
            }
            return y;
        };
        const auto res = check_gradients(f, {x2, ga, be}, g);
        INFO("perturbed " << perturb << ": max error " << res.max_error);
        CHECK(res.ok == !perturb);
    }
}

TEST_CASE("fused batch norm + relu/relu6 passes the gradient check, single- and multi-threaded", "[train][gradcheck]") {
    rng g(31);
    for (auto a : {activation::relu, activation::relu6, activation::none}) {
        // 2x3x3x5: one thread; 8x32x32x5 = 40960 elements: above the 2^15 at which batch norm splits its
        // statistics and its backward over threads (a sample of the input elements is checked).
        for (shape4 s : {shape4{2, 3, 3, 5}, shape4{8, 32, 32, 5}}) {
            const bool big = s[0] == 8;
            INFO("activation " << graph::to_string(a) << " shape " << s[0] << "x" << s[1] << "x" << s[2] << "x" << s[3]);
            auto x = random_tensor(g, s, 2.0);
            // 8192 values per channel leave no gap around a kink by chance: they are drawn in clusters.
            if (big)
                for (auto& v : x) v = float(uniform_index(g, 4)) - 1.5f + 0.02f * v;
            tensor ga = random_tensor(g, {1, 1, 1, 5}, 0.3), be = xt::zeros<float>(shape4{1, 1, 1, 5});
            for (auto& v : ga) v += 1.0f;
            away_from_kinks(x, ga, be, big ? 0.15 : 0.06);
            tensor rm = xt::zeros<float>(shape4{1, 1, 1, 5}), rv = xt::ones<float>(shape4{1, 1, 1, 5});
            for (bool training : {true, false}) {
                gradcheck_options o;
                o.threads = 2;
                o.sample = big ? 60 : 0;
                // The rounding noise of L = sum(y * R) grows with sqrt(outputs): a larger step and
                // floor for the 40960 outputs (still relative above 0.05).
                o.eps = big ? 5e-2 : 1e-2;
                o.floor = big ? 5e-2 : 1e-2;
                auto f = [&](tape&, std::vector<var>& v) {
                    return batch_norm(v[0], v[1], v[2], {&rm, &rv, 0.9f, 1e-3f}, training, a);
                };
                const auto r = check_gradients(f, {x, ga, be}, g, o);
                INFO("training " << training << ": element " << r.max_error << " norm " << r.max_norm_error << " at input "
                                 << r.input << " numeric " << r.numeric << " analytic " << r.analytic);
                CHECK(r.ok);
                CHECK(r.max_norm_error < 1e-2);
            }
        }
    }
}

TEST_CASE("grouped convolution passes the gradient check with two threads", "[train][gradcheck]") {
    rng g(41);
    for (std::size_t groups : {2, 3}) {
        auto x = random_tensor(g, {3, 6, 5, 6});
        auto w = random_tensor(g, {3, 3, 6 / groups, 6}, 0.5);
        gradcheck_options o;
        o.threads = 2;
        checked(check_gradients([groups](tape&, std::vector<var>& v) { return conv2d(v[0], v[1], 1, 2, padding::same, groups); },
                                {x, w}, g, o));
    }
}

namespace {

// Direct convolution in double (SAME or VALID, groups 1): the reference for the GEMM paths.
tensor direct_conv(const tensor& x, const tensor& w, std::size_t sh, std::size_t sw, padding pad) {
    const std::size_t n = x.shape()[0], h = x.shape()[1], wd = x.shape()[2], c = x.shape()[3];
    const std::size_t kh = w.shape()[0], kw = w.shape()[1], oc = w.shape()[3];
    const auto y = graph::window_along(std::int64_t(h), std::int64_t(kh), std::int64_t(sh), pad);
    const auto xa = graph::window_along(std::int64_t(wd), std::int64_t(kw), std::int64_t(sw), pad);
    tensor out = xt::zeros<float>(shape4{n, std::size_t(y.out), std::size_t(xa.out), oc});
    for (std::size_t i = 0; i < n; ++i)
        for (std::int64_t oy = 0; oy < y.out; ++oy)
            for (std::int64_t ox = 0; ox < xa.out; ++ox)
                for (std::size_t o = 0; o < oc; ++o) {
                    double s = 0;
                    for (std::size_t ky = 0; ky < kh; ++ky)
                        for (std::size_t kx = 0; kx < kw; ++kx) {
                            const std::int64_t iy = oy * std::int64_t(sh) + std::int64_t(ky) - y.pad_before;
                            const std::int64_t ix = ox * std::int64_t(sw) + std::int64_t(kx) - xa.pad_before;
                            if (iy < 0 || ix < 0 || iy >= std::int64_t(h) || ix >= std::int64_t(wd)) continue;
                            for (std::size_t ci = 0; ci < c; ++ci)
                                s += double(x(i, std::size_t(iy), std::size_t(ix), ci)) * double(w(ky, kx, ci, o));
                        }
                    out(i, std::size_t(oy), std::size_t(ox), o) = float(s);
                }
    return out;
}

}  // namespace

TEST_CASE("convolutions of few pixels (column split, trimmed windows, window classes) are right on 1 and 2 threads",
          "[train][gradcheck]") {
    // Batches of 1-4 pixels per image split their GEMMs by columns on two threads; windows that reach
    // past a tiny input are trimmed to the taps that see it (3x3 SAME on 1x1 is its centre tap, on
    // 1x3 its middle row), or split into classes of pixels with the same taps inside when a quarter
    // of the im2col GEMM would be padding: forward values against a direct convolution, gradients
    // against central differences, on 1 and 2 threads.
    struct conv_case {
        shape4 x;
        std::size_t k, filters, stride;
        padding pad;
    };
    const std::vector<conv_case> cases{
        {{6, 1, 1, 5}, 3, 70, 1, padding::same},    // trimmed to the centre tap (a pointwise GEMM)
        {{4, 1, 3, 4}, 3, 66, 1, padding::same},    // trimmed to the middle kernel row
        {{5, 2, 2, 3}, 3, 64, 1, padding::same},    // window classes: 4 of 9 taps inside for every pixel
        {{3, 4, 4, 6}, 3, 40, 1, padding::same},    // window classes: corners, edges and interior of 4x4
        {{3, 4, 4, 5}, 3, 64, 2, padding::same},    // window classes with stride 2 (padding at the end)
        {{6, 3, 3, 4}, 3, 64, 1, padding::valid},   // no padding: im2col of the whole batch, column split
        {{6, 2, 2, 70}, 1, 66, 1, padding::same},   // pointwise: dx split by input channels
        {{3, 3, 3, 40}, 1, 64, 2, padding::valid},  // strided 1x1 (im2col), VALID
    };
    rng g(43);
    for (const auto& c : cases) {
        INFO("input " << c.x[0] << "x" << c.x[1] << "x" << c.x[2] << "x" << c.x[3] << " kernel " << c.k << " filters "
                      << c.filters << " stride " << c.stride);
        auto x = random_tensor(g, c.x);
        auto w = random_tensor(g, {c.k, c.k, c.x[3], c.filters}, 0.3);
        const auto ref = direct_conv(x, w, c.stride, c.stride, c.pad);
        for (std::size_t threads : {1, 2}) {
            tape t(threads);
            auto y = conv2d(t.constant(x), t.constant(w), int(c.stride), int(c.stride), c.pad, 1);
            REQUIRE(shape_of(t.value(y)) == shape_of(ref));
            for (std::size_t i = 0; i < ref.size(); ++i) REQUIRE(t.value(y).data()[i] == Approx(ref.data()[i]).margin(1e-4));
            gradcheck_options o;
            o.threads = threads;
            o.sample = 200;
            const auto r = checked(check_gradients(
                [&](tape&, std::vector<var>& v) { return conv2d(v[0], v[1], int(c.stride), int(c.stride), c.pad, 1); },
                {x, w}, g, o));
            CHECK(r.max_error < 1e-2);
        }
    }
}

TEST_CASE("a residual add with a fused relu/relu6 equals add then activate, and passes the gradient check",
          "[train][gradcheck]") {
    rng g(47);
    // Values spread over (-8, 8) so that both kinks of relu6 are crossed, none within eps of a kink.
    auto spread = [&](shape4 s) {
        tensor t = xt::empty<float>(s);
        for (auto& v : t) {
            double x = normal01(g) * 4.0;
            for (double kink : {0.0, 6.0})
                if (std::abs(x - kink) < 0.1) x = kink + (x < kink ? -0.1 : 0.1);
            v = float(x / 2);
        }
        return t;
    };
    for (auto act : {activation::relu, activation::relu6})
        for (std::size_t threads : {1, 2}) {
            // 2 x 64 x 32 x 8 elements: above the size at which element-wise ops split over threads.
            const tensor a = spread({2, 64, 32, 8});
            const tensor b = a;  // the sum 2a stays away from the kinks
            tape t(threads);
            const var xs[2] = {t.variable(a), t.variable(b)};
            auto fused = add(xs, act);
            auto plain = activate(add(xs[0], xs[1]), act);
            const bool same = t.value(fused) == t.value(plain);
            REQUIRE(same);
            gradcheck_options o;
            o.threads = threads;
            o.sample = 100;
            checked(check_gradients([act](tape&, std::vector<var>& v) { const var p[2] = {v[0], v[1]}; return add(p, act); },
                                    {a, b}, g, o));
        }
}

TEST_CASE("a whole small network passes a model-level gradient check", "[train][gradcheck]") {
    rng g(5);
    model m(small_network(), g);
    // Central differences that move a whole channel across a relu kink are wrong by a large part of
    // that channel's contribution, so the kinked batch norms get gamma 0.5 and a beta of +-2.5 per
    // channel: "on" channels stay inside (0, 6), "off" channels below 0 (their gradient must be 0,
    // which checks the masks).
    for (auto& p : m.parameters()) {
        const bool kinked = p.name.rfind("conv2d_1/", 0) == 0 || p.name.rfind("conv2d_2/", 0) == 0;
        if (kinked && p.name.ends_with("/gamma")) std::fill(p.value.begin(), p.value.end(), 0.5f);
        if (kinked && p.name.ends_with("/beta"))
            for (std::size_t k = 0; k < p.value.size(); ++k) p.value.data()[k] = k % 2 ? -2.5f : 2.5f;
    }
    const auto batch = random_tensor(g, {4, 6, 6, 3});
    const std::vector<std::int32_t> labels{0, 3, 1, 4};
    for (std::size_t threads : {1, 2}) {
        gradcheck_options o;
        o.threads = threads;
        o.eps = 1e-2;
        rng gs(1);
        const auto r = check_model_gradients(m, batch, labels, gs, o);
        INFO("threads " << threads << ": parameter '" << m.parameters()[r.input].name << "' element " << r.element
                        << " numeric " << r.numeric << " analytic " << r.analytic << " error " << r.max_error
                        << "; norm error " << r.max_norm_error << " at '" << m.parameters()[r.norm_input].name << "'");
        CHECK(r.checked == m.parameter_count());
        CHECK(r.ok);
        CHECK(r.max_norm_error < 1e-2);
    }
}

TEST_CASE("divergence is caught where it appears and names the op", "[train]") {
    // An overflowing batch variance: finite inputs whose squares overflow float.
    {
        tape t;
        tensor x = xt::zeros<float>(shape4{2, 2, 2, 2});
        x(0, 0, 0, 1) = 3e19f;
        x(1, 1, 1, 1) = -3e19f;
        tensor rm = xt::zeros<float>(shape4{1, 1, 1, 2}), rv = xt::ones<float>(shape4{1, 1, 1, 2});
        auto ga = t.constant(xt::ones<float>(shape4{1, 1, 1, 2})), be = t.constant(xt::zeros<float>(shape4{1, 1, 1, 2}));
        CHECK_THROWS_AS(batch_norm(t.variable(x), ga, be, {&rm, &rv, 0.9f, 1e-3f}, true), diverged);
        CHECK_THROWS_WITH(batch_norm(t.variable(x), ga, be, {&rm, &rv, 0.9f, 1e-3f}, true),
                          Catch::Contains("variance of channel 1"));
    }
    // A standalone relu no longer turns a NaN into 0.
    {
        tape t;
        tensor x = xt::ones<float>(shape4{1, 1, 2, 2});
        x(0, 0, 1, 0) = std::numeric_limits<float>::quiet_NaN();
        CHECK_THROWS_WITH(activate(t.variable(x), activation::relu), Catch::Contains("element 2"));
        // Nor does a residual add's fused relu.
        const var xs[2] = {t.variable(x), t.variable(xt::ones<float>(shape4{1, 1, 2, 2}))};
        CHECK_THROWS_WITH(add(xs, activation::relu), Catch::Contains("element 2"));
    }
    // In a model: a NaN weight in the first conv is reported at the batch norm that meets it, and
    // the first op whose output is non-finite is named.
    {
        rng g(2);
        model m(small_network(), g);
        m.parameters()[0].value(1, 1, 0, 0) = std::numeric_limits<float>::quiet_NaN();
        tape t;
        const auto batch = random_tensor(g, {2, 6, 6, 3});
        CHECK_THROWS_AS(m.forward(t, batch, true), diverged);
        CHECK_THROWS_WITH(m.forward(t, batch, true),
                          Catch::Contains("op '" + m.network().ops()[1].name + "'") && Catch::Contains("batch mean"));
    }
    // A non-finite running statistic (e.g. from a loaded checkpoint) is an error in inference too.
    {
        rng g(2);
        model m(small_network(), g);
        auto& rv = const_cast<tensor&>(m.bn_statistics(1).second);
        rv(0, 0, 0, 2) = std::numeric_limits<float>::infinity();
        CHECK_THROWS_AS(m.predict(random_tensor(g, {2, 6, 6, 3})), diverged);
    }
}

TEST_CASE("a resumed run ends with bitwise the weights of the uninterrupted run", "[train]") {
    const dataset d = load_fashion_mnist(ACCELNAS_FMNIST_DIR, 300, 50);
    const auto net = graph::load_network(ACCELNAS_SOURCE_DIR "/examples/specs/peer_mbconv.json");
    const auto ckpt = temp_path("resume.ckpt");
    for (int which = 0; which < 3; ++which) {
        fit_options o;
        o.epochs = 3;
        o.threads = 2;
        o.augment.shift = 2;  // the rng state matters
        o.optimizer = which == 0 ? optimizer(sgd{}) : which == 1 ? optimizer(rmsprop{}) : optimizer(adam{});
        o.lr = which == 0 ? 0.1f : 0.01f;
        auto run = [&](fit_options oo) {
            rng g(7);
            model m(adapt_network(net, 32, 1, 10), g);
            const auto r = fit(m, d, oo);
            return std::pair{m.export_parameters(), r};
        };
        const auto [full, full_res] = run(o);
        fit_options first = o;
        first.checkpoint = ckpt;
        first.stop_after = 1;
        const auto [part, part_res] = run(first);
        CHECK(part_res.epochs == 1);
        fit_options second = o;
        second.resume = ckpt;
        const auto [resumed, resumed_res] = run(second);
        INFO("optimizer " << which);
        CHECK(resumed_res.epochs == 3);
        CHECK(resumed_res.history.size() == 2);
        REQUIRE(full.size() == resumed.size());
        bool same = true, differs_from_part = false;
        for (std::size_t i = 0; i < full.size(); ++i) {
            same = same && full[i].weight == resumed[i].weight && full[i].bn_mean == resumed[i].bn_mean &&
                   full[i].bn_var == resumed[i].bn_var && full[i].bn_gamma == resumed[i].bn_gamma;
            differs_from_part = differs_from_part || full[i].weight != part[i].weight;
        }
        CHECK(same);
        CHECK(differs_from_part);
        CHECK(resumed_res.test_acc == full_res.test_acc);
        // Another run's settings are refused, naming both.
        fit_options other = second;
        other.lr *= 2;
        CHECK_THROWS_WITH(run(other), Catch::Contains("of another run") && Catch::Contains("lr="));
    }
    // Truncated training checkpoints are errors and leave the model unchanged.
    {
        std::ifstream in(ckpt, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto cut = temp_path("cut.ckpt");
        for (std::size_t keep : {bytes.size() - 3, bytes.size() / 2, std::size_t(20)}) {
            std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(keep));
            rng g(7);
            model m(adapt_network(net, 32, 1, 10), g);
            const auto before = m.export_parameters();
            CHECK_THROWS_AS(load_training_checkpoint(cut, m), accelnas::error);
            const auto after = m.export_parameters();
            bool same = true;
            for (std::size_t i = 0; i < before.size(); ++i) same = same && before[i].weight == after[i].weight;
            CHECK(same);
        }
        std::remove(cut.c_str());
        // load_weights reads either kind.
        rng g(7);
        model m(adapt_network(net, 32, 1, 10), g);
        CHECK_NOTHROW(load_weights(m, ckpt));
    }
    std::remove(ckpt.c_str());
}

TEST_CASE("the checkpoint fingerprint covers activation, padding and reshape targets", "[train]") {
    auto make = [](activation a, padding p) {
        graph::network n("fp");
        auto x = n.input({1, 8, 8, 1});
        x = n.conv2d(x, {.filters = 4, .kernel = 3, .stride = 2, .pad = p, .act = a});
        x = n.global_avg_pool(x);
        n.fully_connected(x, {.units = 3});
        return n;
    };
    const auto path = temp_path("fp.ckpt");
    rng g(1);
    model base(make(activation::relu, padding::same), g);
    base.save(path);
    rng g2(1);
    model other_act(make(activation::relu6, padding::same), g2);
    CHECK_THROWS_WITH(other_act.load(path), Catch::Contains("another network"));
    rng g3(1);
    model other_pad(make(activation::relu, padding::valid), g3);
    CHECK_THROWS_WITH(other_pad.load(path), Catch::Contains("another network"));
    rng g4(1);
    model same(make(activation::relu, padding::same), g4);
    CHECK_NOTHROW(same.load(path));
    std::remove(path.c_str());
}
