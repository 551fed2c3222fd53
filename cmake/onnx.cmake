# Optional ONNX import and export: accelnas::onnx, an INTERFACE target carrying the headers in
# include/accelnas/onnx/ and linking Debian's libonnx-dev (the ONNX protobuf schema, libonnx_proto,
# and the checker in libonnx). Built only when ONNX (CMake config) and protobuf are found; the
# header-only library never includes these headers.
find_package(Protobuf 3 QUIET)
find_package(ONNX CONFIG QUIET)
if(NOT Protobuf_FOUND OR NOT ONNX_FOUND OR NOT TARGET onnx_proto OR NOT TARGET onnx)
  message(STATUS "accelnas: ONNX (libonnx-dev) or protobuf not found: ONNX import/export (accelnas::onnx, accelnas-export) is not built")
  return()
endif()
message(STATUS "accelnas: building ONNX import/export (ONNX ${ONNX_VERSION}, protobuf ${Protobuf_VERSION})")

add_library(accelnas_onnx INTERFACE)
add_library(accelnas::onnx ALIAS accelnas_onnx)
set_target_properties(accelnas_onnx PROPERTIES EXPORT_NAME onnx)
target_link_libraries(accelnas_onnx INTERFACE accelnas::accelnas onnx onnx_proto protobuf::libprotobuf)
target_compile_definitions(accelnas_onnx INTERFACE ACCELNAS_WITH_ONNX)
target_sources(accelnas_onnx INTERFACE
  FILE_SET HEADERS BASE_DIRS ${PROJECT_SOURCE_DIR}/include FILES ${ACCELNAS_ONNX_HEADERS})
install(TARGETS accelnas_onnx EXPORT accelnasOnnxTargets FILE_SET HEADERS)
install(EXPORT accelnasOnnxTargets NAMESPACE accelnas:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/accelnas)
export(EXPORT accelnasOnnxTargets NAMESPACE accelnas:: FILE ${PROJECT_BINARY_DIR}/accelnasOnnxTargets.cmake)
