# The optional distributed search on MPI: accelnas::mpi, an INTERFACE target holding
# include/accelnas/dist/ (the evaluator wrapper that hands candidates to MPI worker processes) and
# linking MPI::MPI_CXX. Created only when MPI is found (Debian's libopenmpi-dev); the header-only
# library never includes it. accelnas-search links it and then runs under mpirun.
find_package(MPI COMPONENTS CXX QUIET)
if(NOT MPI_CXX_FOUND)
  message(STATUS "accelnas: MPI not found: the distributed search (accelnas::mpi, mpirun accelnas-search) is not built")
  return()
endif()
message(STATUS "accelnas: building the distributed search on MPI ${MPI_CXX_VERSION}")
find_program(ACCELNAS_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})

add_library(accelnas_mpi INTERFACE)
add_library(accelnas::mpi ALIAS accelnas_mpi)
set_target_properties(accelnas_mpi PROPERTIES EXPORT_NAME mpi)
target_link_libraries(accelnas_mpi INTERFACE accelnas::accelnas MPI::MPI_CXX)
target_sources(accelnas_mpi INTERFACE FILE_SET HEADERS BASE_DIRS ${PROJECT_SOURCE_DIR}/include FILES ${ACCELNAS_MPI_HEADERS})
install(TARGETS accelnas_mpi EXPORT accelnasMpiTargets FILE_SET HEADERS)
install(EXPORT accelnasMpiTargets NAMESPACE accelnas:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/accelnas)
export(EXPORT accelnasMpiTargets NAMESPACE accelnas:: FILE ${PROJECT_BINARY_DIR}/accelnasMpiTargets.cmake)
