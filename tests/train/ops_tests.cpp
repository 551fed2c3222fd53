// Every differentiable op against the library's central-difference gradient checker, on random
// shapes with stride 2, odd sizes, SAME/VALID padding and groups; plus forward values checked by hand.
#include <accelnas/train/gradcheck.hpp>
#include <accelnas/train/ops.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <vector>

using namespace accelnas;
using namespace accelnas::train;
using graph::activation;
using graph::padding;

namespace {

tensor random_tensor(rng& g, shape4 s, double scale = 1.0, double away_from_zero = 0.0) {
    tensor t = xt::empty<float>(s);
    for (auto& v : t) {
        double x = normal01(g) * scale;
        // Keep inputs of kinked functions (relu, max) away from the kink so differences are smooth.
        if (away_from_zero > 0 && std::abs(x) < away_from_zero) x = x < 0 ? x - away_from_zero : x + away_from_zero;
        v = float(x);
    }
    return t;
}

template <class F>
void require_gradients(F f, std::vector<tensor> inputs, std::uint64_t seed = 1, std::size_t threads = 1) {
    rng g(seed);
    const auto r = check_gradients(f, std::move(inputs), g, 1e-2, 1e-2, threads);
    INFO("input " << r.input << " element " << r.element << ": numeric " << r.numeric << " analytic " << r.analytic);
    CHECK(r.max_error < 1e-2);
    CHECK(r.ok);
}

}  // namespace

TEST_CASE("conv2d passes the gradient check: strides, odd sizes, padding, groups", "[train][gradcheck]") {
    rng g(7);
    struct conv_case {
        shape4 x;
        std::size_t kh, kw, groups, filters;
        int sh, sw;
        padding pad;
    };
    const std::vector<conv_case> cases{
        {{2, 5, 7, 3}, 3, 3, 1, 4, 1, 1, padding::same},     // general, odd sizes
        {{2, 7, 5, 4}, 3, 3, 1, 5, 2, 2, padding::same},     // stride 2, SAME (odd pixel at the end)
        {{1, 6, 7, 4}, 3, 2, 2, 6, 2, 1, padding::valid},    // groups 2, rectangular kernel, VALID
        {{2, 7, 7, 6}, 3, 3, 6, 6, 2, 2, padding::same},     // depthwise stride 2
        {{2, 5, 6, 3}, 5, 5, 3, 6, 1, 1, padding::same},     // depthwise multiplier 2, 5x5
        {{2, 4, 5, 6}, 1, 1, 1, 7, 1, 1, padding::same},     // pointwise (GEMM)
        {{2, 5, 5, 4}, 1, 1, 2, 4, 2, 2, padding::valid},    // strided grouped 1x1
    };
    for (const auto& c : cases) {
        INFO("input " << c.x[0] << "x" << c.x[1] << "x" << c.x[2] << "x" << c.x[3] << " kernel " << c.kh << "x" << c.kw
                      << " groups " << c.groups << " stride " << c.sh << "x" << c.sw);
        auto x = random_tensor(g, c.x);
        auto w = random_tensor(g, {c.kh, c.kw, c.x[3] / c.groups, c.filters}, 0.5);
        for (std::size_t threads : {1, 2})
            require_gradients([&](tape&, std::vector<var>& v) { return conv2d(v[0], v[1], c.sh, c.sw, c.pad, c.groups); },
                              {x, w}, 3, threads);
    }
}

TEST_CASE("gradients accumulate when a variable feeds several ops (residual blocks)", "[train][gradcheck]") {
    rng g(19);
    auto x = random_tensor(g, {2, 5, 5, 4});
    auto w1 = random_tensor(g, {1, 1, 4, 4}, 0.5), w3 = random_tensor(g, {3, 3, 4, 4}, 0.5);
    auto wd = random_tensor(g, {3, 3, 1, 4}, 0.5);
    tensor rm = xt::zeros<float>(shape4{1, 1, 1, 4}), rv = xt::ones<float>(shape4{1, 1, 1, 4});
    for (std::size_t threads : {1, 2})
        require_gradients(
            [&](tape& t, std::vector<var>& v) {
                // x feeds the residual add, a pointwise, a 3x3 and a depthwise conv and a batch norm:
                // its gradient is assigned by the first op to reach it and added to by the others.
                auto gamma = t.constant(xt::ones<float>(shape4{1, 1, 1, 4}));
                auto beta = t.constant(xt::zeros<float>(shape4{1, 1, 1, 4}));
                const var parts[5] = {v[0], conv2d(v[0], v[1], 1, 1, padding::same, 1),
                                      conv2d(v[0], v[2], 1, 1, padding::same, 1),
                                      conv2d(v[0], v[3], 1, 1, padding::same, 4),
                                      batch_norm(v[0], gamma, beta, {&rm, &rv, 0.9f, 1e-3f}, true)};
                return add(parts);
            },
            {x, w1, w3, wd}, 5, threads);
}

TEST_CASE("conv2d forward matches a direct convolution", "[train]") {
    rng g(3);
    const shape4 xs{2, 6, 5, 4};
    auto x = random_tensor(g, xs);
    auto w = random_tensor(g, {3, 3, 2, 4});
    tape t;
    auto y = conv2d(t.constant(x), t.constant(w), 2, 2, padding::same, 2);
    const auto& out = t.value(y);
    REQUIRE(shape_of(out) == shape4{2, 3, 3, 4});
    // SAME with stride 2 on 6 rows: out 3, total pad (3-1)*2+3-6 = 1, top 0; 5 cols: out 3, pad 2, left 1.
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t oy = 0; oy < 3; ++oy)
            for (std::size_t ox = 0; ox < 3; ++ox)
                for (std::size_t o = 0; o < 4; ++o) {
                    const std::size_t grp = o / 2;
                    double s = 0;
                    for (std::size_t ky = 0; ky < 3; ++ky)
                        for (std::size_t kx = 0; kx < 3; ++kx) {
                            const long iy = long(oy * 2 + ky), ix = long(ox * 2 + kx) - 1;
                            if (iy < 0 || iy >= 6 || ix < 0 || ix >= 5) continue;
                            for (std::size_t ci = 0; ci < 2; ++ci)
                                s += double(x(n, std::size_t(iy), std::size_t(ix), grp * 2 + ci)) * w(ky, kx, ci, o);
                        }
                    CHECK(out(n, oy, ox, o) == Approx(s).margin(1e-4));
                }
}

TEST_CASE("fully_connected, bias_add, add, mul, concat pass the gradient check", "[train][gradcheck]") {
    rng g(11);
    auto x = random_tensor(g, {3, 2, 3, 4});
    require_gradients([](tape&, std::vector<var>& v) { return fully_connected(v[0], v[1]); },
                      {x, random_tensor(g, {1, 1, 24, 5}, 0.3)});
    require_gradients([](tape&, std::vector<var>& v) { return bias_add(v[0], v[1]); }, {x, random_tensor(g, {1, 1, 1, 4})});
    require_gradients([](tape&, std::vector<var>& v) { return add(v[0], v[1]); }, {x, random_tensor(g, {3, 2, 3, 4})});
    require_gradients([](tape&, std::vector<var>& v) { return mul(v[0], v[1]); }, {x, random_tensor(g, {3, 2, 3, 4})});
    require_gradients([](tape&, std::vector<var>& v) { return mul(v[0], v[1]); }, {x, random_tensor(g, {3, 1, 1, 4})});
    require_gradients([](tape&, std::vector<var>& v) { const var xs[3] = {v[0], v[1], v[2]}; return concat(xs); },
                      {x, random_tensor(g, {3, 2, 3, 1}), random_tensor(g, {3, 2, 3, 3})});
    require_gradients([](tape&, std::vector<var>& v) { const var xs[3] = {v[0], v[1], v[0]}; return add(xs); },
                      {x, random_tensor(g, {3, 2, 3, 4})});
}

TEST_CASE("pooling, global pooling, reshape and pad pass the gradient check", "[train][gradcheck]") {
    rng g(5);
    auto x = random_tensor(g, {2, 7, 6, 3});
    for (auto pad : {padding::same, padding::valid}) {
        require_gradients([pad](tape&, std::vector<var>& v) { return pool(v[0], true, 3, 3, 2, 2, pad); }, {x});
        require_gradients([pad](tape&, std::vector<var>& v) { return pool(v[0], false, 3, 2, 2, 1, pad); }, {x});
        require_gradients([pad](tape&, std::vector<var>& v) { return pool(v[0], false, 3, 3, 2, 2, pad, true); }, {x});
    }
    require_gradients([](tape&, std::vector<var>& v) { return global_avg_pool(v[0]); }, {x});
    require_gradients([](tape&, std::vector<var>& v) { return reshape(v[0], {2, 1, 1, 126}); }, {x});
    require_gradients([](tape&, std::vector<var>& v) { return pad(v[0], 1, 2, 0, 3); }, {x});
}

TEST_CASE("pooling values: SAME average divides by valid taps unless count_include_pad", "[train]") {
    tensor x = xt::ones<float>(shape4{1, 3, 3, 1});
    tape t;
    auto a = pool(t.constant(x), false, 2, 2, 2, 2, padding::same);
    auto b = pool(t.constant(x), false, 2, 2, 2, 2, padding::same, true);
    CHECK(t.value(a)(0, 1, 1, 0) == Approx(1.0));
    CHECK(t.value(b)(0, 1, 1, 0) == Approx(0.25));  // one valid tap of four
    x(0, 2, 0, 0) = 5;
    auto m = pool(t.constant(x), true, 2, 2, 2, 2, padding::same);
    CHECK(t.value(m)(0, 1, 0, 0) == 5.0f);
}

TEST_CASE("activations pass the gradient check", "[train][gradcheck]") {
    rng g(9);
    for (auto a : {activation::relu, activation::relu6, activation::sigmoid, activation::hard_sigmoid, activation::swish,
                   activation::hard_swish, activation::none}) {
        INFO("activation " << graph::to_string(a));
        // Spread 0..4 sigma so relu6 and the hard functions see both sides of their kinks at +-3 and 6.
        auto x = random_tensor(g, {2, 3, 3, 5}, 3.0, 0.05);
        for (auto& v : x)
            for (float k : {-3.0f, 3.0f, 6.0f})
                if (std::abs(v - k) < 0.05f) v += 0.1f;
        require_gradients([a](tape&, std::vector<var>& v) { return activate(v[0], a); }, {x});
    }
}

TEST_CASE("batch norm passes the gradient check in training and inference modes", "[train][gradcheck]") {
    rng g(13);
    auto x = random_tensor(g, {3, 3, 2, 4}, 2.0);
    for (auto& v : x) v += 1.0f;
    tensor rm = xt::zeros<float>(shape4{1, 1, 1, 4}), rv = xt::ones<float>(shape4{1, 1, 1, 4});
    for (bool training : {true, false})
        for (auto a : {activation::none, activation::swish}) {
            INFO("training " << training << " activation " << graph::to_string(a));
            require_gradients(
                [&](tape&, std::vector<var>& v) {
                    return batch_norm(v[0], v[1], v[2], {&rm, &rv, 0.9f, 1e-3f}, training, a);
                },
                {x, random_tensor(g, {1, 1, 1, 4}, 0.5), random_tensor(g, {1, 1, 1, 4}, 0.5)});
        }
}

TEST_CASE("batch norm with fused relu/relu6 equals batch norm followed by the activation", "[train]") {
    // Central differences straddle the kink for whole channels when gamma or beta move, so the fused
    // kinked activations are checked against the (gradient-checked) unfused composition instead.
    rng g(21);
    const auto x0 = random_tensor(g, {4, 3, 3, 5}, 2.0);
    const auto g0 = random_tensor(g, {1, 1, 1, 5}), b0 = random_tensor(g, {1, 1, 1, 5});
    for (bool training : {true, false})
        for (auto a : {activation::relu, activation::relu6}) {
            INFO("training " << training << " activation " << graph::to_string(a));
            std::vector<tensor> grads[2];
            std::vector<tensor> outs;
            for (int fused = 0; fused < 2; ++fused) {
                tensor rm = xt::zeros<float>(shape4{1, 1, 1, 5}), rv = xt::ones<float>(shape4{1, 1, 1, 5});
                tape t(2);
                auto x = t.variable(x0), ga = t.variable(g0), be = t.variable(b0);
                const batch_norm_state st{&rm, &rv, 0.9f, 1e-3f};
                auto y = fused ? batch_norm(x, ga, be, st, training, a)
                               : activate(batch_norm(x, ga, be, st, training), a);
                tensor seed = random_tensor(g, {4, 3, 3, 5});
                if (fused) seed = grads[0].back();  // the same seed for both
                t.backward(y, seed);
                outs.push_back(t.value(y));
                grads[fused] = {*t.gradient(x), *t.gradient(ga), *t.gradient(be), seed};
            }
            CHECK(xt::allclose(outs[0], outs[1], 1e-5, 1e-5));
            for (int k = 0; k < 3; ++k) CHECK(xt::allclose(grads[0][k], grads[1][k], 1e-4, 1e-4));
        }
}

TEST_CASE("batch norm normalises and tracks running statistics", "[train]") {
    tensor x = xt::empty<float>(shape4{4, 1, 1, 2});
    const float col0[4] = {1, 2, 3, 4}, col1[4] = {10, 10, 10, 10};
    for (std::size_t i = 0; i < 4; ++i) {
        x(i, 0, 0, 0) = col0[i];
        x(i, 0, 0, 1) = col1[i];
    }
    tensor rm = xt::zeros<float>(shape4{1, 1, 1, 2}), rv = xt::ones<float>(shape4{1, 1, 1, 2});
    tape t;
    auto gamma = t.constant(xt::ones<float>(shape4{1, 1, 1, 2}));
    auto beta = t.constant(xt::zeros<float>(shape4{1, 1, 1, 2}));
    auto y = batch_norm(t.constant(x), gamma, beta, {&rm, &rv, 0.9f, 0.0f}, true);
    CHECK(t.value(y)(0, 0, 0, 0) == Approx(-1.5 / std::sqrt(1.25)));
    CHECK(rm(0, 0, 0, 0) == Approx(0.25));
    CHECK(rv(0, 0, 0, 0) == Approx(0.9 + 0.1 * (5.0 / 3.0)));  // unbiased batch variance 5/3
    CHECK(rv(0, 0, 0, 1) == Approx(0.9));
}

TEST_CASE("dropout and softmax pass the gradient check, softmax cross-entropy is right", "[train][gradcheck]") {
    rng g(17);
    auto x = random_tensor(g, {2, 2, 3, 4});
    require_gradients([](tape&, std::vector<var>& v) {
        rng local(42);
        return dropout(v[0], 0.3f, local, true);
    }, {x});
    require_gradients([](tape&, std::vector<var>& v) { return softmax(v[0]); }, {x});
    const std::vector<std::int32_t> labels{1, 3, 0};
    for (float s : {0.0f, 0.1f})
        require_gradients([&](tape&, std::vector<var>& v) { return softmax_cross_entropy(v[0], labels, s); },
                          {random_tensor(g, {3, 1, 1, 4})});
    // Uniform logits over k classes: loss log(k) whatever the smoothing.
    tape t;
    auto l = softmax_cross_entropy(t.constant(xt::zeros<float>(shape4{3, 1, 1, 4})), labels, 0.2f);
    CHECK(t.value(l)(0, 0, 0, 0) == Approx(std::log(4.0)));
    CHECK_THROWS_AS(softmax_cross_entropy(t.constant(xt::zeros<float>(shape4{3, 1, 1, 4})), std::vector<std::int32_t>{0, 1, 4}),
                    accelnas::error);
}

TEST_CASE("soft-target cross-entropy passes the gradient check and is the hard one on one-hot targets", "[train][gradcheck]") {
    rng g(23);
    // targets: a teacher's softmax of other random logits (rows sum to 1)
    const auto teacher = random_tensor(g, {3, 1, 1, 4});
    std::vector<float> q(12);
    for (std::size_t i = 0; i < 3; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < 4; ++j) s += std::exp(double(teacher.data()[i * 4 + j]));
        for (std::size_t j = 0; j < 4; ++j) q[i * 4 + j] = float(std::exp(double(teacher.data()[i * 4 + j])) / s);
    }
    require_gradients([&](tape&, std::vector<var>& v) { return soft_cross_entropy(v[0], q); }, {random_tensor(g, {3, 1, 1, 4})});
    // one-hot targets: the hard-label loss and gradient, to the last bit of the loss's float
    const std::vector<std::int32_t> labels{2, 0, 3};
    std::vector<float> one_hot(12, 0.0f);
    for (std::size_t i = 0; i < 3; ++i) one_hot[i * 4 + std::size_t(labels[i])] = 1.0f;
    const auto x = random_tensor(g, {3, 1, 1, 4});
    tape t, th;
    auto a = t.variable(x), b = th.variable(x);
    auto ls = soft_cross_entropy(a, one_hot), lh = softmax_cross_entropy(b, labels);
    CHECK(t.value(ls)(0, 0, 0, 0) == th.value(lh)(0, 0, 0, 0));
    t.backward(ls);
    th.backward(lh);
    for (std::size_t i = 0; i < 12; ++i) CHECK(t.gradient(a)->data()[i] == th.gradient(b)->data()[i]);
    // uniform targets on uniform logits: log k
    const std::vector<float> uniform(12, 0.25f);
    auto lu = soft_cross_entropy(t.constant(xt::zeros<float>(shape4{3, 1, 1, 4})), uniform);
    CHECK(t.value(lu)(0, 0, 0, 0) == Approx(std::log(4.0)));
    // bad targets are named
    CHECK_THROWS_WITH(soft_cross_entropy(t.constant(x), std::vector<float>(8, 0.25f)), Catch::Contains("8 target probabilities"));
    auto neg = uniform;
    neg[5] = -0.25f;
    neg[6] = 0.75f;
    CHECK_THROWS_WITH(soft_cross_entropy(t.constant(x), neg), Catch::Contains("is not a probability"));
    auto off = uniform;
    off[0] = 0.5f;
    CHECK_THROWS_WITH(soft_cross_entropy(t.constant(x), off), Catch::Contains("sum to 1.25"));
}

TEST_CASE("the tape: lazy gradients, pausing, reuse across clears", "[train]") {
    tape t;
    rng g(1);
    auto a = t.variable(random_tensor(g, {1, 2, 2, 3}));
    auto c = t.constant(random_tensor(g, {1, 2, 2, 3}));
    auto y = add(a, c);
    auto z = activate(y, activation::swish);
    tensor seed = xt::ones<float>(shape4{1, 2, 2, 3});
    t.backward(z, seed);
    REQUIRE(t.gradient(a) != nullptr);
    CHECK(t.gradient(c) == nullptr);  // constants never get a gradient buffer
    {
        pause_recording p(t);
        auto w = activate(a, activation::relu);
        CHECK_FALSE(t.at(w).requires_grad);
        CHECK_THROWS_AS(t.backward(w, seed), accelnas::error);
    }
    CHECK(t.recording());
    const float* before = t.value(y).data();
    t.clear();
    auto a2 = t.variable(random_tensor(g, {1, 2, 2, 3}));
    auto y2 = add(a2, t.constant(random_tensor(g, {1, 2, 2, 3})));
    CHECK(t.value(y2).data() == before);  // same node slot, same buffer: no allocation
    CHECK_THROWS_AS(t.backward(y2), accelnas::error);  // not a scalar
}

TEST_CASE("thread_pool: chunks cover the range once, thread ids are in range, exceptions propagate", "[train]") {
    for (std::size_t threads : {1, 2, 3}) {
        thread_pool e(threads);
        for (std::size_t n : {1, 2, 5, 64, 1000}) {
            std::vector<int> hits(n, 0);
            std::atomic<bool> bad_id{false};
            e.run(n, [&](std::size_t lo, std::size_t hi, std::size_t th) {
                if (th >= threads) bad_id = true;
                for (std::size_t i = lo; i < hi; ++i) ++hits[i];  // chunks are disjoint: no race
            });
            CHECK_FALSE(bad_id.load());
            CHECK(std::count(hits.begin(), hits.end(), 1) == std::ptrdiff_t(n));
        }
        CHECK_THROWS_WITH(e.run(10, [](std::size_t lo, std::size_t hi, std::size_t) {
                              if (hi > 5) accelnas::fail("chunk at ", lo);
                          }),
                          Catch::Contains("chunk at"));
    }
    CHECK_THROWS_AS(thread_pool(0), accelnas::error);
}

TEST_CASE("thread_pool::parallel_for runs every index once, also with other calls in between", "[train]") {
    thread_pool pool(3);
    for (std::size_t n : {1, 2, 7, 50}) {
        std::vector<std::atomic<int>> hits(n + 5);
        pool.parallel_for(5, n + 5, [&](std::size_t i) { ++hits[i]; });
        for (std::size_t i = 0; i < 5; ++i) CHECK(hits[i].load() == 0);
        for (std::size_t i = 5; i < n + 5; ++i) CHECK(hits[i].load() == 1);
        pool.run(100, [](std::size_t, std::size_t, std::size_t) {});
    }
    CHECK_THROWS_WITH(pool.parallel_for(0, 10, [](std::size_t i) {
                          if (i == 3) accelnas::fail("index ", i);
                      }),
                      Catch::Contains("index 3"));
}
