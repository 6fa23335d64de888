# The model objective (model_objective column): `stale sim` against
# `stale launch --model-objective` bit for bit at s = 0 for every app with
# model_terms, the column empty without the flag, kept by a resumed run,
# filled under a bound and a stopping rule.
stale_add_test(test_model SOURCES ${PROJECT_SOURCE_DIR}/tests/test_model.c LIBS m TIMEOUT 400)
target_compile_definitions(test_model PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_model stale)
