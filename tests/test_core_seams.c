/* test_core_seams.c: the core's timers and its behaviour under injected
 * faults (the in-memory backend's failed sends, frozen and lossy peers, and
 * an allocator that fails at the Nth call, after SQLite's test VFS and
 * malloc tests). Each fault must give a clear error or a wait, never a wrong
 * value, and leave nothing half-freed (the suite runs under ASan). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"
#include "ps.h"

#define W 4
#define ROWS 12

static tbl_set one_table(void) {
  tbl_set t = {0};
  tbl_def a = {.id = 1, .rows = ROWS, .width = W, .sparse = 0};
  ck_assert_int_eq(tbl_add(&t, &a), 0);
  return t;
}

/* 2 clients (nodes 0, 1), 2 shards (nodes 2, 3). */
static st_config two_by_two(uint32_t staleness) {
  return (st_config){.nclients = 2, .nservers = 2, .workers_per_client = 1, .server_base = 2,
                     .staleness = staleness, .push = 0};
}

/* ---- timers ------------------------------------------------------------- */

typedef struct fired {
  uint32_t node[16];
  uint64_t token[16], step[16];
  uint32_t n;
} fired;

static void record_timer(void *arg, uint32_t node, uint64_t token, uint64_t step) {
  fired *f = arg;
  ck_assert_uint_lt(f->n, 16);
  f->node[f->n] = node;
  f->token[f->n] = token;
  f->step[f->n] = step;
  f->n++;
}

START_TEST(timers_fire_in_order_and_late_ones_are_ignored) {
  tbl_set t = one_table();
  st_config cfg = two_by_two(0);
  fired f = {0};
  mem_opts mo = {.seed = 7, .on_timer = record_timer, .on_timer_arg = &f};
  mem_world *w = mem_create(&cfg, &t, &mo);
  ck_assert_ptr_nonnull(w);
  cl_client *c0 = mem_node(w, 0)->client, *c1 = mem_node(w, 1)->client;
  srv_shard *s3 = mem_node(w, 3)->server;
  ck_assert_int_eq(cl_timer_arm(c0, 5), 0);   /* gen 1, due 5: superseded below */
  ck_assert_int_eq(cl_timer_arm(c1, 2), 0);   /* gen 1, due 2 */
  ck_assert_int_eq(srv_timer_arm(s3, 1.5), 0); /* gen 1, due 2 (rounded up), armed after c1's */
  ck_assert_int_eq(cl_timer_arm(c0, 1), 0);   /* gen 2, due 1 */
  ck_assert_uint_eq(mem_timers_pending(w), 4);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_uint_eq(f.n, 4);
  const uint32_t want_node[] = {0, 1, 3, 0};
  const uint64_t want_token[] = {tmr_token(TMR_ROLE_CLIENT, 2), tmr_token(TMR_ROLE_CLIENT, 1),
                                 tmr_token(TMR_ROLE_SERVER, 1), tmr_token(TMR_ROLE_CLIENT, 1)};
  const uint64_t want_step[] = {1, 2, 2, 5};
  for (uint32_t i = 0; i < 4; i++) {
    ck_assert_uint_eq(f.node[i], want_node[i]);
    ck_assert_uint_eq(f.token[i], want_token[i]);
    ck_assert_uint_eq(f.step[i], want_step[i]);
  }
  ck_assert_uint_eq(cl_get_stats(c0)->timers_fired, 1);
  ck_assert_uint_eq(cl_get_stats(c0)->timers_late, 1); /* gen 1 fired after gen 2 */
  ck_assert_uint_eq(cl_get_stats(c1)->timers_fired, 1);
  ck_assert_uint_eq(srv_get_stats(s3)->timers_fired, 1);
  ck_assert_uint_eq(srv_get_stats(mem_node(w, 2)->server)->timers_fired, 0);
  /* A fired timer's token is late if it comes again (a backend firing twice). */
  ck_assert_int_eq(node_on_timer(mem_node(w, 1), tmr_token(TMR_ROLE_CLIENT, 1)), 0);
  ck_assert_uint_eq(cl_get_stats(c1)->timers_late, 1);
  mem_destroy(w);
}
END_TEST

/* A due timer fires before frames that are ready later, and after time has
 * moved past frames that were ready earlier. */
START_TEST(timers_interleave_with_frames_by_time) {
  tbl_set t = one_table();
  st_config cfg = two_by_two(0);
  fired f = {0};
  mem_opts mo = {.seed = 3, .on_timer = record_timer, .on_timer_arg = &f};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c0 = mem_node(w, 0)->client;
  float d[W] = {1, 1, 1, 1};
  for (uint32_t r = 0; r < ROWS; r++) ck_assert_int_eq(cl_inc(c0, 0, 1, r, d), 0);
  ck_assert_int_eq(cl_clock(c0, 0), 0); /* 2 CLOCK frames, ready at once (no delay) */
  ck_assert_int_eq(cl_timer_arm(c0, 0), 0);
  ck_assert_int_eq(mem_deliver_one(w), 1);
  ck_assert_uint_eq(f.n, 1); /* due at step 0: before either frame */
  ck_assert_int_eq(cl_timer_arm(c0, 100), 0);
  /* The frames and whatever they cause go first; the timer comes last. */
  uint32_t handled = 0;
  while (f.n == 1) {
    ck_assert_int_eq(mem_deliver_one(w), 1);
    handled++;
  }
  ck_assert_uint_ge(handled, 3);
  ck_assert_uint_eq(mem_pending(w), 0);
  ck_assert_uint_eq(f.step[1], 100); /* armed at step 0 */
  ck_assert_int_eq(mem_deliver_one(w), 0);
  mem_destroy(w);
}
END_TEST

/* ---- faults ------------------------------------------------------------- */

/* Sum of (table 1, row) over both shards' views is read through
 * srv_read_row on the shard that owns the row. */
static float server_value(mem_world *w, const st_config *cfg, uint32_t row, uint32_t col) {
  uint32_t shard = tbl_shard(1, row, cfg->nservers);
  float v[W];
  ck_assert_int_eq(srv_read_row(mem_node(w, cfg_server_node(cfg, shard))->server, 1, row, v), 0);
  return v[col];
}

START_TEST(failed_send_returns_the_backend_error_and_applies_nothing_twice) {
  tbl_set t = one_table();
  st_config cfg = two_by_two(0);
  /* The first send of the world fails: client 0's frame to shard 0. */
  mem_opts mo = {.seed = 5, .fail_send_at = 1, .fail_send_rc = ST_ECLOSED};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c0 = mem_node(w, 0)->client;
  float d[W] = {2, 0, 0, 0};
  for (uint32_t r = 0; r < ROWS; r++) ck_assert_int_eq(cl_inc(c0, 0, 1, r, d), 0);
  ck_assert_int_eq(cl_clock(c0, 0), ST_ECLOSED); /* the backend's own code, not a generic one */
  ck_assert_int_eq(mem_drain(w), 0);
  /* The frame that left was applied once; the failed one not at all. */
  uint32_t on_shard1 = 0;
  for (uint32_t r = 0; r < ROWS; r++) {
    uint32_t shard = tbl_shard(1, r, cfg.nservers);
    float want = shard == 1 ? 2.0f : 0.0f;
    on_shard1 += shard == 1;
    ck_assert_float_eq(server_value(w, &cfg, r, 0), want);
  }
  ck_assert_uint_gt(on_shard1, 0);
  ck_assert_uint_lt(on_shard1, ROWS);
  mem_destroy(w);
}
END_TEST

START_TEST(frozen_peer_makes_reads_wait_never_serves_stale_values) {
  tbl_set t = one_table();
  st_config cfg = two_by_two(0);
  /* Shard node 2 (both its row answers and pushes) goes silent at once. */
  mem_opts mo = {.seed = 9, .silent_node = 2 + 1, .silent_after = 0};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c0 = mem_node(w, 0)->client, *c1 = mem_node(w, 1)->client;
  float d[W] = {1, 0, 0, 0}, out[W];
  uint32_t row0 = 0; /* a row of shard 0 */
  while (tbl_shard(1, row0, cfg.nservers) != 0) row0++;
  ck_assert_int_eq(cl_inc(c1, 0, 1, row0, d), 0);
  ck_assert_int_eq(cl_clock(c1, 0), 0);
  ck_assert_int_eq(cl_clock(c0, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  /* Clock 1 at s = 0 must see client 1's clock-0 increment: only shard 0
   * can say so, and it is frozen. The read waits, however long. */
  ck_assert_int_eq(cl_get(c0, 0, 1, row0, out), ST_WAIT);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_int_eq(mem_take_wake(w, 0, 0), 0);
  ck_assert_int_eq(cl_get(c0, 0, 1, row0, out), ST_WAIT);
  /* The shard itself has the value: nothing was lost on its side. */
  ck_assert_float_eq(server_value(w, &cfg, row0, 0), 1.0f);
  mem_destroy(w);
}
END_TEST

START_TEST(lost_frame_is_detected_and_changes_nothing) {
  tbl_set t = one_table();
  st_config cfg = two_by_two(1);
  /* Client 0's second frame vanishes; its third arrives. */
  mem_opts mo = {.seed = 11, .lose_node = 0 + 1, .lose_first = 2, .lose_last = 2};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c0 = mem_node(w, 0)->client;
  float d[W] = {1, 0, 0, 0};
  uint32_t row0 = 0;
  while (tbl_shard(1, row0, cfg.nservers) != 0) row0++;
  /* Each clock sends shard 0 and shard 1 one frame: frames 1, 2 in clock 0
   * (2 = shard 1's, lost), 3, 4 in clock 1. */
  ck_assert_int_eq(cl_inc(c0, 0, 1, row0, d), 0);
  ck_assert_int_eq(cl_clock(c0, 0), 0);
  ck_assert_int_eq(cl_inc(c0, 0, 1, row0, d), 0);
  ck_assert_int_eq(cl_clock(c0, 0), 0);
  int rc, rejected = 0;
  while ((rc = mem_deliver_one(w)) != 0) {
    if (rc < 0) ck_assert_int_eq(rc, ST_ESTATE); /* shard 1 saw sequence 2 after 0: a gap */
    rejected += rc < 0;
  }
  ck_assert_int_eq(rejected, 1);
  ck_assert_int_eq(mem_error(w), ST_ESTATE);
  /* Shard 0 got both of its frames; the rejected frame applied nothing. */
  ck_assert_float_eq(server_value(w, &cfg, row0, 0), 2.0f);
  srv_shard *s1 = mem_node(w, 3)->server;
  ck_assert_uint_eq(srv_min_clock(s1), 0);
  mem_destroy(w);
}
END_TEST

/* An allocator that fails at call number fail_at (1-based) and after. */
typedef struct failing_alloc {
  uint64_t calls, fail_at;
  int failed;
} failing_alloc;

static int alloc_should_fail(failing_alloc *a) {
  if (++a->calls >= a->fail_at) {
    a->failed = 1;
    return 1;
  }
  return 0;
}
static void *fa_malloc(void *ctx, size_t n) { return alloc_should_fail(ctx) ? NULL : malloc(n); }
static void *fa_calloc(void *ctx, size_t k, size_t n) {
  return alloc_should_fail(ctx) ? NULL : calloc(k, n);
}
static void *fa_realloc(void *ctx, void *p, size_t n) {
  return alloc_should_fail(ctx) ? NULL : realloc(p, n);
}
static void fa_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

/* Two clocks of both clients over every row, then reads. Returns 0 when
 * every call succeeded (and checks the values), ST_ENOMEM when one ran out
 * (then only that the error is the right one). */
static int alloc_scenario(void) {
  tbl_set t = one_table();
  st_config cfg = two_by_two(0);
  cfg.push = 1;
  mem_opts mo = {.seed = 13};
  mem_world *w = mem_create(&cfg, &t, &mo);
  if (!w) return ST_ENOMEM;
  int rc = 0;
  float d[W] = {1, 2, 3, 4}, out[W];
  for (uint32_t clock = 0; clock < 2 && !rc; clock++)
    for (uint32_t c = 0; c < 2 && !rc; c++) {
      cl_client *cl = mem_node(w, c)->client;
      for (uint32_t r = 0; r < ROWS && !rc; r++) {
        rc = cl_get(cl, 0, 1, r, out);
        while (rc == ST_WAIT) {
          int dr = mem_deliver_one(w);
          if (dr < 0) rc = dr;
          else if (dr == 0) ck_abort_msg("a read can never be served");
          else if (mem_take_wake(w, c, 0)) rc = cl_get(cl, 0, 1, r, out);
        }
        if (!rc) rc = cl_inc(cl, 0, 1, r, d);
      }
      if (!rc) rc = cl_clock(cl, 0);
    }
  if (!rc) rc = mem_drain(w);
  if (!rc)
    for (uint32_t r = 0; r < ROWS; r++)
      for (uint32_t k = 0; k < W; k++) ck_assert_float_eq(server_value(w, &cfg, r, k), 4 * d[k]);
  mem_destroy(w);
  return rc;
}

START_TEST(allocation_failure_at_every_call_is_an_error_never_a_crash) {
  /* How many allocations the whole scenario makes, with none failing. */
  failing_alloc count = {.fail_at = UINT64_MAX};
  st_allocator a = {fa_malloc, fa_calloc, fa_realloc, fa_free, &count};
  st_set_allocator(&a);
  ck_assert_int_eq(alloc_scenario(), 0);
  st_set_allocator(NULL);
  uint64_t total = count.calls;
  ck_assert_uint_gt(total, 10);
  uint32_t failures = 0;
  for (uint64_t n = 1; n <= total; n++) {
    failing_alloc fa = {.fail_at = n};
    a.ctx = &fa;
    st_set_allocator(&a);
    int rc = alloc_scenario();
    st_set_allocator(NULL);
    ck_assert_msg(fa.failed, "allocation %llu was never made", (unsigned long long)n);
    ck_assert_msg(rc == ST_ENOMEM, "allocation %llu failed: got %s, want ST_ENOMEM",
                  (unsigned long long)n, st_err_name(rc));
    failures++;
  }
  ck_assert_uint_eq(failures, total);
}
END_TEST

int main(void) {
  Suite *s = suite_create("core_seams");
  TCase *tc = tcase_create("timers");
  tcase_add_test(tc, timers_fire_in_order_and_late_ones_are_ignored);
  tcase_add_test(tc, timers_interleave_with_frames_by_time);
  suite_add_tcase(s, tc);
  tc = tcase_create("faults");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, failed_send_returns_the_backend_error_and_applies_nothing_twice);
  tcase_add_test(tc, frozen_peer_makes_reads_wait_never_serves_stale_values);
  tcase_add_test(tc, lost_frame_is_detected_and_changes_nothing);
  tcase_add_test(tc, allocation_failure_at_every_call_is_an_error_never_a_crash);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
