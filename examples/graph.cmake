# The network IR: the program of docs/graph.md.
accelnas_doc_example(graph_tour ${CMAKE_CURRENT_SOURCE_DIR}/graph_tour.cpp)
