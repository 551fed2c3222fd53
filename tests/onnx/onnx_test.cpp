// ONNX import and export: op mapping on small hand-built models, export -> import round trips of
// every zoo model, and bad inputs (each a clear accelnas::error, no crash).

#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/hw/partition.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/onnx/export.hpp>
#include <accelnas/onnx/import.hpp>
#include <accelnas/quant/fold.hpp>
#include <accelnas/quant/int8_model.hpp>
#include <accelnas/train/model.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace accelnas;
namespace ox = accelnas::onnx;
using Catch::Matchers::Contains;

namespace {

std::string scratch(const std::string& name) {
    const auto d = std::filesystem::path(ACCELNAS_BINARY_DIR) / "onnx-test";
    std::filesystem::create_directories(d);
    return (d / name).string();
}

/// Zero parameters of the right shapes: the round trips compare structure, not values.
train::parameter_set zero_parameters(const graph::network& net) {
    train::parameter_set ps;
    for (std::size_t i = 0; i < net.size(); ++i) {
        const auto& o = net.ops()[i];
        train::op_parameters p;
        p.op = i;
        auto bn = [&](std::int64_t c) {
            for (auto* t : {&p.bn_gamma, &p.bn_beta, &p.bn_mean, &p.bn_var}) *t = xt::zeros<float>({std::size_t(c)});
        };
        if (o.kind == graph::op_kind::conv2d) {
            const auto cin = graph::channels_per_group(net.in_channels(i), o.groups);
            p.weight = xt::zeros<float>({std::size_t(o.kernel_h), std::size_t(o.kernel_w), std::size_t(cin), std::size_t(o.filters)});
        } else if (o.kind == graph::op_kind::fully_connected) {
            const auto& s = net.in_shape(i);
            p.weight = xt::zeros<float>({std::size_t(1), std::size_t(1), std::size_t(s.h * s.w * s.c), std::size_t(o.filters)});
        } else if (o.kind != graph::op_kind::batch_norm) {
            continue;
        }
        if (o.bias) p.bias = xt::zeros<float>({std::size_t(o.filters)});
        if (o.batch_norm || o.kind == graph::op_kind::batch_norm) bn(o.out.c);
        ps.push_back(std::move(p));
    }
    return ps;
}

// ---- a tiny ONNX builder for hand-made models ----
struct builder {
    ::onnx::ModelProto m;
    ::onnx::GraphProto* g;
    explicit builder(std::int64_t opset = 13, std::vector<std::int64_t> in = {1, 3, 8, 8}) {
        m.set_ir_version(8);
        auto* o = m.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        g = m.mutable_graph();
        g->set_name("hand");
        ox::detail::value_info(g->add_input(), "x", in);
    }
    ::onnx::NodeProto* node(const std::string& type, const std::string& name, std::vector<std::string> ins, std::string out) {
        auto* n = g->add_node();
        n->set_op_type(type);
        n->set_name(name);
        for (auto& s : ins) n->add_input(s);
        n->add_output(out);
        return n;
    }
    std::string weight(const std::string& name, std::vector<std::int64_t> dims) {
        std::int64_t n = 1;
        for (auto d : dims) n *= d;
        *g->add_initializer() = ox::detail::float_tensor(name, dims, std::vector<float>(std::size_t(n), 0.5f));
        return name;
    }
    std::string conv(const std::string& name, const std::string& x, std::int64_t cin, std::int64_t f, std::int64_t k,
                     std::vector<std::int64_t> pads, std::int64_t stride = 1, std::int64_t group = 1) {
        auto* n = node("Conv", name, {x, weight(name + "/w", {f, cin / group, k, k})}, name);
        ox::detail::set_ints(*n, "pads", pads);
        ox::detail::set_ints(*n, "strides", {stride, stride});
        ox::detail::set_int(*n, "group", group);
        return name;
    }
    void output(const std::string& name) {
        auto* o = g->add_output();
        o->set_name(name);
    }
    std::string save(const std::string& file) {
        const auto p = scratch(file);
        std::string s;
        m.SerializeToString(&s);
        std::ofstream(p, std::ios::binary) << s;
        return p;
    }
};

}  // namespace

TEST_CASE("import maps convs, folds BN and activations, and maps pads to SAME/VALID", "[onnx][import]") {
    builder b;
    auto c1 = b.conv("c1", "x", 3, 8, 3, {1, 1, 1, 1}, 2);  // PyTorch's padding=1, stride 2: SAME output size
    auto bn = b.weight("bn/s", {8});
    b.node("BatchNormalization", "bn", {c1, bn, bn, bn, bn}, "bn_out");
    auto* clip = b.node("Clip", "relu6", {"bn_out", b.weight("lo", {}), b.weight("hi", {})}, "r");
    (void)clip;
    b.g->mutable_initializer(b.g->initializer_size() - 2)->set_raw_data(std::string(4, '\0'));  // lo = 0
    const float six = 6.0f;
    b.g->mutable_initializer(b.g->initializer_size() - 1)->set_raw_data(std::string(reinterpret_cast<const char*>(&six), 4));
    auto dw = b.conv("dw", "r", 8, 8, 3, {1, 1, 1, 1}, 1, 8);
    b.node("Sigmoid", "sig", {dw}, "s");
    b.node("Mul", "swish", {dw, "s"}, "sw");  // x * sigmoid(x): swish fused into the depthwise conv
    auto c3 = b.conv("c3", "sw", 8, 4, 3, {0, 0, 0, 0});  // VALID
    b.node("GlobalAveragePool", "gap", {c3}, "gap");
    b.node("Flatten", "flat", {"gap"}, "flat");
    auto* fc = b.node("Gemm", "fc", {"flat", b.weight("fc/w", {10, 4}), b.weight("fc/b", {10})}, "logits");
    ox::detail::set_int(*fc, "transB", 1);
    b.output("logits");
    const auto net = ox::import_model(b.m);
    REQUIRE(net.size() == 6);  // input, c1, dw, c3, gap, fc (flatten of 1x1xC is the same tensor)
    const auto& o1 = net.at(net.find("c1"));
    CHECK(o1.batch_norm);
    CHECK(o1.act == graph::activation::relu6);
    CHECK(o1.pad == graph::padding::same);
    CHECK(o1.out == graph::tensor_shape{1, 4, 4, 8});
    const auto& o2 = net.at(net.find("dw"));
    CHECK(o2.groups == 8);
    CHECK(o2.act == graph::activation::swish);
    CHECK(net.at(net.find("c3")).pad == graph::padding::valid);
    CHECK(net.at(net.find("c3")).out == graph::tensor_shape{1, 2, 2, 4});
    CHECK(net.at(net.find("fc")).filters == 10);
    CHECK(net.at(net.find("fc")).bias);
    // MACs by hand: 4*4*8*27 + 4*4*8*9 + 2*2*4*72 + 4*10
    CHECK(graph::cost_of(net).macs == 3456 + 1152 + 1152 + 40);
}

namespace {
/// x (1x3x8x8) -> conv c1 (16, 3x3 SAME) -> TopK (k = 4 over channels) -> conv c2 (8) -> GAP -> flatten -> Gemm (10).
builder topk_model() {
    builder b;
    auto c1 = b.conv("c1", "x", 3, 16, 3, {1, 1, 1, 1});
    *b.g->add_initializer() = ox::detail::int64_tensor("k", {1}, {4});
    auto* t = b.node("TopK", "topk", {c1, "k"}, "values");
    t->add_output("indices");
    ox::detail::set_int(*t, "axis", 1);
    auto c2 = b.conv("c2", "values", 4, 8, 3, {1, 1, 1, 1});
    b.node("GlobalAveragePool", "gap", {c2}, "gap");
    b.node("Flatten", "flat", {"gap"}, "flat");
    ox::detail::set_int(*b.node("Gemm", "fc", {"flat", b.weight("fc/w", {10, 8})}, "logits"), "transB", 1);
    b.output("logits");
    return b;
}
}  // namespace

TEST_CASE("import: ops with no IR counterpart are an error, or opaque host ops with --unsupported host", "[onnx][host]") {
    auto b = topk_model();
    CHECK_THROWS_WITH(ox::import_model(b.m), Contains("1 op with no accelnas IR counterpart") && Contains("TopK (node 'topk')"));
    const auto net = ox::import_model(b.m, {.unsupported = ox::unsupported_policy::host});
    REQUIRE(net.size() == 6);  // x, c1, topk, c2, gap, fc
    const auto t = net.find("topk").id;
    const auto& o = net.at(t);
    CHECK(o.kind == graph::op_kind::opaque);
    CHECK(o.opaque_type == "TopK");
    CHECK(o.out == graph::tensor_shape{1, 8, 8, 4});  // ONNX's shape inference: NCHW 1x4x8x8
    CHECK(o.inputs == std::vector<std::size_t>{net.find("c1").id});
    CHECK(graph::cost_of(net).macs == 8 * 8 * 16 * 27 + 8 * 8 * 8 * 36 + 80);
    // The same with the input size given (the model's own is replaced before shape inference).
    const auto big = ox::import_model(b.m, {.input_shape = {1, 3, 16, 16}, .unsupported = ox::unsupported_policy::host});
    CHECK(big.at(big.find("topk")).out == graph::tensor_shape{1, 16, 16, 4});
    // JSON keeps the op (kind, type, shape).
    CHECK(graph::structural_difference(graph::network_from_json(graph::to_json(net)), net).empty());
    CHECK(graph::to_json(net)["ops"][2]["type"] == "TopK");
    CHECK_THROWS_WITH(ox::parse_unsupported_policy("cpu"), Contains("'cpu'") && Contains("'error'") && Contains("'host'"));
}

TEST_CASE("an opaque op is the Edge TPU's partition point and is priced on the host CPU", "[onnx][host]") {
    const auto net = ox::import_model(topk_model().m, {.unsupported = ox::unsupported_policy::host});
    const auto t = net.find("topk").id;
    auto cfg = hw::targets::coral_usb();
    CHECK(hw::partition_point(net, cfg) == t);
    CHECK(hw::crossing_bytes(net, t) == 8 * 8 * 16);  // c1's output goes to the host
    for (const std::string est : {"sim", "apm"}) {
        const auto r = hw::make_target("coral-usb", est).estimate(net);
        CHECK(r.first_host_op == t);
        bool seen = false;
        for (const auto& l : r.ops) {
            CHECK((l.index < t) == (l.where == hw::placement::accelerator));
            if (l.index == t) {
                seen = true;
                CHECK(l.kind == graph::op_kind::opaque);
                CHECK(l.seconds > cfg.host.op_overhead_seconds);  // the dispatch plus its element pass
            }
        }
        CHECK(seen);
        CHECK(r.host_seconds > 0);
        CHECK(r.output_bytes == 8 * 8 * 16);
        CHECK(r.total_seconds > r.host_seconds + r.io_seconds);
    }
    // Every op on a CPU target (the opaque op included).
    const auto cpu = hw::make_target("pixel4-cpu").estimate(net);
    CHECK(cpu.ops.size() == net.size() - 1);
    // Without host fallback: the existing clear error, naming the op and its type.
    cfg.host_fallback = false;
    CHECK_THROWS_WITH(hw::partition_point(net, cfg), Contains("'topk'") && Contains("opaque TopK") && Contains("no host fallback"));
}

TEST_CASE("training, quantization and export refuse an opaque op by name", "[onnx][host][bad]") {
    const auto net = ox::import_model(topk_model().m, {.unsupported = ox::unsupported_policy::host});
    rng g(0);
    CHECK_THROWS_WITH(train::model(net, g), Contains("'topk'") && Contains("opaque TopK") && Contains("cannot be trained"));
    CHECK_THROWS_WITH(quant::fold_batch_norm(net, {}), Contains("'topk'") && Contains("cannot be quantized"));
    CHECK_THROWS_WITH(ox::export_model(net, zero_parameters(net)), Contains("'topk'") && Contains("cannot be exported"));
}

TEST_CASE("import with the host policy: an op whose output size shape inference cannot give is a clear error", "[onnx][host][bad]") {
    builder b;
    auto c1 = b.conv("c1", "x", 3, 4, 3, {1, 1, 1, 1});
    // NonMaxSuppression's output size depends on the data.
    b.node("NonMaxSuppression", "nms", {c1, c1}, "sel");
    b.output("sel");
    CHECK_THROWS_WITH(ox::import_model(b.m, {.unsupported = ox::unsupported_policy::host}),
                      Contains("NonMaxSuppression node 'nms'") && Contains("cannot be imported as a host op"));
}

TEST_CASE("int8 QDQ export: ONNX's checker passes, the QDQ form, networks the int8 engine refuses", "[onnx][int8]") {
    auto net = zoo::build("mobilenet_v2", {.resolution = 32});
    rng g(0);
    train::model m(net, g);
    const auto folded = quant::fold_batch_norm(net, m.export_parameters());
    xt::xtensor<float, 4> calib = xt::empty<float>({std::size_t(4), std::size_t(32), std::size_t(32), std::size_t(3)});
    for (auto& v : calib) v = float(uniform01(g) * 2 - 1);
    const auto ranges = quant::observe_ranges(quant::float_model(folded.network, folded.parameters), calib);
    const auto model = ox::export_qdq_model(folded.network, folded.parameters, ranges);
    REQUIRE_NOTHROW(ox::check_model(model));
    std::size_t q = 0, dq = 0, convs = 0;
    for (const auto& n : model.graph().node()) {
        q += n.op_type() == "QuantizeLinear";
        dq += n.op_type() == "DequantizeLinear";
        convs += n.op_type() == "Conv" || n.op_type() == "Gemm";
    }
    std::size_t weighted = 0;
    for (const auto& o : folded.network.ops())
        weighted += o.kind == graph::op_kind::conv2d || o.kind == graph::op_kind::fully_connected;
    CHECK(convs == weighted);
    CHECK(q >= folded.network.size());            // one per op output, plus lookup-table pre-activations
    CHECK(dq == q + 2 * weighted);                // and one per weight and per bias
    // Not folded: batch norm left.
    CHECK_THROWS_WITH(ox::export_qdq_model(net, m.export_parameters(), ranges), Contains("batch norm"));
    // A dense layer over 64x64x20 features: int32 accumulation could overflow, which the int8 engine refuses.
    graph::network wide("wide");
    auto x = wide.input({1, 64, 64, 20});
    wide.fully_connected(wide.reshape(x, {1, 1, 1, 64 * 64 * 20}), {.units = 10});
    rng g2(0);
    train::model mw(wide, g2);
    xt::xtensor<float, 4> c2 = xt::ones<float>({std::size_t(1), std::size_t(64), std::size_t(64), std::size_t(20)});
    const auto r2 = quant::observe_ranges(quant::float_model(wide, mw.export_parameters()), c2);
    CHECK_THROWS_WITH(ox::export_qdq_model(wide, mw.export_parameters(), r2), Contains("int32 accumulation could overflow"));
}

TEST_CASE("import: pads that neither SAME nor VALID give become an explicit pad op", "[onnx][import]") {
    builder b;
    b.conv("c", "x", 3, 4, 3, {2, 2, 0, 0});  // 8 + 2 - 3 + 1 = 8 rows, but from the top pad only
    b.output("c");
    const auto net = ox::import_model(b.m);
    // 8x8 in, pads 2 before and 0 after: a SAME-sized output (8) is SAME whatever the split.
    CHECK(net.at(net.find("c")).out == graph::tensor_shape{1, 8, 8, 4});
    builder b2;
    b2.conv("c", "x", 3, 4, 3, {3, 3, 3, 3});  // 8 + 6 - 3 + 1 = 12: bigger than SAME
    b2.output("c");
    const auto net2 = ox::import_model(b2.m);
    REQUIRE(net2.size() == 3);
    CHECK(net2.ops()[1].kind == graph::op_kind::pad);
    CHECK(net2.ops()[1].pads == std::array<std::int64_t, 4>{3, 3, 3, 3});
    CHECK(net2.at(net2.find("c")).out == graph::tensor_shape{1, 12, 12, 4});
}

TEST_CASE("export then import gives every zoo model back structurally identical", "[onnx][roundtrip]") {
    for (const auto& name : zoo::names()) {
        INFO(name);
        const auto net = zoo::build(name, {.resolution = 80});  // the smallest size every zoo model takes is 75
        const auto model = ox::export_model(net, zero_parameters(net));
        const auto back = ox::import_model(model);
        CHECK(graph::structural_difference(net, back) == "");
    }
}

TEST_CASE("exported models pass ONNX's C++ checker with shape inference", "[onnx][export]") {
    for (const auto* name : {"mobilenet_v3_large", "efficientnet_b0", "inception_v3", "vgg16"}) {
        INFO(name);
        const auto net = zoo::build(name, {.resolution = 96});
        CHECK_NOTHROW(ox::check_model(ox::export_model(net, zero_parameters(net))));
    }
}

TEST_CASE("export refuses parameters of the wrong shape", "[onnx][export][bad]") {
    const auto net = zoo::build("mobilenet_v2", {.resolution = 64});
    auto ps = zero_parameters(net);
    ps[0].weight = xt::zeros<float>({std::size_t(3), std::size_t(3), std::size_t(3), std::size_t(7)});
    CHECK_THROWS_WITH(ox::export_model(net, ps), Contains("weights do not have the shape"));
    ps.erase(ps.begin());
    CHECK_THROWS_WITH(ox::export_model(net, ps), Contains("has no parameters"));
}

TEST_CASE("bad ONNX files raise clear errors", "[onnx][bad]") {
    // A good model to damage.
    // (Catch runs the test case once per section: the good model is written once.)
    static const std::string bytes = [] {
        const auto net = zoo::build("mobilenet_v2", {.resolution = 32});
        const auto good = scratch("good.onnx");
        ox::write_model(ox::export_model(net, zero_parameters(net)), good);
        REQUIRE_NOTHROW(ox::import_file(good));
        std::ifstream f(good, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(f), {});
    }();
    auto write = [](const std::string& name, const std::string& content) {
        const auto p = scratch(name);
        std::ofstream(p, std::ios::binary) << content;
        return p;
    };

    SECTION("1 truncated") {
        CHECK_THROWS_WITH(ox::import_file(write("truncated.onnx", bytes.substr(0, bytes.size() / 2))),
                          Contains("is not an ONNX model"));
    }
    SECTION("2 corrupt bytes") {
        std::string bad = bytes;
        for (std::size_t i = 0; i < 64; ++i) bad[i] = char(0xff);
        CHECK_THROWS_WITH(ox::import_file(write("corrupt.onnx", bad)), Contains("is not an ONNX model"));
    }
    SECTION("3 not ONNX: a JSON network spec") {
        CHECK_THROWS_WITH(ox::import_file(write("spec.onnx", "{\"schema\": \"accelnas.network\", \"ops\": []}\n")),
                          Contains("is not an ONNX model"));
    }
    SECTION("4 empty file") { CHECK_THROWS_WITH(ox::import_file(write("empty.onnx", "")), Contains("is empty")); }
    SECTION("5 missing file") {
        CHECK_THROWS_WITH(ox::import_file(scratch("no-such-model.onnx")), Contains("cannot open ONNX model"));
    }
    SECTION("6 opset too old") {
        builder b(10);
        b.conv("c", "x", 3, 4, 3, {1, 1, 1, 1});
        b.output("c");
        CHECK_THROWS_WITH(ox::import_file(b.save("opset10.onnx")), Contains("opset 10 is not supported"));
    }
    SECTION("7 opset too new") {
        builder b(18);
        b.conv("c", "x", 3, 4, 3, {1, 1, 1, 1});
        b.output("c");
        CHECK_THROWS_WITH(ox::import_file(b.save("opset18.onnx")), Contains("opset 18 is not supported"));
    }
    SECTION("8 dynamic sizes need --input-shape, which fixes them") {
        builder b;
        auto* shp = b.g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
        shp->mutable_dim(2)->set_dim_param("height");
        shp->mutable_dim(3)->set_dim_param("width");
        b.conv("c", "x", 3, 4, 3, {1, 1, 1, 1});
        b.output("c");
        const auto p = b.save("dynamic.onnx");
        CHECK_THROWS_WITH(ox::import_file(p), Contains("dynamic sizes") && Contains("--input-shape") && Contains("'height'"));
        const auto fixed = ox::import_file(p, {.input_shape = ox::parse_input_shape("1x3x20x24")});
        CHECK(fixed.at(fixed.find("c")).out == graph::tensor_shape{1, 20, 24, 4});
        CHECK_THROWS_WITH(ox::import_file(p, {.input_shape = {1, 3, 20}}), Contains("has rank 4"));
    }
    SECTION("9 a cycle") {
        builder b;
        b.node("Relu", "a", {"x2"}, "x1");
        b.node("Relu", "b", {"x1"}, "x2");
        b.output("x2");
        CHECK_THROWS_WITH(ox::import_file(b.save("cycle.onnx")), Contains("cycle") && Contains("'a'") && Contains("'b'"));
    }
    SECTION("10 a dangling input") {
        builder b;
        b.node("Relu", "r", {"nowhere"}, "y");
        b.output("y");
        CHECK_THROWS_WITH(ox::import_file(b.save("dangling.onnx")), Contains("'nowhere'") && Contains("dangling"));
    }
    SECTION("11 external data missing") {
        builder b;
        b.conv("c", "x", 3, 4, 3, {1, 1, 1, 1});
        auto* w = b.g->mutable_initializer(0);
        w->clear_raw_data();
        w->set_data_location(::onnx::TensorProto_DataLocation_EXTERNAL);
        auto* e = w->add_external_data();
        e->set_key("location");
        e->set_value("c_weights.bin");
        b.output("c");
        CHECK_THROWS_WITH(ox::import_file(b.save("external.onnx")), Contains("c_weights.bin") && Contains("does not exist"));
    }
    SECTION("12 a 2 GB model is refused before it is read") {
        const auto p = scratch("huge.onnx");
        { std::ofstream(p, std::ios::binary) << bytes; }
        std::filesystem::resize_file(p, std::uintmax_t(2) << 30);  // sparse: nothing is written or read
        CHECK_THROWS_WITH(ox::import_file(p), Contains("over the limit") && Contains("2147483648 bytes"));
        std::filesystem::remove(p);
    }
    SECTION("13 every unsupported op is listed with its node name") {
        builder b;
        b.node("LeakyRelu", "leaky_1", {"x"}, "a");
        b.node("Tanh", "tanh_2", {"a"}, "t");
        b.node("Relu", "relu", {"t"}, "y");
        b.output("y");
        CHECK_THROWS_WITH(ox::import_file(b.save("unsupported.onnx")),
                          Contains("2 ops with no accelnas IR counterpart") && Contains("LeakyRelu (node 'leaky_1')") &&
                              Contains("Tanh (node 'tanh_2')"));
    }
    SECTION("14 a Clip that is not ReLU6") {
        builder b;
        b.node("Clip", "clip3", {"x", b.weight("lo", {}), b.weight("hi", {})}, "y");
        b.output("y");
        CHECK_THROWS_WITH(ox::import_file(b.save("clip.onnx")), Contains("clip3") && Contains("Clip(0.5, 0.5)"));
    }
    SECTION("15 two nodes write one tensor") {
        builder b;
        b.node("Relu", "r1", {"x"}, "y");
        b.node("Sigmoid", "r2", {"x"}, "y");
        b.output("y");
        CHECK_THROWS_WITH(ox::import_file(b.save("twice.onnx")), Contains("produced by two nodes"));
    }
    SECTION("16 a broadcasting add the IR does not have") {
        builder b;
        b.conv("c1", "x", 3, 4, 3, {1, 1, 1, 1});
        b.conv("c2", "x", 3, 4, 3, {0, 0, 0, 0});
        b.node("Add", "add", {"c1", "c2"}, "y");
        b.output("y");
        CHECK_THROWS_WITH(ox::import_file(b.save("add.onnx")), Contains("Add node 'add'") && Contains("broadcasting"));
    }
}
