# Search spaces: the commented tutorial and the accelnas-space tool, with smoke tests.
accelnas_add_example(space_tutorial ${CMAKE_CURRENT_SOURCE_DIR}/space_tutorial.cpp)
accelnas_smoke_test("space tutorial" example_space_tutorial --samples 4 --seed 7)
