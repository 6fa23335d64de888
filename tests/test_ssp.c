/* test_ssp.c: the SSP guarantees, checked over many random schedules of the
 * deterministic in-memory backend.
 *
 * Every worker g owns column g of every row and only ever adds positive
 * integers there, so the value a reader sees in column g is a prefix sum of
 * g's increments and tells exactly which of them it includes. A read by a
 * worker at clock c with bound s must include all of g's increments of
 * clocks < c - s, all its own increments and those of its client's other
 * workers (in ordered mode with several workers, only those of clocks
 * < c - s: they are staged until flushed), and (because every worker reads
 * before it writes in a clock) none of clocks > c + s.
 *
 * Table 2 is sparse (stored as its non-zeros in caches, oplogs and shards),
 * so every property above is checked on sparse storage too; and a mirror
 * test runs the same schedules with signed increments (values return to
 * zero, entries come and go) on sparse and on dense tables and requires
 * every read to be bit for bit the same.
 *
 * Schedules also draw a managed-communication policy and budget (comm.h):
 * the pacing timers fire as part of the schedule, so clients send deltas
 * early and, in push mode, shards push changed rows early, between any two
 * deliveries; every property above must still hold. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"

#define MAXW 16
#define MAXROWS 6
#define NTABLES 2

typedef struct inc_hist {
  uint32_t n, cap;
  st_clock_t *clock;
  double *prefix; /* prefix[i] = sum of the first i increments; prefix[0] = 0 */
} inc_hist;

typedef struct op {
  int is_read;
  uint32_t table, row;
  float amount;
} op;

typedef struct tworker {
  uint32_t client, id, g;
  st_clock_t clock;
  int blocked, done, never_clocks;
  op ops[8];
  uint32_t nops, next;
} tworker;

typedef struct scenario {
  uint32_t nclients, wpc, nservers, server_base, clocks;
  uint32_t staleness;
  uint8_t push, ordered;
  uint32_t rows[NTABLES];
  int stuck_client; /* client whose workers never clock, or -1 */
  size_t max_frame;  /* 0: the default */
  uint8_t storage;   /* 0: table 2 sparse; 1: every table dense; 2: every table sparse */
  uint8_t signed_amounts; /* increments in {-2,-1,1,2}; reads are logged, not checked */
  uint8_t comm_policy;    /* COMM_* */
  double comm_budget;     /* bytes per step */
  double comm_interval;   /* steps between ticks */
} scenario;

typedef struct run {
  scenario sc;
  mem_world *w;
  tbl_set tables;
  uint32_t nw;
  tworker tw[MAXW];
  inc_hist hist[MAXW][NTABLES][MAXROWS];
  uint64_t reads_checked;
  float *log; /* signed_amounts: every value read, in order */
  size_t nlog, caplog;
  char err[512];
} run;

static int violation(run *r, const char *fmt, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  if (!r->err[0]) snprintf(r->err, sizeof r->err, fmt, a, b, c, d);
  return -1;
}

static void hist_add(inc_hist *h, st_clock_t clock, float amount) {
  if (h->n + 2 > h->cap) {
    h->cap = h->cap ? h->cap * 2 : 16;
    h->clock = realloc(h->clock, h->cap * sizeof *h->clock);
    h->prefix = realloc(h->prefix, h->cap * sizeof *h->prefix);
    ck_assert(h->clock && h->prefix);
  }
  if (h->n == 0) h->prefix[0] = 0;
  h->clock[h->n] = clock;
  h->prefix[h->n + 1] = h->prefix[h->n] + amount;
  h->n++;
}

/* How many increments of h have clock < bound. */
static uint32_t hist_before(const inc_hist *h, uint64_t bound) {
  uint32_t k = 0;
  while (k < h->n && h->clock[k] < bound) k++;
  return k;
}

/* The i with prefix[i] == v, or -1. */
static int hist_find(const inc_hist *h, double v) {
  if (v == 0) return 0;
  for (uint32_t i = 1; i <= h->n; i++)
    if (h->prefix[i] == v) return (int)i;
  return -1;
}

static void plan_clock(run *r, tworker *t) {
  t->nops = 1 + mem_rand(r->w, 5);
  t->next = 0;
  for (uint32_t i = 0; i < t->nops; i++) {
    op *o = &t->ops[i];
    o->is_read = i == 0 || mem_rand(r->w, 2) == 0; /* read before writing */
    o->table = 1 + mem_rand(r->w, NTABLES);
    o->row = mem_rand(r->w, r->sc.rows[o->table - 1]);
    o->amount = (float)(1 + mem_rand(r->w, 4));
    if (r->sc.signed_amounts) o->amount = o->amount > 2 ? 2 - o->amount : o->amount;
  }
}

static int check_read(run *r, const tworker *t, const op *o, const float *vals) {
  const scenario *sc = &r->sc;
  st_clock_t c = t->clock;
  uint64_t lower_bound = 0, upper_bound = UINT64_MAX;
  if (sc->staleness != ST_STALENESS_INF) {
    lower_bound = c > sc->staleness ? c - sc->staleness : 0;
    upper_bound = (uint64_t)c + sc->staleness + 1;
  }
  r->reads_checked++;
  for (uint32_t g = 0; g < r->nw; g++) {
    const inc_hist *h = &r->hist[g][o->table - 1][o->row];
    int n = hist_find(h, vals[g]);
    if (n < 0)
      return violation(r, "worker %u read column %u of row %u: value is no prefix sum of its increments (lost, "
                     "doubled or reordered) at clock %u",
                  t->g, g, o->row, c);
    /* Node-mates' increments are all seen at once, unless ordered mode
     * stages them until their clock is flushed (then the bounds apply). */
    int staged = sc->ordered && sc->wpc > 1 && g != t->g;
    if (r->tw[g].client == t->client && !staged) {
      if ((uint32_t)n != h->n)
        return violation(r, "worker %u misses own-client increments of worker %u on row %u at clock %u", t->g, g,
                    o->row, c);
      continue;
    }
    if ((uint32_t)n < hist_before(h, lower_bound))
      return violation(r, "worker %u at clock %u missed increments of worker %u older than the bound (row %u)", t->g,
                  c, g, o->row);
    if ((uint32_t)n > hist_before(h, upper_bound))
      return violation(r, "worker %u at clock %u saw increments of worker %u from too far in the future (row %u)",
                  t->g, c, g, o->row);
  }
  return 0;
}

/* Runs one step of worker t. Returns 0 or -1 on a violated property. */
static int step_worker(run *r, tworker *t) {
  cl_client *cl = mem_node(r->w, t->client)->client;
  if (t->next == t->nops) {
    if (t->never_clocks) {
      t->done = 1;
      return 0;
    }
    ck_assert_int_eq(cl_clock(cl, t->id), 0);
    t->clock++;
    if (t->clock == r->sc.clocks) {
      t->done = 1;
      return 0;
    }
    plan_clock(r, t);
    return 0;
  }
  op *o = &t->ops[t->next];
  if (o->is_read) {
    float vals[MAXW];
    int rc = cl_get(cl, t->id, o->table, o->row, vals);
    if (rc == ST_WAIT) {
      t->blocked = 1;
      return 0;
    }
    ck_assert_msg(rc == 0, "cl_get: %s", st_strerror(rc));
    if (r->sc.signed_amounts) {
      if (r->nlog + r->nw > r->caplog) {
        r->caplog = 2 * r->caplog + 64 * MAXW;
        r->log = realloc(r->log, r->caplog * sizeof *r->log);
        ck_assert_ptr_nonnull(r->log);
      }
      memcpy(r->log + r->nlog, vals, r->nw * sizeof *vals);
      r->nlog += r->nw;
    } else if (check_read(r, t, o, vals)) {
      return -1;
    }
  } else {
    float delta[MAXW] = {0};
    delta[t->g] = o->amount;
    ck_assert_int_eq(cl_inc(cl, t->id, o->table, o->row, delta), 0);
    hist_add(&r->hist[t->g][o->table - 1][o->row], t->clock, o->amount);
  }
  t->next++;
  return 0;
}

static void run_init(run *r, const scenario *sc, uint64_t seed) {
  memset(r, 0, sizeof *r);
  r->sc = *sc;
  r->nw = sc->nclients * sc->wpc;
  for (uint32_t t = 0; t < NTABLES; t++) {
    uint8_t sparse = sc->storage == 0 ? t == 1 : sc->storage == 2;
    tbl_def d = {.id = t + 1, .rows = sc->rows[t], .width = r->nw, .sparse = sparse};
    ck_assert_int_eq(tbl_add(&r->tables, &d), 0);
  }
  st_config cfg = {.nclients = sc->nclients,
                   .nservers = sc->nservers,
                   .workers_per_client = sc->wpc,
                   .server_base = sc->server_base,
                   .staleness = sc->staleness,
                   .push = sc->push,
                   .ordered = sc->ordered,
                   .max_frame = sc->max_frame,
                   .comm_policy = sc->comm_policy,
                   .comm_budget = sc->comm_budget,
                   .comm_interval = sc->comm_interval};
  mem_opts mo = {.seed = seed, .max_delay = 1 + (uint32_t)(seed % 7), .dup_client_pct = 2.0};
  r->w = mem_create(&cfg, &r->tables, &mo);
  ck_assert_ptr_nonnull(r->w);
  for (uint32_t g = 0; g < r->nw; g++) {
    tworker *t = &r->tw[g];
    t->client = g / sc->wpc;
    t->id = g % sc->wpc;
    t->g = g;
    t->never_clocks = (int)t->client == sc->stuck_client;
    plan_clock(r, t);
  }
}

static void run_free(run *r) {
  for (uint32_t g = 0; g < MAXW; g++)
    for (uint32_t t = 0; t < NTABLES; t++)
      for (uint32_t k = 0; k < MAXROWS; k++) {
        free(r->hist[g][t][k].clock);
        free(r->hist[g][t][k].prefix);
      }
  free(r->log);
  mem_destroy(r->w);
}

/* Interleaves worker steps and deliveries until every worker is done or
 * nothing can move. Returns the number of workers left blocked, or -1. */
static int run_schedule(run *r) {
  for (;;) {
    tworker *runnable[MAXW];
    uint32_t nrun = 0;
    for (uint32_t g = 0; g < r->nw; g++) {
      tworker *t = &r->tw[g];
      if (t->blocked && mem_take_wake(r->w, t->client, t->id)) t->blocked = 0;
      if (!t->blocked && !t->done) runnable[nrun++] = t;
    }
    uint64_t pending = mem_pending(r->w);
    if (nrun == 0 && pending == 0) break;
    if (pending && (nrun == 0 || mem_rand(r->w, 2) == 0)) {
      int rc = mem_deliver_one(r->w);
      if (rc < 0) return violation(r, "delivery failed: error %u", (uint32_t)-rc, 0, 0, 0);
      continue;
    }
    if (step_worker(r, runnable[mem_rand(r->w, nrun)])) return -1;
  }
  int blocked = 0;
  for (uint32_t g = 0; g < r->nw; g++) blocked += r->tw[g].blocked;
  if (getenv("SSP_DEBUG"))
    for (uint32_t g = 0; g < r->nw; g++) {
      tworker *t = &r->tw[g];
      fprintf(stderr, "[%s] w%u client %u clock %u blocked %d done %d op %u/%u table %u row %u\n", r->err, g, t->client, t->clock,
              t->blocked, t->done, t->next, t->nops, t->ops[t->next < t->nops ? t->next : 0].table,
              t->ops[t->next < t->nops ? t->next : 0].row);
    }
  return blocked;
}

/* After the run: every shard holds exactly the sum of all increments. */
static int check_totals(run *r) {
  for (uint32_t t = 0; t < NTABLES; t++)
    for (uint32_t row = 0; row < r->sc.rows[t]; row++) {
      uint32_t shard = tbl_shard(t + 1, row, r->sc.nservers);
      st_node *n = mem_node(r->w, r->sc.server_base + shard);
      float vals[MAXW];
      ck_assert_int_eq(srv_read_row(n->server, t + 1, row, vals), 0);
      for (uint32_t g = 0; g < r->nw; g++) {
        const inc_hist *h = &r->hist[g][t][row];
        double want = h->n ? h->prefix[h->n] : 0;
        if (vals[g] != want)
          return violation(r, "table %u row %u column %u: final %u differs from the exact total", t + 1, row, g,
                      (uint32_t)vals[g]);
      }
    }
  return 0;
}

static scenario random_scenario(uint64_t seed) {
  static const uint32_t bounds[] = {0, 1, 3, ST_STALENESS_INF};
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 12345;
#define NEXT(n) ((uint32_t)((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % (n))
  scenario sc = {0};
  sc.nclients = 1 + NEXT(8);
  sc.wpc = 1 + NEXT(MAXW / sc.nclients);
  sc.nservers = 1 + NEXT(4);
  sc.server_base = NEXT(2) ? 0 : sc.nclients; /* colocated or dedicated shards */
  sc.staleness = bounds[NEXT(4)];
  sc.push = (uint8_t)NEXT(2);
  sc.ordered = (uint8_t)NEXT(2);
  sc.clocks = 1 + NEXT(7);
  sc.rows[0] = 1 + NEXT(MAXROWS);
  sc.rows[1] = 1 + NEXT(MAXROWS);
  sc.stuck_client = -1;
  /* Drawn last, so the shapes above are those of the schedules before. */
  static const double budgets[] = {20, 60, 200, 1000, 5000};
  sc.comm_policy = (uint8_t)NEXT(COMM_NPOLICIES);
  sc.comm_budget = sc.comm_policy == COMM_NONE ? 0 : budgets[NEXT(5)];
  sc.comm_interval = 1 + NEXT(4);
#undef NEXT
  return sc;
}

/* Runs schedules first..last; with max_frame set, every frame kind must be
 * split to fit. */
/* Bytes sent early by the world's clients and by its shards (pushes). */
static void early_bytes(run *r, uint64_t *client, uint64_t *server) {
  uint32_t nodes = r->sc.server_base + r->sc.nservers;
  if (nodes < r->sc.nclients) nodes = r->sc.nclients;
  for (uint32_t i = 0; i < nodes; i++) {
    st_node *n = mem_node(r->w, i);
    if (n->client) *client += cl_get_stats(n->client)->bytes_early;
    if (n->server) *server += srv_get_stats(n->server)->bytes_early;
  }
}

static void run_many(uint64_t first, uint64_t last, size_t max_frame) {
  uint64_t reads = 0, frames = 0;
  uint32_t by_bound[4] = {0};
  uint32_t by_policy[COMM_NPOLICIES] = {0};
  uint64_t early[2][2] = {{0}}; /* [push][client, server] */
  for (uint64_t seed = first; seed <= last; seed++) {
    scenario sc = random_scenario(seed);
    sc.max_frame = max_frame;
    run *r = calloc(1, sizeof *r);
    run_init(r, &sc, seed);
    int blocked = run_schedule(r);
    if (blocked == 0) check_totals(r);
    ck_assert_msg(blocked == 0 && !r->err[0],
                  "seed %llu (clients %u x %u workers, %u shards at %u, s=%u, push=%u, ordered=%u, %u clocks): %s%s",
                  (unsigned long long)seed, sc.nclients, sc.wpc, sc.nservers, sc.server_base, sc.staleness,
                  sc.push, sc.ordered, sc.clocks, r->err, blocked > 0 ? "workers left blocked" : "");
    ck_assert_int_eq(mem_error(r->w), 0);
    reads += r->reads_checked;
    frames += mem_frames_sent(r->w);
    by_bound[sc.staleness == ST_STALENESS_INF ? 3 : sc.staleness == 3 ? 2 : sc.staleness]++;
    by_policy[sc.comm_policy]++;
    early_bytes(r, &early[sc.push][0], &early[sc.push][1]);
    run_free(r);
    free(r);
  }
  /* The sweep really covers every bound and does real work. */
  uint64_t n = last - first + 1;
  for (int i = 0; i < 4; i++) ck_assert_uint_gt(by_bound[i], n / 12);
  /* Every policy is drawn, and early sends (both modes) and early pushes
   * (push mode) really happen. */
  for (int i = 0; i < COMM_NPOLICIES; i++) ck_assert_uint_gt(by_policy[i], n / 20);
  ck_assert_uint_gt(early[0][0], 0);
  ck_assert_uint_gt(early[1][0], 0);
  ck_assert_uint_gt(early[1][1], 0);
  ck_assert_uint_eq(early[0][1], 0); /* pull mode pushes nothing */
  if (getenv("SSP_DEBUG")) fprintf(stderr, "early bytes: pull %llu, push %llu + pushes %llu\n", (unsigned long long)early[0][0], (unsigned long long)early[1][0], (unsigned long long)early[1][1]);
  ck_assert_uint_gt(reads, 10 * n);
  ck_assert_uint_gt(frames, 10 * n);
}

/* The same schedule on dense and on sparse storage, with increments that
 * cancel: reads and final values agree bit for bit, and some reads do see
 * a value that went back to zero. */
START_TEST(test_ssp_sparse_mirrors_dense) {
  uint64_t zeros = 0, reads = 0;
  for (uint64_t seed = 301; seed <= 500; seed++) {
    run *r[2];
    for (int k = 0; k < 2; k++) {
      scenario sc = random_scenario(seed);
      sc.storage = (uint8_t)(1 + k);
      sc.signed_amounts = 1;
      /* Sparse deltas are smaller, so a budget would send different sets
       * early and the two schedules would part: storage alone differs. */
      sc.comm_policy = COMM_NONE;
      sc.comm_budget = 0;
      r[k] = calloc(1, sizeof *r[k]);
      run_init(r[k], &sc, seed);
      ck_assert_int_eq(run_schedule(r[k]), 0);
      ck_assert_msg(!r[k]->err[0], "seed %llu: %s", (unsigned long long)seed, r[k]->err);
      ck_assert_int_eq(check_totals(r[k]), 0);
      ck_assert_int_eq(mem_error(r[k]->w), 0);
    }
    ck_assert_uint_eq(r[0]->nlog, r[1]->nlog);
    ck_assert_msg(r[0]->nlog == 0 || memcmp(r[0]->log, r[1]->log, r[0]->nlog * sizeof *r[0]->log) == 0,
                  "seed %llu: a sparse read differs from the dense one", (unsigned long long)seed);
    ck_assert_uint_eq(mem_frames_sent(r[0]->w), mem_frames_sent(r[1]->w));
    for (size_t i = 0; i < r[0]->nlog; i++) zeros += r[0]->log[i] == 0.0f;
    reads += r[0]->nlog;
    for (int k = 0; k < 2; k++) {
      run_free(r[k]);
      free(r[k]);
    }
  }
  ck_assert_uint_gt(reads, 1000);
  ck_assert_uint_gt(zeros, reads / 20);
}
END_TEST

START_TEST(test_ssp_random_schedules) { run_many(1, 1200, 0); }
END_TEST

/* Frames of at most 200 bytes hold two dense rows of 16 values: flushes,
 * replies, pushes and prefetches all get split, and the bounds still hold. */
START_TEST(test_ssp_small_frames) { run_many(5001, 5300, 200); }
END_TEST

/* A client that never clocks holds back every worker with finite s (they
 * block, nothing crashes); with s = inf everyone finishes. */
START_TEST(test_ssp_client_never_clocks) {
  for (int inf = 0; inf <= 1; inf++) {
    scenario sc = {.nclients = 3, .wpc = 2, .nservers = 2, .server_base = 0,
                   .staleness = inf ? ST_STALENESS_INF : 1, .push = 1, .clocks = 6,
                   .rows = {3, 3}, .stuck_client = 2};
    run *r = calloc(1, sizeof *r);
    run_init(r, &sc, 77);
    int blocked = run_schedule(r);
    ck_assert_msg(!r->err[0], "%s", r->err);
    if (inf) {
      ck_assert_int_eq(blocked, 0);
    } else {
      ck_assert_int_gt(blocked, 0);
      for (uint32_t g = 0; g < r->nw; g++) {
        tworker *t = &r->tw[g];
        if (t->never_clocks) continue;
        /* Blocked at a clock whose read needs the stuck client's clock 0. */
        ck_assert(t->done == 0);
        ck_assert_uint_gt(t->clock, sc.staleness);
      }
    }
    run_free(r);
    free(r);
  }
}
END_TEST

/* s larger than the number of clocks: reads never wait for freshness, only
 * for a first copy; totals are still exact. */
START_TEST(test_ssp_bound_beyond_clocks) {
  scenario sc = {.nclients = 4, .wpc = 2, .nservers = 3, .server_base = 4,
                 .staleness = 100, .push = 0, .clocks = 5, .rows = {4, 2}, .stuck_client = -1};
  run *r = calloc(1, sizeof *r);
  run_init(r, &sc, 99);
  ck_assert_int_eq(run_schedule(r), 0);
  ck_assert_msg(!r->err[0], "%s", r->err);
  check_totals(r);
  ck_assert_msg(!r->err[0], "%s", r->err);
  run_free(r);
  free(r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ssp");
  TCase *tc = tcase_create("properties");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_ssp_random_schedules);
  tcase_add_test(tc, test_ssp_sparse_mirrors_dense);
  tcase_add_test(tc, test_ssp_small_frames);
  tcase_add_test(tc, test_ssp_client_never_clocks);
  tcase_add_test(tc, test_ssp_bound_beyond_clocks);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
