/* test_hard_record.c: real runs keep their whole record. A resumed run's
 * CSV carries the record of the clocks before its checkpoint (kept in the
 * checkpoint) and equals the uninterrupted run's in every column but wall
 * time, after the checkpoint too (the checkpoint holds the caches and push
 * state the traffic depends on); a failed run writes the clocks it
 * completed, marked "partial", with the objective an uninterrupted run has
 * at those clocks. REAL_PROG is test_real_prog. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_port.h"

#define MAXROWS 4096
#define MAXCOLS 40

static pid_t spawn(char *const argv[], const char *out, const char *errf) {
  fflush(NULL);
  pid_t p = fork();
  if (p == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    setenv("STALE_SECRET", "record-test", 1);
    execv(argv[0], argv);
    _exit(127);
  }
  return p;
}

static int wait_exit(pid_t p) {
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

/* A small CSV without quoted fields: header names and cells as text. */
typedef struct table {
  int ncols, nrows;
  char names[MAXCOLS][32];
  char (*cells)[MAXCOLS][48];
} table;

static void load(const char *path, table *t) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s missing", path);
  t->cells = calloc(MAXROWS, sizeof *t->cells);
  t->nrows = t->ncols = 0;
  char line[4096];
  int header = 1;
  while (fgets(line, sizeof line, f) && t->nrows < MAXROWS) {
    line[strcspn(line, "\n")] = '\0';
    int k = 0;
    for (char *p = line, *q;; p = q + 1, k++) {
      q = strchr(p, ',');
      size_t len = q ? (size_t)(q - p) : strlen(p);
      ck_assert_int_lt(k, MAXCOLS);
      ck_assert_uint_lt(len, 32);
      char *dst = header ? t->names[k] : t->cells[t->nrows][k];
      memcpy(dst, p, len);
      dst[len] = '\0';
      if (!q) break;
    }
    if (header) t->ncols = k + 1;
    else t->nrows++;
    header = 0;
  }
  fclose(f);
}

static int col(const table *t, const char *name) {
  for (int k = 0; k < t->ncols; k++)
    if (!strcmp(t->names[k], name)) return k;
  ck_abort_msg("no column %s", name);
  return -1;
}

/* The wall-clock measurements: elapsed time, time workers spent blocked,
 * time the pacer had work. They are the "wall time" a resumed run may
 * differ in; every other column must be the uninterrupted run's. */
static int wall_clock(const char *name) {
  return !strcmp(name, "time_s") || !strcmp(name, "blocked_s") || !strcmp(name, "pacing_s");
}

/* An MF run of 8 clocks at s = 0 checkpointing every 2 (in dir, push or
 * pull mode, with the options in more), then the same resumed from 4 as
 * after a crash while 6 was written: the two CSVs agree in every column but
 * the wall-clock ones, and the resumed run's own checkpoint 6 is the first
 * run's byte for byte (rows, push state, caches, workers' state; the
 * records hold wall-clock times). In pull mode bytes_sent is left out: there each
 * shard's replies to other nodes' reads count at whatever clock the
 * sending node is in (two uninterrupted pull runs differ in it at every
 * clock), while in push mode, with every row held, nothing is read. */
/* Every column of a and b but the wall-clock ones (all of them before
 * clock from), and without bytes_sent and bytes_at_clocks if bytes. */
static void same_but_wall_clock(const table *a, const table *b, int from, int bytes,
                                const char *what) {
  ck_assert_int_eq(a->nrows, b->nrows);
  ck_assert_int_eq(a->ncols, b->ncols);
  for (int k = 0; k < a->ncols; k++) ck_assert_str_eq(a->names[k], b->names[k]);
  for (int c = 0; c < a->nrows; c++)
    for (int k = 0; k < a->ncols; k++) {
      if (c >= from && wall_clock(a->names[k])) continue;
      if (c >= from && !bytes &&
          (!strcmp(a->names[k], "bytes_sent") || !strcmp(a->names[k], "bytes_at_clocks")))
        continue;
      ck_assert_msg(!strcmp(a->cells[c][k], b->cells[c][k]), "%s clock %d, %s: %s uninterrupted, %s resumed",
                    what, c, a->names[k], a->cells[c][k], b->cells[c][k]);
    }
}

static void resume_equals_uninterrupted(const char *dir, int pull, char *const more[4]) {
  char cmd[600], full[80], res[80], first6[120];
  snprintf(full, sizeof full, "%s_full.csv", dir);
  snprintf(res, sizeof res, "%s_res.csv", dir);
  snprintf(first6, sizeof first6, "%s_first6", dir);
  snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, first6);
  ck_assert_int_eq(system(cmd), 0);
  char *first[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", (char *)dir,
                   pull ? "--pull" : more[0], more[1], more[2], more[3], NULL};
  ck_assert_msg(wait_exit(spawn(first, full, "rec_full.err")) == 0, "%.1500s",
                slurp("rec_full.err"));
  /* A crash while checkpoint 6 was written: resume from 4. */
  snprintf(cmd, sizeof cmd, "cp -r %s/ckpt-6 %s && rm %s/ckpt-6/COMPLETE", dir, first6, dir);
  ck_assert_int_eq(system(cmd), 0);
  char *again[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", (char *)dir,
                   "--resume", pull ? "--pull" : more[0], more[1], more[2], more[3], NULL};
  ck_assert_msg(wait_exit(spawn(again, res, "rec_res.err")) == 0, "%.1500s",
                slurp("rec_res.err"));
  table a, b;
  load(full, &a);
  load(res, &b);
  ck_assert_int_eq(a.nrows, 8);
  ck_assert_int_eq(b.nrows, 8);
  ck_assert_int_eq(a.ncols, b.ncols);
  for (int k = 0; k < a.ncols; k++) ck_assert_str_eq(a.names[k], b.names[k]);
  for (int c = 0; c < 8; c++)
    for (int k = 0; k < a.ncols; k++) {
      /* Before the checkpoint: every column, wall clock included (they
       * come from the checkpoint). After it: all but the wall clock. */
      if (c >= 4 && (wall_clock(a.names[k]) || (pull && !strcmp(a.names[k], "bytes_sent"))))
        continue;
      ck_assert_msg(!strcmp(a.cells[c][k], b.cells[c][k]),
                    "%s clock %d, %s: %s uninterrupted, %s resumed", pull ? "pull" : "push", c,
                    a.names[k], a.cells[c][k], b.cells[c][k]);
    }
  /* After it the measurements continue from the checkpoint's. */
  const char *m[] = {"time_s", "bytes_sent", "blocked_s"};
  for (int i = 0; i < 3; i++) {
    int k = col(&b, m[i]);
    for (int c = 4; c < 8; c++)
      ck_assert_msg(strtod(b.cells[c][k], NULL) >= strtod(b.cells[c - 1][k], NULL),
                    "%s falls from clock %d to %d", m[i], c - 1, c);
    ck_assert_double_gt(strtod(b.cells[3][k], NULL), 0);
  }
  /* The state the resumed run checkpointed at 6 is the first run's. */
  snprintf(cmd, sizeof cmd,
           "n=0; for f in %s/*.bin; do b=${f##*/}; case $b in records-*) continue;; esac; "
           "cmp -s $f %s/ckpt-6/$b || { echo \"$b differs from the first run's\" >&2; exit 1; }; "
           "n=$((n+1)); done; [ $n -ge 6 ]",
           first6, dir);
  ck_assert_int_eq(system(cmd), 0);
  free(a.cells);
  free(b.cells);
}

START_TEST(resumed_run_equals_the_uninterrupted_one_but_in_wall_time) {
  char *none[4] = {NULL};
  resume_equals_uninterrupted("rec_ckpt", 0, none);
  /* A checkpoint whose client cache or push state is damaged or missing,
   * or of the layout before caches were kept, is refused by name. */
  char *again[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "rec_ckpt",
                   "--resume", NULL};
  FILE *f = fopen("rec_ckpt/ckpt-6/cache-2.bin", "r+b");
  ck_assert_ptr_nonnull(f);
  fseek(f, 20, SEEK_SET);
  fputc(0x55, f);
  fclose(f);
  ck_assert_int_ne(wait_exit(spawn(again, "rec_bad.csv", "rec_bad.err")), 0);
  ck_assert_msg(strstr(slurp("rec_bad.err"), "ckpt-6/cache-2.bin: checksum mismatch"), "%.1500s",
                slurp("rec_bad.err"));
  ck_assert_int_eq(system("cp rec_ckpt_first6/cache-2.bin rec_ckpt/ckpt-6/ && "
                          "rm rec_ckpt/ckpt-6/held-0.bin"), 0);
  ck_assert_int_ne(wait_exit(spawn(again, "rec_bad.csv", "rec_bad.err")), 0);
  ck_assert_msg(strstr(slurp("rec_bad.err"), "ckpt-6/held-0.bin: No such file"), "%.1500s",
                slurp("rec_bad.err"));
  ck_assert_int_eq(system("cp rec_ckpt_first6/held-0.bin rec_ckpt/ckpt-6/ && "
                          "sed -i 's/^stale checkpoint 3$/stale checkpoint 2/' "
                          "rec_ckpt/ckpt-6/COMPLETE"), 0);
  ck_assert_int_ne(wait_exit(spawn(again, "rec_bad.csv", "rec_bad.err")), 0);
  ck_assert_msg(strstr(slurp("rec_bad.err"), "another checkpoint layout ('stale checkpoint 2'"),
                "%.1500s", slurp("rec_bad.err"));
}
END_TEST

/* A stopping rule continues too: a resumed run takes the decisions the
 * first run took after its checkpoint (from the restored metrics row and
 * records), so it stops where the first run did, even right at the
 * checkpoint; --until-time runs resume (they waited forever for the end
 * times of the clocks before the checkpoint). Under --target the bytes are
 * left out: each clock's metrics row is read once complete, and whether
 * that read reaches its shard before or after the push round of the clock
 * (the row then comes once or twice) is the threads' timing, in any run
 * (two uninterrupted ones differ by a row's bytes). */
START_TEST(resumed_run_keeps_its_stopping_rule) {
  ck_assert_int_eq(system("rm -rf rec_stop"), 0);
  char *plain[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", NULL};
  ck_assert_msg(wait_exit(spawn(plain, "rec_plain.csv", "rec_stop.err")) == 0, "%.1500s",
                slurp("rec_stop.err"));
  table p;
  load("rec_plain.csv", &p);
  ck_assert_int_eq(p.nrows, 8);
  /* Targets first met at clock 3 (decided after the checkpoint of 4 was
   * written) and at clock 5 (after the one of 6). */
  int expect[2] = {4, 6};
  for (int i = 0; i < 2; i++) {
    char *target = p.cells[expect[i] - 1][col(&p, "objective")];
    char *args[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                    "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "rec_stop",
                    "--target", target, NULL, NULL};
    ck_assert_int_eq(system("rm -rf rec_stop"), 0);
    ck_assert_msg(wait_exit(spawn(args, "rec_stop1.csv", "rec_stop.err")) == 0, "%.1500s",
                  slurp("rec_stop.err"));
    ck_assert_int_eq(system("rm -f rec_stop/ckpt-6/COMPLETE"), 0);
    args[16] = "--resume";
    ck_assert_msg(wait_exit(spawn(args, "rec_stop2.csv", "rec_stop.err")) == 0, "%.1500s",
                  slurp("rec_stop.err"));
    ck_assert_ptr_nonnull(strstr(slurp("rec_stop.err"), "resuming from the checkpoint of clock 4"));
    table a, b;
    load("rec_stop1.csv", &a);
    load("rec_stop2.csv", &b);
    ck_assert_int_eq(a.nrows, expect[i]);
    ck_assert_str_eq(a.cells[expect[i] - 1][col(&a, "stopped_by")], "target");
    same_but_wall_clock(&a, &b, 4, 0, "--target");
    free(a.cells);
    free(b.cells);
  }
  char *until[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "rec_stop",
                   "--until-time", "1000", NULL, NULL};
  ck_assert_int_eq(system("rm -rf rec_stop"), 0);
  ck_assert_msg(wait_exit(spawn(until, "rec_stop1.csv", "rec_stop.err")) == 0, "%.1500s",
                slurp("rec_stop.err"));
  ck_assert_int_eq(system("rm -f rec_stop/ckpt-6/COMPLETE"), 0);
  until[16] = "--resume";
  ck_assert_msg(wait_exit(spawn(until, "rec_stop2.csv", "rec_stop.err")) == 0, "%.1500s",
                slurp("rec_stop.err"));
  table a, b;
  load("rec_stop1.csv", &a);
  load("rec_stop2.csv", &b);
  ck_assert_int_eq(a.nrows, 8);
  same_but_wall_clock(&a, &b, 4, 1, "--until-time");
  free(a.cells);
  free(b.cells);
  free(p.cells);
}
END_TEST

START_TEST(resumed_pull_run_equals_the_uninterrupted_one) {
  char *none[4] = {NULL};
  resume_equals_uninterrupted("rec_pull", 1, none);
}
END_TEST

/* Two shards (each rank's cache spans both) and two workers per node
 * (node-mates' increments staged apart until their clock is flushed). */
START_TEST(resumed_run_with_two_shards_and_workers_per_node_equals_it) {
  char *more[4] = {"--servers", "2", "--workers-per-node", "2"};
  resume_equals_uninterrupted("rec_sw", 0, more);
}
END_TEST

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

START_TEST(failed_run_writes_the_clocks_it_completed) {
  int hold;
  char coord[32];
  snprintf(coord, sizeof coord, "127.0.0.1:%u", (unsigned)test_reserve_port(&hold));
  char *r0[] = {REAL_PROG, "run", "--app", "mf", "--rank", "0", "--world-size", "2",
                "--coordinator", coord, "--staleness", "0", "--clocks", "100000", "--out",
                "rec_part.csv", "--verbose", NULL};
  char *r1[] = {REAL_PROG, "run", "--app", "mf", "--rank", "1", "--world-size", "2",
                "--coordinator", coord, "--staleness", "0", "--clocks", "100000", NULL};
  pid_t p0 = spawn(r0, "rec_r0.out", "rec_r0.err");
  close(hold);
  pid_t p1 = spawn(r1, "rec_r1.out", "rec_r1.err");
  for (int i = 0; i < 3000 && !strstr(slurp("rec_r0.err"), "peers connected"); i++) sleep_ms(10);
  /* Some clocks, far from all: long enough for a few on a loaded machine
   * under ASan (400 ms once gave none), far too short for 100000. */
  sleep_ms(1500);
  kill(p1, SIGKILL);
  wait_exit(p1);
  ck_assert_int_ne(wait_exit(p0), 0);
  const char *e = slurp("rec_r0.err");
  ck_assert_msg(strstr(e, "marked partial"), "%.1500s", e);
  table t;
  load("rec_part.csv", &t);
  ck_assert_int_gt(t.nrows, 0);
  ck_assert_int_lt(t.nrows, 100000);
  int st = col(&t, "run_status"), cl = col(&t, "clock"), ob = col(&t, "objective");
  for (int c = 0; c < t.nrows; c++) {
    ck_assert_str_eq(t.cells[c][st], "partial");
    ck_assert_int_eq(atoi(t.cells[c][cl]), c);
  }
  /* Those clocks are what an uninterrupted run computes (s = 0 is exact). */
  int n = t.nrows < 40 ? t.nrows : 40;
  char clocks[16];
  snprintf(clocks, sizeof clocks, "%d", n);
  table u;
  char *ref[] = {REAL_PROG, "launch", "--local", "2", "--app", "mf", "--staleness", "0",
                 "--clocks", clocks, NULL};
  ck_assert_msg(wait_exit(spawn(ref, "rec_ref.csv", "rec_ref.err")) == 0, "%.1500s",
                slurp("rec_ref.err"));
  load("rec_ref.csv", &u);
  ck_assert_int_eq(u.nrows, n);
  for (int c = 0; c < n; c++)
    ck_assert_msg(!strcmp(t.cells[c][ob], u.cells[c][col(&u, "objective")]),
                  "clock %d: failed run %s, uninterrupted %s", c, t.cells[c][ob],
                  u.cells[c][col(&u, "objective")]);
  ck_assert_str_eq(u.cells[0][col(&u, "run_status")], "complete");
  free(t.cells);
  free(u.cells);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hard_record");
  TCase *tc = tcase_create("record");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, resumed_run_equals_the_uninterrupted_one_but_in_wall_time);
  tcase_add_test(tc, resumed_pull_run_equals_the_uninterrupted_one);
  tcase_add_test(tc, resumed_run_keeps_its_stopping_rule);
  tcase_add_test(tc, resumed_run_with_two_shards_and_workers_per_node_equals_it);
  tcase_add_test(tc, failed_run_writes_the_clocks_it_completed);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
