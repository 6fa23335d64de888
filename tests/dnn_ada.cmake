# The DNN with the AdaRevision step (step=adarevision): options, the gradient
# step against SGD's, and launch --local 4 against sim --nodes 4 at s = 0.
stale_add_test(test_dnn_ada SOURCES ${PROJECT_SOURCE_DIR}/tests/test_dnn_ada.c LIBS stale_apps stale_core PkgConfig::ZLIB m TIMEOUT 120)
target_compile_definitions(test_dnn_ada PRIVATE STALE_PROG="$<TARGET_FILE:stale>")
add_dependencies(test_dnn_ada stale)
