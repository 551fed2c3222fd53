# The zoo's tool: accelnas-info (model specs -> MACs, params, activation bytes; the zoo table).
accelnas_add_tool(info ${CMAKE_CURRENT_SOURCE_DIR}/tools/info.cpp)

accelnas_smoke_test("info: zoo table" accelnas-info)
accelnas_smoke_test("info: zoo csv" accelnas-info --format csv)
accelnas_smoke_test("info: zoo json per op" accelnas-info --format json --per-op mobilenet_v2 resnet50_v1@299)
accelnas_smoke_test("info: nb201 specs" accelnas-info
  "nb201:|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
  "nb201-latbench:|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
# Write a JSON spec, then read it back through the spec grammar.
accelnas_smoke_test("info: spec json write" accelnas-info --spec-json ${CMAKE_CURRENT_BINARY_DIR}/info_mnasnet_a1.json mnasnet_a1)
accelnas_smoke_test("info: spec json read" accelnas-info --per-op ${CMAKE_CURRENT_BINARY_DIR}/info_mnasnet_a1.json)
accelnas_smoke_test("info: bad spec fails" accelnas-info no_such_model)
accelnas_smoke_test("info: bad size fails" accelnas-info mobilenet_v2@0)
accelnas_smoke_test("info: bad spec message" accelnas-info mobilenet_v2 no_such_model)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: info: spec json read" PROPERTIES DEPENDS "examples: info: spec json write")
  # A bad spec must exit non-zero with a one-line error naming the spec.
  set_tests_properties("examples: info: bad spec fails" PROPERTIES WILL_FAIL TRUE)
  set_tests_properties("examples: info: bad size fails" PROPERTIES WILL_FAIL TRUE)
  set_tests_properties("examples: info: bad spec message" PROPERTIES
    PASS_REGULAR_EXPRESSION "accelnas-info: error: model spec 'no_such_model': unknown zoo model")
endif()
# The search-space form of the published models that are points of a shipped space (issue 3, item 5);
# the printed spec is resolved again to prove it decodes.
accelnas_smoke_test("info: known points as arch text" accelnas-info --arch efficientnet_edgetpu_s mobilenet_edgetpu)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: info: known points as arch text" PROPERTIES
    PASS_REGULAR_EXPRESSION "efficientnet_edgetpu_s edgetpu:block=fused_ibn")
endif()
# Round trip through the command line: the printed search-space spec of MnasNet-A1 resolves, and its
# summary has the MACs of mnasnet_a1 (311.58M; the space decodes with 1000 classes like the zoo model).
accelnas_smoke_test("info: known point spec resolves" sh -c "spec=$(\"$0\" --arch mnasnet_a1 | cut -d' ' -f2) && \"$0\" \"$spec\""
  $<TARGET_FILE:accelnas-info>)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: info: known point spec resolves" PROPERTIES PASS_REGULAR_EXPRESSION "mnasnet:block=.* 311\\.58M")
endif()

# The programs of docs/zoo.md and docs/zoo_nasbench201.md.
accelnas_doc_example(zoo_tour ${CMAKE_CURRENT_SOURCE_DIR}/zoo_tour.cpp)
accelnas_doc_example(zoo_nasbench201 ${CMAKE_CURRENT_SOURCE_DIR}/zoo_nasbench201.cpp)
