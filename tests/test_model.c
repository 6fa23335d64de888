/* test_model.c: the objective of the model itself (the model_objective
 * column). `stale sim` measures it at the servers for free; `stale launch
 * --model-objective` through the PS at each clock's end (apps/harness.h).
 * At s = 0 (ordered mode) the two must agree bit for bit at every clock for
 * every app with model_terms; without the flag the real runtime leaves the
 * column empty; a resumed run measures the checkpoint's last clock again
 * and so gets the uninterrupted run's column; a bounded-stale run with a
 * stopping rule fills it at every clock it ran. STALE_PROG comes from the
 * build. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "test_prog.h"

#define MAXC 16

/* Runs argv (stdout to out) and requires exit status 0. */
static void must_run(char *const argv[], const char *out) {
  int rc = run_prog(argv, out);
  ck_assert_msg(rc == 0, "%s %s exited %d", argv[1], argv[3], rc);
}

/* Requires column name of a and b to be the same non-empty text on each of
 * n rows. */
static void same_column(const char *a, const char *b, const char *name, int n) {
  char x[MAXC][32], y[MAXC][32];
  ck_assert_int_eq(read_column(a, name, x, MAXC), n);
  ck_assert_int_eq(read_column(b, name, y, MAXC), n);
  for (int c = 0; c < n; c++) {
    ck_assert_msg(x[c][0] != '\0', "%s: clock %d: %s empty", a, c, name);
    ck_assert_msg(!strcmp(x[c], y[c]), "clock %d: %s %s in %s, %s in %s", c, name, x[c], a, y[c],
                  b);
  }
}

/* sim --nodes 4 and launch --local 4 --model-objective at s = 0 for app,
 * with wpn workers per node. */
static void agree_at_s0_wpn(const char *app, const char *opts, const char *wpn) {
  char sim_csv[64], real_csv[64];
  snprintf(sim_csv, sizeof sim_csv, "model_sim_%s%s.csv", app, strcmp(wpn, "1") ? wpn : "");
  snprintf(real_csv, sizeof real_csv, "model_real_%s%s.csv", app, strcmp(wpn, "1") ? wpn : "");
  char *sim[] = {STALE_PROG, "sim", "--app", (char *)app, "--nodes", "4", "--staleness", "0",
                 "--clocks", "6", "--app-options", (char *)opts, "--workers-per-node",
                 (char *)wpn, NULL};
  char *run[] = {STALE_PROG, "launch", "--local", "4", "--app", (char *)app, "--staleness", "0",
                 "--clocks", "6", "--app-options", (char *)opts, "--workers-per-node",
                 (char *)wpn, "--model-objective", NULL};
  must_run(sim, sim_csv);
  must_run(run, real_csv);
  same_column(sim_csv, real_csv, "objective", 6);
  same_column(sim_csv, real_csv, "model_objective", 6);
}

static void agree_at_s0(const char *app, const char *opts) { agree_at_s0_wpn(app, opts, "1"); }

START_TEST(mf_agrees_at_s0) { agree_at_s0("mf", "users=400,items=80,ratings=6000"); }
END_TEST

/* Node-mates' terms are summed in worker order on both backends. */
START_TEST(mf_agrees_with_two_workers_per_node) {
  agree_at_s0_wpn("mf", "users=400,items=80,ratings=6000", "2");
}
END_TEST

START_TEST(lda_agrees_at_s0) { agree_at_s0("lda", "topics=8"); }
END_TEST

START_TEST(lasso_agrees_at_s0) { agree_at_s0("lasso", "n=400,p=60,k=6"); }
END_TEST

START_TEST(dnn_agrees_at_s0) {
  if (access("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", R_OK) != 0) {
    fprintf(stderr, "test_model: no Fashion-MNIST, the DNN case is not run\n");
    return;
  }
  agree_at_s0("dnn", "train=2000,test=400,batches=2");
}
END_TEST

/* At s = 0 the Lasso's table holds exactly the coefficients every worker
 * evaluated in the clock, so the model's objective is the workers' one;
 * MF's workers evaluate with the other workers' items of one clock
 * earlier, so while it learns its model is ahead of what they saw. */
START_TEST(what_the_model_is) {
  char o[MAXC][32], m[MAXC][32];
  ck_assert_int_eq(read_column("model_sim_lasso.csv", "objective", o, MAXC), 6);
  ck_assert_int_eq(read_column("model_sim_lasso.csv", "model_objective", m, MAXC), 6);
  for (int c = 0; c < 6; c++) ck_assert_str_eq(o[c], m[c]);
  ck_assert_int_eq(read_column("model_sim_mf.csv", "objective", o, MAXC), 6);
  ck_assert_int_eq(read_column("model_sim_mf.csv", "model_objective", m, MAXC), 6);
  for (int c = 0; c < 4; c++)
    ck_assert_msg(strtod(m[c], NULL) < strtod(o[c], NULL), "clock %d: model %s, workers %s", c,
                  m[c], o[c]);
}
END_TEST

START_TEST(without_the_flag_the_column_is_empty) {
  char *run[] = {STALE_PROG, "launch", "--local", "2", "--app", "mf", "--staleness", "0",
                 "--clocks", "3", NULL};
  must_run(run, "model_off.csv");
  char v[MAXC][32];
  ck_assert_int_eq(read_column("model_off.csv", "model_objective", v, MAXC), 3);
  for (int c = 0; c < 3; c++) ck_assert_str_eq(v[c], "");
}
END_TEST

START_TEST(scheduled_runs_are_refused) {
  char *run[] = {STALE_PROG, "launch", "--local", "2", "--app", "mf", "--schedule", "rotation",
                 "--model-objective", NULL};
  ck_assert_int_eq(run_prog(run, "model_sched.csv"), 2);
}
END_TEST

/* Checkpoints at clocks 2, 4, 6; resumed from 4 (6 made incomplete), the
 * model of clock 3 (whose terms travel in clock 4, after the checkpoint)
 * is measured again from the restored rows and worker state. */
START_TEST(a_resumed_run_keeps_the_column) {
  ck_assert_int_eq(system("rm -rf model_ckpt"), 0);
  char *run[] = {STALE_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                 "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "model_ckpt",
                 "--model-objective", NULL};
  must_run(run, "model_ck1.csv");
  ck_assert_int_eq(system("rm model_ckpt/ckpt-6/COMPLETE"), 0);
  char *again[] = {STALE_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "model_ckpt",
                   "--model-objective", "--resume", NULL};
  must_run(again, "model_ck2.csv");
  same_column("model_ck1.csv", "model_ck2.csv", "model_objective", 8);
  char *sim[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--staleness", "0",
                 "--clocks", "8", NULL};
  must_run(sim, "model_ck_sim.csv");
  same_column("model_ck_sim.csv", "model_ck1.csv", "model_objective", 8);
}
END_TEST

/* s = 2 with a target: every worker stops after the same clock, the
 * closing clock carries the last terms, every clock run has its model. */
START_TEST(bounded_staleness_with_a_stopping_rule) {
  char *run[] = {STALE_PROG, "launch", "--local", "3", "--app", "mf", "--staleness", "2",
                 "--clocks", "40", "--target", "0.8", "--model-objective", NULL};
  must_run(run, "model_s2.csv");
  char v[64][32], why[64][32];
  int n = read_column("model_s2.csv", "model_objective", v, 64);
  ck_assert_int_eq(read_column("model_s2.csv", "stopped_by", why, 64), n);
  ck_assert_int_gt(n, 2);
  ck_assert_int_lt(n, 40);
  ck_assert_str_eq(why[0], "target");
  for (int c = 0; c < n; c++) {
    double x = strtod(v[c], NULL);
    ck_assert_msg(v[c][0] && x > 0 && x < 5, "clock %d: model_objective '%s'", c, v[c]);
  }
}
END_TEST

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  Suite *s = suite_create("model");
  TCase *tc = tcase_create("all");
  tcase_set_timeout(tc, 200);
  tcase_add_test(tc, mf_agrees_at_s0);
  tcase_add_test(tc, mf_agrees_with_two_workers_per_node);
  tcase_add_test(tc, lda_agrees_at_s0);
  tcase_add_test(tc, lasso_agrees_at_s0);
  tcase_add_test(tc, dnn_agrees_at_s0);
  tcase_add_test(tc, what_the_model_is);
  tcase_add_test(tc, without_the_flag_the_column_is_empty);
  tcase_add_test(tc, scheduled_runs_are_refused);
  tcase_add_test(tc, a_resumed_run_keeps_the_column);
  tcase_add_test(tc, bounded_staleness_with_a_stopping_rule);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
