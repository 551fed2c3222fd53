# Search: the main job accelnas-search, the block-histogram example (issue 6(b)), and their tests.
accelnas_add_tool(search ${CMAKE_CURRENT_SOURCE_DIR}/tools/search.cpp)
if(TARGET accelnas_image_io)  # --data folder:DIR
  target_link_libraries(accelnas-search PRIVATE accelnas::image_io)
endif()

set(_sd ${CMAKE_CURRENT_BINARY_DIR}/search-smoke)
# A tiny search end to end (proxy training on a few hundred images).
accelnas_smoke_test("search: tiny reinforce" ${CMAKE_COMMAND} -E env
  bash -c "rm -rf ${_sd}/tiny && $<TARGET_FILE:accelnas-search> --out ${_sd}/tiny --budget 4 --threads 2 --train-images 256 --validation-images 256 --test-images 256 --no-baselines && test -s ${_sd}/tiny/results.csv && test -s ${_sd}/tiny/pareto.svg && test -s ${_sd}/tiny/best.json && test -s ${_sd}/tiny/journal")
# Progress into a pipe (a log, CI): plain lines, one per tenth of the budget, no carriage returns.
accelnas_smoke_test("search: progress into a pipe" bash ${PROJECT_SOURCE_DIR}/tests/search/progress_pipe.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/progress-pipe)
# Kill a search with SIGKILL mid-run, resume it, compare with an uninterrupted run of the same seed.
accelnas_smoke_test("search: kill and resume" bash ${PROJECT_SOURCE_DIR}/tests/search/kill_resume.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/kill-resume)
accelnas_smoke_test("search: kill and resume, 2 threads" bash ${PROJECT_SOURCE_DIR}/tests/search/kill_resume.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/kill-resume-2 2)
# The test images never choose: scrambled test labels leave the search unchanged.
accelnas_smoke_test("search: poisoned test labels change nothing" bash ${PROJECT_SOURCE_DIR}/tests/search/poisoned_test_labels.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/poisoned)
# Controller and seed options: defaults scaled to the budget, errors naming the option.
accelnas_smoke_test("search: controller and seed options" bash ${PROJECT_SOURCE_DIR}/tests/search/options.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/options)
# Latency targets reached within +-5% on coral-usb and pixel4-edgetpu (APM); an unreachable one reported.
accelnas_smoke_test("search: latency targets reached" bash ${PROJECT_SOURCE_DIR}/tests/search/latency_target.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/latency-target)
# k seeds per candidate: every seed's accuracy and mean/std in the journal; the final k-seed report.
accelnas_smoke_test("search: k-seed evaluation and final report" bash ${PROJECT_SOURCE_DIR}/tests/search/seeds.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/seeds)
# --gemm-cache-sizes: pinned blocking in the journal and the outputs; a resume with other sizes refused.
accelnas_smoke_test("search: pinned GEMM cache sizes" bash ${PROJECT_SOURCE_DIR}/tests/search/blocking.sh
  $<TARGET_FILE:accelnas-search> ${_sd}/blocking)
# Bad input: each a clear error.
accelnas_smoke_test("search: unknown target" $<TARGET_FILE:accelnas-search> --target nosuch --out ${_sd}/bad1)
accelnas_smoke_test("search: unknown space" $<TARGET_FILE:accelnas-search> --space nosuch --out ${_sd}/bad2)
accelnas_smoke_test("search: unknown controller" $<TARGET_FILE:accelnas-search> --controller nosuch --out ${_sd}/bad3)
accelnas_smoke_test("search: budget 0" $<TARGET_FILE:accelnas-search> --budget 0 --out ${_sd}/bad4)
accelnas_smoke_test("search: foreign dir" $<TARGET_FILE:accelnas-search> --out ${PROJECT_SOURCE_DIR}/include --quality none)
accelnas_smoke_test("search: unwritable dir" $<TARGET_FILE:accelnas-search> --out /proc/accelnas-search --quality none)
accelnas_smoke_test("search: resume without journal" $<TARGET_FILE:accelnas-search> --out ${_sd}/none --resume --quality none)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: search: unknown target" PROPERTIES PASS_REGULAR_EXPRESSION "error: unknown target 'nosuch'")
  set_tests_properties("examples: search: unknown space" PROPERTIES PASS_REGULAR_EXPRESSION "error: unknown search space 'nosuch'")
  set_tests_properties("examples: search: unknown controller" PROPERTIES PASS_REGULAR_EXPRESSION "error: unknown controller 'nosuch'")
  set_tests_properties("examples: search: budget 0" PROPERTIES PASS_REGULAR_EXPRESSION "accelnas-search: error: --budget: Value 0 not in range 1 to 1000000")
  set_tests_properties("examples: search: foreign dir" PROPERTIES PASS_REGULAR_EXPRESSION "refusing to write into a foreign directory")
  set_tests_properties("examples: search: unwritable dir" PROPERTIES PASS_REGULAR_EXPRESSION "error: --out /proc/accelnas-search: cannot create")
  set_tests_properties("examples: search: resume without journal" PROPERTIES PASS_REGULAR_EXPRESSION "nothing to resume")
  set_tests_properties("examples: search: kill and resume" "examples: search: kill and resume, 2 threads"
                       "examples: search: poisoned test labels change nothing" PROPERTIES TIMEOUT 900)
endif()
# A journal of another space, and a corrupt journal line in the middle: clear errors on --resume.
accelnas_smoke_test("search: journal of another space" bash -c
  "rm -rf ${_sd}/other && $<TARGET_FILE:accelnas-search> --quality none --budget 2 --out ${_sd}/other > /dev/null 2>&1 && $<TARGET_FILE:accelnas-search> --space mnasnet --quality none --budget 2 --out ${_sd}/other --resume")
accelnas_smoke_test("search: corrupt journal line" bash -c
  "rm -rf ${_sd}/corrupt && $<TARGET_FILE:accelnas-search> --quality none --budget 3 --out ${_sd}/corrupt > /dev/null 2>&1 && sed -i '2s/.*/{garbage/' ${_sd}/corrupt/journal && $<TARGET_FILE:accelnas-search> --quality none --budget 3 --out ${_sd}/corrupt --resume")
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: search: journal of another space" PROPERTIES PASS_REGULAR_EXPRESSION "is of space 'edgetpu', this search is of space 'mnasnet'")
  set_tests_properties("examples: search: corrupt journal line" PROPERTIES PASS_REGULAR_EXPRESSION "line 2 is corrupt")
endif()
# Issue 6(b): block-kind histograms of searches for coral-usb and pixel4-cpu with one accuracy signal.
accelnas_add_example(search_block_histogram ${CMAKE_CURRENT_SOURCE_DIR}/search_block_histogram.cpp)
accelnas_smoke_test("search: block histogram (tiny)" example_search_block_histogram --budget 4 --top 2
  --train-images 200 --validation-images 200)

# The program of docs/search.md.
accelnas_doc_example(search_quickstart ${CMAKE_CURRENT_SOURCE_DIR}/search_quickstart.cpp)
# The supernet in a loop of one's own (docs/search.md, "One-shot search": "The supernet in your own loop").
accelnas_doc_example(oneshot_loop ${CMAKE_CURRENT_SOURCE_DIR}/oneshot_loop.cpp --quick)
# One-shot search (--method oneshot): a tiny end-to-end run and its bad input.
accelnas_smoke_test("search: oneshot tiny"
  bash -c "rm -rf ${_sd}/oneshot && $<TARGET_FILE:accelnas-search> --method oneshot --out ${_sd}/oneshot --steps 6 --train-images 256 --validation-images 128 --test-images 128 --oneshot-seeds 1 --validation-batch 32 --recalibration-images 32 && test -s ${_sd}/oneshot/oneshot.json && test -s ${_sd}/oneshot/journal")
accelnas_smoke_test("search: unknown method" $<TARGET_FILE:accelnas-search> --method darts --out ${_sd}/bad5)
accelnas_smoke_test("search: oneshot on a space without weight sharing"
  $<TARGET_FILE:accelnas-search> --method oneshot --space edgetpu_v2 --out ${_sd}/bad6)
if(ACCELNAS_BUILD_TESTS)
  set_tests_properties("examples: search: unknown method" PROPERTIES PASS_REGULAR_EXPRESSION "error: unknown --method 'darts'")
  set_tests_properties("examples: search: oneshot on a space without weight sharing" PROPERTIES
                       PASS_REGULAR_EXPRESSION "block 'gc_ibn' of stage 1 cannot share weights")
  set_tests_properties("examples: search: oneshot tiny" PROPERTIES TIMEOUT 900)
endif()
