#pragma once
/// \file
/// The zoo registry: every reference network by name (`zoo::names()`, `zoo::build(name)`), and the
/// published figures each one is checked against (`zoo::published(name)`), with their sources.

#include <accelnas/core/error.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/zoo/densenet.hpp>
#include <accelnas/zoo/efficientnet.hpp>
#include <accelnas/zoo/inception.hpp>
#include <accelnas/zoo/mnasnet.hpp>
#include <accelnas/zoo/mobilenet.hpp>
#include <accelnas/zoo/options.hpp>
#include <accelnas/zoo/resnet.hpp>
#include <accelnas/zoo/squeezenet.hpp>
#include <accelnas/zoo/vgg.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accelnas::zoo {

/// One published figure and where it was published.
struct published_figure {
    double value = 0;             ///< MACs and params as plain counts, top-1 in percent
    std::string_view source;      ///< paper, repository table or reference file it comes from
};

/// The published figures of a zoo model. Counting conventions differ between sources; the flags say
/// what a figure counts so that a comparison with graph::cost_of can add the same things.
struct published_figures {
    std::optional<published_figure> macs;    ///< multiply-accumulates at the model's standard input size
    std::optional<published_figure> params;  ///< parameters
    std::optional<published_figure> top1;    ///< ImageNet top-1 accuracy in percent
    /// The params figure counts batch-norm scale and offset too (sources that count trainable
    /// variables: Keras applications, tensorflow/tpu); compare with params + bn_params.
    bool params_include_bn = false;
    /// The MACs figure also counts this many element-wise ops per conv output element (batch norm
    /// scale and offset and the activation, as a profiler of the unfolded graph does).
    int macs_elementwise_per_conv_output = 0;
    std::string_view note;                   ///< anything else a reader of the comparison must know
};

namespace detail {

using builder_fn = graph::network (*)(const zoo_options&);

struct zoo_entry {
    std::string_view name;
    builder_fn build;
    published_figures pub;
};

inline constexpr std::string_view src_slim_v1 =
    "TF-slim mobilenet_v1.md table (tensorflow/models research/slim/nets)";
inline constexpr std::string_view src_slim_mobilenet =
    "TF-slim mobilenet README table (tensorflow/models research/slim/nets/mobilenet)";
inline constexpr std::string_view src_v3_paper = "Howard et al. 2019, Searching for MobileNetV3, Table 3";
inline constexpr std::string_view src_arch = "reference/architectures.md";
inline constexpr std::string_view src_mnas = "Tan et al. 2019, MnasNet, Table 1";
inline constexpr std::string_view src_effnet = "Tan & Le 2019, EfficientNet, Table 2";
inline constexpr std::string_view src_lite_top1 = "tensorflow/tpu efficientnet/lite README table";
inline constexpr std::string_view src_keras = "Keras applications table (keras.io/api/applications)";
inline constexpr std::string_view src_he = "He et al. 2016, Deep Residual Learning, Table 1 (FLOPs = multiply-adds)";
inline constexpr std::string_view src_slim = "TF-slim README table (tensorflow/models research/slim)";
inline constexpr std::string_view src_torchvision =
    "torchvision models table (its GFLOPS column counts multiply-adds)";
inline constexpr std::string_view src_bianco =
    "Bianco et al. 2018, Benchmark analysis of representative deep neural network architectures";
// Inferred, not published: with 3 element-wise ops per conv output on top of conv/FC MACs all five
// Lite models agree with their published MACs within 0.5%; without them they are 3.4-5.7% below.
inline constexpr std::string_view lite_macs_note =
    "our inference: the Lite MACs figures also count 3 element-wise ops per conv output (BN scale, "
    "offset, activation); the source does not say how it counted";
inline constexpr std::string_view src_squeeze = "Iandola et al. 2016, SqueezeNet, Table 2";

inline graph::network build_mobilenet_v1(const zoo_options& o) { return mobilenet_v1(o); }
inline graph::network build_mobilenet_v1_025(const zoo_options& o) { return mobilenet_v1(o, 0.25); }
inline graph::network build_mobilenet_edgetpu(const zoo_options& o) { return mobilenet_edgetpu(o); }
inline graph::network build_mobilenet_edgetpu_075(const zoo_options& o) { return mobilenet_edgetpu(o, 0.75); }

inline const std::vector<zoo_entry>& registry() {
    using pf = published_figure;
    static const std::vector<zoo_entry> r = {
        {"mobilenet_v1", build_mobilenet_v1,
         {pf{569e6, src_slim_v1}, pf{4.24e6, src_slim_v1}, pf{70.9, src_slim_v1}, false, 0, {}}},
        {"mobilenet_v1_025", build_mobilenet_v1_025,
         {pf{41e6, src_slim_v1}, pf{0.47e6, src_slim_v1}, pf{49.8, src_slim_v1}, false, 0, {}}},
        {"mobilenet_v2", [](const zoo_options& o) { return mobilenet_v2(o); },
         {pf{300e6, src_slim_mobilenet}, pf{3.47e6, src_slim_mobilenet}, pf{71.8, src_slim_mobilenet}, false, 0, {}}},
        {"mobilenet_v3_large", [](const zoo_options& o) { return mobilenet_v3_large(o); },
         {pf{219e6, src_v3_paper}, pf{5.4e6, src_v3_paper}, pf{75.2, src_v3_paper}, false, 0, {}}},
        {"mobilenet_v3_large_minimalistic", [](const zoo_options& o) { return mobilenet_v3_large_minimalistic(o); },
         {pf{209e6, src_slim_mobilenet}, pf{3.9e6, src_slim_mobilenet}, pf{72.3, src_slim_mobilenet}, false, 0, {}}},
        {"mobilenet_edgetpu", build_mobilenet_edgetpu,
         {pf{990e6, src_arch}, pf{4.0e6, src_arch}, pf{75.6, src_arch}, false, 0,
          "top-1 of the int8 model; params published to two significant digits"}},
        {"mobilenet_edgetpu_075", build_mobilenet_edgetpu_075,
         {pf{624e6, src_arch}, pf{2.9e6, src_arch}, pf{73.5, src_arch}, false, 0,
          "top-1 of the int8 model; params published to two significant digits, truncated (dm=1.0 has "
          "4.05 M and is listed as 4.0 M), so 2.9 M stands for [2.9, 3.0) M"}},
        {"mnasnet_a1", [](const zoo_options& o) { return mnasnet_a1(o); },
         {pf{312e6, src_mnas}, pf{3.9e6, src_mnas}, pf{75.2, src_mnas}, true, 0, {}}},
        {"efficientnet_b0", [](const zoo_options& o) { return efficientnet_b0(o); },
         {pf{390e6, src_effnet}, pf{5.3e6, src_effnet}, pf{77.1, src_effnet}, true, 0,
          "params count trainable variables (Keras: 5,288,548 trainable)"}},
        {"efficientnet_edgetpu_s", [](const zoo_options& o) { return efficientnet_edgetpu_s(o); },
         {pf{1.79e9, src_arch}, pf{5.39e6, src_arch}, pf{77.23, src_arch}, false, 0, "float top-1"}},
        {"efficientnet_edgetpu_m", [](const zoo_options& o) { return efficientnet_edgetpu_m(o); },
         {pf{3.01e9, src_arch}, pf{6.83e6, src_arch}, pf{78.69, src_arch}, false, 0, "float top-1"}},
        {"efficientnet_edgetpu_l", [](const zoo_options& o) { return efficientnet_edgetpu_l(o); },
         {pf{7.94e9, src_arch}, pf{10.50e6, src_arch}, pf{80.62, src_arch}, false, 0, "float top-1"}},
        {"efficientnet_lite0", [](const zoo_options& o) { return efficientnet_lite0(o); },
         {pf{407e6, src_arch}, pf{4.7e6, src_arch}, pf{75.1, src_lite_top1}, true, 3,
          lite_macs_note}},
        {"efficientnet_lite1", [](const zoo_options& o) { return efficientnet_lite1(o); },
         {pf{631e6, src_arch}, pf{5.4e6, src_arch}, pf{76.7, src_lite_top1}, true, 3,
          lite_macs_note}},
        {"efficientnet_lite2", [](const zoo_options& o) { return efficientnet_lite2(o); },
         {pf{899e6, src_arch}, pf{6.1e6, src_arch}, pf{77.6, src_lite_top1}, true, 3,
          lite_macs_note}},
        {"efficientnet_lite3", [](const zoo_options& o) { return efficientnet_lite3(o); },
         {pf{1.44e9, src_arch}, pf{8.2e6, src_arch}, pf{79.8, src_lite_top1}, true, 3,
          lite_macs_note}},
        {"efficientnet_lite4", [](const zoo_options& o) { return efficientnet_lite4(o); },
         {pf{2.64e9, src_arch}, pf{13.0e6, src_arch}, pf{81.5, src_lite_top1}, true, 3,
          lite_macs_note}},
        {"resnet50_v1", [](const zoo_options& o) { return resnet50_v1(o); },
         {pf{3.8e9, src_he}, pf{25.6e6, src_keras}, pf{74.9, src_keras}, false, 0,
          "MACs of the original ResNet-50 (stride in the first 1x1 conv); Keras' params include BN statistics"}},
        {"resnet50_v2", [](const zoo_options& o) { return resnet50_v2(o); },
         {std::nullopt, pf{25.6e6, src_keras}, pf{76.0, src_keras}, false, 0, {}}},
        {"resnet152_v2", [](const zoo_options& o) { return resnet152_v2(o); },
         {std::nullopt, pf{60.4e6, src_keras}, pf{78.0, src_keras}, false, 0, {}}},
        {"inception_v1", [](const zoo_options& o) { return inception_v1(o); },
         {pf{1.50e9, src_torchvision}, pf{6.62e6, src_torchvision}, pf{69.8, src_slim}, true, 0,
          "torchvision googlenet (same layout: BN, 3x3 in the 5x5 branch); params include BN affine"}},
        {"inception_v3", [](const zoo_options& o) { return inception_v3(o); },
         {pf{5.71e9, src_torchvision}, pf{23.9e6, src_keras}, pf{77.9, src_keras}, false, 0, {}}},
        {"inception_v4", [](const zoo_options& o) { return inception_v4(o); },
         {pf{12.3e9, src_bianco}, pf{42.7e6, src_bianco}, pf{80.2, src_slim}, false, 0,
          "commonly quoted counts, not re-checked against the original paper"}},
        {"inception_resnet_v2", [](const zoo_options& o) { return inception_resnet_v2(o); },
         {pf{13.2e9, src_bianco}, pf{55.9e6, src_keras}, pf{80.3, src_keras}, false, 0,
          "MACs: commonly quoted count, not re-checked against the original paper"}},
        {"densenet121", [](const zoo_options& o) { return densenet121(o); },
         {pf{2.83e9, src_torchvision}, pf{7.98e6, src_torchvision}, pf{75.0, src_keras}, true, 0,
          "torchvision's 7,978,856 params include BN affine"}},
        {"squeezenet", [](const zoo_options& o) { return squeezenet(o); },
         {pf{0.82e9, src_torchvision}, pf{1.25e6, src_squeeze}, pf{57.5, src_squeeze}, false, 0, "SqueezeNet 1.0"}},
        {"vgg16", [](const zoo_options& o) { return vgg16(o); },
         {pf{15.47e9, src_torchvision}, pf{138.36e6, src_keras}, pf{71.3, src_keras}, false, 0, {}}},
        {"vgg19", [](const zoo_options& o) { return vgg19(o); },
         {pf{19.6e9, "He et al. 2016, Deep Residual Learning, Sec. 3.3"}, pf{143.67e6, src_keras}, pf{71.3, src_keras},
          false, 0, {}}},
    };
    return r;
}

inline const zoo_entry* find_entry(std::string_view name) {
    for (const auto& e : registry())
        if (e.name == name) return &e;
    return nullptr;
}

inline std::string known_names() {
    std::string s;
    for (const auto& e : registry()) s += (s.empty() ? "" : ", ") + std::string(e.name);
    return s;
}

inline const zoo_entry& entry(std::string_view name) {
    const auto* e = find_entry(name);
    if (!e) fail("unknown zoo model '", name, "' (known: ", known_names(), ")");
    return *e;
}

}  // namespace detail

/// Names of all zoo models, in the order of the zoo table.
inline std::vector<std::string> names() {
    std::vector<std::string> r;
    for (const auto& e : detail::registry()) r.emplace_back(e.name);
    return r;
}

/// True when `name` is a zoo model name.
inline bool contains(std::string_view name) { return detail::find_entry(name) != nullptr; }

/// Builds zoo model `name` (options override resolution, classes, channels); the network is named
/// `name`. Unknown names raise accelnas::error "unknown zoo model 'x' (known: ...)".
inline graph::network build(std::string_view name, const zoo_options& opt = {}) {
    const auto& e = detail::entry(name);
    graph::network net;
    try {
        net = e.build(opt);
    } catch (const error& err) {
        // Builder errors name the op ("op 'pool3': VALID kernel ..."); add the model unless the
        // builder already did (its own option checks say "zoo model '<name>': ...").
        const std::string what = err.what();
        if (what.rfind("zoo model '", 0) == 0) throw;
        fail("zoo model '", name, "' (resolution ", opt.resolution, ", classes ", opt.classes, ", channels ",
             opt.channels, "; 0 = default): ", what);
    }
    net.set_name(std::string(name));
    return net;
}

/// The published figures of zoo model `name` (with their sources); unknown names raise accelnas::error.
inline const published_figures& published(std::string_view name) { return detail::entry(name).pub; }

/// MACs and params of a network counted the way a published figure counts them.
struct published_counts {
    std::int64_t macs = 0;    ///< conv/FC MACs, plus the element-wise ops the source counts
    std::int64_t params = 0;  ///< weights + biases, plus batch-norm scale/offset if the source counts them
};

/// Counts `net` the way `pub` was counted (see published_figures' flags), for a like-for-like comparison.
inline published_counts count_like(const graph::network& net, const published_figures& pub) {
    const auto c = graph::cost_of(net);
    published_counts r{c.macs, c.params + (pub.params_include_bn ? c.bn_params : 0)};
    if (pub.macs_elementwise_per_conv_output > 0)
        for (const auto& o : net.ops())
            if (o.kind == graph::op_kind::conv2d) r.macs += pub.macs_elementwise_per_conv_output * o.out.elements();
    return r;
}

}  // namespace accelnas::zoo
