// Tests of hw::compact_network, the APM's compact op table: built from a network's ops(), it must
// match them field by field on every zoo model, after a JSON round trip, for copied networks and
// when a table is rebuilt for another network; and the APM must give the same seconds from it.
#include <accelnas/graph.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace accelnas;
using namespace accelnas::graph;
using accelnas::hw::compact_network;
using accelnas::hw::compact_op;

namespace {

// Checks every compact op of `net` against its op; returns the number of ops checked.
std::size_t check_compact(const compact_network& table, const network& net) {
    REQUIRE(table.network() == &net);
    const auto compact = table.ops();
    const auto flat = table.input_indices();
    REQUIRE(compact.size() == net.size());
    std::size_t next_input = 0;  // the inputs are stored op after op
    for (std::size_t i = 0; i < net.size(); ++i) {
        const op& o = net.ops()[i];
        const compact_op& c = compact[i];
        INFO("network " << net.name() << ", op #" << i << " '" << o.name << "'");
        CHECK(c.exact);
        CHECK(c.kind_of() == o.kind);
        CHECK(c.act_of() == o.act);
        CHECK(c.elements == o.out.elements());
        CHECK(c.out_h == o.out.h);
        CHECK(c.out_w == o.out.w);
        CHECK(c.out_c == o.out.c);
        const tensor_shape& x = net.in_shape(i);
        CHECK(c.in_h == x.h);
        CHECK(c.in_w == x.w);
        CHECK(c.in_c == x.c);
        if (!o.inputs.empty()) CHECK(c.in_c == net.in_channels(i));
        CHECK(c.filters == o.filters);
        CHECK(c.groups == o.groups);
        CHECK(c.kernel_h == o.kernel_h);
        CHECK(c.kernel_w == o.kernel_w);
        CHECK(c.stride_h == o.stride_h);
        CHECK(c.in_begin == next_input);
        REQUIRE(c.in_count == o.inputs.size());
        const auto ins = table.inputs_of(c);
        REQUIRE(ins.size() == o.inputs.size());
        for (std::size_t q = 0; q < ins.size(); ++q) {
            CHECK(ins[q] == o.inputs[q]);
            CHECK(flat[c.in_begin + q] == o.inputs[q]);
        }
        next_input += o.inputs.size();
    }
    CHECK(flat.size() == next_input);
    return net.size();
}

std::size_t check_compact(const network& net) { return check_compact(compact_network(net), net); }

}  // namespace

TEST_CASE("compact op table: one cache line per op", "[hw]") {
    STATIC_REQUIRE(sizeof(compact_op) == 64);
    STATIC_REQUIRE(alignof(compact_op) == 64);
    const compact_network none;
    CHECK(none.network() == nullptr);
    CHECK(none.size() == 0);
    const network empty;
    const compact_network table(empty);
    CHECK(table.ops().empty());
    CHECK(table.input_indices().empty());
}

TEST_CASE("compact op table matches ops() on every zoo model", "[hw]") {
    std::size_t ops = 0;
    for (const auto& name : zoo::names()) ops += check_compact(zoo::build(name));
    CHECK(ops > 1000);
}

TEST_CASE("compact op table: multi-input ops pools fc reshape and pad", "[hw]") {
    network net("mixed");
    auto x = net.input({1, 32, 32, 3});
    auto y = net.input({1, 32, 32, 5}, "second_input");
    auto a = net.conv2d(x, {.filters = 8, .kernel_h = 1, .kernel_w = 7, .stride_h = 2, .stride_w = 2});
    auto b = net.conv2d(y, {.filters = 8, .kernel = 3, .stride = 2, .groups = 1, .act = activation::hard_swish});
    auto c = net.depthwise_conv2d(b, {.kernel = 5, .multiplier = 2});
    auto d = net.conv2d(c, {.filters = 8, .groups = 4});
    auto cat = net.concat({a, b, d, a});
    auto m = net.max_pool(cat, {.kernel = 3, .stride = 2, .pad = padding::same});
    auto p = net.avg_pool(net.pad(m, {1, 0, 0, 1}), {.kernel = 2});
    auto s = net.add({p, p, p}, {.act = activation::relu});
    auto g = net.global_avg_pool(s);
    auto e = net.mul(s, net.activate(g, activation::sigmoid));
    net.softmax(net.fully_connected(net.flatten(net.batch_norm(e)), {.units = 10}));
    const compact_network table(net);
    check_compact(table, net);
    const auto& cc = table.ops()[cat.id];
    CHECK(cc.in_count == 4);
    CHECK(table.inputs_of(cc)[3] == a.id);
}

TEST_CASE("compact op table of a JSON round trip, of copies, and rebuilt for another network", "[hw]") {
    compact_network reused;
    for (const char* name : {"efficientnet_edgetpu_s", "mobilenet_v2", "resnet50_v1"}) {
        const network net = zoo::build(name);
        const network back = network_from_json(to_json(net));
        CHECK(structural_difference(net, back).empty());
        check_compact(back);

        const network copy = net;
        check_compact(copy);
        CHECK(compact_network(copy).ops().data() != compact_network(net).ops().data());

        // assign() rebuilds a table in place for networks of other sizes.
        reused.assign(net);
        check_compact(reused, net);
        network grown = net;
        grown.activate(node{grown.size() - 1}, activation::relu, "extra");
        reused.assign(grown);
        check_compact(reused, grown);
        CHECK(reused.size() == net.size() + 1);
    }
}

TEST_CASE("apm::seconds from a prebuilt compact table equals seconds(net) bit for bit", "[hw]") {
    for (const char* target : {"coral-usb", "pixel4-edgetpu"}) {
        const hw::apm apm(hw::targets::edgetpu(target));
        for (const auto& name : zoo::names()) {
            const network net = zoo::build(name);
            const compact_network table(net);
            INFO(target << " " << name);
            CHECK(apm.seconds(table) == apm.seconds(net));
            CHECK(apm.seconds(table) == apm.estimate(net).total_seconds);
        }
    }
    CHECK_THROWS_WITH(hw::apm(hw::targets::coral_usb()).seconds(compact_network{}), Catch::Contains("no network"));
}

TEST_CASE("compact op table flags sizes beyond 32 bits", "[hw]") {
    network net("wide");
    auto x = net.input({1, 1, 1, std::int64_t{3} << 30});  // 3 Gi channels do not fit 32 bits
    auto y = net.activate(x, activation::relu);
    net.global_avg_pool(y);
    const compact_network table(net);
    const auto c = table.ops();
    for (std::size_t i = 0; i < net.size(); ++i) {
        CHECK_FALSE(c[i].exact);
        CHECK(c[i].elements == net.ops()[i].out.elements());  // elements and kind stay exact
        CHECK(c[i].kind_of() == net.ops()[i].kind);
        CHECK(c[i].out_c == 0);
        CHECK(c[i].out_h == 1);
    }
    CHECK(table.inputs_of(c[2]).size() == 1);
    CHECK(table.inputs_of(c[2])[0] == 1);
}
