#pragma once
/// \file
/// The append-only search journal: one JSON line per evaluated candidate after a header line that
/// names the space and the search configuration. Each line is written with one `write` and
/// `fsync`'d, so a killed search loses at most the candidates in flight. Reading recovers a corrupt
/// LAST line (a run killed mid-write) by truncating it; a corrupt earlier line, or a journal of
/// another space or configuration, is an error.

#include <accelnas/core/error.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/layout.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace accelnas::search {

/// The journal's first line: what a resumed search must agree with.
struct journal_header {
    std::string space;                 ///< search space name
    decision_layout layout;            ///< its decision layout
    nlohmann::json config = nlohmann::json::object();  ///< every option that changes the search (seed, controller, targets, ...)
    /// What the search ran on, for the record (e.g. the cache sizes its trainings blocked by): written
    /// when the journal is created, not compared when it is opened (`journal::written_context`).
    nlohmann::json context = nlohmann::json::object();
};

/// The schema tag of a journal header.
inline constexpr const char* journal_schema = "accelnas.search.journal";

/// An evaluation as one JSON object (the journal line and the JSON results use it).
inline nlohmann::json to_json(const evaluation& e) {
    nlohmann::json j{{"step", e.step}, {"arch", e.arch.choices}, {"ok", e.ok}, {"accuracy", e.accuracy}, {"latency", e.latency},
                     {"param_bytes", e.param_bytes}, {"reward", e.reward}, {"seconds", e.seconds}};
    if (!e.ok) j["failure"] = e.failure;
    if (!e.seed_accuracies.empty()) {
        j["seed_accuracies"] = e.seed_accuracies;
        j["accuracy_std"] = std_of(e.seed_accuracies);
    }
    if (e.duplicate_of != evaluation::not_a_duplicate) j["duplicate_of"] = e.duplicate_of;
    return j;
}
/// Parses an evaluation written by `to_json` (throws `accelnas::error` naming the field at fault).
inline evaluation evaluation_from_json(const nlohmann::json& j) {
    require(j.is_object(), "evaluation: expected a JSON object");
    evaluation e;
    try {
        e.step = j.at("step").get<std::size_t>();
        e.arch.choices = j.at("arch").get<std::vector<int>>();
        e.ok = j.at("ok").get<bool>();
        e.accuracy = j.at("accuracy").get<double>();
        e.latency = j.at("latency").get<std::vector<double>>();
        e.param_bytes = j.at("param_bytes").get<double>();
        e.reward = j.at("reward").get<double>();
        e.seconds = j.at("seconds").get<double>();
        if (j.contains("failure")) e.failure = j.at("failure").get<std::string>();
        if (j.contains("seed_accuracies")) e.seed_accuracies = j.at("seed_accuracies").get<std::vector<double>>();
        if (j.contains("duplicate_of")) e.duplicate_of = j.at("duplicate_of").get<std::size_t>();
    } catch (const nlohmann::json::exception& x) {
        fail("evaluation: ", x.what());
    }
    return e;
}

/// An open journal: the records read at opening plus appends. `append` is thread-safe.
class journal {
public:
    /// Creates a new journal at `path` with `h` as its header; fails if the file exists.
    static journal create(const std::string& path, const journal_header& h) {
        validate(h.layout);
        struct stat st{};
        require(::stat(path.c_str(), &st) != 0, "journal ", path, ": already exists (resume it, or choose another directory)");
        journal j(path, h);
        nlohmann::json head{{"schema", journal_schema}, {"version", 1}, {"space", h.space},
                            {"cardinalities", h.layout.cardinalities}, {"config", h.config}};
        if (!h.context.empty()) head["context"] = h.context;
        j.write_line(head.dump());
        j.written_context_ = h.context;
        return j;
    }

    /// Opens an existing journal and checks it belongs to a search described by `expected`:
    /// another space, layout or config value is an error naming the difference. A corrupt last
    /// line is truncated away (`recovered_tail()` then says so); a corrupt earlier line is an error.
    static journal open(const std::string& path, const journal_header& expected) {
        std::ifstream in(path, std::ios::binary);
        require(in.good(), "journal ", path, ": cannot be read");
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        struct line { std::size_t begin, end; };
        std::vector<line> lines;
        for (std::size_t p = 0; p < text.size();) {
            const auto nl = text.find('\n', p);
            const std::size_t e = nl == std::string::npos ? text.size() : nl;
            lines.push_back({p, e});
            p = nl == std::string::npos ? text.size() : nl + 1;
        }
        require(!lines.empty(), "journal ", path, ": is empty (not a search journal)");
        nlohmann::json head;
        try {
            head = nlohmann::json::parse(text.substr(lines[0].begin, lines[0].end - lines[0].begin));
        } catch (const nlohmann::json::exception&) {
            fail("journal ", path, ": line 1 is not a journal header (not a search journal, or corrupt)");
        }
        require(head.is_object() && head.value("schema", "") == journal_schema, "journal ", path,
                ": line 1 is not an accelnas search journal header");
        const auto space = head.value("space", "");
        require(space == expected.space, "journal ", path, ": is of space '", space, "', this search is of space '", expected.space, "'");
        require(head.value("cardinalities", std::vector<std::size_t>{}) == expected.layout.cardinalities, "journal ", path,
                ": its space '", space, "' has another decision layout than this build's (the space definition changed)");
        const auto& cfg = head.contains("config") ? head.at("config") : nlohmann::json::object();
        for (auto it = expected.config.begin(); it != expected.config.end(); ++it) {
            const auto got = cfg.contains(it.key()) ? cfg.at(it.key()).dump() : std::string("(absent)");
            if (got == it.value().dump()) continue;
            if (cfg.contains(it.key()) && cfg.at(it.key()).is_object() && it.value().is_object()) {
                // an object (e.g. the proxy task's options): name the first member that differs
                const auto& was = cfg.at(it.key());
                for (const auto& [k, v] : it.value().items())
                    require(was.contains(k) && was.at(k) == v, "journal ", path, ": was written with ", it.key(), ".", k, " = ",
                            was.contains(k) ? was.at(k).dump() : std::string("(absent)"), ", this search has ", it.key(), ".", k,
                            " = ", v.dump());
                for (const auto& [k, v] : was.items())
                    require(it.value().contains(k), "journal ", path, ": was written with ", it.key(), ".", k, " = ", v.dump(),
                            ", this search has ", it.key(), ".", k, " = (absent)");
            }
            fail("journal ", path, ": was written with ", it.key(), " = ", got, ", this search has ", it.key(), " = ", it.value().dump());
        }
        for (auto it = cfg.begin(); it != cfg.end(); ++it)
            require(expected.config.contains(it.key()), "journal ", path, ": was written with option ", it.key(), " = ",
                    it.value().dump(), " that this search does not set");

        journal j(path, expected);
        if (head.contains("context") && head.at("context").is_object()) j.written_context_ = head.at("context");
        std::map<std::size_t, std::size_t> seen;
        std::size_t keep_end = lines[0].end + 1;
        for (std::size_t i = 1; i < lines.size(); ++i) {
            const bool last = i + 1 == lines.size();
            const auto body = text.substr(lines[i].begin, lines[i].end - lines[i].begin);
            const bool terminated = lines[i].end < text.size();
            try {
                require(terminated || last, "unterminated");
                auto e = evaluation_from_json(nlohmann::json::parse(body));
                check_architecture(expected.layout, e.arch, "journal record");
                if (auto it = seen.find(e.step); it != seen.end()) fail("repeats step ", e.step, " of line ", it->second + 1);
                seen[e.step] = i;
                j.records_.push_back(std::move(e));
                keep_end = lines[i].end + 1;
            } catch (const std::exception& x) {
                if (!last) fail("journal ", path, ": line ", i + 1, " is corrupt (", x.what(), ")");
                j.recovered_ = true;  // a run killed while writing its last line: drop it
            }
        }
        if (keep_end > text.size()) {
            // the last good line lacks its newline: add it so appends start on a fresh line
            j.write_raw("\n");
        } else if (keep_end < text.size()) {
            require(::truncate(path.c_str(), static_cast<off_t>(keep_end)) == 0, "journal ", path, ": cannot truncate the corrupt last line: ",
                    std::strerror(errno));
            j.recovered_ = true;
        }
        return j;
    }

    journal(journal&& o) noexcept : path_(std::move(o.path_)), header_(std::move(o.header_)), written_context_(std::move(o.written_context_)),
                                    fd_(o.fd_), records_(std::move(o.records_)), recovered_(o.recovered_) {
        o.fd_ = -1;
    }
    journal& operator=(journal&&) = delete;
    journal(const journal&) = delete;
    journal& operator=(const journal&) = delete;
    ~journal() {
        if (fd_ >= 0) ::close(fd_);
    }

    /// Appends one record (one line, written and fsync'd before returning). Thread-safe.
    void append(const evaluation& e) {
        std::lock_guard lock(mutex_);
        write_line(to_json(e).dump());
    }
    /// Records read when the journal was opened (in file order; empty for a new journal).
    const std::vector<evaluation>& records() const noexcept { return records_; }
    /// True when opening dropped a corrupt last line.
    bool recovered_tail() const noexcept { return recovered_; }
    /// The journal's path.
    const std::string& path() const noexcept { return path_; }
    /// The header this journal was created or opened with.
    const journal_header& header() const noexcept { return header_; }
    /// The context written when the journal was created (the header's `context` then; an empty
    /// object for journals written without one). On a resumed search it may differ from `header().context`.
    const nlohmann::json& written_context() const noexcept { return written_context_; }

private:
    journal(std::string path, journal_header h) : path_(std::move(path)), header_(std::move(h)) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        require(fd_ >= 0, "journal ", path_, ": cannot open for writing: ", std::strerror(errno));
    }
    void write_line(const std::string& s) { write_raw(s + "\n"); }
    void write_raw(const std::string& s) {
        std::size_t done = 0;
        while (done < s.size()) {
            const auto n = ::write(fd_, s.data() + done, s.size() - done);
            if (n < 0 && errno == EINTR) continue;
            require(n > 0, "journal ", path_, ": write failed: ", std::strerror(errno));
            done += static_cast<std::size_t>(n);
        }
        require(::fsync(fd_) == 0, "journal ", path_, ": fsync failed: ", std::strerror(errno));
    }

    std::string path_;
    journal_header header_;
    nlohmann::json written_context_ = nlohmann::json::object();
    int fd_ = -1;
    std::vector<evaluation> records_;
    bool recovered_ = false;
    std::mutex mutex_;
};

}  // namespace accelnas::search
