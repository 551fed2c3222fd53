#pragma once
/// \file
/// Distributed candidate evaluation on MPI (target `accelnas::mpi`, built when MPI is found; the
/// header-only core never includes this header). Rank 0 runs the search loop; ranks 1..N-1 are
/// workers that receive (architecture, step), evaluate it with the user's own evaluator and send the
/// result back. On rank 0, `distributed` is an ordinary `search::evaluator`: `search::run_search`
/// calls it from its thread pool (one pool thread per worker slot), each call hands the candidate to
/// the least busy worker and waits for its answer, so the loop, the journal and the step order of
/// observations stay exactly those of a single-process search.
///
///     dist::mpi_session mpi(argc, argv);           // MPI_Init only when started by mpirun/srun
///     auto evaluate = [&](const space::architecture& a, std::size_t step) { ... };
///     dist::distributed d(mpi, evaluate);          // one candidate at a time per worker
///     dist::agree(mpi, my_options_text);           // same binary and options everywhere?
///     if (!mpi.root()) { d.serve(); return 0; }    // workers: evaluate until rank 0 is done
///     thread_pool pool(d.slots());
///     search::run_search(ctrl, g, {.budget = 100, .batch = d.slots()}, d, reward, &pool, &journal);
///
/// Waiting is done by probing and sleeping (0.2 to 4 ms), never by MPI's blocking calls,
/// which spin a core at 100% in Open MPI and would steal it from the training on a shared machine.

#include <accelnas/core/error.hpp>
#include <accelnas/search/driver.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/space/architecture.hpp>

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <list>
#include <mutex>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace accelnas::dist {

/// True when this process was started by an MPI launcher (Open MPI's mpirun, Slurm's srun, MPICH's
/// hydra): only then is MPI initialised, so a plain run needs no MPI runtime at all.
inline bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
        if (std::getenv(v)) return true;
    return false;
}

/// This process's place in an MPI job: `MPI_Init_thread` (serialized calls from several threads)
/// on construction when started by a launcher, `MPI_Finalize` on destruction. Without a launcher
/// it is rank 0 of 1 and MPI is never touched.
class mpi_session {
public:
    /// Joins the job `argc`/`argv` were started in (if any).
    mpi_session(int& argc, char**& argv) {
        if (!launched_by_mpi()) return;
        int provided = 0;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
            fail("MPI_Init_thread failed (is this process started by a working mpirun?)");
        active_ = true;
        if (provided < MPI_THREAD_SERIALIZED) {
            MPI_Finalize();
            fail("the MPI library offers no MPI_THREAD_SERIALIZED (rank 0 calls MPI from several threads)");
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
        char name[MPI_MAX_PROCESSOR_NAME];
        int len = 0;
        MPI_Get_processor_name(name, &len);
        host_.assign(name, static_cast<std::size_t>(len));
        void* ub = nullptr;
        int flag = 0;
        MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag);
        if (flag && ub) tag_ub_ = *static_cast<int*>(ub);
    }
    mpi_session(const mpi_session&) = delete;
    mpi_session& operator=(const mpi_session&) = delete;
    ~mpi_session() {
        if (active_) MPI_Finalize();
    }

    /// This process's rank (0 without MPI).
    int rank() const noexcept { return rank_; }
    /// Processes in the job (1 without MPI).
    int size() const noexcept { return size_; }
    /// Worker processes (all ranks but 0).
    std::size_t workers() const noexcept { return static_cast<std::size_t>(size_ - 1); }
    /// True on rank 0, which owns the search loop.
    bool root() const noexcept { return rank_ == 0; }
    /// This process's host name (MPI_Get_processor_name; "localhost" without MPI).
    const std::string& host() const noexcept { return host_; }
    /// The largest message tag MPI allows here (at least 32767 by the standard).
    int tag_ub() const noexcept { return tag_ub_; }
    /// Ends the whole job at once (`MPI_Abort`): for a process that cannot go on while others wait on it.
    [[noreturn]] void abort(int code) const {
        if (active_) MPI_Abort(MPI_COMM_WORLD, code);
        std::exit(code);
    }

private:
    bool active_ = false;
    int rank_ = 0, size_ = 1, tag_ub_ = 32767;
    std::string host_ = "localhost";
};

/// Thrown on a worker when the start-up check (`agree`) failed somewhere: rank 0 reports the
/// failure with its rank and host, so a worker that receives this has nothing more to say.
class peer_failure : public error {
public:
    using error::error;
};

namespace detail {
inline constexpr int tag_task = 1, tag_stop = 2, tag_hello = 3, tag_verdict = 4, tag_result0 = 16;

/// Appends plain values and strings to a byte buffer (both ends run the same binary: `agree`).
struct packer {
    std::vector<char> bytes;
    template <class T>
    void put(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>, "packer::put takes plain values");
        const auto* p = reinterpret_cast<const char*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof(T));
    }
    void put_string(const std::string& s) {
        put(static_cast<std::uint32_t>(s.size()));
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
};
/// Reads what `packer` wrote; a short message is an error naming `what`.
struct unpacker {
    const std::vector<char>& bytes;
    const char* what;
    std::size_t at = 0;
    template <class T>
    T get() {
        require(at + sizeof(T) <= bytes.size(), "dist: truncated ", what, " message (", bytes.size(), " bytes)");
        T v;
        std::memcpy(&v, bytes.data() + at, sizeof(T));
        at += sizeof(T);
        return v;
    }
    std::string get_string() {
        const auto n = get<std::uint32_t>();
        require(at + n <= bytes.size(), "dist: truncated ", what, " message (", bytes.size(), " bytes)");
        std::string s(bytes.data() + at, n);
        at += n;
        return s;
    }
};

/// Sleep between probes: from 0.2 ms doubling to 4 ms while nothing arrives, so a waiting thread
/// costs about 250 probes a second (a candidate takes seconds: the latency added is negligible, and
/// rank 0 can wait on thousands of slots without filling a core with probes).
struct backoff {
    std::chrono::microseconds wait{200};
    void sleep() {
        std::this_thread::sleep_for(wait);
        wait = std::min(wait * 2, std::chrono::microseconds(4000));
    }
    void reset() { wait = std::chrono::microseconds(200); }
};

/// Waits (probe, then sleep) for a message from `source` with `tag`; MPI calls under `m` when given.
inline MPI_Status wait_for(int source, int tag, std::mutex* m = nullptr) {
    backoff pause;
    for (;;) {
        int flag = 0;
        MPI_Status st{};
        if (m) {
            std::lock_guard lock(*m);
            MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &st);
        } else {
            MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &st);
        }
        if (flag) return st;
        pause.sleep();
    }
}
/// Receives the message `st` announced (bytes).
inline std::vector<char> receive(const MPI_Status& st) {
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    std::vector<char> b(static_cast<std::size_t>(n));
    MPI_Recv(b.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return b;
}
inline void send(const std::vector<char>& b, int dest, int tag) {
    MPI_Send(b.data(), static_cast<int>(b.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

/// FNV-1a, 64 bits, as 16 hex digits: fingerprints compared between ranks.
inline std::string fnv1a(const char* p, std::size_t n, std::uint64_t h = 14695981039346656037ull) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
    std::ostringstream os;
    os << std::hex << std::setw(16) << std::setfill('0') << h;
    return os.str();
}

/// Where two option texts differ: the JSON paths of differing values when both are JSON, else their hashes.
inline std::string differences(const std::string& mine, const std::string& root) {
    const auto a = nlohmann::json::parse(mine, nullptr, false), b = nlohmann::json::parse(root, nullptr, false);
    if (a.is_discarded() || b.is_discarded())
        return "fingerprint " + fnv1a(mine.data(), mine.size()) + ", rank 0 " + fnv1a(root.data(), root.size());
    std::string out;
    for (const auto& d : nlohmann::json::diff(b, a)) {
        if (!out.empty()) out += ", ";
        const auto path = d.value("path", std::string());
        out += path + (d.contains("value") ? " = " + d["value"].dump() : std::string(" missing"));
        if (b.contains(nlohmann::json::json_pointer(path))) out += " (rank 0: " + b[nlohmann::json::json_pointer(path)].dump() + ")";
    }
    return out;
}

/// How a worker's evaluation ended.
enum class outcome : std::uint8_t { returned = 0, threw = 1, out_of_memory = 2 };

/// Runs `evaluate(a, step)` and packs its result (or the exception it threw) for rank 0.
template <class Evaluate>
std::vector<char> evaluate_packed(Evaluate& evaluate, const space::architecture& a, std::size_t step) {
    packer p;
    try {
        const search::evaluation e = evaluate(a, step);
        p.put(outcome::returned);
        p.put(static_cast<std::uint8_t>(e.ok));
        p.put_string(e.failure);
        p.put(e.accuracy);
        p.put(e.param_bytes);
        p.put(static_cast<std::uint32_t>(e.latency.size()));
        for (double l : e.latency) p.put(l);
    } catch (const std::bad_alloc&) {
        p = packer{};
        p.put(outcome::out_of_memory);
    } catch (const std::exception& x) {
        p = packer{};
        p.put(outcome::threw);
        p.put_string(x.what());
    } catch (...) {
        p = packer{};
        p.put(outcome::threw);
        p.put_string("unknown exception");
    }
    return p.bytes;
}
}  // namespace detail

/// An exception a worker's evaluator threw, rethrown on rank 0 with the same message, so the
/// journal's failure text is the one a single-process search writes.
class remote_failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What one rank told the start-up check besides its options (`agree`'s result on rank 0).
struct rank_context {
    std::string host;     ///< the rank's host name
    std::string context;  ///< the text the rank passed as its context
};

/// Start-up check of every process (collective: every rank must call it once, before any
/// candidate is sent). Each rank passes the text of the options its evaluation depends on (JSON
/// text: a difference is then named by its path), its own start-up error (empty when ready, e.g.
/// the data set loaded) and a context: facts of its machine that may differ between ranks without
/// being an error (e.g. the cache sizes its products block by), gathered and not compared. Rank 0
/// compares a hash of each rank's executable with its own first (read before the rest of the rank's
/// message, so another build whose message differs is reported as such), then the options; on any error or
/// difference every rank throws: rank 0 an `accelnas::error` naming the first rank at fault and its
/// host, the workers a `peer_failure` (rank 0 reports it, so a failing worker's message is printed
/// once, by rank 0). Returns on rank 0 every rank's host and context, indexed by rank (rank 0's
/// own first); on a worker, nothing.
inline std::vector<rank_context> agree(const mpi_session& mpi, const std::string& options, const std::string& local_error = {},
                                       const std::string& context = {}) {
    if (mpi.size() == 1) {
        if (!local_error.empty()) throw error(local_error);
        return {{mpi.host(), context}};
    }
    static const std::string binary = [] {
        std::ifstream f("/proc/self/exe", std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        return detail::fnv1a(bytes.data(), bytes.size());
    }();
    if (!mpi.root()) {
        detail::packer p;
        p.put_string(mpi.host());
        p.put_string(binary);
        p.put_string(options);
        p.put_string(local_error);
        p.put_string(context);
        detail::send(p.bytes, 0, detail::tag_hello);
        const auto verdict = detail::receive(detail::wait_for(0, detail::tag_verdict));
        if (verdict.empty()) return {};
        throw peer_failure(std::string(verdict.begin(), verdict.end()));
    }
    std::string verdict = local_error;
    std::size_t others = 0;
    std::vector<rank_context> contexts{{mpi.host(), context}};
    for (int r = 1; r < mpi.size(); ++r) {
        const auto b = detail::receive(detail::wait_for(r, detail::tag_hello));
        detail::unpacker u{b, "start-up"};
        // host and hash first: another build may lay out the rest of its message otherwise
        const auto host = u.get_string(), bin = u.get_string();
        std::string op, err, ctx, problem;
        if (bin == binary) {
            op = u.get_string();
            err = u.get_string();
            ctx = u.get_string();
        }
        contexts.push_back({host, ctx});
        if (bin != binary)
            problem = "runs another executable than rank 0 (hash " + bin + ", rank 0 " + binary +
                      "): give every rank the same build";
        else if (!err.empty()) problem = err;
        else if (op != options)
            problem = "was given other options than rank 0 (" + detail::differences(op, options) + "): give every rank the same options";
        if (problem.empty() || problem == local_error) continue;  // the same failure as rank 0's is said once
        if (verdict.empty()) verdict = "rank " + std::to_string(r) + " on host " + host + ": " + problem;
        else ++others;
    }
    if (others) verdict += " (and " + std::to_string(others) + " more rank(s) failed)";
    const std::vector<char> v(verdict.begin(), verdict.end());
    for (int r = 1; r < mpi.size(); ++r) detail::send(v, r, detail::tag_verdict);
    if (!verdict.empty()) throw error(verdict);
    return contexts;
}

/// What rank 0 sent and received: bytes per candidate for the scaling model.
struct traffic {
    std::size_t candidates = 0;    ///< candidates handed to workers
    std::size_t task_bytes = 0;    ///< bytes of the task messages (architecture and step)
    std::size_t result_bytes = 0;  ///< bytes of the result messages
};

/// Rank 0's evaluator: hands each call to the least busy worker (ties: the lowest rank) and waits
/// for its result. Thread-safe: call it from as many threads as `slots()` to keep every worker busy.
/// A worker's evaluator that throws is rethrown here with the same message (`std::bad_alloc` as
/// `std::bad_alloc`), so `search::run_search` marks the candidate failed exactly as it does for a
/// local evaluator. `stop()` (or the destructor) releases the workers.
class remote_evaluator {
public:
    /// `slots_per_worker` candidates at once on each worker (its `--threads`).
    remote_evaluator(const mpi_session& mpi, std::size_t slots_per_worker = 1)
        : mpi_(mpi), free_(static_cast<std::size_t>(mpi.size()), slots_per_worker), per_worker_(slots_per_worker) {
        require(mpi.root(), "remote_evaluator: only rank 0 hands out candidates");
        require(mpi.size() >= 2, "remote_evaluator: needs at least one worker process (mpirun -np 2 or more)");
        require(slots_per_worker >= 1, "remote_evaluator: slots per worker must be at least 1");
        free_[0] = 0;  // rank 0 is not a worker
    }
    remote_evaluator(const remote_evaluator&) = delete;
    remote_evaluator& operator=(const remote_evaluator&) = delete;
    ~remote_evaluator() { stop(); }

    /// Candidates evaluated at once over all workers.
    std::size_t slots() const noexcept { return mpi_.workers() * per_worker_; }

    /// Evaluates `a` (proposal `step`) on a worker.
    search::evaluation operator()(const space::architecture& a, std::size_t step) {
        int w = 0;
        {
            std::unique_lock lock(state_);
            require(!stopped_, "remote_evaluator: called after stop()");
            cv_.wait(lock, [&] {
                for (std::size_t r = 1; r < free_.size(); ++r)
                    if (free_[r] > 0) return true;
                return false;
            });
            for (std::size_t r = 1; r < free_.size(); ++r)
                if (free_[r] > free_[static_cast<std::size_t>(w)]) w = static_cast<int>(r);
            --free_[static_cast<std::size_t>(w)];
        }
        struct release {
            remote_evaluator* self;
            int w;
            ~release() {
                {
                    std::lock_guard lock(self->state_);
                    ++self->free_[static_cast<std::size_t>(w)];
                }
                self->cv_.notify_one();
            }
        } give_back{this, w};
        detail::packer p;
        p.put(static_cast<std::uint64_t>(step));
        p.put(static_cast<std::uint32_t>(a.choices.size()));
        for (int c : a.choices) p.put(static_cast<std::int32_t>(c));
        const int tag = result_tag(step);
        {
            std::lock_guard lock(mpi_mutex_);
            detail::send(p.bytes, w, detail::tag_task);
        }
        const auto st = detail::wait_for(w, tag, &mpi_mutex_);
        std::vector<char> b;
        {
            std::lock_guard lock(mpi_mutex_);
            b = detail::receive(st);
        }
        {
            std::lock_guard lock(state_);
            ++traffic_.candidates;
            traffic_.task_bytes += p.bytes.size();
            traffic_.result_bytes += b.size();
        }
        detail::unpacker u{b, "result"};
        const auto how = u.get<detail::outcome>();
        if (how == detail::outcome::out_of_memory) throw std::bad_alloc();
        if (how == detail::outcome::threw) throw remote_failure(u.get_string());
        search::evaluation e;
        e.ok = u.get<std::uint8_t>() != 0;
        e.failure = u.get_string();
        e.accuracy = u.get<double>();
        e.param_bytes = u.get<double>();
        e.latency.resize(u.get<std::uint32_t>());
        for (auto& l : e.latency) l = u.get<double>();
        return e;
    }

    /// Tells every worker to finish (idempotent; no call may be in progress).
    void stop() {
        std::lock_guard lock(state_);
        if (stopped_) return;
        stopped_ = true;
        std::lock_guard m(mpi_mutex_);
        for (int r = 1; r < mpi_.size(); ++r) detail::send({}, r, detail::tag_stop);
    }

    /// Messages so far.
    traffic sent() const {
        std::lock_guard lock(state_);
        return traffic_;
    }

private:
    int result_tag(std::size_t step) const {
        return detail::tag_result0 + static_cast<int>(step % static_cast<std::size_t>(mpi_.tag_ub() - detail::tag_result0));
    }

    const mpi_session& mpi_;
    mutable std::mutex state_;  // free_, stopped_, traffic_
    std::mutex mpi_mutex_;      // one MPI call at a time (MPI_THREAD_SERIALIZED)
    std::condition_variable cv_;
    std::vector<std::size_t> free_;  // free slots per rank
    std::size_t per_worker_;
    bool stopped_ = false;
    traffic traffic_;
};
static_assert(search::evaluator<remote_evaluator>);

/// A worker's loop: receives candidates from rank 0, evaluates each on a thread of its own (rank 0
/// sends at most as many at once as the worker has slots), sends each result back as soon as it is
/// ready, and returns when rank 0 says stop. Exceptions of `evaluate` travel to rank 0.
template <search::evaluator Evaluate>
void serve(const mpi_session& mpi, Evaluate& evaluate) {
    require(!mpi.root(), "serve: rank 0 runs the search, only workers serve");
    struct job {
        std::size_t step = 0;
        std::vector<char> result;
        std::atomic<bool> done{false};
        std::thread thread;
    };
    std::list<job> running;
    const auto tag_of = [&](std::size_t step) {
        return detail::tag_result0 + static_cast<int>(step % static_cast<std::size_t>(mpi.tag_ub() - detail::tag_result0));
    };
    bool stopping = false;
    detail::backoff pause;
    for (;;) {
        bool busy = false;
        for (auto it = running.begin(); it != running.end();) {
            if (!it->done.load(std::memory_order_acquire)) {
                ++it;
                continue;
            }
            it->thread.join();
            if (!stopping) detail::send(it->result, 0, tag_of(it->step));
            it = running.erase(it);
            busy = true;
        }
        if (stopping && running.empty()) return;
        int flag = 0;
        MPI_Status st{};
        if (!stopping) MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            auto b = detail::receive(st);
            if (st.MPI_TAG == detail::tag_stop) {
                stopping = true;  // rank 0 is done: finish what runs, send nothing more
                continue;
            }
            require(st.MPI_TAG == detail::tag_task, "serve: unexpected message tag ", st.MPI_TAG, " from rank 0");
            detail::unpacker u{b, "task"};
            auto& j = running.emplace_back();
            j.step = static_cast<std::size_t>(u.get<std::uint64_t>());
            space::architecture a;
            a.choices.resize(u.get<std::uint32_t>());
            for (auto& c : a.choices) c = u.get<std::int32_t>();
            pause.reset();
            j.thread = std::thread([&j, &evaluate, a = std::move(a)] {
                j.result = detail::evaluate_packed(evaluate, a, j.step);
                j.done.store(true, std::memory_order_release);
            });
            continue;
        }
        if (busy) pause.reset();
        else pause.sleep();
    }
}

/// The user's evaluator, distributed: on rank 0 of a job with workers, each call runs on a worker
/// (`remote_evaluator`); alone (no mpirun, or -np 1) it calls `evaluate` in this process. Workers
/// call `serve()`. A `search::evaluator`, so it goes wherever the user's evaluator went.
template <search::evaluator Evaluate>
class distributed {
public:
    /// Distributes `evaluate` (kept by reference) over the workers of `mpi`, `threads_per_worker`
    /// candidates at once on each.
    distributed(const mpi_session& mpi, Evaluate& evaluate, std::size_t threads_per_worker = 1)
        : mpi_(mpi), evaluate_(evaluate), threads_(threads_per_worker) {
        require(threads_per_worker >= 1, "distributed: threads per worker must be at least 1");
        if (mpi.root() && mpi.size() > 1) remote_.emplace(mpi, threads_per_worker);
    }

    /// Evaluates `a` on a worker (rank 0 with workers) or here.
    search::evaluation operator()(const space::architecture& a, std::size_t step) {
        if (remote_) return (*remote_)(a, step);
        return evaluate_(a, step);
    }
    /// Candidates evaluated at once: workers x threads per worker (alone: threads per worker).
    std::size_t slots() const noexcept { return remote_ ? remote_->slots() : threads_; }
    /// On a worker: evaluates what rank 0 sends until it is done.
    void serve() { dist::serve(mpi_, evaluate_); }
    /// On rank 0: releases the workers (also done on destruction).
    void stop() {
        if (remote_) remote_->stop();
    }
    /// Rank 0's message counts (zero when alone).
    traffic sent() const { return remote_ ? remote_->sent() : traffic{}; }

private:
    const mpi_session& mpi_;
    Evaluate& evaluate_;
    std::size_t threads_;
    std::optional<remote_evaluator> remote_;
};

}  // namespace accelnas::dist
