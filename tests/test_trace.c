/* test_trace.c: `stale sim --model-trace`, the servers' model sampled every
 * --model-every simulated seconds. The sampler only reads, so a run's CSV
 * is byte for byte the same with and without it; its samples are on the
 * grid, in run order; and they are the servers' model at that instant: for
 * the DNN at s = 0, whose model is all in the servers and changes only when
 * a clock's updates land, every sample is the initial model or a clock's
 * model_objective, in clock order. Bad flags are refused. STALE_PROG is the
 * stale executable. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "test_prog.h"

#define MF_OPTS "users=2000,items=300,ratings=60000,rank=8,batch=4,lr=0.02,chunks=4,reread=1"
#define MAXS 4096

/* stale sim of MF on 8 nodes, seeds 1,2 x staleness 0,3, early sends on,
 * transient stragglers; trace NULL: without --model-trace. */
static int sim_mf(const char *out, const char *trace) {
  char *argv[40] = {STALE_PROG, "sim", "--app", "mf", "--app-options", MF_OPTS, "--nodes", "8",
                    "--servers", "2", "--clocks", "5", "--staleness", "0,3", "--seed", "1,2",
                    "--jobs", "2", "--stragglers", "0.2x3", "--host-speed", "0.1Gf",
                    "--comm-policy", "magnitude", "--comm-budget", "0.2link", "--out", (char *)out,
                    NULL};
  int n = 28;
  if (trace) {
    argv[n++] = "--model-trace";
    argv[n++] = (char *)trace;
    argv[n++] = "--model-every";
    argv[n++] = "3ms";
  }
  argv[n] = NULL;
  return run_prog(argv, "/dev/null");
}

static int same_file(const char *a, const char *b) {
  FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(g);
  int x, y, same = 1;
  do {
    x = fgetc(f);
    y = fgetc(g);
    if (x != y) same = 0;
  } while (same && x != EOF);
  fclose(f);
  fclose(g);
  return same;
}

START_TEST(trace_leaves_the_run_unchanged) {
  ck_assert_int_eq(sim_mf("trace_mf_a.csv", NULL), 0);
  ck_assert_int_eq(sim_mf("trace_mf_b.csv", "trace_mf_t.csv"), 0);
  ck_assert_msg(same_file("trace_mf_a.csv", "trace_mf_b.csv"), "the CSV changed with --model-trace");
  /* and the same samples again: they are deterministic */
  ck_assert_int_eq(sim_mf("trace_mf_c.csv", "trace_mf_u.csv"), 0);
  ck_assert(same_file("trace_mf_t.csv", "trace_mf_u.csv"));
}
END_TEST

START_TEST(trace_samples_on_the_grid_in_run_order) {
  ck_assert_int_eq(sim_mf("trace_mf_g.csv", "trace_mf_h.csv"), 0);
  static char run[MAXS][32], t[MAXS][32], obj[MAXS][32], pol[MAXS][32], rowt[64][32];
  int n = read_column("trace_mf_h.csv", "run", run, MAXS);
  ck_assert_int_eq(read_column("trace_mf_h.csv", "sim_time_s", t, MAXS), n);
  ck_assert_int_eq(read_column("trace_mf_h.csv", "model_objective", obj, MAXS), n);
  ck_assert_int_eq(read_column("trace_mf_h.csv", "comm_policy", pol, MAXS), n);
  ck_assert_int_gt(n, 40);
  ck_assert_int_lt(n, MAXS);
  int rows = read_column("trace_mf_g.csv", "sim_time_s", rowt, 64);
  ck_assert_int_eq(rows, 20); /* 4 runs x 5 clocks */
  int seen = -1;
  long k = 0;
  double last = 0;
  for (int i = 0; i <= n; i++) {
    int r = i < n ? atoi(run[i]) : -1;
    if (r != seen) {
      /* the samples went on while any worker ran: past the clock before last */
      if (seen >= 0)
        ck_assert_msg(last >= atof(rowt[seen * 5 + 3]), "run %d: samples end at %g, its clock 3 at %s",
                      seen, last, rowt[seen * 5 + 3]);
      if (i == n) break;
      /* a run's samples start again at the first point */
      ck_assert_int_eq(r, seen + 1);
      seen = r;
      k = 0;
    }
    k++;
    double ti = last = atof(t[i]);
    ck_assert_msg(fabs(ti - 0.003 * (double)k) < 1e-9, "run %d sample %ld at %s", r, k, t[i]);
    /* never after the run's last clock: the sampler stops with the workers */
    ck_assert_double_le(ti, atof(rowt[r * 5 + 4]) + 0.003);
    ck_assert(isfinite(atof(obj[i])) && atof(obj[i]) > 0);
    ck_assert_str_eq(pol[i], "magnitude");
  }
  ck_assert_int_eq(seen, 3);
}
END_TEST

START_TEST(dnn_samples_are_the_servers_model) {
  if (access("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", R_OK) != 0) {
    fprintf(stderr, "test_trace: no Fashion-MNIST, the DNN case is not run\n");
    return;
  }
  char *argv[] = {STALE_PROG, "sim", "--app", "dnn", "--app-options", "train=2000,test=400,batches=2",
                  "--nodes", "4", "--clocks", "4", "--staleness", "0", "--host-speed", "1Gf",
                  "--out", "trace_dnn.csv", "--model-trace", "trace_dnn_t.csv", "--model-every", "2ms",
                  NULL};
  ck_assert_int_eq(run_prog(argv, "/dev/null"), 0);
  static char rowv[8][32], v[MAXS][32];
  ck_assert_int_eq(read_column("trace_dnn.csv", "model_objective", rowv, 8), 4);
  int n = read_column("trace_dnn_t.csv", "model_objective", v, MAXS);
  ck_assert_int_gt(n, 100);
  /* index -1: the initial model (the first sample's value) */
  int at = -1, seen[4] = {0};
  for (int i = 0; i < n; i++) {
    int which = -2;
    if (!strcmp(v[i], v[0])) which = -1;
    for (int k = 0; k < 4; k++)
      if (!strcmp(v[i], rowv[k])) which = k;
    ck_assert_msg(which > -2, "sample %d (%s) is no clock's model", i, v[i]);
    ck_assert_msg(which >= at, "sample %d goes back from clock %d to %d", i, at, which);
    at = which;
    if (which >= 0) seen[which] = 1;
  }
  /* every clock but the last is seen (the sampler stops with the workers) */
  for (int k = 0; k < 3; k++) ck_assert_msg(seen[k], "clock %d's model never sampled", k);
}
END_TEST

static int sim_flags(char *a1, char *a2, char *a3, char *a4, const char *out) {
  char *argv[20] = {STALE_PROG, "sim", "--app", "mf", "--app-options", MF_OPTS, "--nodes", "4",
                    "--clocks", "2", "--out", (char *)out, a1, a2, a3, a4, NULL};
  return run_prog(argv, "/dev/null");
}

START_TEST(trace_bad_flags_refused) {
  ck_assert_int_eq(sim_flags("--model-every", "5ms", NULL, NULL, "trace_bad.csv"), 2);
  ck_assert_int_eq(sim_flags("--model-trace", "trace_bad_t.csv", "--model-every", "0ms", "trace_bad.csv"), 2);
  ck_assert_int_eq(sim_flags("--model-trace", "trace_bad_t.csv", "--model-every", "-1ms", "trace_bad.csv"), 2);
  ck_assert_int_eq(sim_flags("--model-trace", "trace_bad_t.csv", "--model-every", "5", "trace_bad.csv"), 2);
  ck_assert_int_eq(sim_flags("--model-trace", NULL, NULL, NULL, "trace_bad.csv"), 2);
  /* an unwritable trace: an error, and neither file is left as if whole */
  unlink("trace_bad2.csv");
  ck_assert_int_eq(sim_flags("--model-trace", "/nonexistent-dir/t.csv", NULL, NULL, "trace_bad2.csv"), 1);
  ck_assert_int_ne(access("trace_bad2.csv", F_OK), 0);
  /* the default period is 10ms */
  ck_assert_int_eq(sim_flags("--model-trace", "trace_def_t.csv", "--host-speed", "0.01Gf", "trace_def.csv"), 0);
  static char t[MAXS][32];
  int n = read_column("trace_def_t.csv", "sim_time_s", t, MAXS);
  ck_assert_int_gt(n, 0);
  ck_assert(fabs(atof(t[0]) - 0.01) < 1e-12);
}
END_TEST

int main(void) {
  Suite *s = suite_create("trace");
  TCase *tc = tcase_create("trace");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, trace_leaves_the_run_unchanged);
  tcase_add_test(tc, trace_samples_on_the_grid_in_run_order);
  tcase_add_test(tc, dnn_samples_are_the_servers_model);
  tcase_add_test(tc, trace_bad_flags_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
