#pragma once
/// \file
/// The network IR: ops, the network builder, costs, JSON and summaries.
#include <accelnas/graph/activation.hpp>
#include <accelnas/graph/blocks.hpp>
#include <accelnas/graph/cost.hpp>
#include <accelnas/graph/geometry.hpp>
#include <accelnas/graph/json.hpp>
#include <accelnas/graph/network.hpp>
#include <accelnas/graph/op.hpp>
#include <accelnas/graph/summary.hpp>
