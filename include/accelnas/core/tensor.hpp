#pragma once
/// \file
/// The one place accelnas includes xtensor from (xtensor 0.26 moved its headers under
/// xtensor/containers, xtensor/core, ...). Keep XTENSOR_USE_XSIMD off: it changes the allocator per -march.

#if __has_include(<xtensor/containers/xtensor.hpp>)
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/containers/xtensor.hpp>
#include <xtensor/core/xmath.hpp>
#include <xtensor/views/xview.hpp>
#else
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#endif
