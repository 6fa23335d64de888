/* test_real_launchers.c: how a rank learns its place without flags, as
 * cluster users start it: the launcher variables' order of precedence, the
 * coordinator from MASTER_ADDR/MASTER_PORT (torchrun) or from Slurm's node
 * list and job id, a rendezvous file; each forms a real cluster on loopback
 * whose s = 0 result equals the simulator's at every clock. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_opt.h"
#include "st.h"
#include "test_port.h"

static const char *const launcher_vars[] = {
    "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID",
    "SLURM_NTASKS", "SLURM_JOB_NODELIST", "SLURM_JOB_ID", "RANK", "WORLD_SIZE", "LOCAL_RANK",
    "MASTER_ADDR", "MASTER_PORT", NULL};

static void clear_launchers(void) {
  for (const char *const *v = launcher_vars; *v; v++) unsetenv(*v);
  setenv("STALE_SECRET", "launcher test secret", 1);
}

/* Parses `stale run --app mf` plus extra (NULL-terminated) under the
 * current environment. */
static int parse(rt_opt *o, const char *extra1, const char *extra2, char *err) {
  char *argv[] = {"run", "--app", "mf", (char *)extra1, (char *)extra2, NULL};
  int argc = 3 + (extra1 != NULL) + (extra2 != NULL);
  return rt_opt_parse(o, argc, argv, err, 400);
}

START_TEST(launcher_variables_in_their_order) {
  rt_opt o;
  char err[400];
  clear_launchers();
  setenv("RANK", "3", 1);
  setenv("WORLD_SIZE", "4", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", "29500", 1);
  ck_assert_msg(parse(&o, NULL, NULL, err) == 0, "%s", err);
  ck_assert_uint_eq(o.rank, 3);
  ck_assert_uint_eq(o.size, 4);
  ck_assert_str_eq(o.coordinator.host, "127.0.0.1");
  ck_assert_uint_eq(o.coordinator.port, 29500);
  ck_assert_str_eq(o.coord_from, "MASTER_ADDR and MASTER_PORT");
  rt_opt_free(&o);
  /* Slurm's variables come before torchrun's, MPI's before Slurm's, flags first. */
  setenv("SLURM_PROCID", "1", 1);
  setenv("SLURM_NTASKS", "4", 1);
  ck_assert_msg(parse(&o, NULL, NULL, err) == 0, "%s", err);
  ck_assert_uint_eq(o.rank, 1);
  rt_opt_free(&o);
  setenv("PMI_RANK", "2", 1);
  setenv("PMI_SIZE", "4", 1);
  ck_assert_msg(parse(&o, NULL, NULL, err) == 0, "%s", err);
  ck_assert_uint_eq(o.rank, 2);
  rt_opt_free(&o);
  ck_assert_msg(parse(&o, "--rank", "0", err) == 0, "%s", err);
  ck_assert_uint_eq(o.rank, 0);
  rt_opt_free(&o);
  /* A coordinator flag beats the environment's. */
  ck_assert_msg(parse(&o, "--coordinator", "127.0.0.1:7000", err) == 0, "%s", err);
  ck_assert_uint_eq(o.coordinator.port, 7000);
  rt_opt_free(&o);
  clear_launchers();
}
END_TEST

START_TEST(slurm_node_list_gives_rank_0_and_a_port) {
  rt_opt o;
  char err[400];
  clear_launchers();
  setenv("SLURM_PROCID", "2", 1);
  setenv("SLURM_NTASKS", "6", 1);
  setenv("SLURM_JOB_NODELIST", "node[07-09],login", 1);
  setenv("SLURM_JOB_ID", "123456", 1);
  ck_assert_msg(parse(&o, NULL, NULL, err) == 0, "%s", err);
  ck_assert_str_eq(o.coordinator.host, "node07");
  ck_assert_uint_eq(o.coordinator.port, 20000 + 123456 % 20000);
  ck_assert_uint_eq(o.coordinator.port, rt_opt_slurm_port(123456));
  ck_assert_str_eq(o.listen.host, "0.0.0.0"); /* off loopback: every interface */
  rt_opt_free(&o);
  ck_assert_msg(parse(&o, "--port", "6000", err) == 0, "%s", err);
  ck_assert_uint_eq(o.coordinator.port, 6000);
  rt_opt_free(&o);
  /* Each variable that is wrong is named. */
  setenv("SLURM_JOB_NODELIST", "node[07-", 1);
  ck_assert_int_eq(parse(&o, NULL, NULL, err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "SLURM_JOB_NODELIST"));
  rt_opt_free(&o);
  setenv("SLURM_JOB_NODELIST", "n1", 1);
  setenv("SLURM_JOB_ID", "12x", 1);
  ck_assert_int_eq(parse(&o, NULL, NULL, err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "SLURM_JOB_ID"));
  rt_opt_free(&o);
  clear_launchers();
  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "2", 1);
  setenv("MASTER_ADDR", "h", 1);
  setenv("MASTER_PORT", "99999", 1);
  ck_assert_int_eq(parse(&o, NULL, NULL, err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "MASTER_PORT"));
  rt_opt_free(&o);
  unsetenv("MASTER_ADDR");
  ck_assert_int_eq(parse(&o, NULL, NULL, err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "where is rank 0?"));
  rt_opt_free(&o);
  ck_assert_int_eq(parse(&o, "--rendezvous", "f", err) == 0 ? 0 : -1, 0);
  rt_opt_free(&o);
  char *argv[] = {"run", "--app", "mf", "--rendezvous", "f", "--coordinator", "h:1", NULL};
  ck_assert_int_eq(rt_opt_parse(&o, 7, argv, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "at most one of"));
  rt_opt_free(&o);
  clear_launchers();
}
END_TEST

/* Starts `stale run` for rank r of n with the environment env (NAME=value
 * strings, NULL-terminated, each with %d replaced by the rank) and args. */
static pid_t start(int r, char *const env[], char *const args[], const char *out) {
  pid_t p = fork();
  if (p == 0) {
    clear_launchers();
    for (int i = 0; env[i]; i++) {
      char kv[300];
      snprintf(kv, sizeof kv, env[i], r);
      char *eq = strchr(kv, '=');
      *eq = '\0';
      setenv(kv, eq + 1, 1);
    }
    char errf[64];
    snprintf(errf, sizeof errf, "launch_rank%d.err", r);
    int o = open(out && r == 0 ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    execv(STALE_PROG, args);
    _exit(127);
  }
  return p;
}

static int wait_ok(pid_t p) {
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The whole CSV's objective column as text, to compare bit for bit. */
static void objectives(const char *path, char *out, size_t len) {
  char cmd[300];
  snprintf(cmd, sizeof cmd,
           "awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i==\"objective\") c=i} NR>1{print $c}' %s", path);
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  size_t n = fread(out, 1, len - 1, f);
  out[n] = '\0';
  pclose(f);
}

static void run_cluster_and_compare(char *const env[], char *const extra_args_rank0[],
                                    char *const extra_args[], const char *name) {
  enum { N = 4 };
  char *base[] = {STALE_PROG, "run", "--app", "mf", "--clocks", "4", "--staleness", "0",
                  "--out", "launch.csv"};
  char *args0[24], *args[24];
  int k0 = 0, k = 0;
  for (size_t i = 0; i < sizeof base / sizeof *base; i++) args0[k0++] = args[k++] = base[i];
  for (int i = 0; extra_args_rank0 && extra_args_rank0[i]; i++) args0[k0++] = extra_args_rank0[i];
  for (int i = 0; extra_args && extra_args[i]; i++) args0[k0++] = args[k++] = extra_args[i];
  args0[k0] = args[k] = NULL;
  unlink("launch.csv");
  pid_t p[N];
  for (int r = 0; r < N; r++) p[r] = start(r, env, r == 0 ? args0 : args, "launch_out.txt");
  for (int r = 0; r < N; r++) {
    int ok = wait_ok(p[r]);
    char errf[64], msg[1600] = "";
    snprintf(errf, sizeof errf, "launch_rank%d.err", r);
    FILE *f = fopen(errf, "r");
    if (f) {
      msg[fread(msg, 1, sizeof msg - 1, f)] = '\0';
      fclose(f);
    }
    ck_assert_msg(ok, "%s: rank %d failed: %s", name, r, msg);
  }
  char *sim[] = {STALE_PROG, "sim", "--app", "mf", "--nodes", "4", "--clocks", "4",
                 "--staleness", "0", "--out", "launch_sim.csv", NULL};
  char *const noenv[] = {NULL};
  ck_assert(wait_ok(start(0, noenv, sim, NULL)));
  char a[2000], b[2000];
  objectives("launch.csv", a, sizeof a);
  objectives("launch_sim.csv", b, sizeof b);
  ck_assert_msg(strlen(a) > 10 && strcmp(a, b) == 0, "%s: real\n%s\nsim\n%s", name, a, b);
}

START_TEST(torchrun_variables_form_a_cluster) {
  int fd;
  uint16_t port = test_reserve_port(&fd);
  char mp[40];
  snprintf(mp, sizeof mp, "MASTER_PORT=%u", port);
  char *const env[] = {"RANK=%d", "WORLD_SIZE=4", "LOCAL_RANK=%d", "MASTER_ADDR=127.0.0.1", mp,
                       "STALE_SECRET=s", NULL};
  run_cluster_and_compare(env, NULL, NULL, "torchrun");
  close(fd);
}
END_TEST

/* `stale secret` makes the file; the ranks read it, with no STALE_SECRET in
 * their environment (as under srun --export=NONE). */
START_TEST(slurm_variables_form_a_cluster) {
  unlink("launch.secret");
  char *mk[] = {STALE_PROG, "secret", "--out", "launch.secret", NULL};
  char *const noenv[] = {NULL};
  ck_assert(wait_ok(start(0, noenv, mk, NULL)));
  int fd;
  uint16_t port = test_reserve_port(&fd);
  char ps[16];
  snprintf(ps, sizeof ps, "%u", port);
  char *const env[] = {"SLURM_PROCID=%d", "SLURM_NTASKS=4", "SLURM_JOB_NODELIST=localhost",
                       "SLURM_JOB_ID=77", "STALE_SECRET=", NULL};
  char *const extra[] = {"--port", ps, "--secret-file", "launch.secret", NULL};
  run_cluster_and_compare(env, NULL, extra, "slurm");
  close(fd);
}
END_TEST

START_TEST(a_rendezvous_file_forms_a_cluster) {
  unlink("launch.rdv");
  char *const env[] = {"PMI_RANK=%d", "PMI_SIZE=4", "STALE_SECRET=s", NULL};
  char *const extra0[] = {"--listen", "127.0.0.1:0", NULL};
  char *const extra[] = {"--rendezvous", "launch.rdv", NULL};
  run_cluster_and_compare(env, extra0, extra, "rendezvous");
  FILE *f = fopen("launch.rdv", "r");
  ck_assert_ptr_nonnull(f);
  char line[100];
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  fclose(f);
  ck_assert_msg(!strncmp(line, "127.0.0.1:", 10), "published '%s'", line);
  unlink("launch.rdv");
}
END_TEST

START_TEST(secret_files_are_private_and_not_replaced) {
  unlink("t.secret");
  char *mk[] = {STALE_PROG, "secret", "--out", "t.secret", NULL};
  char *force[] = {STALE_PROG, "secret", "--out", "t.secret", "--force", NULL};
  char *const noenv[] = {NULL};
  mode_t old = umask(0); /* the file is 0600 whatever the umask */
  ck_assert(wait_ok(start(0, noenv, mk, NULL)));
  umask(old);
  struct stat st;
  ck_assert_int_eq(stat("t.secret", &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0600);
  ck_assert_int_eq((int)st.st_size, 65);
  char a[80], b[80];
  FILE *f = fopen("t.secret", "r");
  ck_assert_ptr_nonnull(fgets(a, sizeof a, f));
  fclose(f);
  ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 64);
  ck_assert(!wait_ok(start(0, noenv, mk, NULL))); /* an existing file stays */
  f = fopen("t.secret", "r");
  ck_assert_ptr_nonnull(fgets(b, sizeof b, f));
  fclose(f);
  ck_assert_str_eq(a, b);
  chmod("t.secret", 0644);
  ck_assert(wait_ok(start(0, noenv, force, NULL)));
  ck_assert_int_eq(stat("t.secret", &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0600);
  f = fopen("t.secret", "r");
  ck_assert_ptr_nonnull(fgets(b, sizeof b, f));
  fclose(f);
  ck_assert_str_ne(a, b); /* fresh */
  unlink("t.secret");
}
END_TEST

/* A rendezvous file that rank 0 finds already there, or that holds no
 * address, is refused with a message naming it. */
START_TEST(bad_rendezvous_files_are_refused) {
  FILE *f = fopen("bad.rdv", "w");
  ck_assert_ptr_nonnull(f);
  fputs("not an address\n", f);
  fclose(f);
  char *args[] = {STALE_PROG, "run", "--app", "mf", "--clocks", "1", "--rendezvous", "bad.rdv",
                  "--connect-timeout", "2", NULL};
  char *const env[] = {"PMI_RANK=%d", "PMI_SIZE=2", "STALE_SECRET=s", NULL};
  struct {
    int rank;
    const char *want;
  } cases[] = {{0, "the file exists; it must not before the run"},
               {1, "'not an address' is not host:port"}};
  for (int i = 0; i < 2; i++) {
    ck_assert(!wait_ok(start(cases[i].rank, env, args, NULL)));
    char errf[64], text[2000] = "";
    snprintf(errf, sizeof errf, "launch_rank%d.err", cases[i].rank);
    FILE *e = fopen(errf, "r");
    ck_assert_ptr_nonnull(e);
    text[fread(text, 1, sizeof text - 1, e)] = '\0';
    fclose(e);
    ck_assert_msg(strstr(text, "bad.rdv") && strstr(text, cases[i].want), "rank %d: %s",
                  cases[i].rank, text);
  }
  unlink("bad.rdv");
  /* No file ever: the wait ends at the connect timeout, saying so. */
  ck_assert(!wait_ok(start(1, env, args, NULL)));
  FILE *e = fopen("launch_rank1.err", "r");
  char text[2000] = "";
  text[fread(text, 1, sizeof text - 1, e)] = '\0';
  fclose(e);
  ck_assert_msg(strstr(text, "rank 0 did not write its address within 2 s"), "%s", text);
}
END_TEST

/* Ranks that start before rank 0 listens retry in silence: a healthy run
 * whose coordinator came up last writes nothing to stderr. */
START_TEST(ranks_started_before_rank_0_retry_quietly) {
  int fd;
  uint16_t port = test_reserve_port(&fd);
  close(fd);
  char coord[40];
  snprintf(coord, sizeof coord, "127.0.0.1:%u", port);
  char *args[] = {STALE_PROG, "run", "--app", "mf", "--clocks", "2", "--coordinator", coord, NULL};
  char *const env[] = {"PMI_RANK=%d", "PMI_SIZE=3", "STALE_SECRET=s", NULL};
  pid_t p[3];
  for (int r = 2; r >= 1; r--) p[r] = start(r, env, args, NULL);
  nanosleep(&(struct timespec){0, 700 * 1000 * 1000}, NULL); /* a few refused dials each */
  p[0] = start(0, env, args, NULL);
  for (int r = 0; r < 3; r++) ck_assert_msg(wait_ok(p[r]), "rank %d failed", r);
  for (int r = 0; r < 3; r++) {
    char errf[64], text[2000] = "";
    snprintf(errf, sizeof errf, "launch_rank%d.err", r);
    FILE *f = fopen(errf, "r");
    ck_assert_ptr_nonnull(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    ck_assert_msg(text[0] == '\0', "rank %d said: %s", r, text);
  }
}
END_TEST

/* A service that accepts and at once closes every connection on port,
 * for seconds (a taken coordinator port: slurmctld's own, say). */
static pid_t squatter(uint16_t port, int seconds) {
  pid_t p = fork();
  if (p == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) _exit(1);
    alarm((unsigned)seconds);
    for (;;) {
      int c = accept(fd, NULL, NULL);
      if (c >= 0) close(c);
    }
  }
  return p;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Rank 0 cannot bind (the port is taken): it says so and exits; every other
 * rank exits non-zero within 10 s with a line or two, not one per retry. */
START_TEST(a_taken_coordinator_port_stops_everyone_quietly) {
  int fd;
  uint16_t port = test_reserve_port(&fd);
  close(fd);
  pid_t sq = squatter(port, 30);
  nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
  char coord[40];
  snprintf(coord, sizeof coord, "127.0.0.1:%u", port);
  char *args[] = {STALE_PROG, "run", "--app", "mf", "--coordinator", coord, NULL};
  char *const env[] = {"PMI_RANK=%d", "PMI_SIZE=4", "STALE_SECRET=s", NULL};
  double t0 = now_s();
  pid_t p[4];
  for (int r = 0; r < 4; r++) p[r] = start(r, env, args, NULL);
  for (int r = 0; r < 4; r++) ck_assert_msg(!wait_ok(p[r]), "rank %d succeeded", r);
  double took = now_s() - t0;
  kill(sq, SIGKILL);
  waitpid(sq, NULL, 0);
  ck_assert_msg(took < 10.0, "the ranks took %.1f s to stop", took);
  for (int r = 0; r < 4; r++) {
    char errf[64], text[8192] = "";
    snprintf(errf, sizeof errf, "launch_rank%d.err", r);
    FILE *f = fopen(errf, "r");
    ck_assert_ptr_nonnull(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    int lines = 0;
    for (const char *c = text; *c; c++) lines += *c == '\n';
    ck_assert_msg(lines >= 1 && lines <= 3, "rank %d wrote %d lines: %.1500s", r, lines, text);
    if (r == 0)
      ck_assert_msg(strstr(text, "cannot listen on"), "rank 0: %s", text);
    else
      ck_assert_msg(strstr(text, "rank 0 (") && strstr(text, "not reached within"), "rank %d: %s", r, text);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("real_launchers");
  TCase *tc = tcase_create("options");
  tcase_add_test(tc, launcher_variables_in_their_order);
  tcase_add_test(tc, slurm_node_list_gives_rank_0_and_a_port);
  tcase_add_test(tc, secret_files_are_private_and_not_replaced);
  suite_add_tcase(s, tc);
  tc = tcase_create("clusters");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, torchrun_variables_form_a_cluster);
  tcase_add_test(tc, slurm_variables_form_a_cluster);
  tcase_add_test(tc, a_rendezvous_file_forms_a_cluster);
  tcase_add_test(tc, a_taken_coordinator_port_stops_everyone_quietly);
  tcase_add_test(tc, ranks_started_before_rank_0_retry_quietly);
  tcase_add_test(tc, bad_rendezvous_files_are_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
