/* test_core_rep.c: barriers and the end-of-run report (core/rep.c) under
 * the in-memory backend: a barrier completes only when every node has
 * reported, releases reach every node, records aggregate exactly (largest
 * time, summed bytes and blocked, doubles kept to 48 bits), each shard's
 * rows of the report table arrive once, and bad reports are refused without
 * changing what was collected. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"

#define ROWS 6
#define W 4

/* 3 client nodes (0..2) and 2 shards on nodes 3, 4. Table 0 is reported. */
static st_config cfg5(void) {
  return (st_config){.nclients = 3, .nservers = 2, .workers_per_client = 1, .server_base = 3,
                     .staleness = 0};
}

static tbl_set tables(void) {
  tbl_set t = {0};
  tbl_def m = {.id = 0, .rows = ROWS, .width = W};
  ck_assert_int_eq(tbl_add(&t, &m), 0);
  return t;
}

static rep_state *rep_of(mem_world *w, uint32_t node) { return mem_node(w, node)->rep; }

START_TEST(a_barrier_completes_when_every_node_reported_and_releases_all) {
  st_config cfg = cfg5();
  tbl_set t = tables();
  mem_opts mo = {.seed = 21, .max_delay = 3};
  mem_world *w = mem_create(&cfg, &t, &mo);
  ck_assert_ptr_nonnull(w);
  uint32_t nodes = cfg_nodes(&cfg);
  for (uint32_t i = 0; i < nodes; i++) {
    ck_assert(!rep_complete(rep_of(w, 0), 3));
    ck_assert_int_eq(rep_arrive(rep_of(w, nodes - 1 - i), 3, NULL, 0, 0, NULL), 0);
    ck_assert_int_eq(mem_drain(w), 0);
  }
  ck_assert(rep_complete(rep_of(w, 0), 3));
  ck_assert_int_eq(rep_release(rep_of(w, 1), 3), ST_ESTATE); /* only node 0 releases */
  ck_assert_int_eq(rep_release(rep_of(w, 0), 3), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  for (uint32_t i = 0; i < nodes; i++) ck_assert_uint_eq(rep_released(rep_of(w, i)), 3);
  /* Barriers only move forward. */
  ck_assert_int_eq(rep_arrive(rep_of(w, 1), 3, NULL, 0, 0, NULL), ST_EINVAL);
  ck_assert_int_eq(rep_arrive(rep_of(w, 1), 0, NULL, 0, 0, NULL), ST_EINVAL);
  ck_assert_int_eq(rep_arrive(rep_of(w, 1), 5, NULL, 0, 0, NULL), 0);
  ck_assert_int_eq(rep_arrive(rep_of(w, 1), 5, NULL, 0, 0, NULL), ST_ESTATE);
  mem_destroy(w);
}
END_TEST

START_TEST(records_and_rows_are_collected_exactly) {
  st_config cfg = cfg5();
  tbl_set t = tables();
  mem_opts mo = {.seed = 4, .max_delay = 2};
  mem_world *w = mem_create(&cfg, &t, &mo);
  /* Put known values in the report table through client 0. */
  cl_client *c0 = mem_node(w, 0)->client;
  for (uint32_t r = 0; r < ROWS; r++) {
    float d[W] = {(float)r, 0.5f, -1, 1e-3f * (float)r};
    ck_assert_int_eq(cl_inc(c0, 0, 0, r, d), 0);
  }
  ck_assert_int_eq(cl_clock(c0, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  /* Node i's record of clock c: time i + c/10, bytes 2^40 + i, blocked 0.25 * i. */
  uint32_t nodes = cfg_nodes(&cfg);
  for (uint32_t i = 0; i < nodes; i++) {
    rep_clock recs[ROWS];
    for (uint32_t c = 0; c < ROWS; c++)
      recs[c] = (rep_clock){.time = i + c / 10.0, .bytes = 1099511627776.0 + i, .blocked = 0.25 * i};
    srv_shard *s = mem_node(w, i)->server;
    ck_assert_int_eq(rep_arrive(rep_of(w, i), ROWS, recs, 0, ROWS, s), 0);
  }
  ck_assert_int_eq(mem_drain(w), 0);
  rep_state *r0 = rep_of(w, 0);
  ck_assert(rep_complete(r0, ROWS));
  for (uint32_t c = 0; c < ROWS; c++) {
    rep_clock a = rep_record(r0, c);
    ck_assert_double_eq_tol(a.time, (nodes - 1) + c / 10.0, 1e-12);
    ck_assert(a.bytes == 5 * 1099511627776.0 + (0 + 1 + 2 + 3 + 4)); /* exact */
    ck_assert(a.blocked == 0.25 * (0 + 1 + 2 + 3 + 4));
    const float *row = rep_row(r0, c);
    ck_assert_ptr_nonnull(row);
    ck_assert(row[0] == (float)c && row[1] == 0.5f && row[2] == -1.0f && row[3] == 1e-3f * (float)c);
  }
  ck_assert_ptr_null(rep_row(r0, ROWS));
  ck_assert_ptr_null(rep_row(rep_of(w, 1), 0)); /* only node 0 collects */
  mem_destroy(w);
}
END_TEST

/* Frames a faulty or hostile node could send: each refused, nothing taken. */
START_TEST(bad_reports_are_refused_and_change_nothing) {
  st_config cfg = cfg5();
  tbl_set t = tables();
  mem_opts mo = {.seed = 8};
  mem_world *w = mem_create(&cfg, &t, &mo);
  st_node *n0 = mem_node(w, 0);
  wire_buf b = {0};
  float v[W] = {9, 9, 9, 9}, rec[6] = {1, 0, 1, 0, 1, 0};
  struct {
    uint8_t type;
    uint32_t src, clock, table, row, width;
    int want;
  } cases[] = {
      {WIRE_REPORT, 1, 0, REP_RECORD_TABLE, 0, 6, ST_EPEER},   /* barrier 0 */
      {WIRE_REPORT, 1, 2, 7, 0, W, ST_EPEER},                  /* a table not reported */
      {WIRE_REPORT, 1, 2, 0, 0, W, ST_EPEER},                  /* node 1 hosts no shard */
      {WIRE_REPORT, 3, 2, 0, ROWS, W, ST_ERANGE},              /* row out of range */
      {WIRE_REPORT, 3, 2, 0, 0, W - 1, ST_ERANGE},             /* wrong width */
      {WIRE_REPORT, 1, 2, REP_RECORD_TABLE, ROWS, 6, ST_ERANGE},
      {WIRE_REPORT, 1, 2, REP_RECORD_TABLE, 0, 5, ST_ERANGE},
      {WIRE_RELEASE, 1, 2, REP_RECORD_TABLE, 0, 6, ST_EPEER},  /* node 0 gets no release */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wire_header h = {.type = cases[i].type, .src = cases[i].src, .dst = 0, .clock = cases[i].clock};
    ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
    ck_assert_int_eq(wire_add_dense(&b, cases[i].table, cases[i].row,
                                    cases[i].table == REP_RECORD_TABLE ? rec : v, cases[i].width), 0);
    ck_assert_int_eq(wire_finish(&b), 0);
    ck_assert_msg(node_on_frame(n0, b.data, b.len) == cases[i].want, "case %zu: got %s", i,
                  st_err_name(node_on_frame(n0, b.data, b.len)));
  }
  /* None of it was taken: node 0 is collecting nothing. */
  ck_assert(!rep_complete(n0->rep, 2));
  ck_assert_uint_eq(rep_record(n0->rep, 0).bytes, 0);
  /* A good report, then the same node again, then another barrier. */
  wire_header h = {.type = WIRE_REPORT, .src = 1, .dst = 0, .clock = 2};
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_EPEER);
  h.clock = 3;
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(n0, b.data, b.len), ST_ESTATE);
  /* A release a node never asked for. */
  wire_header rel = {.type = WIRE_RELEASE, .src = 0, .dst = 2, .clock = 2};
  ck_assert_int_eq(wire_begin(&b, &rel, 0), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(node_on_frame(mem_node(w, 2), b.data, b.len), ST_ESTATE);
  wire_buf_free(&b);
  mem_destroy(w);
}
END_TEST

int main(void) {
  Suite *s = suite_create("core_rep");
  TCase *tc = tcase_create("rep");
  tcase_add_test(tc, a_barrier_completes_when_every_node_reported_and_releases_all);
  tcase_add_test(tc, records_and_rows_are_collected_exactly);
  tcase_add_test(tc, bad_reports_are_refused_and_change_nothing);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
