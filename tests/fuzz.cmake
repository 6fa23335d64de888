# Fuzz targets (tests/fuzz/, see fuzz.h). Each is replayed by ctest over its
# seed corpus (tests/fuzz/corpus/NAME) and every crash ever found
# (tests/fuzz/crashes/NAME), linked with replay.c and built by the project's
# compiler, so the suite needs no clang. With -DSTALE_FUZZ=ON (clang) each
# is also a libFuzzer program fuzz_NAME; scripts/fuzz.sh builds and runs them.
# stale_fuzz_target(NAME LIBS lib...) for tests/fuzz/fuzz_NAME.c.
set(STALE_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
function(stale_fuzz_target name)
  cmake_parse_arguments(F "" "" "LIBS" ${ARGN})
  set(src ${STALE_FUZZ_DIR}/fuzz_${name}.c ${STALE_FUZZ_DIR}/fuzz_util.c)
  add_executable(replay_${name} ${src} ${STALE_FUZZ_DIR}/replay.c)
  target_link_libraries(replay_${name} PRIVATE ${F_LIBS})
  target_include_directories(replay_${name} PRIVATE ${STALE_FUZZ_DIR})
  add_test(NAME fuzz_replay_${name}
           COMMAND replay_${name} ${STALE_FUZZ_DIR}/corpus/${name} ${STALE_FUZZ_DIR}/crashes/${name})
  set_tests_properties(fuzz_replay_${name} PROPERTIES TIMEOUT 120)
  if(STALE_FUZZ)
    add_executable(fuzz_${name} ${src})
    target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
    target_include_directories(fuzz_${name} PRIVATE ${STALE_FUZZ_DIR})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()

stale_fuzz_target(wire LIBS stale_core)
stale_fuzz_target(ratings LIBS stale_apps stale_core m)
stale_fuzz_target(units LIBS stale_sim stale_apps stale_core m)
stale_fuzz_target(plat LIBS stale_sim stale_core m)
stale_fuzz_target(opts LIBS stale_real stale_apps stale_core m)
stale_fuzz_target(idx LIBS stale_apps stale_core m)
stale_fuzz_target(lda_text LIBS stale_apps stale_core m)
stale_fuzz_target(lda_uci LIBS stale_apps stale_core m)
stale_fuzz_target(hs LIBS stale_real stale_core)
stale_fuzz_target(lasso LIBS stale_apps stale_core m)
stale_fuzz_target(hostlist LIBS stale_real stale_core)
stale_fuzz_target(ckpt LIBS stale_core)
