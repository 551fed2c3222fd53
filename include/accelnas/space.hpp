#pragma once
/// \file
/// Umbrella header of the search-space part: choice lists, stages, spaces as types, the
/// architecture codec, compound scaling, the shipped spaces and the run-time registry.

#include <accelnas/space/architecture.hpp>
#include <accelnas/space/choices.hpp>
#include <accelnas/space/codec.hpp>
#include <accelnas/space/description.hpp>
#include <accelnas/space/plan.hpp>
#include <accelnas/space/registry.hpp>
#include <accelnas/space/scaling.hpp>
#include <accelnas/space/search_space.hpp>
#include <accelnas/space/spaces/edgetpu.hpp>
#include <accelnas/space/spaces/mnasnet.hpp>
#include <accelnas/space/spaces/pixel4.hpp>
#include <accelnas/space/stage.hpp>
