/* test_sim_run.c: small simulated runs through the real SimGrid backend and
 * the real core. A tiny app defined here increments known rows by known
 * amounts every clock and checks the SSP bound on what it reads; after the
 * run the servers' tables must equal the exact total of the increments.
 * SimGrid initialises once per process, so every run is a forked child that
 * reports back through a pipe. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim.h"

#define T_ROWS 5u
#define T_WIDTH 3u
#define T_TABLE 1u
#define T_NODES 8u
#define T_WPN 2u
#define T_CLOCKS 6u
#define T_STALENESS 1u

typedef struct t_shared {
  uint32_t nworkers;
  uint32_t staleness;
  int ssp_violations;
  int arm_timers; /* each clock, worker 0 of a node arms its client's timer twice */
} t_shared;

static int t_load(const app_params *p, void **shared, char *err, size_t errlen) {
  (void)err;
  (void)errlen;
  t_shared *s = calloc(1, sizeof *s);
  if (!s) return ST_ENOMEM;
  s->nworkers = p->nworkers;
  *shared = s;
  return 0;
}

static int t_tables(void *shared, tbl_set *set) {
  (void)shared;
  tbl_def d = {.id = T_TABLE, .rows = T_ROWS, .width = T_WIDTH, .sparse = 0};
  return tbl_add(set, &d);
}

static int t_worker_init(void *shared, ps_worker *w, void **ws) {
  (void)shared;
  (void)w;
  *ws = NULL;
  return 0;
}

/* Every worker adds 1 to column 0 of every row each clock, so a reader at
 * clock c must see at least nworkers * (c - s) there; worker g also adds
 * (g + 1) * (c + 1) to column 1 of row g % T_ROWS. */
static int t_step(void *shared, void *ws, ps_worker *w, st_clock_t clock) {
  (void)ws;
  t_shared *s = shared;
  float row[T_WIDTH];
  for (uint32_t r = 0; r < T_ROWS; r++) {
    int rc = ps_get(w, T_TABLE, r, row);
    if (rc) return rc;
    double need = clock > s->staleness ? (double)s->nworkers * (clock - s->staleness) : 0;
    if (row[0] < need) s->ssp_violations++;
  }
  ps_charge(w, 1e6 * (1 + w->global_index % 3)); /* unequal work: stragglers */
  for (uint32_t r = 0; r < T_ROWS; r++) {
    float d[T_WIDTH] = {1.0f, 0, 0};
    if (r == w->global_index % T_ROWS) d[1] = (float)((w->global_index + 1) * (clock + 1));
    int rc = ps_inc(w, T_TABLE, r, d);
    if (rc) return rc;
  }
  if (s->arm_timers && w->id == 0) {
    /* The first is superseded at once and fires late, long after the
     * second, which fires well within the clock. */
    int rc = cl_timer_arm(w->client, 1.0);
    if (rc == 0) rc = cl_timer_arm(w->client, 1e-4);
    if (rc) return rc;
  }
  float m[APP_METRICS_WIDTH] = {1.0f, (float)w->global_index, 0, 0};
  return ps_inc(w, APP_METRICS_TABLE, clock, m);
}

static void t_worker_free(void *shared, void *ws) {
  (void)shared;
  (void)ws;
}

static double t_objective(void *shared, const float *row) {
  (void)shared;
  return row[0] * 1000.0 + row[1]; /* workers that reported, and their id sum */
}

static void t_free(void *shared) { free(shared); }

static const app_ops t_app = {.name = "sumtest",
                              .summary = "known increments",
                              .load = t_load,
                              .tables = t_tables,
                              .worker_init = t_worker_init,
                              .step = t_step,
                              .worker_free = t_worker_free,
                              .objective = t_objective,
                              .objective_name = "count",
                              .free = t_free};

/* What a child reports. */
typedef struct t_report {
  int rc;
  char err[256];
  int ssp_violations;
  uint64_t timers_fired, timers_late;
  float table[T_ROWS][T_WIDTH];
  sim_clock_stat stats[T_CLOCKS];
} t_report;

static void t_inspect(void *arg, st_node *const *nodes, uint32_t n) {
  t_report *rep = arg;
  const st_config *cfg = &nodes[0]->cfg;
  for (uint32_t r = 0; r < T_ROWS; r++) {
    uint32_t shard = tbl_shard(T_TABLE, r, cfg->nservers);
    uint32_t node = cfg_server_node(cfg, shard);
    ck_assert_uint_lt(node, n);
    rep->rc = rep->rc ? rep->rc : srv_read_row(nodes[node]->server, T_TABLE, r, rep->table[r]);
  }
  for (uint32_t i = 0; i < n; i++)
    if (nodes[i]->client) {
      rep->timers_fired += cl_get_stats(nodes[i]->client)->timers_fired;
      rep->timers_late += cl_get_stats(nodes[i]->client)->timers_late;
    }
}

/* Runs one simulation in a child process and returns its report. */
static void t_run_full(int ports, double fraction, double factor, int timers, t_report *rep) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    t_report r;
    memset(&r, 0, sizeof r);
    app_params ap = {.nworkers = T_NODES * T_WPN, .clocks = T_CLOCKS, .seed = 3};
    void *shared = NULL;
    t_load(&ap, &shared, r.err, sizeof r.err);
    ((t_shared *)shared)->staleness = T_STALENESS;
    ((t_shared *)shared)->arm_timers = timers;
    sim_params p = {.app = &t_app,
                    .shared = shared,
                    .cfg = {.nclients = T_NODES,
                            .nservers = 2,
                            .workers_per_client = T_WPN,
                            .server_base = 0,
                            .staleness = T_STALENESS,
                            .push = 1},
                    .clocks = T_CLOCKS,
                    .inspect = t_inspect,
                    .inspect_arg = &r};
    plat_defaults(&p.plat, T_NODES);
    p.plat.ports = (uint8_t)ports;
    p.plat.host_speed = 1e9;
    p.plat.straggler_fraction = 0.25;
    p.plat.straggler_factor = 3;
    p.straggle_fraction = fraction;
    p.straggle_factor = factor;
    p.seed = 3;
    int rc = sim_run(&p, r.stats, r.err, sizeof r.err);
    r.rc = rc ? rc : r.rc;
    r.ssp_violations = ((t_shared *)shared)->ssp_violations;
    t_free(shared);
    ssize_t k = write(fds[1], &r, sizeof r);
    _exit(k == (ssize_t)sizeof r ? 0 : 1);
  }
  close(fds[1]);
  size_t got = 0;
  while (got < sizeof *rep) {
    ssize_t k = read(fds[0], (char *)rep + got, sizeof *rep - got);
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %d)", status);
  ck_assert_uint_eq(got, sizeof *rep);
}

static void t_run_straggling(int ports, double fraction, double factor, t_report *rep) {
  t_run_full(ports, fraction, factor, 0, rep);
}
static void t_run(int ports, t_report *rep) { t_run_straggling(ports, 0, 1, rep); }

static void t_check(const t_report *r) {
  ck_assert_msg(r->rc == 0, "run failed: %s (%s)", r->err, st_strerror(r->rc));
  ck_assert_int_eq(r->ssp_violations, 0);
  uint32_t nworkers = T_NODES * T_WPN;
  double clock_sum = T_CLOCKS * (T_CLOCKS + 1) / 2.0; /* sum of c + 1 */
  for (uint32_t row = 0; row < T_ROWS; row++) {
    double want1 = 0;
    for (uint32_t g = 0; g < nworkers; g++)
      if (g % T_ROWS == row) want1 += (g + 1) * clock_sum;
    ck_assert_msg(r->table[row][0] == (float)(nworkers * T_CLOCKS), "row %u col 0: %g", row,
                  r->table[row][0]);
    ck_assert_msg(r->table[row][1] == (float)want1, "row %u col 1: %g, want %g", row,
                  r->table[row][1], want1);
    ck_assert(r->table[row][2] == 0.0f);
  }
  double idsum = nworkers * (nworkers - 1) / 2.0;
  for (uint32_t c = 0; c < T_CLOCKS; c++) {
    ck_assert_msg(r->stats[c].objective == nworkers * 1000.0 + idsum, "clock %u objective %g", c,
                  r->stats[c].objective);
    ck_assert(r->stats[c].time > 0);
    ck_assert(r->stats[c].bytes > 0);
    if (c > 0) {
      ck_assert(r->stats[c].time >= r->stats[c - 1].time);
      ck_assert(r->stats[c].bytes >= r->stats[c - 1].bytes);
      ck_assert(r->stats[c].blocked >= r->stats[c - 1].blocked);
    }
  }
  /* Each clock costs at least the slowest worker's charge: 3e6 flops on a
   * straggler at 1e9 / 3 flop/s = 9 ms. */
  ck_assert_msg(r->stats[T_CLOCKS - 1].time >= T_CLOCKS * 9e-3, "time %g",
                r->stats[T_CLOCKS - 1].time);
}

START_TEST(switch_network_run_sums_exactly_and_repeats) {
  t_report a, b;
  t_run(1, &a);
  t_check(&a);
  t_run(1, &b);
  t_check(&b);
  ck_assert_mem_eq(a.stats, b.stats, sizeof a.stats); /* deterministic */
}
END_TEST

START_TEST(direct_network_run_sums_exactly) {
  t_report a;
  t_run(0, &a);
  t_check(&a);
}
END_TEST

/* Transient stragglers: with every node slowed 2x in every clock, each clock
 * costs at least twice the slowest charge; with some nodes slowed at
 * random, results still sum exactly and repeat. */
START_TEST(transient_stragglers_slow_clocks_and_repeat) {
  t_report all, a, b, none;
  t_run_straggling(1, 1.0, 2.0, &all);
  t_check(&all);
  ck_assert_msg(all.stats[T_CLOCKS - 1].time >= T_CLOCKS * 18e-3, "time %g", all.stats[T_CLOCKS - 1].time);
  t_run_straggling(1, 0.3, 5.0, &a);
  t_check(&a);
  t_run_straggling(1, 0.3, 5.0, &b);
  ck_assert_mem_eq(a.stats, b.stats, sizeof a.stats);
  t_run(1, &none);
  ck_assert(a.stats[T_CLOCKS - 1].time > none.stats[T_CLOCKS - 1].time);
}
END_TEST

/* Timers through the SimGrid backend's one timer actor: every arming fires
 * exactly once, the superseded ones late; the run waits for the last (1 s
 * after the last clock) and its results do not change. */
START_TEST(timers_fire_once_each_in_both_network_models) {
  for (int ports = 0; ports <= 1; ports++) {
    t_report plain, timed;
    t_run(ports, &plain);
    t_run_full(ports, 0, 1, 1, &timed);
    t_check(&timed);
    ck_assert_uint_eq(timed.timers_fired, T_NODES * T_CLOCKS);
    ck_assert_uint_eq(timed.timers_late, T_NODES * T_CLOCKS);
    ck_assert_uint_eq(plain.timers_fired + plain.timers_late, 0);
    ck_assert_mem_eq(plain.stats, timed.stats, sizeof plain.stats);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("sim_run");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, switch_network_run_sums_exactly_and_repeats);
  tcase_add_test(tc, direct_network_run_sums_exactly);
  tcase_add_test(tc, transient_stragglers_slow_clocks_and_repeat);
  tcase_add_test(tc, timers_fire_once_each_in_both_network_models);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
