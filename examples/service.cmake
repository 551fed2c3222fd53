# The latency estimation server accelnas-serve (optional: only when accelnas::service was built).
if(NOT TARGET accelnas_service)
  return()
endif()
accelnas_add_tool(serve ${CMAKE_CURRENT_SOURCE_DIR}/tools/serve.cpp)
target_link_libraries(accelnas-serve PRIVATE accelnas::service)
