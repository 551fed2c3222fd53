#pragma once
/// \file
/// The EfficientNet family as the TensorFlow TPU code builds it: a table of block strings
/// ("r2_k3_s22_e8_i24_o32_c1"), compound scaling of filters and repeats, stem and head. EfficientNet-B0,
/// EfficientNet-EdgeTPU S/M/L and EfficientNet-Lite0..4 are points of this one builder; MnasNet-A1
/// (zoo/mnasnet.hpp) reuses it. The block table, its parser, the rounding rules and the builder are
/// public so that search spaces can decode to exactly the same ops.
///
/// Op order (shared with the search spaces, so that graph::structural_difference can compare):
/// input "input" -> stem 3x3/2 conv (bn, act) -> blocks (graph::blocks::ibn / fused_ibn) -> head 1x1
/// conv (bn, act) -> global_avg_pool -> fully_connected logits with bias.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/options.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::zoo {

/// One row of an EfficientNet-style block table (one stage: `repeats` blocks of one kind).
struct effnet_block {
    int repeats = 1;             ///< number of blocks in the stage (before depth scaling)
    int kernel = 3;              ///< depthwise kernel (IBN) or expansion kernel (fused IBN)
    int stride = 1;              ///< stride of the stage's first block; later blocks have stride 1
    int expand = 1;              ///< expansion ratio; 1 = no expansion conv
    std::int64_t in = 0;         ///< nominal input filters (before width scaling)
    std::int64_t out = 0;        ///< nominal output filters (before width scaling)
    double se_ratio = 0.0;       ///< squeeze-and-excitation ratio of the block input filters; 0 = no SE
    bool fused = false;          ///< fused IBN (full kxk expansion conv, no depthwise), TF "c1"
    bool residual = true;        ///< false for TF "noskip"
    friend bool operator==(const effnet_block&, const effnet_block&) = default;
};

/// Parses one TF block string: `r<repeats>_k<kernel>_s<stride><stride>_e<expand>_i<in>_o<out>` plus
/// optional `_se<ratio>`, `_c<conv type>` (0 = depthwise IBN, 1 = fused) and `_noskip`.
/// Errors name the block string and the field at fault.
inline effnet_block parse_effnet_block(std::string_view text) {
    effnet_block b;
    bool seen_r = false, seen_k = false, seen_s = false, seen_e = false, seen_i = false, seen_o = false;
    auto bad = [&](std::string_view field, const char* why) -> void {
        fail("block string '", text, "': field '", field, "' ", why);
    };
    auto integer = [&](std::string_view field, std::string_view digits) -> std::int64_t {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size())
            bad(field, "needs a non-negative integer");
        if (v <= 0) bad(field, "must be positive");
        return v;
    };
    std::size_t pos = 0;
    require(!text.empty(), "block string is empty");
    while (pos <= text.size()) {
        auto end = text.find('_', pos);
        if (end == std::string_view::npos) end = text.size();
        const auto f = text.substr(pos, end - pos);
        pos = end + 1;
        if (f.empty()) bad(f, "is empty (doubled or trailing '_')");
        if (f == "noskip") {
            b.residual = false;
        } else if (f.substr(0, 2) == "se") {
            const auto v = f.substr(2);
            char* endp = nullptr;
            const std::string s(v);
            b.se_ratio = std::strtod(s.c_str(), &endp);
            if (s.empty() || endp != s.c_str() + s.size() || !(b.se_ratio > 0.0 && b.se_ratio <= 1.0))
                bad(f, "needs a ratio in (0, 1]");
        } else {
            const auto v = f.substr(1);
            switch (f[0]) {
            case 'r': b.repeats = static_cast<int>(integer(f, v)); seen_r = true; break;
            case 'k': b.kernel = static_cast<int>(integer(f, v)); seen_k = true; break;
            case 's':
                // TF writes the stride per dimension ("s22"); accelnas models square strides only.
                if (v.size() == 2 && v[0] == v[1]) b.stride = static_cast<int>(integer(f, v.substr(0, 1)));
                else if (v.size() == 1) b.stride = static_cast<int>(integer(f, v));
                else bad(f, "needs a square stride such as s11 or s22");
                seen_s = true;
                break;
            case 'e': b.expand = static_cast<int>(integer(f, v)); seen_e = true; break;
            case 'i': b.in = integer(f, v); seen_i = true; break;
            case 'o': b.out = integer(f, v); seen_o = true; break;
            case 'c': {
                if (v == "0") b.fused = false;
                else if (v == "1") b.fused = true;
                else bad(f, "needs conv type c0 (depthwise) or c1 (fused)");
                break;
            }
            default: bad(f, "is not one of r, k, s, e, i, o, se, c, noskip");
            }
        }
        if (end == text.size()) break;
    }
    if (!(seen_r && seen_k && seen_s && seen_e && seen_i && seen_o))
        fail("block string '", text, "': needs all of the fields r, k, s, e, i and o");
    return b;
}

/// Parses a whole block table (one string per stage).
inline std::vector<effnet_block> parse_effnet_blocks(const std::vector<std::string_view>& rows) {
    std::vector<effnet_block> r;
    r.reserve(rows.size());
    for (auto s : rows) r.push_back(parse_effnet_block(s));
    return r;
}

/// EfficientNet width scaling: `max(8, int(f*w + 4) // 8 * 8)`, plus 8 if that lost more than 10%
/// (graph::blocks::make_divisible on f * width).
inline std::int64_t round_filters(std::int64_t filters, double width, std::int64_t divisor = 8) {
    return graph::blocks::make_divisible(static_cast<double>(filters) * width, divisor);
}

/// EfficientNet depth scaling: `ceil(depth * repeats)`.
inline int round_repeats(int repeats, double depth) {
    return static_cast<int>(std::ceil(depth * repeats));
}

/// Everything an EfficientNet-style network is made of besides its block table.
struct effnet_config {
    std::string name;                                        ///< network name
    std::vector<effnet_block> blocks;                        ///< the block table (nominal filters)
    double width = 1.0;                                      ///< width coefficient
    double depth = 1.0;                                      ///< depth coefficient
    std::int64_t resolution = 224;                           ///< default input size
    std::int64_t classes = 1000;                             ///< default logits
    std::int64_t stem = 32;                                  ///< nominal stem filters
    std::int64_t head = 1280;                                ///< nominal head filters
    graph::activation act = graph::activation::swish;        ///< activation of every conv
    graph::activation se_inner = graph::activation::swish;   ///< activation after the SE reduce conv
    graph::activation se_gate = graph::activation::sigmoid;  ///< SE gating nonlinearity
    bool fix_head_stem = false;  ///< Lite: stem, head and the first and last stage's repeats are not scaled
    std::int64_t divisor = 8;    ///< filter rounding divisor
};

/// Appends the blocks of one stage (`b` already width-scaled: `b.in`/`b.out` are real filters, and
/// `repeats` already depth-scaled) to `net`, TF semantics: the first block has the stage stride and
/// in -> out, later ones stride 1 and out -> out; the expansion is computed from the nominal input
/// filters of each block (for EdgeTPU's stage 1 that is not the incoming channel count).
inline graph::node append_effnet_stage(graph::network& net, graph::node x, const effnet_block& b,
                                       const effnet_config& cfg, const std::string& prefix = {}) {
    for (int r = 0; r < b.repeats; ++r) {
        const std::int64_t in = r == 0 ? b.in : b.out;
        const int stride = r == 0 ? b.stride : 1;
        const std::string p = prefix.empty() ? std::string{} : prefix + "_" + std::to_string(r) + "/";
        graph::blocks::se_args se{};
        if (b.se_ratio > 0.0) {
            // TF: num_reduced_filters = max(1, int(input_filters * se_ratio)), nominal input filters.
            se.reduced = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(in) * b.se_ratio));
            se.inner = cfg.se_inner;
            se.gate = cfg.se_gate;
        }
        // TF also requires the nominal in == out for the skip; the blocks check the real channels,
        // which differ only where the table says noskip (EdgeTPU stage 1).
        const bool residual = b.residual && in == b.out;
        if (b.fused) {
            x = graph::blocks::fused_ibn(net, x, {.expanded = in * b.expand, .out = b.out, .kernel = b.kernel,
                                                  .stride = stride, .expand = b.expand != 1, .act = cfg.act,
                                                  .se = se, .residual = residual, .prefix = p});
        } else {
            x = graph::blocks::ibn(net, x, {.expanded = in * b.expand, .out = b.out, .kernel = b.kernel,
                                            .stride = stride, .expand = b.expand != 1, .act = cfg.act, .se = se,
                                            .residual = residual, .prefix = p});
        }
    }
    return x;
}

/// The block table of `cfg` after compound scaling (real filters and repeats), one row per stage.
inline std::vector<effnet_block> scaled_effnet_blocks(const effnet_config& cfg) {
    require(!cfg.blocks.empty(), "EfficientNet config '", cfg.name, "' has no blocks");
    require(cfg.width > 0.0 && cfg.depth > 0.0, "EfficientNet config '", cfg.name,
            "': width and depth coefficients must be positive (got ", cfg.width, ", ", cfg.depth, ")");
    std::vector<effnet_block> r;
    for (std::size_t i = 0; i < cfg.blocks.size(); ++i) {
        auto b = cfg.blocks[i];
        b.in = round_filters(b.in, cfg.width, cfg.divisor);
        b.out = round_filters(b.out, cfg.width, cfg.divisor);
        const bool fixed = cfg.fix_head_stem && (i == 0 || i + 1 == cfg.blocks.size());
        b.repeats = fixed ? b.repeats : round_repeats(b.repeats, cfg.depth);
        r.push_back(b);
    }
    return r;
}

/// Builds the network of `cfg`; `opt` overrides resolution, classes and input channels.
inline graph::network build_effnet(const effnet_config& cfg, const zoo_options& opt = {}) {
    const auto res = or_default(opt.resolution, cfg.resolution);
    const auto classes = or_default(opt.classes, cfg.classes);
    require(res > 0 && classes > 0 && opt.channels > 0, "zoo model '", cfg.name, "': resolution ", res,
            ", classes ", classes, " and channels ", opt.channels, " must be positive");
    graph::network net(cfg.name);
    auto x = net.input({1, res, res, opt.channels}, "input");
    const auto stem = cfg.fix_head_stem ? cfg.stem : round_filters(cfg.stem, cfg.width, cfg.divisor);
    x = net.conv2d(x, {.filters = stem, .kernel = 3, .stride = 2, .act = cfg.act, .name = "stem"});
    const auto blocks = scaled_effnet_blocks(cfg);
    for (std::size_t i = 0; i < blocks.size(); ++i)
        x = append_effnet_stage(net, x, blocks[i], cfg, "stage" + std::to_string(i + 1));
    const auto head = cfg.fix_head_stem ? cfg.head : round_filters(cfg.head, cfg.width, cfg.divisor);
    x = net.conv2d(x, {.filters = head, .act = cfg.act, .name = "head"});
    x = net.global_avg_pool(x, "pool");
    net.fully_connected(x, {.units = classes, .name = "logits"});
    return net;
}

/// The EfficientNet-B0 block table (tensorflow/tpu efficientnet_builder.py), with SE 0.25.
inline std::vector<effnet_block> efficientnet_b0_blocks() {
    return parse_effnet_blocks({"r1_k3_s11_e1_i32_o16_se0.25", "r2_k3_s22_e6_i16_o24_se0.25",
                                "r2_k5_s22_e6_i24_o40_se0.25", "r3_k3_s22_e6_i40_o80_se0.25",
                                "r3_k5_s11_e6_i80_o112_se0.25", "r4_k5_s22_e6_i112_o192_se0.25",
                                "r1_k3_s11_e6_i192_o320_se0.25"});
}

/// The EfficientNet-EdgeTPU block table (tensorflow/tpu efficientnet/edgetpu, S before scaling).
inline std::vector<effnet_block> efficientnet_edgetpu_blocks() {
    return parse_effnet_blocks({"r1_k3_s11_e4_i24_o24_c1_noskip", "r2_k3_s22_e8_i24_o32_c1",
                                "r4_k3_s22_e8_i32_o48_c1", "r5_k5_s22_e8_i48_o96", "r4_k5_s11_e8_i96_o144",
                                "r2_k5_s22_e8_i144_o192"});
}

/// Config of EfficientNet-B0 (224, 1000 classes, swish, SE).
inline effnet_config efficientnet_b0_config() {
    return {.name = "efficientnet_b0", .blocks = efficientnet_b0_blocks()};
}

/// Config of EfficientNet-EdgeTPU with the given coefficients (ReLU, no SE, 1001 classes).
inline effnet_config efficientnet_edgetpu_config(std::string name, double width, double depth,
                                                 std::int64_t resolution) {
    return {.name = std::move(name), .blocks = efficientnet_edgetpu_blocks(), .width = width, .depth = depth,
            .resolution = resolution, .classes = 1001, .act = graph::activation::relu,
            .se_inner = graph::activation::relu};
}

/// Config of EfficientNet-Lite`index` (0..4): B0 table without SE, ReLU6, stem/head not scaled.
inline effnet_config efficientnet_lite_config(int index) {
    struct row { double width, depth; std::int64_t res; };
    static constexpr row rows[] = {{1.0, 1.0, 224}, {1.0, 1.1, 240}, {1.1, 1.2, 260}, {1.2, 1.4, 280}, {1.4, 1.8, 300}};
    require(index >= 0 && index <= 4, "EfficientNet-Lite index ", index, " out of range (0..4)");
    auto blocks = efficientnet_b0_blocks();
    for (auto& b : blocks) b.se_ratio = 0.0;
    const auto& r = rows[index];
    return {.name = "efficientnet_lite" + std::to_string(index), .blocks = std::move(blocks), .width = r.width,
            .depth = r.depth, .resolution = r.res, .act = graph::activation::relu6,
            .se_inner = graph::activation::relu6, .fix_head_stem = true};
}

/// EfficientNet-B0 (Tan & Le 2019): 224x224, 1000 classes.
inline graph::network efficientnet_b0(const zoo_options& opt = {}) { return build_effnet(efficientnet_b0_config(), opt); }

/// EfficientNet-EdgeTPU-S: width 1.0, depth 1.0, 224x224, 1001 classes.
inline graph::network efficientnet_edgetpu_s(const zoo_options& opt = {}) {
    return build_effnet(efficientnet_edgetpu_config("efficientnet_edgetpu_s", 1.0, 1.0, 224), opt);
}
/// EfficientNet-EdgeTPU-M: width 1.0, depth 1.1, 240x240, 1001 classes.
inline graph::network efficientnet_edgetpu_m(const zoo_options& opt = {}) {
    return build_effnet(efficientnet_edgetpu_config("efficientnet_edgetpu_m", 1.0, 1.1, 240), opt);
}
/// EfficientNet-EdgeTPU-L: width 1.2, depth 1.4, 300x300, 1001 classes.
inline graph::network efficientnet_edgetpu_l(const zoo_options& opt = {}) {
    return build_effnet(efficientnet_edgetpu_config("efficientnet_edgetpu_l", 1.2, 1.4, 300), opt);
}

/// EfficientNet-Lite0: 224x224, 1000 classes.
inline graph::network efficientnet_lite0(const zoo_options& opt = {}) { return build_effnet(efficientnet_lite_config(0), opt); }
/// EfficientNet-Lite1: 240x240.
inline graph::network efficientnet_lite1(const zoo_options& opt = {}) { return build_effnet(efficientnet_lite_config(1), opt); }
/// EfficientNet-Lite2: 260x260.
inline graph::network efficientnet_lite2(const zoo_options& opt = {}) { return build_effnet(efficientnet_lite_config(2), opt); }
/// EfficientNet-Lite3: 280x280.
inline graph::network efficientnet_lite3(const zoo_options& opt = {}) { return build_effnet(efficientnet_lite_config(3), opt); }
/// EfficientNet-Lite4: 300x300.
inline graph::network efficientnet_lite4(const zoo_options& opt = {}) { return build_effnet(efficientnet_lite_config(4), opt); }

}  // namespace accelnas::zoo
