# Search spaces: the commented tutorial and the accelnas-space tool, with smoke tests.
accelnas_add_example(space_tutorial ${CMAKE_CURRENT_SOURCE_DIR}/space_tutorial.cpp)
accelnas_smoke_test("space tutorial" example_space_tutorial --samples 4 --seed 7)
# The program of docs/space.md.
accelnas_doc_example(space_quickstart ${CMAKE_CURRENT_SOURCE_DIR}/space_quickstart.cpp)

accelnas_add_tool(space ${CMAKE_CURRENT_SOURCE_DIR}/tools/space.cpp)
accelnas_smoke_test("space: list" accelnas-space)
accelnas_smoke_test("space: decisions" accelnas-space --space pixel4 --decisions)
accelnas_smoke_test("space: sample" accelnas-space --space mnasnet --sample 3 --seed 5 --resolution 160)
accelnas_smoke_test("space: known" accelnas-space --known)
accelnas_smoke_test("space: decode scaled" accelnas-space --space edgetpu --scale 1.2,1.4,300 --classes 1001 --decode
  "block=fused_ibn,kernel=3,expand=4,skip=none,width=1,layers=0/block=fused_ibn,kernel=3,expand=8,skip=identity,width=1,layers=0/block=fused_ibn,kernel=3,expand=8,skip=identity,width=1,layers=0/block=ibn,kernel=5,expand=8,skip=identity,width=1,layers=0/block=ibn,kernel=5,expand=8,skip=identity,width=1,layers=0/block=ibn,kernel=5,expand=8,skip=identity,width=1,layers=0")
accelnas_smoke_test("space: edgetpu_v2 decisions" accelnas-space --space edgetpu_v2 --decisions)
foreach(_s IN ITEMS mnasnet edgetpu pixel4 edgetpu_v2)
  accelnas_smoke_test("space: ${_s} size" accelnas-space --space ${_s} --size)
  if(ACCELNAS_BUILD_TESTS)
    set_tests_properties("examples: space: ${_s} size" PROPERTIES PASS_REGULAR_EXPRESSION "${_s}: distinct [0-9]+ networks \\(10\\^[0-9.]+, exact\\)")
  endif()
endforeach()
accelnas_smoke_test("space: bad arch fails" accelnas-space --space edgetpu --decode "block=ibn")
accelnas_smoke_test("space: bad space fails" accelnas-space --space edge)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: space: bad arch fails" PROPERTIES WILL_FAIL TRUE)
  set_tests_properties("examples: space: bad space fails" PROPERTIES WILL_FAIL TRUE)
  # The scaled EdgeTPU-S point must print EfficientNet-EdgeTPU-L's 7,936 M MACs.
  set_tests_properties("examples: space: decode scaled" PROPERTIES PASS_REGULAR_EXPRESSION "7936\\.08 M MACs")
  set_tests_properties("examples: space: edgetpu_v2 decisions" PROPERTIES PASS_REGULAR_EXPRESSION "s7\\.group +16, 32, 64")
endif()
# A user's block and space reaching the shipped tools (docs/space.md opens with its block).
accelnas_doc_example(custom_space ${CMAKE_CURRENT_SOURCE_DIR}/custom_space/main.cpp space --space sandglass --decisions --size)
target_sources(example_custom_space PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/custom_space/tool_search.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/custom_space/tool_space.cpp ${CMAKE_CURRENT_SOURCE_DIR}/custom_space/tool_estimate.cpp)
accelnas_smoke_test("custom space: search" example_custom_space search --space sandglass --controller evolution
  --quality none --latency-ms 1 --budget 6 --threads 1 --out ${CMAKE_CURRENT_BINARY_DIR}/custom-space-run --seed 2)
accelnas_smoke_test("custom space: estimate" example_custom_space estimate --target coral-usb
  "sandglass:block=sandglass,kernel=5,reduce=2,width=1/block=ibn,kernel=3,reduce=4,width=1/block=sandglass,kernel=3,reduce=4,width=0.75/block=ibn,kernel=5,reduce=2,width=1/block=sandglass,kernel=5,reduce=4,width=1")
if(ACCELNAS_BUILD_TESTS)
  # A search's out directory must be new: start each run from scratch.
  set_tests_properties("examples: custom space: search" PROPERTIES FIXTURES_REQUIRED custom_space_clean)
  add_test(NAME "examples: custom space: clean" COMMAND ${CMAKE_COMMAND} -E rm -rf ${CMAKE_CURRENT_BINARY_DIR}/custom-space-run)
  set_tests_properties("examples: custom space: clean" PROPERTIES FIXTURES_SETUP custom_space_clean LABELS examples)
  set_tests_properties("examples: custom space: search" PROPERTIES PASS_REGULAR_EXPRESSION "6 candidates")
  set_tests_properties("examples: custom space: estimate" PROPERTIES PASS_REGULAR_EXPRESSION "sandglass")
endif()
