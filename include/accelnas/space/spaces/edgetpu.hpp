#pragma once
/// \file
/// The Edge TPU search space of Gupta & Akin 2020 (the Coral space EfficientNet-EdgeTPU was searched
/// in): MnasNet-derived, with the fused inverted bottleneck added to the block kinds and
/// squeeze-and-excitation and swish removed (both ran poorly on the Edge TPU). Six stages on
/// EfficientNet-EdgeTPU-S's skeleton; per stage the block kind (conv, dwsep, IBN, fused IBN), kernel
/// 3/5, expansion 4/8, skip identity/none, filter multiplier 0.75/1.0/1.25 and layers -1/0/+1.

#include <accelnas/space/blocks/conv.hpp>
#include <accelnas/space/blocks/dwsep.hpp>
#include <accelnas/space/blocks/fused_ibn.hpp>
#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/search_space.hpp>

#include <string_view>

namespace accelnas::space {

/// The per-stage choices of the Edge TPU space.
template <std::int64_t Filters, int Stride, int Layers>
using edgetpu_stage = stage<Filters, Stride, Layers,
                            blocks<conv_block, dwsep_block, ibn_block, fused_ibn_block>,
                            kernels<3, 5>, expansions<4, 8>, skips<skip_kind::identity, skip_kind::none>,
                            width_multipliers<0.75, 1.0, 1.25>, layer_deltas<-1, 0, 1>>;

/// The Edge TPU space: stem 3x3/2 to 32, six stages (24, 32, 48, 96, 144, 192 filters; strides
/// 1, 2, 2, 2, 1, 2; base layers 1, 2, 4, 5, 4, 2), head 1x1 to 1280, ReLU everywhere, expansion
/// from the nominal input filters as in the EfficientNet-EdgeTPU code.
struct edgetpu : search_space<stem<32>, head<1280>, edgetpu_stage<24, 1, 1>, edgetpu_stage<32, 2, 2>,
                              edgetpu_stage<48, 2, 4>, edgetpu_stage<96, 2, 5>, edgetpu_stage<144, 1, 4>,
                              edgetpu_stage<192, 2, 2>> {
    /// Space name.
    static constexpr std::string_view name = "edgetpu";
    /// Deployed (and priced by the searches) at 224x224x3 with ImageNet\'s 1000 classes.
    static constexpr deployment_input deployment{.resolution = 224, .channels = 3, .classes = 1000};
    /// EfficientNet-EdgeTPU expands the nominal input filters (stage 1: 24 * 4, not 32 * 4).
    static constexpr expansion_rule expansion = expansion_rule::nominal_input;
};
static_assert(search_space_type<edgetpu>);

/// EfficientNet-EdgeTPU-S as a point of the `edgetpu` space (stage 1 is TF's `noskip`).
inline constexpr std::string_view efficientnet_edgetpu_s_text =
    "block=fused_ibn,kernel=3,expand=4,skip=none,width=1,layers=0/"
    "block=fused_ibn,kernel=3,expand=8,skip=identity,width=1,layers=0/"
    "block=fused_ibn,kernel=3,expand=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=5,expand=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=5,expand=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=5,expand=8,skip=identity,width=1,layers=0";

/// EfficientNet-EdgeTPU-S as an architecture of the `edgetpu` space.
inline architecture efficientnet_edgetpu_s_arch() { return parse<edgetpu>(efficientnet_edgetpu_s_text); }

/// Compound scaling of EfficientNet-EdgeTPU-M (width 1.0, depth 1.1, 240x240).
inline constexpr compound_scaling efficientnet_edgetpu_m_scaling{.width = 1.0, .depth = 1.1, .resolution = 240};
/// Compound scaling of EfficientNet-EdgeTPU-L (width 1.2, depth 1.4, 300x300).
inline constexpr compound_scaling efficientnet_edgetpu_l_scaling{.width = 1.2, .depth = 1.4, .resolution = 300};

}  // namespace accelnas::space
