# The distributed search (optional: only when accelnas::mpi was built): accelnas-search links MPI and
# then runs under mpirun; its MPI tests (label "mpi") run with mpirun --oversubscribe.
if(NOT TARGET accelnas_mpi)
  return()
endif()
if(TARGET accelnas-search)
  target_link_libraries(accelnas-search PRIVATE accelnas::mpi)
  target_compile_definitions(accelnas-search PRIVATE ACCELNAS_WITH_MPI)
endif()

if(NOT ACCELNAS_BUILD_TESTS)
  return()
endif()
# every MPI header compiles on its own, like the library's
if(TARGET accelnas_header_checks)
  set_target_properties(accelnas_mpi PROPERTIES VERIFY_INTERFACE_HEADER_SETS ON)
  add_dependencies(accelnas_header_checks accelnas_mpi_verify_interface_header_sets)
endif()
set(_mpirun ${PROJECT_SOURCE_DIR}/tests/dist/mpirun.sh)
set(_md ${CMAKE_CURRENT_BINARY_DIR}/mpi-tests)
# The library API: dist::distributed around a user's evaluator, failures included, against one process.
add_executable(test_dist_mpi ${PROJECT_SOURCE_DIR}/tests/dist/mpi_evaluator.cpp)
target_link_libraries(test_dist_mpi PRIVATE accelnas::mpi accelnas_dev_flags accelnas_fast_flags)
add_test(NAME "mpi: distributed evaluator equals one process, failures included" COMMAND bash ${_mpirun} -np 3 $<TARGET_FILE:test_dist_mpi>)
set(_mpi_tests "mpi: distributed evaluator equals one process, failures included")
if(TARGET accelnas-search)
  add_test(NAME "mpi: search on 3 processes writes the single-process journal" COMMAND bash
    ${PROJECT_SOURCE_DIR}/tests/dist/search_journal.sh $<TARGET_FILE:accelnas-search> ${_mpirun} ${_md}/journal)
  add_test(NAME "mpi: kill -9 of a worker, then --resume" COMMAND bash
    ${PROJECT_SOURCE_DIR}/tests/dist/kill_resume.sh $<TARGET_FILE:accelnas-search> ${_mpirun} ${_md}/kill-resume)
  add_test(NAME "mpi: kill -9 of rank 0, then --resume" COMMAND bash
    ${PROJECT_SOURCE_DIR}/tests/dist/kill_resume.sh $<TARGET_FILE:accelnas-search> ${_mpirun} ${_md}/kill-resume-0 0)
  list(APPEND _mpi_tests "mpi: search on 3 processes writes the single-process journal" "mpi: kill -9 of a worker, then --resume"
       "mpi: kill -9 of rank 0, then --resume")
  # ranks whose CPUs would block the trainings differently: warned about and recorded (the app layer in-process)
  add_executable(test_dist_ranks_blocking ${PROJECT_SOURCE_DIR}/tests/dist/ranks_blocking.cpp)
  target_link_libraries(test_dist_ranks_blocking PRIVATE accelnas::mpi accelnas_dev_flags accelnas_fast_flags)
  add_test(NAME "mpi: ranks with different L1 sizes are warned about and recorded" COMMAND bash ${_mpirun} -np 3
    $<TARGET_FILE:test_dist_ranks_blocking> ${_md}/ranks-blocking)
  list(APPEND _mpi_tests "mpi: ranks with different L1 sizes are warned about and recorded")
  foreach(c IN ITEMS np-over-budget worker-data options binary)
    add_test(NAME "mpi: bad input: ${c}" COMMAND bash ${PROJECT_SOURCE_DIR}/tests/dist/bad_input.sh
      $<TARGET_FILE:accelnas-search> ${_mpirun} ${_md}/bad-${c} ${c})
    list(APPEND _mpi_tests "mpi: bad input: ${c}")
  endforeach()
endif()
# several ranks each: one MPI test at a time
set_tests_properties(${_mpi_tests} PROPERTIES LABELS mpi RESOURCE_LOCK mpi TIMEOUT 600)
