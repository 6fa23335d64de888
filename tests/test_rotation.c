/* test_rotation.c: MF and LDA under the rotation schedule (--schedule
 * rotation): item (word) blocks held by one worker a round, so no two
 * workers change one item's factor (word's counts) in a round; `stale sim`
 * equals `stale launch --local 4` bit for bit, and rotation reaches what
 * the data-parallel app reaches (MF's RMSE; LDA's log-likelihood after as
 * many passes over the tokens).
 * That no two workers hold one block in a round is test_sched's
 * rotation_gives_disjoint_blocks_that_rotate (the scheduler decides it).
 * STALE_PROG comes from the build. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_prog.h"

#define OPTS "users=2000,items=300,ratings=100000"

static double best_of(const char *path, int n) {
  static char a[200][32];
  ck_assert_int_eq(read_column(path, "objective", a, 200), n);
  double best = 1e30;
  for (int c = 0; c < n; c++)
    if (strtod(a[c], NULL) < best) best = strtod(a[c], NULL);
  return best;
}

START_TEST(test_rotation_sim_matches_launch) {
  char *sim[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--staleness", "0", "--clocks",
                 "12", "--schedule", "rotation", "--app-options", OPTS ",lr=0.05", NULL};
  ck_assert_int_eq(run_prog(sim, "rot_sim.csv"), 0);
  char *run[] = {STALE_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                 "--clocks", "12", "--schedule", "rotation", "--app-options", OPTS ",lr=0.05", NULL};
  ck_assert_int_eq(run_prog(run, "rot_real.csv"), 0);
  static char a[16][32], b[16][32];
  ck_assert_int_eq(read_column("rot_sim.csv", "objective", a, 16), 12);
  ck_assert_int_eq(read_column("rot_real.csv", "objective", b, 16), 12);
  for (int c = 0; c < 12; c++)
    ck_assert_msg(!strcmp(a[c], b[c]), "clock %d: sim %s, launch %s", c, a[c], b[c]);
  ck_assert_double_lt(strtod(a[11], NULL), strtod(a[0], NULL));
  unlink("rot_sim.csv");
  unlink("rot_real.csv");
}
END_TEST

/* Data-parallel MF: 15 clocks of one pass each; rotation on 8 workers: 8
 * rounds a pass, 15 passes (its step without averaging is lr=0.05). */
START_TEST(test_rotation_reaches_data_parallel_rmse) {
  char *dp[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "8", "--staleness", "0", "--clocks",
                "15", "--app-options", OPTS, NULL};
  ck_assert_int_eq(run_prog(dp, "rot_dp.csv"), 0);
  char *rot[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "8", "--staleness", "0", "--clocks",
                 "120", "--schedule", "rotation", "--app-options", OPTS ",lr=0.05", NULL};
  ck_assert_int_eq(run_prog(rot, "rot_rot.csv"), 0);
  double d = best_of("rot_dp.csv", 15), r = best_of("rot_rot.csv", 120);
  ck_assert_msg(r <= d, "rotation's best RMSE %.6g, data-parallel's %.6g", r, d);
  unlink("rot_dp.csv");
  unlink("rot_rot.csv");
}
END_TEST

START_TEST(test_lda_rotation_sim_matches_launch) {
  char *sim[] = {STALE_PROG, "sim", "--app", "lda", "--nodes", "4", "--staleness", "0", "--clocks",
                 "9", "--schedule", "rotation", NULL};
  ck_assert_int_eq(run_prog(sim, "lrot_sim.csv"), 0);
  char *run[] = {STALE_PROG, "launch", "--local", "4", "--app", "lda", "--staleness", "0",
                 "--clocks", "9", "--schedule", "rotation", NULL};
  ck_assert_int_eq(run_prog(run, "lrot_real.csv"), 0);
  static char a[16][32], b[16][32];
  ck_assert_int_eq(read_column("lrot_sim.csv", "objective", a, 16), 9);
  ck_assert_int_eq(read_column("lrot_real.csv", "objective", b, 16), 9);
  for (int c = 0; c < 9; c++)
    ck_assert_msg(!strcmp(a[c], b[c]), "clock %d: sim %s, launch %s", c, a[c], b[c]);
  unlink("lrot_sim.csv");
  unlink("lrot_real.csv");
}
END_TEST

/* 10 passes each: data-parallel clocks 1..10, rotation on 4 workers clocks
 * 1..40 (clock 0 of both counts the initial topics). */
START_TEST(test_lda_rotation_reaches_data_parallel) {
  char *dp[] = {STALE_PROG, "sim", "--app", "lda", "--nodes", "4", "--staleness", "0", "--clocks",
                "11", NULL};
  ck_assert_int_eq(run_prog(dp, "lrot_dp.csv"), 0);
  char *rot[] = {STALE_PROG, "sim", "--app", "lda", "--nodes", "4", "--staleness", "0", "--clocks",
                 "41", "--schedule", "rotation", NULL};
  ck_assert_int_eq(run_prog(rot, "lrot_rot.csv"), 0);
  static char a[64][32];
  ck_assert_int_eq(read_column("lrot_dp.csv", "objective", a, 64), 11);
  double d = strtod(a[10], NULL);
  ck_assert_int_eq(read_column("lrot_rot.csv", "objective", a, 64), 41);
  double r = strtod(a[40], NULL);
  ck_assert_msg(r >= d, "rotation's log-likelihood %.6g, data-parallel's %.6g", r, d);
  unlink("lrot_dp.csv");
  unlink("lrot_rot.csv");
}
END_TEST

int main(void) {
  Suite *s = suite_create("rotation");
  TCase *tc = tcase_create("mf");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_rotation_sim_matches_launch);
  tcase_add_test(tc, test_rotation_reaches_data_parallel_rmse);
  tcase_add_test(tc, test_lda_rotation_sim_matches_launch);
  tcase_add_test(tc, test_lda_rotation_reaches_data_parallel);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
