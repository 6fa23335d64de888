# Lasso app: loaders and their errors, generator and gen-lasso, options,
# arithmetic against closed forms, whole runs on the in-memory backend
# (stale_mem_backend comes from core.cmake), and `stale sim` against
# `stale launch --local 4` at s = 0.
stale_add_test(test_lasso SOURCES ${PROJECT_SOURCE_DIR}/tests/test_lasso.c LIBS stale_apps stale_mem_backend stale_core)
target_compile_definitions(test_lasso PRIVATE LASSO_DATA_DIR="${PROJECT_SOURCE_DIR}/apps/lasso/data"
                           STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_lasso stale)
# The pass against the memory-bandwidth bound is a program (the README's
# figure comes from `build/tests/bench_lasso`); ctest only checks it runs.
add_executable(bench_lasso ${PROJECT_SOURCE_DIR}/tests/bench_lasso.c)
target_link_libraries(bench_lasso PRIVATE stale_apps stale_core m)
add_test(NAME test_lasso_bench COMMAND bench_lasso --check)
set_tests_properties(test_lasso_bench PROPERTIES TIMEOUT 60)
