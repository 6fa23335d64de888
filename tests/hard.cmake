# Hardening (issue 19): defects an adversarial review found, each with its
# test. The platform builder and unit parsers:
stale_add_test(test_hard_plat SOURCES ${PROJECT_SOURCE_DIR}/tests/test_hard_plat.c LIBS stale_sim)
# The stale program: platform files checked before the run, --data DIR,
# failed `stale run`s under LeakSanitizer (when built with -DSTALE_SANITIZE=ON).
stale_add_test(test_hard_cli SOURCES ${PROJECT_SOURCE_DIR}/tests/test_hard_cli.c TIMEOUT 120)
target_compile_definitions(test_hard_cli PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_hard_cli stale)
# s = 0 with two workers per node: real runs equal the simulator bit for bit.
stale_add_test(test_hard_wpn SOURCES ${PROJECT_SOURCE_DIR}/tests/test_hard_wpn.c TIMEOUT 240)
target_compile_definitions(test_hard_wpn PRIVATE REAL_PROG="$<TARGET_FILE:test_real_prog>"
                           STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_hard_wpn test_real_prog stale)
# Real runs keep their whole record: resumed and failed runs' CSVs.
stale_add_test(test_hard_record SOURCES ${PROJECT_SOURCE_DIR}/tests/test_hard_record.c TIMEOUT 240)
target_compile_definitions(test_hard_record PRIVATE REAL_PROG="$<TARGET_FILE:test_real_prog>")
add_dependencies(test_hard_record test_real_prog)
# A flood of unauthenticated connections: rate-limited refusal lines and a count.
stale_add_test(test_hard_net SOURCES ${PROJECT_SOURCE_DIR}/tests/test_hard_net.c TIMEOUT 120)
target_compile_definitions(test_hard_net PRIVATE REAL_PROG="$<TARGET_FILE:test_real_prog>")
add_dependencies(test_hard_net test_real_prog)
# Checkpoints of the core's state: a client's cache and a shard's push state
# saved and loaded continue exactly (in-memory backend); bad bytes refused.
stale_add_test(test_hard_ckpt SOURCES ${PROJECT_SOURCE_DIR}/tests/test_hard_ckpt.c LIBS stale_mem_backend)
