# Accelerator models: tools, examples and their smoke tests.
accelnas_add_tool(calibrate ${CMAKE_CURRENT_SOURCE_DIR}/tools/calibrate.cpp)
