/* test_hard_cli.c: defects of the stale program an adversarial review
 * found: a platform file with a negative speed reached SimGrid (which
 * aborted, blamed routes, after the CSV header was out); `--data DIR` said
 * "DIR:0: read error"; every failed `stale run` leaked on its way out (run
 * here under LeakSanitizer when the program is built with it). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv with stdout and stderr to files; returns the exit status. */
static int run(char *const argv[], const char *out, const char *errf) {
  fflush(NULL);
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

static const char *slurp(const char *path) {
  static char buf[2][1 << 16];
  static int which;
  char *b = buf[which ^= 1];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(b, 1, sizeof buf[0] - 1, f) : 0;
  b[n] = '\0';
  if (f) fclose(f);
  return b;
}

static void write_platform(const char *path, const char *speed, const char *bw, const char *lat) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
          "<platform version=\"4.1\">\n  <zone id=\"world\" routing=\"Full\">\n"
          "    <host id=\"a\" speed=\"%s\"/>\n    <host id=\"b\" speed=\"1Gf\"/>\n"
          "    <link id=\"l\" bandwidth=\"%s\" latency=\"%s\"/>\n"
          "    <route src=\"a\" dst=\"b\"><link_ctn id=\"l\"/></route>\n  </zone>\n</platform>\n",
          speed, bw, lat);
  fclose(f);
}

START_TEST(platform_values_checked_before_the_run) {
  char *a[] = {STALE_PROG, "sim", "--app", "mf", "--platform", "hard_plat.xml", "--clocks", "1", NULL};
  write_platform("hard_plat.xml", "-5Gf", "1GBps", "1us");
  ck_assert_int_eq(run(a, "hard.out", "hard.err"), 2);
  const char *e = slurp("hard.err");
  ck_assert_msg(strstr(e, "host 'a' has speed -5e+09: must be positive"), "%s", e);
  ck_assert_ptr_null(strstr(e, "route"));
  ck_assert_str_eq(slurp("hard.out"), ""); /* no CSV header */
  write_platform("hard_plat.xml", "1Gf", "-1GBps", "1us");
  ck_assert_int_eq(run(a, "hard.out", "hard.err"), 2);
  ck_assert_ptr_nonnull(strstr(slurp("hard.err"), "link 'l' has bandwidth"));
  write_platform("hard_plat.xml", "1Gf", "1GBps", "-1us");
  ck_assert_int_eq(run(a, "hard.out", "hard.err"), 2);
  ck_assert_ptr_nonnull(strstr(slurp("hard.err"), "link 'l' has latency"));
  /* The same file with sane values runs. */
  write_platform("hard_plat.xml", "1Gf", "1GBps", "1us");
  ck_assert_int_eq(run(a, "hard.out", "hard.err"), 0);
  ck_assert_ptr_nonnull(strstr(slurp("hard.out"), "sim_time_s"));
}
END_TEST

START_TEST(data_directory_is_named_as_one) {
  mkdir("hard_dir", 0700);
  char *a[] = {STALE_PROG, "sim", "--app", "mf", "--data", "hard_dir", "--nodes", "2",
               "--clocks", "1", NULL};
  ck_assert_int_eq(run(a, "hard.out", "hard.err"), 1);
  const char *e = slurp("hard.err");
  ck_assert_msg(strstr(e, "hard_dir: is a directory"), "%s", e);
  ck_assert_ptr_null(strstr(e, ":0:"));
}
END_TEST

/* One failed `stale run`: the expected status, the expected message, and
 * (under LeakSanitizer) nothing leaked. */
static void failed_run(char **argv, int status, const char *msg) {
  int rc = run(argv, "hard.out", "hard.err");
  const char *e = slurp("hard.err");
  ck_assert_msg(!strstr(e, "LeakSanitizer"), "leaks after '%s':\n%s", msg, e);
  ck_assert_msg(rc == status, "status %d, not %d, after '%s':\n%s", rc, status, msg, e);
  ck_assert_msg(strstr(e, msg), "'%s' not in:\n%s", msg, e);
}

START_TEST(failed_runs_free_what_they_hold) {
  setenv("STALE_SECRET", "hard-test", 1);
  setenv("ASAN_OPTIONS", "detect_leaks=1", 1);
  char *missing[] = {STALE_PROG, "run", "--app", "mf", "--world-size", "1", "--rank", "0",
                     "--data", "hard_missing.tsv", NULL};
  failed_run(missing, 1, "hard_missing.tsv: No such file");
  char *resume[] = {STALE_PROG, "run", "--app", "mf", "--world-size", "1", "--rank", "0",
                    "--clocks", "2", "--resume", "--checkpoint-dir", "hard_no_ckpt", NULL};
  failed_run(resume, 1, "hard_no_ckpt");
  char *options[] = {STALE_PROG, "run", "--app", "mf", "--world-size", "1", "--rank", "0",
                     "--app-options", "bogus=1", NULL};
  failed_run(options, 1, "unknown key 'bogus'");
  FILE *f = fopen("hard_hosts", "w");
  fprintf(f, "127.0.0.1:47001\n127.0.0.1:47002\n");
  fclose(f);
  char *hostfile[] = {STALE_PROG, "run", "--app", "mf", "--hostfile", "hard_hosts", "--rank", "0",
                      "--secret-file", "hard_no_secret", NULL};
  failed_run(hostfile, 2, "hard_no_secret");
  /* Rank 1 never comes: the run fails after its transport started. */
  char *alone[] = {STALE_PROG, "run", "--app", "mf", "--world-size", "2", "--rank", "0",
                   "--coordinator", "127.0.0.1:0", "--connect-timeout", "0.5", NULL};
  failed_run(alone, 1, "did not join");
}
END_TEST

int main(void) {
  Suite *s = suite_create("hard_cli");
  TCase *tc = tcase_create("cli");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, platform_values_checked_before_the_run);
  tcase_add_test(tc, data_directory_is_named_as_one);
  tcase_add_test(tc, failed_runs_free_what_they_hold);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
