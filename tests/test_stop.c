/* test_stop.c: each stopping rule stops a run where it should. The rule
 * (apps/harness.h): the first clock d whose record meets --until-time or
 * --target ends the run after clock d + min(s, 16), unless --clocks comes
 * first. Runs of `stale sim` and `stale launch` are checked against that
 * from their own CSV (the time and objective of every clock), for BSP, a
 * finite bound and inf; the same seed gives the same bytes. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "runopt.h"

/* Runs argv with stdout and stderr to files; returns the exit status. */
static int run(char *const argv[], const char *out, const char *errf) {
  pid_t p = fork();
  if (p == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  char *s = malloc(n + 1);
  memcpy(s, buf, n + 1);
  return s;
}

/* One CSV row as the checks need it. */
typedef struct row {
  char run[8], staleness[8], stopped_by[8], objective[32];
  unsigned clock;
  double time, obj, model;
  int has_model;
} row;

#define MAXROWS 512

/* Splits a CSV without quoted fields (these runs have no app options). */
static int load(const char *path, const char *time_col, row *rows) {
  char *text = slurp(path), *save = NULL;
  char *line = strtok_r(text, "\n", &save);
  ck_assert_ptr_nonnull(line);
  int idx[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
  const char *want[8] = {"run", "staleness", "clock", NULL, "objective", "model_objective",
                         "stopped_by", NULL};
  want[3] = time_col;
  int col = 0;
  for (char *p = line, *q; p; p = q ? q + 1 : NULL, col++) {
    q = strchr(p, ',');
    size_t len = q ? (size_t)(q - p) : strlen(p);
    for (int k = 0; k < 7; k++)
      if (strlen(want[k]) == len && !strncmp(p, want[k], len)) idx[k] = col;
  }
  for (int k = 0; k < 7; k++) ck_assert_msg(idx[k] >= 0, "%s: no column %s", path, want[k]);
  int n = 0;
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    ck_assert_int_lt(n, MAXROWS);
    row *r = &rows[n++];
    memset(r, 0, sizeof *r);
    col = 0;
    for (char *p = line, *q; p; p = q ? q + 1 : NULL, col++) {
      q = strchr(p, ',');
      if (q) *q = '\0';
      if (col == idx[0]) snprintf(r->run, sizeof r->run, "%s", p);
      if (col == idx[1]) snprintf(r->staleness, sizeof r->staleness, "%s", p);
      if (col == idx[2]) r->clock = (unsigned)strtoul(p, NULL, 10);
      if (col == idx[3]) r->time = strtod(p, NULL);
      if (col == idx[4]) {
        snprintf(r->objective, sizeof r->objective, "%s", p);
        r->obj = strtod(p, NULL);
      }
      if (col == idx[5]) {
        r->has_model = *p != '\0';
        r->model = strtod(p, NULL);
      }
      if (col == idx[6]) snprintf(r->stopped_by, sizeof r->stopped_by, "%s", p);
    }
  }
  free(text);
  return n;
}

static uint32_t staleness_of(const char *s) {
  return !strcmp(s, "inf") ? ST_STALENESS_INF : (uint32_t)strtoul(s, NULL, 10);
}

/* Checks every run of the CSV against the rule; returns how many runs were
 * ended by each reason (counts[HARNESS_STOP_*]). */
static void check_runs(const row *rows, int n, const harness_stop *st, uint32_t clocks,
                       int counts[3]) {
  counts[0] = counts[1] = counts[2] = 0;
  for (int i = 0; i < n;) {
    int j = i;
    while (j < n && !strcmp(rows[j].run, rows[i].run)) j++;
    uint32_t lag = harness_stop_lag(staleness_of(rows[i].staleness));
    uint32_t got = (uint32_t)(j - i), want = clocks;
    int why = HARNESS_STOP_CLOCKS;
    for (int k = i; k < j; k++) {
      ck_assert_uint_eq(rows[k].clock, (unsigned)(k - i));
      int met = harness_stop_met(st, rows[k].time, rows[k].obj);
      if (met && (uint32_t)(k - i) + lag + 1 < clocks) {
        want = (uint32_t)(k - i) + lag + 1;
        why = met;
        break;
      }
    }
    ck_assert_msg(got == want, "run %s (s=%s): %u clocks, the rule says %u", rows[i].run,
                  rows[i].staleness, got, want);
    for (int k = i; k < j; k++) ck_assert_str_eq(rows[k].stopped_by, harness_stop_name(why));
    counts[why]++;
    i = j;
  }
}

START_TEST(decision_functions) {
  harness_stop none = {0};
  ck_assert_int_eq(harness_stop_active(&none), 0);
  ck_assert_int_eq(harness_stop_met(&none, 1e9, -1e9), 0);
  harness_stop st = {.has_until = 1, .has_target = 1, .until_time = 2.0, .target = 0.5};
  ck_assert_int_eq(harness_stop_met(&st, 1.0, 0.6), 0);
  ck_assert_int_eq(harness_stop_met(&st, 2.0, 0.6), HARNESS_STOP_TIME);
  ck_assert_int_eq(harness_stop_met(&st, 1.0, 0.5), HARNESS_STOP_TARGET);
  ck_assert_int_eq(harness_stop_met(&st, 3.0, 0.1), HARNESS_STOP_TARGET);
  ck_assert_int_eq(harness_stop_met(&st, 1.0, NAN), 0); /* a diverged run never meets it */
  st.maximize = 1; /* an objective that improves upward */
  ck_assert_int_eq(harness_stop_met(&st, 1.0, 0.5), HARNESS_STOP_TARGET);
  ck_assert_int_eq(harness_stop_met(&st, 1.0, 0.4), 0);
  ck_assert_int_eq(harness_stop_met(&st, 1.0, 0.6), HARNESS_STOP_TARGET);
  st.maximize = 0;
  ck_assert_uint_eq(harness_stop_lag(0), 0);
  ck_assert_uint_eq(harness_stop_lag(3), 3);
  ck_assert_uint_eq(harness_stop_lag(ST_STALENESS_INF), HARNESS_STOP_LAG);
  /* 10 clocks of at most 20 at s = 3: decided from clock 6. */
  ck_assert_uint_eq(harness_stop_clock(&st, 3, 0, 10, 20), 6);
  ck_assert_uint_eq(harness_stop_clock(&st, 3, 0, 20, 20), UINT32_MAX);
  ck_assert_uint_eq(harness_stop_clock(&none, 3, 0, 10, 20), UINT32_MAX);
  ck_assert_uint_eq(harness_stop_clock(&st, 3, 0, 3, 20), UINT32_MAX);
  ck_assert_str_eq(harness_stop_name(HARNESS_STOP_TIME), "time");
  ck_assert_str_eq(harness_stop_name(0), "clocks");
}
END_TEST

START_TEST(flags_parse_and_refuse) {
  runopt o;
  runopt_defaults(&o);
  char a0[] = "--until-time", a1[] = "0.25", a2[] = "--target=0.8", a3[] = "--until-time",
       a4[] = "-1", a5[] = "--target", a6[] = "x";
  char *argv[] = {a0, a1, a2, a3, a4, a5, a6};
  char err[200];
  int i = 0;
  ck_assert_int_eq(runopt_parse(&o, 7, argv, &i, err, sizeof err), 1);
  ck_assert_int_eq(runopt_parse(&o, 7, argv, &i, err, sizeof err), 1);
  app_ops up = {.name = "up", .maximize = 1};
  harness_stop st = runopt_stop(&o, &up);
  ck_assert_int_eq(harness_stop_met(&st, 0.0, 0.81), HARNESS_STOP_TARGET);
  ck_assert_int_eq(harness_stop_met(&st, 0.0, 0.79), 0);
  ck_assert(st.has_until && st.has_target && st.until_time == 0.25 && st.target == 0.8);
  ck_assert_int_eq(runopt_parse(&o, 7, argv, &i, err, sizeof err), ST_EPARSE);
  ck_assert_msg(strstr(err, "--until-time") && strstr(err, "-1"), "%s", err);
  i = 5;
  ck_assert_int_eq(runopt_parse(&o, 7, argv, &i, err, sizeof err), ST_EPARSE);
  ck_assert_msg(strstr(err, "--target") && strstr(err, "'x'"), "%s", err);
}
END_TEST

static row rows[MAXROWS];

/* --clocks, --target, --until-time and both, each at s = 0, 2 and inf. */
START_TEST(sim_stops_where_each_rule_says) {
  struct {
    const char *flag, *value, *flag2, *value2;
    harness_stop st;
    int must_stop; /* runs the rule (not --clocks) must end, at least */
  } cases[] = {
      {"--clocks", "40", NULL, NULL, {0}, 0},
      {"--target", "0.93", NULL, NULL, {.has_target = 1, .target = 0.93}, 3},
      {"--until-time", "0.06", NULL, NULL, {.has_until = 1, .until_time = 0.06}, 2},
      {"--until-time", "0.06", "--target", "0.93",
       {.has_until = 1, .has_target = 1, .until_time = 0.06, .target = 0.93}, 3},
      {"--target", "0.1", NULL, NULL, {.has_target = 1, .target = 0.1}, 0}, /* never met */
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    char *a[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "16", "--clocks", "40",
                 "--staleness", "0,2,inf", "--out", "stop_sim.csv", (char *)cases[k].flag,
                 (char *)cases[k].value, (char *)cases[k].flag2, (char *)cases[k].value2, NULL};
    ck_assert_int_eq(run(a, "stop.out", "stop.err"), 0);
    int n = load("stop_sim.csv", "sim_time_s", rows), counts[3];
    check_runs(rows, n, &cases[k].st, 40, counts);
    ck_assert_msg(counts[HARNESS_STOP_TIME] + counts[HARNESS_STOP_TARGET] >= cases[k].must_stop,
                  "case %zu: only %d runs ended by the rule", k,
                  counts[HARNESS_STOP_TIME] + counts[HARNESS_STOP_TARGET]);
    for (int i = 0; i < n; i++) ck_assert_msg(rows[i].has_model, "MF's model objective missing");
  }
  /* --clocks alone: 7 clocks in every run. */
  char *b[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "16", "--clocks", "7",
               "--staleness", "0,inf", "--out", "stop_sim.csv", NULL};
  ck_assert_int_eq(run(b, "stop.out", "stop.err"), 0);
  ck_assert_int_eq(load("stop_sim.csv", "sim_time_s", rows), 14);
}
END_TEST

START_TEST(sim_same_seed_same_bytes) {
  char *a[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "16", "--clocks", "30",
               "--staleness", "0,2,inf", "--stragglers", "0.2x3", "--until-time", "0.06",
               "--target", "0.9", "--seed", "3", "--out", "stop_a.csv", NULL};
  ck_assert_int_eq(run(a, "stop.out", "stop.err"), 0);
  a[19] = "stop_b.csv";
  ck_assert_int_eq(run(a, "stop.out", "stop.err"), 0);
  a[17] = "4";
  a[19] = "stop_c.csv";
  ck_assert_int_eq(run(a, "stop.out", "stop.err"), 0);
  char *x = slurp("stop_a.csv"), *y = slurp("stop_b.csv"), *z = slurp("stop_c.csv");
  ck_assert_uint_gt(strlen(x), 1000);
  ck_assert_str_eq(x, y);
  ck_assert_str_ne(x, z);
  free(x);
  free(y);
  free(z);
  /* A sweep over seeds, twice: the same bytes; its seed-3 runs are the
   * single-seed sweep's rows (but for the run number, the first column). */
  char *m[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "16", "--clocks", "30",
               "--staleness", "0,2,inf", "--stragglers", "0.2x3", "--until-time", "0.06",
               "--target", "0.9", "--seed", "4,3", "--out", "stop_m.csv", NULL};
  ck_assert_int_eq(run(m, "stop.out", "stop.err"), 0);
  m[19] = "stop_n.csv";
  ck_assert_int_eq(run(m, "stop.out", "stop.err"), 0);
  x = slurp("stop_m.csv");
  y = slurp("stop_n.csv");
  ck_assert_str_eq(x, y);
  z = slurp("stop_a.csv");
  int rows_a = load("stop_a.csv", "sim_time_s", rows), rows_m = 0, from = -1;
  static row multi[MAXROWS];
  rows_m = load("stop_m.csv", "sim_time_s", multi);
  for (int i = 0; i < rows_m && from < 0; i++)
    if (!strcmp(multi[i].run, "3")) from = i;
  ck_assert_int_ge(from, 0);
  ck_assert_int_eq(rows_m - from, rows_a);
  for (int i = 0; i < rows_a; i++) {
    ck_assert_str_eq(multi[from + i].objective, rows[i].objective);
    double a = multi[from + i].model, b = rows[i].model; /* a diverged model is nan in both */
    ck_assert(multi[from + i].time == rows[i].time && (a == b || (isnan(a) && isnan(b))));
  }
  free(x);
  free(y);
  free(z);
}
END_TEST

/* The real runtime takes the same decision from the same data: at s = 0
 * it stops after the same clock as the simulator, with the same objective
 * (bit for bit, ordered mode); at s = 1 by the time gathered from all
 * nodes. */
START_TEST(launch_stops_where_sim_does) {
  char *s[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--clocks", "30",
               "--staleness", "0", "--target", "0.85", "--out", "stop_s.csv", NULL};
  ck_assert_int_eq(run(s, "stop.out", "stop.err"), 0);
  char *l[] = {STALE_PROG, "launch", "--local", "4", "--app", "mf", "--clocks", "30",
               "--staleness", "0", "--target", "0.85", "--out", "stop_l.csv", NULL};
  int rc = run(l, "stop.out", "stop.err");
  char *said = slurp("stop.err");
  ck_assert_msg(rc == 0, "launch failed: %.1500s", said);
  free(said);
  static row other[MAXROWS];
  int ns = load("stop_s.csv", "sim_time_s", rows), nl = load("stop_l.csv", "time_s", other);
  harness_stop st = {.has_target = 1, .target = 0.85};
  int counts[3];
  check_runs(rows, ns, &st, 30, counts);
  ck_assert_int_eq(counts[HARNESS_STOP_TARGET], 1);
  ck_assert_int_eq(nl, ns);
  for (int i = 0; i < ns; i++) ck_assert_str_eq(other[i].objective, rows[i].objective);
  check_runs(other, nl, &st, 30, counts);

  char *t[] = {STALE_PROG, "launch", "--local", "3", "--app", "mf", "--clocks", "200",
               "--staleness", "1", "--until-time", "0.05", "--out", "stop_t.csv", NULL};
  rc = run(t, "stop.out", "stop.err");
  said = slurp("stop.err");
  ck_assert_msg(rc == 0, "launch failed: %.1500s", said);
  free(said);
  harness_stop tt = {.has_until = 1, .until_time = 0.05};
  nl = load("stop_t.csv", "time_s", other);
  check_runs(other, nl, &tt, 200, counts);
  ck_assert_int_eq(counts[HARNESS_STOP_TIME], 1);
}
END_TEST

/* LDA completes a clock's metrics row one clock later (app_ops.metrics_lag):
 * its stop waits one clock more, and the row of the last clock run, which
 * nothing completed, is left out, so the CSV holds the same clocks as for
 * any app and no row lacks its word and topic parts (alone, about -2 nats
 * per token against -12 to -6.6 whole). */
START_TEST(lda_stops_on_whole_rows) {
  char *s[] = {STALE_PROG, "sim", "--app", "lda", "--nodes", "4", "--clocks", "30",
               "--staleness", "0,2", "--target", "-7.5", "--out", "stop_lda.csv", NULL};
  ck_assert_int_eq(run(s, "stop.out", "stop.err"), 0);
  int n = load("stop_lda.csv", "sim_time_s", rows);
  harness_stop st = {.has_target = 1, .target = -7.5, .maximize = 1};
  int counts[3];
  check_runs(rows, n, &st, 30, counts);
  ck_assert_int_eq(counts[HARNESS_STOP_TARGET], 2);
  for (int i = 0; i < n; i++)
    ck_assert_msg(rows[i].obj < -5.0, "run %s clock %u: %s is not a whole row", rows[i].run, rows[i].clock,
                  rows[i].objective);
  char *t[] = {STALE_PROG, "sim", "--app", "lda", "--nodes", "4", "--clocks", "30",
               "--staleness", "1", "--until-time", "0.2", "--out", "stop_ldat.csv", NULL};
  ck_assert_int_eq(run(t, "stop.out", "stop.err"), 0);
  harness_stop tt = {.has_until = 1, .until_time = 0.2, .maximize = 1};
  n = load("stop_ldat.csv", "sim_time_s", rows);
  check_runs(rows, n, &tt, 30, counts);
  ck_assert_int_eq(counts[HARNESS_STOP_TIME], 1);
  for (int i = 0; i < n; i++) ck_assert_double_lt(rows[i].obj, -5.0);
  /* The real runtime stops at the same clock with the same rows at s = 0. */
  char *l[] = {STALE_PROG, "launch", "--local", "4", "--app", "lda", "--clocks", "30",
               "--staleness", "0", "--target", "-7.5", "--out", "stop_ldal.csv", NULL};
  ck_assert_int_eq(run(l, "stop.out", "stop.err"), 0);
  static row other[MAXROWS];
  n = load("stop_lda.csv", "sim_time_s", rows);
  int nl = load("stop_ldal.csv", "time_s", other), n0 = 0;
  while (n0 < n && !strcmp(rows[n0].staleness, "0")) n0++;
  ck_assert_int_eq(nl, n0);
  for (int i = 0; i < nl; i++) ck_assert_str_eq(other[i].objective, rows[i].objective);
}
END_TEST

int main(void) {
  Suite *s = suite_create("stop");
  TCase *tc = tcase_create("rules");
  tcase_set_timeout(tc, 200);
  tcase_add_test(tc, decision_functions);
  tcase_add_test(tc, flags_parse_and_refuse);
  tcase_add_test(tc, sim_stops_where_each_rule_says);
  tcase_add_test(tc, sim_same_seed_same_bytes);
  tcase_add_test(tc, launch_stops_where_sim_does);
  tcase_add_test(tc, lda_stops_on_whole_rows);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
