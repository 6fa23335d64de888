# Managed communication: policies' orderings, the token bucket, pacing end
# to end on the in-memory backend.
stale_add_test(test_comm SOURCES ${PROJECT_SOURCE_DIR}/tests/test_comm.c LIBS stale_mem_backend)
