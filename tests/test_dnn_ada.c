/* test_dnn_ada.c: the DNN with step=adarevision (its layer tables under the
 * AdaRevision rule, core/ada.h): options; the gradient step gives SGD's
 * delta bit for bit and leaves the parameters as they were; and at s = 0
 * `stale launch --local 4` gives `stale sim --nodes 4`'s loss and accuracy
 * bit for bit at every clock, on a small generated set, and learns.
 * STALE_PROG is the stale program, given by the build. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/net.h"
#include "dnn_testdata.h"
#include "st.h"
#include "test_prog.h"

START_TEST(options_take_step_and_eta0) {
  dnn_options o;
  char err[256];
  ck_assert_int_eq(dnn_options_parse(NULL, &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.adarev, 0);
  ck_assert_int_eq(dnn_options_parse("step=adarevision,eta0=0.05", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.adarev, 1);
  ck_assert_float_eq(o.eta0, 0.05f);
  ck_assert_int_eq(dnn_options_parse("step=sgd", &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.adarev, 0);
  static const struct {
    const char *text, *says;
  } bad[] = {{"step=adam", "sgd or adarevision"},
             {"eta0=0", "'eta0'"},
             {"eta0=abc", "bad value 'abc'"},
             {"step=sgd,step=sgd", "given twice"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(dnn_options_parse(bad[i].text, &o, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[i].says) != NULL, "%s: %s", bad[i].text, err);
  }
}
END_TEST

START_TEST(grad_step_is_sgd_without_the_move) {
  dnn_options o = dnn_options_defaults();
  o.nl = 2;
  o.size[0] = 5;
  o.size[1] = 4;
  o.size[2] = 3;
  o.row_units = 3;
  dnn_layout L;
  ck_assert_int_eq(dnn_layout_make(&o, &L), 0);
  size_t np = L.nparams;
  float *p = malloc(np * sizeof *p), *q = malloc(np * sizeof *q);
  float *d1 = calloc(np, sizeof *d1), *d2 = calloc(np, sizeof *d2);
  dnn_init_params(&L, 3, p);
  memcpy(q, p, np * sizeof *p);
  uint8_t img[4 * 5] = {10, 200, 30, 0, 255, 90, 14, 77, 120, 3, 250, 1, 60, 180, 40, 5, 5, 99, 0, 33};
  uint8_t y[4] = {0, 2, 1, 2};
  dnn_scratch s;
  ck_assert_int_eq(dnn_scratch_init(&s, &L, 4), 0);
  dnn_load_batch(&L, &s, img, NULL, 4);
  double a = dnn_grad_step(&L, q, d1, &s, y, 4, 0.5f);
  ck_assert_mem_eq(q, p, np * sizeof *p); /* not moved */
  dnn_load_batch(&L, &s, img, NULL, 4);
  double b = dnn_sgd_step(&L, q, d2, &s, y, 4, 0.5f);
  ck_assert(a == b);
  ck_assert_mem_eq(d1, d2, np * sizeof *d1);
  size_t moved = 0;
  for (size_t k = 0; k < np; k++) moved += q[k] != p[k];
  ck_assert_uint_gt(moved, 0); /* SGD did move */
  dnn_scratch_free(&s);
  free(p);
  free(q);
  free(d1);
  free(d2);
}
END_TEST

START_TEST(launch_local_matches_sim_at_s0) {
  char dir[] = "/tmp/test_dnn_ada_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(td_write_set(dir, "train", 400, 8, 4, 21, 1), 0);
  ck_assert_int_eq(td_write_set(dir, "t10k", 100, 8, 4, 22, 0), 0);
  char *opts = "layers=64-16-4,batch=8,batches=3,row_units=5,step=adarevision,eta0=0.05";
  char *sim[] = {STALE_PROG, "sim", "--app", "dnn", "--nodes", "4", "--staleness", "0",
                 "--clocks", "8", "--data", dir, "--app-options", opts, NULL};
  char *real[] = {STALE_PROG, "launch", "--local", "4", "--app", "dnn", "--staleness", "0",
                  "--clocks", "8", "--data", dir, "--app-options", opts, NULL};
  ck_assert_int_eq(run_prog(sim, "dnn_ada_sim.csv"), 0);
  ck_assert_int_eq(run_prog(real, "dnn_ada_real.csv"), 0);
  static const char *const cols[] = {"objective", "test_accuracy"};
  char a[64][32], b[64][32];
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(read_column("dnn_ada_sim.csv", cols[k], a, 64), 8);
    ck_assert_int_eq(read_column("dnn_ada_real.csv", cols[k], b, 64), 8);
    for (int c = 0; c < 8; c++)
      ck_assert_msg(!strcmp(a[c], b[c]), "%s, clock %d: sim %s real %s", cols[k], c, a[c], b[c]);
  }
  /* a[] holds the accuracies: the run learned, so the equality is not of blanks */
  ck_assert_msg(strtod(a[7], NULL) > strtod(a[0], NULL) + 0.4, "accuracy %s -> %s", a[0], a[7]);
  unlink("dnn_ada_sim.csv");
  unlink("dnn_ada_real.csv");
  static const char *const files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                      "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  for (int k = 0; k < 4; k++) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, files[k]);
    unlink(p);
  }
  rmdir(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dnn_ada");
  TCase *m = tcase_create("model");
  tcase_add_test(m, options_take_step_and_eta0);
  tcase_add_test(m, grad_step_is_sgd_without_the_move);
  suite_add_tcase(s, m);
  TCase *r = tcase_create("runs");
  tcase_set_timeout(r, 120);
  tcase_add_test(r, launch_local_matches_sim_at_s0);
  suite_add_tcase(s, r);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
