# DNN app: IDX loader (every malformed kind), options, layout, sgemm
# gradients, and whole runs through the core on the in-memory backend
# (stale_mem_backend comes from core.cmake, included before this file).
stale_add_test(test_dnn SOURCES ${PROJECT_SOURCE_DIR}/tests/test_dnn.c LIBS stale_apps stale_mem_backend stale_core PkgConfig::ZLIB)
