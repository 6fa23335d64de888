# LDA app: both corpus loaders and their errors, tokenizer, options, the MH
# sampler's stationary distribution, the generator, and whole runs through
# the core on the in-memory backend (exact counts, topic recovery).
stale_add_test(test_lda SOURCES ${PROJECT_SOURCE_DIR}/tests/test_lda.c LIBS stale_apps stale_mem_backend stale_core)
# The app's command-line helpers (corpus conversion, generator, one-core
# benchmark) for experiments/lda_*.sh: a program, not a test.
add_executable(lda_tool ${PROJECT_SOURCE_DIR}/tests/lda_tool.c)
target_link_libraries(lda_tool PRIVATE stale_apps stale_core)
# The stale program running LDA: sim and launch agree at s = 0 (bit for bit)
# and at s = 2 (closely, over several launches); bad data.
stale_add_test(test_lda_real SOURCES ${PROJECT_SOURCE_DIR}/tests/test_lda_real.c TIMEOUT 180)
target_compile_definitions(test_lda_real PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_lda_real stale)
