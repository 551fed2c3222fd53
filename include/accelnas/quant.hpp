#pragma once
/// \file
/// Umbrella header of accelnas::quant: batch-norm folding, float reference inference, calibration,
/// int8 inference and float-vs-int8 evaluation (docs/quant.md).

#include <accelnas/quant/calibrate.hpp>
#include <accelnas/quant/evaluate.hpp>
#include <accelnas/quant/fixed_point.hpp>
#include <accelnas/quant/fold.hpp>
#include <accelnas/quant/int8_model.hpp>
#include <accelnas/quant/parameters.hpp>
#include <accelnas/quant/reference.hpp>
