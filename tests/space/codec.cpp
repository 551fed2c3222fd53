// The architecture codec, the controller helpers and decoding of the shipped spaces and of a small
// custom space: text/JSON round trips, errors naming the decision, sampling, mutation, neighbours,
// block semantics (residuals, layer deltas, expansion rules), and the run-time registry.
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/space.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

using namespace accelnas;
using space::architecture;

namespace {

// A small custom space: two stages with every kind of choice list, one fixed stage.
struct tiny : space::search_space<
                  space::stem<16>, space::head<64>,
                  space::stage<16, 1, 1, space::blocks<space::ibn_block, space::fused_ibn_block>,
                               space::layer_deltas<-1, 0, 1>>,
                  space::stage<24, 2, 2, space::kernels<3, 5, 7>, space::expansions<2, 4>,
                               space::skips<space::skip_kind::identity, space::skip_kind::none>,
                               space::se_ratios<0.0, 0.25>, space::width_multipliers<0.5, 1.0>>,
                  space::stage<32, 2, 1, space::kernels<3>>> {
    static constexpr std::string_view name = "tiny";
};

// Number of decisions at which a and b differ.
std::size_t distance(const architecture& a, const architecture& b) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.choices.size(); ++i) n += a.choices[i] != b.choices[i];
    return n;
}

template <class S>
void check_codec(int samples) {
    rng g(1234);
    const auto& d = space::description<S>();
    REQUIRE(d.decisions.size() == S::num_decisions);
    for (int i = 0; i < samples; ++i) {
        const auto a = space::sample<S>(g);
        space::validate<S>(a);
        const auto text = space::to_text<S>(a);
        CHECK(space::parse<S>(text) == a);
        CHECK(space::to_text<S>(space::parse<S>(text)) == text);
        const auto j = space::to_json<S>(a);
        CHECK(space::from_json<S>(j) == a);
        CHECK(space::from_json<S>(nlohmann::json::parse(j.dump())) == a);
        const nlohmann::json by_index{{"space", std::string(S::name)}, {"choices", a.choices}};
        CHECK(space::from_json<S>(by_index) == a);
    }
}

}  // namespace

TEST_CASE("Compile-time shape of the shipped spaces matches their runtime description", "[space]") {
    auto check = [](auto tag) {
        using S = decltype(tag);
        const auto& d = space::description<S>();
        REQUIRE(d.decisions.size() == S::num_decisions);
        double l = 0;
        for (std::size_t i = 0; i < S::num_decisions; ++i) {
            CHECK(d.decisions[i].cardinality == S::cardinalities[i]);
            l += std::log10(static_cast<double>(S::cardinalities[i]));
        }
        CHECK(S::log10_size == Approx(l).epsilon(1e-12));
        CHECK(space::log10_size(d) == Approx(l).epsilon(1e-12));
        CHECK(space::decision_names<S>().size() == S::num_decisions);
    };
    check(space::mnasnet{});
    check(space::edgetpu{});
    check(space::pixel4{});
    check(tiny{});
    // tiny: stage 1 block (2) + layers (3); stage 2 kernel (3), expand (2), se (2), skip (2), width (2).
    CHECK(tiny::num_decisions == 7);
    CHECK(space::decision_names<tiny>() ==
          std::vector<std::string>{"s1.block", "s1.layers", "s2.kernel", "s2.expand", "s2.se", "s2.skip", "s2.width"});
    CHECK(tiny::log10_size == Approx(std::log10(2.0 * 3 * 3 * 2 * 2 * 2 * 2)));
}

TEST_CASE("Text and JSON forms round-trip on sampled architectures", "[space]") {
    check_codec<space::mnasnet>(200);
    check_codec<space::edgetpu>(200);
    check_codec<space::pixel4>(200);
    check_codec<tiny>(100);
}

TEST_CASE("Text form is stable and readable", "[space]") {
    const architecture a{{1, 2, 2, 1, 0, 1, 1}};
    CHECK(space::to_text<tiny>(a) == "block=fused_ibn,layers=+1/kernel=7,expand=4,se=0,skip=none,width=1/-");
    // Keys in any order, spaces around tokens, numbers by value.
    CHECK(space::parse<tiny>(" layers=1 , block=fused_ibn / width=1.0,skip=none,se=0.0,expand=4,kernel=7 / - ") == a);
}

TEST_CASE("Parse errors are accelnas::error naming the decision at fault", "[space]") {
    const std::string good = "block=fused_ibn,layers=+1/kernel=7,expand=4,se=0,skip=none,width=1/-";
    REQUIRE_NOTHROW(space::parse<tiny>(good));
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(space::parse<tiny>("block=fused_ibn,layers=+1/kernel=4,expand=4,se=0,skip=none,width=1/-"),
                      Contains("s2.kernel") && Contains("'4'") && Contains("3, 5, 7"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=fused,layers=+1/kernel=7,expand=4,se=0,skip=none,width=1/-"),
                      Contains("s1.block") && Contains("ibn, fused_ibn"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=ibn/kernel=7,expand=4,se=0,skip=none,width=1/-"),
                      Contains("s1.layers") && Contains("missing"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=ibn,layers=0,block=ibn/kernel=7,expand=4,se=0,skip=none,width=1/-"),
                      Contains("s1.block") && Contains("twice"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=ibn,layers=0,act=relu/kernel=7,expand=4,se=0,skip=none,width=1/-"),
                      Contains("stage 1") && Contains("'act'"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=ibn,layers=0/kernel=7,expand=4,se=0,skip=none,width=1"),
                      Contains("2 stage group(s)") && Contains("expected 3"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=ibn,layers=0/kernel7,expand=4,se=0,skip=none,width=1/-"),
                      Contains("stage 2") && Contains("key=value"));
    CHECK_THROWS_WITH(space::parse<tiny>("block=ibn,layers=x/kernel=7,expand=4,se=0,skip=none,width=1/-"),
                      Contains("s1.layers"));
    CHECK_THROWS_AS(space::parse<tiny>(""), accelnas::error);
}

TEST_CASE("validate and from_json name the decision or JSON path at fault", "[space]") {
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(space::validate<tiny>(architecture{{0, 0, 0}}), Contains("3 choices") && Contains("(7)"));
    CHECK_THROWS_WITH(space::validate<tiny>(architecture{{0, 0, 3, 0, 0, 0, 0}}),
                      Contains("s2.kernel") && Contains("index 3") && Contains("0..2"));
    CHECK_THROWS_WITH(space::validate<tiny>(architecture{{-1, 0, 0, 0, 0, 0, 0}}), Contains("s1.block"));
    CHECK_THROWS_AS(space::to_text<tiny>(architecture{{9}}), accelnas::error);
    CHECK_THROWS_AS(space::decode<tiny>(architecture{{9}}, {1, 32, 32, 3}, 10), accelnas::error);

    auto j = space::to_json<tiny>(architecture{{1, 2, 2, 1, 0, 1, 1}});
    auto bad = j;
    bad["stages"][1]["kernel"] = 4;
    CHECK_THROWS_WITH(space::from_json<tiny>(bad), Contains("s2.kernel"));
    bad = j;
    bad["stages"][0]["speed"] = 1;
    CHECK_THROWS_WITH(space::from_json<tiny>(bad), Contains("stages[0].speed"));
    bad = j;
    bad["stages"][1].erase("width");
    CHECK_THROWS_WITH(space::from_json<tiny>(bad), Contains("s2.width") && Contains("missing"));
    bad = j;
    bad["space"] = "edgetpu";
    CHECK_THROWS_WITH(space::from_json<tiny>(bad), Contains("'edgetpu'"));
    bad = j;
    bad["stages"] = nlohmann::json::array();
    CHECK_THROWS_WITH(space::from_json<tiny>(bad), Contains("\"stages\" has 0 entries"));
    CHECK_THROWS_WITH(space::from_json<tiny>(nlohmann::json{{"space", "tiny"}, {"choices", {0, 0}}}),
                      Contains("2 choices"));
    // A huge index is reported, not truncated into range.
    CHECK_THROWS_WITH(space::from_json<tiny>(nlohmann::json{{"space", "tiny"}, {"choices", {4294967296LL, 0, 0, 0, 0, 0, 0}}}),
                      Contains("choices[0]"));
    CHECK_THROWS_WITH(space::from_json<tiny>(nlohmann::json{{"space", "tiny"}, {"choices", {0.5, 0, 0, 0, 0, 0, 0}}}),
                      Contains("choices[0]"));
}

TEST_CASE("sample is deterministic per seed and covers every choice", "[space]") {
    rng a(7), b(7), c(8);
    std::vector<architecture> xs, ys, zs;
    for (int i = 0; i < 50; ++i) {
        xs.push_back(space::sample<space::edgetpu>(a));
        ys.push_back(space::sample<space::edgetpu>(b));
        zs.push_back(space::sample<space::edgetpu>(c));
    }
    CHECK(xs == ys);
    CHECK(xs != zs);
    // Every choice of every decision appears in 400 samples (the chance that one of the 36
    // decisions misses one of at most 4 choices is below 1e-40).
    rng g(99);
    std::vector<std::set<int>> seen(space::edgetpu::num_decisions);
    for (int i = 0; i < 400; ++i) {
        const auto x = space::sample<space::edgetpu>(g);
        for (std::size_t k = 0; k < x.choices.size(); ++k) seen[k].insert(x.choices[k]);
    }
    for (std::size_t k = 0; k < seen.size(); ++k) CHECK(seen[k].size() == space::edgetpu::cardinalities[k]);
}

TEST_CASE("mutate changes exactly one decision and neighbours are all one-decision moves", "[space]") {
    rng g(3);
    auto a = space::sample<space::pixel4>(g);
    std::set<std::size_t> mutated;
    for (int i = 0; i < 300; ++i) {
        const auto b = space::mutate<space::pixel4>(a, g);
        space::validate<space::pixel4>(b);
        REQUIRE(distance(a, b) == 1);
        for (std::size_t k = 0; k < a.choices.size(); ++k)
            if (a.choices[k] != b.choices[k]) mutated.insert(k);
        a = b;
    }
    CHECK(mutated.size() == space::pixel4::num_decisions);  // every decision gets mutated sometime
    rng g1(5), g2(5);
    CHECK(space::mutate<space::pixel4>(a, g1) == space::mutate<space::pixel4>(a, g2));

    const auto ns = space::neighbours<space::pixel4>(a);
    std::size_t expected = 0;
    for (auto c : space::pixel4::cardinalities) expected += c - 1;
    CHECK(ns.size() == expected);
    std::set<architecture> unique(ns.begin(), ns.end());
    CHECK(unique.size() == ns.size());
    for (const auto& n : ns) CHECK(distance(a, n) == 1);
    CHECK(unique.count(a) == 0);
}

TEST_CASE("Sampled architectures of every shipped space decode to valid networks", "[space]") {
    auto check = [](auto tag, bool may_have_se_or_swish) {
        using S = decltype(tag);
        rng g(11);
        bool saw_se = false, saw_swish = false;
        for (int i = 0; i < 60; ++i) {
            const auto a = space::sample<S>(g);
            INFO(space::to_text<S>(a));
            const auto net = space::decode<S>(a, {1, 224, 224, 3}, 1000);
            net.validate();
            const auto& ops = net.ops();
            CHECK(ops.front().name == "input");
            CHECK(ops.front().out == graph::tensor_shape{1, 224, 224, 3});
            CHECK(ops.back().kind == graph::op_kind::fully_connected);
            CHECK(ops.back().bias);
            CHECK(ops.back().out.c == 1000);
            CHECK(ops[ops.size() - 2].kind == graph::op_kind::global_avg_pool);
            CHECK(graph::cost_of(net).macs > 0);
            for (const auto& o : ops) {
                if (o.kind == graph::op_kind::mul) saw_se = true;
                if (o.act == graph::activation::swish) saw_swish = true;
                if (o.kind == graph::op_kind::conv2d) {
                    CHECK(o.batch_norm != o.bias);  // block convs: bn, no bias; SE convs: bias, no bn
                }
                if (o.kind == graph::op_kind::add) CHECK(o.act == graph::activation::none);
            }
            // Decoding through the JSON of the network gives the same network.
            CHECK(graph::structural_difference(graph::network_from_json(graph::to_json(net)), net) == "");
        }
        CHECK(saw_se == may_have_se_or_swish);
        CHECK(saw_swish == may_have_se_or_swish);
    };
    check(space::mnasnet{}, true);
    check(space::edgetpu{}, false);  // the paper's Edge TPU space has no SE and no swish
    check(space::pixel4{}, false);
}

TEST_CASE("Block semantics: residuals, layer deltas, widths, expansion rules", "[space]") {
    auto count = [](const graph::network& n, graph::op_kind k) {
        std::size_t c = 0;
        for (const auto& o : n.ops()) c += o.kind == k;
        return c;
    };
    // tiny decision order: s1.block, s1.layers, s2.kernel, s2.expand, s2.se, s2.skip, s2.width
    const graph::tensor_shape in{1, 32, 32, 3};
    SECTION("a stage's first block never adds a residual; later ones do only with skip=identity") {
        // s1: ibn, 1 layer (16 -> 16 after a 16-filter stem, stride 1): first block, no add.
        // s2: 2 layers, width 1: the second block adds when skip = identity.
        const auto with = space::decode<tiny>(architecture{{0, 1, 0, 0, 0, 0, 1}}, in, 10);
        const auto without = space::decode<tiny>(architecture{{0, 1, 0, 0, 0, 1, 1}}, in, 10);
        CHECK(count(with, graph::op_kind::add) == 1);
        CHECK(count(without, graph::op_kind::add) == 0);
    }
    SECTION("layer delta -1 on a base-1 stride-1 stage drops the stage; +1 adds a block") {
        const auto dropped = space::decode<tiny>(architecture{{0, 0, 0, 0, 0, 0, 1}}, in, 10);
        const auto base = space::decode<tiny>(architecture{{0, 1, 0, 0, 0, 0, 1}}, in, 10);
        const auto more = space::decode<tiny>(architecture{{0, 2, 0, 0, 0, 0, 1}}, in, 10);
        // ibn with expand 6 from 16 channels: expand, depthwise, project = 3 ops per block.
        CHECK(base.size() == dropped.size() + 3);
        CHECK(more.size() == base.size() + 4);  // a later block also adds the residual
        CHECK(space::plan_of<tiny>(architecture{{0, 0, 0, 0, 0, 0, 1}}).stages[0].repeats == 0);
    }
    SECTION("kernel, expansion, SE and width choices reach the ops") {
        const auto n = space::decode<tiny>(architecture{{1, 1, 2, 1, 1, 0, 0}}, in, 10);
        const auto p = space::plan_of<tiny>(architecture{{1, 1, 2, 1, 1, 0, 0}});
        CHECK(p.stages[0].block->name == "fused_ibn");
        CHECK(p.stages[1].values.at("kernel") == 7);
        CHECK(p.stages[1].values.at("expand") == 4);
        CHECK(p.stages[1].values.at("se") == 0.25);
        CHECK(p.stages[1].filters == 16);  // make_divisible(24 * 0.5 = 12, 8) = 16 (8 would lose > 10%)
        CHECK(p.stages[2].values.at("kernel") == 3);  // fixed stage
        bool saw_7x7_depthwise = false;
        for (std::size_t i = 0; i < n.size(); ++i) {
            const auto& o = n.ops()[i];
            if (o.kernel_h == 7 && graph::is_depthwise(o, n.in_channels(i))) saw_7x7_depthwise = true;
        }
        CHECK(saw_7x7_depthwise);
        CHECK(count(n, graph::op_kind::mul) == 2);  // one SE per block of stage 2
        // The fused block of stage 1: 3x3 full conv 16 -> 16*6 (tiny's default expansion 6).
        CHECK(n.ops()[2].kind == graph::op_kind::conv2d);
        CHECK(n.ops()[2].groups == 1);
        CHECK(n.ops()[2].kernel_h == 3);
        CHECK(n.ops()[2].out.c == 96);
    }
    SECTION("expansion rules: nominal input (EdgeTPU) vs actual input with skip (TF-slim)") {
        // The EdgeTPU-S point expands stage 1 from its nominal 24 filters: 24 * 4 = 96, not 32 * 4.
        const auto s = space::decode<space::edgetpu>(space::efficientnet_edgetpu_s_arch(), {1, 224, 224, 3}, 1001);
        CHECK(s.ops()[2].out.c == 96);
        // MobilenetEdgeTPU's first block (ratio 1) has no expansion: just the 1x1 projection 32 -> 16.
        const auto m = space::decode<space::pixel4>(space::mobilenet_edgetpu_arch(), {1, 224, 224, 3}, 1001);
        CHECK(m.ops()[2].kernel_h == 1);
        CHECK(m.ops()[2].out.c == 16);
    }
    SECTION("decode_scaled needs a resolution; build rejects bad classes") {
        CHECK_THROWS_AS(space::decode_scaled<tiny>(architecture{{0, 1, 0, 0, 0, 0, 1}}, {}, 10), accelnas::error);
        CHECK_THROWS_AS(space::decode<tiny>(architecture{{0, 1, 0, 0, 0, 0, 1}}, in, 0), accelnas::error);
    }
}

TEST_CASE("The run-time registry selects the shipped spaces by name", "[space]") {
    const auto names = space::names();  // the shipped spaces first (a test may have registered more)
    CHECK(std::vector<std::string>(names.begin(), names.begin() + 4) ==
          std::vector<std::string>{"mnasnet", "edgetpu", "pixel4", "edgetpu_v2"});
    CHECK(space::is_space_name("edgetpu"));
    CHECK_FALSE(space::is_space_name("edge"));
    CHECK_THROWS_WITH(space::find_space("edge"),
                      Catch::Matchers::Contains("'edge'") && Catch::Matchers::Contains("mnasnet, edgetpu, pixel4, edgetpu_v2"));
    const auto& any = space::find_space("edgetpu");
    CHECK(any.cardinalities == std::vector<std::size_t>(space::edgetpu::cardinalities.begin(),
                                                        space::edgetpu::cardinalities.end()));
    CHECK(any.log10_size == space::edgetpu::log10_size);
    CHECK(any.decision_names == space::decision_names<space::edgetpu>());
    rng a(42), b(42);
    const auto x = any.sample(a);
    CHECK(x == space::sample<space::edgetpu>(b));
    CHECK(any.parse(any.to_text(x)) == x);
    CHECK(any.from_json(any.to_json(x)) == x);
    CHECK(distance(any.mutate(x, a), x) == 1);
    CHECK(any.neighbours(x).size() == space::neighbours<space::edgetpu>(x).size());
    CHECK_THROWS_AS(any.validate(architecture{{0}}), accelnas::error);
    const auto n1 = space::decode_named("edgetpu", any.to_text(x), {1, 96, 96, 3}, 10);
    const auto n2 = space::decode<space::edgetpu>(x, {1, 96, 96, 3}, 10);
    CHECK(graph::structural_difference(n1, n2) == "");
    CHECK_THROWS_WITH(space::decode_named("pixel4", "block=ibn", {1, 96, 96, 3}, 10),
                      Catch::Matchers::Contains("pixel4"));
    // Any user space can be type-erased the same way.
    const auto t = space::make_any_space<tiny>();
    CHECK(t.name == "tiny");
    CHECK(t.cardinalities == std::vector<std::size_t>{2, 3, 3, 2, 2, 2, 2});
    rng c(1), e(1);
    const auto y = t.sample(c);
    CHECK(y == space::sample<tiny>(e));
    CHECK(graph::structural_difference(t.decode(y, {1, 32, 32, 3}, 10), space::decode<tiny>(y, {1, 32, 32, 3}, 10)) == "");
}
