#pragma once
/// \file
/// `service::remote_accelerator`: an `hw::accelerator_model` whose estimates come from a latency server
/// (accelnas-serve), so search loops written against the concept use the server unchanged.
///
///     service::remote_accelerator m("127.0.0.1:50051", "coral-usb", "apm");
///     double s = m.seconds(zoo::build("efficientnet_edgetpu_s"));   // one round trip
///     std::vector<double> all = m.seconds_many(candidates);          // one stream for the lot

#include <accelnas/core/error.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/service/convert.hpp>
#include <accelnas/service/latency.grpc.pb.h>
#include <accelnas/service/token.hpp>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::service {

/// How a client reaches the server.
struct remote_options {
    std::string token;                            ///< shared token (empty: the server needs none)
    std::chrono::milliseconds timeout{60'000};    ///< deadline of each call (a stream: of the whole batch)
};

/// A target of a latency server as an accelerator model. Copies share one channel; every method
/// may be called from many threads at once. Server errors raise `accelnas::error` whose message
/// carries the server's (the library's) message.
class remote_accelerator {
public:
    /// The model `estimator` ("sim" or "apm") of `target` on the server at `address` (HOST:PORT).
    remote_accelerator(std::string address, std::string target, std::string estimator = "sim",
                       remote_options opt = {.token = default_token()})
        : address_(std::move(address)), target_(std::move(target)), estimator_(std::move(estimator)), opt_(std::move(opt)) {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(-1);  // per-op reports of big networks
        channel_ = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
        stub_ = pb::LatencyEstimator::NewStub(channel_);
    }

    /// The target's name.
    std::string_view name() const noexcept { return target_; }
    /// The server's address.
    const std::string& address() const noexcept { return address_; }
    /// The estimator asked for.
    const std::string& estimator() const noexcept { return estimator_; }

    /// The full report, per-op table included.
    hw::latency_report estimate(const graph::network& net) const { return report_of(call(net, pb::PER_OP)); }
    /// The total latency in seconds (the server's fast path).
    double seconds(const graph::network& net) const { return call(net, pb::TOTAL_ONLY).total_seconds(); }

    /// Totals of many networks through one EstimateStream call (answers matched by request id).
    std::vector<double> seconds_many(std::span<const graph::network> nets) const {
        grpc::ClientContext ctx;
        prepare(ctx);
        auto stream = stub_->EstimateStream(&ctx);
        std::vector<double> out(nets.size(), 0.0);
        std::vector<bool> seen(nets.size(), false);
        // Writes and reads interleave in one thread: at most `window` requests unanswered, well
        // under the server's per-stream backlog, so neither side blocks on a full buffer.
        constexpr std::size_t window = 32;
        std::size_t sent = 0, got = 0;
        std::string first_error;
        auto receive = [&] {
            pb::EstimateResponse r;
            if (!stream->Read(&r)) return false;
            const auto i = static_cast<std::size_t>(r.id());
            if (i >= nets.size() || seen[i]) fail(where(), ": answer with an unexpected id ", r.id());
            seen[i] = true;
            ++got;
            if (r.code() != 0 && first_error.empty())
                first_error = where() + ": network '" + nets[i].name() + "': " + r.error();
            out[i] = r.total_seconds();
            return true;
        };
        while (sent < nets.size()) {
            if (sent - got >= window && !receive()) break;
            pb::EstimateRequest q = request(nets[sent], pb::TOTAL_ONLY);
            q.set_id(sent);
            if (!stream->Write(q)) break;
            ++sent;
        }
        stream->WritesDone();
        while (got < sent && receive()) {}
        const auto st = stream->Finish();
        if (!st.ok()) fail(where(), ": ", status_text(st));
        require(got == nets.size(), where(), ": the stream ended after ", got, " of ", nets.size(), " answers");
        if (!first_error.empty()) fail(first_error);
        return out;
    }

    /// The server's targets and limits (ListTargets).
    pb::ListTargetsResponse list_targets() const {
        grpc::ClientContext ctx;
        prepare(ctx);
        pb::ListTargetsResponse r;
        const auto st = stub_->ListTargets(&ctx, pb::ListTargetsRequest{}, &r);
        if (!st.ok()) fail(where(), ": ", status_text(st));
        return r;
    }

private:
    std::string where() const { return "estimator server " + address_; }
    static std::string status_text(const grpc::Status& st) {
        static constexpr const char* names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                                "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
        const auto c = static_cast<int>(st.error_code());
        return std::string(c >= 0 && c <= 16 ? names[c] : "status") + ": " + st.error_message();
    }
    void prepare(grpc::ClientContext& ctx) const {
        ctx.set_deadline(std::chrono::system_clock::now() + opt_.timeout);
        if (!opt_.token.empty()) ctx.AddMetadata("authorization", "Bearer " + opt_.token);
    }
    pb::EstimateRequest request(const graph::network& net, pb::Detail detail) const {
        pb::EstimateRequest q;
        *q.mutable_network() = to_proto(net);
        q.set_target(target_);
        q.set_estimator(estimator_);
        q.set_detail(detail);
        return q;
    }
    pb::EstimateResponse call(const graph::network& net, pb::Detail detail) const {
        grpc::ClientContext ctx;
        prepare(ctx);
        pb::EstimateResponse r;
        const auto st = stub_->Estimate(&ctx, request(net, detail), &r);
        if (!st.ok()) fail(where(), ": ", status_text(st));
        return r;
    }

    std::string address_, target_, estimator_;
    remote_options opt_;
    std::shared_ptr<grpc::Channel> channel_;
    std::shared_ptr<pb::LatencyEstimator::Stub> stub_;
};

static_assert(hw::accelerator_model<remote_accelerator>);

}  // namespace accelnas::service
