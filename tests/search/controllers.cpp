// Controllers and rewards (issue 6 items 1, 2) and the latency-target evidence of item 6(a).
#include <accelnas/hw/targets.hpp>
#include <accelnas/search/any_controller.hpp>
#include <accelnas/search/controller.hpp>
#include <accelnas/search/evolution.hpp>
#include <accelnas/search/random_search.hpp>
#include <accelnas/search/reinforce.hpp>
#include <accelnas/search/reward.hpp>
#include <accelnas/search/rnn_controller.hpp>
#include <accelnas/space/registry.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <numeric>
#include <set>

using namespace accelnas;
using namespace accelnas::search;
using Catch::Matchers::Contains;

namespace {

/// A test space shape: 6 stages x (block kind 3, kernel 2, expansion 2, layers 4).
struct toy_shape {
    static constexpr std::size_t num_decisions = 24;
    static constexpr std::array<std::size_t, 24> cardinalities = {3, 2, 2, 4, 3, 2, 2, 4, 3, 2, 2, 4,
                                                                  3, 2, 2, 4, 3, 2, 2, 4, 3, 2, 2, 4};
};
static_assert(space::decision_shape<toy_shape>);
static_assert(controller<random_search<toy_shape>>);
static_assert(controller<evolution<toy_shape>>);
static_assert(controller<reinforce<toy_shape>>);
static_assert(controller<rnn_controller<toy_shape>>);

/// An analytic latency (ms) of a toy architecture: per stage, layers x base x kind x kernel x expansion.
double toy_latency(const space::architecture& a) {
    constexpr std::array<double, 6> base = {0.30, 0.22, 0.18, 0.15, 0.20, 0.26};
    constexpr std::array<double, 3> kind = {1.6, 1.0, 0.7};  // regular conv, IBN, fused IBN
    double ms = 0.25;
    for (std::size_t s = 0; s < 6; ++s) {
        const auto* c = &a.choices[4 * s];
        ms += (c[3] + 1) * base[s] * kind[static_cast<std::size_t>(c[0])] * (c[1] ? 1.45 : 1.0) * (c[2] ? 1.7 : 1.0);
    }
    return ms * 1e-3;
}

double sum_choices(const space::architecture& a) { return std::accumulate(a.choices.begin(), a.choices.end(), 0.0); }

double entropy(const reinforce<toy_shape>& r) {
    double h = 0;
    for (std::size_t d = 0; d < toy_shape::num_decisions; ++d)
        for (double p : r.probabilities(d)) h -= p > 0 ? p * std::log(p) : 0;
    return h;
}

}  // namespace

TEST_CASE("decision_layout from a compile-time shape and at run time", "[search]") {
    const auto l = layout_of<toy_shape>();
    REQUIRE(l.size() == 24);
    CHECK(l.total_choices() == 6 * 11);
    random_search<toy_shape> fixed;
    random_search<> dynamic(l);
    CHECK(fixed.layout() == dynamic.layout());
    CHECK_THROWS_WITH(random_search<>(decision_layout{}), Contains("at least one decision"));
    CHECK_THROWS_WITH(random_search<>(decision_layout{{3, 0, 2}}), Contains("decision 1 has cardinality 0"));
    CHECK_THROWS_WITH(random_search<toy_shape>(decision_layout{{3, 2}}), Contains("does not match the compile-time shape"));
    CHECK_THROWS_WITH(check_architecture(l, space::architecture{{0, 2}}), Contains("2 decisions, the space has 24"));
    space::architecture bad{std::vector<int>(24, 0)};
    bad.choices[3] = 4;
    CHECK_THROWS_WITH(check_architecture(l, bad), Contains("decision 3 is 4, expected 0..3"));
}

TEST_CASE("controllers over the shipped edgetpu space type", "[search]") {
    static_assert(space::decision_shape<space::edgetpu>);
    static_assert(controller<reinforce<space::edgetpu>>);
    reinforce<space::edgetpu> r;
    evolution<space::edgetpu> e;
    CHECK(r.layout() == decision_layout{space::find_space("edgetpu").cardinalities});
    rng g(1);
    const auto a = r.propose(g);
    space::find_space("edgetpu").validate(a);  // a valid point of the space
    CHECK(e.layout().size() == space::edgetpu::num_decisions);
}

TEST_CASE("random search is uniform, in range and reproducible", "[search]") {
    random_search<toy_shape> c;
    rng g1(7), g2(7);
    std::vector<std::array<int, 4>> counts(24, std::array<int, 4>{});
    for (int i = 0; i < 2000; ++i) {
        const auto a = c.propose(g1);
        REQUIRE(a == c.propose(g2));
        check_architecture(c.layout(), a);
        for (std::size_t d = 0; d < 24; ++d) ++counts[d][static_cast<std::size_t>(a.choices[d])];
        c.observe(a, 0.5);
    }
    for (std::size_t d = 0; d < 24; ++d)
        for (std::size_t k = 0; k < toy_shape::cardinalities[d]; ++k)
            CHECK(std::abs(counts[d][k] / 2000.0 - 1.0 / static_cast<double>(toy_shape::cardinalities[d])) < 0.05);
    CHECK(c.observed() == 2000);
    CHECK_THROWS_WITH(c.observe(c.propose(g1), std::nan("")), Contains("reward must be finite"));
}

TEST_CASE("mutate_one changes exactly one decision", "[search]") {
    const decision_layout l{{1, 3, 1, 2}};
    rng g(3);
    space::architecture a{{0, 1, 0, 1}};
    for (int i = 0; i < 100; ++i) {
        const auto b = mutate_one(l, a, g);
        int diff = 0;
        for (std::size_t d = 0; d < 4; ++d) diff += a.choices[d] != b.choices[d];
        CHECK(diff == 1);
        CHECK(b.choices[0] == 0);
        CHECK(b.choices[2] == 0);
    }
    CHECK(mutate_one(decision_layout{{1, 1}}, space::architecture{{0, 0}}, g) == space::architecture{{0, 0}});
}

TEST_CASE("regularized evolution: random start, tournament + mutation, aging", "[search]") {
    evolution<toy_shape> c({.population = 20, .sample_size = 5});
    rng g(11);
    for (int i = 0; i < 20; ++i) {
        const auto a = c.propose(g);
        c.observe(a, sum_choices(a));
    }
    REQUIRE(c.population().size() == 20);
    const auto oldest = c.population().front().arch;
    // children differ from some population member in exactly one decision
    for (int i = 0; i < 50; ++i) {
        const auto child = c.propose(g);
        bool one_away = false;
        for (const auto& m : c.population()) {
            int diff = 0;
            for (std::size_t d = 0; d < 24; ++d) diff += m.arch.choices[d] != child.choices[d];
            one_away = one_away || diff == 1;
        }
        CHECK(one_away);
    }
    const auto child = c.propose(g);
    c.observe(child, -1e9);  // the worst child still joins, and the oldest member dies
    CHECK(c.population().size() == 20);
    CHECK(c.population().back().arch == child);
    CHECK(c.population().front().arch != oldest);
    // with reward = sum of choices, evolution climbs
    double first = c.best().reward;
    for (int i = 0; i < 400; ++i) {
        const auto a = c.propose(g);
        c.observe(a, sum_choices(a));
    }
    CHECK(c.best().reward > first + 5);
    CHECK_THROWS_WITH(evolution<toy_shape>({.population = 4, .sample_size = 5}), Contains("sample_size (5) exceeds population (4)"));
    CHECK_THROWS_WITH(evolution<toy_shape>({.population = 0, .sample_size = 0}), Contains("population must be at least 1"));
}

TEST_CASE("REINFORCE: uniform start, baseline momentum 0.95, ascent toward rewarded choices", "[search]") {
    reinforce<toy_shape> c;
    for (std::size_t d = 0; d < 24; ++d)
        for (double p : c.probabilities(d)) CHECK(p == Approx(1.0 / static_cast<double>(toy_shape::cardinalities[d])));
    space::architecture a{std::vector<int>(24, 1)};
    c.observe(a, 1.0);  // first reward sets the baseline: no advantage, the policy stays uniform
    CHECK(c.baseline() == Approx(1.0));
    CHECK(c.probabilities(0)[1] == Approx(1.0 / 3));
    c.observe(a, 2.0);
    CHECK(c.baseline() == Approx(0.95 * 1.0 + 0.05 * 2.0));
    CHECK(c.probabilities(0)[1] > 1.0 / 3 + 0.01);
    // Adam with beta1 = 0 normalises the gradient per logit: the chosen logit rises and the other
    // falls by lr * sqrt(2) each (the zero-gradient first step counts in Adam's bias correction)
    const double lr = 0.1, z = std::log(c.probabilities(0)[1] / c.probabilities(0)[0]);
    CHECK(z == Approx(2 * lr * std::sqrt(2.0)).epsilon(0.01));
    CHECK_THROWS_WITH(reinforce<toy_shape>(reinforce_options{.baseline_momentum = 1.0}), Contains("baseline_momentum"));
    CHECK_THROWS_WITH(reinforce<toy_shape>(reinforce_options{.adam = {.learning_rate = 0}}), Contains("learning_rate must be positive"));
}

TEST_CASE("REINFORCE batch: the policy gradient averaged over the batch, one step per batch", "[search]") {
    // Two decisions of 2 and 3 choices, uniform policy. Gradient of log pi(a) w.r.t. the logits of
    // decision d is onehot(a_d) - p_d; for the batch {(0, 1) with advantage 1, (1, 2) with -0.5}:
    //   decision 0: (1 * (0.5, -0.5) + -0.5 * (-0.5, 0.5)) / 2 = (0.375, -0.375)
    //   decision 1: (1 * (-1/3, 2/3, -1/3) + -0.5 * (-1/3, -1/3, 2/3)) / 2 = (-1/12, 5/12, -1/3)
    const decision_layout l{{2, 3}};
    const std::vector<space::architecture> batch{{{0, 1}}, {{1, 2}}};
    reinforce<> c(l, {.batch = 2});
    const std::vector<double> adv{1.0, -0.5};
    const auto g = c.gradient(batch, adv);
    const std::vector<double> hand{0.375, -0.375, -1.0 / 12, 5.0 / 12, -1.0 / 3};
    REQUIRE(g.size() == hand.size());
    for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(hand[i]).margin(1e-15));
    // observe_batch with rewards (1, 0): the first batch sets the baseline to its mean 0.5, so the
    // advantages are (0.5, -0.5) and the averaged gradient is (0.25, -0.25 | 0, 0.25, -0.25); Adam's
    // first step with beta1 = 0 moves each logit by lr * g / |g| = +-0.1 (0 where g = 0).
    const std::vector<double> rewards{1.0, 0.0};
    c.observe_batch(batch, rewards);
    CHECK(c.baseline() == Approx(0.5));
    const auto p0 = c.probabilities(0), p1 = c.probabilities(1);
    CHECK(std::log(p0[0] / p0[1]) == Approx(0.2).epsilon(1e-6));
    CHECK(std::log(p1[1] / p1[0]) == Approx(0.1).epsilon(1e-6));
    CHECK(std::log(p1[0] / p1[2]) == Approx(0.1).epsilon(1e-6));
    // one step per observation (batch 1) is another policy: the per-candidate updates of before
    reinforce<> one(l, {.batch = 1}), seq(l);
    one.observe_batch(batch, rewards);
    for (std::size_t i = 0; i < batch.size(); ++i) seq.observe(batch[i], rewards[i]);
    CHECK(one.to_json() == seq.to_json());
    CHECK(one.to_json()["logits"] != c.to_json()["logits"]);
    // through any_controller and the driver's observe_batch, too
    auto any = make_controller("reinforce", l, {.reinforce = {.batch = 2}});
    observe_batch(any, std::span<const space::architecture>(batch), std::span<const double>(rewards));
    CHECK(any.to_json()["logits"] == c.to_json()["logits"]);
    CHECK_THROWS_WITH(reinforce<>(l, {.batch = 0}), Contains("batch must be at least 1"));
    CHECK_THROWS_WITH(c.gradient(batch, std::vector<double>{1.0}), Contains("2 architectures but 1 advantages"));
}

TEST_CASE("evolution's defaults scale with the budget: a quarter random, the rest evolved", "[search]") {
    CHECK(evolution_for_budget(40).population == 10);  // the tool's default budget
    CHECK(evolution_for_budget(40).sample_size == 3);
    CHECK(evolution_for_budget(1000).population == 50);
    CHECK(evolution_for_budget(1000).sample_size == 13);
    CHECK(evolution_for_budget(1).population == 1);
    for (std::size_t b = 1; b <= 2000; ++b) {
        const auto o = evolution_for_budget(b);
        CHECK(o.population <= b);
        CHECK(o.population >= 1);
        CHECK(o.sample_size <= o.population);
        CHECK(o.sample_size >= std::min<std::size_t>(2, o.population));
        (void)evolution<>(decision_layout{{2, 3}}, o);  // valid options
    }
}

TEST_CASE("REINFORCE entropy bonus keeps the policy broader", "[search]") {
    auto run = [](double bonus) {
        reinforce<toy_shape> c({.entropy_bonus = bonus});
        rng g(5);
        for (int i = 0; i < 300; ++i) {
            const auto a = c.propose(g);
            c.observe(a, sum_choices(a) / 24.0);
        }
        return entropy(c);
    };
    CHECK(run(0.2) > run(0.0) + 1.0);
}

TEST_CASE("controller state round-trips through JSON and proposing continues identically", "[search]") {
    auto check = [](auto c, auto make) {
        rng g(21);
        for (int i = 0; i < 60; ++i) {
            const auto a = c.propose(g);
            c.observe(a, sum_choices(a) / 24.0);
        }
        const auto saved = nlohmann::json::parse(c.to_json().dump());
        auto d = make();
        d.from_json(saved);
        rng g2 = g;
        for (int i = 0; i < 20; ++i) {
            const auto a = c.propose(g), b = d.propose(g2);
            REQUIRE(a == b);
            c.observe(a, sum_choices(a));
            d.observe(b, sum_choices(b));
        }
        CHECK(c.to_json() == d.to_json());
    };
    const auto l = layout_of<toy_shape>();
    auto rs = [&] { return random_search<>(l); };
    auto ev = [&] { return evolution<>(l, {.population = 10, .sample_size = 3}); };
    auto rl = [&] { return reinforce<>(l); };
    auto rnn = [&] { return rnn_controller<>(l, {.hidden = 8}); };
    check(rs(), rs);
    check(ev(), ev);
    check(rl(), rl);
    check(rnn(), rnn);

    reinforce<> r(layout_of<toy_shape>());
    CHECK_THROWS_WITH(r.from_json(evolution<>(layout_of<toy_shape>()).to_json()), Contains("of controller '\"evolution\"'"));
    CHECK_THROWS_WITH(r.from_json(reinforce<>(decision_layout{{2, 2}}).to_json()), Contains("another decision layout"));
    auto j = r.to_json();
    j.erase("logits");
    CHECK_THROWS_WITH(r.from_json(j), Contains("lacks field 'logits'"));
}

TEST_CASE("RNN controller: gradient matches finite differences of log pi", "[search]") {
    rnn_controller<> c(decision_layout{{3, 2, 4, 2, 3}}, {.hidden = 6, .init_scale = 0.5, .init_seed = 3});
    rng g(2);
    const auto a = c.propose(g);
    const double ent = 0.3;
    const auto grad = c.gradient(a, 1.0, ent);
    auto objective = [&] { return c.log_probability(a); };
    const auto g0 = c.gradient(a, 1.0, 0.0);
    auto& th = c.parameters();
    double worst = 0;
    for (std::size_t i = 0; i < th.size(); i += 7) {
        const double keep = th[i], eps = 1e-6;
        th[i] = keep + eps;
        const double up = objective();
        th[i] = keep - eps;
        const double dn = objective();
        th[i] = keep;
        const double fd = (up - dn) / (2 * eps);
        worst = std::max(worst, std::abs(fd - g0[i]) / std::max(1e-4, std::abs(fd) + std::abs(g0[i])));
    }
    CHECK(worst < 1e-5);
    // the entropy term: grad(ent) - grad(0) = ent * d(sum of step entropies)/d theta
    double worst_h = 0;
    for (std::size_t i = 0; i < th.size(); i += 7) {
        const double keep = th[i], eps = 1e-6;
        th[i] = keep + eps;
        const double up = c.entropy_along(a);
        th[i] = keep - eps;
        const double dn = c.entropy_along(a);
        th[i] = keep;
        const double fd = ent * (up - dn) / (2 * eps), an = grad[i] - g0[i];
        worst_h = std::max(worst_h, std::abs(fd - an) / std::max(1e-4, std::abs(fd) + std::abs(an)));
    }
    CHECK(worst_h < 1e-5);
}

TEST_CASE("RNN controller learns a simple preference", "[search]") {
    rnn_controller<toy_shape> c({.hidden = 16, .adam = {.learning_rate = 0.02}});
    rng g(9);
    auto score = [](const space::architecture& a) {
        double s = 0;
        for (int x : a.choices) s += x == 1;
        return s / 24.0;
    };
    double early = 0, late = 0;
    for (int i = 0; i < 600; ++i) {
        const auto a = c.propose(g);
        const double r = score(a);
        if (i < 50) early += r / 50;
        if (i >= 550) late += r / 50;
        c.observe(a, r);
    }
    CHECK(late > early + 0.25);
    CHECK(score(c.mode()) > 0.8);
}

TEST_CASE("MnasNet soft and hard rewards", "[search]") {
    const auto soft = mnasnet_soft({0.010});
    CHECK(soft(0.75, 0.010) == Approx(0.75));
    CHECK(soft(0.75, 0.020) == Approx(0.75 * std::pow(2.0, -0.07)));
    CHECK(soft(0.75, 0.005) == Approx(0.75 * std::pow(0.5, -0.07)));
    const auto hard = mnasnet_hard({0.010});
    CHECK(hard(0.75, 0.005) == Approx(0.75));
    CHECK(hard(0.75, 0.020) == Approx(0.375));
    // several targets: the product of the per-target factors
    evaluation e;
    e.accuracy = 0.8;
    e.latency = {0.02, 0.005};
    CHECK(mnasnet_soft({0.01, 0.01})(e) == Approx(0.8 * std::pow(2.0, -0.07) * std::pow(0.5, -0.07)));
    CHECK_THROWS_WITH(mnasnet_soft({0.01})(e), Contains("2 latencies, expected one per target (1)"));
    CHECK_THROWS_WITH(mnasnet_soft({0.0})(0.5, 0.01), Contains("latency target 0 must be positive"));
    CHECK_THROWS_WITH(soft(0.5, -1.0), Contains("latency for target 0 must be positive"));
}

TEST_CASE("TuNAS absolute reward and the memory-fit bonus", "[search]") {
    const tunas_absolute r{{0.010}};
    CHECK(r(0.7, 0.010) == Approx(0.7));
    CHECK(r(0.7, 0.012) == Approx(0.7 - 0.10 * 0.2));
    CHECK(r(0.7, 0.008) == Approx(0.7 - 0.10 * 0.2));
    evaluation e;
    e.accuracy = 0.6;
    e.latency = {0.011, 0.030};
    e.param_bytes = 4e6;
    CHECK(tunas_absolute{{0.010, 0.020}}(e) == Approx(0.6 - 0.1 * 0.1 - 0.1 * 0.5));
    const memory_fit_bonus bonus{{8e6, 2e6}, 0.02};
    CHECK(bonus(e) == Approx(0.02));  // fits the first accelerator's cache only
    const auto total = plus(tunas_absolute{{0.010, 0.020}}, bonus);
    CHECK(total(e) == Approx(0.6 - 0.06 + 0.02));
    e.param_bytes = -1;
    CHECK_THROWS_WITH(bonus(e), Contains("param_bytes must be >= 0"));
}

TEST_CASE("latency-only search on an analytic toy space: controllers reach the target, random search does not", "[search]") {
    // 6(a): TuNAS absolute reward with a constant quality term. The target sits in the fast tail of
    // the space (about 1.3x the fastest architecture), where uniform samples rarely land.
    double fastest = 0.25;
    {
        constexpr std::array<double, 6> base = {0.30, 0.22, 0.18, 0.15, 0.20, 0.26};
        for (double b : base) fastest += b * 0.7;
        fastest *= 1e-3;
    }
    const double target = 1.3 * fastest;
    const tunas_absolute reward{{target}, -0.10};
    auto rel = [&](const space::architecture& a) { return std::abs(toy_latency(a) / target - 1.0); };
    auto score = [&](const space::architecture& a) {
        evaluation e;
        e.accuracy = 0.5;
        e.latency = {toy_latency(a)};
        return reward(e);
    };
    constexpr int budget = 300;

    reinforce<toy_shape> rl;
    rng g1(1);
    double rl_best = 1e9;
    std::vector<double> rl_last;
    for (int i = 0; i < budget; ++i) {
        const auto a = rl.propose(g1);
        rl_best = std::min(rl_best, rel(a));
        if (i >= budget - 50) rl_last.push_back(rel(a));  // the policy's late proposals
        rl.observe(a, score(a));
    }
    std::sort(rl_last.begin(), rl_last.end());
    evolution<toy_shape> ev({.population = 30, .sample_size = 8});
    rng g2(1);
    for (int i = 0; i < budget; ++i) {
        const auto a = ev.propose(g2);
        ev.observe(a, score(a));
    }
    random_search<toy_shape> rs;
    rng g3(1);
    double rs_best = 1e9;
    for (int i = 0; i < budget; ++i) rs_best = std::min(rs_best, rel(rs.propose(g3)));

    INFO("REINFORCE mode " << rel(rl.mode()) << ", best sampled " << rl_best << ", median of last 50 " << rl_last[25] << "; evolution best " << rel(ev.best().arch)
                           << "; random best " << rs_best);
    // the controllers propose architectures within 2% of the target; random search never does
    CHECK(*std::min_element(rl_last.begin(), rl_last.end()) < 0.02);
    CHECK(rl_last[25] < 0.25);  // and most late REINFORCE samples are near it
    CHECK(rel(ev.best().arch) < 0.02);
    CHECK(rel(ev.best().arch) < 0.02);
    CHECK(rs_best > 0.02);
}

TEST_CASE("6(a): latency-only search of the edgetpu space on the coral-usb APM reaches a target random search misses",
          "[search][slow]") {
    // TuNAS absolute reward with a constant quality term; latency from the analytical model (APM) of
    // coral-usb at 224x224x3. The target is 0.95x the fastest of 1,000 uniform samples (so it follows
    // recalibrations of the model): a region random search rarely visits.
    const auto& sp = space::find_space("edgetpu");
    const auto apm = hw::make_target("coral-usb", "apm");
    auto latency = [&](const space::architecture& a) { return apm.seconds(sp.decode(a, {1, 224, 224, 3}, 1000)); };
    double fastest = 1e9;
    {
        rng probe(99);
        for (int i = 0; i < 1000; ++i) fastest = std::min(fastest, latency(sp.sample(probe)));
    }
    const double target = 0.95 * fastest;
    const tunas_absolute reward{{target}, -0.10};
    auto score = [&](const space::architecture& a, double& rel) {
        evaluation e;
        e.accuracy = 0.5;
        e.latency = {latency(a)};
        rel = std::abs(e.latency[0] / target - 1.0);
        return reward(e);
    };
    const decision_layout l{sp.cardinalities};
    constexpr int budget = 400;
    reinforce<> rl(l, {.adam = {.learning_rate = 0.2}});
    evolution<> ev(l, {.population = 30, .sample_size = 8});
    random_search<> rs(l);
    rng g1(1), g2(1), g3(1);
    double rl_late_best = 1e9, ev_best = 1e9, rs_best = 1e9, rel = 0;
    for (int i = 0; i < budget; ++i) {
        const auto a = rl.propose(g1);
        rl.observe(a, score(a, rel));
        if (i >= budget - 50) rl_late_best = std::min(rl_late_best, rel);
        const auto b = ev.propose(g2);
        ev.observe(b, score(b, rel));
        ev_best = std::min(ev_best, rel);
        const auto c = rs.propose(g3);
        rs.observe(c, score(c, rel));
        rs_best = std::min(rs_best, rel);
    }
    INFO("target " << target * 1e3 << " ms; |LAT/T - 1|: REINFORCE best of its last 50 proposals " << rl_late_best
                   << ", evolution best " << ev_best << ", random best of " << budget << " " << rs_best);
    CHECK(rl_late_best < 0.02);
    CHECK(ev_best < 0.02);
    CHECK(rs_best > 0.02);
}
