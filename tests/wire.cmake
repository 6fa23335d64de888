# Wire format, tables, cluster config and error names (core/wire.c, tbl.c, cfg.c, st.c).
stale_add_test(test_wire SOURCES ${PROJECT_SOURCE_DIR}/tests/test_wire.c LIBS stale_core)
stale_add_test(test_tbl SOURCES ${PROJECT_SOURCE_DIR}/tests/test_tbl.c LIBS stale_core)
