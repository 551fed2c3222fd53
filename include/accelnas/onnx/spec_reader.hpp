#pragma once
/// \file
/// Plugs the ONNX importer into the model-spec grammar of the tools (app/spec.hpp), which cannot
/// include ONNX headers itself.

#include <accelnas/app/spec.hpp>
#include <accelnas/onnx/import.hpp>

#include <string>

namespace accelnas::onnx {

/// Lets the model-spec grammar (app/spec.hpp) read ".onnx" paths with `opt`: tools built with the ONNX
/// component call this once before resolving specs.
inline void enable_onnx_specs(const import_options& opt = {}) {
    app::onnx_spec_reader() = [opt](const std::string& path) { return import_file(path, opt); };
}

}  // namespace accelnas::onnx
