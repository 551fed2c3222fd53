// The C++ shown in README.md and docs/*.md is the code of examples that ctest builds and runs.
#include "snippets.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace accelnas_docs;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> cmake_texts(const fs::path& root) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root / "examples"))
        if (e.path().extension() == ".cmake" || e.path().filename() == "CMakeLists.txt") {
            bool ok = false;
            out.push_back(read_text(e.path(), ok));
        }
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + "\n";
    return s;
}

}  // namespace

TEST_CASE("every C++ block of README.md and docs/*.md is a compiled, smoke-run example", "[docs]") {
    const fs::path root = ACCELNAS_SOURCE_DIR;
    const auto registered = registered_doc_examples(cmake_texts(root));
    REQUIRE(registered.size() >= 8);
    std::vector<std::string> pages{"README.md"};
    for (const auto& e : fs::directory_iterator(root / "docs"))
        if (e.path().extension() == ".md") pages.push_back("docs/" + e.path().filename().string());
    REQUIRE(pages.size() >= 8);
    std::size_t blocks = 0;
    for (const auto& page : pages) {
        INFO(page);
        std::vector<std::string> unused;
        bool ok = false;
        blocks += parse_snippets(read_text(root / page, ok), unused).size();
        const auto problems = check_page(root, page, registered);
        CHECK(join(problems) == "");
    }
    CHECK(blocks >= pages.size());  // every page opens with a program
}

TEST_CASE("the checker catches drift, unmarked blocks and unknown files", "[docs]") {
    const fs::path dir = fs::temp_directory_path() / "accelnas-docs-check";
    fs::remove_all(dir);
    fs::create_directories(dir / "examples");
    fs::create_directories(dir / "docs");
    const std::string prog = "#include <cstdio>\nint main() {\n    std::puts(\"hi\");\n}\n";
    std::ofstream(dir / "examples/hi.cpp") << prog;
    std::ofstream(dir / "examples/x.cmake") << "accelnas_doc_example(hi ${CMAKE_CURRENT_SOURCE_DIR}/hi.cpp --quick)\n";
    const auto reg = registered_doc_examples(cmake_texts(dir));
    REQUIRE(reg == std::vector<std::string>{"examples/hi.cpp"});

    auto check = [&](const std::string& md) {
        std::ofstream(dir / "docs/p.md") << md;
        return check_page(dir, "docs/p.md", reg);
    };
    CHECK(check("# t\n<!-- example: examples/hi.cpp -->\n```cpp\n" + prog + "```\ntext\n").empty());
    CHECK(check("<!-- excerpt: examples/hi.cpp -->\n```cpp\nint main() {\n    std::puts(\"hi\");\n```\n").empty());
    CHECK(check("```sh\nls\n```\n").empty());  // only C++ blocks are checked

    const auto drift = check("<!-- example: examples/hi.cpp -->\n```cpp\n#include <cstdio>\nint main() {}\n```\n");
    REQUIRE(drift.size() == 1);
    CHECK(drift[0] == "docs/p.md:2: block differs from examples/hi.cpp (the block must be the whole file)");
    // A partial line is not an excerpt: only whole lines count.
    const auto partial = check("<!-- excerpt: examples/hi.cpp -->\n```cpp\nstd::puts(\"hi\");\n```\n");
    REQUIRE(partial.size() == 1);
    CHECK(partial[0] == "docs/p.md:2: block is not a verbatim run of lines of examples/hi.cpp");
    const auto unmarked = check("text\n\n```cpp\nint main() {}\n```\n");
    REQUIRE(unmarked.size() == 1);
    CHECK(unmarked[0].rfind("docs/p.md:3: ```cpp block without", 0) == 0);
    const auto unknown = check("<!-- example: examples/other.cpp -->\n```cpp\nint main() {}\n```\n");
    REQUIRE(unknown.size() == 1);
    CHECK(unknown[0] == "docs/p.md:2: examples/other.cpp is neither registered with accelnas_doc_example() in "
                        "examples/*.cmake nor a test file");
    const auto open = check("<!-- example: examples/hi.cpp -->\n```cpp\nint main() {}\n");
    REQUIRE(open.size() == 1);
    CHECK(open[0] == "docs/p.md:2: fence not closed");
    fs::remove_all(dir);
}
