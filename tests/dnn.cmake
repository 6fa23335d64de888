# DNN app: IDX loader (every malformed kind), options, layout, sgemm
# gradients, and whole runs through the core on the in-memory backend
# (stale_mem_backend comes from core.cmake, included before this file).
stale_add_test(test_dnn SOURCES ${PROJECT_SOURCE_DIR}/tests/test_dnn.c LIBS stale_apps stale_mem_backend stale_core PkgConfig::ZLIB)
# launch --local 4 against sim with 4 nodes at s=0, bit for bit.
stale_add_test(test_dnn_e2e SOURCES ${PROJECT_SOURCE_DIR}/tests/test_dnn_e2e.c LIBS PkgConfig::ZLIB TIMEOUT 120)
target_compile_definitions(test_dnn_e2e PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_dnn_e2e stale)
# The compute benchmark is a program (experiments/bench_dnn.sh runs it);
# ctest only checks that it runs to the end.
add_executable(bench_dnn ${PROJECT_SOURCE_DIR}/tests/bench_dnn.c)
target_link_libraries(bench_dnn PRIVATE stale_apps)
add_test(NAME test_dnn_bench COMMAND bench_dnn --check)
set_tests_properties(test_dnn_bench PROPERTIES TIMEOUT 60)
