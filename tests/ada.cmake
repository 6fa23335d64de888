# AdaRevision (core/ada.c): the rule, its snapshots, versioned wire rows, and
# the shard and client handling AdaRevision tables on the in-memory backend.
stale_add_test(test_ada SOURCES ${PROJECT_SOURCE_DIR}/tests/test_ada.c LIBS stale_mem_backend)
