#pragma once
/// \file
/// The Pixel 4 variant of the Edge TPU space: the space MobilenetEdgeTPU (tuned for the Pixel 4
/// Edge TPU) is a point of. Same block kinds, kernels, skip, width and layer choices as `edgetpu`
/// (fused IBN in, SE and swish out), with these changes, each needed by the published model:
/// - seven stages (MnasNet's count) on MobilenetEdgeTPU's skeleton: 16, 32, 48, 96, 96, 160, 192
///   filters, strides 1, 2, 2, 2, 1, 2, 1, base layers 1, 4, 4, 4, 4, 4, 1;
/// - a separate expansion for the first block of each stage (`expand_first`, 1/4/8; MobilenetEdgeTPU
///   uses 8 there and 4 elsewhere, and 1 in its first block);
/// - expansion from the actual input channels, skipped when it does not widen them (TF-slim's
///   `expand_input_by_factor`, as the MobilenetEdgeTPU definition uses).

#include <accelnas/space/blocks/conv.hpp>
#include <accelnas/space/blocks/dwsep.hpp>
#include <accelnas/space/blocks/fused_ibn.hpp>
#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/search_space.hpp>

#include <string_view>

namespace accelnas::space {

/// The per-stage choices of the Pixel 4 space.
template <std::int64_t Filters, int Stride, int Layers>
using pixel4_stage = stage<Filters, Stride, Layers,
                           blocks<conv_block, dwsep_block, ibn_block, fused_ibn_block>,
                           kernels<3, 5>, expansions<4, 8>, first_expansions<1, 4, 8>,
                           skips<skip_kind::identity, skip_kind::none>, width_multipliers<0.75, 1.0, 1.25>,
                           layer_deltas<-1, 0, 1>>;

/// The Pixel 4 space (see the file comment): stem 3x3/2 to 32, seven stages, head 1x1 to 1280.
struct pixel4 : search_space<stem<32>, head<1280>, pixel4_stage<16, 1, 1>, pixel4_stage<32, 2, 4>,
                             pixel4_stage<48, 2, 4>, pixel4_stage<96, 2, 4>, pixel4_stage<96, 1, 4>,
                             pixel4_stage<160, 2, 4>, pixel4_stage<192, 1, 1>> {
    /// Space name.
    static constexpr std::string_view name = "pixel4";
    /// Deployed (and priced by the searches) at 224x224x3 with ImageNet\'s 1000 classes.
    static constexpr deployment_input deployment{.resolution = 224, .channels = 3, .classes = 1000};
    /// TF-slim semantics: make_divisible(actual input * ratio, 8), skipped unless it widens.
    static constexpr expansion_rule expansion = expansion_rule::actual_input;
};
static_assert(search_space_type<pixel4>);

/// MobilenetEdgeTPU as a point of the `pixel4` space.
inline constexpr std::string_view mobilenet_edgetpu_text =
    "block=fused_ibn,kernel=3,expand=4,expand_first=1,skip=identity,width=1,layers=0/"
    "block=fused_ibn,kernel=3,expand=4,expand_first=8,skip=identity,width=1,layers=0/"
    "block=fused_ibn,kernel=3,expand=4,expand_first=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=3,expand=4,expand_first=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=3,expand=4,expand_first=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=5,expand=4,expand_first=8,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=3,expand=4,expand_first=8,skip=identity,width=1,layers=0";

/// MobilenetEdgeTPU as an architecture of the `pixel4` space.
inline architecture mobilenet_edgetpu_arch() { return parse<pixel4>(mobilenet_edgetpu_text); }

}  // namespace accelnas::space
