# Stopping rules (--clocks, --until-time, --target): the harness's decision
# functions, and `stale sim` and `stale launch` runs that must stop after the
# clock the rule names, with byte-identical CSVs for the same seed.
stale_add_test(test_stop SOURCES ${PROJECT_SOURCE_DIR}/tests/test_stop.c LIBS stale_apps stale_core m TIMEOUT 240)
target_compile_definitions(test_stop PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_stop stale)
