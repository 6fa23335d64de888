/* test_real_hostlist.c: Slurm's host list syntax (real/rt_hostlist.c),
 * expanded as `scontrol show hostnames` expands it, and malformed lists
 * refused with a message that says what and where. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rt_hostlist.h"
#include "st.h"

/* Expands spec and compares with want, a space-separated list. */
static void expect(const char *spec, const char *want) {
  rt_hostlist l;
  char err[300] = "";
  ck_assert_msg(rt_hostlist_expand(spec, &l, err, sizeof err) == 0, "'%s': %s", spec, err);
  char got[4096] = "";
  for (uint32_t i = 0; i < l.n; i++) {
    if (i) strcat(got, " ");
    strcat(got, l.host[i]);
  }
  ck_assert_msg(strcmp(got, want) == 0, "'%s' gave '%s', want '%s'", spec, got, want);
  rt_hostlist_free(&l);
}

START_TEST(slurm_forms_expand_in_order) {
  expect("a", "a");
  expect("a,b", "a b");
  expect("n[1-3]", "n1 n2 n3");
  expect("n[01-04,07]", "n01 n02 n03 n04 n07");
  expect("n[1-2],m[5-6]", "n1 n2 m5 m6");
  expect("n[8-10]", "n8 n9 n10");
  expect("n[098-101]", "n098 n099 n100 n101");
  expect("rack[1-2]-n[1-2]", "rack1-n1 rack1-n2 rack2-n1 rack2-n2");
  expect("gpu[3]x,cpu", "gpu3x cpu");
  expect("node-[1,3,5-6].cluster", "node-1.cluster node-3.cluster node-5.cluster node-6.cluster");
  expect("10.0.0.[1-2]", "10.0.0.1 10.0.0.2");
}
END_TEST

START_TEST(malformed_lists_are_refused_saying_what) {
  struct {
    const char *spec, *want;
  } bad[] = {
      {"", "empty"},
      {"n[1-3", "not closed"},
      {"n1-3]", "has no '['"},
      {"n[]", "empty brackets"},
      {"n[3-1]", "runs backwards"},
      {"n[1-]", "a number is expected at character 5"},
      {"n[a]", "a number is expected at character 3"},
      {"n[1,]", "before ']'"},
      {",a", "empty host name at character 1"},
      {"a,,b", "empty host name at character 3"},
      {"n[[1]]", "nested '['"},
      {"a b", "white space at character 2"},
      {"n[1x]", "unexpected 'x'"},
      {"n[0-2000000]", "more than"},
      {"n[1234567890]", "too long"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rt_hostlist l;
    char err[300] = "";
    ck_assert_msg(rt_hostlist_expand(bad[i].spec, &l, err, sizeof err) == ST_EPARSE,
                  "'%s' was accepted", bad[i].spec);
    ck_assert_msg(strstr(err, bad[i].want), "'%s': '%s', want '%s'", bad[i].spec, err, bad[i].want);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_ptr_null(l.host);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("real_hostlist");
  TCase *tc = tcase_create("hostlist");
  tcase_add_test(tc, slurm_forms_expand_in_order);
  tcase_add_test(tc, malformed_lists_are_refused_saying_what);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
