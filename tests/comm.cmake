# Managed communication: policies' orderings, the token bucket, pacing end
# to end on the in-memory backend.
stale_add_test(test_comm SOURCES ${PROJECT_SOURCE_DIR}/tests/test_comm.c LIBS stale_mem_backend)
# The apps' chunked clocks (MF reread=1, LDA chunks=N) through the program.
stale_add_test(test_chunks SOURCES ${PROJECT_SOURCE_DIR}/tests/test_chunks.c LIBS m TIMEOUT 300)
target_compile_definitions(test_chunks PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_chunks stale)
# stale sim --model-trace: the model sampled in simulated time.
stale_add_test(test_trace SOURCES ${PROJECT_SOURCE_DIR}/tests/test_trace.c LIBS m TIMEOUT 300)
target_compile_definitions(test_trace PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_trace stale)
