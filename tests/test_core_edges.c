/* test_core_edges.c: the core's refusals and corner cases: bad ids, frames
 * a shard or client must reject without changing state, duplicate and
 * missing frames, the blocking worker API, prefetch. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"
#include "ps.h"

#define W 4

static tbl_set two_tables(void) {
  tbl_set t = {0};
  tbl_def a = {.id = 1, .rows = 10, .width = W, .sparse = 0};
  tbl_def b = {.id = 2, .rows = 10, .width = W, .sparse = 1};
  ck_assert_int_eq(tbl_add(&t, &a), 0);
  ck_assert_int_eq(tbl_add(&t, &b), 0);
  return t;
}

static st_config small_cfg(uint32_t staleness) {
  return (st_config){.nclients = 2, .nservers = 1, .workers_per_client = 1, .server_base = 2,
                     .staleness = staleness, .push = 0};
}

/* Encodes a client->server frame into b. */
static void frame(wire_buf *b, uint8_t type, uint32_t src, uint32_t dst, st_clock_t clock, uint32_t seq) {
  wire_header h = {.type = type, .src = src, .dst = dst, .clock = clock, .seq = seq};
  ck_assert_int_eq(wire_begin(b, &h, 0), 0);
}

static int deliver(mem_world *w, uint32_t node, wire_buf *b) {
  ck_assert_int_eq(wire_finish(b), 0);
  return node_on_frame(mem_node(w, node), b->data, b->len);
}

START_TEST(test_bad_ids) {
  tbl_set t = two_tables();
  st_config cfg = small_cfg(0);
  mem_opts mo = {.seed = 1};
  mem_world *w = mem_create(&cfg, &t, &mo);
  ck_assert_ptr_nonnull(w);
  cl_client *c = mem_node(w, 0)->client;
  float v[W] = {1, 2, 3, 4};
  ck_assert_int_eq(cl_get(c, 0, 9, 0, v), ST_ENOTABLE);
  ck_assert_int_eq(cl_get(c, 0, 1, 10, v), ST_ERANGE);
  ck_assert_int_eq(cl_get(c, 1, 1, 0, v), ST_EINVAL); /* no worker 1 */
  ck_assert_int_eq(cl_inc(c, 0, 9, 0, v), ST_ENOTABLE);
  ck_assert_int_eq(cl_inc(c, 0, 2, 11, v), ST_ERANGE);
  ck_assert_int_eq(cl_clock(c, 5), ST_EINVAL);
  uint32_t rows[] = {1, 99};
  ck_assert_int_eq(cl_prefetch(c, 0, 1, rows, 2), ST_ERANGE);
  ck_assert_uint_eq(mem_pending(w), 0); /* nothing was sent for bad calls */
  ck_assert_int_eq(node_on_timer(mem_node(w, 0), 1), ST_EINVAL); /* a token of no role */
  ck_assert_int_eq(node_on_timer(mem_node(w, 0), tmr_token(TMR_ROLE_SERVER, 1)), ST_ESTATE);
  mem_destroy(w);

  /* Configurations that cannot work are refused at creation. */
  st_config bad = cfg;
  bad.nservers = 0;
  ck_assert_ptr_null(mem_create(&bad, &t, &mo));
  bad = cfg;
  bad.max_frame = 64; /* a row of width 4 cannot fit */
  ck_assert_ptr_null(node_create(&bad, &t, 0, NULL));
  ck_assert_ptr_null(node_create(&cfg, &t, 3, NULL)); /* no node 3 */
}
END_TEST

START_TEST(test_server_rejects_without_change) {
  tbl_set t = two_tables();
  st_config cfg = small_cfg(0);
  mem_opts mo = {.seed = 2};
  mem_world *w = mem_create(&cfg, &t, &mo);
  srv_shard *s = mem_node(w, 2)->server;
  float v[W] = {1, 2, 3, 4}, out[W];
  wire_buf b = {0};
  /* Valid first row, then an unknown table: nothing may be applied. */
  frame(&b, WIRE_CLOCK, 0, 2, 1, 1);
  wire_add_dense(&b, 1, 3, v, W);
  wire_add_dense(&b, 9, 0, v, W);
  ck_assert_int_eq(deliver(w, 2, &b), ST_ENOTABLE);
  /* Wrong dense width. */
  frame(&b, WIRE_CLOCK, 0, 2, 1, 1);
  wire_add_dense(&b, 1, 3, v, W);
  wire_add_dense(&b, 1, 4, v, W - 1);
  ck_assert_int_eq(deliver(w, 2, &b), ST_ERANGE);
  /* Sparse column out of range. */
  float wide[W + 2] = {0, 0, 0, 0, 0, 7};
  frame(&b, WIRE_UPDATE, 0, 2, 0, 1);
  wire_add_sparse(&b, 2, 3, wide, W + 2);
  ck_assert_int_eq(deliver(w, 2, &b), ST_ERANGE);
  /* Row index out of range, and an id record where values belong. */
  frame(&b, WIRE_UPDATE, 0, 2, 0, 1);
  wire_add_dense(&b, 1, 10, v, W);
  ck_assert_int_eq(deliver(w, 2, &b), ST_ERANGE);
  frame(&b, WIRE_UPDATE, 0, 2, 0, 1);
  wire_add_id(&b, 1, 1);
  ck_assert_int_eq(deliver(w, 2, &b), ST_EFRAME);
  /* Values in a READ. */
  frame(&b, WIRE_READ, 0, 2, 0, 1);
  wire_add_dense(&b, 1, 1, v, W);
  ck_assert_int_eq(deliver(w, 2, &b), ST_EFRAME);
  /* From a node that is no client, to the wrong node, to a node without a
   * shard, and a client frame of an unknown type. */
  frame(&b, WIRE_CLOCK, 2, 2, 1, 1);
  ck_assert_int_eq(deliver(w, 2, &b), ST_EPEER);
  frame(&b, WIRE_CLOCK, 0, 1, 1, 1);
  ck_assert_int_eq(deliver(w, 2, &b), ST_EPEER);
  frame(&b, WIRE_CLOCK, 0, 1, 1, 1);
  ck_assert_int_eq(deliver(w, 1, &b), ST_EPEER);
  frame(&b, WIRE_ROWS, 0, 2, 1, 1);
  ck_assert_int_eq(deliver(w, 2, &b), ST_EPEER); /* shard-only node gets rows */
  /* A gap in the sequence is a lost frame. */
  frame(&b, WIRE_CLOCK, 0, 2, 1, 2);
  ck_assert_int_eq(deliver(w, 2, &b), ST_ESTATE);
  for (uint32_t r = 0; r < 10; r++) {
    ck_assert_int_eq(srv_read_row(s, 1, r, out), 0);
    for (int i = 0; i < W; i++) ck_assert_float_eq(out[i], 0);
  }
  ck_assert_uint_eq(srv_min_clock(s), 0);
  /* Now a good frame, delivered twice: applied once. */
  frame(&b, WIRE_CLOCK, 0, 2, 1, 1);
  wire_add_dense(&b, 1, 3, v, W);
  ck_assert_int_eq(deliver(w, 2, &b), 0);
  ck_assert_int_eq(node_on_frame(mem_node(w, 2), b.data, b.len), 0);
  ck_assert_uint_eq(srv_get_stats(s)->frames_dup, 1);
  ck_assert_int_eq(srv_read_row(s, 1, 3, out), 0);
  for (int i = 0; i < W; i++) ck_assert_float_eq(out[i], v[i]);
  /* A clock that does not move forward. */
  frame(&b, WIRE_CLOCK, 0, 2, 1, 2);
  ck_assert_int_eq(deliver(w, 2, &b), ST_ESTATE);
  ck_assert_int_eq(srv_read_row(s, 7, 0, out), ST_ENOTABLE);
  wire_buf_free(&b);
  mem_destroy(w);
}
END_TEST

START_TEST(test_client_rejects_bad_rows) {
  tbl_set t = two_tables();
  st_config cfg = small_cfg(0);
  mem_opts mo = {.seed = 3};
  mem_world *w = mem_create(&cfg, &t, &mo);
  float v[W] = {1, 2, 3, 4};
  wire_buf b = {0};
  wire_header h = {.type = WIRE_ROWS, .src = 2, .dst = 0, .clock = 1};
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  wire_add_id(&b, 1, 1);
  ck_assert_int_eq(deliver(w, 0, &b), ST_EFRAME);
  h.ack = 5; /* acknowledges frames never sent */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(deliver(w, 0, &b), ST_EPEER);
  h.ack = 0;
  h.src = 1; /* not a shard */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(deliver(w, 0, &b), ST_EPEER);
  h.src = 2;
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  wire_add_dense(&b, 1, 1, v, W - 1);
  ck_assert_int_eq(deliver(w, 0, &b), ST_ERANGE);
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  wire_add_dense(&b, 5, 1, v, W);
  ck_assert_int_eq(deliver(w, 0, &b), ST_ENOTABLE);
  ck_assert_int_eq(node_on_frame(mem_node(w, 0), b.data, 10), ST_EFRAME);
  /* The client never asked, so its cache stays empty: a read still waits. */
  ck_assert_int_eq(cl_get(mem_node(w, 0)->client, 0, 1, 1, v), ST_WAIT);
  wire_buf_free(&b);
  mem_destroy(w);
}
END_TEST

/* The blocking API over the test backend: written like an app would be. */
START_TEST(test_ps_blocking_bsp) {
  tbl_set t = two_tables();
  for (int push = 0; push <= 1; push++) {
    st_config cfg = small_cfg(0);
    cfg.push = (uint8_t)push;
    mem_opts mo = {.seed = 4 + (uint64_t)push, .max_delay = 3};
    mem_world *w = mem_create(&cfg, &t, &mo);
    ps_worker a = {.client = mem_node(w, 0)->client, .be = mem_backend(w, 0), .id = 0};
    ps_worker b = {.client = mem_node(w, 1)->client, .be = mem_backend(w, 1), .id = 0};
    float one[W] = {1, 0, 0, 0}, ten[W] = {0, 10, 0, 0}, out[W];
    uint32_t rows[] = {0, 1, 2, 3, 3};
    ck_assert_int_eq(ps_prefetch(&a, 1, rows, 5), 0);
    ck_assert_int_eq(ps_get(&a, 1, 2, out), 0); /* clock 0: any copy is fresh */
    for (int clock = 0; clock < 4; clock++) {
      ck_assert_int_eq(ps_inc(&a, 1, 2, one), 0);
      ck_assert_int_eq(ps_inc(&b, 1, 2, ten), 0);
      ck_assert_int_eq(ps_get(&a, 1, 2, out), 0); /* read-my-writes */
      ck_assert_float_eq(out[0], clock + 1);
      ck_assert_int_eq(ps_clock(&a), 0);
      ck_assert_int_eq(ps_clock(&b), 0);
      /* BSP: after both clocked, each sees all of both. */
      ck_assert_int_eq(ps_get(&b, 1, 2, out), 0);
      ck_assert_float_eq(out[0], clock + 1);
      ck_assert_float_eq(out[1], 10 * (clock + 1));
      ck_assert_int_eq(ps_get(&a, 1, 2, out), 0);
      ck_assert_float_eq(out[1], 10 * (clock + 1));
      ck_assert_uint_eq(ps_clock_now(&a), (unsigned)clock + 1);
    }
    ps_charge(&a, 5.0);
    ck_assert_double_eq(mem_charged(w, 0), 5.0);
    ck_assert_uint_gt(cl_get_stats(a.client)->gets_waited, 0);
    ck_assert_int_eq(mem_drain(w), 0);
    mem_destroy(w);
  }
}
END_TEST

/* Ordered mode: the same updates give bit-identical values whatever order
 * the frames arrive in (the property behind sim == real under BSP). */
static void ordered_run(uint64_t seed, uint8_t ordered, float *trace, int n) {
  tbl_set t = two_tables();
  st_config cfg = {.nclients = 3, .nservers = 2, .workers_per_client = 1, .server_base = 0,
                   .staleness = 0, .push = (uint8_t)(seed & 1), .ordered = ordered};
  mem_opts mo = {.seed = seed, .max_delay = 5};
  mem_world *w = mem_create(&cfg, &t, &mo);
  ps_worker p[3];
  for (uint32_t i = 0; i < 3; i++) p[i] = (ps_worker){.client = mem_node(w, i)->client, .be = mem_backend(w, i)};
  int k = 0;
  for (int clock = 0; clock < 8; clock++) {
    for (uint32_t i = 0; i < 3; i++) {
      float d[W];
      for (int j = 0; j < W; j++) d[j] = 0.1f * (float)(i + 1) / (float)(clock + 3) + 1e-4f * (float)j;
      ck_assert_int_eq(ps_inc(&p[i], 1, 5, d), 0);
      ck_assert_int_eq(ps_clock(&p[i]), 0);
    }
    for (uint32_t i = 0; i < 3; i++) {
      float out[W];
      ck_assert_int_eq(ps_get(&p[i], 1, 5, out), 0);
      for (int j = 0; j < W && k < n; j++) trace[k++] = out[j];
    }
  }
  ck_assert_int_eq(mem_drain(w), 0);
  mem_destroy(w);
}

START_TEST(test_ordered_sums_independent_of_arrival) {
  enum { N = 8 * 3 * W };
  float first[N], other[N];
  ordered_run(11, 1, first, N);
  for (uint64_t seed = 12; seed < 40; seed++) {
    ordered_run(seed, 1, other, N);
    ck_assert_msg(memcmp(first, other, sizeof first) == 0, "seed %llu: ordered sums differ",
                  (unsigned long long)seed);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("core_edges");
  TCase *tc = tcase_create("edges");
  tcase_add_test(tc, test_bad_ids);
  tcase_add_test(tc, test_server_rejects_without_change);
  tcase_add_test(tc, test_client_rejects_bad_rows);
  tcase_add_test(tc, test_ps_blocking_bsp);
  tcase_add_test(tc, test_ordered_sums_independent_of_arrival);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
