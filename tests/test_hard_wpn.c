/* test_hard_wpn.c: s = 0 with two workers per node is exact, as with one:
 * `launch --local 4 --workers-per-node 2` gives the simulator's objective
 * bit for bit at every clock, three real runs in a row. (Node-mates used to
 * add into one oplog in thread order, so real runs differed in the last
 * digits from each other and from the simulator; ordered mode now stages
 * each worker's increments of a clock and adds them in worker order.)
 * REAL_PROG and STALE_PROG are test_real_prog and stale. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLOCKS 10

static int run(char *const argv[], const char *out, const char *errf) {
  fflush(NULL);
  pid_t p = fork();
  if (p == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    unsetenv("STALE_SECRET"); /* launch makes a fresh one */
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *slurp(const char *path) {
  static char buf[1 << 16];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = '\0';
  if (f) fclose(f);
  return buf;
}

/* The text of column `name` in each data row of a CSV (no quoted commas
 * before it in these files). Returns the row count. */
static int column(const char *path, const char *name, char out[][64], int max) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s missing", path);
  char line[8192];
  int col = -1, n = 0;
  if (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    int k = 0;
    for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), k++)
      if (!strcmp(tok, name)) col = k;
  }
  ck_assert_msg(col >= 0, "%s: no column %s", path, name);
  while (n < max && fgets(line, sizeof line, f)) {
    char *tok = line;
    for (int k = 0; k < col && tok; k++)
      if ((tok = strchr(tok, ','))) tok++;
    ck_assert_ptr_nonnull(tok);
    size_t len = strcspn(tok, ",\n");
    ck_assert_uint_lt(len, 64);
    memcpy(out[n], tok, len);
    out[n++][len] = '\0';
  }
  fclose(f);
  return n;
}

START_TEST(two_workers_per_node_exact_at_s0) {
  char cl[16];
  snprintf(cl, sizeof cl, "%d", CLOCKS);
  char *sim[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--workers-per-node", "2",
                 "--staleness", "0", "--clocks", cl, NULL};
  ck_assert_msg(run(sim, "wpn_sim.csv", "wpn_sim.err") == 0, "sim: %.1500s", slurp("wpn_sim.err"));
  char want[CLOCKS][64], got[CLOCKS][64];
  ck_assert_int_eq(column("wpn_sim.csv", "objective", want, CLOCKS), CLOCKS);
  char *real[] = {REAL_PROG, "launch", "--local", "4", "--workers-per-node", "2", "--app", "mf",
                  "--staleness", "0", "--clocks", cl, NULL};
  for (int k = 0; k < 3; k++) {
    ck_assert_msg(run(real, "wpn_real.csv", "wpn_real.err") == 0, "run %d: %.1500s", k,
                  slurp("wpn_real.err"));
    ck_assert_int_eq(column("wpn_real.csv", "objective", got, CLOCKS), CLOCKS);
    for (int c = 0; c < CLOCKS; c++)
      ck_assert_msg(!strcmp(want[c], got[c]), "real run %d, clock %d: sim %s, real %s", k, c,
                    want[c], got[c]);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("hard_wpn");
  TCase *tc = tcase_create("wpn");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, two_workers_per_node_exact_at_s0);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
