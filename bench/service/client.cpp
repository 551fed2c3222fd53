// Load generator of bench/serve_throughput.sh: measures a running accelnas-serve from the client side.
//
//   bench_service_client --server 127.0.0.1:PORT --token-file F stream --form proto --streams 8 --estimator apm
//   bench_service_client ... unary --form id          # p50 / p99 of single Estimate calls
//   bench_service_client inprocess                     # the same networks priced in this process
//
// The networks: 64 random architectures of the edgetpu space decoded at 224x224x3 (the space of
// EfficientNet-EdgeTPU-S, whose size they share). Every answer is checked against the in-process model
// (bit-identical totals), so a fast wrong server cannot pass.
#include <accelnas/core/rng.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/service/remote_accelerator.hpp>
#include <accelnas/service/token.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/zoo/zoo.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace accelnas;
namespace pb = service::pb;
using clk = std::chrono::steady_clock;

namespace {

struct setup {
    std::string server, token, form = "proto", estimator = "apm", target = "coral-usb";
    int streams = 8, window = 32, count = 64;
    double seconds = 3;
};

std::vector<graph::network> networks(int count) {
    const auto& space = space::find_space("edgetpu");
    rng g(1);
    std::vector<graph::network> v;
    for (int i = 0; i < count; ++i) v.push_back(space.decode(space.sample(g), {1, 224, 224, 3}, 1000));
    return v;
}

std::unique_ptr<pb::LatencyEstimator::Stub> stub(const setup& s) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own per client
    return pb::LatencyEstimator::NewStub(grpc::CreateCustomChannel(s.server, grpc::InsecureChannelCredentials(), args));
}
void auth(const setup& s, grpc::ClientContext& ctx) {
    if (!s.token.empty()) ctx.AddMetadata("authorization", "Bearer " + s.token);
}

/// The requests, one per network, in the form asked for (ids registered first for "id").
std::vector<pb::EstimateRequest> requests(const setup& s, const std::vector<graph::network>& nets) {
    std::vector<pb::EstimateRequest> qs;
    auto st = stub(s);
    for (const auto& n : nets) {
        pb::EstimateRequest q;
        q.set_target(s.target);
        q.set_estimator(s.estimator);
        q.set_detail(pb::TOTAL_ONLY);
        if (s.form == "proto") *q.mutable_network() = service::to_proto(n);
        else if (s.form == "json" || s.form == "id") q.set_network_json(graph::to_json(n).dump());
        else fail("unknown --form '", s.form, "' (expected proto, json or id)");
        if (s.form == "id") {
            grpc::ClientContext ctx;
            auth(s, ctx);
            pb::EstimateResponse r;
            const auto status = st->Estimate(&ctx, q, &r);
            require(status.ok(), "registering a network: ", status.error_message());
            require(r.network_id() != 0, "the server keeps no networks (--cache 0): --form id needs its cache");
            q.set_network_id(r.network_id());
        }
        qs.push_back(std::move(q));
    }
    return qs;
}

int run_stream(const setup& s) {
    const auto nets = networks(s.count);
    std::vector<double> expect;
    const auto model = hw::make_target(s.target, s.estimator);
    for (const auto& n : nets) expect.push_back(model.seconds(n));
    const auto qs = requests(s, nets);
    std::atomic<long> answered{0}, wrong{0};
    std::atomic<bool> go{false}, stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < s.streams; ++t)
        threads.emplace_back([&, t] {
            auto st = stub(s);
            grpc::ClientContext ctx;
            auth(s, ctx);
            auto stream = st->EstimateStream(&ctx);
            auto mine = qs;  // copied once: a request is only re-tagged before each write
            while (!go) std::this_thread::yield();
            long sent = 0, got = 0;
            pb::EstimateResponse r;
            auto read_one = [&] {
                if (!stream->Read(&r)) return false;
                const auto i = static_cast<std::size_t>(r.id() % qs.size());
                if (r.code() != 0 || r.total_seconds() != expect[i]) ++wrong;
                ++got;
                if (!stop) ++answered;
                return true;
            };
            for (std::size_t k = static_cast<std::size_t>(t);; ++k) {
                if (stop) break;
                if (sent - got >= s.window && !read_one()) break;
                auto& q = mine[k % mine.size()];
                q.set_id(k);
                if (!stream->Write(q)) break;
                ++sent;
            }
            stream->WritesDone();
            while (got < sent && read_one()) {}
            stream->Finish();
        });
    const auto t0 = clk::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(s.seconds));
    const long n = answered.load();
    const double dt = std::chrono::duration<double>(clk::now() - t0).count();
    stop = true;
    for (auto& th : threads) th.join();
    std::printf("stream %s %s streams=%d window=%d: %.0f estimates/s (%ld in %.2f s, %ld wrong)\n", s.estimator.c_str(),
                s.form.c_str(), s.streams, s.window, n / dt, n, dt, wrong.load());
    return wrong == 0 ? 0 : 1;
}

int run_unary(const setup& s, int calls) {
    auto nets = std::vector<graph::network>{zoo::build("efficientnet_edgetpu_s")};
    const double expect = hw::make_target(s.target, s.estimator).seconds(nets[0]);
    auto q = requests(s, nets)[0];
    auto st = stub(s);
    std::vector<double> us;
    long wrong = 0;
    for (int i = 0; i < calls + calls / 10; ++i) {
        grpc::ClientContext ctx;
        auth(s, ctx);
        pb::EstimateResponse r;
        const auto t0 = clk::now();
        const auto status = st->Estimate(&ctx, q, &r);
        const double dt = std::chrono::duration<double, std::micro>(clk::now() - t0).count();
        wrong += !status.ok() || r.total_seconds() != expect;
        if (i >= calls / 10) us.push_back(dt);  // the first tenth warms the connection up
    }
    std::sort(us.begin(), us.end());
    std::printf("unary %s %s (efficientnet_edgetpu_s, %zu calls): p50 %.0f us, p99 %.0f us (%ld wrong)\n", s.estimator.c_str(),
                s.form.c_str(), us.size(), us[us.size() / 2], us[us.size() * 99 / 100], wrong);
    return wrong == 0 ? 0 : 1;
}

int run_inprocess(const setup& s) {
    const auto nets = networks(s.count);
    std::size_t ops = 0, json_bytes = 0, proto_bytes = 0;
    for (const auto& n : nets) {
        ops += n.size();
        json_bytes += graph::to_json(n).dump().size();
        proto_bytes += service::to_proto(n).ByteSizeLong();
    }
    std::printf("networks: %d edgetpu-space architectures at 224x224x3, %.0f ops, %.0f B as JSON, %.0f B as protobuf on average "
                "(efficientnet_edgetpu_s: %zu ops)\n",
                s.count, double(ops) / nets.size(), double(json_bytes) / nets.size(), double(proto_bytes) / nets.size(),
                zoo::build("efficientnet_edgetpu_s").size());
    const auto model = hw::make_target(s.target, s.estimator);
    for (int threads : {1, 2}) {
        std::atomic<long> done{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> th;
        const auto t0 = clk::now();
        for (int t = 0; t < threads; ++t)
            th.emplace_back([&] {
                double sink = 0;
                long n = 0;
                for (std::size_t k = 0; !stop; ++k, ++n) sink += model.seconds(nets[k % nets.size()]);
                done += n;
                if (sink < 0) std::puts("");
            });
        std::this_thread::sleep_for(std::chrono::duration<double>(s.seconds / 2));
        stop = true;
        for (auto& t : th) t.join();
        const double dt = std::chrono::duration<double>(clk::now() - t0).count();
        std::printf("inprocess %s threads=%d: %.0f estimates/s\n", s.estimator.c_str(), threads, done / dt);
    }
    // parsing costs, the server's part of a request besides the estimate
    for (const char* form : {"json", "proto"}) {
        std::vector<std::string> texts;
        std::vector<pb::Network> protos;
        for (const auto& n : nets) {
            texts.push_back(graph::to_json(n).dump());
            protos.push_back(service::to_proto(n));
        }
        long n = 0;
        const auto t0 = clk::now();
        while (std::chrono::duration<double>(clk::now() - t0).count() < s.seconds / 4)
            for (std::size_t k = 0; k < nets.size(); ++k, ++n) {
                const auto net = std::string(form) == "json" ? graph::network_from_json_text(texts[k]) : service::from_proto(protos[k]);
                if (net.size() == 0) std::puts("");
            }
        const double dt = std::chrono::duration<double>(clk::now() - t0).count();
        std::printf("decode %s: %.1f us per network\n", form, 1e6 * dt / n);
    }
    {  // the server's fast path of APM totals: protobuf straight into the APM's compact table
        std::vector<pb::Network> protos;
        for (const auto& g : nets) protos.push_back(service::to_proto(g));
        hw::compact_network table;
        service::proto_scratch scratch;
        long n = 0;
        const auto t0 = clk::now();
        while (std::chrono::duration<double>(clk::now() - t0).count() < s.seconds / 4)
            for (std::size_t k = 0; k < nets.size(); ++k, ++n)
                if (!service::compact_from_proto(protos[k], std::int64_t{1} << 26, table, scratch)) fail("compact_from_proto refused a network");
        const double dt = std::chrono::duration<double>(clk::now() - t0).count();
        std::printf("decode proto to the APM's compact table (the server's APM total path): %.1f us per network\n", 1e6 * dt / n);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    setup s;
    std::string token_file;
    int calls = 2000;
    CLI::App app{"bench_service_client: throughput and latency of accelnas-serve, seen from a client"};
    app.add_option("--server", s.server, "HOST:PORT");
    app.add_option("--token-file", token_file, "the server's token");
    app.add_option("--estimator", s.estimator, "sim or apm")->capture_default_str();
    app.add_option("--target", s.target)->capture_default_str();
    app.add_option("--form", s.form, "how networks travel: proto, json (the server's cache hits after the first round) or id")
        ->capture_default_str();
    app.add_option("--seconds", s.seconds, "measuring time")->capture_default_str();
    app.add_option("--networks", s.count, "distinct networks cycled through")->capture_default_str();
    app.fallthrough();  // --seconds etc. may follow the subcommand (inherited by the subcommands)
    auto* stream = app.add_subcommand("stream", "EstimateStream throughput");
    stream->add_option("--streams", s.streams, "concurrent streams, each on its own connection")->capture_default_str();
    stream->add_option("--window", s.window, "requests in flight per stream")->capture_default_str();
    auto* unary = app.add_subcommand("unary", "latency of single Estimate calls");
    unary->add_option("--calls", calls)->capture_default_str();
    auto* inproc = app.add_subcommand("inprocess", "the same networks priced in this process");
    app.require_subcommand(1);
    CLI11_PARSE(app, argc, argv);
    try {
        if (!token_file.empty()) s.token = service::read_token_file(token_file);
        if (*inproc) return run_inprocess(s);
        require(!s.server.empty(), "--server HOST:PORT is required");
        if (*stream) return run_stream(s);
        return run_unary(s, calls);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_service_client: error: %s\n", e.what());
        return 2;
    }
}
