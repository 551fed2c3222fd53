# ONNX support in the tools (optional: only when accelnas::onnx was built). accelnas-info and
# accelnas-estimate read model.onnx specs, accelnas-search writes best.onnx, accelnas-export writes
# networks as ONNX.
if(NOT TARGET accelnas_onnx)
  return()
endif()
foreach(tool IN ITEMS info estimate search)
  if(TARGET accelnas-${tool})
    target_link_libraries(accelnas-${tool} PRIVATE accelnas::onnx)
  endif()
endforeach()

accelnas_add_tool(export ${CMAKE_CURRENT_SOURCE_DIR}/tools/export.cpp)
target_link_libraries(accelnas-export PRIVATE accelnas::onnx)

# Import of an ONNX model plus its coral-usb estimate, timed (docs/onnx.md "Speed").
accelnas_add_example(onnx_speed ${CMAKE_CURRENT_SOURCE_DIR}/onnx_speed.cpp)
target_link_libraries(example_onnx_speed PRIVATE accelnas::onnx)
