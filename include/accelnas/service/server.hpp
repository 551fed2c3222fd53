#pragma once
/// \file
/// `service::server`: the gRPC transport of the latency service (accelnas-serve). A fixed pool of
/// worker threads, each polling its own completion queue and answering the calls that arrive on it
/// (unary and streaming, gRPC's asynchronous API): one thread does a call's I/O and its estimates, so
/// an estimate costs no hand-off between threads and a call's state needs no lock. Health checking
/// (grpc.health.v1) and server reflection come from Debian's grpc++.

#include <accelnas/core/error.hpp>
#include <accelnas/service/estimator.hpp>
#include <accelnas/service/latency.grpc.pb.h>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace accelnas::service {

/// Settings of a latency server.
struct server_options {
    std::string listen = "127.0.0.1:50051";  ///< ADDR:PORT (port 0: pick a free one, see `server::port`)
    std::size_t threads = 2;                 ///< worker threads (each serves whole calls)
    std::string token;                       ///< shared secret every call must carry; required beyond loopback
    std::size_t stream_backlog = 64;         ///< unanswered requests per stream before the server stops reading it
    service_options service;                 ///< limits, configs, cache
};

/// True when `address` (ADDR:PORT, [ADDR]:PORT, ipv4:/ipv6:/unix: URIs) reaches only this machine.
inline bool is_loopback(std::string_view address) {
    if (address.rfind("unix:", 0) == 0 || address.rfind("unix-abstract:", 0) == 0) return true;
    for (std::string_view scheme : {"ipv4:", "ipv6:", "dns:"})
        if (address.rfind(scheme, 0) == 0) address.remove_prefix(scheme.size());
    std::string_view host;
    if (!address.empty() && address.front() == '[') {
        const auto close = address.find(']');
        if (close == std::string_view::npos) return false;
        host = address.substr(1, close - 1);
    } else {
        const auto colon = address.rfind(':');
        host = address.substr(0, colon);
    }
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

/// The latency server: listens on construction, serves until `shutdown`.
class server {
public:
    /// Starts listening and serving; `accelnas::error` when the address cannot be bound or when it
    /// reaches beyond loopback without a token.
    explicit server(server_options opt) : opt_(std::move(opt)), core_(opt_.service) {
        require(opt_.threads >= 1, "--threads must be at least 1");
        require(opt_.stream_backlog >= 1, "stream backlog must be at least 1");
        require(is_loopback(opt_.listen) || !opt_.token.empty(), "--listen ", opt_.listen,
                " reaches beyond this machine: give a shared token with --token-file");
        require(opt_.service.max_request_bytes >= 64 && opt_.service.max_request_bytes <= (1u << 30),
                "--max-request-bytes must be between 64 and 1 GiB, got ", opt_.service.max_request_bytes);
        expected_auth_ = "Bearer " + opt_.token;
        grpc::EnableDefaultHealthCheckService(true);
        grpc::reflection::InitProtoReflectionServerBuilderPlugin();
        grpc::ServerBuilder b;
        int port = 0;
        b.AddListeningPort(opt_.listen, grpc::InsecureServerCredentials(), &port);
        b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a second server on a taken port must fail, not share it
        // gRPC takes messages up to a ceiling above the limit, and the handlers check the limit, so
        // that a client over it is told the limit and the option (gRPC's own refusal names neither).
        b.SetMaxReceiveMessageSize(static_cast<int>(opt_.service.max_request_bytes + request_slack_bytes));
        b.RegisterService(&async_);
        for (std::size_t i = 0; i < opt_.threads; ++i) cqs_.push_back(b.AddCompletionQueue());
        server_ = b.BuildAndStart();
        require(server_ != nullptr && port != 0, "cannot listen on ", opt_.listen, " (address taken or invalid)");
        port_ = port;
        // A few calls of each kind requested per queue, so a burst of clients is matched at once.
        for (auto& cq : cqs_)
            for (int k = 0; k < 8; ++k) {
                arm_list(cq.get());
                arm_estimate(cq.get());
                arm_stream(cq.get());
            }
        for (auto& cq : cqs_) workers_.emplace_back([q = cq.get()] { run(q); });
    }
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() { shutdown(std::chrono::system_clock::now()); }

    /// The port it listens on (the chosen one when the options said port 0).
    int port() const noexcept { return port_; }
    /// Its options.
    const server_options& options() const noexcept { return opt_; }

    /// Stops accepting calls, lets the calls in flight finish until `deadline` (then cancels them),
    /// and stops the workers. Idempotent; returns when everything is stopped.
    void shutdown(std::chrono::system_clock::time_point deadline) {
        std::lock_guard once(shutdown_mutex_);
        if (stopped_) return;
        if (auto* h = server_->GetHealthCheckService()) h->SetServingStatus(false);
        server_->Shutdown(deadline);
        {
            std::unique_lock lock(arm_mutex_);
            stopping_ = true;  // no call is requested on a queue after this
        }
        // The calls cancelled by Shutdown still finish through their queues (a Finish after a failed
        // read, a write completing): a queue shut down before they are gone would see an operation
        // started on it, which gRPC aborts on. So the workers drain every call first.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (live_calls_.load() > 0 && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        for (auto& cq : cqs_) cq->Shutdown();
        for (auto& t : workers_) t.join();
        stopped_ = true;
    }

private:
    // The asynchronous service, EstimateStream with raw (encoded) messages: see stream_call::respond.
    using service_type = pb::LatencyEstimator::WithAsyncMethod_ListTargets<
        pb::LatencyEstimator::WithAsyncMethod_Estimate<pb::LatencyEstimator::WithRawMethod_EstimateStream<pb::LatencyEstimator::Service>>>;

    struct tag {
        virtual void proceed(bool ok) = 0;
        virtual ~tag() = default;
    };
    /// Counts the call objects alive (requested or in progress), for `shutdown`.
    struct counted {
        explicit counted(std::atomic<long>& n) : n(n) { ++n; }
        counted(const counted&) = delete;
        counted& operator=(const counted&) = delete;
        ~counted() { --n; }
        std::atomic<long>& n;
    };

    static void run(grpc::ServerCompletionQueue* cq) {
        void* t = nullptr;
        bool ok = false;
        while (cq->Next(&t, &ok)) static_cast<tag*>(t)->proceed(ok);
    }

    bool authorized(const grpc::ServerContext& ctx) const {
        if (opt_.token.empty()) return true;
        const auto range = ctx.client_metadata().equal_range("authorization");
        bool ok = false;
        for (auto it = range.first; it != range.second; ++it) {
            const std::string_view v(it->second.data(), it->second.size());
            // constant time in the token's length: no early exit on the first differing byte
            unsigned diff = v.size() == expected_auth_.size() ? 0u : 1u;
            for (std::size_t i = 0; i < expected_auth_.size(); ++i)
                diff |= static_cast<unsigned char>(expected_auth_[i]) ^ static_cast<unsigned char>(i < v.size() ? v[i] : 0);
            ok = ok || diff == 0;
        }
        return ok;
    }
    static grpc::Status unauthenticated() {
        return {grpc::StatusCode::UNAUTHENTICATED, "missing or wrong token (metadata 'authorization: Bearer <token>')"};
    }
    static bool expired(const grpc::ServerContext& ctx) { return ctx.deadline() <= std::chrono::system_clock::now(); }
    static grpc::Status deadline_status() {
        return {grpc::StatusCode::DEADLINE_EXCEEDED, "the call's deadline passed before the estimate started"};
    }
    /// True when a request's own deadline (deadline_unix_micros, 0 = none) has passed.
    static bool request_expired(std::int64_t deadline_unix_micros) {
        if (deadline_unix_micros == 0) return false;
        const auto now = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
        return now.count() >= deadline_unix_micros;
    }
    static grpc::Status late_status() {
        return {grpc::StatusCode::DEADLINE_EXCEEDED, "the request's deadline_unix_micros passed before its estimate was done"};
    }
    /// RESOURCE_EXHAUSTED for a message of `bytes` over the size limit, naming the limit and its option.
    grpc::Status oversized(std::size_t bytes) const {
        const auto limit = std::to_string(opt_.service.max_request_bytes);
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, "request message of " + std::to_string(bytes) +
                                                          " bytes is over the server's limit of " + limit +
                                                          " bytes per request (--max-request-bytes " + limit + ")"};
    }
    /// OK, or the status of a message over the size limit.
    template <class Message>
    grpc::Status size_checked(const Message& m) const {
        const std::size_t bytes = m.ByteSizeLong();
        return bytes > opt_.service.max_request_bytes ? oversized(bytes) : grpc::Status::OK;
    }

    /// Answers one request of `bytes` bytes into `out`; failures come back as the status. The size
    /// limit and the request's own deadline are checked here, so unary calls and stream answers treat
    /// them alike.
    grpc::Status answer(const pb::EstimateRequest& req, std::size_t bytes, pb::EstimateResponse& out) {
        if (bytes > opt_.service.max_request_bytes) return oversized(bytes);
        if (request_expired(req.deadline_unix_micros())) return late_status();
        try {
            core_.estimate(req, out);
        } catch (const status_error& e) {
            return {e.code(), e.what()};
        }
        return request_expired(req.deadline_unix_micros()) ? late_status() : grpc::Status::OK;
    }

    // ---- unary calls ----
    template <class Req, class Resp, class Handle>
    struct unary_call final : tag {
        using request_fn = void (service_type::*)(grpc::ServerContext*, Req*, grpc::ServerAsyncResponseWriter<Resp>*,
                                                   grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);
        unary_call(server& s, grpc::ServerCompletionQueue* cq, request_fn fn, Handle h)
            : alive(s.live_calls_), s(s), cq(cq), fn(fn), handle(std::move(h)) {
            (s.async_.*fn)(&ctx, &req, &responder, cq, cq, static_cast<tag*>(this));
        }
        void proceed(bool ok) override {
            if (finished || !ok) {  // answered, or the server is shutting down
                delete this;
                return;
            }
            s.arm(cq, [&] { new unary_call(s, cq, fn, handle); });
            finished = true;
            Resp resp;
            grpc::Status st;
            if (!s.authorized(ctx)) st = unauthenticated();
            else if (expired(ctx)) st = deadline_status();
            else st = handle(s, req, resp);
            if (st.ok()) responder.Finish(resp, st, static_cast<tag*>(this));
            else responder.FinishWithError(st, static_cast<tag*>(this));
        }
        counted alive;
        server& s;
        grpc::ServerCompletionQueue* cq;
        request_fn fn;
        Handle handle;
        grpc::ServerContext ctx;
        Req req;
        grpc::ServerAsyncResponseWriter<Resp> responder{&ctx};
        bool finished = false;
    };

    template <class F>
    void arm(grpc::ServerCompletionQueue*, F&& make) {
        std::shared_lock lock(arm_mutex_);
        if (!stopping_) make();
    }

    void arm_list(grpc::ServerCompletionQueue* cq) {
        auto h = [](server& s, const pb::ListTargetsRequest& q, pb::ListTargetsResponse& r) {
            if (auto st = s.size_checked(q); !st.ok()) return st;
            s.core_.list_targets(r);
            return grpc::Status::OK;
        };
        arm(cq, [&] {
            new unary_call<pb::ListTargetsRequest, pb::ListTargetsResponse, decltype(h)>(
                *this, cq, &service_type::RequestListTargets, h);
        });
    }
    void arm_estimate(grpc::ServerCompletionQueue* cq) {
        auto h = [](server& s, const pb::EstimateRequest& q, pb::EstimateResponse& r) { return s.answer(q, q.ByteSizeLong(), r); };
        arm(cq, [&] {
            new unary_call<pb::EstimateRequest, pb::EstimateResponse, decltype(h)>(*this, cq, &service_type::RequestEstimate, h);
        });
    }

    // ---- EstimateStream: one read and one write in flight at a time, answers queued in between ----
    struct stream_call final {
        struct step final : tag {
            step(stream_call* c, void (stream_call::*f)(bool)) : c(c), f(f) {}
            void proceed(bool ok) override { (c->*f)(ok); }
            stream_call* c;
            void (stream_call::*f)(bool);
        };
        stream_call(server& s, grpc::ServerCompletionQueue* cq) : alive(s.live_calls_), s(s), cq(cq), arena(arena_options(block)) {
            req = google::protobuf::Arena::CreateMessage<pb::EstimateRequest>(&arena);
            s.async_.RequestEstimateStream(&ctx, &rw, cq, cq, static_cast<tag*>(&on_start));
        }
        static google::protobuf::ArenaOptions arena_options(std::unique_ptr<char[]>& block) {
            google::protobuf::ArenaOptions o;
            block = std::make_unique<char[]>(arena_block_bytes);
            o.initial_block = block.get();
            o.initial_block_size = arena_block_bytes;
            return o;
        }
        void started(bool ok) {
            if (!ok) {
                delete this;
                return;
            }
            s.arm_stream(cq);
            if (!s.authorized(ctx)) {
                finishing = true;
                rw.Finish(unauthenticated(), static_cast<tag*>(&on_finish));
                return;
            }
            read();
        }
        void read() {
            reading = true;
            rw.Read(&in, static_cast<tag*>(&on_read));
        }
        void write() {
            writing = true;
            rw.Write(out.front(), static_cast<tag*>(&on_write));
        }
        // Answers the request in `in` into `answer`, or returns the status of its failure; `id` gets its id.
        grpc::Status respond(std::uint64_t& id) {
            grpc::Slice slice;
            if (in.Length() > 0 && !in.TrySingleSlice(&slice).ok() && !in.DumpToSingleSlice(&slice).ok())
                return {grpc::StatusCode::INTERNAL, "cannot read the request message"};
            const std::string_view bytes(reinterpret_cast<const char*>(slice.begin()), slice.size());
            if (expired(ctx)) return deadline_status();
            // The search loop's request (an APM total of a protobuf network) read straight from its
            // encoding; anything else, or anything that path does not vouch for, through protobuf.
            wire_request w;
            if (bytes.size() <= s.opt_.service.max_request_bytes && w.read(bytes)) {
                id = w.id;
                if (request_expired(w.deadline_unix_micros)) return late_status();
                bool done = false;
                try {
                    done = s.core_.fast_total(w, answer);
                } catch (const std::exception&) {
                    done = false;  // the general path answers it, with the library's message
                }
                if (done) return request_expired(w.deadline_unix_micros) ? late_status() : grpc::Status::OK;
                answer.Clear();
            }
            // The request (its network a oneof member, which protobuf frees on every parse) lives in
            // the arena; resetting it keeps the first block, so parsing allocates little.
            arena.Reset();
            req = google::protobuf::Arena::CreateMessage<pb::EstimateRequest>(&arena);
            if (!req->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
                return {grpc::StatusCode::INVALID_ARGUMENT, "the request is not a valid EstimateRequest message (protobuf)"};
            id = req->id();
            return s.answer(*req, bytes.size(), answer);
        }
        void got(bool ok) {
            reading = false;
            if (!ok) {  // the client closed its side, or the call ended
                read_closed = true;
                maybe_finish();
                return;
            }
            answer.Clear();
            std::uint64_t id = 0;
            const auto st = respond(id);
            in.Clear();
            if (!st.ok()) {
                answer.Clear();
                answer.set_id(id);
                answer.set_code(st.error_code());
                answer.set_error(st.error_message());
            }
            out.emplace_back();
            bool own = false;
            if (!grpc::SerializationTraits<pb::EstimateResponse>::Serialize(answer, &out.back(), &own).ok()) {
                out.pop_back();  // cannot happen for a message this server built; the stream ends broken
                broken = true;
            }
            if (!writing && !out.empty()) write();
            if (!broken && out.size() < s.opt_.stream_backlog) read();  // else the next write completion resumes reading
            maybe_finish();
        }
        void wrote(bool ok) {
            writing = false;
            if (!ok) {  // the client is gone: drop what is queued, wait for the read to fail too
                out.clear();
                broken = true;
            } else {
                out.pop_front();
                if (!out.empty()) write();
                if (!reading && !read_closed) read();
            }
            maybe_finish();
        }
        void maybe_finish() {
            if (finishing || reading || writing || !(broken || (read_closed && out.empty()))) return;
            finishing = true;
            rw.Finish(grpc::Status::OK, static_cast<tag*>(&on_finish));
        }
        void finished(bool) { delete this; }

        counted alive;
        server& s;
        grpc::ServerCompletionQueue* cq;
        grpc::ServerContext ctx;
        // Raw messages: requests are read from their encoding (see respond), answers written encoded.
        grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> rw{&ctx};
        static constexpr std::size_t arena_block_bytes = 64 << 10;
        std::unique_ptr<char[]> block;     // the arena's first block (kept across resets)
        google::protobuf::Arena arena;
        pb::EstimateRequest* req;          // in `arena`
        grpc::ByteBuffer in;               // the request being read
        pb::EstimateResponse answer;       // reused from one answer to the next (its strings keep their storage)
        std::deque<grpc::ByteBuffer> out;  // encoded answers not yet written
        bool reading = false, writing = false, read_closed = false, broken = false, finishing = false;
        step on_start{this, &stream_call::started}, on_read{this, &stream_call::got}, on_write{this, &stream_call::wrote},
            on_finish{this, &stream_call::finished};
    };
    void arm_stream(grpc::ServerCompletionQueue* cq) {
        arm(cq, [&] { new stream_call(*this, cq); });
    }

    /// How far over --max-request-bytes gRPC still takes a message (for the handlers to refuse it
    /// with the limit named); beyond that gRPC refuses it with its own text.
    static constexpr std::size_t request_slack_bytes = 16u << 20;

    server_options opt_;
    latency_service core_;
    std::string expected_auth_;
    service_type async_;
    std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs_;
    std::unique_ptr<grpc::Server> server_;
    std::vector<std::thread> workers_;
    int port_ = 0;
    std::atomic<long> live_calls_{0};
    std::shared_mutex arm_mutex_;
    bool stopping_ = false;
    std::mutex shutdown_mutex_;
    bool stopped_ = false;
};

}  // namespace accelnas::service
