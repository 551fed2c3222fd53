#pragma once
/// \file
/// A search space in the spirit of MobileNetEdgeTPUV2's (tensorflow/models,
/// official/projects/edgetpu/vision: "IBN variants: conventional with depthwise, fused IBN, GC-IBN
/// with group convolutions in the expansion phase"; per layer the kernel size, channel multiplier,
/// expansion ratio and groups). Per stage the block type (IBN, fused IBN, GC-IBN), kernel 3/5,
/// expansion 4/8, GC-IBN group size 16/32/64 input channels per group, filter multiplier
/// 0.75/1.0/1.25. The skeleton is MobilenetEdgeTPU's (no published V2 point is claimed here).

#include <accelnas/space/blocks/fused_ibn.hpp>
#include <accelnas/space/blocks/gc_ibn.hpp>
#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/search_space.hpp>

#include <string_view>

namespace accelnas::space {

/// The per-stage choices of the Edge TPU V2 space.
template <std::int64_t Filters, int Stride, int Layers>
using edgetpu_v2_stage = stage<Filters, Stride, Layers, blocks<ibn_block, fused_ibn_block, gc_ibn_block>,
                               kernels<3, 5>, expansions<4, 8>, group_sizes<16, 32, 64>,
                               width_multipliers<0.75, 1.0, 1.25>>;

/// The Edge TPU V2 space: stem 3x3/2 to 32, seven stages (16, 32, 48, 96, 96, 160, 192 filters;
/// strides 1, 2, 2, 2, 1, 2, 1; layers 1, 2, 3, 4, 3, 4, 1), head 1x1 to 1280, ReLU, expansion of
/// the actual input channels.
struct edgetpu_v2 : search_space<stem<32>, head<1280>, edgetpu_v2_stage<16, 1, 1>, edgetpu_v2_stage<32, 2, 2>,
                                 edgetpu_v2_stage<48, 2, 3>, edgetpu_v2_stage<96, 2, 4>, edgetpu_v2_stage<96, 1, 3>,
                                 edgetpu_v2_stage<160, 2, 4>, edgetpu_v2_stage<192, 1, 1>> {
    /// Space name.
    static constexpr std::string_view name = "edgetpu_v2";
    /// Deployed (and priced by the searches) at 224x224x3 with ImageNet's 1000 classes.
    static constexpr deployment_input deployment{.resolution = 224, .channels = 3, .classes = 1000};
    /// Expansion of the block's actual input channels.
    static constexpr expansion_rule expansion = expansion_rule::actual_input;
};
static_assert(search_space_type<edgetpu_v2>);

}  // namespace accelnas::space
