/* test_dnn.c: the DNN app's pieces: the IDX loader (every malformed kind,
 * plain and gzip, named by file and byte offset), options, the parameter
 * layout, the sgemm forward/backward against numerical gradients, the
 * flop count, and whole runs of the app's workers through the real core on
 * the deterministic in-memory backend, on small sets the tests write. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "dnn/dnn.h"
#include "dnn/idx.h"
#include "dnn/net.h"
#include "dnn_testdata.h"
#include "mem_backend.h"

static char tmpdir[64];

static void make_tmpdir(void) {
  strcpy(tmpdir, "/tmp/test_dnn_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  static const char *const names[] = {
      "f",
      "f.gz",
      "g",
      "train-images-idx3-ubyte",
      "train-labels-idx1-ubyte",
      "t10k-images-idx3-ubyte",
      "t10k-labels-idx1-ubyte",
      "train-images-idx3-ubyte.gz",
      "train-labels-idx1-ubyte.gz",
      "t10k-images-idx3-ubyte.gz",
      "t10k-labels-idx1-ubyte.gz"};
  char p[128];
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    snprintf(p, sizeof p, "%s/%s", tmpdir, names[k]);
    unlink(p);
  }
  rmdir(tmpdir);
}

/* Writes bytes to tmpdir/name (gzip if gz) and returns the path. */
static const char *put(const char *name, const uint8_t *buf, size_t len, int gz) {
  static char path[4][128]; /* a few paths stay valid at once */
  static int which;
  which = (which + 1) % 4;
  snprintf(path[which], sizeof path[which], "%s/%s", tmpdir, name);
  ck_assert_int_eq(td_write(path[which], buf, len, gz), 0);
  return path[which];
}

/* err starts with "path: " and holds want. */
static void assert_err(const char *err, const char *path, const char *want) {
  char head[160];
  snprintf(head, sizeof head, "%s: ", path);
  ck_assert_msg(strncmp(err, head, strlen(head)) == 0, "'%s' does not start with '%s'", err, head);
  ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
}

/* Loading buf as an IDX of want_dims dims fails with rc and a message
 * holding want, plain and compressed (the offset is of the IDX stream). */
static void expect_idx_error(const uint8_t *buf, size_t len, uint32_t want_dims, int rc,
                             const char *want) {
  for (int gz = 0; gz < 2; gz++) {
    const char *p = put(gz ? "f.gz" : "f", buf, len, gz);
    dnn_idx x;
    char err[512] = "";
    ck_assert_int_eq(dnn_idx_load(p, want_dims, &x, err, sizeof err), rc);
    assert_err(err, p, want);
    ck_assert_ptr_null(x.data);
  }
}

START_TEST(test_idx_bad_magic) {
  make_tmpdir();
  uint8_t b[32] = {0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7};
  expect_idx_error(b, 9, 1, ST_EPARSE, "byte 0: bad magic 0x1f000801");
  b[0] = 0;
  b[1] = 3;
  expect_idx_error(b, 9, 1, ST_EPARSE, "byte 0: bad magic");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_bad_type) {
  make_tmpdir();
  uint8_t b[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}; /* 0x0D: floats */
  expect_idx_error(b, sizeof b, 1, ST_EPARSE, "byte 2: data type 0x0d, expected 0x08");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_wrong_dims) {
  make_tmpdir();
  /* A label file where images are expected, and the other way round. */
  uint8_t lab[] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 4};
  expect_idx_error(lab, sizeof lab, 3, ST_EPARSE, "byte 3: 1 dimensions, expected 3");
  uint8_t img[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9};
  expect_idx_error(img, sizeof img, 1, ST_EPARSE, "byte 3: 3 dimensions, expected 1");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_truncated_header) {
  make_tmpdir();
  uint8_t b[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0};
  expect_idx_error(b, sizeof b, 3, ST_EPARSE, "byte 10: truncated header");
  expect_idx_error(b, 3, 3, ST_EPARSE, "byte 3: truncated header");
  expect_idx_error(b, 0, 3, ST_EPARSE, "byte 0: truncated header");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_zero_dim) {
  make_tmpdir();
  uint8_t b[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 4};
  expect_idx_error(b, sizeof b, 3, ST_EPARSE, "byte 8: dimension 1 is 0");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_truncated_data) {
  make_tmpdir();
  uint8_t b[32];
  uint32_t dims[3] = {2, 2, 2};
  size_t h = td_header(b, 3, dims);
  memset(b + h, 5, 8);
  expect_idx_error(b, h + 5, 3, ST_EPARSE,
                   "byte 21: truncated data (the header promises 8 data bytes from byte 16, the "
                   "file ends after 5)");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_trailing) {
  make_tmpdir();
  uint8_t b[32];
  uint32_t dims[3] = {1, 2, 2};
  size_t h = td_header(b, 3, dims);
  memset(b + h, 5, 6);
  expect_idx_error(b, h + 6, 3, ST_EPARSE, "byte 20: 2 bytes after the 4 data bytes");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_corrupt_gzip) {
  make_tmpdir();
  uint8_t b[64];
  uint32_t dims[1] = {40};
  size_t h = td_header(b, 1, dims);
  for (int k = 0; k < 40; k++) b[h + k] = (uint8_t)(k % 10);
  const char *p = put("f.gz", b, h + 40, 1);
  /* Flip a byte of the deflate data, then cut the file short. */
  FILE *f = fopen(p, "r+b");
  ck_assert_ptr_nonnull(f);
  uint8_t z[256];
  size_t n = fread(z, 1, sizeof z, f);
  ck_assert_uint_gt(n, 20);
  z[12] ^= 0xff;
  rewind(f);
  ck_assert_uint_eq(fwrite(z, 1, n, f), n);
  fclose(f);
  dnn_idx x;
  char err[512] = "";
  ck_assert_int_eq(dnn_idx_load(p, 1, &x, err, sizeof err), ST_EPARSE);
  assert_err(err, p, "corrupt gzip data");
  ck_assert_ptr_null(x.data);
  /* a gzip stream cut in half */
  p = put("f.gz", b, h + 40, 1);
  ck_assert_int_eq(truncate(p, (off_t)(n / 2)), 0);
  err[0] = '\0';
  ck_assert_int_eq(dnn_idx_load(p, 1, &x, err, sizeof err), ST_EPARSE);
  assert_err(err, p, "corrupt gzip data");
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_missing) {
  make_tmpdir();
  char p[128], err[512] = "";
  snprintf(p, sizeof p, "%s/none", tmpdir);
  dnn_idx x;
  ck_assert_int_eq(dnn_idx_load(p, 1, &x, err, sizeof err), ST_EINVAL);
  assert_err(err, p, "cannot open");
  char found[256];
  ck_assert_int_eq(dnn_find_file(tmpdir, "none", found, sizeof found, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "neither none nor none.gz"));
  remove_tmpdir();
}
END_TEST

START_TEST(test_idx_ok_plain_and_gz) {
  make_tmpdir();
  uint8_t b[64];
  uint32_t dims[3] = {2, 3, 4};
  size_t h = td_header(b, 3, dims);
  for (int k = 0; k < 24; k++) b[h + k] = (uint8_t)(k * 7);
  for (int gz = 0; gz < 2; gz++) {
    const char *p = put(gz ? "f.gz" : "f", b, h + 24, gz);
    dnn_idx x;
    char err[256] = "";
    ck_assert_msg(dnn_idx_load(p, 3, &x, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(x.dims[0], 2);
    ck_assert_uint_eq(x.dims[1], 3);
    ck_assert_uint_eq(x.dims[2], 4);
    ck_assert_uint_eq(x.n, 24);
    ck_assert_uint_eq(x.offset, 16);
    ck_assert_mem_eq(x.data, b + h, 24);
    dnn_idx_free(&x);
  }
  remove_tmpdir();
}
END_TEST

/* Two-file errors: counts that differ, a label out of range. */
START_TEST(test_set_errors) {
  make_tmpdir();
  uint8_t img[64], lab[16];
  uint32_t idims[3] = {3, 2, 2}, ldims[1] = {2};
  size_t ih = td_header(img, 3, idims), lh = td_header(lab, 1, ldims);
  memset(img + ih, 1, 12);
  lab[lh] = 0;
  lab[lh + 1] = 1;
  const char *ip = put("f", img, ih + 12, 0);
  const char *lp = put("g", lab, lh + 2, 0);
  dnn_set s;
  char err[512] = "";
  ck_assert_int_eq(dnn_set_load(ip, lp, 10, &s, err, sizeof err), ST_EPARSE);
  assert_err(err, lp, "byte 4: 2 labels, but");
  ck_assert_ptr_nonnull(strstr(err, "holds 3 images"));
  ck_assert_ptr_null(s.images.data);

  idims[0] = 2;
  td_header(img, 3, idims);
  lab[lh + 1] = 12;
  ip = put("f", img, ih + 8, 0);
  lp = put("g", lab, lh + 2, 0);
  ck_assert_int_eq(dnn_set_load(ip, lp, 10, &s, err, sizeof err), ST_EPARSE);
  assert_err(err, lp, "byte 9: label 12 of item 1 is out of range (the network has 10 classes");
  lab[lh + 1] = 9;
  lp = put("g", lab, lh + 2, 0);
  ck_assert_int_eq(dnn_set_load(ip, lp, 10, &s, err, sizeof err), 0);
  ck_assert_uint_eq(s.n, 2);
  ck_assert_uint_eq(s.rows, 2);
  ck_assert_uint_eq(s.cols, 2);
  dnn_set_free(&s);
  /* with fewer classes, 9 is out of range too */
  ck_assert_int_eq(dnn_set_load(ip, lp, 4, &s, err, sizeof err), ST_EPARSE);
  assert_err(err, lp, "byte 9: label 9 of item 1");
  remove_tmpdir();
}
END_TEST

/* The app refuses images that do not fit the input layer (train and t10k
 * of different shapes), too few images for train=, and a missing dir. */
START_TEST(test_app_load_errors) {
  make_tmpdir();
  ck_assert_int_eq(td_write_set(tmpdir, "train", 50, 4, 3, 1, 0), 0);
  ck_assert_int_eq(td_write_set(tmpdir, "t10k", 20, 5, 3, 2, 1), 0);
  app_params p = {.data = tmpdir, .options = "layers=16-8-3", .seed = 1, .nworkers = 2, .clocks = 2};
  void *sh = NULL;
  char err[512] = "", want[160];
  ck_assert_int_eq(dnn_app.load(&p, &sh, err, sizeof err), ST_EPARSE);
  snprintf(want, sizeof want, "%s/t10k-images-idx3-ubyte.gz: byte 8: images of 5x5 = 25 pixels",
           tmpdir);
  ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
  ck_assert_ptr_null(sh);
  ck_assert_int_eq(td_write_set(tmpdir, "t10k", 20, 4, 3, 2, 1), 0);
  p.options = "layers=16-8-3,train=51";
  ck_assert_int_eq(dnn_app.load(&p, &sh, err, sizeof err), ST_EPARSE);
  ck_assert_str_eq(err, "dnn options: train=51, but the train set holds 50 images");
  p.options = "layers=16-8-2"; /* labels reach 2 */
  ck_assert_int_eq(dnn_app.load(&p, &sh, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "out of range (the network has 2 classes"));
  p.options = "layers=16-8-3,lr=-1";
  ck_assert_int_eq(dnn_app.load(&p, &sh, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "bad value '-1' for 'lr'"));
  p.options = "layers=16-8-3,train=50,test=20";
  ck_assert_msg(dnn_app.load(&p, &sh, err, sizeof err) == 0, "%s", err);
  dnn_app.free(sh);
  remove_tmpdir();
  p.data = tmpdir; /* now gone */
  ck_assert_int_eq(dnn_app.load(&p, &sh, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "neither train-images-idx3-ubyte nor"));
}
END_TEST

START_TEST(test_options) {
  dnn_options o;
  char err[256];
  ck_assert_int_eq(dnn_options_parse(NULL, &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.nl, 3);
  ck_assert_uint_eq(o.size[0], 784);
  ck_assert_uint_eq(o.size[3], 10);
  ck_assert_uint_eq(o.batch, 64);
  ck_assert_int_eq(dnn_options_parse("layers=10-3,lr=0.5,batch=8,batches=2,avg=0,train=5,test=6,"
                                     "row_units=2",
                                     &o, err, sizeof err),
                   0);
  ck_assert_uint_eq(o.nl, 1);
  ck_assert_uint_eq(o.size[1], 3);
  ck_assert_float_eq(o.lr, 0.5f);
  ck_assert_uint_eq(o.batches, 2);
  ck_assert_uint_eq(o.avg, 0);
  ck_assert_uint_eq(o.train, 5);
  ck_assert_uint_eq(o.test, 6);
  ck_assert_uint_eq(o.row_units, 2);
  static const char *const bad[][2] = {
      {"rank=3", "unknown key 'rank'"},
      {"lr=0.1,lr=0.2", "key 'lr' given twice"},
      {"layers=784", "for 'layers'"},
      {"layers=784-", "for 'layers'"},
      {"layers=784-0-10", "for 'layers'"},
      {"layers=a-b", "for 'layers'"},
      {"layers=1-2-3-4-5-6-7-8-9-10", "for 'layers'"},
      {"lr=0", "for 'lr'"},
      {"batch=0", "for 'batch'"},
      {"batch=1.5", "for 'batch'"},
      {"avg=2", "for 'avg'"},
      {"train=-1", "for 'train'"},
      {"row_units=0", "for 'row_units'"},
      {"lr", "'lr' is not key=value"},
      {"lr=0.1,", "trailing ','"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    err[0] = '\0';
    ck_assert_int_eq(dnn_options_parse(bad[k][0], &o, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[k][1]) != NULL, "%s: '%s' lacks '%s'", bad[k][0], err, bad[k][1]);
  }
}
END_TEST

START_TEST(test_layout) {
  dnn_options o = dnn_options_defaults();
  dnn_layout L;
  ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
  ck_assert_uint_eq(L.layer[0].rows, 16);
  ck_assert_uint_eq(L.layer[0].width, 16 * 785);
  ck_assert_uint_eq(L.layer[1].rows, 8);
  ck_assert_uint_eq(L.layer[1].width, 16 * 257);
  ck_assert_uint_eq(L.layer[2].rows, 1);
  ck_assert_uint_eq(L.layer[2].width, 10 * 129);
  ck_assert_uint_eq(L.nparams, 256 * 785 + 128 * 257 + 10 * 129);
  ck_assert_uint_eq(L.layer[2].offset, 256 * 785 + 128 * 257);
  o.row_units = 3; /* 10 units: 4 rows, the last with 2 padding units */
  o.nl = 1;
  o.size[0] = 4;
  o.size[1] = 10;
  ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
  ck_assert_uint_eq(L.layer[0].rows, 4);
  ck_assert_uint_eq(L.nparams, 4 * 3 * 5);
  o.size[0] = 65536;
  o.row_units = 65536;
  o.size[1] = 65536;
  ck_assert_int_eq(dnn_layout_make(&o, &L), ST_EINVAL);
  /* flops: forward 2*n*in*out per layer; a step adds the weight gradient
   * everywhere and the input gradient above the first layer */
  o = dnn_options_defaults();
  ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
  double fwd = 2.0 * (784 * 256 + 256 * 128 + 128 * 10);
  ck_assert_double_eq(dnn_forward_flops(&L, 3), 3 * fwd);
  ck_assert_double_eq(dnn_step_flops(&L, 2),
                      2 * (2 * 2.0 * 784 * 256 + 3 * 2.0 * (256 * 128 + 128 * 10)));
}
END_TEST

START_TEST(test_init) {
  dnn_options o = dnn_options_defaults();
  dnn_layout L;
  ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
  float *a = malloc(L.nparams * sizeof *a), *b = malloc(L.nparams * sizeof *b);
  dnn_init_params(&L, 7, a);
  dnn_init_params(&L, 7, b);
  ck_assert_mem_eq(a, b, L.nparams * sizeof *a);
  dnn_init_params(&L, 8, b);
  ck_assert_int_ne(memcmp(a, b, L.nparams * sizeof *a), 0);
  /* He init of layer 0: std sqrt(2/784); biases 0 */
  double ss = 0;
  for (uint32_t j = 0; j < 256; j++) {
    ck_assert_float_eq(a[(size_t)j * 785 + 784], 0.0f);
    for (uint32_t i = 0; i < 784; i++) ss += (double)a[(size_t)j * 785 + i] * a[(size_t)j * 785 + i];
  }
  double sd = sqrt(ss / (256.0 * 784.0));
  ck_assert_double_eq_tol(sd, sqrt(2.0 / 784.0), 0.02 * sqrt(2.0 / 784.0));
  free(a);
  free(b);
}
END_TEST

/* The step's delta is -lr times the gradient of the mean cross-entropy:
 * checked against central differences of the loss on a tiny net, with a
 * padded row (row_units=3 over 4 units) whose padding must stay 0. */
START_TEST(test_gradient) {
  dnn_options o = dnn_options_defaults();
  o.nl = 2;
  o.size[0] = 5;
  o.size[1] = 4;
  o.size[2] = 3;
  o.row_units = 3;
  dnn_layout L;
  ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
  size_t np = L.nparams;
  float *p = malloc(np * sizeof *p), *q = malloc(np * sizeof *q), *d = calloc(np, sizeof *d);
  dnn_init_params(&L, 3, p);
  /* non-zero biases so their gradients are exercised off the origin */
  for (uint32_t j = 0; j < 4; j++) p[(size_t)j * 6 + 5] = 0.1f * (float)j - 0.15f;
  uint8_t img[4 * 5] = {10, 200, 30, 0, 255, 90, 14, 77, 120, 3, 250, 1, 60, 180, 40, 5, 5, 99, 0, 33};
  uint8_t y[4] = {0, 2, 1, 2};
  dnn_scratch s;
  ck_assert_int_eq(dnn_scratch_init(&s, &L, 4), 0);
  double base_loss = 0;
  dnn_count_correct(&L, p, &s, img, y, NULL, 4, &base_loss);
  memcpy(q, p, np * sizeof *p);
  dnn_load_batch(&L, &s, img, NULL, 4);
  const float lr = 1.0f;
  double loss = dnn_sgd_step(&L, q, d, &s, y, 4, lr);
  ck_assert_double_eq_tol(loss, base_loss, 1e-5 * fabs(base_loss));
  for (size_t k = 0; k < np; k++) ck_assert_float_eq(q[k], p[k] + d[k]);
  size_t checked = 0;
  for (uint32_t l = 0; l < L.nl; l++) {
    const dnn_layer *ly = &L.layer[l];
    for (uint32_t j = 0; j < ly->rows * ly->row_units; j++)
      for (uint32_t i = 0; i < ly->ld; i++) {
        size_t k = ly->offset + (size_t)j * ly->ld + i;
        if (j >= ly->out) {
          ck_assert_float_eq(d[k], 0.0f); /* padding */
          continue;
        }
        const float eps = 1e-2f;
        float keep = p[k];
        double lp = 0, lm = 0;
        p[k] = keep + eps;
        dnn_count_correct(&L, p, &s, img, y, NULL, 4, &lp);
        p[k] = keep - eps;
        dnn_count_correct(&L, p, &s, img, y, NULL, 4, &lm);
        p[k] = keep;
        double num = -(double)lr * (lp - lm) / (2.0 * eps) / 4.0;
        ck_assert_msg(fabs(num - d[k]) <= 2e-3 + 2e-2 * fabs(num),
                      "layer %u unit %u input %u: delta %g, numerical %g", l, j, i, d[k], num);
        checked++;
      }
  }
  ck_assert_uint_eq(checked, 4 * 6 + 3 * 5);
  dnn_scratch_free(&s);
  free(p);
  free(q);
  free(d);
}
END_TEST

/* Whole runs: 2 clients x 2 workers, 2 shards, round robin by clock on the
 * in-memory backend, on a written set of 8x8 images in 4 classes. */
enum { RUN_CLIENTS = 2, RUN_WPC = 2, RUN_CLOCKS = 8, RUN_NTRAIN = 400, RUN_NTEST = 120 };

typedef struct run_result {
  float metrics[RUN_CLOCKS][APP_METRICS_WIDTH];
  double charged;
} run_result;

static void run_app(uint64_t seed, uint32_t staleness, const char *options, run_result *res) {
  make_tmpdir();
  ck_assert_int_eq(td_write_set(tmpdir, "train", RUN_NTRAIN, 8, 4, 11, 1), 0);
  ck_assert_int_eq(td_write_set(tmpdir, "t10k", RUN_NTEST, 8, 4, 12, 0), 0);
  app_params p = {.data = tmpdir,
                  .options = options,
                  .seed = seed,
                  .nworkers = RUN_CLIENTS * RUN_WPC,
                  .clocks = RUN_CLOCKS};
  void *shared;
  char err[512];
  ck_assert_msg(dnn_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  remove_tmpdir();
  tbl_set tables = {0};
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = RUN_CLOCKS, .width = APP_METRICS_WIDTH};
  ck_assert_int_eq(tbl_add(&tables, &metrics), 0);
  ck_assert_int_eq(dnn_app.tables(shared, &tables), 0);
  st_config cfg = {.nclients = RUN_CLIENTS,
                   .nservers = 2,
                   .workers_per_client = RUN_WPC,
                   .server_base = RUN_CLIENTS,
                   .staleness = staleness};
  mem_opts mo = {.seed = seed, .max_delay = 3};
  mem_world *world = mem_create(&cfg, &tables, &mo);
  ck_assert_ptr_nonnull(world);
  ps_worker w[RUN_CLIENTS * RUN_WPC];
  void *ws[RUN_CLIENTS * RUN_WPC];
  for (uint32_t c = 0; c < RUN_CLIENTS; c++)
    for (uint32_t k = 0; k < RUN_WPC; k++) {
      uint32_t g = c * RUN_WPC + k;
      w[g] = (ps_worker){.client = mem_node(world, c)->client,
                         .be = mem_backend(world, c),
                         .id = k,
                         .client_index = c,
                         .nworkers = p.nworkers,
                         .global_index = g};
      ck_assert_int_eq(dnn_app.worker_init(shared, &w[g], &ws[g]), 0);
    }
  for (st_clock_t clock = 0; clock < RUN_CLOCKS; clock++)
    for (uint32_t g = 0; g < p.nworkers; g++) {
      ck_assert_int_eq(dnn_app.step(shared, ws[g], &w[g], clock), 0);
      ck_assert_int_eq(ps_clock(&w[g]), 0);
    }
  ck_assert_int_eq(mem_drain(world), 0);
  memset(res->metrics, 0, sizeof res->metrics);
  for (st_clock_t clock = 0; clock + staleness < RUN_CLOCKS; clock++)
    ck_assert_int_eq(ps_get(&w[0], APP_METRICS_TABLE, clock, res->metrics[clock]), 0);
  ck_assert_int_eq(mem_error(world), 0);
  res->charged = 0;
  for (uint32_t c = 0; c < RUN_CLIENTS; c++) res->charged += mem_charged(world, c);
  for (uint32_t g = 0; g < p.nworkers; g++) dnn_app.worker_free(shared, ws[g]);
  mem_destroy(world);
  dnn_app.free(shared);
}

START_TEST(test_run_learns) {
  for (uint32_t s = 0; s <= 2; s += 2) {
    run_result r;
    run_app(5, s, "layers=64-16-4,batch=10,batches=3,lr=0.2", &r);
    uint32_t last = RUN_CLOCKS - 1 - s;
    for (uint32_t c = 0; c <= last; c++) {
      ck_assert_float_eq(r.metrics[c][1], 4 * 3 * 10); /* every worker's images, once */
      ck_assert_float_eq(r.metrics[c][3], RUN_NTEST);
    }
    double acc0 = dnn_app.extra(NULL, r.metrics[0], 0);
    double acc = dnn_app.extra(NULL, r.metrics[last], 0);
    double loss0 = dnn_app.objective(NULL, r.metrics[0]);
    double loss = dnn_app.objective(NULL, r.metrics[last]);
    ck_assert_msg(acc0 < 0.6 && acc > 0.9 && loss < 0.5 * loss0,
                  "s=%u: accuracy %f -> %f, loss %f -> %f", s, acc0, acc, loss0, loss);
    dnn_layout L;
    dnn_options o = dnn_options_defaults();
    ck_assert_int_eq(dnn_options_parse("layers=64-16-4", &o, NULL, 0), 0);
    ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
    double want = RUN_CLOCKS * (4 * 3 * dnn_step_flops(&L, 10) + dnn_forward_flops(&L, RUN_NTEST));
    ck_assert_double_eq_tol(r.charged, want, 1e-9 * want);
  }
}
END_TEST

START_TEST(test_run_deterministic) {
  run_result a, b, c;
  run_app(9, 1, "layers=64-8-4,batch=8,batches=2,row_units=3", &a);
  run_app(9, 1, "layers=64-8-4,batch=8,batches=2,row_units=3", &b);
  run_app(10, 1, "layers=64-8-4,batch=8,batches=2,row_units=3", &c);
  ck_assert_mem_eq(a.metrics, b.metrics, sizeof a.metrics);
  ck_assert_int_ne(memcmp(a.metrics, c.metrics, sizeof a.metrics), 0);
}
END_TEST

/* A worker's saved state restores where its pass over its shard stands. */
START_TEST(test_worker_save_load) {
  make_tmpdir();
  ck_assert_int_eq(td_write_set(tmpdir, "train", 30, 4, 2, 1, 0), 0);
  ck_assert_int_eq(td_write_set(tmpdir, "t10k", 10, 4, 2, 2, 0), 0);
  app_params p = {.data = tmpdir, .options = "layers=16-2,batch=4", .seed = 3, .nworkers = 1, .clocks = 1};
  void *sh;
  char err[256];
  ck_assert_msg(dnn_app.load(&p, &sh, err, sizeof err) == 0, "%s", err);
  remove_tmpdir();
  tbl_set tables = {0};
  ck_assert_int_eq(dnn_app.tables(sh, &tables), 0);
  ck_assert_uint_eq(tables.n, 1);
  ck_assert_uint_eq(tables.defs[0].id, DNN_TABLE0);
  ps_worker w = {.nworkers = 1};
  void *a, *b;
  ck_assert_int_eq(dnn_app.worker_init(sh, &w, &a), 0);
  ck_assert_int_eq(dnn_app.worker_init(sh, &w, &b), 0);
  uint8_t *buf;
  size_t len;
  ck_assert_int_eq(dnn_app.worker_save(sh, a, &buf, &len), 0);
  ck_assert_int_eq(dnn_app.worker_load(sh, b, buf, len), 0);
  ck_assert_int_eq(dnn_app.worker_load(sh, b, buf, len - 1), ST_EFRAME);
  buf[8] = 31; /* cursor past the 30-image shard */
  ck_assert_int_eq(dnn_app.worker_load(sh, b, buf, len), ST_EFRAME);
  free(buf);
  dnn_app.worker_free(sh, a);
  dnn_app.worker_free(sh, b);
  dnn_app.free(sh);
  ck_assert_ptr_eq(app_find("dnn"), &dnn_app);
}
END_TEST

static Suite *dnn_suite(void) {
  Suite *s = suite_create("dnn");
  TCase *idx = tcase_create("idx");
  tcase_add_test(idx, test_idx_bad_magic);
  tcase_add_test(idx, test_idx_bad_type);
  tcase_add_test(idx, test_idx_wrong_dims);
  tcase_add_test(idx, test_idx_truncated_header);
  tcase_add_test(idx, test_idx_zero_dim);
  tcase_add_test(idx, test_idx_truncated_data);
  tcase_add_test(idx, test_idx_trailing);
  tcase_add_test(idx, test_idx_corrupt_gzip);
  tcase_add_test(idx, test_idx_missing);
  tcase_add_test(idx, test_idx_ok_plain_and_gz);
  tcase_add_test(idx, test_set_errors);
  tcase_add_test(idx, test_app_load_errors);
  suite_add_tcase(s, idx);
  TCase *net = tcase_create("net");
  tcase_add_test(net, test_options);
  tcase_add_test(net, test_layout);
  tcase_add_test(net, test_init);
  tcase_add_test(net, test_gradient);
  suite_add_tcase(s, net);
  TCase *run = tcase_create("run");
  tcase_add_test(run, test_run_learns);
  tcase_add_test(run, test_run_deterministic);
  tcase_add_test(run, test_worker_save_load);
  suite_add_tcase(s, run);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(dnn_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
