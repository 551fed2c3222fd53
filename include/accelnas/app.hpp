#pragma once
/// \file
/// Umbrella header of the application part: the one place that joins the library parts (search
/// with train, hw and zoo) into what the accelnas-* tools do: the model-spec grammar, the proxy
/// task, rewards and targets by name, the search run with its outputs, calibration and training
/// runs, the report formatters, and the rules every tool follows (exit codes, messages).

#include <accelnas/app/calibration.hpp>
#include <accelnas/app/data.hpp>
#include <accelnas/app/format.hpp>
#include <accelnas/app/info_report.hpp>
#include <accelnas/app/latency_report.hpp>
#include <accelnas/app/oneshot.hpp>
#include <accelnas/app/proxy.hpp>
#include <accelnas/app/reward.hpp>
#include <accelnas/app/search_run.hpp>
#include <accelnas/app/space_report.hpp>
#include <accelnas/app/spec.hpp>
#include <accelnas/app/targets.hpp>
#include <accelnas/app/tool.hpp>
#include <accelnas/app/training.hpp>
