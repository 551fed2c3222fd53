#pragma once
/// \file
/// Files written whole or not at all. The content goes to a temporary file in the target's folder
/// (so the final rename stays on one file system and is atomic), every write is checked, the file
/// is flushed to disk with fsync, then renamed over the target. A reader (or a later --resume) never
/// sees a half-written result, and a full disk is an `accelnas::error` instead of an empty file and
/// a successful exit.
///
/// Append-only logs (the search journal) do not use this: they are extended line by line and repair
/// a torn last line themselves.

#include <accelnas/core/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace accelnas {

namespace detail {

/// The process umask, read without changing it (umask(2) can only be read by setting it, which
/// races with other threads creating files).
inline mode_t current_umask() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    return 022;
}

/// The folder a file path is in ("." for a bare name, "/" for a file at the root).
inline std::string folder_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

/// Removes a temporary file when the write did not complete.
struct temp_file_guard {
    std::string path;
    bool armed = true;
    ~temp_file_guard() {
        if (armed) ::unlink(path.c_str());
    }
};

}  // namespace detail

/// Writes `content` to `path` whole or not at all (see the file comment). The new file gets the
/// permissions an ordinary create would give it (0666 minus the umask). Throws `accelnas::error`
/// "cannot write '<path>': <reason>" when any step fails; the previous content of `path`, if any,
/// is then left untouched and no temporary file remains.
inline void write_file_atomically(const std::string& path, std::string_view content) {
    auto bad = [&](const char* step, int err) {
        fail("cannot write '", path, "': ", step, ": ", std::strerror(err));
    };
    const auto slash = path.find_last_of('/');
    const std::string dir = detail::folder_of(path);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    require(!base.empty(), "cannot write '", path, "': not a file name");
    std::string tmpl = (dir == "/" ? "" : dir) + "/." + base + ".tmp.XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    const int fd = ::mkstemp(name.data());
    if (fd < 0) bad("create a temporary file", errno);
    detail::temp_file_guard guard{name.data()};
    auto close_fail = [&](const char* step) {
        const int err = errno;
        ::close(fd);
        bad(step, err);
    };
    if (::fchmod(fd, 0666 & ~detail::current_umask()) != 0) close_fail("set permissions");
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            close_fail("write");
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) close_fail("fsync");
    if (::close(fd) != 0) bad("close", errno);
    if (::rename(name.data(), path.c_str()) != 0) bad("rename the temporary file", errno);
    guard.armed = false;
    // Make the rename itself durable; a folder that cannot be opened or synced (some file systems)
    // does not undo the write, so this step is best effort.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

/// Throws `accelnas::error` "cannot write '<path>': folder '<dir>' does not exist" unless the
/// folder `path` would be written into exists: tools check their output paths this way before
/// any long work.
inline void require_folder_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    const std::string dir = detail::folder_of(path);
    struct stat st {};
    require(::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode), "cannot write '", path, "': folder '", dir,
            "' does not exist");
    require(slash + 1 < path.size() || slash == std::string::npos, "cannot write '", path, "': not a file name");
}

/// Builds a file's content with an ostream writer, then writes it whole or not at all:
/// `write_file_atomically(path, [&](std::ostream& os) { os << ...; })`.
template <class Writer>
    requires std::is_invocable_v<Writer&, std::ostream&>
void write_file_atomically(const std::string& path, Writer&& writer) {
    std::ostringstream os;
    writer(os);
    require(os.good(), "cannot write '", path, "': formatting the content failed");
    write_file_atomically(path, std::string_view(os.str()));
}

}  // namespace accelnas
