#pragma once
/// \file
/// The ops of the network IR: kinds, attributes and NHWC shapes.

#include <accelnas/core/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::graph {

/// NHWC shape of one tensor. The IR describes batch-1 inference (n = 1); trainers batch along n.
struct tensor_shape {
    std::int64_t n = 1, h = 1, w = 1, c = 1;

    /// Number of elements (n*h*w*c); the network builder guarantees it fits in 63 bits.
    constexpr std::int64_t elements() const noexcept { return n * h * w * c; }
    friend constexpr bool operator==(const tensor_shape&, const tensor_shape&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const tensor_shape& s) {
    return os << s.n << 'x' << s.h << 'x' << s.w << 'x' << s.c;
}

/// What an op computes.
enum class op_kind {
    input,            ///< network input (no inputs of its own)
    conv2d,           ///< 2-D convolution, groups == in channels == filters/multiplier is depthwise
    fully_connected,  ///< dense layer over the flattened input
    add,              ///< element-wise sum of two or more tensors of one shape
    concat,           ///< concatenation along channels
    mul,              ///< element-wise product; the second input may be 1x1xC (broadcast, as in SE)
    max_pool,         ///< max pooling
    avg_pool,         ///< average pooling
    global_avg_pool,  ///< mean over H and W -> 1x1xC
    batch_norm,       ///< standalone batch norm (pre-activation blocks); conv/fc carry their own flag
    activation,       ///< standalone activation
    reshape,          ///< reshape to a target HxWxC of the same element count (flatten is 1x1x(HWC))
    pad,              ///< explicit zero padding of H and W
    softmax,          ///< softmax over channels
    /// an op accelnas does not model (an imported ONNX op with no IR counterpart, `op::opaque_type`
    /// names it): its output shape is given (`op::target`), no accelerator runs it, the host CPU
    /// prices it from its element counts (hw::work_of), training and quantization refuse it
    opaque,
};

/// Element-wise nonlinearity, fused into the producing op or standalone.
enum class activation { none, relu, relu6, sigmoid, hard_sigmoid, hard_swish, swish };

/// Padding policy of convolutions and pooling (TensorFlow semantics).
enum class padding { same, valid };

inline constexpr std::array<std::string_view, 15> op_kind_names{
    "input", "conv2d", "fully_connected", "add", "concat", "mul", "max_pool",
    "avg_pool", "global_avg_pool", "batch_norm", "activation", "reshape", "pad", "softmax", "opaque"};
inline constexpr std::array<std::string_view, 7> activation_names{
    "none", "relu", "relu6", "sigmoid", "hard_sigmoid", "hard_swish", "swish"};
inline constexpr std::array<std::string_view, 2> padding_names{"same", "valid"};

/// Text name of an op kind ("conv2d", ...).
constexpr std::string_view to_string(op_kind k) noexcept { return op_kind_names[static_cast<std::size_t>(k)]; }
/// Text name of an activation ("relu6", ...).
constexpr std::string_view to_string(activation a) noexcept { return activation_names[static_cast<std::size_t>(a)]; }
/// Text name of a padding policy ("same" or "valid").
constexpr std::string_view to_string(padding p) noexcept { return padding_names[static_cast<std::size_t>(p)]; }

namespace detail {
template <class Enum, std::size_t N>
Enum parse_enum(std::string_view text, const std::array<std::string_view, N>& names, std::string_view what) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == text) return static_cast<Enum>(i);
    std::string all;
    for (auto n : names) all += (all.empty() ? "" : ", ") + std::string(n);
    fail("unknown ", what, " '", text, "' (expected one of: ", all, ")");
}
}  // namespace detail

/// Parses an op kind name; unknown names raise `accelnas::error` listing the valid ones.
inline op_kind parse_op_kind(std::string_view s) { return detail::parse_enum<op_kind>(s, op_kind_names, "op kind"); }
/// Parses an activation name.
inline activation parse_activation(std::string_view s) { return detail::parse_enum<activation>(s, activation_names, "activation"); }
/// Parses a padding name.
inline padding parse_padding(std::string_view s) { return detail::parse_enum<padding>(s, padding_names, "padding"); }

/// One op of the IR. A flat record: the attributes an op kind does not use keep their defaults.
struct op {
    std::string name;                 ///< unique within its network
    op_kind kind = op_kind::input;
    std::vector<std::size_t> inputs;  ///< indices of producing ops (always earlier ops)

    // conv2d, max_pool, avg_pool
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    padding pad = padding::same;
    std::int64_t groups = 1;           ///< conv2d: channel groups (depthwise: graph::is_depthwise, graph/geometry.hpp)
    bool count_include_pad = false;    ///< avg_pool: divide by the full window (true) or by valid taps

    // conv2d, fully_connected
    std::int64_t filters = 0;          ///< conv2d output channels, fully_connected units
    bool bias = false;                 ///< has a bias vector
    bool batch_norm = false;           ///< followed by batch norm (folded into the op for inference)

    // fused or standalone activation (conv2d, fully_connected, add, batch_norm, activation)
    activation act = activation::none;

    std::array<std::int64_t, 4> pads{0, 0, 0, 0};  ///< pad: top, bottom, left, right
    tensor_shape target{};                         ///< reshape: target shape; opaque: output shape (n is kept)
    std::string opaque_type;                       ///< opaque: the foreign op's type (e.g. ONNX "TopK")

    tensor_shape out{};                ///< inferred output shape
};

}  // namespace accelnas::graph
