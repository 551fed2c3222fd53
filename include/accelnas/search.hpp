#pragma once
/// \file
/// Umbrella header of the search part: controllers, rewards, Pareto archive, journal, driver,
/// progress and result writers.

#include <accelnas/search/any_controller.hpp>
#include <accelnas/search/controller.hpp>
#include <accelnas/search/driver.hpp>
#include <accelnas/search/evaluation.hpp>
#include <accelnas/search/evolution.hpp>
#include <accelnas/search/journal.hpp>
#include <accelnas/search/layout.hpp>
#include <accelnas/search/pareto.hpp>
#include <accelnas/search/progress.hpp>
#include <accelnas/search/random_search.hpp>
#include <accelnas/search/reinforce.hpp>
#include <accelnas/search/results.hpp>
#include <accelnas/search/reward.hpp>
#include <accelnas/search/rnn_controller.hpp>
