#pragma once
/// \file
/// Umbrella header of the search-space part: the block concept and the shipped blocks, choice
/// lists, stages, spaces as types, the architecture codec, canonical encodings, compound scaling,
/// the shipped spaces and the run-time registry.

#include <accelnas/space/architecture.hpp>
#include <accelnas/space/block.hpp>
#include <accelnas/space/blocks/conv.hpp>
#include <accelnas/space/blocks/dwsep.hpp>
#include <accelnas/space/blocks/fused_ibn.hpp>
#include <accelnas/space/blocks/gc_ibn.hpp>
#include <accelnas/space/blocks/ibn.hpp>
#include <accelnas/space/blocks/tucker.hpp>
#include <accelnas/space/canonical.hpp>
#include <accelnas/space/choices.hpp>
#include <accelnas/space/codec.hpp>
#include <accelnas/space/description.hpp>
#include <accelnas/space/plan.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/space/scaling.hpp>
#include <accelnas/space/search_space.hpp>
#include <accelnas/space/spaces/edgetpu.hpp>
#include <accelnas/space/spaces/edgetpu_v2.hpp>
#include <accelnas/space/spaces/mnasnet.hpp>
#include <accelnas/space/spaces/pixel4.hpp>
#include <accelnas/space/stage.hpp>
