#pragma once
// Checks that the C++ code shown in the Markdown pages is code that the build compiles and ctest runs.
//
// Every ```cpp block of a page must follow a marker line naming where its code lives:
//   <!-- example: examples/graph_tour.cpp -->   the block is that whole file, byte for byte;
//   <!-- excerpt: examples/hw_quickstart.cpp --> the block's lines appear, in order and contiguous, in that file.
// A file named by a marker must be an example registered with accelnas_doc_example() in
// examples/*.cmake (built and smoke-run by ctest), a header in the folder of such an example when
// it has a folder of its own under examples/ (compiled into it), or a file under tests/ (compiled
// by the tests).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace accelnas_docs {

/// One fenced ```cpp block of a page.
struct snippet {
    std::size_t line = 0;  ///< 1-based line of the opening fence
    std::string kind;      ///< "example", "excerpt" or "" (no marker)
    std::string file;      ///< the file the marker names, relative to the source root
    std::string code;      ///< the block's lines, each ending in '\n'
};

/// Reads a whole file; empty with `ok` false when it cannot be opened.
inline std::string read_text(const std::filesystem::path& p, bool& ok) {
    std::ifstream in(p, std::ios::binary);
    ok = static_cast<bool>(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Splits text into lines without their '\n'.
inline std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

/// The ```cpp blocks of a Markdown text with their markers; `problems` gets unterminated fences.
inline std::vector<snippet> parse_snippets(const std::string& markdown, std::vector<std::string>& problems) {
    static const std::regex marker(R"(^<!-- (example|excerpt): (\S+) -->\s*$)");
    const auto lines = split_lines(markdown);
    std::vector<snippet> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("```", 0) != 0) continue;
        const bool cpp = lines[i] == "```cpp" || lines[i] == "```c++";
        const std::size_t open = i;
        std::string code;
        for (++i; i < lines.size() && lines[i].rfind("```", 0) != 0; ++i) code += lines[i] + '\n';
        if (i == lines.size()) {
            problems.push_back(std::to_string(open + 1) + ": fence not closed");
            break;
        }
        if (!cpp) continue;
        snippet s{open + 1, "", "", code};
        std::smatch m;
        if (open > 0 && std::regex_match(lines[open - 1], m, marker)) {
            s.kind = m[1];
            s.file = m[2];
        }
        out.push_back(std::move(s));
    }
    return out;
}

/// Names of the files registered with accelnas_doc_example(<name> <file> ...) in the given CMake texts.
inline std::vector<std::string> registered_doc_examples(const std::vector<std::string>& cmake_texts) {
    static const std::regex call(R"(accelnas_doc_example\(\s*\S+\s+(?:\$\{CMAKE_CURRENT_SOURCE_DIR\}/)?([^\s)]+))");
    std::vector<std::string> out;
    for (const auto& t : cmake_texts)
        for (std::sregex_iterator it(t.begin(), t.end(), call), end; it != end; ++it) out.push_back("examples/" + (*it)[1].str());
    return out;
}

/// True when `block` is a run of whole, contiguous lines of `text`.
inline bool contains_lines(const std::string& text, const std::string& block) {
    if (block.empty()) return false;
    const std::string t = "\n" + text + (text.empty() || text.back() != '\n' ? "\n" : "");
    return t.find("\n" + block) != std::string::npos;
}

/// What is wrong with the C++ blocks of `page` (a path under `root`); empty when every block is
/// compiled code. `doc_examples` are the registered example files (see registered_doc_examples).
inline std::vector<std::string> check_page(const std::filesystem::path& root, const std::string& page,
                                           const std::vector<std::string>& doc_examples) {
    std::vector<std::string> problems, parse_problems;
    bool ok = false;
    const auto md = read_text(root / page, ok);
    if (!ok) return {page + ": cannot be read"};
    for (const auto& s : parse_snippets(md, parse_problems)) {
        const std::string at = page + ":" + std::to_string(s.line) + ": ";
        if (s.kind.empty()) {
            problems.push_back(at + "```cpp block without a '<!-- example: FILE -->' or '<!-- excerpt: FILE -->' line before it");
            continue;
        }
        const auto folder = std::filesystem::path(s.file).parent_path();
        const bool in_example_folder =
            folder != "examples" && std::filesystem::path(s.file).extension() == ".hpp" &&
            std::any_of(doc_examples.begin(), doc_examples.end(),
                        [&](const std::string& e) { return std::filesystem::path(e).parent_path() == folder; });
        const bool registered =
            in_example_folder || std::find(doc_examples.begin(), doc_examples.end(), s.file) != doc_examples.end();
        if (!registered && s.file.rfind("tests/", 0) != 0) {
            problems.push_back(at + s.file + " is neither registered with accelnas_doc_example() in examples/*.cmake nor a test file");
            continue;
        }
        bool found = false;
        const auto src = read_text(root / s.file, found);
        if (!found) problems.push_back(at + s.file + ": no such file");
        else if (s.kind == "example" && src != s.code)
            problems.push_back(at + "block differs from " + s.file + " (the block must be the whole file)");
        else if (s.kind == "excerpt" && !contains_lines(src, s.code))
            problems.push_back(at + "block is not a verbatim run of lines of " + s.file);
    }
    for (const auto& p : parse_problems) problems.push_back(page + ":" + p);
    return problems;
}

}  // namespace accelnas_docs
