/* test_tbl.c: table definitions and the row-to-shard map (core/tbl.c), the
 * cluster shape checks and staleness parsing (core/cfg.c), and the error
 * names (core/st.c), the pair sort (core/sort.c), and the sparse row
 * (tbl_srow) against a dense reference. */
#include <check.h>

#include "hmap.h"
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "sort.h"
#include "tbl.h"

START_TEST(test_tbl_add_find) {
  tbl_set set = {0};
  tbl_def a = {.id = 3, .rows = 10, .width = 4, .sparse = 0};
  tbl_def zero_w = {.id = 4, .rows = 10, .width = 0};
  tbl_def zero_r = {.id = 5, .rows = 0, .width = 4};
  ck_assert_int_eq(tbl_add(&set, &zero_w), ST_EINVAL);
  ck_assert_int_eq(tbl_add(&set, &zero_r), ST_EINVAL);
  ck_assert_uint_eq(set.n, 0);
  ck_assert_int_eq(tbl_add(&set, &a), 0);
  tbl_def dup = {.id = 3, .rows = 1, .width = 1, .sparse = 1};
  ck_assert_int_eq(tbl_add(&set, &dup), ST_EEXIST);
  ck_assert_uint_eq(set.n, 1);

  const tbl_def *f = tbl_find(&set, 3);
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->rows, 10);
  ck_assert_uint_eq(f->width, 4);
  ck_assert_uint_eq(f->sparse, 0);
  ck_assert_ptr_null(tbl_find(&set, 4));
  ck_assert_ptr_null(tbl_find(&set, 0));

  ck_assert_int_eq(tbl_check(&set, 3, 0), 0);
  ck_assert_int_eq(tbl_check(&set, 3, 9), 0);
  ck_assert_int_eq(tbl_check(&set, 3, 10), ST_ERANGE);
  ck_assert_int_eq(tbl_check(&set, 3, UINT32_MAX), ST_ERANGE);
  ck_assert_int_eq(tbl_check(&set, 99, 0), ST_ENOTABLE);
}
END_TEST

START_TEST(test_tbl_full) {
  tbl_set set = {0};
  for (uint32_t i = 0; i < TBL_MAX; i++) {
    tbl_def d = {.id = 1000 + i, .rows = i + 1, .width = 2};
    ck_assert_int_eq(tbl_add(&set, &d), 0);
  }
  tbl_def extra = {.id = 1, .rows = 1, .width = 1};
  ck_assert_int_eq(tbl_add(&set, &extra), ST_ENOMEM);
  ck_assert_uint_eq(set.n, TBL_MAX);
  for (uint32_t i = 0; i < TBL_MAX; i++) {
    ck_assert_int_eq(tbl_check(&set, 1000 + i, i), 0);
    ck_assert_int_eq(tbl_check(&set, 1000 + i, i + 1), ST_ERANGE);
  }
}
END_TEST

/* Values computed once from the splitmix64 finalizer (and cross-checked
 * with an independent script); a change here silently re-homes every row
 * and breaks mixed-version clusters, so it must be deliberate. */
START_TEST(test_tbl_shard_fixed) {
  static const uint32_t cases[][4] = {
      {0u, 0u, 4u, 0u},
      {0u, 1u, 4u, 1u},
      {1u, 0u, 4u, 3u},
      {7u, 12345u, 16u, 2u},
      {4294967295u, 4294967295u, 1000u, 67u},
      {3u, 99u, 7u, 6u},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_uint_eq(tbl_shard(cases[i][0], cases[i][1], cases[i][2]), cases[i][3]);
  ck_assert_uint_eq(tbl_shard(5, 5, 0), 0);
  ck_assert_uint_eq(tbl_shard(5, 5, 1), 0);
  ck_assert_uint_eq(tbl_key(1, 2), (1ull << 32) | 2);
}
END_TEST

START_TEST(test_tbl_shard_uniform) {
  uint32_t count[4] = {0};
  for (uint32_t r = 0; r < 10000; r++) {
    uint32_t s = tbl_shard(1, r, 4);
    ck_assert_uint_lt(s, 4);
    ck_assert_uint_eq(s, tbl_shard(1, r, 4)); /* deterministic */
    count[s]++;
  }
  for (int s = 0; s < 4; s++) {
    ck_assert_msg(count[s] >= 2250 && count[s] <= 2750, "shard %d got %u of 10000", s, count[s]);
  }
  /* Different tables place the same row index independently. */
  uint32_t differ = 0;
  for (uint32_t r = 0; r < 1000; r++) differ += tbl_shard(1, r, 4) != tbl_shard(2, r, 4);
  ck_assert_uint_gt(differ, 500);
}
END_TEST

START_TEST(test_cfg_check) {
  st_config c = {.nclients = 4, .nservers = 2, .workers_per_client = 3, .server_base = 0};
  ck_assert_int_eq(cfg_check(&c), 0);
  ck_assert_uint_eq(cfg_nodes(&c), 4);
  c.server_base = 4; /* dedicated server nodes 4, 5 */
  ck_assert_uint_eq(cfg_nodes(&c), 6);
  ck_assert_uint_eq(cfg_server_node(&c, 1), 5);
  ck_assert_uint_eq(cfg_client_node(&c, 3), 3);
  c.server_base = 1; /* shards on nodes 1, 2 */
  ck_assert_uint_eq(cfg_nodes(&c), 4);

  st_config bad = c;
  bad.nclients = 0;
  ck_assert_int_eq(cfg_check(&bad), ST_EINVAL);
  bad = c;
  bad.nservers = 0;
  ck_assert_int_eq(cfg_check(&bad), ST_EINVAL);
  bad = c;
  bad.workers_per_client = 0;
  ck_assert_int_eq(cfg_check(&bad), ST_EINVAL);
  bad = c;
  bad.server_base = UINT32_MAX - 1; /* shard 1 would be node 2^32 */
  ck_assert_int_eq(cfg_check(&bad), ST_EINVAL);
  bad.server_base = UINT32_MAX - 2; /* last node id UINT32_MAX - 1: fits */
  ck_assert_int_eq(cfg_check(&bad), 0);
  ck_assert_uint_eq(cfg_nodes(&bad), UINT32_MAX);
  bad = c;
  bad.nclients = UINT32_MAX;
  ck_assert_int_eq(cfg_check(&bad), 0);
  ck_assert_uint_eq(cfg_nodes(&bad), UINT32_MAX);
}
END_TEST

START_TEST(test_cfg_parse_staleness) {
  static const struct {
    const char *s;
    int rc;
    uint32_t want;
  } cases[] = {
      {"0", 0, 0},
      {"1", 0, 1},
      {"3", 0, 3},
      {"007", 0, 7},
      {"4294967294", 0, 4294967294u},
      {"inf", 0, ST_STALENESS_INF},
      {"", ST_EPARSE, 0},
      {"4294967295", ST_EPARSE, 0}, /* would alias inf */
      {"4294967296", ST_EPARSE, 0},
      {"99999999999999999999999", ST_EPARSE, 0},
      {"-1", ST_EPARSE, 0},
      {"+1", ST_EPARSE, 0},
      {" 1", ST_EPARSE, 0},
      {"1 ", ST_EPARSE, 0},
      {"1x", ST_EPARSE, 0},
      {"0x10", ST_EPARSE, 0},
      {"1.5", ST_EPARSE, 0},
      {"in", ST_EPARSE, 0},
      {"infinity", ST_EPARSE, 0},
      {"INF", ST_EPARSE, 0},
      {"inf ", ST_EPARSE, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t out = 12345;
    int rc = cfg_parse_staleness(cases[i].s, &out);
    ck_assert_msg(rc == cases[i].rc, "'%s': rc %d, want %d", cases[i].s, rc, cases[i].rc);
    if (rc == 0)
      ck_assert_msg(out == cases[i].want, "'%s': got %u, want %u", cases[i].s, out, cases[i].want);
    else
      ck_assert_msg(out == 12345, "'%s': output written on error", cases[i].s);
  }
  uint32_t out;
  ck_assert_int_eq(cfg_parse_staleness(NULL, &out), ST_EPARSE);
}
END_TEST

START_TEST(test_strerror_distinct) {
#define CODE(name, value, text) ST_##name,
  const int codes[] = {ST_OK, ST_WAIT, ST_ERRNO_MAP(CODE)};
#undef CODE
  const size_t n = sizeof codes / sizeof codes[0];
  const char *unknown = st_strerror(-1000);
  ck_assert_str_eq(unknown, "unknown error");
  ck_assert_str_eq(st_strerror(2), "unknown error");
  ck_assert_str_eq(st_strerror(-100), "unknown error");
  ck_assert_str_eq(st_err_name(-100), "ST_UNKNOWN");
  ck_assert_str_eq(st_err_name(ST_EIO), "ST_EIO");
  ck_assert_str_eq(st_err_name(ST_ENOMEM), "ST_ENOMEM");
  /* File I/O is not a send failure (it once was reported as one). */
  ck_assert_str_ne(st_strerror(ST_EIO), st_strerror(ST_ESEND));
  for (size_t i = 0; i < n; i++) {
    const char *m = st_strerror(codes[i]);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_gt(strlen(m), 0);
    ck_assert_str_ne(m, unknown);
    ck_assert_str_ne(st_err_name(codes[i]), "ST_UNKNOWN");
    for (size_t j = 0; j < i; j++) {
      ck_assert_int_ne(codes[i], codes[j]);
      ck_assert_str_ne(m, st_strerror(codes[j]));
      ck_assert_str_ne(st_err_name(codes[i]), st_err_name(codes[j]));
    }
  }
}
END_TEST

/* Orders by key, then by original position: what a stable sort must give. */
static int cmp_key_then_pos(const void *a, const void *b) {
  const sort_pair *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  uintptr_t px = (uintptr_t)x->val, py = (uintptr_t)y->val;
  return px < py ? -1 : px > py;
}

/* Keys drawn from several shapes (one table's rows, many tables, all 64
 * bits, many duplicates) so that every byte position is sorted or skipped
 * somewhere; val records the original position to check stability. */
/* Random puts, deletes and gets against a plain array, over few distinct
 * keys (long probe runs that wrap around the end of the slots) and spread
 * keys; after every step each key is found exactly when it should be. */
START_TEST(test_hmap_delete_matches_reference) {
  enum { NKEYS = 300, STEPS = 40000 };
  static uintptr_t want[NKEYS];
  memset(want, 0, sizeof want);
  hmap m = {0};
  uint64_t x = 88172645463325252ull;
  size_t live = 0;
  for (int step = 0; step < STEPS; step++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint32_t k = (uint32_t)(x % NKEYS);
    uint64_t key = (k % 2) ? (uint64_t)k * 0x9e3779b97f4a7c15ull : k; /* dense and spread */
    if ((x >> 32) % 3 == 0) {
      void *v = hmap_del(&m, key);
      ck_assert_ptr_eq(v, (void *)want[k]);
      if (want[k]) live--;
      want[k] = 0;
    } else {
      uintptr_t v = (uintptr_t)step + 1;
      ck_assert_int_eq(hmap_put(&m, key, (void *)v), 0);
      if (!want[k]) live++;
      want[k] = v;
    }
    ck_assert_uint_eq(m.len, live);
    if (step % 97 == 0)
      for (uint32_t j = 0; j < NKEYS; j++) {
        uint64_t kj = (j % 2) ? (uint64_t)j * 0x9e3779b97f4a7c15ull : j;
        ck_assert_ptr_eq(hmap_get(&m, kj), (void *)want[j]);
      }
  }
  ck_assert_ptr_null(hmap_del(&m, 123456789));
  hmap_free(&m);
  ck_assert_ptr_null(hmap_del(&m, 1)); /* an empty map */
}
END_TEST

START_TEST(test_sort_pairs_stable) {
  uint64_t x = 88172645463325252ull;
  for (int round = 0; round < 200; round++) {
    size_t n = (size_t)(round % 50) * (round % 7 + 1);
    sort_pair *a = malloc((n + 1) * sizeof *a), *tmp = malloc((n + 1) * sizeof *tmp),
              *want = malloc((n + 1) * sizeof *want);
    for (size_t i = 0; i < n; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      uint64_t k;
      switch (round % 4) {
      case 0: k = tbl_key(3, (uint32_t)(x % 5000)); break;
      case 1: k = tbl_key((uint32_t)(x % 4), (uint32_t)(x >> 40)); break;
      case 2: k = x; break;
      default: k = x % 3; break;
      }
      a[i] = (sort_pair){k, (void *)(uintptr_t)(i + 1)};
    }
    memcpy(want, a, n * sizeof *a);
    qsort(want, n, sizeof *want, cmp_key_then_pos);
    sort_pairs(a, tmp, n);
    for (size_t i = 0; i < n; i++) {
      ck_assert_uint_eq(a[i].key, want[i].key);
      ck_assert_ptr_eq(a[i].val, want[i].val);
    }
    free(a);
    free(tmp);
    free(want);
  }
}
END_TEST

/* Random sets, dense adds and sorted merges on a sparse row give exactly
 * the floats of a dense row under the same additions; entries summing to
 * zero disappear and the row's room follows its non-zeros. */
START_TEST(test_srow_matches_dense) {
  enum { W = 37 };
  uint64_t x = 99;
#define RND(n) ((uint32_t)((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 33) % (n))
  tbl_srow r = {0}, tmp = {0};
  float ref[W] = {0}, out[W], scratch[W], delta[W];
  uint32_t cols[W];
  float vals[W];
  for (int step = 0; step < 20000; step++) {
    int op = (int)RND(3);
    if (op == 0 && RND(50) == 0) { /* occasionally reset */
      for (uint32_t i = 0; i < W; i++) delta[i] = RND(4) == 0 ? (float)((int)RND(5) - 2) * 0.5f : 0.0f;
      if (tbl_srow_set(&r, delta, W)) ck_abort_msg("set failed");
      memcpy(ref, delta, sizeof ref);
    } else if (op <= 1) {
      for (uint32_t i = 0; i < W; i++) delta[i] = RND(6) == 0 ? (float)((int)RND(5) - 2) * 0.25f : 0.0f;
      if (tbl_srow_add(&r, delta, W, scratch)) ck_abort_msg("add failed");
      for (uint32_t i = 0; i < W; i++) ref[i] += delta[i];
    } else {
      uint32_t n = 0;
      for (uint32_t c = 0; c < W; c++)
        if (RND(5) == 0) {
          cols[n] = c;
          vals[n++] = (float)((int)RND(7) - 3) * 0.125f; /* explicit zeros too */
        }
      if (tbl_srow_merge(&r, cols, vals, n, &tmp)) ck_abort_msg("merge failed");
      for (uint32_t i = 0; i < n; i++) ref[cols[i]] += vals[i];
    }
    tbl_srow_dense(&r, out, W);
    uint32_t nnz = 0;
    for (uint32_t i = 0; i < W; i++) {
      if (out[i] != ref[i]) ck_abort_msg("step %d column %u: %g, dense %g", step, i, out[i], ref[i]);
      nnz += ref[i] != 0.0f;
    }
    int ok = r.n == nnz && r.cap <= 2 * r.n + 16;
    for (uint32_t i = 0; i < r.n; i++) ok &= r.vals[i] != 0.0f && (i == 0 || r.cols[i - 1] < r.cols[i]);
    if (!ok) ck_abort_msg("step %d: %u entries (want %u), room %u, not sorted or a zero kept", step, r.n, nnz, r.cap);
  }
  /* unsorted or repeated columns are refused and change nothing */
  float before[W];
  tbl_srow_dense(&r, before, W);
  uint32_t bad[3] = {4, 2, 9};
  float bv[3] = {1, 1, 1};
  ck_assert_int_eq(tbl_srow_merge(&r, bad, bv, 3, &tmp), ST_EINVAL);
  bad[1] = 4;
  ck_assert_int_eq(tbl_srow_merge(&r, bad, bv, 2, &tmp), ST_EINVAL);
  tbl_srow_dense(&r, out, W);
  ck_assert_mem_eq(out, before, sizeof out);
  /* scatter adds the entries */
  float acc[W];
  memset(acc, 0, sizeof acc);
  tbl_srow_scatter_add(&r, acc);
  tbl_srow_scatter_add(&r, acc);
  for (uint32_t i = 0; i < W; i++) ck_assert(acc[i] == before[i] + before[i]);
  /* back to empty: no entries */
  for (uint32_t i = 0; i < W; i++) delta[i] = -before[i];
  ck_assert_int_eq(tbl_srow_add(&r, delta, W, scratch), 0);
  ck_assert_uint_eq(r.n, 0);
  ck_assert_uint_le(r.cap, 16);
  tbl_srow_free(&r);
  tbl_srow_free(&tmp);
  ck_assert_ptr_null(r.cols);
#undef RND
}
END_TEST

static Suite *tbl_suite(void) {
  Suite *s = suite_create("tbl");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_tbl_add_find);
  tcase_add_test(tc, test_tbl_full);
  tcase_add_test(tc, test_tbl_shard_fixed);
  tcase_add_test(tc, test_tbl_shard_uniform);
  tcase_add_test(tc, test_cfg_check);
  tcase_add_test(tc, test_cfg_parse_staleness);
  tcase_add_test(tc, test_strerror_distinct);
  tcase_add_test(tc, test_sort_pairs_stable);
  tcase_add_test(tc, test_srow_matches_dense);
  tcase_add_test(tc, test_hmap_delete_matches_reference);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tbl_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
