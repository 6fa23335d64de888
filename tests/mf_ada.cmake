# MF with the AdaRevision step (step=adarevision): options and step by hand,
# convergence at staleness 4 on 8 simulated nodes, and `stale launch --local
# 4` against `stale sim --nodes 4` bit for bit at s = 0.
stale_add_test(test_mf_ada SOURCES ${PROJECT_SOURCE_DIR}/tests/test_mf_ada.c LIBS stale_apps stale_core m TIMEOUT 240)
target_compile_definitions(test_mf_ada PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_mf_ada stale)
