#pragma once
/// \file
/// printf-style formatting into a std::string, for the report formatters (they print to any
/// std::ostream, so tests can read what a tool prints).

#include <cstdio>
#include <string>
#include <vector>

namespace accelnas::app {

/// The text `std::snprintf(fmt, args...)` produces, whatever its length.
template <class... Args>
std::string printf_string(const char* fmt, Args... args) {
    char small[256];
    const int n = std::snprintf(small, sizeof small, fmt, args...);
    if (n < 0) return {};
    if (static_cast<std::size_t>(n) < sizeof small) return std::string(small, static_cast<std::size_t>(n));
    std::vector<char> big(static_cast<std::size_t>(n) + 1);
    std::snprintf(big.data(), big.size(), fmt, args...);
    return std::string(big.data(), static_cast<std::size_t>(n));
}

}  // namespace accelnas::app
