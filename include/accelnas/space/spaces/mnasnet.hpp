#pragma once
/// \file
/// The MnasNet search space (Tan et al. 2019, "MnasNet", section 4.1): a factorized hierarchical
/// space of seven stages with MnasNet-A1's base widths, strides and layer counts; per stage the conv
/// op (regular conv, depthwise-separable conv, inverted bottleneck), kernel 3/5, expansion 3/6 (the
/// MBConv3/MBConv6 of MnasNet-A1), SE ratio 0/0.25, activation relu/swish, skip identity/none,
/// filter multiplier 0.75/1.0/1.25 and layers -1/0/+1 around the base.

#include <accelnas/space/blocks/conv.hpp>
#include <accelnas/space/blocks/dwsep.hpp>
#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/search_space.hpp>

#include <string_view>

namespace accelnas::space {

/// The per-stage choices of the MnasNet space.
template <std::int64_t Filters, int Stride, int Layers>
using mnasnet_stage =
    stage<Filters, Stride, Layers, blocks<conv_block, dwsep_block, ibn_block>, kernels<3, 5>,
          expansions<3, 6>, se_ratios<0.0, 0.25>, activations<graph::activation::relu, graph::activation::swish>,
          skips<skip_kind::identity, skip_kind::none>, width_multipliers<0.75, 1.0, 1.25>, layer_deltas<-1, 0, 1>>;

/// The MnasNet space: stem 3x3/2 to 32, seven stages (16, 24, 40, 80, 112, 160, 320 filters;
/// strides 1, 2, 2, 2, 1, 2, 1; base layers 1, 2, 3, 4, 2, 3, 1), head 1x1 to 1280.
struct mnasnet : search_space<stem<32>, head<1280>, mnasnet_stage<16, 1, 1>, mnasnet_stage<24, 2, 2>,
                              mnasnet_stage<40, 2, 3>, mnasnet_stage<80, 2, 4>, mnasnet_stage<112, 1, 2>,
                              mnasnet_stage<160, 2, 3>, mnasnet_stage<320, 1, 1>> {
    /// Space name.
    static constexpr std::string_view name = "mnasnet";
    /// Deployed (and priced by the searches) at 224x224x3 with ImageNet\'s 1000 classes.
    static constexpr deployment_input deployment{.resolution = 224, .channels = 3, .classes = 1000};
    /// MnasNet's TF code expands the real input (stage 1's nominal input is the stem's 32 anyway).
    static constexpr expansion_rule expansion = expansion_rule::actual_input;
};
static_assert(search_space_type<mnasnet>);

/// MnasNet-A1 (Tan et al. 2019, figure 7) as a point of the `mnasnet` space.
inline constexpr std::string_view mnasnet_a1_text =
    "block=dwsep,kernel=3,expand=6,se=0,act=relu,skip=none,width=1,layers=0/"
    "block=ibn,kernel=3,expand=6,se=0,act=relu,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=5,expand=3,se=0.25,act=relu,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=3,expand=6,se=0,act=relu,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=3,expand=6,se=0.25,act=relu,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=5,expand=6,se=0.25,act=relu,skip=identity,width=1,layers=0/"
    "block=ibn,kernel=3,expand=6,se=0,act=relu,skip=identity,width=1,layers=0";

/// MnasNet-A1 as an architecture of the `mnasnet` space.
inline architecture mnasnet_a1_arch() { return parse<mnasnet>(mnasnet_a1_text); }

}  // namespace accelnas::space
