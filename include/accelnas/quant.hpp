#pragma once
/// \file
/// Umbrella header of accelnas::quant: batch-norm folding, float reference inference, activation
/// ranges, the int8 quantizer and interpreter, and float-vs-int8 evaluation (docs/quant.md).

#include <accelnas/quant/evaluate.hpp>
#include <accelnas/quant/fixed_point.hpp>
#include <accelnas/quant/fold.hpp>
#include <accelnas/quant/int8_model.hpp>
#include <accelnas/quant/parameter_index.hpp>
#include <accelnas/quant/quantizer.hpp>
#include <accelnas/quant/ranges.hpp>
#include <accelnas/quant/reference.hpp>
