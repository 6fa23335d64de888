/* test_sim_plat.c: the platform builder (sim/plat.c) on its XML text, the
 * unit parsers, and slow-node selection. Pure functions: no SimGrid. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plat.h"
#include "st.h"

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) n++;
  return n;
}

START_TEST(flat_xml_has_every_host_link_and_backbone) {
  plat_spec s;
  plat_defaults(&s, 5);
  s.host_speed = 1e9;
  char *xml = NULL, err[200];
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), 0);
  ck_assert_ptr_nonnull(strstr(xml, "<platform version=\"4.1\">"));
  ck_assert_ptr_nonnull(strstr(xml, "routing=\"Cluster\""));
  ck_assert_uint_eq(count(xml, "<host id=\"node"), 5);
  ck_assert_uint_eq(count(xml, "<host_link id=\"node"), 5);
  ck_assert_uint_eq(count(xml, "<backbone"), 1);
  ck_assert_ptr_nonnull(strstr(xml, "<host id=\"node4\" speed=\"1000000000f\"/>"));
  /* 1 Gbps = 125e6 bytes/s, 50 us */
  ck_assert_ptr_nonnull(
      strstr(xml, "<link id=\"link3\" bandwidth=\"125000000Bps\" latency=\"5.0000000000000002e-05s\""));
  ck_assert_ptr_null(strstr(xml, "port"));
  free(xml);
}
END_TEST

START_TEST(flat_with_ports_adds_one_port_per_node) {
  plat_spec s;
  plat_defaults(&s, 3);
  s.ports = 1;
  char *xml = NULL, err[200];
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), 0);
  ck_assert_uint_eq(count(xml, "<host id=\"port"), 3);
  ck_assert_uint_eq(count(xml, "<backbone"), 0);
  ck_assert_ptr_nonnull(strstr(xml, "<host_link id=\"port2\" up=\"portlink2\" down=\"portlink2\"/>"));
  free(xml);
  s.topology = PLAT_RACKS;
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), ST_EINVAL);
}
END_TEST

START_TEST(racks_xml_has_racks_uplinks_and_all_routes) {
  plat_spec s;
  plat_defaults(&s, 10);
  s.topology = PLAT_RACKS;
  s.rack_size = 4; /* racks of 4, 4, 2 */
  char *xml = NULL, err[200];
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), 0);
  ck_assert_uint_eq(count(xml, "routing=\"Cluster\""), 3);
  ck_assert_uint_eq(count(xml, "routing=\"Full\""), 1);
  ck_assert_uint_eq(count(xml, "<host id=\"node"), 10);
  ck_assert_uint_eq(count(xml, "<link id=\"uplink"), 3);
  ck_assert_uint_eq(count(xml, "<zoneRoute "), 6); /* 3 racks, both directions */
  ck_assert_ptr_nonnull(strstr(xml, "<zoneRoute src=\"rack2\" dst=\"rack0\" gw_src=\"rack2_router\" "
                                    "gw_dst=\"rack0_router\" symmetrical=\"NO\"><link_ctn "
                                    "id=\"uplink2_UP\"/><link_ctn id=\"top\"/><link_ctn "
                                    "id=\"uplink0_DOWN\"/></zoneRoute>"));
  /* node9 is in the last rack */
  const char *r2 = strstr(xml, "<zone id=\"rack2\"");
  ck_assert_ptr_nonnull(r2);
  ck_assert_ptr_nonnull(strstr(r2, "<host id=\"node9\""));
  ck_assert_ptr_null(strstr(r2, "<host id=\"node7\""));
  free(xml);
}
END_TEST

START_TEST(stragglers_count_and_determinism) {
  plat_spec s;
  plat_defaults(&s, 100);
  s.host_speed = 1e9;
  s.straggler_fraction = 0.1;
  s.straggler_factor = 4;
  s.seed = 7;
  double a[100], b[100];
  plat_speeds(&s, a);
  plat_speeds(&s, b);
  ck_assert_mem_eq(a, b, sizeof a);
  int slow = 0, normal = 0;
  for (int i = 0; i < 100; i++) {
    if (a[i] == 1e9 / 4) slow++;
    else if (a[i] == 1e9) normal++;
  }
  ck_assert_int_eq(slow, 10);
  ck_assert_int_eq(normal, 90);
  s.seed = 8; /* another seed picks other nodes */
  plat_speeds(&s, b);
  ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
  /* the XML carries the same speeds, byte-identical across builds */
  char *x1, *x2, err[100];
  ck_assert_int_eq(plat_build_xml(&s, &x1, err, sizeof err), 0);
  ck_assert_int_eq(plat_build_xml(&s, &x2, err, sizeof err), 0);
  ck_assert_str_eq(x1, x2);
  ck_assert_uint_eq(count(x1, "speed=\"250000000f\""), 10);
  free(x1);
  free(x2);
}
END_TEST

START_TEST(jitter_stays_in_range) {
  plat_spec s;
  plat_defaults(&s, 1000);
  s.host_speed = 1e9;
  s.jitter = 0.2;
  double v[1000];
  plat_speeds(&s, v);
  double lo = 1e30, hi = 0;
  for (int i = 0; i < 1000; i++) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  ck_assert(lo >= 0.8e9 && hi <= 1.2e9);
  ck_assert(lo < 0.82e9 && hi > 1.18e9); /* it does spread */
}
END_TEST

START_TEST(units_parse_like_simgrid) {
  double v;
  char err[200];
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "1Gbps", &v, err, sizeof err), 0);
  ck_assert(v == 125e6);
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "10MBps", &v, err, sizeof err), 0);
  ck_assert(v == 10e6);
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "1KiBps", &v, err, sizeof err), 0);
  ck_assert(v == 1024);
  ck_assert_int_eq(plat_parse_latency("--latency", "50us", &v, err, sizeof err), 0);
  ck_assert(fabs(v - 50e-6) < 1e-18);
  ck_assert_int_eq(plat_parse_latency("--latency", "2ms", &v, err, sizeof err), 0);
  ck_assert(fabs(v - 2e-3) < 1e-15);
  ck_assert_int_eq(plat_parse_speed("--host-speed", "1.5Gf", &v, err, sizeof err), 0);
  ck_assert(v == 1.5e9);
}
END_TEST

START_TEST(bad_units_are_clear_errors) {
  double v = 42, f, k;
  char err[200];
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "1Gb", &v, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "--bandwidth"));
  ck_assert_ptr_nonnull(strstr(err, "'1Gb'"));
  ck_assert_ptr_nonnull(strstr(err, "unknown unit"));
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "100", &v, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "missing unit"));
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "0Gbps", &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_bandwidth("--bandwidth", "-1Gbps", &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_latency("--latency", "5 us", &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_latency("--latency", "", &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_speed("--host-speed", "1Gbps", &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_speed("--host-speed", "nanf", &v, err, sizeof err), ST_EPARSE);
  ck_assert(v == 42); /* untouched on error */
  ck_assert_int_eq(plat_parse_stragglers("--stragglers", "0.1x4", &f, &k, err, sizeof err), 0);
  ck_assert(f == 0.1 && k == 4);
  ck_assert_int_eq(plat_parse_stragglers("--stragglers", "0.1", &f, &k, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(plat_parse_stragglers("--stragglers", "2x4", &f, &k, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "fraction"));
  ck_assert_int_eq(plat_parse_stragglers("--stragglers", "0.1x0.5", &f, &k, err, sizeof err),
                   ST_EPARSE);
  ck_assert_int_eq(plat_parse_stragglers("--stragglers", "0.1x4z", &f, &k, err, sizeof err),
                   ST_EPARSE);
  plat_topology t;
  ck_assert_int_eq(plat_parse_topology("--topology", "racks", &t, err, sizeof err), 0);
  ck_assert_int_eq(t, PLAT_RACKS);
  ck_assert_int_eq(plat_parse_topology("--topology", "torus", &t, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "torus"));
}
END_TEST

START_TEST(bad_specs_are_rejected) {
  plat_spec s;
  char *xml = NULL, err[200];
  plat_defaults(&s, 0);
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "nodes"));
  plat_defaults(&s, 4);
  s.jitter = 1.0;
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), ST_EINVAL);
  plat_defaults(&s, 4);
  s.straggler_factor = 0.5;
  ck_assert_int_eq(plat_build_xml(&s, &xml, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_null(xml);
}
END_TEST

static Suite *plat_suite(void) {
  Suite *s = suite_create("sim_plat");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, flat_xml_has_every_host_link_and_backbone);
  tcase_add_test(tc, flat_with_ports_adds_one_port_per_node);
  tcase_add_test(tc, racks_xml_has_racks_uplinks_and_all_routes);
  tcase_add_test(tc, stragglers_count_and_determinism);
  tcase_add_test(tc, jitter_stays_in_range);
  tcase_add_test(tc, units_parse_like_simgrid);
  tcase_add_test(tc, bad_units_are_clear_errors);
  tcase_add_test(tc, bad_specs_are_rejected);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(plat_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
