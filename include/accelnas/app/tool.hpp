#pragma once
/// \file
/// The rules every accelnas-* tool follows, in one place:
///
/// - exit code 0 on success, 1 on a runtime or input error (a bad model spec, an unreadable file, a
///   failed write, a diverged training), 2 on a usage error (an unknown option, a missing or
///   out-of-range value, an inconsistent combination of options);
/// - one message form on stderr: `accelnas-TOOL: error: <what is wrong>`;
/// - everything printed to stdout must reach it: a full disk or a closed pipe is an error (exit 1),
///   not a truncated result with exit 0.
///
/// Tools check their arguments (`usage_require`) before they create any output.

#include <accelnas/core/error.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace accelnas::app {

/// Exit code of a successful run.
inline constexpr int exit_success = 0;
/// Exit code of a runtime or input error.
inline constexpr int exit_failure = 1;
/// Exit code of a usage error.
inline constexpr int exit_usage = 2;

/// A usage error found after the command line was parsed (a value out of range, options that do
/// not go together): the tool exits with `exit_usage`.
class usage_error : public error {
public:
    using error::error;
};

/// Throws `usage_error` whose message is the concatenation of `parts`.
template <class... Parts>
[[noreturn]] void usage_fail(Parts&&... parts) {
    throw usage_error(accelnas::detail::concat(std::forward<Parts>(parts)...));
}

/// Throws `usage_error` built from `parts` unless `condition` holds.
template <class... Parts>
void usage_require(bool condition, Parts&&... parts) {
    if (!condition) usage_fail(std::forward<Parts>(parts)...);
}

/// The one message form: "accelnas-TOOL: error: WHAT" (no trailing newline).
inline std::string error_line(std::string_view tool, std::string_view what) {
    std::string r(tool);
    r += ": error: ";
    r += what;
    return r;
}

/// Flushes stdout (both the C and the C++ stream) and reports whether everything written reached
/// it.
inline bool stdout_ok() {
    std::cout.flush();
    const bool cxx = std::cout.good();
    const bool c = std::fflush(stdout) == 0 && !std::ferror(stdout);
    return cxx && c;
}

/// Runs a tool's work `body` (returning its exit code) under the rules above: `usage_error` exits 2,
/// any other exception exits 1, each with one `error_line` on `err`; stdout is checked at the end.
template <class Body>
int run_guarded(std::string_view tool, Body&& body, std::ostream& err = std::cerr) {
    int code = exit_failure;
    try {
        code = std::forward<Body>(body)();
    } catch (const usage_error& e) {
        err << error_line(tool, e.what()) << "\nRun with --help for more information.\n";
        return exit_usage;
    } catch (const std::exception& e) {
        err << error_line(tool, e.what()) << '\n';
        code = exit_failure;
    }
    if (!stdout_ok()) {
        err << error_line(tool, "cannot write the results to stdout") << '\n';
        return exit_failure;
    }
    return code;
}

}  // namespace accelnas::app
