/* test_dnn_e2e.c: `stale launch --local 4 --app dnn` at s = 0 gives the
 * training loss and held-out accuracy of `stale sim` with 4 nodes at every
 * clock, bit for bit (ordered mode applies each clock's updates in client
 * order on both backends), on a small net and a small set written here.
 * STALE_PROG is the path of the stale program, given by the build. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnn_testdata.h"

static pid_t spawn(char *const argv[], const char *out, const char *errf) {
  pid_t p = fork();
  if (p == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    unsetenv("STALE_SECRET");
    execv(argv[0], argv);
    _exit(127);
  }
  return p;
}

static int wait_status(pid_t p) {
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

static char *slurp(const char *path) {
  static char buf[65536];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = '\0';
  if (f) fclose(f);
  return buf;
}

/* Field k of a CSV line (no quoting in the fields read here) into out. */
static void field(const char *line, int k, char *out, size_t len) {
  const char *p = line;
  for (int i = 0; i < k && p; i++)
    if ((p = strchr(p, ','))) p++;
  ck_assert_ptr_nonnull(p);
  size_t n = strcspn(p, ",\n");
  ck_assert_uint_lt(n, len);
  memcpy(out, p, n);
  out[n] = '\0';
}

/* The texts of columns `name` of every data row of path, joined by ' '. */
static void column(const char *path, const char *name, char *out, size_t len, int *rows) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s missing", path);
  char line[8192], v[64];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  int col = -1;
  for (int k = 0; col < 0; k++) {
    const char *p = line;
    for (int i = 0; i < k && p; i++)
      if ((p = strchr(p, ','))) p++;
    ck_assert_msg(p != NULL, "%s: no column %s", path, name);
    size_t n = strcspn(p, ",\n");
    if (n == strlen(name) && !strncmp(p, name, n)) col = k;
  }
  out[0] = '\0';
  *rows = 0;
  while (fgets(line, sizeof line, f)) {
    field(line, col, v, sizeof v);
    ck_assert_uint_lt(strlen(out) + strlen(v) + 2, len);
    strcat(out, v);
    strcat(out, " ");
    (*rows)++;
  }
  fclose(f);
}

START_TEST(launch_local_matches_sim_at_s0) {
  char dir[] = "/tmp/test_dnn_e2e_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(td_write_set(dir, "train", 400, 8, 4, 21, 1), 0);
  ck_assert_int_eq(td_write_set(dir, "t10k", 100, 8, 4, 22, 0), 0);
  char *opts = "layers=64-16-4,batch=8,batches=3,row_units=5";
  char *sim[] = {STALE_PROG, "sim",  "--app",  "dnn", "--nodes",       "4",  "--staleness", "0",
                 "--clocks", "6",    "--data", dir,   "--app-options", opts, NULL};
  int st = wait_status(spawn(sim, "dnn_e2e_sim.csv", "dnn_e2e_sim.err"));
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sim failed: %.1500s",
                slurp("dnn_e2e_sim.err"));
  char *run[] = {STALE_PROG, "launch", "--local", "4",   "--app",         "dnn", "--staleness",
                 "0",        "--clocks", "6",     "--data", dir, "--app-options", opts, NULL};
  st = wait_status(spawn(run, "dnn_e2e_real.csv", "dnn_e2e_real.err"));
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "launch failed: %.1500s",
                slurp("dnn_e2e_real.err"));
  static const char *const cols[] = {"objective", "test_accuracy"};
  for (int k = 0; k < 2; k++) {
    char a[2048], b[2048];
    int na, nb;
    column("dnn_e2e_sim.csv", cols[k], a, sizeof a, &na);
    column("dnn_e2e_real.csv", cols[k], b, sizeof b, &nb);
    ck_assert_int_eq(na, 6);
    ck_assert_int_eq(nb, 6);
    ck_assert_msg(!strcmp(a, b), "%s: sim %s, real %s", cols[k], a, b);
  }
  /* and the run learned something, so equality is not of two blanks */
  char acc[2048];
  int n;
  column("dnn_e2e_sim.csv", "test_accuracy", acc, sizeof acc, &n);
  double first = strtod(acc, NULL), last = first;
  for (char *p = acc; (p = strchr(p, ' ')) && p[1]; p++) last = strtod(p + 1, NULL);
  ck_assert_msg(first < 0.6 && last > 0.8, "accuracy %s", acc);
  static const char *const files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                      "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  for (int k = 0; k < 4; k++) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, files[k]);
    unlink(p);
  }
  rmdir(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dnn_e2e");
  TCase *t = tcase_create("launch");
  tcase_set_timeout(t, 120);
  tcase_add_test(t, launch_local_matches_sim_at_s0);
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
