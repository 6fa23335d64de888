/* test_ada.c: AdaRevision (core/ada.c) and the tables that use it: the rule
 * against values worked out by hand and against a straightforward loop of
 * the paper's algorithm on a 1-D quadratic with known delays; which
 * snapshots a row keeps; the wire's versioned rows; the shard applying the
 * rule to versions clients cite; the client's read-my-writes exception. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ada.h"
#include "mem_backend.h"
#include "ps.h"

#define EPS 1e-6

/* ---- the rule ------------------------------------------------------------ */

/* No delay: AdaGrad with z0 = 1, eta_t = alpha / sqrt(1 + sum of u^2). */
START_TEST(no_delay_is_adagrad) {
  const float alpha = 0.5f;
  ada_row r;
  ck_assert_int_eq(ada_row_init(&r, 1), 0);
  float x = 0.0f;
  ck_assert_int_eq(ada_row_apply(&r, alpha, &x, (float[]){2.0f}, 0, 0, 0), 0);
  ck_assert_double_eq_tol(x, 0.5 * 2 / sqrt(5.0), EPS);
  ck_assert_int_eq(ada_row_sent(&r, 0), 0);
  ck_assert_int_eq(ada_row_apply(&r, alpha, &x, (float[]){-1.0f}, 1, 0, 0), 0); /* read v1 */
  ck_assert_double_eq_tol(x, 0.5 * 2 / sqrt(5.0) - 0.5 / sqrt(6.0), EPS);
  ck_assert_double_eq_tol(r.z[0], 6.0, EPS);
  ck_assert_double_eq_tol(r.zmax[0], 6.0, EPS);
  ck_assert_double_eq_tol(r.acc[0], 1.0, EPS);
  ck_assert_uint_eq(r.ver, 2);
  ada_row_free(&r);
}
END_TEST

/* Two updates of 1 read at version 0. Undelayed, the second would be taken
 * at alpha/sqrt(3) on top of alpha/sqrt(2); delayed, z grows by
 * 1 * (1 + 2 * 1) to 5 and the revision brings the first step down to the
 * new rate too: x = 2 alpha / sqrt(5). */
START_TEST(delay_revises_the_unseen_step) {
  const float alpha = 1.0f;
  ada_row r;
  ck_assert_int_eq(ada_row_init(&r, 1), 0);
  float x = 0.0f;
  ck_assert_int_eq(ada_row_apply(&r, alpha, &x, (float[]){1.0f}, 0, 0, 4), 0);
  ck_assert_double_eq_tol(x, 1 / sqrt(2.0), EPS);
  ck_assert_int_eq(ada_row_apply(&r, alpha, &x, (float[]){1.0f}, 0, 0, 4), 0);
  ck_assert_double_eq_tol(x, 2 / sqrt(5.0), EPS);
  ck_assert_double_eq_tol(r.z[0], 5.0, EPS);
  /* Undelayed for comparison. */
  ada_row q;
  ck_assert_int_eq(ada_row_init(&q, 1), 0);
  float y = 0.0f;
  ada_row_apply(&q, alpha, &y, (float[]){1.0f}, 0, 0, 4);
  ck_assert_int_eq(ada_row_sent(&q, 0), 0);
  ada_row_apply(&q, alpha, &y, (float[]){1.0f}, 1, 0, 4);
  ck_assert_double_eq_tol(y, 1 / sqrt(2.0) + 1 / sqrt(3.0), EPS);
  ck_assert(x < y); /* the delayed pair moves less */
  /* Opposite unseen update: z shrinks below z_max, which keeps the rate. */
  ck_assert_int_eq(ada_row_apply(&q, alpha, &y, (float[]){-1.0f}, 1, 0, 4), 0); /* unseen: +1 */
  ck_assert_double_eq_tol(q.z[0], 3.0 + (-1.0) * (-1.0 + 2.0), EPS);
  ck_assert_double_eq_tol(q.zmax[0], 3.0, EPS);
  ada_row_free(&r);
  ada_row_free(&q);
}
END_TEST

/* The paper's algorithm, written out plainly in its own notation (gradients
 * g, their running sum, the sum each read saw) for one coordinate of
 * f(x) = (x - 3)^2 / 2: step t reads x at step t - delay[t] and applies its
 * gradient at step t. The table rule must follow it step for step. */
START_TEST(matches_the_paper_on_a_quadratic_with_delays) {
  enum { T = 40 };
  const double alpha = 0.8, target = 3.0;
  static const int delay[T] = {0, 1, 2, 0, 3, 1, 1, 4, 0, 2, 2, 2, 5, 0, 1, 3, 0, 0, 2, 1,
                               3, 3, 0, 1, 2, 4, 1, 0, 0, 2, 1, 1, 3, 2, 0, 0, 1, 2, 2, 1};
  double xs[T + 1], gsum[T + 1]; /* value and gradient sum after t steps */
  double x = 0, gs = 0, z = 1, zmax = 1;
  xs[0] = 0;
  gsum[0] = 0;
  float fx = 0.0f;
  ada_row r;
  ck_assert_int_eq(ada_row_init(&r, 1), 0);
  for (int t = 0; t < T; t++) {
    int read = t - delay[t] < 0 ? 0 : t - delay[t];
    /* reference */
    double g = xs[read] - target;
    double g_bck = gs - gsum[read];
    double eta_old = alpha / sqrt(zmax);
    z += g * g + 2 * g * g_bck;
    zmax = zmax > z ? zmax : z;
    double eta = alpha / sqrt(zmax);
    x = x - eta * g + (eta_old - eta) * g_bck;
    gs += g;
    xs[t + 1] = x;
    gsum[t + 1] = gs;
    /* the table: the reader got version `read` (sent when it was current) */
    float u = (float)(target - xs[read]);
    ck_assert_int_eq(ada_row_apply(&r, (float)alpha, &fx, &u, (uint32_t)read, 0, 8), 0);
    ck_assert_int_eq(ada_row_sent(&r, 0), 0);
    ck_assert_double_eq_tol(fx, x, 1e-4);
  }
  ck_assert_double_lt(fabs(x - target), 0.5); /* and it does converge */
  ada_row_free(&r);
}
END_TEST

/* Snapshots: one per version sent; one superseded at shard clock k goes
 * once the clock passes k + s + 2; citing a dropped one is approximate. */
START_TEST(snapshots_follow_the_staleness_window) {
  ada_row r;
  ck_assert_int_eq(ada_row_init(&r, 2), 0);
  float x[2] = {0, 0}, u[2] = {1, -1};
  ck_assert_int_eq(ada_row_sent(&r, 0), 0); /* version 0: nothing kept */
  ck_assert_uint_eq(r.nsnaps, 0);
  ck_assert_int_eq(ada_row_apply(&r, 1, x, u, 0, 0, 1), 0);
  ck_assert_int_eq(ada_row_sent(&r, 0), 0);
  ck_assert_int_eq(ada_row_sent(&r, 1), 0); /* same version: one snapshot */
  ck_assert_uint_eq(r.nsnaps, 1);
  ck_assert_int_eq(ada_row_apply(&r, 1, x, u, 1, 1, 1), 0); /* v1 superseded at clock 1 */
  ck_assert_uint_eq(r.snaps[0].until, 1);
  ck_assert_int_eq(ada_row_sent(&r, 1), 0);
  ck_assert_uint_eq(r.nsnaps, 2);
  /* s = 1: v1 is kept through clock 4 (1 + 1 + 2), dropped after. */
  ck_assert_int_eq(ada_row_apply(&r, 1, x, u, 1, 4, 1), 0);
  ck_assert_uint_eq(r.nsnaps, 2);
  ck_assert_int_eq(ada_row_apply(&r, 1, x, u, 2, 5, 1), 0);
  ck_assert_uint_eq(r.nsnaps, 1); /* v1 gone; v2 superseded at 4 stays */
  ck_assert_int_eq(ada_row_apply(&r, 1, x, u, 1, 5, 1), 1); /* served from v2's */
  /* inf never drops by clock, but a row keeps at most ADA_MAX_SNAPS. */
  for (uint32_t i = 0; i < 2 * ADA_MAX_SNAPS; i++) {
    ck_assert_int_eq(ada_row_sent(&r, 100 + i), 0);
    ck_assert_int_ge(ada_row_apply(&r, 1, x, u, r.ver, 100 + i, ST_STALENESS_INF), 0);
  }
  ck_assert_uint_eq(r.nsnaps, ADA_MAX_SNAPS);
  ada_row_free(&r);
}
END_TEST

START_TEST(tables_refuse_bad_rules) {
  tbl_set t = {0};
  tbl_def sparse = {.id = 1, .rows = 2, .width = 2, .sparse = 1, .rule = TBL_RULE_ADAREV, .alpha = 1};
  tbl_def noalpha = {.id = 2, .rows = 2, .width = 2, .rule = TBL_RULE_ADAREV};
  tbl_def nan = {.id = 3, .rows = 2, .width = 2, .rule = TBL_RULE_ADAREV, .alpha = NAN};
  tbl_def unknown = {.id = 4, .rows = 2, .width = 2, .rule = 7};
  tbl_def ok = {.id = 5, .rows = 2, .width = 2, .rule = TBL_RULE_ADAREV, .alpha = 0.1f};
  ck_assert_int_eq(tbl_add(&t, &sparse), ST_EINVAL);
  ck_assert_int_eq(tbl_add(&t, &noalpha), ST_EINVAL);
  ck_assert_int_eq(tbl_add(&t, &nan), ST_EINVAL);
  ck_assert_int_eq(tbl_add(&t, &unknown), ST_EINVAL);
  ck_assert_int_eq(tbl_add(&t, &ok), 0);
  ck_assert_uint_eq(t.n, 1);
}
END_TEST

/* ---- wire ------------------------------------------------------------ */

START_TEST(wire_carries_versions_and_old_kinds_stay) {
  wire_buf b = {0};
  wire_header h = {.type = WIRE_ROWS, .src = 2, .dst = 0, .clock = 3};
  const float v[3] = {1.5f, -2.0f, 0.0f};
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense_ver(&b, 7, 9, 0xA1B2C3D4u, v, 3), 0);
  ck_assert_int_eq(wire_add_dense(&b, 7, 10, v, 3), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  /* 32 header + 4 count + (9 + 4 + 4 + 12) + (9 + 4 + 12) */
  ck_assert_uint_eq(b.len, 32 + 4 + 29 + 25);
  ck_assert_uint_eq(b.data[36 + 8], WIRE_ROW_DENSE_V);
  ck_assert_uint_eq(b.data[36 + 29 + 8], WIRE_ROW_DENSE);
  wire_msg m;
  ck_assert_int_eq(wire_decode(b.data, b.len, 0, &m), 0);
  wire_iter it;
  wire_row r;
  wire_iter_init(&it, &m);
  ck_assert_int_eq(wire_next(&it, &r), 1);
  ck_assert_uint_eq(r.kind, WIRE_ROW_DENSE);
  ck_assert_uint_eq(r.versioned, 1);
  ck_assert_uint_eq(r.ver, 0xA1B2C3D4u);
  ck_assert_uint_eq(r.n, 3);
  float sum[3] = {0, 0, 0};
  ck_assert_int_eq(wire_row_add_into(&r, sum, 3), 0);
  ck_assert(sum[0] == 1.5f && sum[1] == -2.0f && sum[2] == 0.0f);
  ck_assert_int_eq(wire_next(&it, &r), 1);
  ck_assert_uint_eq(r.versioned, 0);
  ck_assert_uint_eq(r.ver, 0);
  ck_assert_int_eq(wire_next(&it, &r), 0);
  /* A versioned record cut inside its version is malformed. */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense_ver(&b, 7, 9, 5, v, 0), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(wire_decode(b.data, b.len, 0, &m), 0);
  b.data[28] -= 6; /* payload length: drop the count and two version bytes */
  ck_assert_int_eq(wire_decode(b.data, b.len - 6, 0, &m), ST_EFRAME);
  wire_buf_free(&b);
}
END_TEST

/* ---- shard and client ------------------------------------------------- */

#define AT 1u /* the AdaRevision table */
#define AW 2u
#define ALPHA 1.0f

static tbl_set ada_tables(void) {
  tbl_set t = {0};
  tbl_def a = {.id = AT, .rows = 4, .width = AW, .rule = TBL_RULE_ADAREV, .alpha = ALPHA};
  ck_assert_int_eq(tbl_add(&t, &a), 0);
  return t;
}

/* 2 clients (nodes 0, 1), 1 shard (node 2). */
static st_config two_clients(uint32_t staleness, uint8_t push) {
  return (st_config){.nclients = 2, .nservers = 1, .workers_per_client = 1, .server_base = 2,
                     .staleness = staleness, .push = push};
}

/* Gets (AT, row) for client c, delivering frames until it is served. */
static void get_row(mem_world *w, cl_client *c, uint32_t row, float *out) {
  int rc;
  while ((rc = cl_get(c, 0, AT, row, out)) == ST_WAIT) ck_assert_int_eq(mem_deliver_one(w), 1);
  ck_assert_int_eq(rc, 0);
}

/* Both clients read row 0 at version 0, both send (1, 2): the second
 * update the shard applies did not see the first, so coordinate 0 ends at
 * 2 alpha / sqrt(5) (delay_revises_the_unseen_step) and coordinate 1 at
 * 4 alpha / sqrt(17), whichever arrives first. Neither client's read
 * shows its own pending update. */
START_TEST(shard_applies_the_rule_to_cited_versions) {
  for (int push = 0; push <= 1; push++) {
    tbl_set t = ada_tables();
    st_config cfg = two_clients(1, (uint8_t)push);
    mem_opts mo = {.seed = 11 + (uint64_t)push, .max_delay = 3};
    mem_world *w = mem_create(&cfg, &t, &mo);
    ck_assert_ptr_nonnull(w);
    cl_client *c0 = mem_node(w, 0)->client, *c1 = mem_node(w, 1)->client;
    srv_shard *s = mem_node(w, 2)->server;
    float v[AW], u[AW] = {1.0f, 2.0f};
    get_row(w, c0, 0, v);
    get_row(w, c1, 0, v);
    ck_assert(v[0] == 0.0f && v[1] == 0.0f);
    ck_assert_int_eq(cl_inc(c0, 0, AT, 0, u), 0);
    ck_assert_int_eq(cl_inc(c1, 0, AT, 0, u), 0);
    get_row(w, c0, 0, v); /* from the cache: the shard's value, own update not added */
    ck_assert(v[0] == 0.0f && v[1] == 0.0f);
    ck_assert_int_eq(cl_clock(c0, 0), 0);
    ck_assert_int_eq(cl_clock(c1, 0), 0);
    ck_assert_int_eq(mem_drain(w), 0);
    float sv[AW];
    ck_assert_int_eq(srv_read_row(s, AT, 0, sv), 0);
    ck_assert_double_eq_tol(sv[0], 2 * ALPHA / sqrt(5.0), EPS);
    ck_assert_double_eq_tol(sv[1], 4 * ALPHA / sqrt(17.0), EPS);
    ck_assert_uint_eq(srv_get_stats(s)->ada_approx, 0);
    /* At clock 1 with s = 1 the cache still serves version 0's value (pull)
     * or the pushed new one; at clock 2 it must be the new one. */
    ck_assert_int_eq(cl_clock(c0, 0), 0);
    ck_assert_int_eq(cl_clock(c1, 0), 0);
    get_row(w, c0, 0, v);
    ck_assert(v[0] == sv[0] && v[1] == sv[1]);
    mem_destroy(w);
  }
}
END_TEST

/* The ablation: the same pair of updates under TBL_RULE_ADAGRAD is taken
 * as if undelayed, 1/sqrt(2) + 1/sqrt(3), the cited version ignored. */
START_TEST(adagrad_rule_ignores_the_cited_version) {
  tbl_set t = {0};
  tbl_def a = {.id = AT, .rows = 4, .width = AW, .rule = TBL_RULE_ADAGRAD, .alpha = ALPHA};
  ck_assert_int_eq(tbl_add(&t, &a), 0);
  st_config cfg = two_clients(1, 1);
  mem_opts mo = {.seed = 3, .max_delay = 2};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c0 = mem_node(w, 0)->client, *c1 = mem_node(w, 1)->client;
  float v[AW], u[AW] = {1.0f, 0.0f};
  get_row(w, c0, 0, v);
  get_row(w, c1, 0, v);
  ck_assert_int_eq(cl_inc(c0, 0, AT, 0, u), 0);
  ck_assert_int_eq(cl_inc(c1, 0, AT, 0, u), 0);
  ck_assert_int_eq(cl_clock(c0, 0), 0);
  ck_assert_int_eq(cl_clock(c1, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  float sv[AW];
  ck_assert_int_eq(srv_read_row(mem_node(w, 2)->server, AT, 0, sv), 0);
  ck_assert_double_eq_tol(sv[0], 1 / sqrt(2.0) + 1 / sqrt(3.0), EPS);
  mem_destroy(w);
}
END_TEST

/* Client 0 reads version 0, client 1 reads, updates and reads again
 * (version 1), then both update: client 0's update saw nothing, client 1's
 * second one saw its first. The tags the client sends decide it. */
START_TEST(clients_cite_the_version_they_read) {
  tbl_set t = ada_tables();
  st_config cfg = two_clients(ST_STALENESS_INF, 0);
  mem_opts mo = {.seed = 5};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c0 = mem_node(w, 0)->client, *c1 = mem_node(w, 1)->client;
  srv_shard *s = mem_node(w, 2)->server;
  float v[AW], one[AW] = {1.0f, 0.0f};
  get_row(w, c0, 0, v); /* version 0 */
  get_row(w, c1, 0, v);
  ck_assert_int_eq(cl_inc(c1, 0, AT, 0, one), 0);
  ck_assert_int_eq(cl_clock(c1, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0); /* applied: x = 1/sqrt(2), version 1 */
  /* ASP serves the cache (version 0) and fetches the row behind it. */
  get_row(w, c1, 0, v);
  ck_assert(v[0] == 0.0f);
  ck_assert_int_eq(mem_drain(w), 0);
  get_row(w, c1, 0, v);
  ck_assert_double_eq_tol(v[0], 1 / sqrt(2.0), EPS);
  ck_assert_int_eq(cl_inc(c1, 0, AT, 0, one), 0); /* cites version 1 */
  ck_assert_int_eq(cl_clock(c1, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  float sv[AW];
  ck_assert_int_eq(srv_read_row(s, AT, 0, sv), 0);
  ck_assert_double_eq_tol(sv[0], 1 / sqrt(2.0) + 1 / sqrt(3.0), EPS); /* nothing unseen */
  ck_assert_int_eq(cl_inc(c0, 0, AT, 0, one), 0); /* cites version 0: two unseen */
  ck_assert_int_eq(cl_clock(c0, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_int_eq(srv_read_row(s, AT, 0, sv), 0);
  /* z = 3 + 1 (1 + 2 * 2) = 8; x += 1/sqrt(8) - (1/sqrt(3) - 1/sqrt(8)) * 2 */
  double want = 1 / sqrt(2.0) + 1 / sqrt(3.0) + 1 / sqrt(8.0) - (1 / sqrt(3.0) - 1 / sqrt(8.0)) * 2;
  ck_assert_double_eq_tol(sv[0], want, EPS);
  ck_assert_double_eq_tol(sv[1], 0.0, EPS);
  mem_destroy(w);
}
END_TEST

/* Frames that cite what cannot be: a version the row has not reached, an
 * unversioned row of an AdaRevision table, a versioned row of an additive
 * one. Each is refused and changes nothing. */
START_TEST(shard_refuses_impossible_citations) {
  tbl_set t = ada_tables();
  tbl_def add = {.id = 2, .rows = 4, .width = AW};
  ck_assert_int_eq(tbl_add(&t, &add), 0);
  st_config cfg = two_clients(1, 0);
  mem_opts mo = {.seed = 1};
  mem_world *w = mem_create(&cfg, &t, &mo);
  st_node *n2 = mem_node(w, 2);
  const float u[AW] = {1.0f, 1.0f};
  wire_buf b = {0};
  wire_header h = {.type = WIRE_UPDATE, .src = 0, .dst = 2, .seq = 1};
  for (int k = 0; k < 3; k++) {
    ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
    if (k == 0) ck_assert_int_eq(wire_add_dense_ver(&b, AT, 0, 1, u, AW), 0);
    if (k == 1) ck_assert_int_eq(wire_add_dense(&b, AT, 0, u, AW), 0);
    if (k == 2) ck_assert_int_eq(wire_add_dense_ver(&b, 2, 0, 0, u, AW), 0);
    ck_assert_int_eq(wire_finish(&b), 0);
    ck_assert_int_eq(node_on_frame(n2, b.data, b.len), k == 0 ? ST_EPEER : ST_EFRAME);
  }
  /* The same frame citing version 0 is fine, and is frame 1 of the channel. */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense_ver(&b, AT, 0, 0, u, AW), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n2, b.data, b.len), 0);
  float sv[AW];
  ck_assert_int_eq(srv_read_row(n2->server, AT, 0, sv), 0);
  ck_assert_double_eq_tol(sv[0], 1 / sqrt(2.0), EPS);
  wire_buf_free(&b);
  mem_destroy(w);
}
END_TEST

/* ---- allocation failure ----------------------------------------------- */

/* An allocator that fails at call number fail_at (1-based) and after. */
typedef struct failing_alloc {
  uint64_t calls, fail_at;
  int failed;
} failing_alloc;

static int fa_fail(failing_alloc *a) {
  if (++a->calls < a->fail_at) return 0;
  a->failed = 1;
  return 1;
}
static void *fa_malloc(void *ctx, size_t n) { return fa_fail(ctx) ? NULL : malloc(n); }
static void *fa_calloc(void *ctx, size_t k, size_t n) { return fa_fail(ctx) ? NULL : calloc(k, n); }
static void *fa_realloc(void *ctx, void *p, size_t n) { return fa_fail(ctx) ? NULL : realloc(p, n); }
static void fa_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

/* Three clocks of two clients reading and updating every row of an
 * AdaRevision table (so rows, states and snapshots are made), s = 1, push.
 * 0 with the final row 0 in *out, or the first error. */
static int ada_alloc_scenario(float *out) {
  tbl_set t = ada_tables();
  st_config cfg = two_clients(1, 1);
  mem_opts mo = {.seed = 21, .max_delay = 2};
  mem_world *w = mem_create(&cfg, &t, &mo);
  if (!w) return ST_ENOMEM;
  int rc = 0;
  float u[AW] = {1.0f, -0.5f}, v[AW];
  for (uint32_t clock = 0; clock < 3 && !rc; clock++)
    for (uint32_t c = 0; c < 2 && !rc; c++) {
      cl_client *cl = mem_node(w, c)->client;
      for (uint32_t r = 0; r < 4 && !rc; r++) {
        rc = cl_get(cl, 0, AT, r, v);
        while (rc == ST_WAIT) {
          int dr = mem_deliver_one(w);
          if (dr < 0) rc = dr;
          else if (dr == 0) ck_abort_msg("a read can never be served");
          else if (mem_take_wake(w, c, 0)) rc = cl_get(cl, 0, AT, r, v);
        }
        if (!rc) rc = cl_inc(cl, 0, AT, r, u);
      }
      if (!rc) rc = cl_clock(cl, 0);
    }
  if (!rc) rc = mem_drain(w);
  if (!rc) ck_assert_int_eq(srv_read_row(mem_node(w, 2)->server, AT, 0, out), 0);
  mem_destroy(w);
  return rc;
}

START_TEST(allocation_failure_is_an_error_never_a_crash) {
  failing_alloc count = {.fail_at = UINT64_MAX};
  st_allocator a = {fa_malloc, fa_calloc, fa_realloc, fa_free, &count};
  float want[AW], got[AW];
  st_set_allocator(&a);
  ck_assert_int_eq(ada_alloc_scenario(want), 0);
  st_set_allocator(NULL);
  ck_assert(want[0] > 0.0f && want[1] < 0.0f); /* six updates of (1, -0.5) moved it */
  uint64_t total = count.calls;
  ck_assert_uint_gt(total, 20);
  for (uint64_t n = 1; n <= total; n++) {
    failing_alloc fa = {.fail_at = n};
    a.ctx = &fa;
    st_set_allocator(&a);
    int rc = ada_alloc_scenario(got);
    st_set_allocator(NULL);
    ck_assert_msg(fa.failed, "allocation %llu was never made", (unsigned long long)n);
    ck_assert_msg(rc == ST_ENOMEM, "allocation %llu failed: got %s", (unsigned long long)n,
                  st_err_name(rc));
  }
}
END_TEST

/* ---- random schedules ------------------------------------------------ */

/* Under many schedules of the in-memory backend (shapes, bounds, push or
 * pull, ordered or not, a managed-communication policy and budget, frames
 * delayed and duplicated), workers read an AdaRevision table and send
 * signed updates to their own column of rows they read in that clock (as
 * SGD does; a row updated long after its last read cites a version the
 * window may have dropped, served approximately, see ada.h). Every read must be, bit for bit, a
 * value the row's shard held at some moment (read-my-writes does not mix
 * pending updates into it), no shard may refuse a cited version or lack its
 * snapshot (the staleness window of ada.c holds), and every worker ends. */
#define PW 8
#define PROWS 3
typedef struct phist {
  float (*v)[PW];
  size_t n, cap;
} phist;

static void phist_note(phist *h, const float *v) {
  if (h->n && memcmp(h->v[h->n - 1], v, PW * sizeof *v) == 0) return;
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 16;
    h->v = realloc(h->v, h->cap * sizeof *h->v);
    ck_assert_ptr_nonnull(h->v);
  }
  memcpy(h->v[h->n++], v, PW * sizeof *v);
}

static int phist_has(const phist *h, const float *v) {
  for (size_t i = 0; i < h->n; i++)
    if (memcmp(h->v[i], v, PW * sizeof *v) == 0) return 1;
  return 0;
}

START_TEST(random_schedules_read_shard_versions) {
  static const uint32_t bounds[] = {0, 1, 3};
  uint64_t reads = 0, nontrivial = 0;
  for (uint64_t seed = 1; seed <= 300; seed++) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 99;
#define NEXT(n) ((uint32_t)((x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33) % (n))
    uint32_t nclients = 1 + NEXT(4), wpc = 1 + NEXT(2), nw = nclients * wpc;
    uint32_t nservers = 1 + NEXT(3), rows = 1 + NEXT(PROWS), clocks = 2 + NEXT(6);
    st_config cfg = {.nclients = nclients, .nservers = nservers, .workers_per_client = wpc,
                     .server_base = NEXT(2) ? 0 : nclients, .staleness = bounds[NEXT(3)],
                     .push = (uint8_t)NEXT(2), .ordered = (uint8_t)NEXT(2)};
    cfg.comm_policy = (uint8_t)NEXT(COMM_NPOLICIES);
    cfg.comm_budget = cfg.comm_policy ? 50.0 * (1 + NEXT(20)) : 0;
    cfg.comm_interval = 1 + NEXT(3);
    tbl_set t = {0};
    tbl_def d = {.id = AT, .rows = rows, .width = PW, .rule = TBL_RULE_ADAREV, .alpha = 0.5f};
    ck_assert_int_eq(tbl_add(&t, &d), 0);
    mem_opts mo = {.seed = seed, .max_delay = 1 + (uint32_t)(seed % 5), .dup_client_pct = 2.0};
    mem_world *w = mem_create(&cfg, &t, &mo);
    ck_assert_ptr_nonnull(w);
    phist hist[PROWS] = {{0}};
    float zero[PW] = {0};
    for (uint32_t r = 0; r < rows; r++) phist_note(&hist[r], zero);
    st_clock_t wclock[PW] = {0};
    int blocked[PW] = {0}, pending_read[PW];
    uint32_t readmask[PW] = {0}; /* rows each worker read in its clock */
    uint32_t left = nw;
    for (uint32_t g = 0; g < nw; g++) pending_read[g] = -1;
    while (left) {
      uint32_t g = NEXT(nw);
      cl_client *c = mem_node(w, g / wpc)->client;
      uint32_t id = g % wpc;
      if (blocked[g] && mem_take_wake(w, g / wpc, id)) blocked[g] = 0;
      if (wclock[g] == clocks || blocked[g] || NEXT(3) == 0) {
        int rc = mem_deliver_one(w);
        ck_assert_int_ge(rc, 0);
        for (uint32_t r = 0; r < rows; r++) {
          float v[PW];
          uint32_t sh = tbl_shard(AT, r, nservers);
          ck_assert_int_eq(srv_read_row(mem_node(w, cfg.server_base + sh)->server, AT, r, v), 0);
          phist_note(&hist[r], v);
        }
        if (rc == 0 && !left) break;
        continue;
      }
      uint32_t op = pending_read[g] >= 0 || !readmask[g] ? 0 : NEXT(4);
      if (op == 0) { /* read, once more after a wake */
        uint32_t r = pending_read[g] >= 0 ? (uint32_t)pending_read[g] : NEXT(rows);
        float v[PW];
        int rc = cl_get(c, id, AT, r, v);
        if (rc == ST_WAIT) {
          blocked[g] = 1;
          pending_read[g] = (int)r;
          continue;
        }
        ck_assert_int_eq(rc, 0);
        pending_read[g] = -1;
        readmask[g] |= 1u << r;
        reads++;
        nontrivial += memcmp(v, zero, sizeof v) != 0;
        ck_assert_msg(phist_has(&hist[r], v), "seed %llu: worker %u read a value row %u never had",
                      (unsigned long long)seed, g, r);
      } else if (op == 3) {
        ck_assert_int_eq(cl_clock(c, id), 0);
        readmask[g] = 0;
        if (++wclock[g] == clocks) left--;
      } else { /* update a row read in this clock, as SGD does */
        float u[PW] = {0};
        u[g] = (float)((int)NEXT(5) - 2);
        uint32_t r = NEXT(rows);
        while (!(readmask[g] >> r & 1)) r = (r + 1) % rows;
        ck_assert_int_eq(cl_inc(c, id, AT, r, u), 0);
      }
    }
    ck_assert_int_eq(mem_drain(w), 0);
    ck_assert_int_eq(mem_error(w), 0);
    for (uint32_t j = 0; j < nservers; j++)
      ck_assert_uint_eq(srv_get_stats(mem_node(w, cfg.server_base + j)->server)->ada_approx, 0);
    for (uint32_t r = 0; r < rows; r++) free(hist[r].v);
    mem_destroy(w);
#undef NEXT
  }
  ck_assert_uint_gt(reads, 3000);
  ck_assert_uint_gt(nontrivial, reads / 4); /* reads do see updates */
}
END_TEST

static Suite *ada_suite(void) {
  Suite *s = suite_create("ada");
  TCase *rule = tcase_create("rule");
  tcase_add_test(rule, no_delay_is_adagrad);
  tcase_add_test(rule, delay_revises_the_unseen_step);
  tcase_add_test(rule, matches_the_paper_on_a_quadratic_with_delays);
  tcase_add_test(rule, snapshots_follow_the_staleness_window);
  tcase_add_test(rule, tables_refuse_bad_rules);
  suite_add_tcase(s, rule);
  TCase *wire = tcase_create("wire");
  tcase_add_test(wire, wire_carries_versions_and_old_kinds_stay);
  suite_add_tcase(s, wire);
  TCase *ps = tcase_create("shard_client");
  tcase_add_test(ps, shard_applies_the_rule_to_cited_versions);
  tcase_add_test(ps, clients_cite_the_version_they_read);
  tcase_add_test(ps, adagrad_rule_ignores_the_cited_version);
  tcase_add_test(ps, shard_refuses_impossible_citations);
  tcase_add_test(ps, random_schedules_read_shard_versions);
  tcase_add_test(ps, allocation_failure_is_an_error_never_a_crash);
  suite_add_tcase(s, ps);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ada_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
