# The model-parallel scheduler (core/mpsched.c) on the in-memory backend:
# sampling against its weights, the dependency filter, determinism over
# interleavings, pipelining, rotation, refused frames.
stale_add_test(test_sched SOURCES ${PROJECT_SOURCE_DIR}/tests/test_sched.c LIBS stale_mem_backend stale_core m)
# Lasso's scheduled coordinate descent: arithmetic against brute force, and
# whole runs of the stale program (sim against launch --local 4, diabetes
# and a correlated design against scikit-learn's objectives).
stale_add_test(test_lasso_sched SOURCES ${PROJECT_SOURCE_DIR}/tests/test_lasso_sched.c LIBS stale_apps stale_core m TIMEOUT 600)
target_compile_definitions(test_lasso_sched PRIVATE LASSO_DATA_DIR="${PROJECT_SOURCE_DIR}/apps/lasso/data"
                           STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_lasso_sched stale)
# MF and LDA under the rotation schedule: sim against launch --local 4, and
# each against its data-parallel run.
stale_add_test(test_rotation SOURCES ${PROJECT_SOURCE_DIR}/tests/test_rotation.c LIBS TIMEOUT 600)
target_compile_definitions(test_rotation PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_rotation stale)
# The scheduler's frames on untrusted bytes (tests/fuzz/fuzz_sched.c; see
# tests/fuzz.cmake for stale_fuzz_target and scripts/fuzz.sh).
stale_fuzz_target(sched LIBS stale_core)
