# The SSP core under the deterministic in-memory backend.
add_library(stale_mem_backend STATIC ${PROJECT_SOURCE_DIR}/tests/mem_backend.c)
target_link_libraries(stale_mem_backend PUBLIC stale_core)
target_include_directories(stale_mem_backend PUBLIC ${PROJECT_SOURCE_DIR}/tests)
stale_add_test(test_ssp SOURCES ${PROJECT_SOURCE_DIR}/tests/test_ssp.c LIBS stale_mem_backend)
stale_add_test(test_core_edges SOURCES ${PROJECT_SOURCE_DIR}/tests/test_core_edges.c LIBS stale_mem_backend)
# The sans-I/O rule: the core library calls nothing beyond memory, string
# and math functions (nm reads the archive).
stale_add_test(test_core_symbols SOURCES ${PROJECT_SOURCE_DIR}/tests/test_core_symbols.c LIBS)
target_compile_definitions(test_core_symbols PRIVATE CORE_LIB="$<TARGET_FILE:stale_core>")
add_dependencies(test_core_symbols stale_core)
# Timers end to end in the in-memory backend, and injected faults.
stale_add_test(test_core_seams SOURCES ${PROJECT_SOURCE_DIR}/tests/test_core_seams.c LIBS stale_mem_backend)
# Barriers and the end-of-run report.
stale_add_test(test_core_rep SOURCES ${PROJECT_SOURCE_DIR}/tests/test_core_rep.c LIBS stale_mem_backend)
