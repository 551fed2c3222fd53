// The latency service against a running accelnas-serve (the ctest fixture "service server" starts one
// on an ephemeral loopback port with a token, --max-ops 1000 and --max-request-bytes 1 MiB, and
// writes its port and token into ACCELNAS_BINARY_DIR/service-fixture/).
#include <accelnas/app/spec.hpp>
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/compact_network.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/service/estimator.hpp>
#include <accelnas/service/remote_accelerator.hpp>
#include <accelnas/service/token.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <tuple>
#include <string>
#include <thread>
#include <vector>

using namespace accelnas;
namespace pb = service::pb;

namespace {

const std::string fixture_dir = std::string(ACCELNAS_BINARY_DIR) + "/service-fixture";

std::string address() {
    std::ifstream f(fixture_dir + "/port");
    int port = 0;
    f >> port;
    REQUIRE(port > 0);
    return "127.0.0.1:" + std::to_string(port);
}
std::string token() { return service::read_token_file(fixture_dir + "/token"); }

/// A raw client: the stub plus a context with or without the token.
struct client {
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    std::unique_ptr<pb::LatencyEstimator::Stub> stub = pb::LatencyEstimator::NewStub(channel);
    static void auth(grpc::ClientContext& ctx, const std::string& t = token()) {
        ctx.AddMetadata("authorization", "Bearer " + t);
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    }
    grpc::Status estimate(const pb::EstimateRequest& q, pb::EstimateResponse& r) const {
        grpc::ClientContext ctx;
        auth(ctx);
        return stub->Estimate(&ctx, q, &r);
    }
};

pb::EstimateRequest json_request(const std::string& json, std::string target = "coral-usb", std::string est = "apm") {
    pb::EstimateRequest q;
    q.set_network_json(json);
    q.set_target(std::move(target));
    q.set_estimator(std::move(est));
    return q;
}

/// The message in-process code raises for `f`, to compare with the server's.
template <class F>
std::string library_message(F&& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    FAIL("expected accelnas::error");
    return {};
}

/// The server still answers a good request.
void still_serves() {
    client c;
    pb::EstimateResponse r;
    pb::EstimateRequest q;
    q.set_spec("mobilenet_v2");
    q.set_target("coral-usb");
    q.set_estimator("apm");
    const auto st = c.estimate(q, r);
    REQUIRE(st.ok());
    CHECK(r.total_seconds() == hw::make_target("coral-usb", "apm").seconds(zoo::build("mobilenet_v2")));
}

std::vector<graph::network> some_networks() {
    std::vector<graph::network> nets;
    for (const char* n : {"efficientnet_edgetpu_s", "mobilenet_v2", "mobilenet_v3_large", "resnet50_v1", "inception_v3"})
        nets.push_back(zoo::build(n));
    const auto& space = space::find_space("edgetpu");
    rng g(7);
    for (int i = 0; i < 6; ++i) nets.push_back(space.decode(space.sample(g), {1, 224, 224, 3}, 1000));
    return nets;
}

}  // namespace

TEST_CASE("the remote_accelerator lines of docs/service.md", "[service]") {
    // docs/service.md shows these three lines (an excerpt); address() and token() are the fixture's.
    accelnas::service::remote_accelerator m(address(), "coral-usb", "apm", {.token = token()});
    double s = m.seconds(accelnas::zoo::build("efficientnet_edgetpu_s"));   // == hw::apm's, bit for bit
    accelnas::hw::any_accelerator any = m;                                   // anywhere a model is taken
    const auto net = zoo::build("efficientnet_edgetpu_s");
    CHECK(s == hw::make_target("coral-usb", "apm").seconds(net));
    CHECK(any.seconds(net) == s);
}

TEST_CASE("remote estimates equal the in-process models bit for bit", "[service]") {
    const auto nets = some_networks();
    for (const std::string target : {"coral-usb", "pixel4-edgetpu", "coral-latbench", "pixel4-cpu", "systolic-32x32-ws"})
        for (const std::string est : {"sim", "apm"}) {
            const auto local = hw::make_target(target, est);
            const service::remote_accelerator remote(address(), target, est, {.token = token()});
            std::vector<double> expect;
            for (const auto& net : nets) {
                INFO(target << " " << est << " " << net.name());
                expect.push_back(local.seconds(net));
                CHECK(remote.seconds(net) == expect.back());
                const auto a = local.estimate(net), b = remote.estimate(net);
                CHECK(b.total_seconds == a.total_seconds);
                CHECK(b.total_cycles == a.total_cycles);
                CHECK(b.param_bytes_cached == a.param_bytes_cached);
                CHECK(b.param_bytes_streamed == a.param_bytes_streamed);
                CHECK(b.network == a.network);
                CHECK(b.estimator == a.estimator);
                REQUIRE(b.ops.size() == a.ops.size());
                for (std::size_t i = 0; i < a.ops.size(); ++i) {
                    CHECK(b.ops[i].seconds == a.ops[i].seconds);
                    CHECK(b.ops[i].cycles == a.ops[i].cycles);
                    CHECK(b.ops[i].bound == a.ops[i].bound);
                    CHECK(b.ops[i].where == a.ops[i].where);
                    CHECK(b.ops[i].utilization == a.ops[i].utilization);
                }
            }
            CHECK(remote.seconds_many(nets) == expect);
        }
}

TEST_CASE("every network form gives the same total: JSON, protobuf, spec, id", "[service]") {
    client c;
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const double expect = hw::make_target("pixel4-edgetpu", "sim").seconds(net);
    pb::EstimateResponse r1, r2, r3, r4;
    REQUIRE(c.estimate(json_request(graph::to_json(net).dump(), "pixel4-edgetpu", "sim"), r1).ok());
    CHECK(r1.total_seconds() == expect);
    CHECK(r1.network() == "efficientnet_edgetpu_s");
    CHECK(r1.param_bytes_cached() > 0);
    pb::EstimateRequest q;
    *q.mutable_network() = service::to_proto(net);
    q.set_target("pixel4-edgetpu");
    REQUIRE(c.estimate(q, r2).ok());  // estimator unset: sim
    CHECK(r2.total_seconds() == expect);
    q.set_spec("efficientnet_edgetpu_s");
    REQUIRE(c.estimate(q, r3).ok());
    CHECK(r3.total_seconds() == expect);
    // The same JSON text again: answered from the server's cache, with the same id.
    pb::EstimateResponse again;
    REQUIRE(c.estimate(json_request(graph::to_json(net).dump(), "pixel4-edgetpu", "sim"), again).ok());
    CHECK(again.network_id() == r1.network_id());
    q.set_network_id(r1.network_id());
    q.set_estimator("apm");
    q.set_detail(pb::PER_OP);
    REQUIRE(c.estimate(q, r4).ok());
    const auto local = hw::make_target("pixel4-edgetpu", "apm").estimate(net);
    CHECK(r4.total_seconds() == local.total_seconds);
    CHECK(r4.ops_size() == static_cast<int>(local.ops.size()));
    // protobuf round trip of a network keeps every op
    const auto back = service::from_proto(service::to_proto(net));
    CHECK(graph::to_json(back) == graph::to_json(net));
}

TEST_CASE("compact_from_proto builds the compact table of from_proto's network, or declines", "[service][decode]") {
    // every zoo network and 40 architectures of each shipped space, at two resolutions
    std::vector<graph::network> nets;
    for (const auto& n : zoo::names()) nets.push_back(zoo::build(n));
    rng g(11);
    for (const auto& sp : space::names()) {
        const auto& space = space::find_space(sp);
        for (int i = 0; i < 40; ++i) nets.push_back(space.decode(space.sample(g), {1, i % 2 ? 224 : 160, i % 2 ? 224 : 160, 3}, 1000));
    }
    hw::compact_network table;
    service::proto_scratch scratch;
    int taken = 0;
    for (const auto& net : nets) {
        INFO(net.name());
        const auto m = service::to_proto(net);
        if (!service::compact_from_proto(m, std::int64_t{1} << 40, table, scratch)) {
            // only networks with ops the fast decoder leaves to from_proto
            CHECK(std::any_of(net.ops().begin(), net.ops().end(),
                              [](const graph::op& o) { return o.kind == graph::op_kind::reshape || o.kind == graph::op_kind::pad; }));
            continue;
        }
        ++taken;
        const hw::compact_network ref(net);
        REQUIRE(table.size() == ref.size());
        for (std::size_t i = 0; i < ref.size(); ++i) {
            const auto &a = table.ops()[i], &b = ref.ops()[i];
            INFO("op " << i);
            CHECK(a.elements == b.elements);
            CHECK(std::tie(a.out_h, a.out_w, a.out_c, a.in_h, a.in_w, a.in_c) == std::tie(b.out_h, b.out_w, b.out_c, b.in_h, b.in_w, b.in_c));
            CHECK(std::tie(a.filters, a.groups, a.kernel_h, a.kernel_w, a.stride_h) == std::tie(b.filters, b.groups, b.kernel_h, b.kernel_w, b.stride_h));
            CHECK(std::tie(a.in_begin, a.in_count, a.kind, a.act, a.exact) == std::tie(b.in_begin, b.in_count, b.kind, b.act, b.exact));
        }
        CHECK(std::equal(table.input_indices().begin(), table.input_indices().end(), ref.input_indices().begin(), ref.input_indices().end()));
        // the same from the encoded request (the server's stream path reads it without protobuf's parser)
        pb::EstimateRequest q;
        q.set_id(77);
        *q.mutable_network() = m;
        q.set_target("coral-usb");
        q.set_estimator("apm");
        q.set_detail(pb::TOTAL_ONLY);
        q.set_deadline_unix_micros(123);
        const auto encoded = q.SerializeAsString();
        service::wire_request w;
        REQUIRE(w.read(encoded));
        CHECK((w.id == 77 && w.fast_form && w.target == "coral-usb" && w.estimator == "apm" && w.deadline_unix_micros == 123));
        CHECK(w.detail_level == static_cast<std::uint64_t>(pb::TOTAL_ONLY));
        hw::compact_network from_wire;
        std::string_view wire_name;
        REQUIRE(service::compact_from_wire(w.network, std::int64_t{1} << 40, from_wire, scratch, wire_name));
        CHECK(wire_name == net.name());
        REQUIRE(from_wire.size() == ref.size());
        auto fields = [](const hw::compact_op& c) {
            return std::tuple(c.elements, c.out_h, c.out_w, c.out_c, c.in_h, c.in_w, c.in_c, c.filters, c.groups, c.kernel_h, c.kernel_w,
                              c.stride_h, c.in_begin, c.in_count, c.kind, c.act, c.exact);
        };
        for (std::size_t i = 0; i < ref.size(); ++i) CHECK(fields(from_wire.ops()[i]) == fields(ref.ops()[i]));
        CHECK(std::equal(from_wire.input_indices().begin(), from_wire.input_indices().end(), ref.input_indices().begin(),
                         ref.input_indices().end()));
        for (const auto& target : {"coral-usb", "coral-devboard", "pixel4-edgetpu", "coral-latbench"}) {
            const hw::apm model(hw::targets::edgetpu(target));
            const auto fast = model.fast_seconds(table);
            if (fast) CHECK(*fast == model.seconds(net));
        }
    }
    CHECK(taken >= 100);
    // what from_proto refuses, it declines (and a tensor over the limit)
    const auto base = service::to_proto(zoo::build("mobilenet_v2"));
    std::vector<std::pair<const char*, std::function<void(pb::Network&)>>> bad = {
        {"unknown kind", [](pb::Network& m) { m.mutable_ops(2)->set_kind("conv3d"); }},
        {"input not earlier", [](pb::Network& m) { m.mutable_ops(3)->set_inputs(0, 40); }},
        {"groups", [](pb::Network& m) { m.mutable_ops(1)->set_groups(5); }},
        {"duplicate name", [](pb::Network& m) { m.mutable_ops(4)->set_name(m.ops(3).name()); }},
        {"empty name", [](pb::Network& m) { m.mutable_ops(4)->set_name(""); }},
        {"unused field", [](pb::Network& m) { m.mutable_ops(0)->set_filters(3); }},
        {"bad padding", [](pb::Network& m) { m.mutable_ops(1)->set_padding("full"); }},
        {"bad activation", [](pb::Network& m) { m.mutable_ops(1)->set_activation("gelu"); }},
        {"zero stride", [](pb::Network& m) { m.mutable_ops(1)->set_stride(0, 0); }},
        {"VALID kernel larger than the input", [](pb::Network& m) {
             m.mutable_ops(1)->set_padding("valid");
             m.mutable_ops(1)->set_kernel(0, 999);
         }},
        {"negative input size", [](pb::Network& m) { m.mutable_ops(0)->set_shape(1, -224); }},
        {"overflowing input size", [](pb::Network& m) { m.mutable_ops(0)->set_shape(1, std::int64_t{1} << 62); }},
        {"add of two shapes", [](pb::Network& m) {
             for (auto& o : *m.mutable_ops())
                 if (o.kind() == "add") {
                     o.set_inputs(1, 0);
                     break;
                 }
         }},
        {"inputs only", [](pb::Network& m) { m.mutable_ops()->DeleteSubrange(1, m.ops_size() - 1); }},
        {"no ops", [](pb::Network& m) { m.clear_ops(); }},
    };
    for (auto& [what, spoil] : bad) {
        INFO(what);
        auto m = base;
        spoil(m);
        CHECK_FALSE(service::compact_from_proto(m, std::int64_t{1} << 40, table, scratch));
        std::string_view wire_name;
        CHECK_FALSE(service::compact_from_wire(m.SerializeAsString(), std::int64_t{1} << 40, table, scratch, wire_name));
        CHECK_THROWS_AS(service::from_proto(m).validate(), error);  // the server's general path refuses it
    }
    CHECK(service::compact_from_proto(base, std::int64_t{1} << 40, table, scratch));
    // encodings the wire reader leaves to protobuf's parser: truncated, a non-ASCII name, a field of
    // another wire type
    std::string_view wire_name;
    const auto encoded = base.SerializeAsString();
    CHECK(service::compact_from_wire(encoded, std::int64_t{1} << 40, table, scratch, wire_name));
    CHECK_FALSE(service::compact_from_wire(std::string_view(encoded).substr(0, encoded.size() - 3), std::int64_t{1} << 40, table,
                                           scratch, wire_name));
    auto accented = base;
    accented.mutable_ops(3)->set_name("op\xc3\xa9");
    CHECK_FALSE(service::compact_from_wire(accented.SerializeAsString(), std::int64_t{1} << 40, table, scratch, wire_name));
    CHECK_FALSE(service::compact_from_wire(encoded + std::string("\x10\x05", 2), std::int64_t{1} << 40, table, scratch, wire_name));
    CHECK_FALSE(service::compact_from_proto(base, 1000, table, scratch));  // 224x224x3 is over 1000 elements
}

TEST_CASE("APM totals of protobuf networks (the server's fast path) equal the in-process APM, errors too", "[service]") {
    client c;
    std::vector<graph::network> nets;
    rng g(5);
    for (const auto& sp : space::names()) {
        const auto& space = space::find_space(sp);
        for (int i = 0; i < 20; ++i) nets.push_back(space.decode(space.sample(g), {1, 224, 224, 3}, 1000));
    }
    for (const auto& n : {"resnet50_v1", "inception_v3", "efficientnet_edgetpu_l"}) nets.push_back(zoo::build(n));
    for (const std::string target : {"coral-usb", "coral-devboard", "pixel4-edgetpu", "coral-latbench"}) {
        const auto local = hw::make_target(target, "apm");
        for (const auto& net : nets) {
            INFO(target << " " << net.name());
            pb::EstimateRequest q;
            *q.mutable_network() = service::to_proto(net);
            q.set_target(target);
            q.set_estimator("apm");
            q.set_detail(pb::TOTAL_ONLY);
            pb::EstimateResponse r;
            REQUIRE(c.estimate(q, r).ok());
            CHECK(r.total_seconds() == local.seconds(net));
            CHECK(r.network() == net.name());
            CHECK(r.target() == target);
            CHECK(r.estimator() == "apm");
        }
    }
    // a bad network gets the same status and message on the fast path as on the general one
    auto m = service::to_proto(zoo::build("mobilenet_v2"));
    m.mutable_ops(1)->set_groups(5);
    std::vector<std::string> messages;
    for (const auto detail : {pb::TOTAL_ONLY, pb::SUMMARY}) {
        pb::EstimateRequest q;
        *q.mutable_network() = m;
        q.set_target("coral-usb");
        q.set_estimator("apm");
        q.set_detail(detail);
        pb::EstimateResponse r;
        const auto st = c.estimate(q, r);
        CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
        messages.push_back(st.error_message());
    }
    CHECK(messages[0] == messages[1]);
    CHECK(messages[0].find("not divisible by groups") != std::string::npos);
}

TEST_CASE("ListTargets lists the shipped targets with their configs", "[service]") {
    const service::remote_accelerator remote(address(), "coral-usb", "sim", {.token = token()});
    const auto r = remote.list_targets();
    std::vector<std::string> names;
    for (const auto& t : r.targets()) names.push_back(t.name());
    CHECK(names == hw::targets::names());
    CHECK(r.max_ops() == 1000);
    CHECK(r.max_request_bytes() == (1u << 20));
    for (const auto& t : r.targets()) {
        CHECK_FALSE(t.provenance().empty());
        // the provenance names what the target's own rows fitted (docs/hw.md, "Targets")
        if (t.name() == "coral-devboard") CHECK(t.provenance().find("host link fitted") != std::string::npos);
        if (t.name() == "pixel4-edgetpu") CHECK(t.provenance().find("clock fitted") != std::string::npos);
        const auto cfg = hw::config_from_json(nlohmann::json::parse(t.config_json()));
        if (t.name() == "pixel4-cpu") CHECK(std::get<hw::cpu_config>(cfg).name == "pixel4-cpu");
        else CHECK(hw::to_json(std::get<hw::edgetpu_config>(cfg)) == hw::to_json(hw::targets::edgetpu(t.name())));
    }
}

TEST_CASE("bad requests get their documented status and the server keeps serving", "[service]") {
    client c;
    const auto good_json = graph::to_json(zoo::build("mobilenet_v2")).dump();
    auto expect = [&](const pb::EstimateRequest& q, grpc::StatusCode code, const std::string& message_part) {
        pb::EstimateResponse r;
        const auto st = c.estimate(q, r);
        INFO(st.error_message());
        CHECK(st.error_code() == code);
        CHECK(st.error_message().find(message_part) != std::string::npos);
        still_serves();
        return st.error_message();
    };
    using code = grpc::StatusCode;

    SECTION("1 malformed JSON: the library's message") {
        const std::string bad = "{\"schema\": \"accelnas.network\", \"ops\": [";
        const auto msg = expect(json_request(bad), code::INVALID_ARGUMENT, "not valid JSON");
        CHECK(msg == library_message([&] { graph::network_from_json_text(bad); }));
    }
    SECTION("2 unknown op kind (JSON): the library's message") {
        auto j = nlohmann::json::parse(good_json);
        j["ops"][3]["kind"] = "conv3d";
        const auto msg = expect(json_request(j.dump()), code::INVALID_ARGUMENT, "unknown op kind 'conv3d'");
        CHECK(msg == library_message([&] { graph::network_from_json(j); }));
    }
    SECTION("3 unknown op kind (protobuf)") {
        pb::EstimateRequest q = json_request("");
        *q.mutable_network() = service::to_proto(zoo::build("mobilenet_v2"));
        q.mutable_network()->mutable_ops(2)->set_kind("conv3d");
        expect(q, code::INVALID_ARGUMENT, "network.ops[2].kind: unknown op kind 'conv3d'");
    }
    SECTION("4 unknown target: make_target's message") {
        const auto msg = expect(json_request(good_json, "tpu9"), code::INVALID_ARGUMENT, "unknown target 'tpu9'");
        CHECK(msg == library_message([] { hw::make_target("tpu9", "apm"); }));
    }
    SECTION("5 unknown estimator") {
        expect(json_request(good_json, "coral-usb", "magic"), code::INVALID_ARGUMENT, "unknown estimator 'magic'");
    }
    SECTION("6 a network over the op limit") {
        graph::network big("long_chain");
        auto x = big.input({1, 8, 8, 4});
        for (int i = 0; i < 1200; ++i) x = big.activate(x, graph::activation::relu);
        expect(json_request(graph::to_json(big).dump()), code::RESOURCE_EXHAUSTED, "limit of 1000 ops");
        pb::EstimateRequest q = json_request("");
        *q.mutable_network() = service::to_proto(big);
        expect(q, code::RESOURCE_EXHAUSTED, "--max-ops");
    }
    SECTION("6b a network whose tensors are over the size limit (the simulator's work)") {
        pb::EstimateRequest q = json_request("", "coral-usb", "sim");
        q.set_spec("resnet50_v1@8192");
        expect(q, code::RESOURCE_EXHAUSTED, "elements per tensor (--max-tensor-elements)");
    }
    SECTION("7 an oversized message: the limit and its option named") {
        const auto msg = expect(json_request(std::string(2u << 20, ' ') + good_json), code::RESOURCE_EXHAUSTED,
                                "over the server's limit of 1048576 bytes per request (--max-request-bytes 1048576)");
        REQUIRE(msg.rfind("request message of ", 0) == 0);  // its size: the JSON text plus the other fields
        CHECK(std::stoull(msg.substr(19)) > (2u << 20) + good_json.size());
        // far beyond the limit (more than the 16 MiB gRPC takes over it): gRPC's own refusal
        expect(json_request(std::string(20u << 20, ' ')), code::RESOURCE_EXHAUSTED, "");
    }
    SECTION("8 a missing token") {
        grpc::ClientContext ctx;
        pb::EstimateResponse r;
        const auto st = c.stub->Estimate(&ctx, json_request(good_json), &r);
        CHECK(st.error_code() == code::UNAUTHENTICATED);
        still_serves();
    }
    SECTION("9 a wrong token (same length, and longer)") {
        for (std::string t : {std::string(token().size(), 'x'), token() + "x"}) {
            grpc::ClientContext ctx;
            client::auth(ctx, t);
            pb::EstimateResponse r;
            CHECK(c.stub->Estimate(&ctx, json_request(good_json), &r).error_code() == code::UNAUTHENTICATED);
            grpc::ClientContext ctx2;
            client::auth(ctx2, t);
            pb::ListTargetsResponse lr;
            CHECK(c.stub->ListTargets(&ctx2, {}, &lr).error_code() == code::UNAUTHENTICATED);
        }
        still_serves();
    }
    SECTION("10 a deadline of 1 us") {
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", "Bearer " + token());
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::microseconds(1));
        pb::EstimateResponse r;
        pb::EstimateRequest q = json_request(good_json, "coral-usb", "sim");
        CHECK(c.stub->Estimate(&ctx, q, &r).error_code() == code::DEADLINE_EXCEEDED);
        still_serves();
    }
    SECTION("10b a request whose own deadline (deadline_unix_micros) has passed") {
        pb::EstimateRequest q = json_request(good_json);
        q.set_deadline_unix_micros(1);
        expect(q, code::DEADLINE_EXCEEDED, "deadline_unix_micros");
    }
    SECTION("11 a file path as model spec") {
        pb::EstimateRequest q = json_request("");
        q.set_spec("/etc/passwd");
        expect(q, code::INVALID_ARGUMENT, "the server does not read files");
    }
    SECTION("12 an unknown network id") {
        pb::EstimateRequest q = json_request("");
        q.set_network_id(987654321);
        expect(q, code::NOT_FOUND, "network_id 987654321");
    }
    SECTION("13 no network at all") {
        pb::EstimateRequest q;
        q.set_target("coral-usb");
        expect(q, code::INVALID_ARGUMENT, "request has no network");
    }
    SECTION("14 a dangling input and a cycle (JSON)") {
        auto j = nlohmann::json::parse(good_json);
        j["ops"][5]["inputs"][0] = "nowhere";
        expect(json_request(j.dump()), code::INVALID_ARGUMENT, "dangling input");
        auto k = nlohmann::json::parse(good_json);
        k["ops"][1]["inputs"][0] = k["ops"][2]["name"];
        expect(json_request(k.dump()), code::INVALID_ARGUMENT, "cycle");
    }
    SECTION("15 a protobuf input that is not an earlier op, and bad shapes") {
        pb::EstimateRequest q = json_request("");
        *q.mutable_network() = service::to_proto(zoo::build("mobilenet_v2"));
        q.mutable_network()->mutable_ops(3)->set_inputs(0, 40);
        expect(q, code::INVALID_ARGUMENT, "not an earlier op");
        *q.mutable_network() = service::to_proto(zoo::build("mobilenet_v2"));
        q.mutable_network()->mutable_ops(1)->set_groups(5);  // 3 input channels
        expect(q, code::INVALID_ARGUMENT, "not divisible by groups");
    }
    SECTION("16 a JSON document nested 500,000 levels deep") {
        expect(json_request(std::string(500000, '[') + std::string(500000, ']')), code::INVALID_ARGUMENT, "expected an object");
    }
    SECTION("17 an empty network") {
        expect(json_request(R"({"schema": "accelnas.network", "version": 1, "name": "e", "ops": []})"), code::INVALID_ARGUMENT,
               "the network is empty");
    }
    SECTION("18 a malformed search-space spec: the library's message") {
        pb::EstimateRequest q = json_request("");
        q.set_spec("edgetpu:garbage");
        const auto msg = expect(q, code::INVALID_ARGUMENT, "model spec 'edgetpu:garbage'");
        CHECK(msg == library_message([] { app::resolve_spec("edgetpu:garbage"); }));
    }
}

TEST_CASE("a stream answers every request by id, errors included, and ends cleanly", "[service]") {
    client c;
    grpc::ClientContext ctx;
    client::auth(ctx);
    auto s = c.stub->EstimateStream(&ctx);
    const auto net = zoo::build("mobilenet_edgetpu");
    for (int i = 0; i < 20; ++i) {
        pb::EstimateRequest q;
        q.set_id(100 + i);
        if (i == 7) q.set_spec("no_such_model");
        else q.set_network_json(graph::to_json(net).dump());
        q.set_target(i == 11 ? "nowhere" : "coral-devboard");
        q.set_estimator(i % 2 ? "sim" : "apm");
        REQUIRE(s->Write(q));
    }
    s->WritesDone();
    pb::EstimateResponse r;
    std::vector<bool> seen(20, false);
    while (s->Read(&r)) {
        const auto i = static_cast<int>(r.id()) - 100;
        REQUIRE((i >= 0 && i < 20 && !seen[i]));
        seen[i] = true;
        if (i == 7) CHECK((r.code() == grpc::StatusCode::INVALID_ARGUMENT && r.error().find("no_such_model") != std::string::npos));
        else if (i == 11) CHECK((r.code() == grpc::StatusCode::INVALID_ARGUMENT && r.error().find("unknown target 'nowhere'") != std::string::npos));
        else CHECK((r.code() == 0 && r.total_seconds() == hw::make_target("coral-devboard", i % 2 ? "sim" : "apm").seconds(net)));
    }
    CHECK(s->Finish().ok());
    CHECK(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
}

TEST_CASE("in a stream, an oversized or expired request gets its status in its answer and the stream goes on",
          "[service]") {
    client c;
    grpc::ClientContext ctx;
    client::auth(ctx);
    auto s = c.stub->EstimateStream(&ctx);
    const auto net = zoo::build("mobilenet_v2");
    const double expect = hw::make_target("coral-usb", "apm").seconds(net);
    const auto now_us = [] {
        return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    };
    // 0: no deadline; 1: a deadline 1 us ahead (passed by the time the server reads it); 2: an hour ago;
    // 3: an hour ahead; 4: over the size limit; 5: no deadline again
    for (int i = 0; i < 6; ++i) {
        pb::EstimateRequest q = json_request(i == 4 ? std::string(2u << 20, ' ') : graph::to_json(net).dump());
        q.set_id(i);
        if (i == 1) q.set_deadline_unix_micros(now_us() + 1);
        if (i == 2) q.set_deadline_unix_micros(now_us() - 3600'000'000);
        if (i == 3) q.set_deadline_unix_micros(now_us() + 3600'000'000);
        REQUIRE(s->Write(q));
    }
    s->WritesDone();
    pb::EstimateResponse r;
    int answers = 0;
    while (s->Read(&r)) {
        ++answers;
        INFO("answer " << r.id() << ": " << r.error());
        switch (r.id()) {
        case 1:
        case 2:
            CHECK(r.code() == grpc::StatusCode::DEADLINE_EXCEEDED);
            CHECK(r.error().find("deadline_unix_micros") != std::string::npos);
            break;
        case 4:
            CHECK(r.code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
            CHECK(r.error().find("(--max-request-bytes 1048576)") != std::string::npos);
            break;
        default: CHECK((r.code() == 0 && r.total_seconds() == expect));
        }
    }
    CHECK(answers == 6);
    CHECK(s->Finish().ok());
}

TEST_CASE("a stream without the token is refused", "[service]") {
    client c;
    grpc::ClientContext ctx;
    auto s = c.stub->EstimateStream(&ctx);
    pb::EstimateRequest q;
    q.set_spec("mobilenet_v2");
    q.set_target("coral-usb");
    s->Write(q);
    s->WritesDone();
    pb::EstimateResponse r;
    CHECK_FALSE(s->Read(&r));
    CHECK(s->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);
    still_serves();
}

TEST_CASE("a client that disconnects mid-stream leaves the server serving", "[service]") {
    for (int round = 0; round < 3; ++round) {
        client c;
        grpc::ClientContext ctx;
        client::auth(ctx);
        auto s = c.stub->EstimateStream(&ctx);
        pb::EstimateRequest q;
        q.set_spec("efficientnet_edgetpu_m");
        q.set_target("coral-usb");
        q.set_estimator("sim");
        for (int i = 0; i < 10; ++i) {
            q.set_id(i);
            if (!s->Write(q)) break;
        }
        if (round > 0) {
            pb::EstimateResponse r;
            s->Read(&r);  // one answer, then gone
        }
        ctx.TryCancel();
        CHECK(s->Finish().error_code() == grpc::StatusCode::CANCELLED);
    }
    still_serves();
}

TEST_CASE("64 clients at once all get their answers", "[service]") {
    const auto net = zoo::build("efficientnet_edgetpu_s");
    const double expect_apm = hw::make_target("coral-usb", "apm").seconds(net);
    const double expect_sim = hw::make_target("coral-usb", "sim").seconds(net);
    std::atomic<int> ok{0}, wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 64; ++t)
        threads.emplace_back([&, t] {
            try {
                // each thread its own channel: 64 connections, not 64 calls on one
                const service::remote_accelerator m(address(), "coral-usb", t % 4 ? "apm" : "sim", {.token = token()});
                for (int i = 0; i < 5; ++i) {
                    if (m.seconds(net) == (t % 4 ? expect_apm : expect_sim)) ++ok;
                    else ++wrong;
                }
            } catch (const std::exception&) {
                ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(ok == 64 * 5);
    CHECK(wrong == 0);
    still_serves();
}
