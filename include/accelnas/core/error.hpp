#pragma once
/// \file
/// The one exception type of accelnas and helpers that build its messages.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace accelnas {

/// Every failure accelnas reports: the message names the thing at fault (op, JSON path, decision,
/// file) and what was expected.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
std::string concat(Parts&&... parts) {
    std::ostringstream os;
    (os << ... << std::forward<Parts>(parts));
    return os.str();
}
}  // namespace detail

/// Throws `accelnas::error` whose message is the streamed concatenation of `parts`.
template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
    throw error(detail::concat(std::forward<Parts>(parts)...));
}

/// Throws `accelnas::error` built from `parts` unless `condition` holds.
template <class... Parts>
void require(bool condition, Parts&&... parts) {
    if (!condition) fail(std::forward<Parts>(parts)...);
}

}  // namespace accelnas
