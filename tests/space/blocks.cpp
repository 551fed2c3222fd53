// The block concept and its models: the shipped blocks, GC-IBN and Tucker built against the
// concept, their weight-sharing declarations, dead decisions (checked on decoded networks),
// canonical encodings, space sizes (against brute force on a small space), the edgetpu_v2 space
// and registration of a user's space.
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/space.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace accelnas;
using space::architecture;
using space::weight_sharing;

namespace {

// A small space using both new blocks: exhaustively enumerable (2 * 8 * 8 = 128 architectures).
struct small : space::search_space<
                   space::stem<16>, space::head<0>,
                   space::stage<16, 1, 1, space::blocks<space::conv_block, space::ibn_block>, space::expansions<1, 4>,
                                space::layer_deltas<-1, 0>>,
                   space::stage<32, 2, 2,
                                space::blocks<space::gc_ibn_block, space::tucker_block, space::fused_ibn_block,
                                              space::dwsep_block>,
                                space::group_sizes<8, 16>, space::tucker_input_ratios<0.25, 0.5>>> {
    static constexpr std::string_view name = "small";
};

// Graph signature with op names (what "the same network" means for canonical encodings).
std::string signature(const graph::network& n) {
    std::string s;
    for (const auto& o : n.ops()) s += o.name + "|";
    return s + "#" + graph::to_json(n).dump();
}

template <class S>
void check_dead_and_canonical(int samples, std::uint64_t seed) {
    const auto& d = space::description<S>();
    rng g(seed);
    const graph::tensor_shape in{1, 64, 64, 3};
    for (int k = 0; k < samples; ++k) {
        const auto a = space::sample<S>(g);
        const auto net = space::decode<S>(a, in, 10);
        const auto ca = space::canonical(d, a);
        // The canonical form decodes to the same network and is a fixed point.
        CHECK(graph::structural_difference(space::decode<S>(ca, in, 10), net) == "");
        CHECK(space::canonical(d, ca) == ca);
        CHECK(ca <= a);
        // Neighbours: same network exactly when same canonical form; a slot the chosen block
        // declares dead never changes the network.
        const auto plan = space::plan_of<S>(a);
        for (const auto& b : space::neighbours<S>(a)) {
            std::size_t k2 = 0;
            while (a.choices[k2] == b.choices[k2]) ++k2;
            const auto& x = d.decisions[k2];
            const auto nb = space::decode<S>(b, in, 10);
            const bool same = signature(nb) == signature(net);
            CHECK(same == (space::canonical(d, b) == ca));
            const auto& st = plan.stages[x.stage];
            const bool block_slot = x.key == "block" || x.key == "skip" || x.key == "width" || x.key == "layers" ||
                                    x.key == "expand_first";
            if (!block_slot && !st.block->uses(x.key, st.values)) CHECK(same);
        }
    }
}

}  // namespace

TEST_CASE("The shipped blocks model block_policy and declare their slots and weight sharing", "[space]") {
    STATIC_REQUIRE(space::block_policy<space::conv_block>);
    STATIC_REQUIRE(space::block_policy<space::dwsep_block>);
    STATIC_REQUIRE(space::block_policy<space::ibn_block>);
    STATIC_REQUIRE(space::block_policy<space::fused_ibn_block>);
    STATIC_REQUIRE(space::block_policy<space::gc_ibn_block>);
    STATIC_REQUIRE(space::block_policy<space::tucker_block>);
    STATIC_REQUIRE_FALSE(space::block_policy<int>);
    STATIC_REQUIRE_FALSE(space::block_policy<space::kernels<3>>);
    // Weight sharing: kernels by centre crop, channel counts by prefix, group layouts cannot share.
    CHECK(space::conv_block::sharing("kernel") == weight_sharing::kernel_centre_crop);
    CHECK(space::conv_block::sharing("expand") == weight_sharing::unused);
    CHECK(space::conv_block::sharing("act") == weight_sharing::no_weights);
    CHECK(space::dwsep_block::sharing("se") == weight_sharing::channel_prefix);
    CHECK(space::dwsep_block::sharing("expand") == weight_sharing::unused);
    CHECK(space::ibn_block::sharing("expand") == weight_sharing::channel_prefix);
    CHECK(space::ibn_block::sharing("kernel") == weight_sharing::kernel_centre_crop);
    CHECK(space::fused_ibn_block::sharing("expand") == weight_sharing::channel_prefix);
    CHECK(space::gc_ibn_block::sharing("group") == weight_sharing::cannot);
    CHECK(space::gc_ibn_block::sharing("kernel") == weight_sharing::kernel_centre_crop);
    CHECK(space::tucker_block::sharing("squeeze_in") == weight_sharing::channel_prefix);
    CHECK(space::tucker_block::sharing("squeeze_out") == weight_sharing::channel_prefix);
    CHECK(space::tucker_block::sharing("expand") == weight_sharing::unused);
    // unused exactly for the slots a block does not read.
    for (auto k : {"kernel", "expand", "group", "se", "act", "squeeze_in", "squeeze_out", "width"}) {
        CHECK((space::ibn_block::sharing(k) == weight_sharing::unused) == !space::ibn_block::slots::has(k));
        CHECK((space::gc_ibn_block::sharing(k) == weight_sharing::unused) == !space::gc_ibn_block::slots::has(k));
        CHECK((space::tucker_block::sharing(k) == weight_sharing::unused) == !space::tucker_block::slots::has(k));
    }
    // The run-time entry carries the block's slots with their fallbacks.
    const auto* e = space::entry_of<space::gc_ibn_block>();
    CHECK(e->name == "gc_ibn");
    REQUIRE(e->slots.size() == 5);
    CHECK(e->slots[2].key == "group");
    CHECK(e->slots[2].values == std::vector<double>{16});
}

TEST_CASE("GC-IBN groups its expansion conv, Tucker compresses and expands", "[space]") {
    // groups = in / group size, lowered to divide gcd(in, expanded): hand counts.
    CHECK(space::gc_ibn_block::groups(32, 128, 16) == 2);
    CHECK(space::gc_ibn_block::groups(32, 128, 1) == 32);   // one channel per group: the depthwise end
    CHECK(space::gc_ibn_block::groups(32, 128, 64) == 1);   // wider than the input: a full conv (fused IBN)
    CHECK(space::gc_ibn_block::groups(48, 192, 32) == 1);   // 48 / 32 = 1
    CHECK(space::gc_ibn_block::groups(96, 384, 16) == 6);
    CHECK(space::gc_ibn_block::groups(40, 100, 8) == 5);
    CHECK(space::gc_ibn_block::groups(24, 40, 4) == 4);     // 6 does not divide 40: lowered to 4 (divides gcd 8)

    const auto& d = space::description<small>();
    // small's decisions: s1.block, s1.expand, s1.layers, s2.block, s2.group, s2.squeeze_in.
    CHECK(space::decision_names<small>() ==
          std::vector<std::string>{"s1.block", "s1.expand", "s1.layers", "s2.block", "s2.group", "s2.squeeze_in"});
    // GC-IBN, group 8: stage 2 input 16 (stage 1 dropped: the stem's 16), expansion 6 -> 96 channels,
    // groups 16 / 8 = 2: a 3x3 conv with 2 groups, 8 input channels per group.
    const auto a = space::parse(d, "block=conv,expand=1,layers=-1/block=gc_ibn,group=8,squeeze_in=0.25");
    const auto net = space::decode(d, a, {1, 32, 32, 3}, 10);
    const auto& ge = net.at(net.find("s2_b0/group_expand"));
    CHECK(ge.groups == 2);
    CHECK(ge.filters == 96);
    CHECK(ge.stride_h == 2);
    // MACs of the grouped conv by hand: 8x8 out (32 -> stem /2 -> /2) * 96 filters * 9 taps * 8
    // channels per group = 442368; weights 9 * 8 * 96 = 6912.
    const auto ci = graph::cost_of(net, net.find("s2_b0/group_expand").id);
    CHECK(ci.macs == 442368);
    CHECK(ci.weights == 6912);
    // Tucker: 1x1 16 -> make_divisible(16 * 0.5, 8) = 8, 3x3 -> make_divisible(16 * 0.75, 8) = 16, 1x1 -> 32.
    const auto t = space::decode(d, space::parse(d, "block=conv,expand=1,layers=-1/block=tucker,group=8,squeeze_in=0.5"),
                                 {1, 32, 32, 3}, 10);
    CHECK(t.at(t.find("s2_b0/tucker_reduce")).filters == 8);
    CHECK(t.at(t.find("s2_b0/tucker_conv")).filters == 16);
    CHECK(t.at(t.find("s2_b0/tucker_conv")).kernel_h == 3);
    CHECK(t.at(t.find("s2_b0/project")).filters == 32);
    CHECK(t.at(t.find("s2_b1/tucker_reduce")).filters == 16);  // 32 * 0.5
    CHECK(t.contains("s2_b1/add"));          // second block: stride 1, 32 -> 32, residual
}

TEST_CASE("Dead decisions never change the network, canonical forms identify networks", "[space]") {
    check_dead_and_canonical<small>(20, 3);
    check_dead_and_canonical<space::edgetpu>(4, 5);
    check_dead_and_canonical<space::mnasnet>(3, 7);
    check_dead_and_canonical<space::pixel4>(3, 9);
    check_dead_and_canonical<space::edgetpu_v2>(3, 11);
    // The expansion of a conv block is dead: canonicalised to the first choice.
    const auto& d = space::description<small>();
    CHECK(space::canonical_text(d, space::parse(d, "block=conv,expand=4,layers=0/block=gc_ibn,group=8,squeeze_in=0.5")) ==
          "block=conv,expand=1,layers=0/block=gc_ibn,group=8,squeeze_in=0.25");
    // A dropped stage: every decision of it is canonicalised.
    CHECK(space::canonical_text(d, space::parse(d, "block=ibn,expand=4,layers=-1/block=tucker,group=16,squeeze_in=0.5")) ==
          "block=conv,expand=1,layers=-1/block=tucker,group=8,squeeze_in=0.5");
    // Width multipliers that round to the same filters: mnasnet stage 1 (16 filters), 0.75 -> 16 = 1.0 -> 16.
    const auto& m = space::description<space::mnasnet>();
    auto a = space::mnasnet_a1_arch();
    auto b = a;
    b.choices[6] = 0;  // s1.width 0.75 instead of 1
    CHECK(graph::structural_difference(space::decode(m, a, {1, 64, 64, 3}, 10), space::decode(m, b, {1, 64, 64, 3}, 10)) == "");
    CHECK(space::canonical(m, a) == space::canonical(m, b));
}

TEST_CASE("Space sizes: raw product and distinct networks, exact against brute force", "[space]") {
    const auto& d = space::description<small>();
    const auto z = space::size_of(d);
    CHECK(z.raw == "128");
    CHECK(z.exact);
    // Brute force: decode every architecture and count distinct networks.
    std::set<std::string> nets;
    std::set<architecture> canon;
    architecture a;
    a.choices.assign(d.decisions.size(), 0);
    std::size_t n = 0;
    for (;;) {
        ++n;
        nets.insert(signature(space::decode(d, a, {1, 32, 32, 3}, 10)));
        canon.insert(space::canonical(d, a));
        std::size_t k = a.choices.size();
        while (k > 0 && ++a.choices[k - 1] == static_cast<int>(d.decisions[k - 1].cardinality)) a.choices[--k] = 0;
        if (k == 0) break;
    }
    CHECK(n == 128);
    CHECK(z.distinct == std::to_string(nets.size()));
    CHECK(canon.size() == nets.size());
    CHECK(nets.size() < 128);
    // The shipped spaces: raw products are exact integers; distinct counts exact and smaller.
    const auto e = space::size_of(space::description<space::edgetpu>());
    CHECK(e.raw == "570630428688384");  // 288^6
    CHECK(e.exact);
    CHECK(e.log10_distinct < e.log10_raw);
    // Forcing the sampled estimate on small gives a figure near the exact count.
    const auto s = space::size_of(d, 1, 400, 5);
    CHECK_FALSE(s.exact);
    CHECK(std::abs(s.log10_distinct - std::log10(static_cast<double>(nets.size()))) < 0.15);
}

TEST_CASE("The edgetpu_v2 space: IBN, fused IBN and GC-IBN per stage", "[space]") {
    using space::edgetpu_v2;
    STATIC_REQUIRE(edgetpu_v2::num_decisions == 35);
    const auto names = space::decision_names<edgetpu_v2>();
    CHECK(names[0] == "s1.block");
    CHECK(names[3] == "s1.group");
    CHECK(names[4] == "s1.width");
    const auto& any = space::find_space("edgetpu_v2");
    CHECK(any.name == "edgetpu_v2");
    rng g(3);
    bool saw_grouped = false;
    for (int i = 0; i < 20; ++i) {
        const auto a = any.sample(g);
        CHECK(any.parse(any.to_text(a)) == a);
        const auto net = any.decode(a, any.deployment.shape(), 1000);
        for (std::size_t k = 0; k < net.size(); ++k) {
            const auto& o = net.ops()[k];
            if (o.kind == graph::op_kind::conv2d && o.groups > 1 && !graph::is_depthwise(o, net.in_channels(k)))
                saw_grouped = true;
        }
    }
    CHECK(saw_grouped);
}

namespace {
// A user's block: a 1x1 conv then a kxk depthwise conv (no projection).
struct point_then_depthwise {
    static constexpr std::string_view name = "pw_dw";
    using slots = space::slot_list<space::kernel_slot, space::act_slot>;
    static graph::node build(graph::network& net, graph::node x, const space::block_context& c) {
        auto y = net.conv2d(x, {.filters = c.out, .act = c.get<space::act_slot>(), .name = c.prefix + "pw"});
        return net.depthwise_conv2d(y, {.kernel = c.get<space::kernel_slot>(), .stride = c.stride,
                                        .act = c.get<space::act_slot>(), .name = c.prefix + "dw"});
    }
    static bool uses(std::string_view key, const space::slot_assignment&) { return slots::has(key); }
    static constexpr weight_sharing sharing(std::string_view key) {
        return key == "kernel" ? weight_sharing::kernel_centre_crop
                               : key == "act" ? weight_sharing::no_weights : weight_sharing::unused;
    }
};
struct user_space : space::search_space<space::stem<8>, space::head<0>,
                                        space::stage<16, 2, 2, space::blocks<point_then_depthwise, space::ibn_block>,
                                                     space::kernels<3, 5>>> {
    static constexpr std::string_view name = "user_space_test";
};
}  // namespace

TEST_CASE("A user's space with a user's block is selectable by name after registration", "[space]") {
    CHECK_FALSE(space::is_space_name("user_space_test"));
    const auto& r = space::register_space<user_space>();
    CHECK(r.name == "user_space_test");
    CHECK(space::is_space_name("user_space_test"));
    CHECK(&space::find_space("user_space_test") == &r);
    CHECK(space::names().back() == "user_space_test");
    CHECK_THROWS_WITH(space::register_space<user_space>(), Catch::Matchers::Contains("already"));
    const auto net = space::decode_named("user_space_test", "block=pw_dw,kernel=5", {1, 32, 32, 3}, 10);
    CHECK(net.at(net.find("s1_b0/dw")).kernel_h == 5);
    CHECK(net.at(net.find("s1_b1/pw")).filters == 16);
}
