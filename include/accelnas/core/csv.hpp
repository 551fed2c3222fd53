#pragma once
/// \file
/// Splitting one CSV line into fields (RFC 4180 quoting): the one CSV splitter of accelnas, used by
/// the measurement reader (hw/measurements.hpp) and by comma-separated command-line lists.

#include <accelnas/core/error.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas {

/// Fields of one CSV line. Fields are separated by commas; a field that starts with a double quote
/// runs to the matching closing quote, may hold commas, and writes a quote as two quotes (RFC 4180).
/// Unquoted fields are taken as they are (no trimming; a quote inside one is an ordinary character).
/// A trailing carriage return (a CRLF line ending) is dropped. An empty line is one empty field.
/// An unterminated quoted field, or text between a closing quote and the next comma, raises
/// `accelnas::error` naming the column.
inline std::vector<std::string> split_csv_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string> fields;
    std::string cur;
    std::size_t i = 0;
    while (true) {
        cur.clear();
        if (i < line.size() && line[i] == '"') {
            const std::size_t column = fields.size() + 1;
            ++i;
            while (true) {
                require(i < line.size(), "CSV field ", column, ": unterminated quoted field");
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        cur += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                cur += line[i++];
            }
            require(i == line.size() || line[i] == ',', "CSV field ", column, ": text after the closing quote");
        } else {
            const std::size_t end = std::min(line.find(',', i), line.size());
            cur.assign(line.substr(i, end - i));
            i = end;
        }
        fields.push_back(cur);
        if (i == line.size()) break;
        ++i;  // the comma
    }
    return fields;
}

}  // namespace accelnas
