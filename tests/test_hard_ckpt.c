/* test_hard_ckpt.c: a client's cache and a shard's push state saved at a
 * settled clock and loaded into fresh roles (cl_cache_save/load,
 * srv_held_save/load, srv_restore_row) make a world that continues exactly
 * as the original: the same values read, bit for bit, and the same frames
 * and bytes sent every clock, on the in-memory backend (whose deliveries
 * the two worlds interleave differently). Bad saved bytes are refused and
 * load nothing. Push and pull mode, dense and sparse tables. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"

#define NCL 3
#define NSV 2
#define DROWS 10
#define DW 4
#define SROWS 6
#define SW 24

static tbl_set two_tables(void) {
  tbl_set t = {0};
  tbl_def d = {.id = 1, .rows = DROWS, .width = DW, .sparse = 0};
  tbl_def s = {.id = 2, .rows = SROWS, .width = SW, .sparse = 1};
  ck_assert_int_eq(tbl_add(&t, &d), 0);
  ck_assert_int_eq(tbl_add(&t, &s), 0);
  return t;
}

/* 3 clients; shards on nodes 0 and 1, as a real run colocates them. */
static st_config config(int push) {
  return (st_config){.nclients = NCL, .nservers = NSV, .workers_per_client = 1,
                     .server_base = 0, .staleness = 0, .push = (uint8_t)push, .ordered = 1};
}

/* What a world did in one clock: every value read and what it sent. */
typedef struct trace {
  float reads[NCL][DROWS + SROWS][SW];
  uint64_t frames, bytes;
} trace;

static void get_row(mem_world *w, uint32_t cl, uint32_t table, uint32_t row, float *out) {
  cl_client *c = mem_node(w, cl)->client;
  int rc;
  while ((rc = cl_get(c, 0, table, row, out)) == ST_WAIT) {
    while (!mem_take_wake(w, cl, 0)) ck_assert_int_eq(mem_deliver_one(w), 1);
  }
  ck_assert_int_eq(rc, 0);
}

/* Clock c of the workload: client i reads the rows it owns this clock
 * (a set that shifts with c, so some reads miss the cache), then adds a
 * delta depending on what it read; sparse deltas touch a few columns. */
static void run_clock(mem_world *w, uint32_t c, trace *t) {
  uint64_t f0 = mem_frames_sent(w), b0 = mem_bytes_sent(w);
  memset(t->reads, 0, sizeof t->reads);
  for (uint32_t i = 0; i < NCL; i++) {
    cl_client *cl = mem_node(w, i)->client;
    for (uint32_t r = 0; r < DROWS; r++) {
      if (r > c + 4 || (r + i + c / 2) % 3 == 0) continue; /* rows come into use */
      float *v = t->reads[i][r], d[DW];
      get_row(w, i, 1, r, v);
      for (uint32_t k = 0; k < DW; k++) d[k] = 0.25f * (float)(i + 1) - 0.125f * v[k] + 0.01f * (float)k;
      ck_assert_int_eq(cl_inc(cl, 0, 1, r, d), 0);
    }
    for (uint32_t r = 0; r < SROWS; r++) {
      if ((r + i) % 2 && c % 2) continue;
      float *v = t->reads[i][DROWS + r], d[SW] = {0};
      get_row(w, i, 2, r, v);
      d[(r * 5 + c + i) % SW] = 1.0f + (float)i;
      d[(r + 2 * c) % SW] = -0.5f * v[(r + 2 * c) % SW] + 0.5f;
      ck_assert_int_eq(cl_inc(cl, 0, 2, r, d), 0);
    }
    ck_assert_int_eq(cl_clock(cl, 0), 0);
  }
  t->frames = mem_frames_sent(w) - f0;
  t->bytes = mem_bytes_sent(w) - b0;
}

static void check_settled(mem_world *w, uint32_t k) {
  for (uint32_t i = 0; i < NCL; i++) ck_assert(cl_settled(mem_node(w, i)->client, k));
  for (uint32_t j = 0; j < NSV; j++) ck_assert(srv_settled(mem_node(w, j)->server, k));
}

typedef struct saved {
  snap_buf cache[NCL], held[NSV];
} saved;

static void save_world(mem_world *w, saved *s) {
  memset(s, 0, sizeof *s);
  for (uint32_t i = 0; i < NCL; i++)
    ck_assert_int_eq(cl_cache_save(mem_node(w, i)->client, &s->cache[i]), 0);
  for (uint32_t j = 0; j < NSV; j++)
    ck_assert_int_eq(srv_held_save(mem_node(w, j)->server, &s->held[j]), 0);
}

static void saved_free(saved *s) {
  for (uint32_t i = 0; i < NCL; i++) snap_buf_free(&s->cache[i]);
  for (uint32_t j = 0; j < NSV; j++) snap_buf_free(&s->held[j]);
}

/* A world made from a's saved state: values row by row, then the rest. */
static mem_world *restored_world(mem_world *a, const saved *s, const st_config *cfg,
                                 const tbl_set *t, uint64_t seed) {
  mem_opts mo = {.seed = seed, .max_delay = 3};
  mem_world *b = mem_create(cfg, t, &mo);
  ck_assert_ptr_nonnull(b);
  for (uint32_t j = 0; j < NSV; j++) {
    srv_shard *from = mem_node(a, j)->server, *to = mem_node(b, j)->server;
    for (uint32_t ti = 0; ti < t->n; ti++)
      for (uint32_t r = 0; r < t->defs[ti].rows; r++) {
        float v[SW];
        if (tbl_shard(t->defs[ti].id, r, NSV) != j) continue;
        ck_assert_int_eq(srv_read_row(from, t->defs[ti].id, r, v), 0);
        ck_assert_int_eq(srv_restore_row(to, t->defs[ti].id, r, v), 0);
      }
    ck_assert_int_eq(srv_held_load(to, s->held[j].data, s->held[j].len), 0);
  }
  for (uint32_t i = 0; i < NCL; i++)
    ck_assert_int_eq(cl_cache_load(mem_node(b, i)->client, s->cache[i].data, s->cache[i].len), 0);
  return b;
}

static void continues_exactly(int push) {
  tbl_set t = two_tables();
  st_config cfg = config(push);
  mem_opts mo = {.seed = 11, .max_delay = 3};
  mem_world *a = mem_create(&cfg, &t, &mo);
  ck_assert_ptr_nonnull(a);
  static trace ta, tb;
  const uint32_t K = 4, M = 5;
  for (uint32_t c = 0; c < K; c++) run_clock(a, c, &ta);
  /* Not settled while frames are in flight: nothing can be saved. */
  snap_buf early = {0};
  ck_assert_uint_gt(mem_pending(a), 0);
  ck_assert_int_eq(srv_held_save(mem_node(a, 0)->server, &early), ST_ESTATE);
  ck_assert_int_eq(mem_drain(a), 0);
  check_settled(a, K);
  saved s;
  save_world(a, &s);
  mem_world *b = restored_world(a, &s, &cfg, &t, 99);
  check_settled(b, K);
  /* The loaded roles save to the same bytes: nothing was lost. */
  for (uint32_t i = 0; i < NCL; i++) {
    snap_buf again = {0};
    ck_assert_int_eq(cl_cache_save(mem_node(b, i)->client, &again), 0);
    ck_assert_uint_eq(again.len, s.cache[i].len);
    ck_assert(!memcmp(again.data, s.cache[i].data, again.len));
    snap_buf_free(&again);
  }
  for (uint32_t j = 0; j < NSV; j++) {
    snap_buf again = {0};
    ck_assert_int_eq(srv_held_save(mem_node(b, j)->server, &again), 0);
    ck_assert_uint_eq(again.len, s.held[j].len);
    ck_assert(!memcmp(again.data, s.held[j].data, again.len));
    snap_buf_free(&again);
  }
  uint64_t reads_a = 0, reads_b = 0;
  for (uint32_t i = 0; i < NCL; i++) reads_a += cl_get_stats(mem_node(a, i)->client)->reads_sent;
  for (uint32_t c = K; c < K + M; c++) {
    run_clock(a, c, &ta);
    run_clock(b, c, &tb);
    ck_assert_msg(!memcmp(ta.reads, tb.reads, sizeof ta.reads), "clock %u: values read differ", c);
    ck_assert_msg(ta.frames == tb.frames && ta.bytes == tb.bytes,
                  "clock %u: original sent %llu frames, %llu bytes; restored %llu, %llu", c,
                  (unsigned long long)ta.frames, (unsigned long long)ta.bytes,
                  (unsigned long long)tb.frames, (unsigned long long)tb.bytes);
  }
  ck_assert_int_eq(mem_drain(a), 0);
  ck_assert_int_eq(mem_drain(b), 0);
  /* Reads sent after the cut: the same (push mode: none for held rows). */
  uint64_t after_a = 0;
  for (uint32_t i = 0; i < NCL; i++) {
    after_a += cl_get_stats(mem_node(a, i)->client)->reads_sent;
    reads_b += cl_get_stats(mem_node(b, i)->client)->reads_sent;
  }
  ck_assert_uint_eq(after_a - reads_a, reads_b);
  ck_assert_uint_gt(reads_b, 0); /* the workload's shifting rows miss the cache */
  for (uint32_t j = 0; j < NSV; j++)
    for (uint32_t ti = 0; ti < t.n; ti++)
      for (uint32_t r = 0; r < t.defs[ti].rows; r++) {
        float va[SW], vb[SW];
        if (tbl_shard(t.defs[ti].id, r, NSV) != j) continue;
        ck_assert_int_eq(srv_read_row(mem_node(a, j)->server, t.defs[ti].id, r, va), 0);
        ck_assert_int_eq(srv_read_row(mem_node(b, j)->server, t.defs[ti].id, r, vb), 0);
        ck_assert(!memcmp(va, vb, sizeof(float) * t.defs[ti].width));
      }
  saved_free(&s);
  mem_destroy(a);
  mem_destroy(b);
}

START_TEST(restored_push_world_continues_exactly) { continues_exactly(1); }
END_TEST

START_TEST(restored_pull_world_continues_exactly) { continues_exactly(0); }
END_TEST

/* A world of the same shape without the saved caches and push state (the
 * shards' values and clocks only, each client at the clock): the same
 * values, but not the same traffic. What the saved state is for. */
START_TEST(values_alone_do_not_continue_the_traffic) {
  tbl_set t = two_tables();
  st_config cfg = config(1);
  mem_opts mo = {.seed = 5, .max_delay = 3};
  mem_world *a = mem_create(&cfg, &t, &mo);
  static trace ta, tb;
  for (uint32_t c = 0; c < 3; c++) run_clock(a, c, &ta);
  ck_assert_int_eq(mem_drain(a), 0);
  saved s;
  save_world(a, &s);
  /* Empty caches at the saved clock: a cache of no rows, and shards that
   * know no holders (saved from a world where nobody read). */
  mem_world *z = mem_create(&cfg, &t, &mo);
  for (uint32_t c = 0; c < 3; c++)
    for (uint32_t i = 0; i < NCL; i++) ck_assert_int_eq(cl_clock(mem_node(z, i)->client, 0), 0);
  ck_assert_int_eq(mem_drain(z), 0);
  saved e;
  save_world(z, &e);
  mem_world *b = restored_world(a, &e, &cfg, &t, 99);
  run_clock(a, 3, &ta);
  run_clock(b, 3, &tb);
  ck_assert(!memcmp(ta.reads, tb.reads, sizeof ta.reads));
  ck_assert_uint_ne(ta.bytes, tb.bytes);
  saved_free(&s);
  saved_free(&e);
  mem_destroy(a);
  mem_destroy(b);
  mem_destroy(z);
}
END_TEST

START_TEST(bad_saved_state_is_refused_and_loads_nothing) {
  tbl_set t = two_tables();
  st_config cfg = config(1);
  mem_opts mo = {.seed = 3};
  mem_world *a = mem_create(&cfg, &t, &mo);
  static trace ta;
  for (uint32_t c = 0; c < 2; c++) run_clock(a, c, &ta);
  /* An increment not yet sent: the client is not settled. */
  float d[DW] = {1, 2, 3, 4};
  ck_assert_int_eq(mem_drain(a), 0);
  ck_assert_int_eq(cl_inc(mem_node(a, 0)->client, 0, 1, 0, d), 0);
  snap_buf x = {0};
  ck_assert(!cl_settled(mem_node(a, 0)->client, 2));
  ck_assert_int_eq(cl_cache_save(mem_node(a, 0)->client, &x), ST_ESTATE);
  ck_assert_int_eq(cl_clock(mem_node(a, 0)->client, 0), 0);
  ck_assert(!srv_settled(mem_node(a, 0)->server, 3)); /* the others are at 2 */
  for (uint32_t i = 1; i < NCL; i++) ck_assert_int_eq(cl_clock(mem_node(a, i)->client, 0), 0);
  ck_assert_int_eq(mem_drain(a), 0);
  check_settled(a, 3);
  saved s;
  save_world(a, &s);
  mem_world *b = mem_create(&cfg, &t, &mo);
  cl_client *c1 = mem_node(b, 1)->client;
  srv_shard *s1 = mem_node(b, 1)->server;
  const snap_buf *cb = &s.cache[1], *hb = &s.held[1];
  ck_assert_uint_gt(cb->len, 40);
  /* Every truncation, and a trailing byte, is a malformed state. */
  for (size_t n = 0; n < cb->len; n++)
    ck_assert_int_eq(cl_cache_load(c1, cb->data, n), ST_EFRAME);
  for (size_t n = 0; n < hb->len; n++)
    ck_assert_int_eq(srv_held_load(s1, hb->data, n), ST_EFRAME);
  uint8_t *longer = malloc(cb->len + 1);
  memcpy(longer, cb->data, cb->len);
  longer[cb->len] = 0;
  ck_assert_int_eq(cl_cache_load(c1, longer, cb->len + 1), ST_EFRAME);
  /* The first row saved under shard 0 names an unknown table. */
  memcpy(longer, cb->data, cb->len);
  longer[28] = 77;
  ck_assert_int_eq(cl_cache_load(c1, longer, cb->len), ST_ENOTABLE);
  /* Another shard count: a different cluster. */
  memcpy(longer, cb->data, cb->len);
  longer[20] = 3;
  ck_assert_int_eq(cl_cache_load(c1, longer, cb->len), ST_EPEER);
  /* A pull-mode shard does not take a push-mode state. */
  st_config pull = config(0);
  mem_world *p = mem_create(&pull, &t, &mo);
  ck_assert_int_eq(srv_held_load(mem_node(p, 1)->server, hb->data, hb->len), ST_EINVAL);
  mem_destroy(p);
  /* Nothing was loaded by the refusals: the real state still loads. */
  ck_assert_int_eq(cl_cache_load(c1, cb->data, cb->len), 0);
  ck_assert_int_eq(srv_held_load(s1, hb->data, hb->len), 0);
  ck_assert(cl_settled(c1, 3));
  /* A second load, or a load into a client that has run, is refused. */
  ck_assert_int_eq(cl_cache_load(c1, cb->data, cb->len), ST_ESTATE);
  ck_assert_int_eq(srv_held_load(s1, hb->data, hb->len), ST_ESTATE);
  ck_assert_int_eq(cl_cache_load(mem_node(a, 1)->client, cb->data, cb->len), ST_ESTATE);
  float v[DW] = {0};
  ck_assert_int_eq(srv_restore_row(mem_node(a, 0)->server, 1, 0, v), ST_ESTATE);
  free(longer);
  snap_buf_free(&x);
  saved_free(&s);
  mem_destroy(a);
  mem_destroy(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hard_ckpt");
  TCase *tc = tcase_create("ckpt");
  tcase_add_test(tc, restored_push_world_continues_exactly);
  tcase_add_test(tc, restored_pull_world_continues_exactly);
  tcase_add_test(tc, values_alone_do_not_continue_the_traffic);
  tcase_add_test(tc, bad_saved_state_is_refused_and_loads_nothing);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
