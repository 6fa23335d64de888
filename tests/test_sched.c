/* test_sched.c: the model-parallel scheduler (core/mpsched.c) on the
 * in-memory backend, the test playing every worker: the sampler follows its
 * weights and the priority schedule its priorities (within stated
 * tolerances over seeded runs); the dependency filter never admits a pair
 * above rho; rounds are the same whatever the interleaving of frames, at
 * depth 0 and pipelined; pipelined rounds carry the right changes and never
 * hold a variable twice; rotation gives every worker a different block each
 * round and every block to every worker; bad frames are refused. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"
#include "ps.h"

#define NV 40

/* ---- a synthetic app ------------------------------------------------------ */

typedef struct fake_app {
  double step[NV]; /* each update adds step[j] * sum / W */
  uint32_t nworkers;
} fake_app;

static float fake_update(void *ctx, uint32_t var, float old, const double *sum) {
  fake_app *f = ctx;
  return (float)((double)old + f->step[var] * sum[0] / f->nworkers);
}

/* A symmetric pseudo-random dependency in [0, 1). */
static double fake_dep(void *ctx, uint32_t a, uint32_t b, double *work) {
  (void)ctx;
  uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
  uint64_t z = lo * 0x9e3779b97f4a7c15ull ^ (hi + 0x1234567ull) * 0xbf58476d1ce4e5b9ull;
  z ^= z >> 29;
  z *= 0x94d049bb133111ebull;
  z ^= z >> 32;
  *work += 1.0;
  return (double)(z >> 11) * 0x1.0p-53;
}

static st_config cfg_of(uint32_t nodes, uint32_t wpn) {
  return (st_config){.nclients = nodes, .nservers = 1, .workers_per_client = wpn, .staleness = 0};
}

static tbl_set no_tables(void) {
  tbl_set t = {0};
  tbl_def m = {.id = 0, .rows = 1, .width = 4};
  ck_assert_int_eq(tbl_add(&t, &m), 0);
  return t;
}

/* What the workers saw: the variables of every (round, worker), flattened. */
typedef struct trace {
  uint32_t *vars; /* [rounds * W * cap] */
  uint32_t *nvars; /* [rounds * W] */
  uint32_t *nchg;  /* [rounds * W] */
  uint32_t *chg_first; /* [rounds * W] first changed var (or UINT32_MAX) */
  uint32_t rounds, W, cap;
  uint32_t max_queued; /* most tasks a worker had waiting */
} trace;

static void trace_init(trace *t, uint32_t rounds, uint32_t W, uint32_t cap) {
  t->rounds = rounds;
  t->W = W;
  t->cap = cap;
  t->vars = calloc((size_t)rounds * W * cap, sizeof *t->vars);
  t->nvars = calloc((size_t)rounds * W, sizeof *t->nvars);
  t->nchg = calloc((size_t)rounds * W, sizeof *t->nchg);
  t->chg_first = calloc((size_t)rounds * W, sizeof *t->chg_first);
  t->max_queued = 0;
}

static void trace_free(trace *t) {
  free(t->vars);
  free(t->nvars);
  free(t->nchg);
  free(t->chg_first);
}

typedef struct run_spec {
  uint32_t nodes, wpn;
  sched_params p;
  sched_app app;
  uint64_t mem_seed;
  uint32_t max_delay;
} run_spec;

/* Runs the scheduler to the end with the test as every worker: each turn
 * every idle worker takes what it has and answers (result 1.0 per
 * variable), then one frame moves. Records the tasks into t; copies the
 * final values into vals[nvars]. */
static void drive(const run_spec *rs, trace *t, float *vals, sched_stats *stats) {
  st_config cfg = cfg_of(rs->nodes, rs->wpn);
  tbl_set tb = no_tables();
  mem_opts mo = {.seed = rs->mem_seed, .max_delay = rs->max_delay};
  mem_world *w = mem_create(&cfg, &tb, &mo);
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(node_attach_sched(mem_node(w, 0), &rs->p, &rs->app, mem_backend(w, 0)), 0);
  uint32_t W = rs->nodes * rs->wpn;
  float res[4096];
  for (uint32_t i = 0; i < 4096; i++) res[i] = 1.0f;
  uint32_t *done = calloc(W, sizeof *done);
  for (;;) {
    int progress = 0;
    for (uint32_t n = 0; n < rs->nodes; n++)
      for (uint32_t k = 0; k < rs->wpn; k++) {
        sched_agent *a = mem_node(w, n)->agent;
        sched_task task;
        int rc = sched_agent_next(a, k, &task);
        if (rc == ST_WAIT) continue;
        ck_assert_int_eq(rc, 0);
        uint32_t g = n * rs->wpn + k;
        ck_assert_uint_eq(task.round, done[g]); /* in round order */
        ck_assert_uint_lt(task.round, t->rounds);
        ck_assert_uint_le(task.nvars, t->cap);
        size_t at = (size_t)task.round * W + g;
        t->nvars[at] = task.nvars;
        t->nchg[at] = task.nchanges;
        t->chg_first[at] = task.nchanges ? task.change_vars[0] : UINT32_MAX;
        memcpy(&t->vars[at * t->cap], task.vars, task.nvars * sizeof *task.vars);
        ck_assert_int_eq(sched_agent_done(a, k, res, task.nvars * rs->app.width), 0);
        done[g]++;
        progress = 1;
      }
    int rc = mem_deliver_one(w);
    ck_assert_int_ge(rc, 0);
    if (!progress && rc == 0) break;
  }
  sched_coord *c = mem_node(w, 0)->sched;
  ck_assert(sched_coord_finished(c));
  for (uint32_t g = 0; g < W; g++) ck_assert_uint_eq(done[g], rs->p.rounds);
  if (vals) memcpy(vals, sched_coord_values(c), rs->app.nvars * sizeof *vals);
  if (stats) *stats = *sched_coord_stats(c);
  free(done);
  mem_destroy(w);
}

static fake_app fake(uint32_t W) {
  fake_app f = {.nworkers = W};
  for (uint32_t j = 0; j < NV; j++) f.step[j] = 0.25 * (1 + j % 4);
  return f;
}

static run_spec spec(uint8_t kind, fake_app *f, uint32_t rounds) {
  run_spec rs = {.nodes = 3, .wpn = 2, .mem_seed = 5, .max_delay = 3};
  rs.p = sched_params_defaults();
  rs.p.kind = kind;
  rs.p.size = 6;
  rs.p.rounds = rounds;
  rs.p.seed = 11;
  rs.app = (sched_app){.ctx = f, .nvars = NV, .width = 1, .update = fake_update, .dep = fake_dep};
  return rs;
}

/* ---- the sampler ------------------------------------------------------------- */

/* Weights 1..10: over 200 000 single draws each count is within 5 standard
 * deviations of its expectation, and the chi-square statistic (9 degrees of
 * freedom) is below 40 (a 1e-5 tail). Seeded, so not flaky. */
START_TEST(sampler_draws_follow_the_weights) {
  sched_sampler s;
  ck_assert_int_eq(sched_sampler_init(&s, 10, 42), 0);
  double w[10], total = 0;
  for (int i = 0; i < 10; i++) total += (w[i] = i + 1);
  uint32_t count[10] = {0};
  const uint32_t N = 200000;
  for (uint32_t d = 0; d < N; d++) {
    sched_sampler_set_all(&s, w);
    int64_t j = sched_sampler_draw(&s);
    ck_assert(j >= 0 && j < 10);
    count[j]++;
  }
  double chi = 0;
  for (int i = 0; i < 10; i++) {
    double p = w[i] / total, e = N * p, sd = sqrt(N * p * (1 - p));
    ck_assert_msg(fabs(count[i] - e) < 5 * sd, "weight %d: %u draws, %.0f expected", i + 1,
                  count[i], e);
    chi += (count[i] - e) * (count[i] - e) / e;
  }
  ck_assert_msg(chi < 40, "chi-square %.1f", chi);
  sched_sampler_free(&s);
}
END_TEST

START_TEST(sampler_draws_without_replacement_and_skips_zero_weights) {
  sched_sampler s;
  ck_assert_int_eq(sched_sampler_init(&s, 7, 3), 0);
  double w[7] = {0, 1, 0, 5, 2, 0, 1e-9};
  for (int rep = 0; rep < 100; rep++) {
    sched_sampler_set_all(&s, w);
    uint8_t seen[7] = {0};
    for (int d = 0; d < 4; d++) {
      int64_t j = sched_sampler_draw(&s);
      ck_assert(j >= 0 && j < 7 && w[j] > 0 && !seen[j]);
      seen[j] = 1;
    }
    ck_assert_int_eq(sched_sampler_draw(&s), -1);
  }
  sched_sampler_free(&s);
}
END_TEST

/* ---- the coordinator through the frames ---------------------------------------- */

/* Priority schedule, one variable a round: once every variable has changed
 * once, var j's weight is step_j^2 + eta (steps 0.25, 0.5, 0.75, 1 by
 * j mod 4), so the picks of the later rounds follow those weights: each
 * class's share within 5 standard deviations over 6000 rounds. */
START_TEST(priority_picks_follow_the_priorities) {
  fake_app f = fake(6);
  uint32_t R = 6000;
  run_spec rs = spec(SCHED_PRIORITY, &f, R);
  rs.p.size = 1;
  trace t;
  trace_init(&t, R, 6, 1);
  drive(&rs, &t, NULL, NULL);
  /* Rounds until each var was picked once (the first ones draw among the
   * untouched, whose priority starts at the top). */
  uint8_t seen[NV] = {0};
  uint32_t nseen = 0, start = 0;
  for (uint32_t k = 0; k < R && nseen < NV; k++) {
    uint32_t j = t.vars[(size_t)k * 6];
    if (!seen[j]) seen[j] = 1, nseen++;
    start = k + 1;
  }
  ck_assert_uint_eq(nseen, NV);
  ck_assert_uint_lt(start, R / 2);
  double cls[4] = {0}, tot = 0;
  for (int c = 0; c < 4; c++) tot += 10 * (cls[c] = pow(0.25 * (c + 1), 2) + rs.p.eta);
  uint32_t cnt[4] = {0}, n = R - start;
  for (uint32_t k = start; k < R; k++) {
    for (uint32_t g = 0; g < 6; g++) /* every worker got the same set */
      ck_assert_uint_eq(t.vars[((size_t)k * 6 + g)], t.vars[(size_t)k * 6]);
    cnt[t.vars[(size_t)k * 6] % 4]++;
  }
  for (int c = 0; c < 4; c++) {
    double p = 10 * cls[c] / tot, e = n * p, sd = sqrt(n * p * (1 - p));
    ck_assert_msg(fabs(cnt[c] - e) < 5 * sd, "class %d: %u picks, %.0f expected", c, cnt[c], e);
  }
  trace_free(&t);
}
END_TEST

START_TEST(the_filter_never_admits_a_pair_above_rho) {
  fake_app f = fake(6);
  uint8_t kinds[2] = {SCHED_DEPENDENCY, SCHED_PRIODEP};
  double rhos[3] = {0.1, 0.3, 0.6};
  for (int ki = 0; ki < 2; ki++)
    for (int ri = 0; ri < 3; ri++) {
      run_spec rs = spec(kinds[ki], &f, 300);
      rs.p.rho = rhos[ri];
      rs.p.size = 8;
      rs.p.depth = (uint32_t)ri % 2;
      trace t;
      trace_init(&t, 300, 6, 8);
      sched_stats st;
      drive(&rs, &t, NULL, &st);
      uint32_t multi = 0;
      for (uint32_t k = 0; k < 300; k++) {
        const uint32_t *v = &t.vars[(size_t)k * 6 * 8];
        uint32_t n = t.nvars[(size_t)k * 6];
        multi += n > 1;
        for (uint32_t a = 0; a < n; a++)
          for (uint32_t b = a + 1; b < n; b++) {
            double work = 0;
            ck_assert_uint_ne(v[a], v[b]);
            ck_assert_msg(fake_dep(NULL, v[a], v[b], &work) <= rs.p.rho,
                          "round %u admits %u and %u above rho %.1f", k, v[a], v[b], rs.p.rho);
          }
      }
      ck_assert_uint_gt(st.rejected, 0);      /* the filter was at work */
      ck_assert_uint_gt(multi, 30);           /* and sets still had several variables */
      ck_assert(st.max_admitted <= rs.p.rho);
      trace_free(&t);
    }
}
END_TEST

static void same_rounds(uint8_t kind, uint32_t depth) {
  fake_app f = fake(6);
  uint32_t R = 200;
  trace a, b;
  float va[NV], vb[NV];
  run_spec rs = spec(kind, &f, R);
  rs.p.depth = depth;
  trace_init(&a, R, 6, 6);
  trace_init(&b, R, 6, 6);
  drive(&rs, &a, va, NULL);
  rs.mem_seed = 99; /* another interleaving of every frame */
  rs.max_delay = 7;
  drive(&rs, &b, vb, NULL);
  ck_assert_mem_eq(a.vars, b.vars, (size_t)R * 6 * 6 * sizeof *a.vars);
  ck_assert_mem_eq(a.nvars, b.nvars, (size_t)R * 6 * sizeof *a.nvars);
  ck_assert_mem_eq(va, vb, sizeof va);
  /* Another scheduler seed gives other rounds (the test can fail). */
  if (kind != SCHED_SEQUENTIAL) {
    rs.p.seed = 12;
    trace c;
    trace_init(&c, R, 6, 6);
    drive(&rs, &c, NULL, NULL);
    ck_assert(memcmp(a.vars, c.vars, (size_t)R * 6 * 6 * sizeof *a.vars) != 0);
    trace_free(&c);
  }
  trace_free(&a);
  trace_free(&b);
}

START_TEST(rounds_are_the_same_for_any_interleaving) {
  same_rounds(SCHED_SEQUENTIAL, 0);
  same_rounds(SCHED_PRIODEP, 0);
  same_rounds(SCHED_SHOTGUN, 0);
  same_rounds(SCHED_PRIODEP, 2);
  same_rounds(SCHED_PRIORITY, 3);
}
END_TEST

/* Values: each pick of j adds step_j (every worker answers 1.0, the sum is
 * W, the update divides by W). Sequential picks cyclically. */
START_TEST(results_are_summed_and_applied) {
  fake_app f = fake(6);
  uint32_t R = 3 * NV + 5;
  run_spec rs = spec(SCHED_SEQUENTIAL, &f, R);
  trace t;
  trace_init(&t, R, 6, 6);
  float v[NV];
  drive(&rs, &t, v, NULL);
  for (uint32_t j = 0; j < NV; j++) {
    uint32_t picks = 3 + (j < 5);
    ck_assert_msg(fabsf(v[j] - (float)(picks * f.step[j])) < 1e-5f, "var %u: %g", j, v[j]);
  }
  for (uint32_t k = 0; k < R; k++) {
    ck_assert_uint_eq(t.nvars[(size_t)k * 6], 1);
    ck_assert_uint_eq(t.vars[(size_t)k * 6 * 6], k % NV);
    /* depth 0: round k carries round k-1's change */
    ck_assert_uint_eq(t.chg_first[(size_t)k * 6], k ? (k - 1) % NV : UINT32_MAX);
  }
  trace_free(&t);
}
END_TEST

/* depth d: round k carries the changes of round k - d - 1 (every round
 * changes its variables here), and a variable is never in two rounds in
 * flight together. */
START_TEST(pipelined_rounds_carry_old_changes_and_never_overlap) {
  fake_app f = fake(6);
  uint32_t R = 120, d = 2;
  run_spec rs = spec(SCHED_SHOTGUN, &f, R);
  rs.p.depth = d;
  trace t;
  trace_init(&t, R, 6, 6);
  drive(&rs, &t, NULL, NULL);
  for (uint32_t k = 0; k < R; k++) {
    size_t at = (size_t)k * 6;
    if (k <= d) {
      ck_assert_uint_eq(t.nchg[at], 0);
    } else {
      ck_assert_uint_eq(t.nchg[at], t.nvars[(k - d - 1) * 6]);
      ck_assert_uint_eq(t.chg_first[at], t.vars[(size_t)(k - d - 1) * 6 * 6]);
    }
    for (uint32_t m = k + 1; m <= k + d && m < R; m++)
      for (uint32_t a = 0; a < t.nvars[at]; a++)
        for (uint32_t b = 0; b < t.nvars[(size_t)m * 6]; b++)
          ck_assert_uint_ne(t.vars[at * 6 + a], t.vars[(size_t)m * 6 * 6 + b]);
  }
  trace_free(&t);
}
END_TEST

/* Pipelined, the filter also keeps a round's variables at most rho from
 * those of the rounds in flight beside it (rounds k+1..k+d leave before
 * round k completes). */
START_TEST(the_filter_covers_rounds_in_flight) {
  fake_app f = fake(6);
  uint32_t R = 200, d = 2;
  run_spec rs = spec(SCHED_PRIODEP, &f, R);
  rs.p.rho = 0.4;
  rs.p.size = 5;
  rs.p.depth = d;
  trace t;
  trace_init(&t, R, 6, 6);
  drive(&rs, &t, NULL, NULL);
  for (uint32_t k = 0; k < R; k++)
    for (uint32_t m = k + 1; m <= k + d && m < R; m++)
      for (uint32_t a = 0; a < t.nvars[(size_t)k * 6]; a++)
        for (uint32_t b = 0; b < t.nvars[(size_t)m * 6]; b++) {
          double work = 0;
          uint32_t va = t.vars[(size_t)k * 36 + a], vb = t.vars[(size_t)m * 36 + b];
          ck_assert_msg(fake_dep(NULL, va, vb, &work) <= rs.p.rho,
                        "rounds %u and %u in flight together hold %u and %u", k, m, va, vb);
        }
  trace_free(&t);
}
END_TEST

START_TEST(rotation_gives_disjoint_blocks_that_rotate) {
  fake_app f = fake(6);
  uint32_t B = 9, R = 2 * B;
  run_spec rs = spec(SCHED_ROTATION, &f, R);
  rs.app.nvars = B;
  rs.app.update = NULL;
  rs.app.dep = NULL;
  trace t;
  trace_init(&t, R, 6, 1);
  drive(&rs, &t, NULL, NULL);
  uint8_t visited[6][9] = {{0}};
  for (uint32_t k = 0; k < R; k++) {
    uint8_t held[9] = {0};
    for (uint32_t g = 0; g < 6; g++) {
      size_t at = (size_t)k * 6 + g;
      ck_assert_uint_eq(t.nvars[at], 1);
      uint32_t b = t.vars[at];
      ck_assert_uint_lt(b, B);
      ck_assert_msg(!held[b], "round %u: block %u held twice", k, b);
      held[b] = 1;
      visited[g][b] = 1;
    }
  }
  for (uint32_t g = 0; g < 6; g++)
    for (uint32_t b = 0; b < B; b++) ck_assert(visited[g][b]);
  trace_free(&t);
  /* Fewer blocks than workers cannot be disjoint: refused. */
  st_config cfg = cfg_of(3, 2);
  tbl_set tb = no_tables();
  mem_opts mo = {.seed = 1};
  mem_world *w = mem_create(&cfg, &tb, &mo);
  rs.app.nvars = 5;
  ck_assert_int_eq(node_attach_sched(mem_node(w, 0), &rs.p, &rs.app, mem_backend(w, 0)), ST_EINVAL);
  mem_destroy(w);
}
END_TEST

/* Frames a peer may not send change nothing. */
START_TEST(bad_frames_are_refused) {
  fake_app f = fake(2);
  run_spec rs = spec(SCHED_SHOTGUN, &f, 5);
  rs.nodes = 2;
  rs.wpn = 1;
  st_config cfg = cfg_of(2, 1);
  tbl_set tb = no_tables();
  mem_opts mo = {.seed = 1};
  mem_world *w = mem_create(&cfg, &tb, &mo);
  st_node *n0 = mem_node(w, 0), *n1 = mem_node(w, 1);
  ck_assert_int_eq(node_attach_sched(n0, &rs.p, &rs.app, mem_backend(w, 0)), 0);
  ck_assert_int_eq(node_attach_sched(n0, &rs.p, &rs.app, mem_backend(w, 0)), ST_ESTATE);
  wire_buf b = {0};
  /* A result before the run started (no hello from everyone). */
  wire_header h = {.type = WIRE_RESULT, .src = 1, .dst = 0, .clock = 0};
  float v[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense(&b, 0, 0, v, 6), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_ESTATE);
  /* Start: both say hello. */
  sched_task t0, t1;
  ck_assert_int_eq(sched_agent_next(n0->agent, 0, &t0), ST_WAIT);
  ck_assert_int_eq(sched_agent_next(n1->agent, 0, &t1), ST_WAIT);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_int_eq(sched_agent_next(n0->agent, 0, &t0), 0);
  ck_assert_int_eq(sched_agent_next(n1->agent, 0, &t1), 0);
  ck_assert_int_eq(sched_agent_next(n1->agent, 0, &t1), ST_ESTATE); /* one at a time */
  ck_assert_uint_eq(t1.nvars, 6);
  /* Wrong width, a worker of another node, a task from a client. */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense(&b, 0, 0, v, 5), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_ERANGE);
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense(&b, 0, 1, v, 6), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_EPEER);
  wire_header ht = {.type = WIRE_TASK, .src = 1, .dst = 0, .clock = 1};
  ck_assert_int_eq(wire_begin(&b, &ht, 0), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_EPEER);
  /* The good result, then the same again. */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense(&b, 0, 0, v, 6), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_EPEER);
  ck_assert_uint_eq(sched_coord_stats(n0->sched)->rounds_done, 0);
  ck_assert_int_eq(sched_agent_done(n0->agent, 0, v, 6), 0);
  ck_assert_uint_eq(sched_coord_stats(n0->sched)->rounds_done, 1);
  ck_assert_int_eq(sched_agent_done(n0->agent, 0, v, 6), ST_ESTATE);
  wire_buf_free(&b);
  mem_destroy(w);
}
END_TEST

START_TEST(kinds_parse_by_name) {
  uint8_t k;
  for (uint8_t i = 1; i < SCHED_KIND_COUNT; i++) {
    ck_assert_int_eq(sched_kind_parse(sched_kind_name(i), &k), 0);
    ck_assert_uint_eq(k, i);
  }
  ck_assert_int_eq(sched_kind_parse("priority+", &k), ST_EPARSE);
  ck_assert_int_eq(sched_kind_parse("none", &k), ST_EPARSE);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sched");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, sampler_draws_follow_the_weights);
  tcase_add_test(tc, sampler_draws_without_replacement_and_skips_zero_weights);
  tcase_add_test(tc, priority_picks_follow_the_priorities);
  tcase_add_test(tc, the_filter_never_admits_a_pair_above_rho);
  tcase_add_test(tc, rounds_are_the_same_for_any_interleaving);
  tcase_add_test(tc, results_are_summed_and_applied);
  tcase_add_test(tc, pipelined_rounds_carry_old_changes_and_never_overlap);
  tcase_add_test(tc, the_filter_covers_rounds_in_flight);
  tcase_add_test(tc, rotation_gives_disjoint_blocks_that_rotate);
  tcase_add_test(tc, bad_frames_are_refused);
  tcase_add_test(tc, kinds_parse_by_name);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
