/* test_lasso_sched.c: Lasso's scheduled coordinate descent (apps/lasso/cd.c
 * and --schedule): the partial sums, the update and the dependency against
 * brute force; `stale sim` equals `stale launch --local 4` bit for bit for
 * sequential and priority+dependency at depth 0; on diabetes both reach
 * scikit-learn's objective; on a correlated design shotgun with 64
 * coordinates a round diverges while priority+dependency reaches the
 * sequential solver's objective (1e-4 relative). STALE_PROG and
 * LASSO_DATA_DIR come from the build. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runopt.h"
#include "lasso/cd.h"
#include "lasso/gen.h"
#include "lasso/model.h"
#include "test_prog.h"

/* scikit-learn 1.2's Lasso(alpha=0.1) on apps/lasso/data/diabetes.svm (as in
 * test_lasso.c; experiments/lasso_reference.py prints it). */
#define SKLEARN_DIABETES_OBJECTIVE 1629.0545426
/* The same for the design of correlated(): gen-lasso --n 300 --p 200
 * --group 20 --rho 0.8 (seed 1), lambda 0.1. */
#define SKLEARN_CORRELATED_OBJECTIVE 3.439839999

START_TEST(test_cd_against_brute_force) {
  lasso_gen_params g = lasso_gen_defaults();
  g.n = 60;
  g.p = 12;
  g.group = 4;
  g.k = 4;
  g.rho = 0.6;
  lasso_data d;
  char err[200];
  ck_assert_int_eq(lasso_generate(&g, &d, NULL, err, sizeof err), 0);
  double mean[13], ym;
  lasso_data_means(&d, mean, &ym);
  lasso_cd cd;
  ck_assert_int_eq(lasso_cd_build(&d, mean, ym, 0.05, &cd), 0);
  lasso_cdw w[3];
  for (int k = 0; k < 3; k++) ck_assert_int_eq(lasso_cdw_init(&w[k], &cd, &d, k * 20, k * 20 + 20), 0);
  /* Some coefficients, applied in two steps. */
  uint32_t v1[3] = {1, 5, 9}, v2[2] = {5, 11};
  float b1[3] = {0.5f, -1.25f, 2.0f}, b2[2] = {0.75f, -0.5f};
  double beta[12] = {0};
  beta[1] = 0.5, beta[5] = 0.75, beta[9] = 2.0, beta[11] = -0.5;
  for (int k = 0; k < 3; k++) {
    lasso_cdw_apply(&w[k], &cd, v1, b1, 3);
    lasso_cdw_apply(&w[k], &cd, v2, b2, 2);
  }
  /* Centred residual by brute force. */
  double r[60], sse = 0;
  for (uint32_t i = 0; i < 60; i++) {
    r[i] = d.y[i] - ym;
    for (uint32_t j = 0; j < 12; j++) r[i] -= (d.dense[i * 12 + j] - mean[j]) * beta[j];
    sse += r[i] * r[i];
  }
  double wsse = 0;
  for (int k = 0; k < 3; k++) wsse += lasso_cdw_sse(&w[k], &cd);
  ck_assert_double_eq_tol(wsse, sse, 1e-9 * sse);
  uint32_t all[12];
  for (uint32_t j = 0; j < 12; j++) all[j] = j;
  float part[3][12];
  for (int k = 0; k < 3; k++) lasso_cdw_partials(&w[k], &cd, all, 12, part[k]);
  for (uint32_t j = 0; j < 12; j++) {
    double z = 0, zz = (double)part[0][j] + part[1][j] + part[2][j], ss = 0;
    for (uint32_t i = 0; i < 60; i++) z += (d.dense[i * 12 + j] - mean[j]) * r[i];
    ck_assert_double_eq_tol(zz, z, 1e-5 * (fabs(z) + 1));
    /* The update minimises F along j: nudging the result either way is no better. */
    for (uint32_t i = 0; i < 60; i++) ss += pow(d.dense[i * 12 + j] - mean[j], 2);
    double sum = z;
    float nb = lasso_cd_update(&cd, j, (float)beta[j], &sum);
    double best = INFINITY;
    for (int s = -1; s <= 1; s++) {
      double t = (double)nb + s * 1e-3, dd = t - beta[j], f = 0;
      for (uint32_t i = 0; i < 60; i++) f += pow(r[i] - (d.dense[i * 12 + j] - mean[j]) * dd, 2);
      f = f / 120 + 0.05 * fabs(t);
      if (s == 0) ck_assert_double_le(f, best + 1e-12);
      if (f < best) best = f;
    }
    (void)ss;
  }
  /* Dependency: |correlation|, symmetric, the cache gives the same. */
  for (uint32_t a = 0; a < 12; a++)
    for (uint32_t b = 0; b < 12; b++) {
      double sa = 0, sb = 0, sab = 0;
      for (uint32_t i = 0; i < 60; i++) {
        double x = d.dense[i * 12 + a] - mean[a], y = d.dense[i * 12 + b] - mean[b];
        sa += x * x, sb += y * y, sab += x * y;
      }
      double want = a == b ? 1.0 : fabs(sab) / sqrt(sa * sb), work = 0;
      ck_assert_double_eq_tol(lasso_cd_dep(&cd, a, b, &work), want, 1e-6);
      ck_assert_double_eq_tol(lasso_cd_dep(&cd, b, a, &work), want, 1e-6);
      if (a != b) ck_assert_double_gt(work, 0);
    }
  /* Inside a group the columns are correlated, across groups hardly. */
  double work = 0;
  ck_assert_double_gt(lasso_cd_dep(&cd, 0, 1, &work), 0.3);
  for (int k = 0; k < 3; k++) lasso_cdw_free(&w[k]);
  lasso_cd_free(&cd);
  lasso_data_free(&d);
}
END_TEST

/* The scheduler's flags: values, defaults (STRADS'), refusals. */
START_TEST(test_schedule_flags) {
  runopt o;
  runopt_defaults(&o);
  ck_assert_uint_eq(o.sched.kind, SCHED_NONE);
  ck_assert_uint_eq(o.sched.size, 32);
  ck_assert_double_eq(o.sched.rho, 0.1);
  ck_assert_uint_eq(o.sched.depth, 0);
  char *argv[] = {"x", "--schedule", "priority+dependency", "--schedule-size=8", "--rho", "0.25",
                  "--eta", "1e-3", "--depth", "2", "--rounds-per-clock", "7"};
  char err[300];
  for (int i = 1; i < 12;) ck_assert_int_eq(runopt_parse(&o, 12, argv, &i, err, sizeof err), 1);
  ck_assert_uint_eq(o.sched.kind, SCHED_PRIODEP);
  ck_assert_uint_eq(o.sched.size, 8);
  ck_assert_double_eq(o.sched.rho, 0.25);
  ck_assert_double_eq(o.sched.eta, 1e-3);
  ck_assert_uint_eq(o.sched.depth, 2);
  ck_assert_uint_eq(o.sched.rounds_per_clock, 7);
  const char *bad[][2] = {{"--schedule", "fifo"}, {"--schedule-size", "0"}, {"--rho", "-1"},
                          {"--eta", "0"}, {"--depth", "65"}, {"--rounds-per-clock", "x"}};
  for (int k = 0; k < 6; k++) {
    char *a[] = {"x", (char *)bad[k][0], (char *)bad[k][1]};
    int i = 1;
    err[0] = '\0';
    ck_assert_int_eq(runopt_parse(&o, 3, a, &i, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[k][0]) != NULL, "%s: %s", bad[k][0], err);
  }
}
END_TEST

/* ---- the stale program ---- */

static void sim_vs_launch(const char *schedule) {
  const char *opts = "n=300,p=70,group=7,k=6,rho=0.5,lambda=0.05";
  char *sim[] = {STALE_PROG, "sim", "--app", "lasso", "--nodes", "4", "--staleness", "0",
                 "--clocks", "12", "--rounds-per-clock", "10", "--schedule", (char *)schedule,
                 "--schedule-size", "16", "--app-options", (char *)opts, NULL};
  ck_assert_int_eq(run_prog(sim, "lasso_sched_sim.csv"), 0);
  char *run[] = {STALE_PROG, "launch", "--local", "4", "--app", "lasso", "--staleness", "0",
                 "--clocks", "12", "--rounds-per-clock", "10", "--schedule", (char *)schedule,
                 "--schedule-size", "16", "--app-options", (char *)opts, NULL};
  ck_assert_int_eq(run_prog(run, "lasso_sched_real.csv"), 0);
  static char a[16][32], b[16][32];
  const char *cols[] = {"objective", "nnz"};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(read_column("lasso_sched_sim.csv", cols[k], a, 16), 12);
    ck_assert_int_eq(read_column("lasso_sched_real.csv", cols[k], b, 16), 12);
    for (int c = 0; c < 12; c++)
      ck_assert_msg(!strcmp(a[c], b[c]), "%s %s at clock %d: sim %s, launch %s", schedule,
                    cols[k], c, a[c], b[c]);
  }
  ck_assert_int_eq(read_column("lasso_sched_sim.csv", "objective", a, 16), 12);
  ck_assert_double_lt(strtod(a[11], NULL), 0.7 * strtod(a[0], NULL)); /* it optimises */
  unlink("lasso_sched_sim.csv");
  unlink("lasso_sched_real.csv");
}

START_TEST(test_sim_matches_launch_sequential) { sim_vs_launch("sequential"); }
END_TEST

START_TEST(test_sim_matches_launch_priodep) { sim_vs_launch("priority+dependency"); }
END_TEST

/* The last objective of a sim run of `schedule` (NAN if not a number). */
static double last_objective(const char *data, const char *opts, const char *schedule,
                             const char *size, const char *clocks, const char *rpc, int nclocks) {
  char *sim[24] = {STALE_PROG, "sim", "--app", "lasso", "--nodes", "8", "--staleness", "0",
                   "--clocks", (char *)clocks, "--rounds-per-clock", (char *)rpc,
                   "--schedule", (char *)schedule, "--schedule-size", (char *)size,
                   "--app-options", (char *)opts, NULL};
  if (data) {
    sim[18] = "--data";
    sim[19] = (char *)data;
  }
  ck_assert_int_eq(run_prog(sim, "lasso_sched_last.csv"), 0);
  static char a[200][32];
  ck_assert_int_eq(read_column("lasso_sched_last.csv", "objective", a, 200), nclocks);
  unlink("lasso_sched_last.csv");
  return strtod(a[nclocks - 1], NULL);
}

START_TEST(test_diabetes_reaches_sklearn) {
  const char *d = LASSO_DATA_DIR "/diabetes.svm";
  double want = SKLEARN_DIABETES_OBJECTIVE;
  double seq = last_objective(d, "lambda=0.1", "sequential", "1", "40", "20", 40);
  ck_assert_msg(fabs(seq - want) <= 1e-4 * want, "sequential %.9g vs %.9g", seq, want);
  double pd = last_objective(d, "lambda=0.1", "priority+dependency", "32", "40", "40", 40);
  ck_assert_msg(fabs(pd - want) <= 1e-4 * want, "priority+dependency %.9g vs %.9g", pd, want);
}
END_TEST

/* correlated(): groups of 20 columns at correlation 0.8, whose Gram matrix
 * has an eigenvalue near 1 + 19 * 0.8 = 16.2, so Shotgun is safe only
 * below about p / 16.2 = 12 coordinates a round; 64 diverge. */
START_TEST(test_correlated_shotgun_diverges_priodep_converges) {
  const char *o = "lambda=0.1,n=300,p=200,group=20,rho=0.8";
  double seq = last_objective(NULL, o, "sequential", "1", "30", "400", 30);
  ck_assert_msg(fabs(seq - SKLEARN_CORRELATED_OBJECTIVE) <= 1e-4 * SKLEARN_CORRELATED_OBJECTIVE,
                "sequential %.9g vs scikit-learn %.9g", seq, SKLEARN_CORRELATED_OBJECTIVE);
  double shot = last_objective(NULL, o, "shotgun", "64", "20", "50", 20);
  ck_assert_msg(!(shot < 2 * seq), "shotgun converged: %.9g", shot);
  double pd = last_objective(NULL, o, "priority+dependency", "64", "20", "100", 20);
  ck_assert_msg(fabs(pd - seq) <= 1e-4 * seq, "priority+dependency %.9g vs sequential %.9g", pd,
                seq);
}
END_TEST

int main(void) {
  Suite *s = suite_create("lasso_sched");
  TCase *unit = tcase_create("cd");
  tcase_add_test(unit, test_cd_against_brute_force);
  tcase_add_test(unit, test_schedule_flags);
  suite_add_tcase(s, unit);
  TCase *run = tcase_create("runs");
  tcase_set_timeout(run, 600);
  tcase_add_test(run, test_sim_matches_launch_sequential);
  tcase_add_test(run, test_sim_matches_launch_priodep);
  tcase_add_test(run, test_diabetes_reaches_sklearn);
  tcase_add_test(run, test_correlated_shotgun_diverges_priodep_converges);
  suite_add_tcase(s, run);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
