#pragma once
/// \file
/// Search results on disk, one writer per format: CSV (results_csv.hpp), JSON (results_json.hpp)
/// and the SVG plot of the Pareto front (pareto_svg.hpp). Include this header for all three.

#include <accelnas/search/pareto_svg.hpp>
#include <accelnas/search/results_csv.hpp>
#include <accelnas/search/results_json.hpp>
