# int8 quantization: the program of docs/quant.md (trained on a few thousand images under ctest).
accelnas_doc_example(quant_int8 ${CMAKE_CURRENT_SOURCE_DIR}/quant_int8.cpp --quick)
