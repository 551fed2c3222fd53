#pragma once
/// \file
/// The shared token of the latency service: how the server and its clients read it.

#include <accelnas/core/error.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

namespace accelnas::service {

/// Reads a token file (the secret is the file's first line, surrounding blanks dropped).
inline std::string read_token_file(const std::string& path) {
    std::ifstream f(path);
    require(f.good(), "token file '", path, "': cannot open it");
    std::string line;
    std::getline(f, line);
    const auto b = line.find_first_not_of(" \t\r\n"), e = line.find_last_not_of(" \t\r\n");
    require(b != std::string::npos, "token file '", path, "': the first line is empty");
    return line.substr(b, e - b + 1);
}

/// The token clients use when none is given: $ACCELNAS_SERVICE_TOKEN_FILE's content, else empty.
inline std::string default_token() {
    const char* f = std::getenv("ACCELNAS_SERVICE_TOKEN_FILE");
    return f && *f ? read_token_file(f) : std::string{};
}

}  // namespace accelnas::service
