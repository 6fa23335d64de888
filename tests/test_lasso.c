/* test_lasso.c: the Lasso app: both loaders (every kind of malformed input
 * shows its message with file, line and column), the formats agreeing, the
 * generator and `gen-lasso`, standardization, options, the arithmetic
 * against closed forms (soft threshold, the Lipschitz constant of a known
 * design, an orthogonal design whose Lasso solution is a soft threshold of
 * the least-squares one), whole runs on the in-memory backend (the
 * orthogonal case exactly, the shipped diabetes set against scikit-learn's
 * objective at s = 0 and s = 3), checkpoint state, and the stale program:
 * `stale sim` against `stale launch --local 4` bit for bit at every clock
 * at s = 0. STALE_PROG and LASSO_DATA_DIR come from the build. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "lasso/data.h"
#include "lasso/gen.h"
#include "lasso/lasso.h"
#include "lasso/model.h"
#include "mem_backend.h"
#include "test_prog.h"

/* scikit-learn 1.2.1's Lasso(alpha=0.1, tol=1e-12).fit(*load_diabetes(return_X_y=True)):
 * the objective 1/(2n)||y - Xw - b||^2 + 0.1 ||w||_1 at its solution. */
#define SKLEARN_DIABETES_OBJECTIVE 1629.0545426

static void write_temp(char *path, const char *text) {
  strcpy(path, "/tmp/test_lasso_XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  size_t len = strlen(text);
  ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
  close(fd);
}

static int load_text(const char *text, const lasso_load_opts *o, lasso_data *d, char *path,
                     char *err, size_t errlen) {
  write_temp(path, text);
  int rc = lasso_data_load(path, o, d, err, errlen);
  unlink(path);
  return rc;
}

typedef struct bad_case {
  const char *text;
  const char *where; /* ":line:col: " or ":line: " after the path */
  const char *what;
} bad_case;

static void check_bad(const bad_case *cases, size_t n, const lasso_load_opts *o) {
  for (size_t k = 0; k < n; k++) {
    char path[64], err[512], want[160];
    lasso_data d;
    int rc = load_text(cases[k].text, o, &d, path, err, sizeof err);
    ck_assert_msg(rc == ST_EPARSE, "case %zu ('%s'): rc %d, message '%s'", k, cases[k].text, rc,
                  err);
    snprintf(want, sizeof want, "%s%s", path, cases[k].where);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "case %zu: '%s' does not start with '%s'",
                  k, err, want);
    ck_assert_msg(strstr(err, cases[k].what) != NULL, "case %zu: '%s' does not say '%s'", k, err,
                  cases[k].what);
    ck_assert_ptr_null(d.y); /* nothing half-loaded is left */
  }
}

START_TEST(test_libsvm_errors) {
  static const bad_case cases[] = {
      {"1 1:2\nx 1:2\n", ":2:1: ", "label 'x' is not a number"},
      {"1 1:2 3\n", ":1:7: ", "'3' is not index:value"},
      {"1 0:2\n", ":1:3: ", "index 0: LibSVM indices start at 1"},
      {"1 a:2\n", ":1:3: ", "index 'a' is not a positive integer"},
      {"1 -4:2\n", ":1:3: ", "index '-4' is not a positive integer"},
      {"1 1:1\n\n2 3:1 3:2\n", ":3:7: ", "index 3 after index 3: indices must increase"},
      {"2 4:1 2:2\n", ":1:7: ", "index 2 after index 4"},
      {"1 1:x\n", ":1:5: ", "value 'x' is not a number"},
      {"1 1:2:3\n", ":1:5: ", "value '2:3' is not a number"},
      {"1 1:nan\n", ":1:5: ", "value 'nan' is not finite"},
      {"inf 1:1\n", ":1:1: ", "label 'inf' is not finite"},
      {"1 1:1e39\n", ":1:5: ", "value '1e39' is beyond float range"},
      {"1 99999999999:1\n", ":1:3: ", "index '99999999999' is not a positive integer"},
      {"# nothing\n\n", ":2: ", "no samples found"},
      {"", ":1: ", "no samples found"},
  };
  lasso_load_opts o = {.format = LASSO_FMT_LIBSVM};
  check_bad(cases, sizeof cases / sizeof cases[0], &o);
  /* An index above the declared column count. */
  static const bad_case over[] = {{"1 1:1 5:1\n", ":1:7: ", "index 5 is beyond the 3 features given"}};
  lasso_load_opts of = {.format = LASSO_FMT_LIBSVM, .features = 3};
  check_bad(over, 1, &of);
  /* A NUL byte inside a line. */
  char path[64], err[256];
  strcpy(path, "/tmp/test_lasso_XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_eq(write(fd, "1 1:1\n2 2:1\0 3:1\n", 17), 17);
  close(fd);
  lasso_data d;
  ck_assert_int_eq(lasso_data_load(path, &o, &d, err, sizeof err), ST_EPARSE);
  char want[96];
  snprintf(want, sizeof want, "%s:2:6: NUL byte", path);
  ck_assert_msg(strstr(err, want) == err, "'%s'", err);
  unlink(path);
  /* An unreadable file names the file and the system's reason. */
  ck_assert_int_eq(lasso_data_load("/nonexistent/x.svm", &o, &d, err, sizeof err), ST_EINVAL);
  ck_assert_str_eq(err, "/nonexistent/x.svm: No such file or directory");
}
END_TEST

START_TEST(test_table_errors) {
  static const bad_case cases[] = {
      {"1 2 3\n4 5\n", ":2: ", "2 fields: every line must have the 3 of the first data line"},
      {"1,2,3\n4,5,6,7\n", ":2: ", "4 fields: every line must have the 3"},
      {"1,2,,4\n", ":1:5: ", "field 3 is empty"},
      {"1 2 x\n", ":1:5: ", "field 3 'x' is not a number"},
      {"1 2 3\n4 x5 6\n", ":2:3: ", "field 2 'x5' is not a number"},
      {"y 2 3\n", ":1:1: ", "target (field 1) 'y' is not a number"},
      {"1 inf 2\n", ":1:3: ", "field 2 'inf' is not finite"},
      {"1, 2, 3e39\n", ":1:7: ", "field 3 '3e39' is beyond float range"},
      {"5\n", ":1: ", "1 field: a table line needs a target and at least one feature"},
      {"a,b,c\n", ":1: ", "no samples found"}, /* a header alone */
      {"\n# x\n", ":2: ", "no samples found"},
  };
  lasso_load_opts o = {.format = LASSO_FMT_AUTO};
  check_bad(cases, sizeof cases / sizeof cases[0], &o);
  /* label=last: the last field is the target. */
  static const bad_case last[] = {{"1 2 z\n", ":1:5: ", "target (field 3) 'z' is not a number"}};
  lasso_load_opts ol = {.format = LASSO_FMT_TABLE, .label_last = 1};
  check_bad(last, 1, &ol);
}
END_TEST

/* The same 3 x 4 data in four spellings loads to the same numbers. */
START_TEST(test_formats_agree) {
  static const float want_y[3] = {1.5f, -2.0f, 3.0f};
  static const float want_x[3][4] = {{0, 2, 0, 1}, {0.5f, 0, 0, 0}, {0, 0, 0, 4}};
  struct {
    const char *text;
    lasso_load_opts o;
  } forms[] = {
      {"# LibSVM, with comments, a qid, CRLF and a blank line\r\n1.5 2:2 4:1 # one\r\n\r\n"
       "-2 qid:7 1:0.5\n3 4:4\n",
       {.format = LASSO_FMT_AUTO}},
      {"\xEF\xBB\xBFy,a,b,c,d\n1.5,0,2,0,1\n-2, 0.5 ,0,0,0\n3,0,0,0,4\n", {.format = LASSO_FMT_AUTO}},
      {"0 2 0 1 1.5\n\t0.5 0 0 0 -2\n0 0 0 4 3\n", {.format = LASSO_FMT_TABLE, .label_last = 1}},
      {"1.5 0 2 0 1\n-2 0.5 0 0 0\n3 0 0 0 4\n", {.format = LASSO_FMT_AUTO}},
  };
  for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
    char path[64], err[256];
    lasso_data d;
    int rc = load_text(forms[f].text, &forms[f].o, &d, path, err, sizeof err);
    ck_assert_msg(rc == 0, "form %zu: %s", f, err);
    ck_assert_uint_eq(d.n, 3);
    ck_assert_uint_eq(d.p, 4);
    ck_assert_int_eq(f == 0, d.dense == NULL); /* LibSVM rows stay sparse */
    for (uint32_t i = 0; i < 3; i++) {
      ck_assert_float_eq(d.y[i], want_y[i]);
      float row[4] = {0};
      if (d.dense)
        memcpy(row, d.dense + i * 4, sizeof row);
      else
        for (size_t k = d.row_start[i]; k < d.row_start[i + 1]; k++) row[d.col[k]] = d.val[k];
      for (uint32_t j = 0; j < 4; j++) ck_assert_float_eq(row[j], want_x[i][j]);
    }
    double mean[4], ym;
    lasso_data_means(&d, mean, &ym);
    ck_assert_double_eq_tol(mean[3], 5.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(ym, 2.5 / 3.0, 1e-12);
    lasso_data_free(&d);
  }
  /* features= widens a LibSVM file beyond its largest index. */
  char path[64], err[256];
  lasso_data d;
  lasso_load_opts o = {.features = 9};
  ck_assert_int_eq(load_text("1 2:1\n", &o, &d, path, err, sizeof err), 0);
  ck_assert_uint_eq(d.p, 9);
  lasso_data_free(&d);
}
END_TEST

static void assert_same_data(const lasso_data *a, const lasso_data *b) {
  ck_assert_uint_eq(a->n, b->n);
  ck_assert_uint_eq(a->p, b->p);
  ck_assert_mem_eq(a->y, b->y, a->n * sizeof *a->y);
  for (uint32_t i = 0; i < a->n; i++)
    for (uint32_t j = 0; j < a->p; j++) {
      float va = a->dense[(size_t)i * a->p + j], vb = 0.0f;
      if (b->dense)
        vb = b->dense[(size_t)i * b->p + j];
      else
        for (size_t k = b->row_start[i]; k < b->row_start[i + 1]; k++)
          if (b->col[k] == j) vb = b->val[k];
      ck_assert_msg(va == vb, "x[%u][%u]: %.9g vs %.9g", i, j, va, vb);
    }
}

START_TEST(test_gen) {
  lasso_gen_params g = lasso_gen_defaults();
  g.n = 2000;
  g.p = 40;
  g.group = 5;
  g.rho = 0.6;
  g.k = 6;
  g.noise = 0.5;
  g.seed = 9;
  lasso_data a, b;
  double truth[40];
  char err[256];
  ck_assert_int_eq(lasso_generate(&g, &a, truth, err, sizeof err), 0);
  ck_assert_int_eq(lasso_generate(&g, &b, NULL, err, sizeof err), 0);
  assert_same_data(&a, &b);
  lasso_data_free(&b);
  g.seed = 10;
  ck_assert_int_eq(lasso_generate(&g, &b, NULL, err, sizeof err), 0);
  ck_assert_int_ne(memcmp(a.dense, b.dense, 40 * sizeof(float)), 0);
  lasso_data_free(&b);
  int nz = 0;
  for (int j = 0; j < 40; j++)
    if (truth[j] != 0.0) {
      nz++;
      ck_assert(fabs(truth[j]) >= 1.0 && fabs(truth[j]) <= 2.0);
    }
  ck_assert_int_eq(nz, 6);
  /* Sample correlations: rho inside a group, 0 across, unit variance. */
  double mean[40], ym;
  lasso_data_means(&a, mean, &ym);
  double c_in = 0, c_out = 0, v0 = 0, v1 = 0;
  for (uint32_t i = 0; i < a.n; i++) {
    const float *x = a.dense + (size_t)i * 40;
    c_in += (x[0] - mean[0]) * (x[1] - mean[1]);
    c_out += (x[0] - mean[0]) * (x[5] - mean[5]);
    v0 += (x[0] - mean[0]) * (x[0] - mean[0]);
    v1 += (x[1] - mean[1]) * (x[1] - mean[1]);
  }
  ck_assert_double_eq_tol(c_in / sqrt(v0 * v1), 0.6, 0.05);
  ck_assert_double_eq_tol(c_out / sqrt(v0 * v1), 0.0, 0.06);
  ck_assert_double_eq_tol(v0 / a.n, 1.0, 0.08);
  /* Residual of the truth is the noise. */
  double ss = 0;
  for (uint32_t i = 0; i < a.n; i++) {
    double r = a.y[i];
    for (int j = 0; j < 40; j++) r -= truth[j] * a.dense[(size_t)i * 40 + j];
    ss += r * r;
  }
  ck_assert_double_eq_tol(sqrt(ss / a.n), 0.5, 0.03);
  lasso_data_free(&a);

  g.rho = 1.0;
  ck_assert_int_eq(lasso_gen_check(&g, err, sizeof err), ST_EINVAL);
  ck_assert_str_eq(err, "gen-lasso: rho must be in [0, 1)");
  g.rho = 0.5;
  g.k = 41;
  ck_assert_int_eq(lasso_generate(&g, &a, NULL, err, sizeof err), ST_EINVAL);
  ck_assert_str_eq(err, "gen-lasso: k must be at most p (p = 40)");
  g.k = 1;
  g.group = 0;
  ck_assert_int_eq(lasso_gen_check(&g, err, sizeof err), ST_EINVAL);
  g.group = 1;
  g.n = 1 << 16;
  g.p = 1 << 15;
  ck_assert_int_eq(lasso_gen_check(&g, err, sizeof err), ST_EINVAL);
  ck_assert(strstr(err, "over 2^30") != NULL);
}
END_TEST

/* gen-lasso's files (both formats) load back to the floats generated in
 * process, so `--data file` and the app's own generated design agree. */
START_TEST(test_gen_main_roundtrip) {
  lasso_gen_params g = lasso_gen_defaults();
  g.n = 30;
  g.p = 12;
  g.group = 4;
  g.k = 3;
  g.seed = 4;
  lasso_data want, got;
  char err[256];
  ck_assert_int_eq(lasso_generate(&g, &want, NULL, err, sizeof err), 0);
  const char *formats[] = {"libsvm", "table"};
  for (int f = 0; f < 2; f++) {
    char path[64], truth[80];
    write_temp(path, "");
    snprintf(truth, sizeof truth, "%s.truth", path);
    char *argv[] = {"gen-lasso", "--n", "30", "--p", "12", "--group=4", "--k", "3", "--seed",
                    "4", "--format", (char *)formats[f], "--truth", truth, "--out", path, NULL};
    ck_assert_int_eq(lasso_gen_main(16, argv), 0);
    ck_assert_int_eq(lasso_data_load(path, NULL, &got, err, sizeof err), 0);
    if (f == 0) ck_assert_uint_le(got.p, 12); /* an all-zero last column would not show */
    got.p = 12;
    assert_same_data(&want, &got);
    lasso_data_free(&got);
    FILE *fp = fopen(truth, "r");
    ck_assert_ptr_nonnull(fp);
    int lines = 0, idx;
    double v;
    while (fscanf(fp, "%d %lf", &idx, &v) == 2) lines++;
    fclose(fp);
    ck_assert_int_eq(lines, 3);
    unlink(path);
    unlink(truth);
  }
  lasso_data_free(&want);
  char *bad1[] = {"gen-lasso", "--rho", "x", "--out", "/tmp/x", NULL};
  ck_assert_int_eq(lasso_gen_main(5, bad1), 2);
  char *bad2[] = {"gen-lasso", "--n", "10", NULL};
  ck_assert_int_eq(lasso_gen_main(3, bad2), 2);
  char *bad3[] = {"gen-lasso", "--format", "npy", "--out", "/tmp/x", NULL};
  ck_assert_int_eq(lasso_gen_main(5, bad3), 2);
  char *bad4[] = {"gen-lasso", "--out", "/nonexistent/dir/x", NULL};
  ck_assert_int_eq(lasso_gen_main(3, bad4), 1);
}
END_TEST

START_TEST(test_standardize) {
  char path[64], err[256];
  lasso_data d;
  /* Column 1: 1,2,3,4 (sd sqrt(1.25)); column 2 constant; sparse column 3. */
  ck_assert_int_eq(load_text("0 1:1 2:7\n0 1:2 2:7 3:2\n0 1:3 2:7\n0 1:4 2:7 3:2\n", NULL, &d,
                             path, err, sizeof err),
                   0);
  ck_assert_int_eq(lasso_data_standardize(&d), 0);
  double sd1 = sqrt(1.25);
  ck_assert_float_eq_tol(d.val[0], (float)(1 / sd1), 1e-6);
  ck_assert_float_eq(d.val[1], 7.0f); /* constant: left alone */
  ck_assert_float_eq_tol(d.val[4], 2.0f, 1e-6); /* 0,2,0,2 has sd 1 */
  ck_assert_float_eq_tol(d.val[d.nnz - 1], 2.0f, 1e-6);
  lasso_data_free(&d);
  ck_assert_int_eq(load_text("0 1 7 0\n0 2 7 2\n0 3 7 0\n0 4 7 2\n", NULL, &d, path, err,
                             sizeof err),
                   0);
  ck_assert_int_eq(lasso_data_standardize(&d), 0);
  ck_assert_float_eq_tol(d.dense[3], (float)(2 / sd1), 1e-6);
  ck_assert_float_eq(d.dense[1], 7.0f);
  ck_assert_float_eq_tol(d.dense[5], 2.0f, 1e-6);
  lasso_data_free(&d);
}
END_TEST

START_TEST(test_options) {
  lasso_options o;
  char err[256];
  ck_assert_int_eq(lasso_options_parse(NULL, &o, err, sizeof err), 0);
  ck_assert_double_eq(o.lambda, 0.1);
  ck_assert_int_eq(o.delay, -1);
  ck_assert_int_eq(lasso_options_parse("lambda=0.5,step=0.9,delay=3,standardize=1,block=7,"
                                       "format=csv,label=last,features=20,n=50,p=60,group=3,"
                                       "rho=0.2,k=4,noise=0,coef=/tmp/c.txt,power=5",
                                       &o, err, sizeof err),
                   0);
  ck_assert_double_eq(o.lambda, 0.5);
  ck_assert_int_eq(o.delay, 3);
  ck_assert_uint_eq(o.block, 7);
  ck_assert_int_eq(o.load.format, LASSO_FMT_CSV);
  ck_assert_int_eq(o.load.label_last, 1);
  ck_assert_uint_eq(o.load.features, 20);
  ck_assert_uint_eq(o.gen_p, 60);
  ck_assert_str_eq(o.coef, "/tmp/c.txt");
  struct {
    const char *text, *msg;
  } bad[] = {
      {"lambda=-1", "bad value '-1' for 'lambda': expected a number >= 0"},
      {"step=2", "expected a number in (0, 2)"},
      {"delay=1.5", "expected auto or an integer"},
      {"format=npy", "expected auto, libsvm, csv or table"},
      {"label=middle", "expected first or last"},
      {"block=0", "expected an integer in 1..4096"},
      {"lambda=1,lambda=2", "key 'lambda' given twice"},
      {"alpha=1", "unknown key 'alpha'"},
      {"lambda", "'lambda' is not key=value"},
      {"lambda=1,", "trailing ','"},
      {"rho=1", "expected a number in [0, 1)"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    ck_assert_int_eq(lasso_options_parse(bad[k].text, &o, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[k].msg) && !strncmp(err, "lasso options: ", 15), "'%s': '%s'",
                  bad[k].text, err);
  }
}
END_TEST

START_TEST(test_soft_and_objective) {
  ck_assert_double_eq(lasso_soft(3.0, 1.0), 2.0);
  ck_assert_double_eq(lasso_soft(-3.0, 1.0), -2.0);
  ck_assert_double_eq(lasso_soft(0.5, 1.0), 0.0);
  ck_assert_double_eq(lasso_soft(-1.0, 1.0), 0.0);
  float row[4] = {8.0f, 3.0f, 2.0f, 4.0f};
  ck_assert_double_eq_tol(lasso_objective(row, 0.5), 8.0 / 8.0 + 1.5, 1e-12);
  float none[4] = {0};
  ck_assert(isnan(lasso_objective(none, 0.5)));
}
END_TEST

/* A centred 8 x 4 design with orthogonal columns of squared norm n, shifted
 * by per-column offsets (which the intercept absorbs): Xc^T Xc / n = I. */
static const int HAD[8][4] = {{1, 1, 1, 1},   {-1, 1, -1, 1}, {1, -1, -1, 1}, {-1, -1, 1, 1},
                              {1, 1, 1, -1},  {-1, 1, -1, -1}, {1, -1, -1, -1}, {-1, -1, 1, -1}};
static const float OFFSET[4] = {3.0f, -1.0f, 0.5f, 10.0f};
static const float YS[8] = {4.0f, -1.0f, 2.5f, 0.0f, 7.0f, 3.0f, -2.0f, 1.5f};

static void orthogonal_data(char *path) {
  char text[1024] = "", line[160];
  for (int i = 0; i < 8; i++) {
    snprintf(line, sizeof line, "%g", YS[i]);
    strcat(text, line);
    for (int j = 0; j < 4; j++) {
      snprintf(line, sizeof line, " %g", HAD[i][j] + OFFSET[j]);
      strcat(text, line);
    }
    strcat(text, "\n");
  }
  write_temp(path, text);
}

/* The closed form: beta_j = soft(xc_j . yc / n, lambda), F at it. */
static double orthogonal_solution(double lambda, double *beta, int *nnz) {
  double ym = 0;
  for (int i = 0; i < 8; i++) ym += YS[i] / 8.0;
  *nnz = 0;
  double l1 = 0;
  for (int j = 0; j < 4; j++) {
    double c = 0;
    for (int i = 0; i < 8; i++) c += HAD[i][j] * (YS[i] - ym) / 8.0;
    beta[j] = lasso_soft(c, lambda);
    *nnz += beta[j] != 0.0;
    l1 += fabs(beta[j]);
  }
  double ss = 0;
  for (int i = 0; i < 8; i++) {
    double r = YS[i] - ym;
    for (int j = 0; j < 4; j++) r -= HAD[i][j] * beta[j];
    ss += r * r;
  }
  return ss / 16.0 + lambda * l1;
}

START_TEST(test_lipschitz) {
  char path[64], err[256];
  orthogonal_data(path);
  lasso_data d;
  ck_assert_int_eq(lasso_data_load(path, NULL, &d, err, sizeof err), 0);
  unlink(path);
  double mean[4], ym;
  lasso_data_means(&d, mean, &ym);
  ck_assert_double_eq_tol(mean[3], 10.0, 1e-12);
  ck_assert_double_eq_tol(lasso_lipschitz(&d, mean, 100), 1.0, 1e-9);
  /* Scale column 2 by 3: its eigenvalue becomes 9. */
  for (uint32_t i = 0; i < 8; i++) d.dense[i * 4 + 2] = (float)(3 * HAD[i][2] + OFFSET[2]);
  lasso_data_means(&d, mean, &ym);
  ck_assert_double_eq_tol(lasso_lipschitz(&d, mean, 200), 9.0, 1e-6);
  lasso_data_free(&d);
}
END_TEST

/* ---- whole runs on the in-memory backend ---- */

#define RUN_MAX_CLOCKS 800
typedef struct run_result {
  float metrics[RUN_MAX_CLOCKS][APP_METRICS_WIDTH];
  float beta[16];
  uint32_t staleness_seen;
} run_result;

/* Runs lasso on data (a path) with `clients` clients of 2 workers and 2
 * shards, round robin by clock, then reads back the complete metrics rows
 * and the BETA table (p <= 16) through the PS. */
static void run_mem(const char *data, const char *options, uint32_t clients, uint32_t staleness,
                    uint32_t clocks, run_result *res) {
  enum { WPC = 2 };
  char err[256];
  app_params p = {.data = data, .options = options, .seed = 3, .nworkers = clients * WPC,
                  .clocks = clocks};
  void *shared;
  ck_assert_msg(lasso_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  tbl_set tables = {0};
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = clocks, .width = APP_METRICS_WIDTH};
  ck_assert_int_eq(tbl_add(&tables, &metrics), 0);
  ck_assert_int_eq(lasso_app.tables(shared, &tables), 0);
  st_config cfg = {.nclients = clients, .nservers = 2, .workers_per_client = WPC,
                   .server_base = clients, .staleness = staleness, .ordered = staleness == 0};
  mem_opts mo = {.seed = 7, .max_delay = 3};
  mem_world *world = mem_create(&cfg, &tables, &mo);
  ck_assert_ptr_nonnull(world);
  ps_worker w[16];
  void *ws[16];
  for (uint32_t c = 0; c < clients; c++)
    for (uint32_t k = 0; k < WPC; k++) {
      uint32_t g = c * WPC + k;
      w[g] = (ps_worker){.client = mem_node(world, c)->client, .be = mem_backend(world, c),
                         .id = k, .client_index = c, .nworkers = p.nworkers, .global_index = g};
      ck_assert_int_eq(lasso_app.worker_init(shared, &w[g], &ws[g]), 0);
    }
  res->staleness_seen = ps_staleness(&w[0]);
  for (st_clock_t clock = 0; clock < clocks; clock++)
    for (uint32_t g = 0; g < p.nworkers; g++) {
      ck_assert_int_eq(lasso_app.step(shared, ws[g], &w[g], clock), 0);
      ck_assert_int_eq(ps_clock(&w[g]), 0);
    }
  ck_assert_int_eq(mem_drain(world), 0);
  memset(res->metrics, 0, sizeof res->metrics);
  for (st_clock_t clock = 0; clock + staleness < clocks; clock++)
    ck_assert_int_eq(ps_get(&w[0], APP_METRICS_TABLE, clock, res->metrics[clock]), 0);
  const tbl_def *bt = tbl_find(&tables, LASSO_BETA_TABLE);
  ck_assert_uint_le(bt->width, 16); /* block values and the stamp */
  ck_assert_int_eq(bt->sparse, 1);
  ck_assert_int_eq(ps_get(&w[0], LASSO_BETA_TABLE, 0, res->beta), 0);
  ck_assert_int_eq(mem_error(world), 0);
  for (uint32_t g = 0; g < p.nworkers; g++) lasso_app.worker_free(shared, ws[g]);
  mem_destroy(world);
  lasso_app.free(shared);
}

START_TEST(test_run_orthogonal) {
  char path[64];
  orthogonal_data(path);
  double beta[4];
  int nnz;
  double want = orthogonal_solution(1.1, beta, &nnz);
  ck_assert_int_eq(nnz, 2); /* lambda 1.1 zeroes two of the four */
  static run_result res;
  /* s = 0 and L = 1: one ISTA step from 0 lands on the solution. */
  run_mem(path, "lambda=1.1", 2, 0, 6, &res);
  ck_assert_uint_eq(res.staleness_seen, 0);
  double ym = 0, f0 = 0;
  for (int i = 0; i < 8; i++) ym += YS[i] / 8.0;
  for (int i = 0; i < 8; i++) f0 += (YS[i] - ym) * (YS[i] - ym) / 16.0;
  ck_assert_double_eq_tol(lasso_objective(res.metrics[0], 1.1), f0, 1e-6 * f0);
  for (int c = 1; c < 6; c++) {
    ck_assert_double_eq_tol(lasso_objective(res.metrics[c], 1.1), want, 1e-6 * want);
    ck_assert_float_eq(res.metrics[c][2], 2.0f);
    ck_assert_float_eq(res.metrics[c][3], 8.0f);
  }
  for (int j = 0; j < 4; j++) ck_assert_float_eq_tol(res.beta[j], (float)beta[j], 1e-6);
  /* s = 2: the step is 1/(3L), so it gets there geometrically. */
  run_mem(path, "lambda=1.1", 2, 2, 80, &res);
  ck_assert_uint_eq(res.staleness_seen, 2);
  ck_assert_double_eq_tol(lasso_objective(res.metrics[77], 1.1), want, 1e-6 * want);
  ck_assert_double_lt(lasso_objective(res.metrics[3], 1.1), f0);
  for (int j = 0; j < 4; j++) ck_assert_float_eq_tol(res.beta[j], (float)beta[j], 1e-5);
  unlink(path);
}
END_TEST

START_TEST(test_run_diabetes) {
  static run_result res;
  const char *path = LASSO_DATA_DIR "/diabetes.svm";
  const double want = SKLEARN_DIABETES_OBJECTIVE;
  run_mem(path, "lambda=0.1", 4, 0, 200, &res);
  double f = lasso_objective(res.metrics[199], 0.1);
  ck_assert_msg(fabs(f - want) <= 1e-4 * want, "s=0: %.9g vs scikit-learn %.9g", f, want);
  ck_assert_float_eq(res.metrics[199][2], 7.0f); /* scikit-learn's support has 7 */
  run_mem(path, "lambda=0.1", 4, 3, 800, &res);
  f = lasso_objective(res.metrics[796], 0.1);
  ck_assert_msg(fabs(f - want) <= 1e-4 * want, "s=3: %.9g vs scikit-learn %.9g", f, want);
  /* Objectives never go far below the optimum (a stale row mixes views). */
  for (int c = 0; c < 797; c++) ck_assert(lasso_objective(res.metrics[c], 0.1) > want * 0.99);
}
END_TEST

START_TEST(test_worker_state) {
  char path[64], err[256];
  orthogonal_data(path);
  app_params p = {.data = path, .seed = 1, .nworkers = 1, .clocks = 2};
  void *shared;
  ck_assert_int_eq(lasso_app.load(&p, &shared, err, sizeof err), 0);
  unlink(path);
  tbl_set tables = {0};
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = 2, .width = APP_METRICS_WIDTH};
  ck_assert_int_eq(tbl_add(&tables, &metrics), 0);
  ck_assert_int_eq(lasso_app.tables(shared, &tables), 0);
  st_config cfg = {.nclients = 1, .nservers = 1, .workers_per_client = 1, .server_base = 1};
  mem_opts mo = {.seed = 1};
  mem_world *world = mem_create(&cfg, &tables, &mo);
  ps_worker w = {.client = mem_node(world, 0)->client, .be = mem_backend(world, 0),
                 .nworkers = 1};
  void *a, *b;
  ck_assert_int_eq(lasso_app.worker_init(shared, &w, &a), 0);
  ck_assert_int_eq(lasso_app.step(shared, a, &w, 0), 0);
  uint8_t *buf, *buf2;
  size_t len, len2;
  ck_assert_int_eq(lasso_app.worker_save(shared, a, &buf, &len), 0);
  ck_assert_uint_eq(len, 4 + 2 * 4 * sizeof(double));
  ck_assert_int_eq(lasso_app.worker_init(shared, &w, &b), 0);
  ck_assert_int_eq(lasso_app.worker_load(shared, b, buf, len), 0);
  ck_assert_int_eq(lasso_app.worker_save(shared, b, &buf2, &len2), 0);
  ck_assert_mem_eq(buf, buf2, len);
  ck_assert_int_eq(lasso_app.worker_load(shared, b, buf, len - 1), ST_EFRAME);
  buf[0] ^= 1;
  ck_assert_int_eq(lasso_app.worker_load(shared, b, buf, len), ST_EFRAME);
  free(buf);
  free(buf2);
  lasso_app.worker_free(shared, a);
  lasso_app.worker_free(shared, b);
  mem_destroy(world);
  ck_assert_str_eq(lasso_app.extra_names[0], "nnz");
  float row[4] = {1, 2, 5, 8};
  ck_assert_double_eq(lasso_app.extra(shared, row, 0), 5.0);
  ck_assert_ptr_eq(app_find("lasso"), &lasso_app);
  lasso_app.free(shared);
  /* Bad data and options fail load with their message. */
  app_params bad = {.data = "/nonexistent.svm", .nworkers = 1, .clocks = 1};
  ck_assert_int_eq(lasso_app.load(&bad, &shared, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_null(shared);
  bad.data = NULL;
  bad.options = "lambda=x";
  ck_assert_int_eq(lasso_app.load(&bad, &shared, err, sizeof err), ST_EPARSE);
  ck_assert(strstr(err, "'lambda'") != NULL);
}
END_TEST

/* ---- the stale program ---- */

START_TEST(test_sim_matches_launch_at_s0) {
  const char *opts = "n=300,p=70,group=7,k=6,rho=0.5,lambda=0.05,block=16";
  char *sim[] = {STALE_PROG, "sim", "--app", "lasso", "--nodes", "4", "--staleness", "0",
                 "--clocks", "25", "--app-options", (char *)opts, NULL};
  ck_assert_int_eq(run_prog(sim, "lasso_e2e_sim.csv"), 0);
  char *run[] = {STALE_PROG, "launch", "--local", "4", "--app", "lasso", "--staleness", "0",
                 "--clocks", "25", "--app-options", (char *)opts, NULL};
  ck_assert_int_eq(run_prog(run, "lasso_e2e_real.csv"), 0);
  static char a[32][32], b[32][32];
  const char *cols[] = {"objective", "nnz"};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(read_column("lasso_e2e_sim.csv", cols[k], a, 32), 25);
    ck_assert_int_eq(read_column("lasso_e2e_real.csv", cols[k], b, 32), 25);
    for (int c = 0; c < 25; c++)
      ck_assert_msg(!strcmp(a[c], b[c]), "%s at clock %d: sim %s, launch %s", cols[k], c, a[c],
                    b[c]);
  }
  /* And it is optimising: coefficients appeared (a holds the nnz column
   * now), the objective fell. */
  ck_assert_int_gt(atoi(a[24]), 0);
  ck_assert_int_eq(read_column("lasso_e2e_sim.csv", "objective", a, 32), 25);
  ck_assert_double_lt(strtod(a[24], NULL), 0.5 * strtod(a[0], NULL));
  unlink("lasso_e2e_sim.csv");
  unlink("lasso_e2e_real.csv");
}
END_TEST

START_TEST(test_sim_diabetes_s3) {
  char *sim[] = {STALE_PROG, "sim", "--app", "lasso", "--data", LASSO_DATA_DIR "/diabetes.svm",
                 "--nodes", "8", "--staleness", "3", "--clocks", "700", NULL};
  ck_assert_int_eq(run_prog(sim, "lasso_e2e_d3.csv"), 0);
  static char a[700][32];
  ck_assert_int_eq(read_column("lasso_e2e_d3.csv", "objective", a, 700), 700);
  double f = strtod(a[699], NULL), want = SKLEARN_DIABETES_OBJECTIVE;
  ck_assert_msg(fabs(f - want) <= 1e-4 * want, "%.9g vs scikit-learn %.9g", f, want);
  unlink("lasso_e2e_d3.csv");
}
END_TEST

static Suite *lasso_suite(void) {
  Suite *s = suite_create("lasso");
  TCase *data = tcase_create("data");
  tcase_add_test(data, test_libsvm_errors);
  tcase_add_test(data, test_table_errors);
  tcase_add_test(data, test_formats_agree);
  tcase_add_test(data, test_gen);
  tcase_add_test(data, test_gen_main_roundtrip);
  tcase_add_test(data, test_standardize);
  suite_add_tcase(s, data);
  TCase *model = tcase_create("model");
  tcase_add_test(model, test_options);
  tcase_add_test(model, test_soft_and_objective);
  tcase_add_test(model, test_lipschitz);
  tcase_add_test(model, test_worker_state);
  suite_add_tcase(s, model);
  TCase *run = tcase_create("run");
  tcase_add_test(run, test_run_orthogonal);
  tcase_add_test(run, test_run_diabetes);
  tcase_add_test(run, test_sim_matches_launch_at_s0);
  tcase_add_test(run, test_sim_diabetes_s3);
  suite_add_tcase(s, run);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(lasso_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
