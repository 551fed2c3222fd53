#pragma once
/// \file
/// NAS-Bench-201 networks from an arch string, in the two graph variants of
/// reference/architectures.md: the training graph of the NAS-Bench-201 code and the graph that
/// BRP-NAS LatBench measured on the Edge TPU.
///
/// Cell: nodes 0..3, node 0 = cell input, node j = sum over i < j of op(j <- i)(node i), output =
/// node 3. The arch string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` lists the edges into nodes 1, 2, 3.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/classic_common.hpp>
#include <accelnas/zoo/options.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::zoo {

/// Which NAS-Bench-201 graph to build.
enum class nb201_variant {
    training,  ///< the network the NAS-Bench-201 code trains (ReLU-conv-BN edges, zero edges, ResNet reductions)
    latbench,  ///< the pruned graph measured on the Edge TPU by BRP-NAS LatBench (none/skip/dead ops removed)
};

/// The five operations an edge of a NAS-Bench-201 cell can carry, in their canonical order.
enum class nb201_op { none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 };

/// Names of the edge operations as they appear in arch strings.
inline constexpr std::array<std::string_view, 5> nb201_op_names{"none", "skip_connect", "nor_conv_1x1",
                                                                "nor_conv_3x3", "avg_pool_3x3"};

/// Text name of an edge operation ("nor_conv_3x3", ...).
constexpr std::string_view to_string(nb201_op o) noexcept {
    const auto i = static_cast<std::size_t>(o);
    return i < nb201_op_names.size() ? nb201_op_names[i] : std::string_view("invalid_op");
}

/// A parsed NAS-Bench-201 cell: the operation on each of its 6 edges.
struct nb201_cell {
    /// Number of edges of a cell.
    static constexpr std::size_t edge_count = 6;
    /// Source node of edge e (edges in arch-string order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2).
    static constexpr std::array<int, 6> edge_from{0, 0, 1, 0, 1, 2};
    /// Target node of edge e.
    static constexpr std::array<int, 6> edge_to{1, 2, 2, 3, 3, 3};

    /// Edge operations in arch-string order.
    std::array<nb201_op, 6> edges{};

    /// Index of the edge `to <- from` (0 <= from < to <= 3).
    static constexpr std::size_t edge_index(int to, int from) noexcept {
        return static_cast<std::size_t>(to * (to - 1) / 2 + from);
    }
    /// Operation on the edge `to <- from`.
    constexpr nb201_op op(int to, int from) const noexcept { return edges[edge_index(to, from)]; }

    friend constexpr bool operator==(const nb201_cell&, const nb201_cell&) = default;
};

/// Number of distinct NAS-Bench-201 cells (5 ops on 6 edges).
inline constexpr std::size_t nb201_cell_count = 15625;

/// Arch string of a cell, `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
inline std::string to_string(const nb201_cell& c) {
    std::string s;
    s.reserve(96);
    for (int to = 1; to <= 3; ++to) {
        if (to > 1) s += '+';
        s += '|';
        for (int from = 0; from < to; ++from) {
            s += to_string(c.op(to, from));
            s += '~';
            s += static_cast<char>('0' + from);
            s += '|';
        }
    }
    return s;
}

/// Parses an arch string. Malformed strings raise `accelnas::error` naming the character position
/// and what was expected there (node count, edge count per node, op name, `~k` source index, pipes).
inline nb201_cell parse_nb201_arch(std::string_view s) {
    auto bad = [&](std::size_t pos, auto&&... what) {
        fail("NAS-Bench-201 arch string '", s, "': at position ", pos, ": ", what...,
             " (expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2| with op one of none, skip_connect, "
             "nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)");
    };
    if (s.empty()) bad(0, "empty string");
    nb201_cell cell;
    std::size_t pos = 0;
    for (int to = 1; to <= 3; ++to) {
        if (to > 1) {
            if (pos >= s.size()) bad(pos, "string ends after node ", to - 1, " of 3 (missing '+|...|' for node ", to, ")");
            if (s[pos] != '+') bad(pos, "expected '+' before node ", to, ", found '", s[pos], "'");
            ++pos;
        }
        if (pos >= s.size() || s[pos] != '|')
            bad(pos, "expected '|' opening node ", to, pos < s.size() ? "" : " (string ended)");
        ++pos;
        for (int from = 0; from < to; ++from) {
            // One edge token: op~k, terminated by '|'.
            const auto start = pos;
            const auto bar = s.find('|', pos);
            if (bar == std::string_view::npos) bad(pos, "edge ", from, " of node ", to, " is not closed by '|'");
            const auto tok = s.substr(start, bar - start);
            if (tok.empty()) {
                if (bar + 1 < s.size() && s[bar + 1] == '+')
                    bad(start, "node ", to, " has ", from, " edge(s), expected ", to);
                bad(start, "empty edge ", from, " of node ", to);
            }
            if (tok.find('+') != std::string_view::npos)
                bad(start, "node ", to, " has ", from, " edge(s), expected ", to, " (missing '|' before '+'?)");
            const auto tilde = tok.find('~');
            if (tilde == std::string_view::npos) bad(start, "edge '", tok, "' has no '~k' source index");
            const auto name = tok.substr(0, tilde);
            std::size_t k = 0;
            while (k < nb201_op_names.size() && nb201_op_names[k] != name) ++k;
            if (k == nb201_op_names.size()) bad(start, "unknown op '", name, "'");
            const auto idx = tok.substr(tilde + 1);
            if (idx.size() != 1 || idx[0] != static_cast<char>('0' + from))
                bad(start + tilde + 1, "edge ", from, " of node ", to, " must come from node ~", from, ", found '~",
                    idx, "'");
            cell.edges[nb201_cell::edge_index(to, from)] = static_cast<nb201_op>(k);
            pos = bar + 1;
        }
        if (pos < s.size() && s[pos] != '+') {
            const char ch = s[pos];
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '|')
                bad(pos, "node ", to, " has more than ", to, " edge(s)");
            if (to == 3) bad(pos, "unexpected text after node 3 (a cell has exactly 3 nodes after the input)");
            bad(pos, "expected '+' after node ", to, ", found '", ch, "'");
        }
    }
    if (pos != s.size()) bad(pos, "unexpected text after node 3 (a cell has exactly 3 nodes after the input)");
    return cell;
}

/// The cell with index `i` in [0, 15625): edge e carries op (i / 5^(5-e)) % 5, so edge 0 (1<-0) is
/// the most significant digit and ops count in the order of `nb201_op`. This is NOT the index of
/// the NAS-Bench-201 API (which follows its meta file).
inline nb201_cell nasbench201_cell_at(std::size_t i) {
    require(i < nb201_cell_count, "NAS-Bench-201 cell index ", i, " out of range [0, ", nb201_cell_count, ")");
    nb201_cell c;
    for (std::size_t e = nb201_cell::edge_count; e-- > 0;) {
        c.edges[e] = static_cast<nb201_op>(i % 5);
        i /= 5;
    }
    return c;
}

/// Index of a cell in the order of `nasbench201_cell_at`.
inline std::size_t nasbench201_index(const nb201_cell& c) noexcept {
    std::size_t i = 0;
    for (auto o : c.edges) i = i * 5 + static_cast<std::size_t>(o);
    return i;
}

/// All 15,625 arch strings, in the order of `nasbench201_cell_at` (lexicographic over edges
/// 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 with ops ordered none < skip_connect < nor_conv_1x1 <
/// nor_conv_3x3 < avg_pool_3x3).
inline std::vector<std::string> nasbench201_all_archs() {
    std::vector<std::string> r;
    r.reserve(nb201_cell_count);
    for (std::size_t i = 0; i < nb201_cell_count; ++i) r.push_back(to_string(nasbench201_cell_at(i)));
    return r;
}

/// True when the cell's output node has a path from its input over edges that are not `none`
/// (341 of the 15,625 cells have none; LatBench contains none of those).
inline bool nb201_connected(const nb201_cell& c) noexcept {
    std::array<bool, 4> reach{true, false, false, false};
    for (std::size_t e = 0; e < nb201_cell::edge_count; ++e)
        if (c.edges[e] != nb201_op::none && reach[nb201_cell::edge_from[e]]) reach[nb201_cell::edge_to[e]] = true;
    return reach[3];
}

namespace detail {

struct nb201_build {
    graph::network& net;
    nb201_variant variant;

    static std::string name(const std::string& prefix, const char* what, int to, int from) {
        std::string s = prefix;
        s += "n";
        s += static_cast<char>('0' + to);
        s += "e";
        s += static_cast<char>('0' + from);
        s += what;
        return s;
    }

    // One non-none, non-skip edge applied to `x`.
    graph::node edge(graph::node x, nb201_op op, std::int64_t c, const std::string& prefix, int to, int from) {
        using graph::activation;
        using graph::padding;
        switch (op) {
        case nb201_op::nor_conv_1x1:
        case nb201_op::nor_conv_3x3: {
            const int k = op == nb201_op::nor_conv_1x1 ? 1 : 3;
            if (variant == nb201_variant::training) {
                // ReLUConvBN: each edge has its own ReLU (they are separate modules in NAS-Bench-201).
                auto r = net.activate(x, activation::relu, name(prefix, "_relu", to, from));
                return net.conv2d(r, {.filters = c, .kernel = k, .bn = true, .name = name(prefix, "_conv", to, from)});
            }
            return net.conv2d(x, {.filters = c, .kernel = k, .bn = false, .act = activation::relu,
                                  .name = name(prefix, "_conv", to, from)});
        }
        case nb201_op::avg_pool_3x3:
            return net.avg_pool(x, {.kernel = 3, .stride = 1, .pad = padding::same, .count_include_pad = false,
                                    .name = name(prefix, "_avgpool", to, from)});
        case nb201_op::none:
        case nb201_op::skip_connect:
            break;
        }
        fail("NAS-Bench-201 builder: edge ", to, "<-", from, " op '", to_string(op), "' has no op to build");
    }

    graph::node sum(std::vector<graph::node>& terms, const std::string& prefix, int to) {
        if (terms.size() == 1) return terms[0];
        return net.add(terms, {.name = prefix + "n" + static_cast<char>('0' + to) + "_add"});
    }

    graph::node cell(graph::node x, const nb201_cell& cell, std::int64_t c, const std::string& prefix) {
        std::array<graph::node, 4> val{x, x, x, x};
        if (variant == nb201_variant::training) {
            // Every edge is computed, dead ones included. `none` edges contribute x * 0: dropping the
            // term leaves the sum's value and its costs (0 MACs, 0 params) unchanged. A node whose
            // edges are all `none` is the zero tensor; the IR has no constant op, so it is an
            // identity-activation op named "<prefix>n<j>_zero" fed by the cell input: shapes and
            // costs are exact, only its value (zero) is not expressed.
            for (int to = 1; to <= 3; ++to) {
                std::vector<graph::node> terms;
                for (int from = 0; from < to; ++from) {
                    const auto op = cell.op(to, from);
                    if (op == nb201_op::none) continue;
                    terms.push_back(op == nb201_op::skip_connect ? val[from] : edge(val[from], op, c, prefix, to, from));
                }
                if (terms.empty())
                    val[to] = net.activate(x, graph::activation::none, prefix + "n" + static_cast<char>('0' + to) + "_zero");
                else
                    val[to] = sum(terms, prefix, to);
            }
            return val[3];
        }
        // LatBench: the graph of the builder that made the measured models (BRP-NAS's eagle). Only
        // edges that are not `none` and lie on an input -> output path are built. A `skip_connect`
        // edge is contracted: the node's terms pass to the consumers of its target, and a tensor
        // that reaches a consumer over several skip paths is summed once (the builder keeps the
        // cell as a 0/1 adjacency matrix between op nodes, so parallel paths merge), e.g. node 3 =
        // x + skip(node 1 = skip(x)) is x, not x + x. Every consumer (an edge op or the cell
        // output) sums its terms with a chain of two-input adds, as the builder's `a += b` does,
        // in the order the ops were made (cell input first, then edges in arch-string order).
        std::array<bool, 4> fwd{true, false, false, false}, bwd{false, false, false, true};
        for (std::size_t e = 0; e < nb201_cell::edge_count; ++e)
            if (cell.edges[e] != nb201_op::none && fwd[nb201_cell::edge_from[e]]) fwd[nb201_cell::edge_to[e]] = true;
        for (std::size_t e = nb201_cell::edge_count; e-- > 0;)
            if (cell.edges[e] != nb201_op::none && bwd[nb201_cell::edge_to[e]]) bwd[nb201_cell::edge_from[e]] = true;
        // A cell whose output does not depend on its input outputs zeros. LatBench holds no such
        // architecture (its 15,284 = 15,625 - 341 graphs are exactly the connected ones), so there is
        // no measured graph to follow; we pass the input through (no ops), which keeps every later
        // op at its shape, as a runtime that does not constant-fold a zero tensor would run them.
        if (!fwd[3]) return x;
        // terms[j]: the tensors whose sum is node j, skip edges contracted, each tensor once, in
        // creation order. Of the nodes an edge op reads (0, 1, 2), only node 2 can have several
        // terms, and its only consumer is edge 3<-2 (node 3's are summed once, at the cell output),
        // so summing per consumer builds each sum once.
        std::array<std::vector<graph::node>, 4> terms;
        terms[0] = {x};
        auto take = [](std::vector<graph::node>& into, graph::node t) {
            for (auto u : into)
                if (u == t) return;
            into.push_back(t);
        };
        for (int to = 1; to <= 3; ++to) {
            if (!(fwd[to] && bwd[to])) continue;
            for (int from = 0; from < to; ++from) {
                const auto op = cell.op(to, from);
                if (op == nb201_op::none || !fwd[from]) continue;
                if (op == nb201_op::skip_connect) {
                    for (auto t : terms[static_cast<std::size_t>(from)]) take(terms[static_cast<std::size_t>(to)], t);
                } else {
                    const auto in = chain_sum(terms[static_cast<std::size_t>(from)], name(prefix, "_sum", to, from));
                    take(terms[static_cast<std::size_t>(to)], edge(in, op, c, prefix, to, from));
                }
            }
            auto& t = terms[static_cast<std::size_t>(to)];
            std::sort(t.begin(), t.end(), [](graph::node a, graph::node b) { return a.id < b.id; });
        }
        return chain_sum(terms[3], prefix + "out_sum");
    }

    // Sum of `terms` as a chain of two-input adds named <stem>1, <stem>2, ... (one term: itself).
    graph::node chain_sum(const std::vector<graph::node>& terms, const std::string& stem) {
        graph::node acc = terms.front();
        for (std::size_t k = 1; k < terms.size(); ++k)
            acc = net.add(acc, terms[k], {.name = stem + std::to_string(k)});
        return acc;
    }

    graph::node reduction(graph::node x, std::int64_t c, const std::string& p) {
        using graph::activation;
        const bool train = variant == nb201_variant::training;
        graph::node a = train ? net.activate(x, activation::relu, p + "a_relu") : x;
        a = net.conv2d(a, {.filters = c, .kernel = 3, .stride = 2, .bn = train, .name = p + "a_conv"});
        graph::node b = train ? net.activate(a, activation::relu, p + "b_relu") : a;
        b = net.conv2d(b, {.filters = c, .kernel = 3, .bn = train, .name = p + "b_conv"});
        auto s = net.avg_pool(x, {.kernel = 2, .stride = 2, .name = p + "shortcut_avgpool"});
        s = net.conv2d(s, {.filters = c, .kernel = 1, .bn = false, .name = p + "shortcut_conv"});
        return net.add(s, b, {.name = p + "add"});
    }
};

}  // namespace detail

/// NAS-Bench-201 network of a parsed cell: 32x32x3 input, C = 16, N = 5 cells per stage, 10
/// classes by default (`opts` overrides resolution, a multiple of 4, classes and channels).
inline graph::network nasbench201(const nb201_cell& cell, nb201_variant v, const zoo_options& opts = {}) {
    using graph::activation;
    const auto res = or_default(opts.resolution, 32);
    const auto classes = or_default(opts.classes, 10);
    const auto channels = or_default(opts.channels, 3);
    require(res > 0 && res % 4 == 0, "NAS-Bench-201: resolution ", res,
            " must be a positive multiple of 4 (two stride-2 reductions whose shortcut is a 2x2 VALID pool)");
    require(classes > 0, "NAS-Bench-201: classes must be positive, got ", classes);
    require(channels > 0, "NAS-Bench-201: input channels must be positive, got ", channels);

    const bool train = v == nb201_variant::training;
    graph::network net(std::string(train ? "nb201:" : "nb201-latbench:") + to_string(cell));
    detail::nb201_build b{net, v};
    constexpr std::int64_t c0 = 16;
    constexpr int cells_per_stage = 5;
    auto x = net.input({1, res, res, channels}, "input");
    x = net.conv2d(x, {.filters = c0, .kernel = 3, .bn = train, .act = train ? activation::none : activation::relu,
                       .name = "stem"});
    std::int64_t c = c0;
    for (int stage = 1; stage <= 3; ++stage) {
        const std::string sp = detail::op_name("s", stage);
        if (stage > 1) {
            c *= 2;
            x = b.reduction(x, c, detail::op_name("r", stage, "_"));
        }
        for (int i = 0; i < cells_per_stage; ++i) x = b.cell(x, cell, c, detail::op_name(sp, "c", i, "_"));
    }
    if (train) {
        x = net.batch_norm(x, {.act = activation::relu, .name = "lastact"});
        x = net.global_avg_pool(x, "global_pool");
    } else {
        // The measured graph pools with an 8x8 window at 32x32 input: the whole final map.
        const auto s = net.shape(x);
        x = net.avg_pool(x, {.kernel = static_cast<int>(s.h), .stride = static_cast<int>(s.h), .name = "avgpool"});
    }
    net.fully_connected(x, {.units = classes, .bias = true, .name = "logits"});
    return net;
}

/// NAS-Bench-201 network of an arch string (see `parse_nb201_arch`).
inline graph::network nasbench201(std::string_view arch_str, nb201_variant v, const zoo_options& opts = {}) {
    return nasbench201(parse_nb201_arch(arch_str), v, opts);
}

}  // namespace accelnas::zoo
