// Files written whole or not at all (core/atomic_file.hpp), including a write that fails half way.

#include <accelnas/core/atomic_file.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace accelnas;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

fs::path scratch(const std::string& leaf) {
    const auto d = fs::path(ACCELNAS_BINARY_DIR) / "core_atomic_file_test" / leaf;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::size_t files_in(const fs::path& d) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(d)) ++n;
    return n;
}

}  // namespace

TEST_CASE("write_file_atomically writes and replaces whole files", "[core]") {
    const auto d = scratch("ok");
    const auto p = (d / "out.txt").string();
    write_file_atomically(p, std::string_view("first\n"));
    CHECK(slurp(p) == "first\n");
    write_file_atomically(p, [](std::ostream& os) { os << "second " << 2 << '\n'; });
    CHECK(slurp(p) == "second 2\n");
    CHECK(files_in(d) == 1);  // no temporary file left behind
    // 0666 minus the usual umask 022 (the test runs under the default umask).
    CHECK((fs::status(p).permissions() & fs::perms::owner_write) != fs::perms::none);
}

TEST_CASE("write_file_atomically: a failed write is an error and leaves the old file", "[core]") {
    const auto d = scratch("fail");
    const auto p = (d / "out.txt").string();
    write_file_atomically(p, std::string_view("old content\n"));
    // A file-size limit makes write(2) fail with EFBIG once 4 KiB are written, as a full disk does
    // (SIGXFSZ is ignored so the write returns the error instead of killing the process).
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit old_limit{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    const std::string big(100000, 'x');
    std::string message;
    try {
        write_file_atomically(p, std::string_view(big));
    } catch (const accelnas::error& e) {
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    CHECK(message.rfind("cannot write '" + p + "': write: File too large", 0) == 0);
    CHECK(slurp(p) == "old content\n");
    CHECK(files_in(d) == 1);
}

TEST_CASE("write_file_atomically and require_folder_of: a missing folder is an error naming it", "[core]") {
    CHECK_THROWS_WITH(write_file_atomically("/no/such/folder/x.json", std::string_view("{}")),
                      Catch::StartsWith("cannot write '/no/such/folder/x.json': create a temporary file"));
    CHECK_THROWS_WITH(require_folder_of("/no/such/folder/x.json"),
                      "cannot write '/no/such/folder/x.json': folder '/no/such/folder' does not exist");
    CHECK_NOTHROW(require_folder_of("relative-name.json"));
    CHECK_NOTHROW(require_folder_of("/tmp/x.json"));
    CHECK_THROWS_WITH(require_folder_of("/tmp/"), "cannot write '/tmp/': not a file name");
}
