#pragma once
/// \file
/// Progress of a long search: a redrawn bar with ETA on a terminal, plain lines otherwise (logs, CI).

#include <accelnas/core/error.hpp>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <unistd.h>

namespace accelnas::search {

/// Formats seconds as "1h02m", "3m07s" or "12s".
inline std::string format_duration(double seconds) {
    if (!(seconds >= 0)) return "?";
    const auto s = static_cast<long long>(seconds + 0.5);
    std::ostringstream os;
    if (s >= 3600) os << s / 3600 << 'h' << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << 'm';
    else if (s >= 60) os << s / 60 << 'm' << std::setw(2) << std::setfill('0') << s % 60 << 's';
    else os << s << 's';
    return os.str();
}

/// True when file descriptor `fd` is a terminal.
inline bool is_terminal(int fd) { return ::isatty(fd) == 1; }

/// Progress over `total` units. On a terminal (`tty`), `update` redraws one line
/// "<label> [#####.....] 12/40 30% ETA 1m10s <note>" in place; otherwise (a file, a pipe, a log) it
/// writes one plain line "<label> 12/40 30% elapsed 20s eta 1m10s <note>" per `plain_every` units
/// and one at the end, never a carriage return. The label defaults to nothing on a terminal and
/// "progress" in plain lines. The ETA is the mean time per unit done in this session times the units
/// left (units restored by a resume are excluded from the rate).
class progress_bar {
public:
    /// A bar for `total` units written to `os`, e.g. `progress_bar(std::cerr, n, is_terminal(2), n / 10)`.
    progress_bar(std::ostream& os, std::size_t total, bool tty, std::size_t plain_every = 1, std::string label = {})
        : os_(os), total_(total), tty_(tty), every_(plain_every ? plain_every : 1), label_(std::move(label)),
          t0_(std::chrono::steady_clock::now()) {
        require(total >= 1, "progress_bar: total must be at least 1");
    }
    /// Marks `units` units as done before timing started (a resumed search).
    void skip(std::size_t units) { base_ = done_ = units; }
    /// Sets units done to `done` with a short `note` (e.g. the best reward so far).
    void update(std::size_t done, const std::string& note = {}) {
        done_ = done;
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        const double rate = done_ > base_ ? el / static_cast<double>(done_ - base_) : -1.0;
        const double eta = rate >= 0 ? rate * static_cast<double>(total_ - std::min(done_, total_)) : -1.0;
        const int pct = static_cast<int>(100.0 * static_cast<double>(done_) / static_cast<double>(total_));
        if (tty_) {
            constexpr int width = 30;
            const int fill = static_cast<int>(width * static_cast<double>(std::min(done_, total_)) / static_cast<double>(total_));
            os_ << '\r' << label_ << (label_.empty() ? "" : " ") << '[' << std::string(static_cast<std::size_t>(fill), '#') << std::string(static_cast<std::size_t>(width - fill), '.')
                << "] " << done_ << '/' << total_ << ' ' << pct << "% ETA " << format_duration(eta) << ' ' << note << "\x1b[K";
            if (done_ >= total_) os_ << '\n';
            os_.flush();
        } else if (done_ >= total_ || done_ >= last_ + every_) {
            last_ = done_;
            os_ << (label_.empty() ? "progress" : label_) << ' ' << done_ << '/' << total_ << ' ' << pct << "% elapsed " << format_duration(el) << " eta "
                << format_duration(eta) << (note.empty() ? "" : " ") << note << '\n';
            os_.flush();
        }
    }

private:
    std::ostream& os_;
    std::size_t total_;
    bool tty_;
    std::size_t every_;
    std::string label_;
    std::chrono::steady_clock::time_point t0_;
    std::size_t done_ = 0, base_ = 0, last_ = 0;
};

}  // namespace accelnas::search
