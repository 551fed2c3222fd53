// accelnas-serve: the latency estimation server (gRPC; include/accelnas/service/latency.proto).
//
//   accelnas-serve                                    # 127.0.0.1:50051, 2 worker threads
//   accelnas-serve --listen 0.0.0.0:50051 --token-file /etc/accelnas/token --threads 2
//   accelnas-serve --config coral-usb=fitted.json     # a calibrated config replaces the shipped one
//
// Serves ListTargets, Estimate and EstimateStream of every shipped target with the simulator (sim) and
// the analytical model (apm), plus grpc.health.v1 and server reflection. SIGTERM or SIGINT: stop
// accepting calls, let those in flight finish (--drain-seconds), exit 0. See docs/service.md.
#include <accelnas/hw/config_json.hpp>
#include <accelnas/service/server.hpp>
#include <accelnas/service/token.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace accelnas;

int main(int argc, char** argv) {
    // Signals are taken by sigwait below, never by a handler: block them before any thread starts.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    service::server_options opt;
    std::string token_file, port_file;
    std::vector<std::string> configs;
    double drain_seconds = 10;
    CLI::App app{"accelnas-serve: the latency estimation server (gRPC) of accelnas' accelerator models"};
    app.add_option("--listen", opt.listen, "ADDR:PORT to listen on (port 0: any free port; see --port-file)")->capture_default_str();
    app.add_option("--threads", opt.threads, "worker threads serving calls")->capture_default_str();
    app.add_option("--token-file", token_file, "file whose first line is the token every call must carry (required beyond loopback)");
    app.add_option("--config", configs, "TARGET=FILE: a device config JSON (e.g. from accelnas-calibrate) replacing a shipped target's");
    app.add_option("--max-ops", opt.service.max_ops, "ops per network")->capture_default_str();
    app.add_option("--max-tensor-elements", opt.service.max_tensor_elements, "elements of any one tensor (bounds the simulator's work)")
        ->capture_default_str();
    app.add_option("--max-request-bytes", opt.service.max_request_bytes, "size limit of one request message")->capture_default_str();
    app.add_option("--cache", opt.service.cache_networks, "decoded networks kept for reuse by content and id (0: none)")->capture_default_str();
    app.add_option("--stream-backlog", opt.stream_backlog, "unanswered requests per stream before the server stops reading it")
        ->capture_default_str();
    app.add_option("--drain-seconds", drain_seconds, "on SIGTERM, time the calls in flight get to finish")->capture_default_str();
    app.add_option("--port-file", port_file, "write the port listened on into this file once serving (for scripts)");
    CLI11_PARSE(app, argc, argv);
    try {
        if (!token_file.empty()) opt.token = service::read_token_file(token_file);
        for (const auto& c : configs) {
            const auto eq = c.find('=');
            require(eq != std::string::npos && eq > 0 && eq + 1 < c.size(), "--config '", c, "': expected TARGET=FILE");
            const auto name = c.substr(0, eq), path = c.substr(eq + 1);
            const auto names = hw::targets::names();
            require(std::find(names.begin(), names.end(), name) != names.end(), "--config ", c, ": unknown target '", name,
                    "' (a config replaces a shipped target)");
            // a partial file overrides that target's shipped config, not the library defaults
            opt.service.configs[name] = {hw::read_config(path, hw::targets::target_config(name)), path};
        }
        require(drain_seconds >= 0, "--drain-seconds must not be negative");
        service::server srv(opt);
        std::cerr << "accelnas-serve: listening on " << opt.listen << " (port " << srv.port() << "), " << opt.threads
                  << " worker thread(s), " << (opt.token.empty() ? "no token" : "token required") << ", max "
                  << opt.service.max_ops << " ops and " << opt.service.max_request_bytes << " bytes per request\n";
        if (!port_file.empty()) {
            const auto tmp = port_file + ".tmp";
            {
                std::ofstream f(tmp);
                f << srv.port() << "\n";
                require(f.good(), "--port-file ", port_file, ": cannot write it");
            }
            std::rename(tmp.c_str(), port_file.c_str());  // readers never see a half-written file
        }
        int sig = 0;
        sigwait(&stop, &sig);
        std::cerr << "accelnas-serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ": draining the calls in flight\n";
        srv.shutdown(std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                             std::chrono::duration<double>(drain_seconds)));
        std::cerr << "accelnas-serve: stopped\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "accelnas-serve: error: " << e.what() << "\n";
        return 2;
    }
}
