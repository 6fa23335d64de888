/* test_real_e2e.c: whole real clusters on 127.0.0.1, as processes:
 * `launch --local 4` ends with the simulator's objective at s=0 (exactly,
 * by ordered mode); killing one rank makes the other three exit non-zero
 * within 10 s naming it; a rank without the secret cannot join. REAL_PROG
 * and STALE_PROG are the paths of test_real_prog and stale, given by the
 * build. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "rt_ckpt.h"
#include "test_port.h"

static double now_s(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* Starts argv with stdout and stderr to files (NULL: /dev/null). */
static pid_t spawn(char *const argv[], const char *out, const char *errf, const char *secret) {
  pid_t p = fork();
  if (p == 0) {
    int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errf ? errf : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    if (secret)
      setenv("STALE_SECRET", secret, 1);
    else
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

/* Reads the objective column (given by its header name) of every data row. */
static int read_objectives(const char *path, double *obj, int max) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s missing", path);
  char line[4096];
  int col = -1, n = 0;
  if (fgets(line, sizeof line, f)) {
    int k = 0;
    for (char *tok = line; tok; tok = strchr(tok, ','), tok = tok ? tok + 1 : NULL, k++)
      if (!strncmp(tok, "objective,", 10) || !strcmp(tok, "objective\n"))
        col = k;
  }
  ck_assert_int_ge(col, 0);
  /* Fields may be empty, so split on every comma (no quoting in these). */
  while (n < max && fgets(line, sizeof line, f)) {
    char *tok = line;
    for (int k = 0; k < col && tok; k++)
      if ((tok = strchr(tok, ',')))
        tok++;
    ck_assert_ptr_nonnull(tok);
    obj[n++] = strtod(tok, NULL);
  }
  fclose(f);
  return n;
}

/* The whole of a (small) file, for searching; messages print at most
 * 1500 bytes of it, as Check drops a message over its size limit and a
 * rank's stderr may end in a long sanitizer report. */
static char *slurp(const char *path) {
  static char buf[65536];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = '\0';
  if (f)
    fclose(f);
  return buf;
}

START_TEST(launch_local_matches_sim_at_s0) {
  char *sim[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--staleness", "0",
                 "--clocks", "8", NULL};
  int st = wait_status(spawn(sim, "e2e_sim.csv", "e2e_sim.err", NULL));
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sim failed: %.1500s",
                slurp("e2e_sim.err"));
  char *run[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                 "--clocks", "8", NULL};
  st = wait_status(spawn(run, "e2e_real.csv", "e2e_real.err", NULL)); /* fresh secret */
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "launch failed: %.1500s",
                slurp("e2e_real.err"));
  /* A healthy run says nothing: no connection is refused or closed early. */
  ck_assert_msg(slurp("e2e_real.err")[0] == '\0', "a clean run wrote to stderr: %.1500s",
                slurp("e2e_real.err"));
  double a[16], b[16];
  ck_assert_int_eq(read_objectives("e2e_sim.csv", a, 16), 8);
  ck_assert_int_eq(read_objectives("e2e_real.csv", b, 16), 8);
  /* Issue 7 asks for 1e-6 relative. At s=0 ordered mode (the default
   * there) applies each clock's updates in client order on both backends,
   * so the float sums are the same operations in the same order: the RMSE
   * must match exactly, whatever the message timing. */
  for (int c = 0; c < 8; c++) {
    ck_assert_msg(fabs(a[c] - b[c]) <= 1e-6 * fabs(a[c]), "clock %d: sim %.9g real %.9g", c,
                  a[c], b[c]);
    ck_assert_msg(a[c] == b[c], "clock %d: sim %.9g real %.9g differ", c, a[c], b[c]);
  }
}
END_TEST

static pid_t start_rank(int r, int n, const char *coord, const char *secret, int clocks,
                        const char *connect_timeout) {
  char rank[16], size[16], cl[16], errf[48];
  snprintf(rank, sizeof rank, "%d", r);
  snprintf(size, sizeof size, "%d", n);
  snprintf(cl, sizeof cl, "%d", clocks);
  snprintf(errf, sizeof errf, "e2e_rank%d.err", r);
  char *argv[] = {REAL_PROG, "run", "--app", "mf", "--rank", rank, "--world-size", size,
                  "--coordinator", (char *)coord, "--clocks", cl, "--staleness", "1",
                  "--connect-timeout", (char *)connect_timeout, "--verbose", NULL};
  unlink(errf); /* an earlier run's file must not be read as this rank's */
  return spawn(argv, NULL, errf, secret);
}

/* Waits (up to 60 s) until rank r's stderr says `what` (--verbose prints
 * when it listens and when its mesh is formed) while it still runs. If it
 * ends or never says so, kills all n ranks in p (some run until killed; 0:
 * not started) and fails. */
static void wait_said_running(const pid_t *p, int n, int r, const char *what) {
  char errf[32];
  snprintf(errf, sizeof errf, "e2e_rank%d.err", r);
  double t0 = now_s();
  for (;;) {
    int ended = waitpid(p[r], NULL, WNOHANG) != 0;
    if (!ended && strstr(slurp(errf), what))
      return;
    if (ended || now_s() - t0 > 60) {
      for (int i = 0; i < n; i++)
        if (p[i] > 0 && (i != r || !ended)) {
          kill(p[i], SIGKILL);
          wait_status(p[i]);
        }
      ck_abort_msg("rank %d %s without saying '%s': %.1500s", r, ended ? "ended" : "ran 60 s",
                   what, slurp(errf));
    }
    sleep_ms(20);
  }
}

START_TEST(killing_a_rank_stops_the_others_naming_it) {
  char coord[32];
  int hold;
  snprintf(coord, sizeof coord, "127.0.0.1:%d", test_reserve_port(&hold));
  pid_t p[4];
  for (int r = 0; r < 4; r++)
    p[r] = start_rank(r, 4, coord, "s3cret", 1000000, "10"); /* runs until killed */
  /* Kill only once every rank is in the mesh (a loaded machine may take
   * longer than any fixed sleep): a rank still joining would report the
   * coordinator unreachable, not the lost rank. Then let frames flow. */
  for (int r = 0; r < 4; r++)
    wait_said_running(p, 4, r, "peers connected");
  sleep_ms(300);
  for (int r = 0; r < 4; r++)
    wait_said_running(p, 4, r, "peers connected"); /* none ended meanwhile */
  close(hold);
  kill(p[2], SIGKILL);
  double t0 = now_s();
  wait_status(p[2]);
  int st[4] = {0}, ended[4] = {0};
  for (int r = 0; r < 4; r++) {
    if (r == 2)
      continue;
    while (!(ended[r] = waitpid(p[r], &st[r], WNOHANG) == p[r]) && now_s() - t0 < 10)
      sleep_ms(20);
    if (!ended[r]) {
      kill(p[r], SIGKILL);
      wait_status(p[r]);
    }
  }
  for (int r = 0; r < 4; r++) {
    if (r == 2)
      continue;
    ck_assert_msg(ended[r], "rank %d still running 10 s after rank 2 died", r);
    ck_assert_msg(WIFEXITED(st[r]) && WEXITSTATUS(st[r]) != 0, "rank %d exit status %d", r,
                  st[r]);
    char errf[32];
    snprintf(errf, sizeof errf, "e2e_rank%d.err", r);
    ck_assert_msg(strstr(slurp(errf), "lost peer rank 2") != NULL, "rank %d said: %.1500s", r,
                  slurp(errf));
  }
}
END_TEST

/* A launcher told to stop (Ctrl-C, a batch system's SIGTERM) stops its
 * ranks and waits for them: none may run on unattended. */
START_TEST(stopping_launch_stops_its_ranks) {
  /* 3000 clocks: long enough to be running when signalled, short enough
   * that ranks a broken launcher leaves behind end by themselves. */
  char *run[] = {REAL_PROG, "launch", "--local", "3", "--app", "mf", "--clocks", "3000",
                 "--staleness", "1", "--verbose", NULL};
  unlink("e2e_stop.err");
  pid_t l = spawn(run, NULL, "e2e_stop.err", NULL);
  /* The ranks share the launcher's stderr; wait until all three are in
   * their mesh, so the signal finds them running. */
  double t0 = now_s();
  for (;;) {
    int joined = 0;
    for (const char *p = slurp("e2e_stop.err"); (p = strstr(p, "peers connected")); p++)
      joined++;
    if (joined == 3)
      break;
    if (waitpid(l, NULL, WNOHANG) != 0 || now_s() - t0 > 60) {
      kill(l, SIGTERM);
      wait_status(l);
      ck_abort_msg("ranks did not all join: %.1500s", slurp("e2e_stop.err"));
    }
    sleep_ms(20);
  }
  kill(l, SIGTERM);
  int st = 0;
  pid_t got = 0;
  t0 = now_s();
  while ((got = waitpid(l, &st, WNOHANG)) == 0 && now_s() - t0 < 10)
    sleep_ms(20);
  if (got == 0) {
    kill(l, SIGKILL);
    wait_status(l);
  }
  ck_assert_msg(got == l, "launch still running 10 s after SIGTERM");
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "launch exit status %d", st);
  const char *err = slurp("e2e_stop.err");
  ck_assert_msg(strstr(err, "stopping every rank") != NULL, "launch said: %.1500s", err);
  for (int r = 0; r < 3; r++) {
    char want[64];
    snprintf(want, sizeof want, "rank %d died of signal %d", r, SIGTERM);
    ck_assert_msg(strstr(err, want) != NULL, "no '%s' in: %.1500s", want, err);
  }
}
END_TEST

START_TEST(rank_without_secret_cannot_join) {
  char coord[32];
  int hold;
  snprintf(coord, sizeof coord, "127.0.0.1:%d", test_reserve_port(&hold));
  /* Rank 1 starts first and, with 30 s to connect, retries until rank 0
   * listens. Rank 0 starts once rank 1 is up, so rank 1 knocks within a
   * retry period of rank 0's start and its 2 s wait for rank 1 sees the
   * failed handshake, however slowly either process started. */
  pid_t p[2] = {0, 0};
  p[1] = start_rank(1, 2, coord, "wrong", 3, "30");
  wait_said_running(p, 2, 1, "listening on port");
  p[0] = start_rank(0, 2, coord, "right", 3, "2");
  int s1 = wait_status(p[1]), s0 = wait_status(p[0]);
  close(hold);
  ck_assert(WIFEXITED(s1) && WEXITSTATUS(s1) != 0);
  ck_assert(WIFEXITED(s0) && WEXITSTATUS(s0) != 0);
  /* The connecting rank checks the other's proof first and hangs up. */
  ck_assert_ptr_nonnull(strstr(slurp("e2e_rank1.err"), "rank 0 failed the shared-secret proof"));
  ck_assert_ptr_nonnull(strstr(slurp("e2e_rank0.err"), "closed during the handshake"));
  ck_assert_ptr_nonnull(strstr(slurp("e2e_rank0.err"), "rank 1 did not join"));
}
END_TEST

START_TEST(bad_command_lines_are_refused) {
  char *a1[] = {REAL_PROG, "run", "--app", "mf", "--world-size", "2", "--coordinator",
                "127.0.0.1:1", NULL};
  int st = wait_status(spawn(a1, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_ptr_nonnull(strstr(slurp("e2e_bad.err"), "rank is unknown"));
  char *a2[] = {REAL_PROG, "run", "--app", "mf", "--rank", "1", "--world-size", "2",
                "--coordinator", "10.1.2.3:7000", NULL};
  st = wait_status(spawn(a2, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_ptr_nonnull(strstr(slurp("e2e_bad.err"), "--listen HOST:PORT is required"));
  char *a3[] = {REAL_PROG, "run", "--app", "mf", "--rank", "0", "--world-size", "2",
                "--coordinator", "127.0.0.1:7000", NULL};
  st = wait_status(spawn(a3, NULL, "e2e_bad.err", NULL));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_ptr_nonnull(strstr(slurp("e2e_bad.err"), "no cluster secret"));
  FILE *f = fopen("e2e_hosts.txt", "w");
  fprintf(f, "127.0.0.1:7001\n# comment\nnot-an-address\n");
  fclose(f);
  char *a4[] = {REAL_PROG, "run", "--app", "mf", "--rank", "0", "--hostfile", "e2e_hosts.txt",
                NULL};
  st = wait_status(spawn(a4, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_ptr_nonnull(strstr(slurp("e2e_bad.err"), "e2e_hosts.txt:3"));
  /* Two ranks at one address, or a rank at port 0, are named by line. */
  f = fopen("e2e_hosts.txt", "w");
  fprintf(f, "127.0.0.1:7001\n127.0.0.1:7002\n127.0.0.1:7001\n");
  fclose(f);
  st = wait_status(spawn(a4, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_msg(strstr(slurp("e2e_bad.err"), "e2e_hosts.txt:3: 127.0.0.1:7001 is already rank 0's"),
                "%.1500s", slurp("e2e_bad.err"));
  f = fopen("e2e_hosts.txt", "w");
  fprintf(f, "127.0.0.1:7001\n127.0.0.1:0\n");
  fclose(f);
  st = wait_status(spawn(a4, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_msg(strstr(slurp("e2e_bad.err"), "e2e_hosts.txt:2: port 0"), "%.1500s",
                slurp("e2e_bad.err"));
  /* A rank told to listen at rank 0's own address would dial itself. */
  char *a7[] = {REAL_PROG, "run", "--app", "mf", "--rank", "1", "--world-size", "2",
                "--coordinator", "127.0.0.1:7000", "--listen", "127.0.0.1:7000", NULL};
  st = wait_status(spawn(a7, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_msg(strstr(slurp("e2e_bad.err"), "that is the coordinator's address"), "%.1500s",
                slurp("e2e_bad.err"));
  /* launch checks what it passes on before starting anything: one error,
   * not one per rank. */
  char *a6[] = {REAL_PROG, "launch", "--local", "3", "--app", "mf", "--bogus", NULL};
  st = wait_status(spawn(a6, NULL, "e2e_bad.err", NULL));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  const char *said = slurp("e2e_bad.err"), *first = strstr(said, "unknown argument '--bogus'");
  ck_assert_msg(first && !strstr(first + 1, "unknown argument"), "%.1500s", said);
  ck_assert_msg(strstr(said, "stale launch:") == said, "%.1500s", said);
  char *a8[] = {REAL_PROG, "launch", "--hostfile", "e2e_hosts.txt", "--ssh", " ", "--app", "mf",
                NULL};
  st = wait_status(spawn(a8, NULL, "e2e_bad.err", "x"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_msg(strstr(slurp("e2e_bad.err"), "--ssh: an empty command"), "%.1500s",
                slurp("e2e_bad.err"));
  /* The rank and size may come from mpirun's environment. */
  setenv("OMPI_COMM_WORLD_RANK", "5", 1);
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  char *a5[] = {REAL_PROG, "run", "--app", "mf", "--coordinator", "127.0.0.1:7000", NULL};
  st = wait_status(spawn(a5, NULL, "e2e_bad.err", "x"));
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("OMPI_COMM_WORLD_SIZE");
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
  ck_assert_ptr_nonnull(strstr(slurp("e2e_bad.err"), "OMPI_COMM_WORLD_RANK"));
}
END_TEST

/* The hostfile mode of launch, with an "ssh" that runs the command here:
 * every rank starts on its line's address and reads the secret from its
 * standard input. */
START_TEST(launch_hostfile_over_ssh_command) {
  /* Like ssh: options, the host, then the rest joined by spaces and run by
   * a shell, so every word must arrive quoted. */
  FILE *f = fopen("e2e_fake_ssh.sh", "w");
  fprintf(f, "#!/bin/sh\nwhile [ \"$1\" = -p ]; do shift 2; done\nshift\nexec sh -c \"$*\"\n");
  fclose(f);
  chmod("e2e_fake_ssh.sh", 0700);
  int hold[3];
  f = fopen("e2e_hostfile.txt", "w");
  for (int i = 0; i < 3; i++)
    fprintf(f, "127.0.0.1:%d\n", test_reserve_port(&hold[i]));
  fclose(f);
  FILE *sf = fopen("e2e_secret.txt", "w");
  fprintf(sf, "hostfile-secret\n");
  fclose(sf);
  const char *out = "e2e hf 'out'.csv"; /* a space and a quote to carry over ssh */
  unlink(out);
  char *run[] = {REAL_PROG, "launch", "--hostfile", "e2e_hostfile.txt", "--ssh",
                 "./e2e_fake_ssh.sh -p 22", "--secret-file", "e2e_secret.txt", "--app", "mf",
                 "--clocks", "3", "--staleness", "0", "--out", (char *)out, NULL};
  int st = wait_status(spawn(run, NULL, "e2e_hf.err", NULL));
  for (int i = 0; i < 3; i++)
    close(hold[i]);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "launch failed: %.1500s",
                slurp("e2e_hf.err"));
  double b[8];
  ck_assert_int_eq(read_objectives(out, b, 8), 3);
  ck_assert(b[2] > 0 && b[2] < 10);
}
END_TEST

static tbl_set mf_tables(uint32_t clocks) {
  const app_ops *app = app_find("mf");
  ck_assert_ptr_nonnull(app);
  app_params ap = {.seed = 1, .nworkers = 4, .clocks = clocks};
  void *shared = NULL;
  char err[300];
  ck_assert_int_eq(app->load(&ap, &shared, err, sizeof err), 0);
  tbl_set t;
  memset(&t, 0, sizeof t);
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = clocks, .width = APP_METRICS_WIDTH};
  ck_assert_int_eq(tbl_add(&t, &metrics), 0);
  ck_assert_int_eq(app->tables(shared, &t), 0);
  app->free(shared);
  return t;
}

/* Metrics row c of a checkpoint (zeros if absent). */
static void metrics_row(const rt_ckpt_rows *r, uint32_t c, float out[APP_METRICS_WIDTH]) {
  memset(out, 0, sizeof(float) * APP_METRICS_WIDTH);
  for (uint32_t i = 0; i < r->n; i++)
    if (r->rows[i].table == APP_METRICS_TABLE && r->rows[i].row == c)
      memcpy(out, r->rows[i].v, sizeof(float) * APP_METRICS_WIDTH);
}

/* A run checkpoints at clocks 2, 4, 6; a crash while checkpoint 6 was
 * being written (its shard files exist, COMPLETE does not) makes --resume
 * restart from 4. The resumed run's own checkpoint 6 then holds exactly the
 * first run's metrics rows 0..3: restored once, neither lost nor doubled. */
START_TEST(resume_restarts_from_last_complete_checkpoint) {
  ck_assert_int_eq(system("rm -rf e2e_ckpt e2e_ckpt6_first e2e_first"), 0);
  char *run[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                 "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "e2e_ckpt",
                 NULL};
  int st = wait_status(spawn(run, "e2e_ck1.csv", "e2e_ck1.err", "ck"));
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "first run: %.1500s",
                slurp("e2e_ck1.err"));
  ck_assert_int_eq(access("e2e_ckpt/ckpt-6/COMPLETE", F_OK), 0);
  ck_assert_int_eq(access("e2e_ckpt/ckpt-4/COMPLETE", F_OK), 0);
  ck_assert_msg(access("e2e_ckpt/ckpt-2", F_OK) != 0, "the last two checkpoints are kept, "
                                                      "older ones deleted");
  ck_assert_int_eq(system("cp -r e2e_ckpt/ckpt-6 e2e_ckpt6_first && "
                          "rm e2e_ckpt/ckpt-6/COMPLETE"), 0);
  char *again[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "0",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "e2e_ckpt",
                   "--resume", NULL};
  st = wait_status(spawn(again, "e2e_ck2.csv", "e2e_ck2.err", "ck"));
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "resumed run: %.1500s",
                slurp("e2e_ck2.err"));
  ck_assert_ptr_nonnull(strstr(slurp("e2e_ck2.err"), "resuming from the checkpoint of clock 4"));
  tbl_set t = mf_tables(8);
  rt_ckpt_rows a, b;
  char err[600];
  ck_assert_int_eq(system("mkdir -p e2e_first && rm -rf e2e_first/ckpt-6 && "
                          "mv e2e_ckpt6_first e2e_first/ckpt-6"), 0);
  ck_assert_msg(rt_ckpt_read_shard("e2e_first", 6, 0, 1, &t, &a, err, sizeof err) == 0, "%s",
                err);
  ck_assert_msg(rt_ckpt_read_shard("e2e_ckpt", 6, 0, 1, &t, &b, err, sizeof err) == 0, "%s",
                err);
  for (uint32_t c = 0; c < 4; c++) {
    float ra[APP_METRICS_WIDTH], rb[APP_METRICS_WIDTH];
    metrics_row(&a, c, ra);
    metrics_row(&b, c, rb);
    ck_assert_float_ne(ra[1], 0); /* the test-rating count is never zero */
    ck_assert_msg(!memcmp(ra, rb, sizeof ra), "metrics row %u: %g %g vs %g %g", c, ra[0], ra[1],
                  rb[0], rb[1]);
  }
  rt_ckpt_rows_free(&a);
  rt_ckpt_rows_free(&b);
  /* Every clock's objective is the first run's, bit for bit: the restored
   * clocks from the tables, the later ones because each worker's own state
   * (MF's user factors) came back too and BSP sums are ordered. */
  double oa[8], ob[8];
  ck_assert_int_eq(read_objectives("e2e_ck1.csv", oa, 8), 8);
  ck_assert_int_eq(read_objectives("e2e_ck2.csv", ob, 8), 8);
  for (int c = 0; c < 8; c++)
    ck_assert_msg(oa[c] == ob[c], "clock %d: first run %.9g, resumed %.9g", c, oa[c], ob[c]);
  /* A run with another bound (or app options, data, seed, shape) would
   * continue tables it did not make: refused. */
  char *other[] = {REAL_PROG, "launch", "--local", "4", "--app", "mf", "--staleness", "1",
                   "--clocks", "8", "--checkpoint-every", "2", "--checkpoint-dir", "e2e_ckpt",
                   "--resume", NULL};
  st = wait_status(spawn(other, "e2e_ck4.csv", "e2e_ck4.err", "ck"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
  ck_assert_msg(strstr(slurp("e2e_ck4.err"), "different run configuration") != NULL, "%.1500s",
                slurp("e2e_ck4.err"));
  /* A checkpoint without a worker's state cannot be resumed, and says so. */
  ck_assert_int_eq(system("rm e2e_ckpt/ckpt-6/worker-3.bin"), 0);
  st = wait_status(spawn(again, "e2e_ck3.csv", "e2e_ck3.err", "ck"));
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
  ck_assert_msg(strstr(slurp("e2e_ck3.err"), "worker-3.bin") != NULL, "%.1500s",
                slurp("e2e_ck3.err"));
  /* A corrupted worker state file is refused by name too. */
  uint8_t *state = NULL;
  size_t slen = 0;
  FILE *wf = fopen("e2e_ckpt/ckpt-6/worker-2.bin", "r+b");
  ck_assert_ptr_nonnull(wf);
  fseek(wf, 20, SEEK_SET);
  fputc(0x55, wf);
  fclose(wf);
  ck_assert(rt_ckpt_read_worker("e2e_ckpt", 6, 2, &state, &slen, err, sizeof err) != 0);
  ck_assert_msg(strstr(err, "worker-2.bin: checksum mismatch") != NULL, "%s", err);
  ck_assert_int_eq(rt_ckpt_read_worker("e2e_ckpt", 6, 1, &state, &slen, err, sizeof err), 0);
  ck_assert_uint_gt(slen, 16);
  free(state);
  /* A corrupted shard file is refused by name. */
  FILE *f = fopen("e2e_ckpt/ckpt-6/shard-0.bin", "r+b");
  fseek(f, 40, SEEK_SET);
  fputc(0x55, f);
  fclose(f);
  ck_assert(rt_ckpt_read_shard("e2e_ckpt", 6, 0, 1, &t, &b, err, sizeof err) != 0);
  ck_assert_ptr_nonnull(strstr(err, "shard-0.bin: checksum mismatch"));
}
END_TEST

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  Suite *s = suite_create("real_e2e");
  TCase *tc = tcase_create("all");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, bad_command_lines_are_refused);
  tcase_add_test(tc, launch_local_matches_sim_at_s0);
  tcase_add_test(tc, killing_a_rank_stops_the_others_naming_it);
  tcase_add_test(tc, rank_without_secret_cannot_join);
  tcase_add_test(tc, stopping_launch_stops_its_ranks);
  tcase_add_test(tc, launch_hostfile_over_ssh_command);
  tcase_add_test(tc, resume_restarts_from_last_complete_checkpoint);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
