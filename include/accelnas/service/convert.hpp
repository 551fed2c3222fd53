#pragma once
/// \file
/// Conversions between accelnas types and the messages of the latency service
/// (include/accelnas/service/latency.proto): `graph::network` <-> `Network`, `hw::latency_report` <->
/// `EstimateResponse`. Part of the optional service component (links the generated stubs).

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/compact_network.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/service/latency.pb.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace accelnas::service {

/// The protobuf namespace of the generated messages.
namespace pb = ::accelnas::service::v1;

/// The protobuf form of `net` (op inputs as indices, attributes the kind does not use left unset).
inline pb::Network to_proto(const graph::network& net) {
    pb::Network m;
    m.set_name(net.name());
    m.mutable_ops()->Reserve(static_cast<int>(net.size()));
    for (const auto& o : net.ops()) {
        auto& p = *m.add_ops();
        p.set_name(o.name);
        p.set_kind(std::string(graph::to_string(o.kind)));
        for (auto i : o.inputs) p.add_inputs(static_cast<std::uint32_t>(i));
        auto shape = [&](const graph::tensor_shape& s) {
            for (auto v : {s.n, s.h, s.w, s.c}) p.add_shape(v);
        };
        auto window = [&] {
            p.add_kernel(o.kernel_h), p.add_kernel(o.kernel_w);
            p.add_stride(o.stride_h), p.add_stride(o.stride_w);
            p.set_padding(std::string(graph::to_string(o.pad)));
        };
        using graph::op_kind;
        switch (o.kind) {
        case op_kind::input: shape(o.out); break;
        case op_kind::conv2d:
            window();
            p.set_filters(o.filters);
            p.set_groups(o.groups);
            p.set_bias(o.bias);
            p.set_batch_norm(o.batch_norm);
            p.set_activation(std::string(graph::to_string(o.act)));
            break;
        case op_kind::fully_connected:
            p.set_filters(o.filters);
            p.set_bias(o.bias);
            p.set_batch_norm(o.batch_norm);
            p.set_activation(std::string(graph::to_string(o.act)));
            break;
        case op_kind::add:
        case op_kind::mul:
        case op_kind::batch_norm:
        case op_kind::activation: p.set_activation(std::string(graph::to_string(o.act))); break;
        case op_kind::max_pool: window(); break;
        case op_kind::avg_pool:
            window();
            p.set_count_include_pad(o.count_include_pad);
            break;
        case op_kind::reshape: shape(o.target); break;
        case op_kind::pad:
            for (auto v : o.pads) p.add_pads(v);
            break;
        case op_kind::opaque:
            fail("network '", net.name(), "': op '", o.name, "' is an opaque ", o.opaque_type,
                 " op (one accelnas does not model), which the service protocol does not carry");
        default: break;
        }
    }
    return m;
}

namespace detail {
/// "network.ops[i]" in error messages, formatted only when one is raised (decoding stays allocation-light).
struct op_path {
    int i;
    friend std::ostream& operator<<(std::ostream& os, const op_path& p) { return os << "network.ops[" << p.i << "]"; }
};
}  // namespace detail

/// Reads a network from its protobuf form; bad input raises `accelnas::error` naming the field
/// ("network.ops[3].kernel: ..."). The IR's own checks (shapes, groups, names) give the library's messages.
inline graph::network from_proto(const pb::Network& m) {
    graph::network net(m.name());
    require(m.ops_size() > 0, "network: the network is empty (no ops)");
    for (int i = 0; i < m.ops_size(); ++i) {
        const auto& p = m.ops(i);
        const detail::op_path where{i};
        graph::op o;
        o.name = p.name();
        require(!o.name.empty(), where, ".name: must not be empty");
        try {
            o.kind = graph::parse_op_kind(p.kind());
        } catch (const error& e) {
            fail(where, ".kind: ", e.what());
        }
        using graph::op_kind;
        const auto k = o.kind;
        require(k != op_kind::opaque, where, ".kind: opaque ops (ops accelnas does not model) are not part of the service protocol");
        const bool window = k == op_kind::conv2d || k == op_kind::max_pool || k == op_kind::avg_pool;
        const bool dense = k == op_kind::conv2d || k == op_kind::fully_connected;
        const bool act = dense || k == op_kind::add || k == op_kind::mul || k == op_kind::batch_norm || k == op_kind::activation;
        const bool shape = k == op_kind::input || k == op_kind::reshape;
        auto unused = [&](bool used, bool set, const char* field) {
            require(used || !set, where, ".", field, ": unknown field for a ", graph::to_string(k), " op");
        };
        unused(shape, p.shape_size() != 0, "shape");
        unused(dense, p.filters() != 0, k == op_kind::fully_connected ? "units" : "filters");
        unused(window, p.kernel_size() != 0, "kernel");
        unused(window, p.stride_size() != 0, "stride");
        unused(window, !p.padding().empty(), "padding");
        unused(k == op_kind::conv2d, p.groups() != 0, "groups");
        unused(dense, p.bias(), "bias");
        unused(dense, p.batch_norm(), "batch_norm");
        unused(act, !p.activation().empty(), "activation");
        unused(k == op_kind::avg_pool, p.count_include_pad(), "count_include_pad");
        unused(k == op_kind::pad, p.pads_size() != 0, "pads");
        require(k != op_kind::input || p.inputs_size() == 0, where, ".inputs: an input op takes no inputs");
        for (auto in : p.inputs()) {
            require(in < static_cast<std::uint32_t>(i), where, ".inputs: op '", o.name, "' refers to op ", in,
                    ", which is not an earlier op (ops must be in topological order)");
            o.inputs.push_back(in);
        }
        auto shape4 = [&](const char* field) {
            require(p.shape_size() == 4, where, ".", field, ": expected 4 values [n, h, w, c], got ", p.shape_size());
            return graph::tensor_shape{p.shape(0), p.shape(1), p.shape(2), p.shape(3)};
        };
        if (window) {
            require(p.kernel_size() == 2, where, ".kernel: expected 2 values [kh, kw], got ", p.kernel_size());
            require(p.stride_size() == 2, where, ".stride: expected 2 values [sh, sw], got ", p.stride_size());
            o.kernel_h = p.kernel(0), o.kernel_w = p.kernel(1);
            o.stride_h = p.stride(0), o.stride_w = p.stride(1);
            try {
                o.pad = graph::parse_padding(p.padding());
            } catch (const error& e) {
                fail(where, ".padding: ", e.what());
            }
        }
        if (dense) {
            o.filters = p.filters();
            o.bias = p.bias();
            o.batch_norm = p.batch_norm();
        }
        if (act && !p.activation().empty()) {
            try {
                o.act = graph::parse_activation(p.activation());
            } catch (const error& e) {
                fail(where, ".activation: ", e.what());
            }
        }
        switch (k) {
        case op_kind::input: o.out = shape4("shape"); break;
        case op_kind::conv2d: o.groups = p.groups() == 0 ? 1 : p.groups(); break;
        case op_kind::avg_pool: o.count_include_pad = p.count_include_pad(); break;
        case op_kind::reshape: o.target = shape4("shape"); break;
        case op_kind::pad:
            require(p.pads_size() == 4, where, ".pads: expected 4 values [top, bottom, left, right], got ", p.pads_size());
            o.pads = {p.pads(0), p.pads(1), p.pads(2), p.pads(3)};
            break;
        default: break;
        }
        try {
            net.append(std::move(o));
        } catch (const error& e) {
            fail(where, ": ", e.what());
        }
    }
    return net;
}

/// Reusable storage of `compact_from_proto` and `compact_from_wire` (one per worker thread: decoding
/// then allocates nothing).
struct proto_scratch {
    std::vector<graph::tensor_shape> shapes;  ///< output shape of each op decoded so far
    std::vector<std::string_view> names;      ///< open-addressing set of the op names seen (empty = free)
    std::vector<std::string_view> op_bytes;   ///< compact_from_wire: the encoded ops
    std::vector<std::uint32_t> inputs;        ///< compact_from_wire: the inputs of the op being read
};

namespace detail {
/// A reader of protobuf's wire format over one contiguous buffer (what `compact_from_wire` reads).
struct wire_reader {
    const unsigned char* p;
    const unsigned char* end;
    explicit wire_reader(std::string_view b)
        : p(reinterpret_cast<const unsigned char*>(b.data())), end(reinterpret_cast<const unsigned char*>(b.data()) + b.size()) {}
    bool done() const noexcept { return p == end; }
    bool varint(std::uint64_t& v) noexcept {
        v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (p == end) return false;
            const unsigned char b = *p++;
            v |= std::uint64_t{b & 0x7fu} << shift;
            if (!(b & 0x80u)) return true;
        }
        return false;
    }
    bool bytes(std::string_view& out) noexcept {
        std::uint64_t n = 0;
        if (!varint(n) || n > static_cast<std::uint64_t>(end - p)) return false;
        out = {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
        p += n;
        return true;
    }
    bool skip(unsigned wire_type) noexcept {
        std::uint64_t v = 0;
        std::string_view s;
        switch (wire_type) {
        case 0: return varint(v);
        case 1: return end - p >= 8 ? (p += 8, true) : false;
        case 2: return bytes(s);
        case 5: return end - p >= 4 ? (p += 4, true) : false;
        default: return false;  // groups and invalid types: protobuf's own parser decides
        }
    }
    /// Appends the values of a repeated integer field (packed, wire type 2, or one value, wire type 0).
    template <class F>
    bool repeated(unsigned wire_type, F&& add) noexcept {
        std::uint64_t v = 0;
        if (wire_type == 0) return varint(v) && add(v);
        if (wire_type != 2) return false;
        std::string_view s;
        if (!bytes(s)) return false;
        wire_reader in(s);
        while (!in.done())
            if (!in.varint(v) || !add(v)) return false;
        return true;
    }
};

/// True when `s` is ASCII (valid UTF-8 as protobuf requires of strings; other text takes protobuf's parser).
inline bool ascii(std::string_view s) noexcept {
    for (const char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

/// One encoded `Op`, read with the accessors of `pb::Op` that `compact_from` uses.
struct wire_op {
    std::string_view name_, kind_, padding_, activation_;
    std::span<const std::uint32_t> inputs_;
    std::int64_t shape_[4] = {}, filters_ = 0, groups_ = 0;
    std::int32_t kernel_[2] = {}, stride_[2] = {};
    int shape_n = 0, kernel_n = 0, stride_n = 0, pads_n = 0;
    bool bias_ = false, batch_norm_ = false, count_include_pad_ = false;

    /// Reads op `b`; false for anything protobuf's parser should judge (bad encoding, a field of
    /// another wire type, an input beyond 32 bits, non-ASCII text).
    bool read(std::string_view b, std::vector<std::uint32_t>& inputs) {
        inputs.clear();
        wire_reader r(b);
        while (!r.done()) {
            std::uint64_t key = 0, v = 0;
            if (!r.varint(key)) return false;
            const auto field = key >> 3;
            const auto type = static_cast<unsigned>(key & 7);
            auto text = [&](std::string_view& out) { return type == 2 && r.bytes(out) && ascii(out); };
            auto scalar = [&](std::uint64_t& out) { return type == 0 && r.varint(out); };
            // a repeated integer field: its count, and its first `cap` values (all that is read of it)
            auto first = [&](auto* values, int& count, int cap) {
                return r.repeated(type, [&](std::uint64_t x) {
                    if (count < cap) values[count] = static_cast<std::remove_pointer_t<decltype(values)>>(x);
                    ++count;
                    return true;
                });
            };
            bool ok = true;
            switch (field) {
            case 1: ok = text(name_); break;
            case 2: ok = text(kind_); break;
            case 3:
                ok = r.repeated(type, [&](std::uint64_t x) {
                    if (x > std::numeric_limits<std::uint32_t>::max()) return false;
                    inputs.push_back(static_cast<std::uint32_t>(x));
                    return true;
                });
                break;
            case 4: ok = first(shape_, shape_n, 4); break;
            case 5: ok = scalar(v), filters_ = static_cast<std::int64_t>(v); break;
            case 6: ok = first(kernel_, kernel_n, 2); break;
            case 7: ok = first(stride_, stride_n, 2); break;
            case 8: ok = text(padding_); break;
            case 9: ok = scalar(v), groups_ = static_cast<std::int64_t>(v); break;
            case 10: ok = scalar(v), bias_ = v != 0; break;
            case 11: ok = scalar(v), batch_norm_ = v != 0; break;
            case 12: ok = text(activation_); break;
            case 13: ok = scalar(v), count_include_pad_ = v != 0; break;
            case 14: ok = first(static_cast<std::int64_t*>(nullptr), pads_n, 0); break;  // counted only
            default: ok = r.skip(type);  // an unknown field: protobuf keeps it aside, it means nothing here
            }
            if (!ok) return false;
        }
        inputs_ = inputs;
        return true;
    }
    std::string_view name() const noexcept { return name_; }
    std::string_view kind() const noexcept { return kind_; }
    std::string_view padding() const noexcept { return padding_; }
    std::string_view activation() const noexcept { return activation_; }
    std::span<const std::uint32_t> inputs() const noexcept { return inputs_; }
    int shape_size() const noexcept { return shape_n; }
    std::int64_t shape(int i) const noexcept { return shape_[i]; }
    std::int64_t filters() const noexcept { return filters_; }
    std::int64_t groups() const noexcept { return groups_; }
    int kernel_size() const noexcept { return kernel_n; }
    std::int32_t kernel(int i) const noexcept { return kernel_[i]; }
    int stride_size() const noexcept { return stride_n; }
    std::int32_t stride(int i) const noexcept { return stride_[i]; }
    int pads_size() const noexcept { return pads_n; }
    bool bias() const noexcept { return bias_; }
    bool batch_norm() const noexcept { return batch_norm_; }
    bool count_include_pad() const noexcept { return count_include_pad_; }
};
}  // namespace detail

/// Reads a protobuf network straight into a compact op table (`hw::compact_network::push`), doing
/// what `from_proto` and `graph::network::append` check and infer, without building the IR: the
/// fast path of a search's candidates, priced by the APM once and dropped. Returns false, leaving
/// `out` unspecified, for anything it does not vouch for - an error of any kind, reshape and pad ops,
/// a tensor over `max_tensor_elements` -: `from_proto` then decodes the message and raises the error
/// with the library's message. When it returns true, `out` equals `hw::compact_network(from_proto(m))`
/// op for op (the service tests check the estimates bit for bit).
/// `compact_from_proto` over any source of ops: `n` ops, `op_at(i)` giving an object with the accessors
/// of `pb::Op` (a `pb::Op` itself, or a `detail::wire_op`); false when `op_at` returns null.
template <class OpAt>
bool compact_from(int n, OpAt&& op_at, std::int64_t max_tensor_elements, hw::compact_network& out, proto_scratch& scratch) {
    using graph::op_kind;
    using graph::tensor_shape;
    if (n <= 0) return false;
    out.clear();
    auto& shapes = scratch.shapes;
    shapes.resize(static_cast<std::size_t>(n));
    std::size_t cap = 64;
    while (cap < 2 * static_cast<std::size_t>(n)) cap *= 2;
    auto& names = scratch.names;
    names.assign(cap, std::string_view{});
    auto find_enum = [](std::string_view text, const auto& all, int& v) {
        for (std::size_t i = 0; i < all.size(); ++i)
            if (all[i] == text) {
                v = static_cast<int>(i);
                return true;
            }
        return false;
    };
    auto mul = [](std::int64_t a, std::int64_t b, std::int64_t& r) { return !__builtin_mul_overflow(a, b, &r); };
    auto elements_of = [&](const tensor_shape& t, std::int64_t& e) {
        std::int64_t a = 0, b = 0;
        return mul(t.n, t.h, a) && mul(a, t.w, b) && mul(b, t.c, e);
    };
    auto narrow = [](std::int64_t v, bool& exact) -> std::int32_t {
        if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max())
            return static_cast<std::int32_t>(v);
        exact = false;
        return 0;
    };
    bool has_input = false, has_compute = false;
    for (int i = 0; i < n; ++i) {
        const auto* op = op_at(i);
        if (op == nullptr) return false;
        const auto& p = *op;
        const std::string_view name = p.name();
        if (name.empty()) return false;
        // the names are unique (graph::network refuses a duplicate)
        for (std::size_t h = std::hash<std::string_view>{}(name) & (cap - 1);; h = (h + 1) & (cap - 1)) {
            if (names[h].empty()) {
                names[h] = name;
                break;
            }
            if (names[h] == name) return false;
        }
        int kind_index = 0;
        if (!find_enum(p.kind(), graph::op_kind_names, kind_index)) return false;
        const auto k = static_cast<op_kind>(kind_index);
        const bool window = k == op_kind::conv2d || k == op_kind::max_pool || k == op_kind::avg_pool;
        const bool dense = k == op_kind::conv2d || k == op_kind::fully_connected;
        const bool act = dense || k == op_kind::add || k == op_kind::mul || k == op_kind::batch_norm || k == op_kind::activation;
        if (k == op_kind::reshape || k == op_kind::pad || k == op_kind::opaque) return false;
        // attributes the kind does not use must be unset (from_proto's rule)
        if ((k != op_kind::input && p.shape_size() != 0) || (!dense && (p.filters() != 0 || p.bias() || p.batch_norm())) ||
            (!window && (p.kernel_size() != 0 || p.stride_size() != 0 || !p.padding().empty())) ||
            (k != op_kind::conv2d && p.groups() != 0) || (!act && !p.activation().empty()) ||
            (k != op_kind::avg_pool && p.count_include_pad()) || p.pads_size() != 0)
            return false;
        const auto& ins = p.inputs();
        const std::size_t nin = static_cast<std::size_t>(ins.size());
        for (auto j : ins)
            if (j >= static_cast<std::uint32_t>(i)) return false;
        auto in = [&](std::size_t q) -> const tensor_shape& { return shapes[ins[static_cast<int>(q)]]; };
        int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_index = 0, act_index = 0;
        if (window) {
            if (p.kernel_size() != 2 || p.stride_size() != 2 || !find_enum(p.padding(), graph::padding_names, pad_index))
                return false;
            kernel_h = p.kernel(0), kernel_w = p.kernel(1), stride_h = p.stride(0), stride_w = p.stride(1);
        }
        if (act && !p.activation().empty() && !find_enum(p.activation(), graph::activation_names, act_index)) return false;
        const auto pad = static_cast<graph::padding>(pad_index);
        // graph::network::infer, returning false where it raises
        auto window_fits = [&](const tensor_shape& x) {
            return kernel_h > 0 && kernel_w > 0 && stride_h > 0 && stride_w > 0 &&
                   (pad == graph::padding::same || (kernel_h <= x.h && kernel_w <= x.w));
        };
        std::int64_t filters = 0, groups = 1, e = 0, t = 0;
        tensor_shape o;
        switch (k) {
        case op_kind::input:
            if (nin != 0 || p.shape_size() != 4) return false;
            o = {p.shape(0), p.shape(1), p.shape(2), p.shape(3)};
            if (!(o.n > 0 && o.h > 0 && o.w > 0 && o.c > 0) || !elements_of(o, e)) return false;
            has_input = true;
            break;
        case op_kind::conv2d: {
            if (nin != 1) return false;
            const auto& x = in(0);
            filters = p.filters();
            groups = p.groups() == 0 ? 1 : p.groups();
            if (!window_fits(x) || filters <= 0 || groups <= 0 || x.c % groups != 0 || filters % groups != 0) return false;
            o = {x.n, graph::window_output(x.h, kernel_h, stride_h, pad), graph::window_output(x.w, kernel_w, stride_w, pad), filters};
            const std::int64_t cpg = graph::channels_per_group(x.c, groups);
            std::int64_t taps = 0, macs = 0, w = 0;
            if (!elements_of(o, e) || !mul(kernel_h, kernel_w, taps) || !mul(e, taps, macs) || !mul(macs, cpg, t) ||
                !mul(std::int64_t{kernel_h} * kernel_w, cpg, w) || !mul(w, filters, t))
                return false;
            break;
        }
        case op_kind::fully_connected: {
            if (nin != 1) return false;
            const auto& x = in(0);
            filters = p.filters();
            if (filters <= 0 || !mul(x.h * x.w * x.c, filters, t)) return false;
            o = {x.n, 1, 1, filters};
            break;
        }
        case op_kind::add:
            if (nin < 2 || nin > 64) return false;
            for (std::size_t q = 1; q < nin; ++q)
                if (!(in(q) == in(0))) return false;
            o = in(0);
            break;
        case op_kind::mul: {
            if (nin != 2) return false;
            const auto &a = in(0), &b = in(1);
            if (!(a == b || (b.h == 1 && b.w == 1 && b.c == a.c && b.n == a.n))) return false;
            o = a;
            break;
        }
        case op_kind::concat: {
            if (nin < 1 || nin > 1024) return false;
            o = in(0);
            for (std::size_t q = 1; q < nin; ++q) {
                const auto& x = in(q);
                if (x.n != o.n || x.h != o.h || x.w != o.w || __builtin_add_overflow(o.c, x.c, &o.c)) return false;
            }
            if (!elements_of(o, e)) return false;
            break;
        }
        case op_kind::max_pool:
        case op_kind::avg_pool: {
            if (nin != 1) return false;
            const auto& x = in(0);
            if (!window_fits(x)) return false;
            o = {x.n, graph::window_output(x.h, kernel_h, stride_h, pad), graph::window_output(x.w, kernel_w, stride_w, pad), x.c};
            break;
        }
        case op_kind::global_avg_pool:
            if (nin != 1) return false;
            o = {in(0).n, 1, 1, in(0).c};
            break;
        case op_kind::batch_norm:
        case op_kind::activation:
        case op_kind::softmax:
            if (nin != 1) return false;
            o = in(0);
            break;
        default: return false;
        }
        has_compute = has_compute || k != op_kind::input;
        if (o.elements() > max_tensor_elements) return false;  // the server's limit: from_proto's path names it
        shapes[static_cast<std::size_t>(i)] = o;
        // hw::compact_of of the op graph::network would hold
        const tensor_shape& x = nin == 0 ? o : in(0);
        hw::compact_op c;
        c.elements = o.elements();
        c.out_h = narrow(o.h, c.exact);
        c.out_w = narrow(o.w, c.exact);
        c.out_c = narrow(o.c, c.exact);
        c.in_h = narrow(x.h, c.exact);
        c.in_w = narrow(x.w, c.exact);
        c.in_c = narrow(x.c, c.exact);
        c.filters = narrow(filters, c.exact);
        c.groups = narrow(groups, c.exact);
        c.kernel_h = kernel_h;
        c.kernel_w = kernel_w;
        c.stride_h = stride_h;
        c.kind = static_cast<std::uint8_t>(k);
        c.act = static_cast<std::uint8_t>(act_index);
        out.push(c, std::span<const std::uint32_t>(ins.data(), nin));
    }
    return has_input && has_compute;
}

/// See above: the fast decoder of a `pb::Network` message.
inline bool compact_from_proto(const pb::Network& m, std::int64_t max_tensor_elements, hw::compact_network& out,
                               proto_scratch& scratch) {
    return compact_from(m.ops_size(), [&](int i) { return &m.ops(i); }, max_tensor_elements, out, scratch);
}

/// `compact_from_proto` of an encoded `Network` message (`bytes`, protobuf's wire format), read
/// without protobuf's parser; `name` gets the network's name (a view into `bytes`). False, as there,
/// for anything it does not vouch for - including encodings it leaves to protobuf's parser.
inline bool compact_from_wire(std::string_view bytes, std::int64_t max_tensor_elements, hw::compact_network& out,
                              proto_scratch& scratch, std::string_view& name) {
    detail::wire_reader r(bytes);
    auto& ops = scratch.op_bytes;
    ops.clear();
    name = {};
    while (!r.done()) {
        std::uint64_t key = 0;
        if (!r.varint(key)) return false;
        const auto field = key >> 3;
        const auto type = static_cast<unsigned>(key & 7);
        std::string_view v;
        if (field == 1) {
            if (type != 2 || !r.bytes(name) || !detail::ascii(name)) return false;
        } else if (field == 2) {
            if (type != 2 || !r.bytes(v)) return false;
            ops.push_back(v);
        } else if (!r.skip(type)) {
            return false;
        }
    }
    if (ops.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
    detail::wire_op op;
    return compact_from(static_cast<int>(ops.size()),
                        [&](int i) -> const detail::wire_op* {
                            op = detail::wire_op{};
                            return op.read(ops[static_cast<std::size_t>(i)], scratch.inputs) ? &op : nullptr;
                        },
                        max_tensor_elements, out, scratch);
}

/// Copies report `r` into `out`, as much of it as `detail` (the request's) asks for.
inline void fill(const hw::latency_report& r, pb::Detail detail, pb::EstimateResponse& out) {
    out.set_network(r.network);
    out.set_target(r.target);
    out.set_estimator(r.estimator);
    out.set_total_seconds(r.total_seconds);
    if (detail == pb::TOTAL_ONLY) return;
    out.set_total_cycles(r.total_cycles);
    out.set_clock_hz(r.clock_hz);
    out.set_param_bytes_cached(r.param_bytes_cached);
    out.set_param_bytes_streamed(r.param_bytes_streamed);
    out.set_param_cache_capacity(r.param_cache_capacity);
    out.set_input_bytes(r.input_bytes);
    out.set_output_bytes(r.output_bytes);
    out.set_io_seconds(r.io_seconds);
    out.set_host_seconds(r.host_seconds);
    out.set_first_host_op(r.first_host_op);
    if (detail != pb::PER_OP) return;
    out.mutable_ops()->Reserve(static_cast<int>(r.ops.size()));
    for (const auto& o : r.ops) {
        auto& p = *out.add_ops();
        p.set_index(o.index);
        p.set_name(o.name);
        p.set_kind(std::string(graph::to_string(o.kind)));
        p.set_cycles(o.cycles);
        p.set_seconds(o.seconds);
        p.set_limiter(std::string(hw::to_string(o.bound)));
        p.set_utilization(o.utilization);
        p.set_placement(std::string(hw::to_string(o.where)));
        p.set_macs(o.macs);
        p.set_param_bytes(o.param_bytes);
        p.set_params_streamed(o.params_streamed);
    }
}

/// The latency report an answer carries (ops present when it was asked with `PER_OP`).
inline hw::latency_report report_of(const pb::EstimateResponse& m) {
    hw::latency_report r;
    r.network = m.network();
    r.target = m.target();
    r.estimator = m.estimator();
    r.total_seconds = m.total_seconds();
    r.total_cycles = m.total_cycles();
    r.clock_hz = m.clock_hz();
    r.param_bytes_cached = m.param_bytes_cached();
    r.param_bytes_streamed = m.param_bytes_streamed();
    r.param_cache_capacity = m.param_cache_capacity();
    r.input_bytes = m.input_bytes();
    r.output_bytes = m.output_bytes();
    r.io_seconds = m.io_seconds();
    r.host_seconds = m.host_seconds();
    r.first_host_op = static_cast<std::size_t>(m.first_host_op());
    r.ops.reserve(static_cast<std::size_t>(m.ops_size()));
    for (const auto& p : m.ops()) {
        hw::op_latency o;
        o.index = static_cast<std::size_t>(p.index());
        o.name = p.name();
        o.kind = graph::parse_op_kind(p.kind());
        o.cycles = p.cycles();
        o.seconds = p.seconds();
        o.bound = graph::detail::parse_enum<hw::limiter>(p.limiter(), hw::limiter_names, "limiter");
        o.utilization = p.utilization();
        o.where = graph::detail::parse_enum<hw::placement>(p.placement(), hw::placement_names, "placement");
        o.macs = p.macs();
        o.param_bytes = p.param_bytes();
        o.params_streamed = p.params_streamed();
        r.ops.push_back(std::move(o));
    }
    return r;
}

}  // namespace accelnas::service
