/* test_sim_cli.c: `stale sim` as a user runs it: the same arguments write a
 * byte-identical CSV, another seed a different one, and bad command lines
 * and data files fail with a message naming the flag, file and line. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The whole file (static buffer; enough for these small CSVs). */
static const char *slurp(const char *path) {
  static char buf[2][1 << 18];
  static int which;
  char *b = buf[which ^= 1];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(b, 1, sizeof buf[0] - 1, f) : 0;
  b[n] = '\0';
  if (f) fclose(f);
  return b;
}

START_TEST(same_arguments_same_bytes_other_seed_other_bytes) {
  char *a[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "16", "--clocks", "3",
               "--staleness", "0,2,inf", "--stragglers", "0.2x3", "--jitter", "0.1",
               "--seed", "5", "--out", "cli_a.csv", NULL};
  ck_assert_int_eq(run(a, "cli.out", "cli.err"), 0);
  a[17] = "cli_b.csv";
  ck_assert_int_eq(run(a, "cli.out", "cli.err"), 0);
  a[15] = "6";
  a[17] = "cli_c.csv";
  ck_assert_int_eq(run(a, "cli.out", "cli.err"), 0);
  const char *x = slurp("cli_a.csv"), *y = slurp("cli_b.csv");
  ck_assert_uint_gt(strlen(x), 500);
  ck_assert_str_eq(x, y);
  ck_assert_str_ne(slurp("cli_a.csv"), slurp("cli_c.csv"));
  /* One header and 3 clocks x 3 runs. */
  int lines = 0;
  for (const char *p = slurp("cli_a.csv"); *p; p++) lines += *p == '\n';
  ck_assert_int_eq(lines, 1 + 9);
}
END_TEST

START_TEST(bad_input_is_named) {
  struct {
    char *argv[12];
    int status;
    const char *says;
  } cases[] = {
      {{STALE_PROG, "sim", "--app", "mf", "--nodes", "ten", NULL}, 2, "--nodes: bad value 'ten'"},
      {{STALE_PROG, "sim", "--app", "mf", "--colour", "red", NULL}, 2, "unknown flag '--colour'"},
      {{STALE_PROG, "sim", "--app", "nope", NULL}, 2, "unknown app 'nope'"},
      {{STALE_PROG, "sim", "--app", "mf", "--staleness", "1,-2", NULL}, 2, "--staleness"},
      {{STALE_PROG, "sim", "--app", "mf", "--bandwidth", "fast", NULL}, 2, "--bandwidth"},
      {{STALE_PROG, "sim", "--app", "mf", "--data", "cli_bad.tsv", NULL}, 1, "cli_bad.tsv:2:"},
      {{STALE_PROG, "sim", "--app", "mf", "--platform", "cli_none.xml", NULL}, 2, "cli_none.xml"},
      {{STALE_PROG, "frobnicate", NULL}, 2, "unknown command 'frobnicate'"},
      {{STALE_PROG, "sim", "--app", "mf", "--ordered", "maybe", NULL}, 2, "--ordered: bad value 'maybe'"},
      {{STALE_PROG, "sim", "--app", "mf", "--nic-window", "0", NULL}, 2, "--nic-window"},
      {{STALE_PROG, "sim", "--app", "mf", "--slow-nodes", "0.1y4", NULL}, 2, "--slow-nodes"},
      {{STALE_PROG, "sim", "--app", "mf", "--stragglers", "2x4", NULL}, 2, "--stragglers"},
      {{STALE_PROG, "sim", "--app", "mf", "--app-options", "avg=3", NULL}, 1, "'avg'"},
      {{STALE_PROG, "sim", "--app", "mf", "--platform", "cli_noroute.xml", "--jitter", "0.5",
        NULL},
       2,
       "--jitter: has no effect with --platform"},
      {{STALE_PROG, "sim", "--app", "mf", "--uplink", "1Gbps", NULL}, 2,
       "--uplink: only with --topology racks"},
      {{STALE_PROG, "sim", "--app", "mf", "--clocks", "2", "--platform", "cli_noroute.xml",
        "--out", "cli_noroute.csv", NULL},
       1,
       "removed the incomplete cli_noroute.csv"},
  };
  FILE *f = fopen("cli_bad.tsv", "w");
  fputs("1 1 4\n2 x 3\n", f);
  fclose(f);
  /* Two hosts and no route between them: SimGrid aborts the run. */
  f = fopen("cli_noroute.xml", "w");
  fputs("<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
        "<platform version=\"4.1\"><zone id=\"z\" routing=\"Full\">\n"
        "<host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/></zone></platform>\n",
        f);
  fclose(f);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int st = run(cases[i].argv, "cli.out", "cli.err");
    const char *err = slurp("cli.err");
    ck_assert_msg(st == cases[i].status, "case %zu: status %d, want %d (%s)", i, st, cases[i].status,
                  err);
    ck_assert_msg(strstr(err, cases[i].says) != NULL, "case %zu: '%s' not in: %s", i, cases[i].says,
                  err);
  }
  ck_assert_msg(access("cli_noroute.csv", F_OK) != 0, "a failed run's CSV was left behind");
}
END_TEST

/* experiments/time_to_target.awk on a CSV made by hand: a run reaches the
 * target at the first row at or below it; a diverged run (nan objectives)
 * never does, whatever the awk makes of comparing nan. */
START_TEST(time_to_target_ignores_non_finite_objectives) {
  FILE *f = fopen("ttt.csv", "w");
  ck_assert_ptr_nonnull(f);
  fputs("run,staleness,clock,sim_time_s,objective,bytes_sent,blocked_s\n"
        "0,0,0,0.1,0.9,10,1\n0,0,1,0.2,0.7,20,2\n0,0,2,0.3,0.6,30,3\n"
        "1,inf,0,0.05,nan,10,0\n1,inf,1,0.1,-nan,20,0\n1,inf,2,0.15,inf,30,0\n",
        f);
  fclose(f);
  char *argv[] = {"/usr/bin/awk", "-F,", "-v", "target=0.65", "-f", TTT_AWK, "ttt.csv", NULL};
  ck_assert_int_eq(run(argv, "ttt.out", "ttt.err"), 0);
  const char *out = slurp("ttt.out");
  ck_assert_msg(strstr(out, "\n0,0,0.65,0.3,0.6,0.3,30,3\n") != NULL, "%s", out);
  ck_assert_msg(strstr(out, "\n1,inf,0.65,nan,") != NULL, "%s", out);
  /* No target given and the first run has no finite objective: an error. */
  f = fopen("ttt.csv", "w");
  fputs("run,staleness,clock,sim_time_s,objective,bytes_sent,blocked_s\n0,0,0,0.1,nan,10,1\n", f);
  fclose(f);
  char *argv2[] = {"/usr/bin/awk", "-F,", "-f", TTT_AWK, "ttt.csv", NULL};
  ck_assert_int_eq(run(argv2, "ttt.out", "ttt.err"), 2);
  ck_assert_ptr_nonnull(strstr(slurp("ttt.err"), "no finite objective"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("sim_cli");
  TCase *tc = tcase_create("cli");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, same_arguments_same_bytes_other_seed_other_bytes);
  tcase_add_test(tc, bad_input_is_named);
  tcase_add_test(tc, time_to_target_ignores_non_finite_objectives);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
