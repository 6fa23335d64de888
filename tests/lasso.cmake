# Lasso app: loaders and their errors, generator and gen-lasso, options,
# arithmetic against closed forms, whole runs on the in-memory backend
# (stale_mem_backend comes from core.cmake), and `stale sim` against
# `stale launch --local 4` at s = 0.
stale_add_test(test_lasso SOURCES ${PROJECT_SOURCE_DIR}/tests/test_lasso.c LIBS stale_apps stale_mem_backend stale_core)
target_compile_definitions(test_lasso PRIVATE LASSO_DATA_DIR="${PROJECT_SOURCE_DIR}/apps/lasso/data"
                           STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_lasso stale)
