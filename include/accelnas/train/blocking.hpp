#pragma once
/// \file
/// The cache sizes Eigen blocks its matrix products by, which set the summation order of the
/// trainer's GEMM convolutions and dense layers. Eigen reads them from the CPU at run time, so the
/// same seed and thread count train different weights on CPUs with other caches (the last bits at
/// first; training amplifies them). Setting them to fixed values removes that source of difference
/// between machines (docs/train.md, "Determinism").
///
/// The setting is Eigen's, global to the process: it applies to every matrix product that starts
/// after it, the user's own Eigen code included, and it can make products slower on a CPU whose
/// caches are smaller than the values set.

#include <accelnas/core/error.hpp>

#include <Eigen/Core>

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace accelnas::train {

/// Cache sizes in bytes, as Eigen uses them to block matrix products.
struct gemm_cache_sizes {
    std::ptrdiff_t l1 = 0;
    std::ptrdiff_t l2 = 0;
    std::ptrdiff_t l3 = 0;
    friend bool operator==(const gemm_cache_sizes&, const gemm_cache_sizes&) = default;
};

/// The sizes Eigen blocks by now: the CPU's, unless `set_gemm_cache_sizes` changed them.
inline gemm_cache_sizes current_gemm_cache_sizes() {
    return {Eigen::l1CacheSize(), Eigen::l2CacheSize(), Eigen::l3CacheSize()};
}

/// True when `s` names sizes; all zero (the default) stands for "the CPU's own" in settings that
/// carry an optional blocking (`app::proxy_options::gemm_caches`).
inline bool is_set(const gemm_cache_sizes& s) { return s.l1 != 0 || s.l2 != 0 || s.l3 != 0; }

/// Throws an `accelnas::error` naming the size unless each size lies in [1 KiB, 1 TiB] and
/// l1 <= l2 <= l3.
inline void check_gemm_cache_sizes(const gemm_cache_sizes& s) {
    constexpr std::ptrdiff_t lo = std::ptrdiff_t{1} << 10, hi = std::ptrdiff_t{1} << 40;
    const std::ptrdiff_t v[3] = {s.l1, s.l2, s.l3};
    for (int i = 0; i < 3; ++i)
        require(v[i] >= lo && v[i] <= hi, "gemm cache sizes: L", i + 1, " = ", v[i], " bytes, must be in [1024, 2^40]");
    require(s.l1 <= s.l2 && s.l2 <= s.l3, "gemm cache sizes: L1 ", s.l1, " <= L2 ", s.l2, " <= L3 ", s.l3,
            " does not hold");
}

/// Makes Eigen block its matrix products by `s` from now on, in the whole process
/// (`check_gemm_cache_sizes` first: a bad size is an `accelnas::error` and changes nothing).
inline void set_gemm_cache_sizes(const gemm_cache_sizes& s) {
    check_gemm_cache_sizes(s);
    Eigen::setCpuCacheSizes(s.l1, s.l2, s.l3);
}

/// Sets `s` (when `is_set(s)`; otherwise changes nothing) for as long as it lives, then puts back
/// the sizes Eigen blocked by before: a run that pins its blocking leaves the process as it found
/// it. Not copyable or movable; construct it in the scope of the run.
class scoped_gemm_cache_sizes {
public:
    explicit scoped_gemm_cache_sizes(const gemm_cache_sizes& s) : saved_(current_gemm_cache_sizes()) {
        if (is_set(s)) set_gemm_cache_sizes(s);
    }
    ~scoped_gemm_cache_sizes() { Eigen::setCpuCacheSizes(saved_.l1, saved_.l2, saved_.l3); }  // unchecked: the CPU's own
    scoped_gemm_cache_sizes(const scoped_gemm_cache_sizes&) = delete;
    scoped_gemm_cache_sizes& operator=(const scoped_gemm_cache_sizes&) = delete;

private:
    gemm_cache_sizes saved_;
};

/// Parses "L1,L2,L3" (bytes, e.g. "32768,1048576,33554432"); a malformed text is an
/// `accelnas::error` quoting it. The ranges are checked by `check_gemm_cache_sizes`.
inline gemm_cache_sizes parse_gemm_cache_sizes(std::string_view text) {
    std::ptrdiff_t v[3] = {0, 0, 0};
    std::size_t at = 0;
    for (int i = 0; i < 3; ++i) {
        const std::size_t end = i < 2 ? text.find(',', at) : text.size();
        const std::string_view part = end == std::string_view::npos ? std::string_view{} : text.substr(at, end - at);
        const auto r = std::from_chars(part.data(), part.data() + part.size(), v[i]);
        require(!part.empty() && r.ec == std::errc{} && r.ptr == part.data() + part.size(),
                "gemm cache sizes: '", std::string(text), "' is not L1,L2,L3 (three byte counts)");
        at = end + 1;
    }
    return {v[0], v[1], v[2]};
}

}  // namespace accelnas::train
