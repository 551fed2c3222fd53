#pragma once
/// \file
/// Umbrella header: every part of accelnas. Include a part's own header to compile less.
#include <accelnas/app.hpp>
#include <accelnas/graph.hpp>
#include <accelnas/hw.hpp>
#include <accelnas/quant.hpp>
#include <accelnas/search.hpp>
#include <accelnas/space.hpp>
#include <accelnas/train.hpp>
#include <accelnas/zoo.hpp>
