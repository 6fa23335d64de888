/* test_hard_plat.c: defects an adversarial review found in the platform
 * builder and its unit parsers: a rack size that wraps the rack count, a
 * racks platform too large to build, hexadecimal numbers taken as units,
 * and overflowing values reported as "must be positive". */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "plat.h"
#include "st.h"

START_TEST(huge_rack_size_is_refused_not_wrapped) {
  plat_spec s;
  plat_defaults(&s, 2);
  s.topology = PLAT_RACKS;
  s.rack_size = 0xFFFFFFFFu; /* nodes + rack_size - 1 wraps in 32 bits */
  char err[256] = "";
  ck_assert_int_eq(plat_check(&s, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "rack size"));
  char *xml = NULL;
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_null(xml);
  ck_assert_uint_eq(plat_racks(&s), 1); /* counted in 64 bits */
  /* A rack larger than the cluster is one rack holding every node. */
  s.rack_size = 1000;
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(xml, "<host id=\"node1\""));
  free(xml);
}
END_TEST

START_TEST(too_many_racks_refused_before_allocating) {
  plat_spec s;
  plat_defaults(&s, 20000);
  s.topology = PLAT_RACKS;
  s.rack_size = 1;
  char err[512] = "";
  ck_assert_int_eq(plat_check(&s, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "20000 racks"));
  ck_assert_ptr_nonnull(strstr(err, "square"));
  /* The limit itself builds. */
  plat_defaults(&s, PLAT_MAX_RACKS);
  s.topology = PLAT_RACKS;
  s.rack_size = 1;
  ck_assert_int_eq(plat_check(&s, err, sizeof err), 0);
  s.nodes++;
  ck_assert_int_eq(plat_check(&s, err, sizeof err), ST_EINVAL);
}
END_TEST

START_TEST(hexadecimal_is_not_a_unit_value) {
  double v = -1;
  char err[256] = "";
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "0x10Gbps", &v, err, sizeof err), ST_EPARSE);
  ck_assert_double_eq(v, -1);
  ck_assert_ptr_nonnull(strstr(err, "--bandwidth"));
  ck_assert_ptr_nonnull(strstr(err, "decimal"));
  ck_assert_int_eq(plat_parse_latency("--latency", "0x1p-3s", &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_speed("--host-speed", "0X2Gf", &v, err, sizeof err), ST_EPARSE);
  /* Decimal spellings, exponents included, still work. */
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "1.5e3Mbps", &v, err, sizeof err), 0);
  ck_assert_double_eq_tol(v, 1.5e9 / 8, 1);
  ck_assert_int_eq(plat_parse_latency("--latency", "5E-5s", &v, err, sizeof err), 0);
  ck_assert_double_eq_tol(v, 5e-5, 1e-12);
  ck_assert_int_eq(plat_parse_speed("--host-speed", ".5Gf", &v, err, sizeof err), 0);
  ck_assert_double_eq_tol(v, 5e8, 1);
}
END_TEST

START_TEST(overflow_names_the_flag_and_the_overflow) {
  double v = -1;
  char err[256] = "";
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "1e308TBps", &v, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "--bandwidth"));
  ck_assert_ptr_nonnull(strstr(err, "overflows"));
  ck_assert_ptr_null(strstr(err, "positive"));
  ck_assert_int_eq(plat_parse_speed("--host-speed", "1e308Pf", &v, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "--host-speed"));
  ck_assert_ptr_nonnull(strstr(err, "overflows"));
  ck_assert_int_eq(plat_parse_latency("--latency", "1e308ps", &v, err, sizeof err), 0);
  ck_assert_double_eq(v, 1e308 * 1e-12);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hard_plat");
  TCase *tc = tcase_create("plat");
  tcase_add_test(tc, huge_rack_size_is_refused_not_wrapped);
  tcase_add_test(tc, too_many_racks_refused_before_allocating);
  tcase_add_test(tc, hexadecimal_is_not_a_unit_value);
  tcase_add_test(tc, overflow_names_the_flag_and_the_overflow);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
