// NAS-Bench-201 arch strings and the two graph variants of reference/architectures.md.
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/zoo/nasbench201.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace accelnas;
using zoo::nb201_op;
using zoo::nb201_variant;

namespace {

std::vector<std::string> latbench_archs() {
    std::ifstream in(std::string(ACCELNAS_REFERENCE_DIR) + "/latbench_edgetpu_calibration.csv");
    REQUIRE(in.good());
    std::vector<std::string> r;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] != '|') continue;  // comments and the header
        r.push_back(line.substr(0, line.find(',')));
    }
    return r;
}

std::map<graph::op_kind, int> kinds(const graph::network& n) {
    std::map<graph::op_kind, int> r;
    for (const auto& o : n.ops()) ++r[o.kind];
    return r;
}

// Ops whose name starts with "s<stage>c" belong to a cell.
int cell_ops(const graph::network& n, graph::op_kind k) {
    int c = 0;
    for (const auto& o : n.ops())
        if (o.kind == k && o.name.size() > 2 && o.name[0] == 's' && o.name[2] == 'c') ++c;
    return c;
}

bool is_conv(nb201_op o) { return o == nb201_op::nor_conv_1x1 || o == nb201_op::nor_conv_3x3; }

// Independent of the builder's sweeps: an edge is live when it lies on one of the four
// input -> output paths of the cell (0-3, 0-1-3, 0-2-3, 0-1-2-3) whose edges are all not `none`.
std::array<bool, 6> live_edges(const zoo::nb201_cell& c) {
    const std::vector<std::vector<int>> paths{{0, 3}, {0, 1, 3}, {0, 2, 3}, {0, 1, 2, 3}};
    std::array<bool, 6> live{};
    for (const auto& p : paths) {
        bool ok = true;
        for (std::size_t k = 0; k + 1 < p.size(); ++k) ok = ok && c.op(p[k + 1], p[k]) != nb201_op::none;
        if (!ok) continue;
        for (std::size_t k = 0; k + 1 < p.size(); ++k) live[zoo::nb201_cell::edge_index(p[k + 1], p[k])] = true;
    }
    return live;
}

// Closed-form MACs of the training graph from the table of architectures.md: stem 3x3 conv
// 3 -> 16 at 32x32; per stage (C, H) in (16, 32), (32, 16), (64, 8) five cells whose every conv
// edge (dead ones included) costs H*H*C*C*k*k; reductions conv3x3 s2 + conv3x3 + 1x1 shortcut
// conv; FC 64 -> 10.
std::int64_t expected_training_macs(const zoo::nb201_cell& c) {
    std::int64_t per_cell_1x1 = 0, per_cell_3x3 = 0;
    for (auto o : c.edges) {
        per_cell_1x1 += o == nb201_op::nor_conv_1x1;
        per_cell_3x3 += o == nb201_op::nor_conv_3x3;
    }
    std::int64_t m = 32 * 32 * 16 * 3 * 9;  // stem
    const std::array<std::int64_t, 3> ch{16, 32, 64}, hw{32, 16, 8};
    for (int s = 0; s < 3; ++s) {
        const auto C = ch[s], H = hw[s];
        m += 5 * H * H * C * C * (per_cell_1x1 + 9 * per_cell_3x3);
        if (s > 0) {
            const auto Cin = ch[s - 1];
            m += H * H * C * Cin * 9 + H * H * C * C * 9 + H * H * C * Cin;
        }
    }
    return m + 64 * 10;
}

}  // namespace

TEST_CASE("NB201 arch strings of the LatBench calibration set parse, round-trip and build", "[zoo][nb201]") {
    const auto archs = latbench_archs();
    REQUIRE(archs.size() == 2000);
    for (const auto& a : archs) {
        const auto cell = zoo::parse_nb201_arch(a);
        REQUIRE(zoo::to_string(cell) == a);
        // LatBench measured only connected cells.
        REQUIRE(zoo::nb201_connected(cell));
        for (auto v : {nb201_variant::training, nb201_variant::latbench}) {
            const auto net = zoo::nasbench201(a, v);
            net.validate();
            REQUIRE(net.input_shape() == graph::tensor_shape{1, 32, 32, 3});
            REQUIRE(net.ops().back().out == graph::tensor_shape{1, 1, 1, 10});
        }
    }
}

TEST_CASE("all 15,625 NB201 cells are generated once, parse and build in both variants", "[zoo][nb201]") {
    const auto all = zoo::nasbench201_all_archs();
    REQUIRE(all.size() == 15625);
    REQUIRE(std::set<std::string>(all.begin(), all.end()).size() == 15625);
    // Documented order: edge 1<-0 is the most significant digit, ops in enum order.
    CHECK(all.front() == "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    CHECK(all[1] == "|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|");
    CHECK(all.back() == "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|");
    int disconnected = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const auto cell = zoo::parse_nb201_arch(all[i]);
        REQUIRE(zoo::nasbench201_index(cell) == i);
        REQUIRE(zoo::nasbench201_cell_at(i) == cell);
        const auto live = live_edges(cell);
        bool any_live = false;
        int live_convs = 0, all_convs = 0;
        for (std::size_t e = 0; e < 6; ++e) {
            any_live = any_live || live[e];
            live_convs += live[e] && is_conv(cell.edges[e]);
            all_convs += is_conv(cell.edges[e]);
        }
        REQUIRE(zoo::nb201_connected(cell) == any_live);
        disconnected += !any_live;

        const auto lat = zoo::nasbench201(cell, nb201_variant::latbench);
        const auto tr = zoo::nasbench201(cell, nb201_variant::training);
        lat.validate();
        tr.validate();
        // LatBench: exactly one conv per conv edge on a live path, in each of the 15 cells.
        REQUIRE(cell_ops(lat, graph::op_kind::conv2d) == 15 * live_convs);
        // Training: every conv edge is computed, each as ReLU -> conv with BN.
        REQUIRE(cell_ops(tr, graph::op_kind::conv2d) == 15 * all_convs);
        REQUIRE(graph::cost_of(tr).macs == expected_training_macs(cell));
        // The LatBench graph is a pruned training graph: never more MACs.
        REQUIRE(graph::cost_of(lat).macs <= graph::cost_of(tr).macs);
    }
    // LatBench lists 15,284 architectures: exactly the connected ones.
    CHECK(disconnected == 15625 - 15284);
}

TEST_CASE("LatBench variant removes none, skip and dead edges", "[zoo][nb201]") {
    using K = graph::op_kind;
    // The fixed part of every LatBench graph: input, stem, 2 reductions (conv, conv, pool, conv, add),
    // avgpool 8x8, logits.
    const std::map<K, int> fixed{{K::input, 1}, {K::conv2d, 7}, {K::avg_pool, 3}, {K::add, 2}, {K::fully_connected, 1}};

    SECTION("a cell of skip and none edges is the identity") {
        const auto n = zoo::nasbench201("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
                                        nb201_variant::latbench);
        CHECK(kinds(n) == fixed);
        CHECK(n.size() == 14);
    }
    SECTION("dead branches are gone") {
        // Nodes 1 and 2 compute convs that never reach node 3.
        const auto n = zoo::nasbench201("|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|none~2|",
                                        nb201_variant::latbench);
        CHECK(kinds(n) == fixed);
        const auto t = zoo::nasbench201("|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|none~2|",
                                        nb201_variant::training);
        CHECK(cell_ops(t, K::conv2d) == 30);
        CHECK(cell_ops(t, K::activation) == 30);  // each conv edge has its own ReLU
    }
    SECTION("a node without inputs kills its out-edges") {
        const auto n = zoo::nasbench201("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|",
                                        nb201_variant::latbench);
        CHECK(cell_ops(n, K::conv2d) == 30);
        CHECK(cell_ops(n, K::avg_pool) == 0);
        CHECK(cell_ops(n, K::add) == 0);
        for (const auto& o : n.ops())
            if (o.kind == K::conv2d && o.name[0] == 's') {
                CHECK(o.act == graph::activation::relu);
                CHECK_FALSE(o.batch_norm);
                CHECK_FALSE(o.bias);
                CHECK(o.pad == graph::padding::same);
            }
    }
    SECTION("skip edges are contracted and a tensor reaching a sum over two paths counts once") {
        // node 1 = x, node 2 = x + conv(x), node 3 = skip(x) + skip(node 1) + skip(node 2): the
        // builder of the measured graphs sums {x, conv(x)} once (one two-input add per cell).
        const auto n = zoo::nasbench201(
            "|skip_connect~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
            nb201_variant::latbench);
        CHECK(cell_ops(n, K::conv2d) == 15);
        CHECK(cell_ops(n, K::add) == 15);
        const auto& out = n.at(n.find("s1c0_out_sum1"));
        REQUIRE(out.inputs.size() == 2);
        CHECK(n.at(out.inputs[0]).name == "stem");
        CHECK(n.at(out.inputs[1]).name == "s1c0_n2e1_conv");
        CHECK_FALSE(n.contains("s1c0_out_sum2"));
        // Two skip paths from the input to node 3 (directly and through node 1): node 3 is x,
        // the whole cell is the identity.
        const auto id = zoo::nasbench201("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|",
                                         nb201_variant::latbench);
        CHECK(kinds(id) == fixed);
        // node 2 = conv(x) + skip(node 1 = x) = {x, conv}; node 3 = skip(x) + skip(node 2) = {x, conv}.
        const auto m = zoo::nasbench201("|skip_connect~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|skip_connect~2|",
                                        nb201_variant::latbench);
        CHECK(cell_ops(m, K::conv2d) == 15);
        CHECK(cell_ops(m, K::add) == 15);
        // The training graph still computes x + x: node 3 = x + node 2 = x + (conv(x) + x).
        const auto t = zoo::nasbench201("|skip_connect~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|skip_connect~2|",
                                        nb201_variant::training);
        CHECK(cell_ops(t, K::add) == 30);
        // An op's output, not only the cell input, merges: node 1 = A = conv3(x), node 2 = skip(A),
        // node 3 = skip(node 1) + skip(node 2) = A (eagle's matrix has one entry A -> output).
        const auto a = zoo::nasbench201("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|skip_connect~1|skip_connect~2|",
                                        nb201_variant::latbench);
        CHECK(cell_ops(a, K::conv2d) == 15);
        CHECK(cell_ops(a, K::add) == 0);
    }
    SECTION("a sum takes its terms in creation order, also when a skip brings an earlier one in") {
        // node 2 = B = conv1(x); node 3 = D + skip(node 2) with D = conv3(x) made after B: the output
        // sums B + D (eagle: output inputs in op-node order, edge 2<-0 before edge 3<-0).
        const auto n = zoo::nasbench201("|none~0|+|nor_conv_1x1~0|none~1|+|nor_conv_3x3~0|none~1|skip_connect~2|",
                                        nb201_variant::latbench);
        const auto& out = n.at(n.find("s1c0_out_sum1"));
        REQUIRE(out.inputs.size() == 2);
        CHECK(n.at(out.inputs[0]).name == "s1c0_n2e0_conv");
        CHECK(n.at(out.inputs[1]).name == "s1c0_n3e0_conv");
    }
    SECTION("every sum is a chain of two-input adds in the order the ops were made") {
        // node 1 = A = conv3(x); node 2 = B + C with B = conv1(x), C = avgpool(A);
        // node 3 = x + D + E with D = conv3(A), E = conv1(B + C): per cell 4 convs, 1 pool and 3 adds
        // (one for the input of E, two for the output).
        const auto n = zoo::nasbench201(
            "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
            nb201_variant::latbench);
        CHECK(cell_ops(n, K::conv2d) == 60);
        CHECK(cell_ops(n, K::avg_pool) == 15);
        CHECK(cell_ops(n, K::add) == 45);
        auto input_names = [&](const char* op) {
            std::vector<std::string> r;
            for (auto i : n.at(n.find(op)).inputs) r.push_back(n.at(i).name);
            return r;
        };
        CHECK(input_names("s1c0_n3e2_sum1") == std::vector<std::string>{"s1c0_n2e0_conv", "s1c0_n2e1_avgpool"});
        CHECK(input_names("s1c0_n3e2_conv") == std::vector<std::string>{"s1c0_n3e2_sum1"});
        CHECK(input_names("s1c0_out_sum1") == std::vector<std::string>{"stem", "s1c0_n3e1_conv"});
        CHECK(input_names("s1c0_out_sum2") == std::vector<std::string>{"s1c0_out_sum1", "s1c0_n3e2_conv"});
        CHECK(input_names("s1c1_n1e0_conv") == std::vector<std::string>{"s1c0_out_sum2"});
    }
    SECTION("a cell whose output has no path from its input is passed through") {
        // (arch, the node that is zero in the training graph)
        for (auto [a, zero] : std::vector<std::pair<const char*, const char*>>{
                 {"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "s1c0_n3_zero"},
                 {"|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|none~2|", "s1c0_n3_zero"},
                 {"|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|", "s1c0_n2_zero"}}) {
            const auto n = zoo::nasbench201(a, nb201_variant::latbench);
            CHECK(kinds(n) == fixed);
            // The training graph still computes the dead ops and represents the zero node.
            const auto t = zoo::nasbench201(a, nb201_variant::training);
            t.validate();
            CHECK(t.contains(zero));
            CHECK(t.at(t.find(zero)).kind == K::activation);
            CHECK(t.at(t.find(zero)).act == graph::activation::none);
        }
    }
    SECTION("stem, reduction and head follow the measured graph") {
        const auto n = zoo::nasbench201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                                        nb201_variant::latbench);
        const auto& stem = n.at(n.find("stem"));
        CHECK(stem.act == graph::activation::relu);
        CHECK_FALSE(stem.batch_norm);
        const auto& a = n.at(n.find("r2_a_conv"));
        CHECK(a.stride_h == 2);
        CHECK(a.act == graph::activation::none);
        CHECK_FALSE(a.batch_norm);
        CHECK(n.at(n.find("r2_b_conv")).act == graph::activation::none);
        CHECK(n.at(n.find("r3_add")).out == graph::tensor_shape{1, 8, 8, 64});
        const auto& pool = n.at(n.find("avgpool"));
        CHECK(pool.kind == K::avg_pool);
        CHECK(pool.kernel_h == 8);
        CHECK(pool.out == graph::tensor_shape{1, 1, 1, 64});
        CHECK(n.ops().back().bias);
        CHECK(kinds(n)[K::batch_norm] == 0);
        CHECK(kinds(n)[K::activation] == 0);
    }
}

TEST_CASE("NB201 training variant follows the NAS-Bench-201 code", "[zoo][nb201]") {
    using K = graph::op_kind;
    const auto n = zoo::nasbench201("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|",
                                    nb201_variant::training);
    // ReLU -> conv (BN) on conv edges.
    const auto& c = n.at(n.find("s2c3_n1e0_conv"));
    CHECK(c.batch_norm);
    CHECK(c.act == graph::activation::none);
    CHECK(n.at(c.inputs[0]).kind == K::activation);
    CHECK(n.at(c.inputs[0]).act == graph::activation::relu);
    // avg pool 3x3, stride 1, padding excluded from the mean.
    const auto& p = n.at(n.find("s1c0_n2e1_avgpool"));
    CHECK(p.kernel_h == 3);
    CHECK(p.stride_h == 1);
    CHECK_FALSE(p.count_include_pad);
    // Reduction: ResNet basic block with ReLU-conv-BN and the pooled 1x1 shortcut.
    CHECK(n.at(n.find("r2_a_conv")).batch_norm);
    CHECK(n.at(n.find("r2_a_relu")).act == graph::activation::relu);
    CHECK_FALSE(n.at(n.find("r2_shortcut_conv")).batch_norm);
    CHECK(n.at(n.find("r2_shortcut_avgpool")).kernel_h == 2);
    // Head: BN + ReLU -> global pool -> FC with bias.
    CHECK(n.at(n.find("lastact")).kind == K::batch_norm);
    CHECK(n.at(n.find("lastact")).act == graph::activation::relu);
    CHECK(n.ops().back().kind == K::fully_connected);
    // Stem: conv + BN, no activation.
    CHECK(n.at(n.find("stem")).batch_norm);
    CHECK(n.at(n.find("stem")).act == graph::activation::none);
    // Costs: MACs from the closed form; parameters count conv weights (no bias), the FC and BN apart.
    const auto cost = graph::cost_of(n);
    CHECK(cost.macs == expected_training_macs(zoo::parse_nb201_arch(
                           "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")));
}

TEST_CASE("NB201 training-graph costs match the NAS-Bench-201 cost figures", "[zoo][nb201]") {
    // Issue 2 quotes about 1.07 M parameters / 153 M FLOPs from the NAS-Bench-201 API for a top
    // CIFAR-10 cell (the API counts BN affine parameters and multiply-adds; not re-checked offline
    // here). Those figures fit a cell with four nor_conv_3x3 edges, one nor_conv_1x1 and one skip;
    // the string quoted with them has five 3x3 edges and costs about 185 M / 1.29 M (closed form).
    const auto n = zoo::nasbench201(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        nb201_variant::training);
    const auto c = graph::cost_of(n);
    CHECK(std::abs(static_cast<double>(c.macs) - 153e6) < 0.02 * 153e6);
    CHECK(std::abs(static_cast<double>(c.params + c.bn_params) - 1.07e6) < 0.02 * 1.07e6);
}

TEST_CASE("NB201 options: classes, resolution and channels", "[zoo][nb201]") {
    const auto a = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
    for (auto v : {nb201_variant::training, nb201_variant::latbench}) {
        const auto n = zoo::nasbench201(a, v, {.resolution = 64, .classes = 100, .channels = 1});
        CHECK(n.input_shape() == graph::tensor_shape{1, 64, 64, 1});
        CHECK(n.ops().back().out.c == 100);
        CHECK_THROWS_AS(zoo::nasbench201(a, v, {.resolution = 30}), accelnas::error);
        CHECK_THROWS_AS(zoo::nasbench201(a, v, {.classes = -1}), accelnas::error);
        CHECK_THROWS_AS(zoo::nasbench201(a, v, {.channels = -3}), accelnas::error);
    }
    CHECK(zoo::nasbench201(a, nb201_variant::training).name() == std::string("nb201:") + a);
    CHECK(zoo::nasbench201(a, nb201_variant::latbench).name() == std::string("nb201-latbench:") + a);
    CHECK_THROWS_AS(zoo::nasbench201_cell_at(15625), accelnas::error);
}

TEST_CASE("malformed NB201 arch strings are rejected with the position at fault", "[zoo][nb201]") {
    const std::vector<std::pair<std::string, std::string>> bad{
        {"", "empty"},
        {"|nor_conv_3x3~0|", "node 1 of 3"},                                                   // one node
        {"|nor_conv_3x3~0|+|none~0|none~1|", "node 2 of 3"},                                   // two nodes
        {"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|", "after node 3"},          // four nodes
        {"|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "more than 1"},             // too many edges
        {"|none~0|+|none~0|+|none~0|none~1|none~2|", "has 1 edge(s), expected 2"},             // too few edges
        {"|conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv_3x3'"},      // unknown op
        {"|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "must come from node ~1"},         // wrong ~k
        {"|none~0|+|none~0|none~1|+|none~0|none~1|none~12|", "must come from node ~2"},        // ~k too long
        {"|none|+|none~0|none~1|+|none~0|none~1|none~2|", "no '~k'"},                          // missing ~k
        {"none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "expected '|' opening node 1"},     // missing pipe
        {"|none~0+|none~0|none~1|+|none~0|none~1|none~2|", "missing '|' before '+'"},          // missing pipe
        {"|none~0|+|none~0|none~1|+|none~0|none~1|none~2", "not closed"},                      // unterminated
        {"|none~0|-|none~0|none~1|+|none~0|none~1|none~2|", "expected '+'"},                   // wrong separator
        {"|none~0||+|none~0|none~1|+|none~0|none~1|none~2|", "more than 1"},                   // empty edge
        {"|NONE~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'NONE'"},              // case matters
        {"|none~0|+|none~0|none~1|+|none~0|none~1|none~2| ", "after node 3"},                  // trailing space
    };
    for (const auto& [s, what] : bad) {
        INFO("arch string: '" << s << "'");
        try {
            zoo::parse_nb201_arch(s);
            FAIL("no error");
        } catch (const accelnas::error& e) {
            const std::string msg = e.what();
            INFO("message: " << msg);
            CHECK(msg.find("position") != std::string::npos);
            CHECK(msg.find(what) != std::string::npos);
        }
        CHECK_THROWS_AS(zoo::nasbench201(s, nb201_variant::latbench), accelnas::error);
    }
}

TEST_CASE("mutated NB201 arch strings either parse and round-trip or raise accelnas::error", "[zoo][nb201]") {
    // Random single-character edits, insertions and deletions of valid strings: the parser must
    // never crash, and what it accepts must be a well-formed string.
    accelnas::rng g(20261123);
    const std::string alphabet = "|+~0123456789_abcdefghijklmnopqrstuvwxyz ";
    int accepted = 0, rejected = 0;
    for (int t = 0; t < 20000; ++t) {
        std::string s = zoo::to_string(zoo::nasbench201_cell_at(accelnas::uniform_index(g, zoo::nb201_cell_count)));
        const auto pos = accelnas::uniform_index(g, s.size());
        const char ch = alphabet[accelnas::uniform_index(g, alphabet.size())];
        switch (accelnas::uniform_index(g, 3)) {
        case 0: s[pos] = ch; break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), ch); break;
        default: s.erase(pos, 1); break;
        }
        try {
            const auto c = zoo::parse_nb201_arch(s);
            REQUIRE(zoo::to_string(c) == s);
            ++accepted;
        } catch (const accelnas::error& e) {
            REQUIRE(std::string(e.what()).find("position") != std::string::npos);
            ++rejected;
        }
    }
    CHECK(rejected > 0);
    CHECK(accepted > 0);  // e.g. a digit-for-digit or op-for-op edit can give another valid string
}
