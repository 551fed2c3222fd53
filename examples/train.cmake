# The trainer's command-line tool and its smoke test (a few hundred images, one epoch).
accelnas_add_tool(train ${CMAKE_CURRENT_SOURCE_DIR}/tools/train.cpp)
target_link_libraries(accelnas-train PRIVATE ZLIB::ZLIB)
if(TARGET accelnas_image_io)  # --data folder:DIR
  target_link_libraries(accelnas-train PRIVATE accelnas::image_io)
endif()
accelnas_smoke_test(train_peer_tiny $<TARGET_FILE:accelnas-train>
  --model ${CMAKE_CURRENT_SOURCE_DIR}/specs/peer_mbconv.json --epochs 1 --train-limit 512 --test-limit 256
  --threads 2 --json)
accelnas_smoke_test(train_throughput $<TARGET_FILE:accelnas-train>
  --model ${CMAKE_CURRENT_SOURCE_DIR}/specs/peer_mbconv.json --channels 3 --throughput 3)
accelnas_doc_example(train_quickstart ${CMAKE_CURRENT_SOURCE_DIR}/train_quickstart.cpp --quick)
accelnas_doc_example(train_own_data ${CMAKE_CURRENT_SOURCE_DIR}/train_own_data.cpp)
if(TARGET accelnas_image_io)
  target_link_libraries(example_train_own_data PRIVATE accelnas::image_io)
endif()
accelnas_smoke_test("train: progress into a pipe" bash ${PROJECT_SOURCE_DIR}/tests/train/progress_pipe.sh
  $<TARGET_FILE:accelnas-train> ${CMAKE_CURRENT_SOURCE_DIR}/specs/peer_mbconv.json)
# Users' own data: CIFAR-10/100 and image-folder files written by the test, and bad --data values.
accelnas_smoke_test("train: CIFAR and image-folder data" bash ${PROJECT_SOURCE_DIR}/tests/train/data_tool.sh
  $<TARGET_FILE:accelnas-train> ${CMAKE_CURRENT_SOURCE_DIR}/specs/peer_mbconv.json ${CMAKE_CURRENT_BINARY_DIR}/data-tool)
accelnas_smoke_test("train: resume to the same weights, eval-only" bash ${PROJECT_SOURCE_DIR}/tests/train/resume_tool.sh
  $<TARGET_FILE:accelnas-train> ${CMAKE_CURRENT_SOURCE_DIR}/specs/peer_mbconv.json)
# --gemm-cache-sizes: Eigen's blocking pinned, the same weights from the same sizes (train/blocking.hpp).
accelnas_smoke_test("train: --gemm-cache-sizes fixes the summation order" bash ${PROJECT_SOURCE_DIR}/tests/train/blocking_tool.sh
  $<TARGET_FILE:accelnas-train> ${CMAKE_CURRENT_SOURCE_DIR}/specs/peer_mbconv.json ${CMAKE_CURRENT_BINARY_DIR}/blocking-tool)
