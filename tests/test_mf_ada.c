/* test_mf_ada.c: MF with step=adarevision (the item table under the
 * AdaRevision rule, core/ada.h): its options and gradient step by hand; on
 * 8 simulated nodes at staleness 4 it converges where plain SGD at a step
 * that is fine at s = 0 diverges; and at s = 0 `stale launch --local 4`
 * gives the simulator's objective bit for bit at every clock. STALE_PROG is
 * the stale program, given by the build. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "mf/model.h"
#include "st.h"
#include "test_prog.h"

START_TEST(options_take_step_and_eta0) {
  mf_options o;
  char err[256];
  ck_assert_int_eq(mf_options_parse("rank=4", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.step, MF_STEP_SGD);
  ck_assert_int_eq(mf_options_parse("step=adarevision,eta0=0.25,lr=0.01", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.step, MF_STEP_ADAREV);
  ck_assert_float_eq(o.eta0, 0.25f);
  ck_assert_float_eq(o.lr, 0.01f);
  ck_assert_int_eq(mf_options_parse("step=adagrad", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.step, MF_STEP_ADAGRAD);
  ck_assert_int_eq(mf_options_parse("eta0=2,step=sgd", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.step, MF_STEP_SGD);
  static const struct {
    const char *text, *says;
  } bad[] = {{"step=adam", "expected sgd, adarevision or adagrad"},
             {"step=", "'step'"},
             {"step=sgd,step=sgd", "given twice"},
             {"step=sgd,", "trailing"},
             {"eta0=0", "'eta0'"},
             {"eta0=-1", "'eta0'"},
             {"eta0=x", "bad value 'x'"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(mf_options_parse(bad[i].text, &o, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[i].says) != NULL, "%s: %s", bad[i].text, err);
  }
}
END_TEST

/* u=(1,2) v=(0.5,-1) r=4 mu=3 lr=0.1 reg=0.5: e = 4 - (3 + 0.5 - 2) = 2.5;
 * u += 0.1 (e v - 0.5 u) = (1.075, 1.65); gsum += e u - 0.5 v =
 * (2.25, 5.5); v stays. */
START_TEST(grad_update_by_hand) {
  float u[2] = {1, 2}, v[2] = {0.5f, -1}, g[2] = {1, 0};
  float e = mf_grad_update(u, v, g, 2, 4, 3, 0.1f, 0.5f);
  ck_assert_float_eq_tol(e, 2.5f, 1e-6f);
  ck_assert_float_eq_tol(u[0], 1.075f, 1e-6f);
  ck_assert_float_eq_tol(u[1], 1.65f, 1e-6f);
  ck_assert_float_eq_tol(g[0], 1 + 2.25f, 1e-6f);
  ck_assert_float_eq_tol(g[1], 5.5f, 1e-6f);
  ck_assert(v[0] == 0.5f && v[1] == -1.0f);
}
END_TEST

/* The objective of every clock of `stale sim` (or launch) given args. */
static int objectives(char *const argv[], const char *out, double *obj, int max) {
  ck_assert_int_eq(run_prog(argv, out), 0);
  char vals[64][32];
  int n = read_column(out, "objective", vals, max < 64 ? max : 64);
  for (int i = 0; i < n; i++) obj[i] = strtod(vals[i], NULL);
  return n;
}

#define DATA "users=2000,items=200,ratings=40000,rank=8"

START_TEST(converges_on_8_nodes_where_sgd_diverges) {
  char *sgd[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "8", "--staleness", "4", "--clocks",
                 "30", "--app-options", DATA ",lr=0.05", NULL};
  char *ada[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "8", "--staleness", "4", "--clocks",
                 "30", "--app-options", DATA ",step=adarevision,eta0=0.3", NULL};
  char *sgd0[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "8", "--staleness", "0", "--clocks",
                  "30", "--app-options", DATA ",lr=0.05", NULL};
  double a[30], b[30], c[30];
  ck_assert_int_eq(objectives(sgd, "mf_ada_sgd.csv", a, 30), 30);
  ck_assert_int_eq(objectives(ada, "mf_ada_ada.csv", b, 30), 30);
  ck_assert_int_eq(objectives(sgd0, "mf_ada_sgd0.csv", c, 30), 30);
  /* The step is sound without delay (s = 0 converges below 0.85)... */
  ck_assert_msg(c[29] < 0.85, "sgd at s=0 ends at %f", c[29]);
  /* ...but at s = 4 SGD turns back up and ends far above its best... */
  double best = a[0];
  for (int i = 1; i < 30; i++) best = a[i] < best ? a[i] : best;
  ck_assert_msg(a[29] > 0.95 && a[29] > best + 0.1, "sgd at s=4: best %f, end %f", best, a[29]);
  /* ...while AdaRevision keeps going down and ends below 0.86. */
  ck_assert_msg(b[29] < 0.86, "adarevision at s=4 ends at %f", b[29]);
  for (int i = 20; i < 30; i++) ck_assert_msg(b[i] <= b[i - 1] + 1e-3, "clock %d went up: %f -> %f", i, b[i - 1], b[i]);
  unlink("mf_ada_sgd.csv");
  unlink("mf_ada_ada.csv");
  unlink("mf_ada_sgd0.csv");
}
END_TEST

START_TEST(launch_local_matches_sim_at_s0) {
  char *sim[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--staleness", "0", "--clocks",
                 "8", "--app-options", "step=adarevision,eta0=0.3", NULL};
  char *real[] = {STALE_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                  "--clocks", "8", "--app-options", "step=adarevision,eta0=0.3", NULL};
  char a[64][32], b[64][32];
  ck_assert_int_eq(run_prog(sim, "mf_ada_sim.csv"), 0);
  ck_assert_int_eq(run_prog(real, "mf_ada_real.csv"), 0);
  ck_assert_int_eq(read_column("mf_ada_sim.csv", "objective", a, 64), 8);
  ck_assert_int_eq(read_column("mf_ada_real.csv", "objective", b, 64), 8);
  for (int c = 0; c < 8; c++) ck_assert_msg(!strcmp(a[c], b[c]), "clock %d: sim %s real %s", c, a[c], b[c]);
  /* The same bytes go at the clocks: versioned rows are counted alike. */
  ck_assert_int_eq(read_column("mf_ada_sim.csv", "bytes_at_clocks", a, 64), 8);
  ck_assert_int_eq(read_column("mf_ada_real.csv", "bytes_at_clocks", b, 64), 8);
  for (int c = 0; c < 8; c++) ck_assert_msg(!strcmp(a[c], b[c]), "clock %d: sim %s real %s bytes", c, a[c], b[c]);
  /* And the rule is really on: plain SGD's objective differs. */
  char *plain[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--staleness", "0", "--clocks",
                   "8", NULL};
  ck_assert_int_eq(run_prog(plain, "mf_ada_plain.csv"), 0);
  ck_assert_int_eq(read_column("mf_ada_plain.csv", "objective", b, 64), 8);
  ck_assert_int_eq(read_column("mf_ada_sim.csv", "objective", a, 64), 8);
  ck_assert_msg(strcmp(a[7], b[7]) != 0, "adarevision and sgd agree: %s", a[7]);
  unlink("mf_ada_sim.csv");
  unlink("mf_ada_real.csv");
  unlink("mf_ada_plain.csv");
}
END_TEST

START_TEST(rotation_refuses_adarevision) {
  char *argv[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--clocks", "2",
                  "--schedule", "rotation", "--app-options", "step=adarevision", NULL};
  ck_assert_int_ne(run_prog(argv, "mf_ada_rot.csv"), 0);
  argv[11] = "step=sgd"; /* the same run with plain SGD is fine */
  ck_assert_int_eq(run_prog(argv, "mf_ada_rot.csv"), 0);
  unlink("mf_ada_rot.csv");
}
END_TEST

/* Checkpoints keep values, not AdaRevision's state: such runs refuse them. */
START_TEST(checkpoints_refuse_adarevision) {
  char dir[] = "mf_ada_ckXXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *argv[] = {STALE_PROG, "launch", "--local", "2", "--app", "mf", "--clocks", "4",
                  "--checkpoint-dir", dir, "--checkpoint-every", "2", "--app-options",
                  "step=adarevision", NULL};
  ck_assert_int_ne(run_prog(argv, "mf_ada_ck.csv"), 0);
  argv[13] = "step=sgd";
  ck_assert_int_eq(run_prog(argv, "mf_ada_ck.csv"), 0);
  unlink("mf_ada_ck.csv");
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *mf_ada_suite(void) {
  Suite *s = suite_create("mf_ada");
  TCase *m = tcase_create("model");
  tcase_add_test(m, options_take_step_and_eta0);
  tcase_add_test(m, grad_update_by_hand);
  suite_add_tcase(s, m);
  TCase *r = tcase_create("runs");
  tcase_set_timeout(r, 240);
  tcase_add_test(r, converges_on_8_nodes_where_sgd_diverges);
  tcase_add_test(r, launch_local_matches_sim_at_s0);
  tcase_add_test(r, rotation_refuses_adarevision);
  tcase_add_test(r, checkpoints_refuse_adarevision);
  suite_add_tcase(s, r);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(mf_ada_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
