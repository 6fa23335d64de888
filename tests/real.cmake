# Tests of the libuv backend (real/).
stale_add_test(test_real_sha256 SOURCES ${PROJECT_SOURCE_DIR}/tests/test_real_sha256.c LIBS stale_real)
# Slurm host lists.
stale_add_test(test_real_hostlist SOURCES ${PROJECT_SOURCE_DIR}/tests/test_real_hostlist.c LIBS stale_real)
# The handshake as a pure state machine.
stale_add_test(test_real_hs SOURCES ${PROJECT_SOURCE_DIR}/tests/test_real_hs.c LIBS stale_real)
stale_add_test(test_real_net SOURCES ${PROJECT_SOURCE_DIR}/tests/test_real_net.c LIBS stale_real TIMEOUT 120)
# The real runtime's commands as their own program, for the end-to-end tests.
add_executable(test_real_prog ${PROJECT_SOURCE_DIR}/tests/test_real_prog.c)
target_link_libraries(test_real_prog PRIVATE stale_real stale_apps stale_core m)
stale_add_test(test_real_e2e SOURCES ${PROJECT_SOURCE_DIR}/tests/test_real_e2e.c LIBS stale_real stale_apps m TIMEOUT 180)
target_compile_definitions(test_real_e2e PRIVATE REAL_PROG="$<TARGET_FILE:test_real_prog>"
                           STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_real_e2e test_real_prog stale)
# The loopback benchmark is a program (experiments/bench_real.sh runs it);
# ctest only checks that it works: every frame delivered and applied.
add_executable(bench_real ${PROJECT_SOURCE_DIR}/tests/test_real_bench.c)
target_link_libraries(bench_real PRIVATE stale_real)
add_test(NAME test_real_bench COMMAND bench_real --check)
set_tests_properties(test_real_bench PROPERTIES TIMEOUT 60)
# Launchers without flags: torchrun's and Slurm's variables, a rendezvous file.
stale_add_test(test_real_launchers SOURCES ${PROJECT_SOURCE_DIR}/tests/test_real_launchers.c LIBS stale_real TIMEOUT 180)
target_compile_definitions(test_real_launchers PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_real_launchers stale)
