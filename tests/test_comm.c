/* test_comm.c: managed communication (core/comm.h): each policy's ordering,
 * the token bucket's bound over every window, and the client's and the
 * shard's pacing end to end on the in-memory backend (what goes first, and
 * that early bytes never exceed the budget over any window of ticks). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem_backend.h"

/* Four candidates whose orders differ under every policy. */
static void four(comm_cand *c) {
  /*                key  seq   mag   base  behind */
  c[0] = (comm_cand){.key = 10, .seq = 3, .mag = 8, .base = 100, .behind = 0};
  c[1] = (comm_cand){.key = 11, .seq = 0, .mag = 1, .base = 0.5, .behind = 1};
  c[2] = (comm_cand){.key = 12, .seq = 2, .mag = 4, .base = 1, .behind = 3};
  c[3] = (comm_cand){.key = 13, .seq = 1, .mag = 2, .base = 10, .behind = 2};
}

static void expect_order(uint8_t policy, const uint64_t *keys) {
  comm_cand c[4];
  four(c);
  comm_rank(policy, c, 4, 0);
  for (int i = 0; i < 4; i++)
    ck_assert_msg(c[i].key == keys[i], "%s: place %d is key %llu, want %llu", comm_policy_name(policy), i,
                  (unsigned long long)c[i].key, (unsigned long long)keys[i]);
}

START_TEST(policies_order_as_defined) {
  /* fifo: seq ascending */
  expect_order(COMM_FIFO, (const uint64_t[]){11, 13, 12, 10});
  /* magnitude: 8, 4, 2, 1 */
  expect_order(COMM_MAGNITUDE, (const uint64_t[]){10, 12, 13, 11});
  /* relative: 8/100=.08, 1/.5=2, 4/1=4, 2/10=.2 */
  expect_order(COMM_RELATIVE, (const uint64_t[]){12, 11, 13, 10});
  /* age: behind 3, 2, 1, 0 */
  expect_order(COMM_AGE, (const uint64_t[]){12, 13, 11, 10});
  /* combined: (1+0)8=8, (1+1)1=2, (1+3)4=16, (1+2)2=6 */
  expect_order(COMM_COMBINED, (const uint64_t[]){12, 10, 13, 11});
  /* none scores all alike: the tie-breaks (seq, then key) decide */
  expect_order(COMM_NONE, (const uint64_t[]){11, 13, 12, 10});
}
END_TEST

START_TEST(ties_break_by_seq_then_key) {
  comm_cand c[3] = {{.key = 5, .seq = 1, .mag = 2}, {.key = 4, .seq = 1, .mag = 2}, {.key = 9, .seq = 0, .mag = 2}};
  comm_rank(COMM_MAGNITUDE, c, 3, 0);
  ck_assert_uint_eq(c[0].key, 9);
  ck_assert_uint_eq(c[1].key, 4);
  ck_assert_uint_eq(c[2].key, 5);
  /* a zero value does not divide by zero, and ranks first */
  comm_cand z[2] = {{.key = 1, .mag = 1, .base = 1}, {.key = 2, .mag = 1e-3, .base = 0}};
  comm_rank(COMM_RELATIVE, z, 2, 0);
  ck_assert_uint_eq(z[0].key, 2);
}
END_TEST

/* random: a permutation, the same for the same salt, another for another,
 * and not biased toward the input order (each key leads about equally). */
START_TEST(random_is_a_repeatable_unbiased_permutation) {
  enum { N = 8, SALTS = 4000 };
  uint32_t first[N] = {0};
  comm_cand a[N], b[N];
  for (uint64_t salt = 0; salt < SALTS; salt++) {
    for (int i = 0; i < N; i++) a[i] = b[i] = (comm_cand){.key = (uint64_t)i << 32 | 7, .seq = (uint64_t)i};
    comm_rank(COMM_RANDOM, a, N, salt);
    comm_rank(COMM_RANDOM, b, N, salt);
    uint32_t seen = 0;
    for (int i = 0; i < N; i++) {
      ck_assert_uint_eq(a[i].key, b[i].key);
      seen |= 1u << (a[i].key >> 32);
    }
    ck_assert_uint_eq(seen, (1u << N) - 1);
    first[a[0].key >> 32]++;
  }
  for (int i = 0; i < N; i++) {
    ck_assert_uint_gt(first[i], SALTS / N * 8 / 10);
    ck_assert_uint_lt(first[i], SALTS / N * 12 / 10);
  }
}
END_TEST

START_TEST(names_parse_back) {
  for (uint8_t p = 0; p < COMM_NPOLICIES; p++) {
    uint8_t q = 99;
    ck_assert_int_eq(comm_policy_parse(comm_policy_name(p), &q), 0);
    ck_assert_uint_eq(q, p);
  }
  uint8_t q;
  ck_assert_int_eq(comm_policy_parse("Magnitude", &q), ST_EPARSE);
  ck_assert_int_eq(comm_policy_parse("", &q), ST_EPARSE);
  ck_assert_str_eq(comm_policy_name(COMM_NPOLICIES), "?");
  st_config cfg = {.nclients = 1, .nservers = 1, .workers_per_client = 1};
  ck_assert_int_eq(cfg_check(&cfg), 0);
  cfg.comm_policy = COMM_FIFO; /* a policy needs a budget */
  ck_assert_int_eq(cfg_check(&cfg), ST_EINVAL);
  cfg.comm_budget = 1e6;
  ck_assert_int_eq(cfg_check(&cfg), 0);
  cfg.comm_interval = -1;
  ck_assert_int_eq(cfg_check(&cfg), ST_EINVAL);
  cfg.comm_interval = 0;
  cfg.comm_policy = COMM_NPOLICIES;
  ck_assert_int_eq(cfg_check(&cfg), ST_EINVAL);
}
END_TEST

/* ---- the bucket over every window ---------------------------------------- */

typedef struct spend {
  double t, bytes;
} spend;

/* Every window [t_i, t_j] of the spends holds at most cap + rate (t_j - t_i). */
static void check_windows(const spend *s, size_t n, double rate, double cap) {
  for (size_t i = 0; i < n; i++) {
    double sum = 0;
    for (size_t j = i; j < n; j++) {
      sum += s[j].bytes;
      /* (a plain test: Check's assertions mark their point through a pipe) */
      if (sum > cap + rate * (s[j].t - s[i].t) + 1e-6)
        ck_abort_msg("window [%g, %g]: %g bytes > %g", s[i].t, s[j].t, sum, cap + rate * (s[j].t - s[i].t));
    }
  }
}

START_TEST(bucket_never_exceeds_its_bound) {
  enum { N = 3000 };
  spend *s = malloc(N * sizeof *s);
  ck_assert_ptr_nonnull(s);
  uint64_t x = 42;
  for (int trial = 0; trial < 4; trial++) {
    double rate = 1000.0 * (trial + 1), cap = 150.0 + 100 * trial, t = 0, spent = 0;
    comm_bucket b;
    comm_bucket_init(&b, rate, cap, 0);
    size_t n = 0;
    while (n < N) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      t += (double)(x >> 40) / (double)(1ull << 24) * 0.02; /* ticks 0..20 ms apart, irregular */
      comm_bucket_refill(&b, t);
      for (int k = 0; k < 4; k++) { /* a tick takes what fits */
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double want = 10 + (double)(x >> 56);
        if (comm_bucket_take(&b, want)) {
          if (k == 1) { /* sometimes the frame costs less than charged */
            comm_bucket_refund(&b, 3);
            want -= 3;
          }
          s[n++] = (spend){t, want};
          spent += want;
          if (n == N) break;
        }
      }
    }
    check_windows(s, n, rate, cap);
    /* Saturated (more wanted than paid), it spends close to its rate. */
    ck_assert_double_ge(spent / t, 0.9 * rate);
    ck_assert_double_le(spent, cap + rate * t);
  }
  /* A clock going backwards earns nothing. */
  comm_bucket b;
  comm_bucket_init(&b, 100, 1000, 10);
  comm_bucket_refill(&b, 5);
  ck_assert_double_eq(b.tokens, 0);
  comm_bucket_refill(&b, 11);
  ck_assert_double_eq(b.tokens, 100);
  ck_assert_int_eq(comm_bucket_take(&b, 101), 0);
  ck_assert_int_eq(comm_bucket_take(&b, 100), 1);
  free(s);
}
END_TEST

/* ---- pacing end to end ---------------------------------------------------- */

#define W 4
#define ROWS 40

static tbl_set one_table(uint32_t rows) {
  tbl_set t = {0};
  tbl_def a = {.id = 1, .rows = rows, .width = W, .sparse = 0};
  ck_assert_int_eq(tbl_add(&t, &a), 0);
  return t;
}

/* The client's early bytes so far. */
static uint64_t client_early(mem_world *w) { return cl_get_stats(mem_node(w, 0)->client)->bytes_early; }

START_TEST(client_sends_largest_first_within_budget) {
  tbl_set t = one_table(ROWS);
  /* One client (node 0), one shard on node 1; budget 100 bytes per step,
   * a tick every 2 steps: the first tick has 200 bytes, room for one frame
   * of 5 rows (36 + 5 x 29 = 181), not 6 (210). */
  st_config cfg = {.nclients = 1, .nservers = 1, .workers_per_client = 1, .server_base = 1,
                   .staleness = 1, .comm_policy = COMM_MAGNITUDE, .comm_budget = 100,
                   .comm_interval = 2};
  mem_opts mo = {.seed = 3};
  mem_world *w = mem_create(&cfg, &t, &mo);
  ck_assert_ptr_nonnull(w);
  cl_client *c = mem_node(w, 0)->client;
  srv_shard *s = mem_node(w, 1)->server;
  for (uint32_t r = 0; r < ROWS; r++) {
    float d[W] = {0};
    d[r % W] = (float)((r * 7) % ROWS + 1); /* magnitudes 1..40, shuffled */
    ck_assert_int_eq(cl_inc(c, 0, 1, r, d), 0);
  }
  ck_assert_uint_eq(mem_timers_pending(w), 1); /* armed once, not per row */
  spend log[64];
  size_t n = 0;
  uint64_t sent = 0;
  uint32_t first_tick_rows = 0;
  int inspected = 0;
  while (mem_pending(w) && n < 64) {
    ck_assert_int_ge(mem_deliver_one(w), 0);
    uint64_t now = client_early(w);
    if (now != sent) {
      log[n++] = (spend){(double)cl_get_stats(c)->timers_fired * 2, (double)(now - sent)};
      sent = now;
    }
    if (!inspected && srv_get_stats(s)->frames_in == 1) { /* the first tick's frame */
      inspected = 1;
      for (uint32_t r = 0; r < ROWS; r++) {
        float v[W];
        ck_assert_int_eq(srv_read_row(s, 1, r, v), 0);
        if (v[r % W] == 0) continue;
        first_tick_rows++;
        ck_assert_float_ge(v[r % W], 36); /* the five largest: 40..36 */
      }
    }
  }
  ck_assert_uint_eq(first_tick_rows, 5);
  ck_assert_uint_eq(mem_timers_pending(w), 0); /* the oplog ran dry: no timer left */
  ck_assert_uint_eq(sent, cl_get_stats(c)->bytes_early);
  ck_assert_uint_eq(cl_get_stats(c)->bytes_clock, 0);
  /* 40 rows of 29 bytes, 36 a frame, 200 bytes a tick (the leftover
   * tokens carry over: 181, then 210, ...), within the budget over every
   * window. */
  ck_assert_double_eq(log[0].bytes, 181);
  ck_assert_double_eq(log[1].bytes, 210);
  ck_assert_uint_le(n, 8);
  check_windows(log, n, 100, cfg_comm_burst(&cfg, &t, 1));
  double total = 0;
  for (size_t i = 0; i < n; i++) total += log[i].bytes;
  ck_assert_double_eq(total, 40 * 29 + (double)n * 36);
  ck_assert_double_le(total, 100 * log[n - 1].t);
  /* Everything arrived exactly once, and the clock then sends nothing more. */
  ck_assert_int_eq(cl_clock(c, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  for (uint32_t r = 0; r < ROWS; r++) {
    float v[W];
    ck_assert_int_eq(srv_read_row(s, 1, r, v), 0);
    ck_assert_float_eq(v[r % W], (float)((r * 7) % ROWS + 1));
  }
  ck_assert_uint_eq(cl_get_stats(c)->bytes_clock, WIRE_HEADER_SIZE + 4);
  mem_destroy(w);
}
END_TEST

/* policy none arms nothing and sends only at the clock. */
START_TEST(none_sends_at_clocks_only) {
  tbl_set t = one_table(ROWS);
  st_config cfg = {.nclients = 1, .nservers = 1, .workers_per_client = 1, .server_base = 1, .staleness = 1};
  mem_opts mo = {.seed = 3};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *c = mem_node(w, 0)->client;
  float d[W] = {1, 2, 3, 4};
  for (uint32_t r = 0; r < ROWS; r++) ck_assert_int_eq(cl_inc(c, 0, 1, r, d), 0);
  ck_assert_uint_eq(mem_pending(w), 0);
  ck_assert_int_eq(cl_clock(c, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_uint_eq(cl_get_stats(c)->bytes_early, 0);
  ck_assert_uint_eq(cl_get_stats(c)->bytes_clock, cl_get_stats(c)->bytes_out);
  ck_assert_uint_eq(cl_get_stats(c)->timers_fired, 0);
  mem_destroy(w);
}
END_TEST

/* In push mode a shard pushes rows changed by early updates to the other
 * client that holds them, before any clock, without raising its clock;
 * the next push round leaves out the rows it already pushed and unchanged. */
START_TEST(shard_pushes_early_values_only) {
  tbl_set t = one_table(4);
  st_config cfg = {.nclients = 2, .nservers = 1, .workers_per_client = 1, .server_base = 2,
                   .staleness = 2, .push = 1, .comm_policy = COMM_FIFO, .comm_budget = 1000,
                   .comm_interval = 1};
  mem_opts mo = {.seed = 5};
  mem_world *w = mem_create(&cfg, &t, &mo);
  cl_client *a = mem_node(w, 0)->client, *b = mem_node(w, 1)->client;
  srv_shard *s = mem_node(w, 2)->server;
  float v[W];
  /* b reads row 0 (and so subscribes to it) */
  ck_assert_int_eq(cl_get(b, 0, 1, 0, v), ST_WAIT);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_int_eq(cl_get(b, 0, 1, 0, v), 0);
  ck_assert_float_eq(v[0], 0);
  /* a adds to row 0: its pacer sends it early, the shard pushes it early */
  float d[W] = {5, 0, 0, 0};
  ck_assert_int_eq(cl_inc(a, 0, 1, 0, d), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_uint_gt(cl_get_stats(a)->bytes_early, 0);
  ck_assert_uint_gt(srv_get_stats(s)->bytes_early, 0);
  ck_assert_uint_eq(cl_get_stats(b)->rows_early, 1);
  ck_assert_uint_eq(srv_min_clock(s), 0);
  ck_assert_int_eq(cl_get(b, 0, 1, 0, v), 0);
  ck_assert_float_eq(v[0], 5); /* seen before anyone clocked */
  /* Both clock: the round push to b (a holds nothing) carries no row (row
   * 0 was pushed and has not changed since), only the new clock. */
  uint64_t push0 = srv_get_stats(s)->bytes_push;
  ck_assert_int_eq(cl_clock(a, 0), 0);
  ck_assert_int_eq(cl_clock(b, 0), 0);
  ck_assert_int_eq(mem_drain(w), 0);
  ck_assert_uint_eq(srv_min_clock(s), 1);
  ck_assert_uint_eq(srv_get_stats(s)->bytes_push - push0, WIRE_HEADER_SIZE + 4);
  ck_assert_int_eq(cl_get(b, 0, 1, 0, v), 0);
  ck_assert_float_eq(v[0], 5);
  ck_assert_uint_eq(mem_timers_pending(w), 0);
  mem_destroy(w);
}
END_TEST

int main(void) {
  Suite *s = suite_create("comm");
  TCase *tc = tcase_create("comm");
  tcase_add_test(tc, policies_order_as_defined);
  tcase_add_test(tc, ties_break_by_seq_then_key);
  tcase_add_test(tc, random_is_a_repeatable_unbiased_permutation);
  tcase_add_test(tc, names_parse_back);
  tcase_add_test(tc, bucket_never_exceeds_its_bound);
  tcase_add_test(tc, client_sends_largest_first_within_budget);
  tcase_add_test(tc, none_sends_at_clocks_only);
  tcase_add_test(tc, shard_pushes_early_values_only);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
