#pragma once
/// \file
/// `accelnas-search` over MPI: `mpirun -np N accelnas-search ...` runs one search whose rank 0 owns
/// the controller, the journal, the Pareto archive and every output file, while ranks 1..N-1 train
/// and price the candidates rank 0 hands them (`--threads` candidates at once on each). Fills the
/// hooks of `app::search_run::distribution` from an `mpi_session`; alone (no mpirun, -np 1) it is
/// `app::search_run::run` unchanged.

#include <accelnas/app/search_run.hpp>
#include <accelnas/app/tool.hpp>
#include <accelnas/dist/mpi.hpp>

#include <sys/resource.h>

#include <chrono>
#include <iomanip>
#include <memory>
#include <ostream>

namespace accelnas::dist {

/// CPU seconds this process used so far (user + system, all threads).
inline double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// Runs the search `s` describes on every process of `mpi` (call it on every rank with the same
/// options). Rank 0 prints what `app::search_run::run` prints, then one line of figures (bytes per
/// candidate; its CPU time from the start of the search loop to the outputs written, in all and per
/// candidate);
/// workers print nothing and return true unless they failed on their own after the start-up check.
/// Start-up failures of any rank (bad option, unreadable data set, another binary or other options
/// than rank 0) are reported once, by rank 0, naming the rank and host; the workers then return
/// false quietly.
inline bool run_search(const mpi_session& mpi, app::search_run::settings s, std::ostream& out, std::ostream& log,
                       bool log_is_terminal) {
    if (mpi.size() == 1) return app::search_run::run(std::move(s), out, log, log_is_terminal);
    // rank 0's figures count from the hand-out of the first candidate (set-up excluded) to the end
    auto t0 = std::chrono::steady_clock::now();
    double cpu0 = 0;
    bool agreed = false;
    std::unique_ptr<remote_evaluator> remote;
    auto& d = s.dist;
    d.slots = mpi.workers() * s.threads;
    d.root = mpi.root();
    d.agree = [&](const std::string& options, const std::string& context) {
        require(mpi.workers() <= s.budget, "mpirun -np ", mpi.size(), " starts ", mpi.workers(), " workers for a --budget of ",
                s.budget, " candidates: use at most -np ", s.budget + 1);
        agreed = true;
        std::vector<app::search_run::process_context> ranks;
        for (auto& r : agree(mpi, options, {}, context)) ranks.push_back({std::move(r.host), std::move(r.context)});
        return ranks;
    };
    d.remote = [&]() -> app::search_run::evaluator_fn {
        remote = std::make_unique<remote_evaluator>(mpi, s.threads);
        t0 = std::chrono::steady_clock::now();
        cpu0 = process_cpu_seconds();
        log << "accelnas-search: mpi: rank 0 on " << mpi.host() << " hands candidates to " << mpi.workers() << " worker(s) x "
            << s.threads << " thread(s)\n";
        return [r = remote.get()](const space::architecture& a, std::size_t step) { return (*r)(a, step); };
    };
    d.serve = [&](app::search_run::evaluator_fn evaluate) { serve(mpi, evaluate); };
    try {
        const bool ok = app::search_run::run(s, out, log, log_is_terminal);
        if (remote) {
            remote->stop();
            const auto t = remote->sent();
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const double cpu = process_cpu_seconds() - cpu0;
            const double n = static_cast<double>(std::max<std::size_t>(1, t.candidates));
            log << std::fixed << std::setprecision(3) << "accelnas-search: mpi: " << t.candidates << " candidates sent to "
                << mpi.workers() << " worker(s); bytes per candidate " << (t.task_bytes + t.result_bytes) / n << " (task "
                << t.task_bytes / n << ", result " << t.result_bytes / n << "); rank 0 cpu " << cpu << " s of " << wall
                << " s wall (" << 100.0 * cpu / wall << "%), " << 1e3 * cpu / n << " ms per candidate\n"
                << std::defaultfloat;
        }
        return ok;
    } catch (const peer_failure&) {
        return false;  // rank 0 reports it
    } catch (const std::exception& x) {
        if (agreed && !mpi.root()) {
            // a worker that fails on its own after the start-up check: rank 0 would wait for it forever
            log << "accelnas-search: error: rank " << mpi.rank() << " on host " << mpi.host() << ": " << x.what() << "\n";
            mpi.abort(app::exit_failure);
        }
        if (agreed) throw;  // rank 0's own error after the start-up check (its workers are released on return)
        try {
            agree(mpi, "", x.what());  // before it: every rank must still take part in the check
        } catch (const peer_failure&) {
            return false;
        }
        throw;
    }
}

}  // namespace accelnas::dist
