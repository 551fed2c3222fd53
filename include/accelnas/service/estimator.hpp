#pragma once
/// \file
/// `service::latency_service`: what the latency server does for one request, apart from the
/// transport - target lookup, network decoding (with a cache of decoded networks), limits, the
/// estimate. Thread-safe: the server's workers share one instance; the models are immutable.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/config_json.hpp>
#include <accelnas/hw/targets.hpp>
#include <accelnas/service/convert.hpp>
#include <accelnas/service/latency.pb.h>
#include <accelnas/app/spec.hpp>

#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace accelnas::service {

/// A failed request: the gRPC status code it ends with and the message (for INVALID_ARGUMENT, the
/// library's `accelnas::error` text).
class status_error : public error {
public:
    /// A failure answered with `code`.
    status_error(grpc::StatusCode code, const std::string& what) : error(what), code_(code) {}
    /// The status code.
    grpc::StatusCode code() const noexcept { return code_; }

private:
    grpc::StatusCode code_;
};

/// Limits and configs of a latency service.
struct service_options {
    std::size_t max_ops = 4096;                      ///< ops per network (RESOURCE_EXHAUSTED beyond)
    std::size_t max_request_bytes = 4u << 20;        ///< message size limit (checked by the server's handlers)
    /// Elements of any one tensor: the simulator's time grows with tensor rows (resnet50_v1@8192 takes
    /// seconds), so this bounds the work one request can ask for. 2^26 admits resnet50_v1@2048.
    std::int64_t max_tensor_elements = std::int64_t{1} << 26;
    std::size_t cache_networks = 256;                ///< decoded networks kept for reuse (0 = none)
    /// Configs replacing the shipped ones: target name -> (config, file it came from).
    std::map<std::string, std::pair<hw::device_config, std::string>> configs;
};

/// Decoded networks by content (JSON text, model spec) and by id, least recently used dropped
/// first. Lets a client send the same network many times (or its id) and pay the decoding once.
class network_cache {
public:
    /// Which request field a text key came from.
    enum class source { json, spec };

    /// A cache of at most `capacity` networks (0 keeps none).
    explicit network_cache(std::size_t capacity) : capacity_(capacity) {}

    /// The network decoded from `text`, or null.
    std::pair<std::shared_ptr<const graph::network>, std::uint64_t> find(source s, std::string_view text) {
        std::lock_guard lock(mutex_);
        auto& m = by_text_[static_cast<int>(s)];
        const auto it = m.find(text);
        if (it == m.end()) return {nullptr, 0};
        lru_.splice(lru_.begin(), lru_, it->second);
        return {it->second->net, it->second->id};
    }
    /// The network with id `id`, or null.
    std::shared_ptr<const graph::network> find(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        const auto it = by_id_.find(id);
        if (it == by_id_.end()) return nullptr;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->net;
    }
    /// Keeps `net` (under `text` when given); returns its id (0 when the cache keeps nothing).
    std::uint64_t insert(std::shared_ptr<const graph::network> net, std::optional<std::pair<source, std::string_view>> key) {
        if (capacity_ == 0) return 0;
        std::lock_guard lock(mutex_);
        if (key) {  // another worker may have decoded the same text meanwhile
            auto& m = by_text_[static_cast<int>(key->first)];
            if (const auto it = m.find(key->second); it != m.end()) return it->second->id;
        }
        lru_.push_front(entry{next_id_++, std::move(net), key ? std::optional(key->first) : std::nullopt,
                              key ? std::string(key->second) : std::string{}});
        const auto e = lru_.begin();
        by_id_.emplace(e->id, e);
        if (e->key_source) by_text_[static_cast<int>(*e->key_source)].emplace(e->text, e);
        while (lru_.size() > capacity_) {
            auto& old = lru_.back();
            by_id_.erase(old.id);
            if (old.key_source) by_text_[static_cast<int>(*old.key_source)].erase(old.text);
            lru_.pop_back();
        }
        return e->id;
    }

private:
    struct entry {
        std::uint64_t id;
        std::shared_ptr<const graph::network> net;
        std::optional<source> key_source;
        std::string text;
    };
    using iter = std::list<entry>::iterator;
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::mutex mutex_;
    std::size_t capacity_;
    std::uint64_t next_id_ = 1;
    std::list<entry> lru_;
    std::unordered_map<std::uint64_t, iter> by_id_;
    std::unordered_map<std::string, iter, text_hash, std::equal_to<>> by_text_[2];
};

/// The fields of an encoded `EstimateRequest` the search loop's fast path reads (`latency_service::
/// fast_total`), taken from protobuf's wire format without its parser.
struct wire_request {
    std::uint64_t id = 0;
    std::string_view network, target, estimator;  ///< views into the encoded message
    std::int64_t deadline_unix_micros = 0;
    std::uint64_t detail_level = 0;  ///< the Detail enum's value
    bool fast_form = false;  ///< the network is a `Network` message given once, and nothing else is unusual

    /// Reads `bytes`; false (protobuf's parser then reads the message) for an encoding it leaves to it.
    bool read(std::string_view bytes) {
        detail::wire_reader r(bytes);
        int source = 0, networks = 0;
        while (!r.done()) {
            std::uint64_t key = 0, v = 0;
            if (!r.varint(key)) return false;
            const auto field = key >> 3;
            const auto type = static_cast<unsigned>(key & 7);
            std::string_view b;
            const bool ok = [&] {
                switch (field) {
                case 1: return type == 0 && r.varint(id);
                case 2:
                case 4: source = static_cast<int>(field); return type == 2 && r.bytes(b);
                case 3: source = 3, ++networks; return type == 2 && r.bytes(network);
                case 5: source = 5; return type == 0 && r.varint(v);
                case 6: return type == 2 && r.bytes(target) && detail::ascii(target);
                case 7: return type == 2 && r.bytes(estimator) && detail::ascii(estimator);
                case 8: return type == 0 && r.varint(detail_level);
                case 9: return type == 0 && r.varint(v) && (deadline_unix_micros = static_cast<std::int64_t>(v), true);
                default: return r.skip(type);
                }
            }();
            if (!ok) return false;
        }
        fast_form = source == 3 && networks == 1;  // a repeated message field merges: protobuf's parser does that
        return true;
    }
};

/// Where the shipped configs come from (docs/hw.md, "Targets").
inline std::string shipped_provenance(std::string_view target) {
    if (target == "coral-usb")
        return "shipped: chip mechanisms fitted on LatBench, tile bandwidth at the 64 B/cycle port; host link and "
               "inference overhead fitted with accelnas-calibrate on the coral-usb rows of edgetpu_measured_calibration.csv";
    if (target == "coral-devboard")
        return "shipped: coral-usb's chip and inference overhead (the same runtime); host link fitted with "
               "accelnas-calibrate on the coral-devboard rows of edgetpu_measured_calibration.csv";
    if (target == "pixel4-edgetpu")
        return "shipped: the Coral chip with phone memory (fixed); clock fitted with accelnas-calibrate on the 3 "
               "pixel4-edgetpu rows, no ordering";
    if (target == "coral-latbench") return "shipped: fitted with accelnas-calibrate on the LatBench rows (NAS-Bench-201 on the Edge TPU)";
    if (target == "pixel4-cpu") return "shipped: conv and pointwise rates fitted with accelnas-calibrate on the pixel4-cpu rows";
    return "shipped";
}

/// The latency service: answers ListTargets and Estimate requests.
class latency_service {
public:
    /// Builds every shipped target with both estimators (configs from `opt.configs` where given).
    explicit latency_service(service_options opt) : opt_(std::move(opt)), cache_(opt_.cache_networks) {
        for (const auto& [name, c] : opt_.configs) {
            bool known = false;
            for (const auto& n : hw::targets::names()) known = known || n == name;
            require(known, "--config ", name, "=", c.second, ": unknown target '", name, "' (a config replaces a shipped target)");
        }
        for (const auto& name : hw::targets::names()) {
            target t;
            t.name = name;
            std::optional<hw::device_config> cfg;
            if (auto it = opt_.configs.find(name); it != opt_.configs.end()) {
                cfg = it->second.first;
                t.provenance = "--config " + it->second.second;
            } else {
                t.provenance = shipped_provenance(name);
            }
            if (name == "pixel4-cpu") t.config = cfg ? *cfg : hw::device_config{hw::targets::pixel4_cpu()};
            else t.config = cfg ? *cfg : hw::device_config{hw::targets::edgetpu(name)};
            t.sim = std::make_unique<hw::any_accelerator>(hw::make_target(name, "sim", t.config));
            t.apm = std::make_unique<hw::any_accelerator>(hw::make_target(name, "apm", t.config));
            // The fast path must price exactly as make_target's APM: the same config and shipped ceilings.
            if (const auto* e = std::get_if<hw::edgetpu_config>(&t.config))
                t.apm_model.emplace(*e, hw::targets::apm_ceilings_of(name));
            targets_.push_back(std::move(t));
        }
    }

    /// The options it was built with.
    const service_options& options() const noexcept { return opt_; }

    /// Fills the ListTargets answer.
    void list_targets(pb::ListTargetsResponse& out) const {
        for (const auto& t : targets_) {
            auto& i = *out.add_targets();
            i.set_name(t.name);
            i.add_estimators("sim");
            i.add_estimators("apm");
            i.set_kind(std::holds_alternative<hw::cpu_config>(t.config) ? "cpu" : "edgetpu");
            i.set_config_json(hw::config_to_json(t.config).dump());
            i.set_provenance(t.provenance);
        }
        out.add_target_patterns("systolic-<rows>x<cols>-<os|ws|is>");
        out.set_max_ops(static_cast<std::uint32_t>(opt_.max_ops));
        out.set_max_request_bytes(opt_.max_request_bytes);
        out.set_server_version("accelnas 0.1");
    }

    /// The search loop's fast path (see `fast_total`) of a request read from its encoding (`wire_request`):
    /// true when it answered into `out`; false when the general path must (the message then parsed by
    /// protobuf). Raises `status_error` for a network over the op limit, as the general path would.
    bool fast_total(const wire_request& q, pb::EstimateResponse& out) const {
        if (!q.fast_form || q.detail_level != static_cast<std::uint64_t>(pb::TOTAL_ONLY) || q.estimator != "apm") return false;
        const target* t = nullptr;
        for (const auto& c : targets_)
            if (c.name == q.target) t = &c;
        if (t == nullptr || !t->apm_model) return false;
        thread_local hw::compact_network table;
        thread_local proto_scratch scratch;
        std::string_view name;
        if (!compact_from_wire(q.network, opt_.max_tensor_elements, table, scratch, name)) return false;
        if (table.size() > opt_.max_ops) return false;  // the general path names the limit
        const auto total = t->apm_model->fast_seconds(table);
        if (!total) return false;
        out.set_id(q.id);
        out.set_network_id(0);
        out.set_network(name.data(), name.size());
        out.set_target(t->apm_model->name());
        out.set_estimator("apm");
        out.set_total_seconds(*total);
        return true;
    }

    /// Answers one estimate request into `out`; failures raise `status_error`.
    void estimate(const pb::EstimateRequest& req, pb::EstimateResponse& out) {
        try {
            out.set_id(req.id());
            const auto est = req.estimator().empty() ? std::string_view("sim") : std::string_view(req.estimator());
            if (fast_total(req, est, out)) return;
            const hw::any_accelerator model = model_for(req.target(), est);
            std::uint64_t id = 0;
            const auto net = network_of(req, id);
            out.set_network_id(id);
            if (req.detail() == pb::TOTAL_ONLY) {
                hw::latency_report r;
                r.network = net->name();
                r.target = model.name();
                r.estimator = std::string(est);  // as asked (a CPU target's report would say "cpu")
                r.total_seconds = model.seconds(*net);
                fill(r, pb::TOTAL_ONLY, out);
            } else {
                fill(model.estimate(*net), req.detail(), out);
            }
        } catch (const status_error&) {
            throw;
        } catch (const error& e) {
            throw status_error(grpc::StatusCode::INVALID_ARGUMENT, e.what());
        } catch (const std::bad_alloc&) {
            throw status_error(grpc::StatusCode::RESOURCE_EXHAUSTED, "out of memory while answering the request");
        } catch (const std::exception& e) {
            throw status_error(grpc::StatusCode::INTERNAL, e.what());
        }
    }

private:
    struct target {
        std::string name, provenance;
        hw::device_config config;
        std::unique_ptr<hw::any_accelerator> sim, apm;
        std::optional<hw::apm> apm_model;  // Edge TPU targets: the APM itself, for fast_total
    };

    /// The search loop's request - an APM total of a protobuf network on an Edge TPU target - priced
    /// straight from the message (`compact_from_proto`, no IR built, nothing kept: network_id 0).
    /// False when the request is another kind, or the network is outside what the fast decoder or
    /// the APM's fast path vouch for: the general path then answers it and raises the errors.
    bool fast_total(const pb::EstimateRequest& req, std::string_view est, pb::EstimateResponse& out) const {
        if (req.detail() != pb::TOTAL_ONLY || est != "apm" || req.network_source_case() != pb::EstimateRequest::kNetwork)
            return false;
        const target* t = nullptr;
        for (const auto& c : targets_)
            if (c.name == req.target()) t = &c;
        if (t == nullptr || !t->apm_model) return false;
        const auto& m = req.network();
        check_ops(static_cast<std::size_t>(m.ops_size()));
        // per worker thread, so decoding reuses its storage and takes no lock
        thread_local hw::compact_network table;
        thread_local proto_scratch scratch;
        if (!compact_from_proto(m, opt_.max_tensor_elements, table, scratch)) return false;
        const auto total = t->apm_model->fast_seconds(table);
        if (!total) return false;
        out.set_network_id(0);
        out.set_network(m.name());
        out.set_target(t->apm_model->name());
        out.set_estimator("apm");
        out.set_total_seconds(*total);
        return true;
    }

    hw::any_accelerator model_for(std::string_view name, std::string_view est) const {
        if (est == "sim" || est == "apm")
            for (const auto& t : targets_)
                if (t.name == name) return est == "sim" ? *t.sim : *t.apm;
        return hw::make_target(name, est);  // a systolic array, or the library's error naming what is wrong
    }

    void check_ops(std::size_t n) const {
        if (n > opt_.max_ops)
            throw status_error(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "network has " + std::to_string(n) + " ops, over the server's limit of " +
                                   std::to_string(opt_.max_ops) + " ops per network (--max-ops)");
    }

    std::shared_ptr<const graph::network> network_of(const pb::EstimateRequest& req, std::uint64_t& id) {
        using src = network_cache::source;
        switch (req.network_source_case()) {
        case pb::EstimateRequest::kNetworkJson: {
            const auto& text = req.network_json();
            if (auto [net, i] = cache_.find(src::json, text); net) {
                id = i;
                return net;
            }
            nlohmann::json doc;
            try {
                doc = nlohmann::json::parse(text);
            } catch (const nlohmann::json::parse_error& e) {
                fail("JSON: not valid JSON (", e.what(), ")");
            }
            if (doc.is_object())
                if (const auto it = doc.find("ops"); it != doc.end() && it->is_array()) check_ops(it->size());
            auto net = std::make_shared<const graph::network>(checked(graph::network_from_json(doc)));
            id = cache_.insert(net, std::pair{src::json, std::string_view(text)});
            return net;
        }
        case pb::EstimateRequest::kNetwork: {
            check_ops(static_cast<std::size_t>(req.network().ops_size()));
            auto net = std::make_shared<const graph::network>(checked(from_proto(req.network())));
            id = cache_.insert(net, std::nullopt);
            return net;
        }
        case pb::EstimateRequest::kSpec: {
            const auto& text = req.spec();
            if (auto [net, i] = cache_.find(src::spec, text); net) {
                id = i;
                return net;
            }
            const auto p = app::parse_spec(text);
            // A remote client must not make the server read its files.
            require(p.kind != app::spec_kind::file, "model spec '", text,
                    "': the server does not read files; send the network itself (network_json or network)");
            auto built = app::resolve_spec(p);
            check_ops(built.size());
            auto net = std::make_shared<const graph::network>(checked(std::move(built)));
            id = cache_.insert(net, std::pair{src::spec, std::string_view(text)});
            return net;
        }
        case pb::EstimateRequest::kNetworkId: {
            auto net = cache_.find(req.network_id());
            if (!net)
                throw status_error(grpc::StatusCode::NOT_FOUND, "network_id " + std::to_string(req.network_id()) +
                                                                    " is not held by the server (never given, or dropped "
                                                                    "from its cache): send the network again");
            id = req.network_id();
            return net;
        }
        default: fail("request has no network (set one of network_json, network, spec, network_id)");
        }
    }

    graph::network checked(graph::network net) const {
        net.validate();
        for (const auto& o : net.ops())
            if (o.out.elements() > opt_.max_tensor_elements)
                throw status_error(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "op '" + o.name + "' of network '" + net.name() + "' outputs " + std::to_string(o.out.elements()) +
                                       " elements, over the server's limit of " + std::to_string(opt_.max_tensor_elements) +
                                       " elements per tensor (--max-tensor-elements)");
        return net;
    }

    service_options opt_;
    std::vector<target> targets_;
    network_cache cache_;
};

}  // namespace accelnas::service
