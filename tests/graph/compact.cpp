// Tests of network::compact_ops() and network::input_indices(): the compact op table is derived from
// ops() as ops are appended and must match it field by field, on every zoo model, after a JSON round
// trip and in copied and moved networks.
#include <accelnas/graph.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace accelnas;
using namespace accelnas::graph;

namespace {

// Checks every compact op of `net` against its op; returns the number of ops checked.
std::size_t check_compact(const network& net) {
    const auto compact = net.compact_ops();
    const auto flat = net.input_indices();
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
        const auto ins = net.compact_inputs(c);
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

}  // namespace

TEST_CASE("compact op table: one cache line per op") {
    STATIC_REQUIRE(sizeof(compact_op) == 64);
    STATIC_REQUIRE(alignof(compact_op) == 64);
    const network empty;
    CHECK(empty.compact_ops().empty());
    CHECK(empty.input_indices().empty());
}

TEST_CASE("compact op table matches ops() on every zoo model") {
    std::size_t ops = 0;
    for (const auto& name : zoo::names()) ops += check_compact(zoo::build(name));
    CHECK(ops > 1000);
}

TEST_CASE("compact op table: multi-input ops pools fc reshape and pad") {
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
    check_compact(net);
    const auto& cc = net.compact_ops()[cat.id];
    CHECK(cc.in_count == 4);
    CHECK(net.compact_inputs(cc)[3] == a.id);
}

TEST_CASE("compact op table survives a JSON round trip and copies and moves") {
    for (const char* name : {"efficientnet_edgetpu_s", "mobilenet_v2", "resnet50_v1"}) {
        const network net = zoo::build(name);
        const network back = network_from_json(to_json(net));
        CHECK(structural_difference(net, back).empty());
        check_compact(back);

        network copy = net;  // copy construction
        check_compact(copy);
        CHECK(copy.compact_ops().data() != net.compact_ops().data());
        network assigned("x");
        assigned.input({1, 8, 8, 1});
        assigned = net;  // copy assignment replaces the old table
        check_compact(assigned);

        network moved = std::move(copy);  // move construction
        check_compact(moved);
        network move_assigned;
        move_assigned = std::move(assigned);
        check_compact(move_assigned);

        // Appending to a copy leaves the original's table alone.
        network grown = net;
        grown.activate(node{grown.size() - 1}, activation::relu, "extra");
        check_compact(grown);
        check_compact(net);
        CHECK(grown.compact_ops().size() == net.compact_ops().size() + 1);
    }
}

TEST_CASE("compact op table flags sizes beyond 32 bits") {
    network net("wide");
    auto x = net.input({1, 1, 1, std::int64_t{3} << 30});  // 3 Gi channels do not fit 32 bits
    auto y = net.activate(x, activation::relu);
    net.global_avg_pool(y);
    const auto c = net.compact_ops();
    for (std::size_t i = 0; i < net.size(); ++i) {
        CHECK_FALSE(c[i].exact);
        CHECK(c[i].elements == net.ops()[i].out.elements());  // elements and kind stay exact
        CHECK(c[i].kind_of() == net.ops()[i].kind);
        CHECK(c[i].out_c == 0);
        CHECK(c[i].out_h == 1);
    }
    CHECK(net.compact_inputs(c[2]).size() == 1);
    CHECK(net.compact_inputs(c[2])[0] == 1);
}
