#pragma once
/// \file
/// Reading ONNX model files and their tensors: the size limit checked before reading, protobuf
/// parsing, opset checks, attribute and constant-tensor access (including external data). Shared by
/// the importer and the exporter's tests; part of the optional accelnas::onnx component.

#include <accelnas/core/error.hpp>

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace accelnas::onnx {

/// The opsets the importer reads (default ONNX domain).
inline constexpr std::int64_t min_opset = 11;
/// The newest opset the importer reads.
inline constexpr std::int64_t max_opset = 17;
/// Protobuf cannot parse messages of 2 GiB or more; larger models keep their weights in external data.
inline constexpr std::uintmax_t max_model_bytes = 2147483647u;

/// Reads and parses `path` as an ONNX ModelProto. The file size is checked against `limit` before
/// anything is read; parse failures and files that parse but hold no graph raise `accelnas::error`.
inline ::onnx::ModelProto read_model_file(const std::string& path, std::uintmax_t limit = max_model_bytes) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) fail("cannot open ONNX model '", path, "': ", ec.message());
    require(size <= limit, "ONNX model '", path, "' is ", size, " bytes, over the limit of ", limit,
            " bytes (protobuf reads at most 2 GiB; keep the weights in external data files)");
    require(size > 0, "ONNX model '", path, "' is empty");
    // Parsed straight from the file (no copy of a model that is mostly weights in memory first).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    require(fd >= 0, "cannot open ONNX model '", path, "': ", std::strerror(errno));
    ::onnx::ModelProto m;
    bool parsed = false;
    {
        google::protobuf::io::FileInputStream in(fd, 1 << 20);
        in.SetCloseOnDelete(true);
        parsed = m.ParseFromZeroCopyStream(&in);
    }
    require(parsed, "'", path, "' is not an ONNX model: the protobuf does not parse (truncated, corrupt or another format)");
    // Arbitrary bytes sometimes parse as a protobuf of unknown fields: an ONNX model has an IR version,
    // an opset and a graph.
    require(m.ir_version() > 0 && m.has_graph() && m.opset_import_size() > 0, "'", path,
            "' is not an ONNX model: no IR version, opset or graph");
    return m;
}

/// The version of the default-domain opset a model imports; `accelnas::error` when it has none.
inline std::int64_t default_opset(const ::onnx::ModelProto& m) {
    for (const auto& o : m.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
    fail("the ONNX model imports no default-domain opset");
}

namespace detail {

/// Attribute `name` of `n`, or nullptr.
inline const ::onnx::AttributeProto* attribute(const ::onnx::NodeProto& n, std::string_view name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}
/// Integer attribute with a default.
inline std::int64_t int_attr(const ::onnx::NodeProto& n, std::string_view name, std::int64_t dflt) {
    const auto* a = attribute(n, name);
    return a ? a->i() : dflt;
}
/// Float attribute with a default.
inline float float_attr(const ::onnx::NodeProto& n, std::string_view name, float dflt) {
    const auto* a = attribute(n, name);
    return a ? a->f() : dflt;
}
/// String attribute with a default.
inline std::string string_attr(const ::onnx::NodeProto& n, std::string_view name, std::string dflt) {
    const auto* a = attribute(n, name);
    return a ? a->s() : dflt;
}
/// Integer-list attribute (empty when absent).
inline std::vector<std::int64_t> ints_attr(const ::onnx::NodeProto& n, std::string_view name) {
    const auto* a = attribute(n, name);
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : std::vector<std::int64_t>{};
}

/// True when the tensor keeps its data in an external file.
inline bool is_external(const ::onnx::TensorProto& t) {
    return t.data_location() == ::onnx::TensorProto_DataLocation_EXTERNAL;
}

/// The external file of `t` (relative to the model's folder) and its offset and length.
struct external_ref {
    std::filesystem::path file;
    std::uintmax_t offset = 0;
    std::intmax_t length = -1;
};
inline external_ref external_location(const ::onnx::TensorProto& t, const std::filesystem::path& base) {
    external_ref r;
    for (const auto& e : t.external_data()) {
        if (e.key() == "location") r.file = base / e.value();
        else if (e.key() == "offset") r.offset = std::stoull(e.value());
        else if (e.key() == "length") r.length = std::stoll(e.value());
    }
    require(!r.file.empty(), "tensor '", t.name(), "' has external data without a location");
    return r;
}

/// Number of elements of a tensor from its dims.
inline std::int64_t element_count(const ::onnx::TensorProto& t) {
    std::int64_t n = 1;
    for (auto d : t.dims()) {
        require(d >= 0, "tensor '", t.name(), "' has a negative dimension");
        if (__builtin_mul_overflow(n, d, &n)) fail("tensor '", t.name(), "': element count overflows");
    }
    return n;
}

/// The values of a (small) tensor as doubles: float, double, int32, int64, int8, uint8 and bool, raw or
/// typed, inline or external. Used for shape arithmetic and attributes given as inputs (Clip, Pad,
/// Reshape), never for weights.
inline std::vector<double> tensor_values(const ::onnx::TensorProto& t, const std::filesystem::path& base) {
    const auto n = element_count(t);
    require(n <= (std::int64_t(1) << 24), "tensor '", t.name(), "' is too large to read as a constant");
    std::vector<double> v;
    v.reserve(static_cast<std::size_t>(n));
    std::string raw;
    bool have_raw = false;
    if (is_external(t)) {
        const auto ref = external_location(t, base);
        std::ifstream f(ref.file, std::ios::binary);
        require(bool(f), "tensor '", t.name(), "': cannot open its external data file '", ref.file.string(), "'");
        f.seekg(static_cast<std::streamoff>(ref.offset));
        std::size_t elem = 4;
        switch (t.data_type()) {
        case ::onnx::TensorProto_DataType_DOUBLE:
        case ::onnx::TensorProto_DataType_INT64: elem = 8; break;
        case ::onnx::TensorProto_DataType_INT8:
        case ::onnx::TensorProto_DataType_UINT8:
        case ::onnx::TensorProto_DataType_BOOL: elem = 1; break;
        default: break;
        }
        raw.resize(static_cast<std::size_t>(n) * elem);
        f.read(raw.data(), static_cast<std::streamsize>(raw.size()));
        require(f.gcount() == static_cast<std::streamsize>(raw.size()), "tensor '", t.name(),
                "': its external data file '", ref.file.string(), "' is shorter than the tensor");
        have_raw = true;
    } else if (t.has_raw_data()) {
        raw = t.raw_data();
        have_raw = true;
    }
    auto from_raw = [&]<class T>(T) {
        require(raw.size() == static_cast<std::size_t>(n) * sizeof(T), "tensor '", t.name(), "': raw data has ",
                raw.size(), " bytes, expected ", static_cast<std::size_t>(n) * sizeof(T));
        for (std::int64_t i = 0; i < n; ++i) {
            T x;
            std::memcpy(&x, raw.data() + i * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
            v.push_back(static_cast<double>(x));
        }
    };
    switch (t.data_type()) {
    case ::onnx::TensorProto_DataType_FLOAT:
        if (have_raw) from_raw(float{});
        else for (auto x : t.float_data()) v.push_back(x);
        break;
    case ::onnx::TensorProto_DataType_DOUBLE:
        if (have_raw) from_raw(double{});
        else for (auto x : t.double_data()) v.push_back(x);
        break;
    case ::onnx::TensorProto_DataType_INT64:
        if (have_raw) from_raw(std::int64_t{});
        else for (auto x : t.int64_data()) v.push_back(static_cast<double>(x));
        break;
    case ::onnx::TensorProto_DataType_INT32:
        if (have_raw) from_raw(std::int32_t{});
        else for (auto x : t.int32_data()) v.push_back(x);
        break;
    case ::onnx::TensorProto_DataType_INT8:
        if (have_raw) from_raw(std::int8_t{});
        else for (auto x : t.int32_data()) v.push_back(x);
        break;
    case ::onnx::TensorProto_DataType_UINT8:
    case ::onnx::TensorProto_DataType_BOOL:
        if (have_raw) from_raw(std::uint8_t{});
        else for (auto x : t.int32_data()) v.push_back(x);
        break;
    default: fail("tensor '", t.name(), "': data type ", t.data_type(), " is not supported for constants");
    }
    require(static_cast<std::int64_t>(v.size()) == n, "tensor '", t.name(), "' has ", v.size(),
            " values but its dims say ", n);
    return v;
}

}  // namespace detail
}  // namespace accelnas::onnx
