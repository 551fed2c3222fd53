# The optional latency estimation service (gRPC): accelnas::service, a static library of the stubs
# generated from include/accelnas/service/latency.proto plus the headers in include/accelnas/service/.
# Built only when gRPC (CMake config, Debian's libgrpc++-dev) and protobuf are found; the header-only
# library never includes it.
find_package(Protobuf 3 QUIET)
find_package(gRPC CONFIG QUIET)
if(NOT Protobuf_FOUND OR NOT gRPC_FOUND OR NOT TARGET gRPC::grpc_cpp_plugin)
  message(STATUS "accelnas: gRPC or protobuf not found: the latency service (accelnas-serve, accelnas::service) is not built")
  return()
endif()
message(STATUS "accelnas: building the latency service (gRPC ${gRPC_VERSION}, protobuf ${Protobuf_VERSION})")

set(_proto_dir ${PROJECT_SOURCE_DIR}/include)
set(_proto ${_proto_dir}/accelnas/service/latency.proto)
set(_gen ${PROJECT_BINARY_DIR}/service-gen)
set(_gen_files ${_gen}/accelnas/service/latency.pb.cc ${_gen}/accelnas/service/latency.pb.h
               ${_gen}/accelnas/service/latency.grpc.pb.cc ${_gen}/accelnas/service/latency.grpc.pb.h)
add_custom_command(
  OUTPUT ${_gen_files}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_gen}
  COMMAND protobuf::protoc -I ${_proto_dir} --cpp_out=${_gen} --grpc_out=${_gen}
          --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${_proto}
  DEPENDS ${_proto}
  COMMENT "protoc: latency.proto -> C++ messages and gRPC stubs")

add_library(accelnas_service STATIC ${_gen}/accelnas/service/latency.pb.cc ${_gen}/accelnas/service/latency.grpc.pb.cc)
add_library(accelnas::service ALIAS accelnas_service)
set_target_properties(accelnas_service PROPERTIES EXPORT_NAME service POSITION_INDEPENDENT_CODE ON)
target_include_directories(accelnas_service PUBLIC
  $<BUILD_INTERFACE:${_gen}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(accelnas_service PUBLIC accelnas::accelnas gRPC::grpc++ gRPC::grpc++_reflection protobuf::libprotobuf)
target_sources(accelnas_service PUBLIC
  FILE_SET HEADERS BASE_DIRS ${PROJECT_SOURCE_DIR}/include FILES ${ACCELNAS_SERVICE_HEADERS}
  FILE_SET generated TYPE HEADERS BASE_DIRS ${_gen} FILES ${_gen}/accelnas/service/latency.pb.h
                                                          ${_gen}/accelnas/service/latency.grpc.pb.h)
install(TARGETS accelnas_service EXPORT accelnasServiceTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} FILE_SET HEADERS FILE_SET generated)
install(FILES ${_proto} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/accelnas/service)
install(EXPORT accelnasServiceTargets NAMESPACE accelnas:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/accelnas)
export(EXPORT accelnasServiceTargets NAMESPACE accelnas:: FILE ${PROJECT_BINARY_DIR}/accelnasServiceTargets.cmake)
