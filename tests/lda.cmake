# LDA app: both corpus loaders and their errors, tokenizer, options, the MH
# sampler's stationary distribution, the generator, and whole runs through
# the core on the in-memory backend (exact counts, topic recovery).
stale_add_test(test_lda SOURCES ${PROJECT_SOURCE_DIR}/tests/test_lda.c LIBS stale_apps stale_mem_backend stale_core)
