/* test_mf.c: the MF app's pieces that need no backend: the ratings loader
 * (formats, id remapping, errors naming file and line), the seeded
 * generator and its command, the held-out split, the SGD and RMSE
 * arithmetic, options, the app's load/tables/objective, the registry, and
 * whole runs of the app's workers through the real core (client, shards,
 * wire) on the deterministic in-memory backend of tests/mem_backend.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "mem_backend.h"
#include "mf/gen.h"
#include "mf/mf.h"
#include "mf/model.h"
#include "mf/ratings.h"

/* Writes text to a fresh temporary file; returns its path in path[64]. */
static void write_temp(char *path, const char *text) {
  strcpy(path, "/tmp/test_mf_XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  size_t len = strlen(text);
  ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
  close(fd);
}

/* Loads text from a temporary file; returns the code, message in err. */
static int load_text(const char *text, mf_ratings *r, char *path, char *err, size_t errlen) {
  write_temp(path, text);
  int rc = mf_ratings_load(path, r, err, errlen);
  return rc;
}

/* The message names path and line, as "path:line: ...". */
static void assert_names_line(const char *err, const char *path, int line) {
  char want[128];
  snprintf(want, sizeof want, "%s:%d: ", path, line);
  ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "message '%s' does not start with '%s'", err,
                want);
}

START_TEST(test_load_errors) {
  char path[64], err[256];
  mf_ratings r;
  struct {
    const char *text, *what;
    int line;
  } cases[] = {
      {"1\t2\t3\n4\t5\t4.5\n7\t8\tgood\n", "rating 'good' is not a number", 3},
      {"1\t2\t3\n4\t5\n", "missing field", 2},
      {"1,2,3.5\n1,3\n", "missing field", 2},
      {"1::2::3::9\n1::3::abc::9\n", "rating 'abc' is not a number", 2},
      {"1 2 3\n\n1 2 nan\n", "not finite", 3},
      {"1 2 inf\n", "not finite", 1},
      {"1 2 1e99\n", "not finite", 1},
      {"1 2 3\n1 3 -2e6\n", "'-2e6' is out of range", 2},
      {"x 2 3\n", "user id 'x' is not an integer", 1},
      {"1 2.5 3\n", "item id '2.5' is not an integer", 1},
      {"1 2 3 4 5\n", "too many fields", 1},
      {"1 2 3 t\n", "timestamp 't' is not an integer", 1},
      {"", "empty file", 1},
      {"# only a comment\n\n", "empty file", 2},
      {"userId,movieId,rating,timestamp\n", "empty file", 1},
      {"userId,movieId,rating\nuserId,movieId,rating\n", "user id 'userId'", 2},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int rc = load_text(cases[c].text, &r, path, err, sizeof err);
    ck_assert_int_eq(rc, ST_EPARSE);
    assert_names_line(err, path, cases[c].line);
    ck_assert_msg(strstr(err, cases[c].what), "case %zu: '%s' lacks '%s'", c, err, cases[c].what);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_ptr_null(r.user);
    unlink(path);
  }
  /* A file that cannot be opened: "path: strerror". */
  int rc = mf_ratings_load("/nonexistent/dir/u.data", &r, err, sizeof err);
  ck_assert_int_eq(rc, ST_EINVAL);
  ck_assert_str_eq(err, "/nonexistent/dir/u.data: No such file or directory");
  ck_assert_uint_eq(r.n, 0);
  /* A directory opens but cannot be read. */
  rc = mf_ratings_load("/tmp", &r, err, sizeof err);
  ck_assert_int_eq(rc, ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "/tmp"));
  /* A tiny buffer is never overrun and stays terminated. */
  char tiny[8];
  rc = load_text("1 2 x\n", &r, path, tiny, sizeof tiny);
  ck_assert_int_eq(rc, ST_EPARSE);
  ck_assert_uint_eq(strlen(tiny), sizeof tiny - 1);
  unlink(path);
}
END_TEST

static void assert_same_set(const mf_ratings *a, const mf_ratings *b) {
  ck_assert_uint_eq(a->n, b->n);
  ck_assert_uint_eq(a->nusers, b->nusers);
  ck_assert_uint_eq(a->nitems, b->nitems);
  for (size_t k = 0; k < a->n; k++) {
    ck_assert_uint_eq(a->user[k], b->user[k]);
    ck_assert_uint_eq(a->item[k], b->item[k]);
    ck_assert_float_eq(a->rating[k], b->rating[k]);
  }
  for (uint32_t u = 0; u < a->nusers; u++) ck_assert_int_eq(a->user_ids[u], b->user_ids[u]);
  for (uint32_t i = 0; i < a->nitems; i++) ck_assert_int_eq(a->item_ids[i], b->item_ids[i]);
}

START_TEST(test_formats_agree) {
  /* (with the byte order mark an editor or spreadsheet may start a file with) */
  const char *udata =
      "\xEF\xBB\xBF" "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
      "196\t377\t4.5\t891628467\n";
  const char *csv =
      "userId,movieId,rating,timestamp\r\n196,242,3.0,881250949\r\n"
      "186,302,3.0,891717742\r\n22,377,1.0,878887116\r\n196, 377 ,4.5,891628467\r\n";
  const char *dat =
      "196::242::3::881250949\n186::302::3::891717742\n\n"
      "22::377::1::878887116\n196::377::4.5::891628467\n";
  const char *spaces = "# generated\n196 242 3\n  186   302 3\n22\t377 1\n196 377 4.5\n";
  const char *texts[] = {udata, csv, dat, spaces};
  mf_ratings sets[4];
  char path[64], err[256];
  for (int t = 0; t < 4; t++) {
    ck_assert_msg(load_text(texts[t], &sets[t], path, err, sizeof err) == 0, "%d: %s", t, err);
    unlink(path);
  }
  ck_assert_uint_eq(sets[0].n, 4);
  for (int t = 1; t < 4; t++) assert_same_set(&sets[0], &sets[t]);
  for (int t = 0; t < 4; t++) mf_ratings_free(&sets[t]);
}
END_TEST

START_TEST(test_id_remap) {
  char path[64], err[256];
  mf_ratings r;
  ck_assert_int_eq(
      load_text("100 9 1\n7 5 2\n100 5 3\n42 -3 4\n7 9 5\n", &r, path, err, sizeof err), 0);
  unlink(path);
  ck_assert_uint_eq(r.n, 5);
  ck_assert_uint_eq(r.nusers, 3);
  ck_assert_uint_eq(r.nitems, 3);
  uint32_t want_user[] = {0, 1, 0, 2, 1}, want_item[] = {0, 1, 1, 2, 0};
  for (size_t k = 0; k < 5; k++) {
    ck_assert_uint_eq(r.user[k], want_user[k]);
    ck_assert_uint_eq(r.item[k], want_item[k]);
    ck_assert_float_eq(r.rating[k], (float)(k + 1));
  }
  ck_assert_int_eq(r.user_ids[0], 100);
  ck_assert_int_eq(r.user_ids[1], 7);
  ck_assert_int_eq(r.user_ids[2], 42);
  ck_assert_int_eq(r.item_ids[0], 9);
  ck_assert_int_eq(r.item_ids[1], 5);
  ck_assert_int_eq(r.item_ids[2], -3);
  mf_ratings_free(&r);

  /* Many distinct ids exercise the map's growth. */
  mf_ratings big;
  mf_ratings_init(&big);
  char *text = malloc(5000 * 24);
  size_t len = 0;
  for (int k = 0; k < 5000; k++)
    len += (size_t)sprintf(text + len, "%d %d 3\n", 1000000 - k, k % 700);
  ck_assert_int_eq(load_text(text, &big, path, err, sizeof err), 0);
  unlink(path);
  free(text);
  ck_assert_uint_eq(big.nusers, 5000);
  ck_assert_uint_eq(big.nitems, 700);
  for (uint32_t u = 0; u < 5000; u++) ck_assert_int_eq(big.user_ids[u], 1000000 - (int64_t)u);
  mf_ratings_free(&big);
}
END_TEST

static mf_gen_params small_params(uint64_t seed) {
  mf_gen_params p = {.users = 200, .items = 300, .rank = 5, .ratings = 8000, .seed = seed};
  return p;
}

START_TEST(test_gen_deterministic) {
  mf_ratings a, b, c;
  char err[256];
  mf_gen_params p = small_params(11);
  ck_assert_int_eq(mf_generate(&p, &a, err, sizeof err), 0);
  ck_assert_int_eq(mf_generate(&p, &b, err, sizeof err), 0);
  assert_same_set(&a, &b);
  p.seed = 12;
  ck_assert_int_eq(mf_generate(&p, &c, err, sizeof err), 0);
  ck_assert_uint_eq(c.n, a.n);
  size_t differ = 0;
  for (size_t k = 0; k < a.n; k++)
    differ += a.user[k] != c.user[k] || a.item[k] != c.item[k] || a.rating[k] != c.rating[k];
  ck_assert_msg(differ > a.n / 2, "only %zu of %zu ratings differ between seeds", differ, a.n);
  mf_ratings_free(&a);
  mf_ratings_free(&b);
  mf_ratings_free(&c);
}
END_TEST

static int cmp_u32_desc(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x < y) - (x > y);
}

START_TEST(test_gen_stats) {
  mf_ratings r;
  char err[256];
  mf_gen_params p = mf_gen_defaults();
  p.seed = 5;
  ck_assert_int_eq(mf_generate(&p, &r, err, sizeof err), 0);
  ck_assert_uint_eq(r.n, 100000);
  ck_assert_uint_eq(r.nusers, 943);
  ck_assert_uint_eq(r.nitems, 1682);
  double sum = 0.0;
  uint8_t *seen = calloc((size_t)r.nusers * r.nitems, 1);
  uint32_t *per_item = calloc(r.nitems, sizeof *per_item);
  uint32_t *per_user = calloc(r.nusers, sizeof *per_user);
  for (size_t k = 0; k < r.n; k++) {
    float v = r.rating[k];
    ck_assert(v >= 1.0f && v <= 5.0f);
    ck_assert_float_eq(v * 2.0f, floorf(v * 2.0f)); /* 0.5 steps */
    sum += v;
    size_t pair = (size_t)r.user[k] * r.nitems + r.item[k];
    ck_assert_msg(!seen[pair], "pair rated twice");
    seen[pair] = 1;
    per_item[r.item[k]]++;
    per_user[r.user[k]]++;
  }
  double mean = sum / (double)r.n;
  ck_assert_msg(mean > 3.0 && mean < 4.0, "mean rating %f", mean);
  /* MovieLens keeps users with >= 20 ratings; popularity is skewed: the top
   * 10% of items take well over a uniform 10% of the ratings. */
  for (uint32_t u = 0; u < r.nusers; u++) ck_assert_uint_ge(per_user[u], 20);
  qsort(per_item, r.nitems, sizeof *per_item, cmp_u32_desc);
  uint64_t top = 0;
  for (uint32_t i = 0; i < r.nitems / 10; i++) top += per_item[i];
  ck_assert_msg(top > r.n / 4, "top 10%% of items hold only %llu ratings", (unsigned long long)top);
  free(seen);
  free(per_item);
  free(per_user);
  mf_ratings_free(&r);
}
END_TEST

START_TEST(test_gen_bad_params) {
  mf_ratings r;
  char err[256];
  mf_gen_params p = small_params(1);
  p.ratings = (uint64_t)p.users * p.items; /* denser than the generator allows */
  ck_assert_int_eq(mf_generate(&p, &r, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "ratings must be at most"));
  ck_assert_uint_eq(r.n, 0);
  p = small_params(1);
  p.rank = 0;
  ck_assert_int_eq(mf_gen_check(&p, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "rank"));
  p = small_params(1);
  p.users = 0;
  ck_assert_int_eq(mf_gen_check(&p, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "users"));
}
END_TEST

START_TEST(test_gen_main_roundtrip) {
  char path[64];
  write_temp(path, "");
  char *argv[] = {"gen-ratings", "--users", "60", "--items=90", "--ratings", "900", "--rank",
                  "3",           "--seed",  "99", "--out",      path,        NULL};
  ck_assert_int_eq(mf_gen_main(12, argv), 0);
  mf_ratings loaded, gen;
  char err[256];
  ck_assert_msg(mf_ratings_load(path, &loaded, err, sizeof err) == 0, "%s", err);
  mf_gen_params p = {.users = 60, .items = 90, .ratings = 900, .rank = 3, .seed = 99};
  ck_assert_int_eq(mf_generate(&p, &gen, err, sizeof err), 0);
  ck_assert_uint_eq(loaded.n, gen.n);
  for (size_t k = 0; k < gen.n; k++) {
    /* the file has 1-based ids; the loader keeps them as original ids */
    ck_assert_int_eq(loaded.user_ids[loaded.user[k]], (int64_t)gen.user[k] + 1);
    ck_assert_int_eq(loaded.item_ids[loaded.item[k]], (int64_t)gen.item[k] + 1);
    ck_assert_float_eq(loaded.rating[k], gen.rating[k]);
  }
  mf_ratings_free(&loaded);
  mf_ratings_free(&gen);
  unlink(path);

  char *bad1[] = {"gen-ratings", "--users", "-5", "--out", path, NULL};
  char *bad2[] = {"gen-ratings", "--rank", "0", "--out", path, NULL};
  char *bad3[] = {"gen-ratings", "--colour", "red", NULL};
  char *bad4[] = {"gen-ratings", "--users", "10", NULL}; /* no --out */
  char *bad5[] = {"gen-ratings", "--users", "2",     "--items", "2",
                  "--ratings",   "3",       "--out", path,      NULL};
  char *bad6[] = {"gen-ratings", "--seed", NULL};
  ck_assert_int_eq(mf_gen_main(5, bad1), 2);
  ck_assert_int_eq(mf_gen_main(5, bad2), 2);
  ck_assert_int_eq(mf_gen_main(3, bad3), 2);
  ck_assert_int_eq(mf_gen_main(3, bad4), 2);
  ck_assert_int_eq(mf_gen_main(9, bad5), 2);
  ck_assert_int_eq(mf_gen_main(2, bad6), 2);
  ck_assert_int_eq(access(path, F_OK), -1); /* nothing written on a bad command line */
  char *unwritable[] = {"gen-ratings", "--out", "/nonexistent/dir/x.tsv", NULL};
  ck_assert_int_eq(mf_gen_main(3, unwritable), 1);
}
END_TEST

START_TEST(test_shipped_sample) {
  /* data/sample.tsv is what its README's command makes. */
  mf_ratings file, gen;
  char err[256];
  ck_assert_msg(mf_ratings_load(MF_DATA_DIR "/sample.tsv", &file, err, sizeof err) == 0, "%s", err);
  mf_gen_params p = {.users = 50, .items = 80, .ratings = 1000, .rank = 4, .seed = 7};
  ck_assert_int_eq(mf_generate(&p, &gen, err, sizeof err), 0);
  ck_assert_uint_eq(file.n, gen.n);
  for (size_t k = 0; k < gen.n; k++) {
    ck_assert_int_eq(file.user_ids[file.user[k]], (int64_t)gen.user[k] + 1);
    ck_assert_int_eq(file.item_ids[file.item[k]], (int64_t)gen.item[k] + 1);
    ck_assert_float_eq(file.rating[k], gen.rating[k]);
  }
  mf_ratings_free(&file);
  mf_ratings_free(&gen);
}
END_TEST

START_TEST(test_split) {
  mf_ratings r;
  char err[256];
  mf_gen_params p = small_params(3);
  ck_assert_int_eq(mf_generate(&p, &r, err, sizeof err), 0);
  /* a user with a single rating keeps it in train */
  ck_assert_int_eq(mf_ratings_push(&r, p.users, 0, 4.0f), 0);
  uint8_t *a = malloc(r.n), *b = malloc(r.n), *c = malloc(r.n);
  ck_assert_int_eq(mf_ratings_split(&r, 77, 0.1, a), 0);
  ck_assert_int_eq(mf_ratings_split(&r, 77, 0.1, b), 0);
  ck_assert_int_eq(mf_ratings_split(&r, 78, 0.1, c), 0);
  ck_assert_mem_eq(a, b, r.n);
  size_t ntest = 0, differ = 0;
  for (size_t k = 0; k < r.n; k++) {
    ntest += a[k];
    differ += a[k] != c[k];
  }
  ck_assert_msg(differ > 0, "split does not depend on the seed");
  ck_assert_msg(ntest > r.n * 8 / 100 && ntest < r.n * 12 / 100, "%zu test of %zu", ntest, r.n);
  ck_assert_uint_eq(a[r.n - 1], 0);
  /* every user keeps training ratings and, having >= 2, gives a test one */
  uint32_t *train = calloc(r.nusers, sizeof *train), *test = calloc(r.nusers, sizeof *test);
  for (size_t k = 0; k < r.n; k++) (a[k] ? test : train)[r.user[k]]++;
  for (uint32_t u = 0; u < r.nusers; u++) {
    ck_assert_uint_ge(train[u], 1);
    if (train[u] + test[u] >= 2) ck_assert_uint_ge(test[u], 1);
  }
  ck_assert_int_eq(mf_ratings_split(&r, 77, 1.0, a), ST_EINVAL);
  ck_assert_int_eq(mf_ratings_split(&r, 77, -0.1, a), ST_EINVAL);
  free(train);
  free(test);
  free(a);
  free(b);
  free(c);
  mf_ratings_free(&r);
}
END_TEST

START_TEST(test_sgd_update_by_hand) {
  /* u=(1,2) v=(0.5,-1) r=4 mu=3 lr=0.1 reg=0.5:
   * pred = 3 + 0.5 - 2 = 1.5, e = 2.5
   * gu = 2.5*(0.5,-1) - 0.5*(1,2) = (0.75, -3.5)  -> u = (1.075, 1.65)
   * gv = 2.5*(1,2) - 0.5*(0.5,-1) = (2.25, 5.5)   -> v = (0.725, -0.45)
   * dv (from (1,1)) += 0.1*gv = (1.225, 1.55) */
  float u[2] = {1.0f, 2.0f}, v[2] = {0.5f, -1.0f}, dv[2] = {1.0f, 1.0f};
  float e = mf_sgd_update(u, v, dv, 2, 4.0f, 3.0f, 0.1f, 0.5f);
  ck_assert_float_eq_tol(e, 2.5f, 1e-6f);
  ck_assert_float_eq_tol(u[0], 1.075f, 1e-6f);
  ck_assert_float_eq_tol(u[1], 1.65f, 1e-6f);
  ck_assert_float_eq_tol(v[0], 0.725f, 1e-6f);
  ck_assert_float_eq_tol(v[1], -0.45f, 1e-6f);
  ck_assert_float_eq_tol(dv[0], 1.225f, 1e-6f);
  ck_assert_float_eq_tol(dv[1], 1.55f, 1e-6f);
  ck_assert_float_eq_tol(mf_predict(u, v, 2, 3.0f), 3.0f + 1.075f * 0.725f - 1.65f * 0.45f, 1e-6f);
}
END_TEST

/* Sequential SGD with the app's arithmetic on generated data must beat
 * predicting the mean on held-out ratings: the pieces fit together. */
START_TEST(test_sgd_learns) {
  mf_ratings r;
  char err[256];
  mf_gen_params p = {.users = 300, .items = 400, .rank = 4, .ratings = 24000, .seed = 21};
  ck_assert_int_eq(mf_generate(&p, &r, err, sizeof err), 0);
  uint8_t *is_test = malloc(r.n);
  ck_assert_int_eq(mf_ratings_split(&r, 21, 0.1, is_test), 0);
  double sum = 0.0;
  size_t ntrain = 0;
  for (size_t k = 0; k < r.n; k++)
    if (!is_test[k]) sum += r.rating[k], ntrain++;
  float mu = (float)(sum / (double)ntrain);
  const uint32_t k = 8;
  float *U = malloc((size_t)r.nusers * k * sizeof *U),
        *V = malloc((size_t)r.nitems * k * sizeof *V);
  for (uint32_t u = 0; u < r.nusers; u++) mf_init_factor(21, 'u', u, k, U + (size_t)u * k);
  for (uint32_t i = 0; i < r.nitems; i++) mf_init_factor(21, 'i', i, k, V + (size_t)i * k);
  float row0[APP_METRICS_WIDTH] = {0}, row[APP_METRICS_WIDTH] = {0};
  for (size_t t = 0; t < r.n; t++)
    if (is_test[t]) {
      double e = r.rating[t] - mu;
      row0[0] += (float)(e * e);
      row0[1] += 1.0f;
    }
  for (int epoch = 0; epoch < 30; epoch++)
    for (size_t t = 0; t < r.n; t++)
      if (!is_test[t])
        mf_sgd_update(U + (size_t)r.user[t] * k, V + (size_t)r.item[t] * k, NULL, k, r.rating[t],
                      mu, 0.02f, 0.05f);
  for (size_t t = 0; t < r.n; t++)
    if (is_test[t]) {
      double e =
          r.rating[t] - mf_predict(U + (size_t)r.user[t] * k, V + (size_t)r.item[t] * k, k, mu);
      row[0] += (float)(e * e);
      row[1] += 1.0f;
    }
  double base = mf_rmse(row0), fit = mf_rmse(row);
  ck_assert_msg(fit < base - 0.1, "test rmse %f, mean-only %f", fit, base);
  free(U);
  free(V);
  free(is_test);
  mf_ratings_free(&r);
}
END_TEST

START_TEST(test_init_factor) {
  float a[6], b[6], c[6], d[6];
  mf_init_factor(1, 'i', 5, 6, a);
  mf_init_factor(1, 'i', 5, 6, b);
  mf_init_factor(1, 'i', 6, 6, c);
  mf_init_factor(1, 'u', 5, 6, d);
  ck_assert_mem_eq(a, b, sizeof a);
  ck_assert_int_ne(memcmp(a, c, sizeof a), 0);
  ck_assert_int_ne(memcmp(a, d, sizeof a), 0);
  for (int j = 0; j < 6; j++) ck_assert(a[j] > -0.1f && a[j] < 0.1f);
}
END_TEST

START_TEST(test_rmse) {
  float row[APP_METRICS_WIDTH] = {8.0f, 2.0f, 1.0f, 4.0f};
  ck_assert_double_eq_tol(mf_rmse(row), 2.0, 1e-12);
  ck_assert_double_eq_tol(mf_app.objective(NULL, row), 2.0, 1e-12);
  float none[APP_METRICS_WIDTH] = {0};
  ck_assert(isnan(mf_rmse(none)));
  ck_assert_str_eq(mf_app.objective_name, "rmse");
}
END_TEST

START_TEST(test_options) {
  mf_options o;
  char err[256];
  ck_assert_int_eq(mf_options_parse(NULL, &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.rank, 16);
  ck_assert_float_eq(o.lr, 0.2f);
  ck_assert_float_eq(o.reg, 0.05f);
  ck_assert_float_eq(o.batch, 1.0f);
  ck_assert_uint_eq(o.avg, 1);
  ck_assert_int_eq(mf_options_parse("rank=8,lr=0.02,reg=0,batch=0.25,avg=0", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.avg, 0);
  ck_assert_uint_eq(o.rank, 8);
  ck_assert_float_eq(o.lr, 0.02f);
  ck_assert_float_eq(o.reg, 0.0f);
  ck_assert_float_eq(o.batch, 0.25f);
  struct {
    const char *text, *what;
  } bad[] = {
      {"rank=8,alpha=1", "unknown key 'alpha'"},
      {"rank=0", "bad value '0' for 'rank'"},
      {"rank=2.5", "'rank'"},
      {"lr=-1", "'lr'"},
      {"lr=abc", "bad value 'abc'"},
      {"batch=65", "'batch'"},
      {"users=0", "'users'"},
      {"avg=2", "'avg'"},
      {"reg=-0.1", "'reg'"},
      {"rank=8,rank=9", "given twice"},
      {"rank", "not key=value"},
      {"rank=8,", "trailing"},
      {"lr=", "bad value"},
      {"lr=nan", "'lr'"},
  };
  for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
    o = mf_options_defaults();
    o.rank = 3;
    ck_assert_int_eq(mf_options_parse(bad[c].text, &o, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[c].what), "'%s': message '%s' lacks '%s'", bad[c].text, err,
                  bad[c].what);
    ck_assert_uint_eq(o.rank, 3); /* untouched on error */
  }
}
END_TEST

START_TEST(test_app_load_tables) {
  char path[64], err[256];
  write_temp(path, "userId,movieId,rating,timestamp\n1,10,4,0\n1,11,3,0\n2,10,5,0\n3,12,2,0\n");
  app_params p = {.data = path, .options = "rank=6", .seed = 4, .nworkers = 2, .clocks = 3};
  void *shared = NULL;
  ck_assert_msg(mf_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  tbl_set set = {0};
  ck_assert_int_eq(mf_app.tables(shared, &set), 0);
  const tbl_def *t = tbl_find(&set, MF_ITEM_TABLE);
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(t->rows, 3);
  ck_assert_uint_eq(t->width, 6);
  ck_assert_uint_eq(t->sparse, 0);
  mf_app.free(shared);

  /* errors pass through with the file and line, and options are checked */
  unlink(path);
  write_temp(path, "1 10 4\n1 11 three\n");
  p.options = NULL;
  ck_assert_int_eq(mf_app.load(&p, &shared, err, sizeof err), ST_EPARSE);
  assert_names_line(err, path, 2);
  ck_assert_ptr_null(shared);
  unlink(path);
  p.options = "rank=4,speed=9";
  ck_assert_int_eq(mf_app.load(&p, &shared, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "speed"));
  ck_assert_ptr_null(shared);
  /* one rating per user: nothing to hold out, so no RMSE to report */
  write_temp(path, "1 10 4\n2 11 3\n3 10 5\n");
  p.options = NULL;
  ck_assert_int_eq(mf_app.load(&p, &shared, err, sizeof err), ST_EPARSE);
  ck_assert_msg(strstr(err, "none can be held out") && strstr(err, path), "%s", err);
  ck_assert_ptr_null(shared);
  unlink(path);
  p.options = "rank=4,speed=9";

  /* no data file: the MovieLens-100k-sized generated set */
  p.data = NULL;
  p.options = NULL;
  ck_assert_msg(mf_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  set.n = 0;
  ck_assert_int_eq(mf_app.tables(shared, &set), 0);
  ck_assert_uint_eq(tbl_find(&set, MF_ITEM_TABLE)->rows, 1682);
  ck_assert_uint_eq(tbl_find(&set, MF_ITEM_TABLE)->width, 16);
  mf_app.free(shared);
}
END_TEST

START_TEST(test_registry) {
  ck_assert_ptr_eq(app_find("mf"), &mf_app);
  ck_assert_ptr_null(app_find("nope"));
  ck_assert_ptr_null(app_find(NULL));
  int found = 0;
  for (const app_ops *const *a = app_all(); *a; a++) {
    ck_assert_ptr_eq(app_find((*a)->name), *a);
    found += *a == &mf_app;
  }
  ck_assert_int_eq(found, 1);
}
END_TEST

/* ---- whole runs through the core on the in-memory backend ---- */

#define E2E_CLIENTS 2u
#define E2E_WPC 2u
#define E2E_CLOCKS 20u

typedef struct e2e_result {
  float metrics[E2E_CLOCKS][APP_METRICS_WIDTH]; /* rows complete under the bound */
  double charged;
  size_t ntest, ntrain;
  double mean_only_rmse;
} e2e_result;

/* What the app should see: its train/test counts and the RMSE of
 * predicting the training mean, from the public loader and split. */
static void e2e_expect(const char *path, uint64_t seed, e2e_result *res) {
  mf_ratings r;
  char err[256];
  ck_assert_msg(mf_ratings_load(path, &r, err, sizeof err) == 0, "%s", err);
  uint8_t *is_test = malloc(r.n);
  ck_assert_int_eq(mf_ratings_split(&r, seed, MF_TEST_FRACTION, is_test), 0);
  double sum = 0.0, sse = 0.0;
  res->ntest = res->ntrain = 0;
  for (size_t k = 0; k < r.n; k++)
    if (!is_test[k]) sum += r.rating[k], res->ntrain++;
  double mu = sum / (double)res->ntrain;
  for (size_t k = 0; k < r.n; k++)
    if (is_test[k]) sse += (r.rating[k] - mu) * (r.rating[k] - mu), res->ntest++;
  res->mean_only_rmse = sqrt(sse / (double)res->ntest);
  free(is_test);
  mf_ratings_free(&r);
}

/* Runs mf over a generated file with 2 clients x 2 workers and 2 shards,
 * round robin by clock (every worker finishes clock c before any starts
 * c + 1, so a blocked read is always served by frames in flight), then
 * reads the summed metrics rows back through the PS. */
static void e2e_run(uint64_t seed, uint32_t staleness, const char *options, e2e_result *res) {
  char path[64], err[256];
  write_temp(path, "");
  char *argv[] = {"gen-ratings", "--users", "200",    "--items", "150",   "--ratings", "6000",
                  "--rank",      "3",       "--seed", "5",       "--out", path,        NULL};
  ck_assert_int_eq(mf_gen_main(13, argv), 0);
  app_params p = {.data = path,
                  .options = options,
                  .seed = seed,
                  .nworkers = E2E_CLIENTS * E2E_WPC,
                  .clocks = E2E_CLOCKS};
  void *shared;
  ck_assert_msg(mf_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  e2e_expect(path, seed, res);
  unlink(path);

  tbl_set tables = {0};
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = E2E_CLOCKS, .width = APP_METRICS_WIDTH};
  ck_assert_int_eq(tbl_add(&tables, &metrics), 0);
  ck_assert_int_eq(mf_app.tables(shared, &tables), 0);
  st_config cfg = {.nclients = E2E_CLIENTS,
                   .nservers = 2,
                   .workers_per_client = E2E_WPC,
                   .server_base = E2E_CLIENTS,
                   .staleness = staleness};
  mem_opts mo = {.seed = seed, .max_delay = 3};
  mem_world *world = mem_create(&cfg, &tables, &mo);
  ck_assert_ptr_nonnull(world);

  ps_worker w[E2E_CLIENTS * E2E_WPC];
  void *ws[E2E_CLIENTS * E2E_WPC];
  for (uint32_t c = 0; c < E2E_CLIENTS; c++)
    for (uint32_t k = 0; k < E2E_WPC; k++) {
      uint32_t g = c * E2E_WPC + k;
      w[g] = (ps_worker){.client = mem_node(world, c)->client,
                         .be = mem_backend(world, c),
                         .id = k,
                         .client_index = c,
                         .nworkers = p.nworkers,
                         .global_index = g};
      ck_assert_int_eq(mf_app.worker_init(shared, &w[g], &ws[g]), 0);
    }
  for (st_clock_t clock = 0; clock < E2E_CLOCKS; clock++)
    for (uint32_t g = 0; g < p.nworkers; g++) {
      ck_assert_int_eq(mf_app.step(shared, ws[g], &w[g], clock), 0);
      ck_assert_int_eq(ps_clock(&w[g]), 0);
    }
  ck_assert_int_eq(mem_drain(world), 0);
  /* Worker 0 is at clock E2E_CLOCKS: rows of clocks < E2E_CLOCKS - s hold
   * every worker's terms. */
  memset(res->metrics, 0, sizeof res->metrics);
  for (st_clock_t clock = 0; clock + staleness < E2E_CLOCKS; clock++)
    ck_assert_int_eq(ps_get(&w[0], APP_METRICS_TABLE, clock, res->metrics[clock]), 0);
  ck_assert_int_eq(mem_error(world), 0);
  res->charged = 0.0;
  for (uint32_t c = 0; c < E2E_CLIENTS; c++) res->charged += mem_charged(world, c);
  for (uint32_t g = 0; g < p.nworkers; g++) mf_app.worker_free(shared, ws[g]);
  mem_destroy(world);
  mf_app.free(shared);
}

START_TEST(test_e2e_learns) {
  const uint32_t rank = 4;
  for (uint32_t s = 0; s <= 2; s += 2) {
    e2e_result res;
    e2e_run(31, s, "rank=4,lr=0.05,reg=0.05,batch=1", &res);
    uint32_t last = E2E_CLOCKS - 1 - s;
    for (uint32_t c = 0; c <= last; c++) {
      /* every worker added its terms exactly once */
      ck_assert_float_eq(res.metrics[c][1], (float)res.ntest);
      ck_assert_float_eq(res.metrics[c][3], (float)res.ntrain);
    }
    double first = mf_rmse(res.metrics[0]), end = mf_rmse(res.metrics[last]);
    ck_assert_msg(end < first && end < res.mean_only_rmse - 0.15,
                  "s=%u: rmse %f after clock 0, %f after clock %u, mean-only %f", s, first, end,
                  last, res.mean_only_rmse);
    double want =
        (double)E2E_CLOCKS * ((double)res.ntrain * rank * 6.0 + (double)res.ntest * rank * 2.0);
    ck_assert_double_eq_tol(res.charged, want, 1e-6 * want);
  }
}
END_TEST

START_TEST(test_e2e_batch) {
  /* batch=0.25: each worker visits ceil(ntrain_w / 4) ratings a clock. */
  e2e_result res;
  e2e_run(32, 1, "rank=4,lr=0.05,batch=0.25", &res);
  double quarter = (double)res.ntrain / 4.0;
  for (uint32_t c = 0; c + 1 < E2E_CLOCKS; c++) {
    ck_assert_float_eq(res.metrics[c][1], (float)res.ntest);
    ck_assert(res.metrics[c][3] >= quarter && res.metrics[c][3] < quarter + E2E_CLIENTS * E2E_WPC);
  }
  ck_assert(mf_rmse(res.metrics[E2E_CLOCKS - 2]) < mf_rmse(res.metrics[0]));
}
END_TEST

START_TEST(test_e2e_deterministic) {
  e2e_result a, b, c;
  e2e_run(40, 1, "rank=4,lr=0.05", &a);
  e2e_run(40, 1, "rank=4,lr=0.05", &b);
  e2e_run(41, 1, "rank=4,lr=0.05", &c);
  ck_assert_mem_eq(a.metrics, b.metrics, sizeof a.metrics);
  ck_assert_int_ne(memcmp(a.metrics, c.metrics, sizeof a.metrics), 0);
}
END_TEST

static Suite *mf_suite(void) {
  Suite *s = suite_create("mf");
  TCase *data = tcase_create("data");
  tcase_add_test(data, test_load_errors);
  tcase_add_test(data, test_formats_agree);
  tcase_add_test(data, test_id_remap);
  tcase_add_test(data, test_gen_deterministic);
  tcase_add_test(data, test_gen_stats);
  tcase_add_test(data, test_gen_bad_params);
  tcase_add_test(data, test_gen_main_roundtrip);
  tcase_add_test(data, test_shipped_sample);
  tcase_add_test(data, test_split);
  suite_add_tcase(s, data);
  TCase *model = tcase_create("model");
  tcase_add_test(model, test_sgd_update_by_hand);
  tcase_add_test(model, test_sgd_learns);
  tcase_add_test(model, test_init_factor);
  tcase_add_test(model, test_rmse);
  tcase_add_test(model, test_options);
  tcase_add_test(model, test_app_load_tables);
  tcase_add_test(model, test_registry);
  suite_add_tcase(s, model);
  TCase *run = tcase_create("run");
  tcase_add_test(run, test_e2e_learns);
  tcase_add_test(run, test_e2e_batch);
  tcase_add_test(run, test_e2e_deterministic);
  suite_add_tcase(s, run);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(mf_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
