#pragma once
// A fresh, empty scratch folder under the temporary directory for the data-set tests.
#include <filesystem>
#include <string>

namespace accelnas_test {
inline std::filesystem::path fresh_dir(const std::string& name) {
    const auto d = std::filesystem::temp_directory_path() / ("accelnas_data_" + name);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}
}  // namespace accelnas_test
