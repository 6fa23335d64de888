# Matrix factorization app: ratings loader, generator, split, SGD math, app
# ops, registry, and whole runs through the core on the in-memory backend
# (stale_mem_backend comes from core.cmake, included before this file).
stale_add_test(test_mf SOURCES ${PROJECT_SOURCE_DIR}/tests/test_mf.c LIBS stale_apps stale_mem_backend stale_core)
target_compile_definitions(test_mf PRIVATE MF_DATA_DIR="${PROJECT_SOURCE_DIR}/apps/mf/data")
