# The latency estimation server accelnas-serve (optional: only when accelnas::service was built).
if(NOT TARGET accelnas_service)
  return()
endif()
accelnas_add_tool(serve ${CMAKE_CURRENT_SOURCE_DIR}/tools/serve.cpp)
target_link_libraries(accelnas-serve PRIVATE accelnas::service)

# accelnas-search --estimator-server: candidates priced by a server (the search tool links the client).
if(TARGET accelnas-search)
  target_link_libraries(accelnas-search PRIVATE accelnas::service)
  target_compile_definitions(accelnas-search PRIVATE ACCELNAS_WITH_SERVICE)
endif()

if(ACCELNAS_BUILD_TESTS AND ACCELNAS_SERVICE_FIXTURE)
  set(_fx ${ACCELNAS_SERVICE_FIXTURE})
  # The same search in process and against the fixture server: the same journal (wall-clock seconds aside).
  accelnas_smoke_test("service: search through the server gives the in-process journal" bash
    ${PROJECT_SOURCE_DIR}/tests/service/search_journal.sh $<TARGET_FILE:accelnas-search> ${_fx} ${CMAKE_CURRENT_BINARY_DIR}/service-search)
  # Beyond loopback without a token: refused before listening.
  accelnas_smoke_test("service: beyond loopback needs a token" $<TARGET_FILE:accelnas-serve> --listen 0.0.0.0:0)
  accelnas_smoke_test("service: bad --config" $<TARGET_FILE:accelnas-serve> --listen 127.0.0.1:0 --config coral-usb=x.json)
  accelnas_smoke_test("service: --config of an unknown target" $<TARGET_FILE:accelnas-serve> --listen 127.0.0.1:0 --config tpu9=x.json)
  set_tests_properties("examples: service: search through the server gives the in-process journal" PROPERTIES
    FIXTURES_REQUIRED service_server LABELS "examples;service")
  set_tests_properties("examples: service: beyond loopback needs a token" PROPERTIES
    PASS_REGULAR_EXPRESSION "reaches beyond this machine: give a shared token with --token-file" LABELS "examples;service")
  set_tests_properties("examples: service: bad --config" PROPERTIES
    PASS_REGULAR_EXPRESSION "hw config: cannot open 'x.json'" LABELS "examples;service")
  set_tests_properties("examples: service: --config of an unknown target" PROPERTIES
    PASS_REGULAR_EXPRESSION "--config tpu9=x.json: unknown target 'tpu9'" LABELS "examples;service")
endif()

# The Python client (Debian's python3-grpcio and protoc) against the fixture server, bit-identical to
# accelnas-estimate; and the example itself.
if(ACCELNAS_BUILD_TESTS AND ACCELNAS_SERVICE_FIXTURE AND EXISTS /usr/bin/python3)
  execute_process(COMMAND /usr/bin/python3 -c "import grpc, google.protobuf" RESULT_VARIABLE _no_pygrpc OUTPUT_QUIET ERROR_QUIET)
  if(_no_pygrpc EQUAL 0)
    accelnas_smoke_test("service: python client equals accelnas-estimate" /usr/bin/python3
      ${PROJECT_SOURCE_DIR}/tests/service/python_client_test.py $<TARGET_FILE:accelnas-estimate> ${_fx}
      ${CMAKE_CURRENT_BINARY_DIR}/service-python)
    accelnas_smoke_test("service: python example" bash -c
      "ACCELNAS_SERVICE_TOKEN_FILE=${_fx}/token /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/latency_client.py --server 127.0.0.1:$(cat ${_fx}/port)")
    set_tests_properties("examples: service: python client equals accelnas-estimate" "examples: service: python example"
      PROPERTIES FIXTURES_REQUIRED service_server LABELS "examples;service")
    # SIGTERM while a stream is in flight: the stream is answered to its end, then the server exits 0.
    accelnas_smoke_test("service: SIGTERM drains a stream in flight" /usr/bin/python3
      ${PROJECT_SOURCE_DIR}/tests/service/drain_test.py $<TARGET_FILE:accelnas-serve> ${CMAKE_CURRENT_BINARY_DIR}/service-drain)
    set_tests_properties("examples: service: SIGTERM drains a stream in flight" PROPERTIES LABELS "examples;service")
    set_tests_properties("examples: service: python example" PROPERTIES PASS_REGULAR_EXPRESSION "efficientnet_edgetpu_s +apm")
  else()
    message(STATUS "accelnas: python3-grpcio not found: the Python client tests are not run")
  endif()
endif()
