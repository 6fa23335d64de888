# The SimGrid backend's tests: platform builder, CSV and run options, and
# small simulated runs (each in a forked child: SimGrid starts once per
# process).
stale_add_test(test_sim_plat SOURCES ${PROJECT_SOURCE_DIR}/tests/test_sim_plat.c LIBS stale_sim)
stale_add_test(test_sim_csv SOURCES ${PROJECT_SOURCE_DIR}/tests/test_sim_csv.c LIBS stale_apps)
stale_add_test(test_sim_run SOURCES ${PROJECT_SOURCE_DIR}/tests/test_sim_run.c LIBS stale_sim TIMEOUT 120)
# The stale program itself: byte-identical CSVs and clear errors.
stale_add_test(test_sim_cli SOURCES ${PROJECT_SOURCE_DIR}/tests/test_sim_cli.c TIMEOUT 120)
target_compile_definitions(test_sim_cli PRIVATE STALE_PROG="$<TARGET_FILE:stale>"
                           TTT_AWK="${PROJECT_SOURCE_DIR}/experiments/time_to_target.awk")
add_dependencies(test_sim_cli stale)
