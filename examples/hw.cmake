# Accelerator models: tools, examples and their smoke tests.
accelnas_add_tool(calibrate ${CMAKE_CURRENT_SOURCE_DIR}/tools/calibrate.cpp)
accelnas_add_tool(estimate ${CMAKE_CURRENT_SOURCE_DIR}/tools/estimate.cpp)

set(_ref ${PROJECT_SOURCE_DIR}/../shared/reference)
accelnas_smoke_test("hw: estimate zoo models" $<TARGET_FILE:accelnas-estimate> --target coral-usb
  efficientnet_edgetpu_s resnet50_v1@299)
accelnas_smoke_test("hw: estimate per-op csv apm" $<TARGET_FILE:accelnas-estimate> --target pixel4-edgetpu
  --estimator apm --per-op --format csv mobilenet_edgetpu)
accelnas_smoke_test("hw: estimate systolic per-op" $<TARGET_FILE:accelnas-estimate> --target systolic-64x64-ws
  --per-op --format csv mobilenet_v1)
accelnas_smoke_test("hw: estimate json" $<TARGET_FILE:accelnas-estimate> --target pixel4-cpu --format json mobilenet_v2)
accelnas_smoke_test("hw: estimate trace" $<TARGET_FILE:accelnas-estimate> --target coral-usb
  --trace ${CMAKE_CURRENT_BINARY_DIR}/trace_enet_s.json efficientnet_edgetpu_s)
# The trace is a Chrome trace-event file: it loads as JSON and names one track per resource.
accelnas_smoke_test("hw: trace loads with tracks" /usr/bin/python3 -c
  "import json,sys; d=json.load(open(sys.argv[1])); n={e['args']['name'] for e in d['traceEvents'] if e['name']=='thread_name'}; x=[e for e in d['traceEvents'] if e['ph']=='X']; assert {'host link','dma: input','on-chip network','sequencer','tile 0','tile 15'} <= n and x, n"
  ${CMAKE_CURRENT_BINARY_DIR}/trace_enet_s.json)
accelnas_smoke_test("hw: estimate unknown target" $<TARGET_FILE:accelnas-estimate> --target tpu9 mobilenet_v2)
accelnas_smoke_test("hw: estimate refuses bad configs and sizes (exit 1)" bash ${PROJECT_SOURCE_DIR}/tests/hw/bad_cli.sh
  $<TARGET_FILE:accelnas-estimate> ${CMAKE_CURRENT_BINARY_DIR}/hw-bad-cli)
accelnas_smoke_test("hw: calibrate coral-usb" $<TARGET_FILE:accelnas-calibrate> --target coral-usb
  --measurements ${_ref}/edgetpu_measured_calibration.csv --holdout 0.3 --params host_bytes_per_second,inference_overhead_seconds
  --out ${CMAKE_CURRENT_BINARY_DIR}/coral-usb-fitted.json)
accelnas_smoke_test("hw: calibrate bad csv" $<TARGET_FILE:accelnas-calibrate> --target coral-usb
  --measurements ${PROJECT_SOURCE_DIR}/CMakeLists.txt)
accelnas_smoke_test("hw: calibrate pixel4 with orderings" $<TARGET_FILE:accelnas-calibrate> --target pixel4-edgetpu
  --measurements ${_ref}/edgetpu_measured_calibration.csv --holdout 0 --params clock_hz,inference_overhead_seconds
  --order mobilenet_edgetpu<mobilenet_v2 --max-evaluations 60)
accelnas_smoke_test("hw: calibrate bad order" $<TARGET_FILE:accelnas-calibrate> --target pixel4-edgetpu
  --measurements ${_ref}/edgetpu_measured_calibration.csv --order mobilenet_edgetpu<mobilenet_v9)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: hw: calibrate pixel4 with orderings" PROPERTIES PASS_REGULAR_EXPRESSION
    "mobilenet_edgetpu<mobilenet_v2 +slower/faster 0\\.[0-9]+ \\(aimed at >= 1\\.050\\): VIOLATED")
  set_tests_properties("examples: hw: calibrate bad order" PROPERTIES PASS_REGULAR_EXPRESSION "--order 'mobilenet_edgetpu<mobilenet_v9'.*mobilenet_v9")
  set_tests_properties("examples: hw: estimate unknown target" PROPERTIES PASS_REGULAR_EXPRESSION "unknown target 'tpu9'")
  set_tests_properties("examples: hw: trace loads with tracks" PROPERTIES DEPENDS "examples: hw: estimate trace")
  set_tests_properties("examples: hw: estimate systolic per-op" PROPERTIES PASS_REGULAR_EXPRESSION "mobilenet_v1,systolic-64x64-ws,sim,")
  set_tests_properties("examples: hw: calibrate bad csv" PROPERTIES PASS_REGULAR_EXPRESSION "missing column 'latency_ms'")
endif()
accelnas_add_example(hw_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/hw_accuracy.cpp)
accelnas_smoke_test("hw: accuracy figures (100 archs)" $<TARGET_FILE:example_hw_accuracy> --count 100)
accelnas_smoke_test("hw: refit the APM ceilings" $<TARGET_FILE:example_hw_accuracy> --fit-ceilings --fit-count 8
  --target coral-usb)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: hw: refit the APM ceilings" PROPERTIES PASS_REGULAR_EXPRESSION
    "if \\(name == \"coral-usb\"\\) return \\{[0-9.]+, [0-9.]+, [0-9.]+, [0-9.]+, [0-9.]+, [0-9.]+\\}")
endif()
accelnas_add_example(roofline_svg ${CMAKE_CURRENT_SOURCE_DIR}/roofline_svg.cpp)
accelnas_smoke_test("hw: roofline svg" $<TARGET_FILE:example_roofline_svg> --target coral-usb
  --out ${CMAKE_CURRENT_BINARY_DIR}/roofline_enet_s.svg efficientnet_edgetpu_s)

# The program of docs/hw.md.
accelnas_doc_example(hw_quickstart ${CMAKE_CURRENT_SOURCE_DIR}/hw_quickstart.cpp)
