#pragma once
/// \file
/// Accelerator models: the concept and report, device configs, the Edge TPU cycle-level simulator
/// and analytical performance model (APM), the generic systolic array, the mobile CPU, compiler
/// partitioning, calibration (measurements, free parameters, the fit), and the shipped targets.
#include <accelnas/hw/accelerator.hpp>
#include <accelnas/hw/any_accelerator.hpp>
#include <accelnas/hw/apm.hpp>
#include <accelnas/hw/apm_fit.hpp>
#include <accelnas/hw/compact_network.hpp>
#include <accelnas/hw/compiler.hpp>
#include <accelnas/hw/config.hpp>
#include <accelnas/hw/config_json.hpp>
#include <accelnas/hw/cpu.hpp>
#include <accelnas/hw/fit_config.hpp>
#include <accelnas/hw/free_parameters.hpp>
#include <accelnas/hw/mapping.hpp>
#include <accelnas/hw/measurements.hpp>
#include <accelnas/hw/partition.hpp>
#include <accelnas/hw/report.hpp>
#include <accelnas/hw/report_json.hpp>
#include <accelnas/hw/sim/device.hpp>
#include <accelnas/hw/sim/engine.hpp>
#include <accelnas/hw/sim/trace.hpp>
#include <accelnas/hw/simulator.hpp>
#include <accelnas/hw/systolic.hpp>
#include <accelnas/hw/targets.hpp>
