# The model-parallel scheduler (core/mpsched.c) on the in-memory backend:
# sampling against its weights, the dependency filter, determinism over
# interleavings, pipelining, rotation, refused frames.
stale_add_test(test_sched SOURCES ${PROJECT_SOURCE_DIR}/tests/test_sched.c LIBS stale_mem_backend stale_core m)
