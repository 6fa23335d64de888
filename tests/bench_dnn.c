/* bench_dnn.c: the DNN app's compute against this machine's OpenBLAS, one
 * thread: sgemm's peak on large squares, the SGD step's achieved GF/s at
 * batch 64 and 256 with the ratio to the peak, and a profile of the step:
 * each sgemm call of the step timed alone at its shape, plus the
 * elementwise rest. experiments/bench_dnn.sh runs it; `--check` makes it a
 * seconds-long smoke test for ctest (no speed is asserted anywhere).
 *
 *   bench_dnn [--seconds S] [--layers 784-256-128-10] [--check] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnn/net.h"
#include "mf/rng.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *randf(size_t n, uint64_t seed) {
  float *x = malloc((n ? n : 1) * sizeof *x);
  if (!x) exit(1);
  mf_rng r;
  mf_rng_seed(&r, seed, 1);
  for (size_t k = 0; k < n; k++) x[k] = (float)(mf_rng_uniform(&r) - 0.5);
  return x;
}

/* GF/s of one sgemm shape (row-major, C[m x n] = op(A) op(B)), repeated
 * for about `seconds`. */
static double time_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, int lda,
                        int ldb, double seconds) {
  size_t asz = (size_t)(ta == CblasNoTrans ? m : k) * lda;
  size_t bsz = (size_t)(tb == CblasNoTrans ? k : n) * ldb;
  float *a = randf(asz, 1), *b = randf(bsz, 2), *c = randf((size_t)m * n, 3);
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
  uint64_t reps = 0;
  double t0 = now_s(), t;
  do {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    reps++;
    t = now_s();
  } while (t - t0 < seconds);
  free(a), free(b), free(c);
  return 2.0 * m * n * (double)k * (double)reps / (t - t0) / 1e9;
}

/* GF/s (as the step charges its flops) and seconds per step. */
static double time_step(const dnn_layout *L, uint32_t batch, double seconds, double *per_step) {
  float *p = malloc(L->nparams * sizeof *p), *d = calloc(L->nparams, sizeof *d);
  uint32_t in = L->layer[0].in, classes = L->layer[L->nl - 1].out;
  uint8_t *img = malloc((size_t)batch * in), *y = malloc(batch);
  dnn_scratch s;
  if (!p || !d || !img || !y || dnn_scratch_init(&s, L, batch)) exit(1);
  dnn_init_params(L, 1, p);
  mf_rng r;
  mf_rng_seed(&r, 7, 2);
  for (size_t k = 0; k < (size_t)batch * in; k++) img[k] = (uint8_t)(mf_rng_next(&r) >> 56);
  for (uint32_t k = 0; k < batch; k++) y[k] = (uint8_t)mf_rng_below(&r, classes);
  dnn_load_batch(L, &s, img, NULL, batch);
  dnn_sgd_step(L, p, d, &s, y, batch, 1e-4f);
  uint64_t steps = 0;
  double t0 = now_s(), t;
  do {
    dnn_load_batch(L, &s, img, NULL, batch);
    dnn_sgd_step(L, p, d, &s, y, batch, 1e-4f);
    steps++;
    t = now_s();
  } while (t - t0 < seconds);
  *per_step = (t - t0) / (double)steps;
  dnn_scratch_free(&s);
  free(p), free(d), free(img), free(y);
  return dnn_step_flops(L, batch) / *per_step / 1e9;
}

int main(int argc, char **argv) {
  double seconds = 1.0;
  int check = 0;
  const char *layers = "784-256-128-10";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) {
      check = 1;
      seconds = 0.02;
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (!strcmp(argv[i], "--layers") && i + 1 < argc) {
      layers = argv[++i];
    } else {
      fprintf(stderr, "usage: bench_dnn [--seconds S] [--layers A-B-C] [--check]\n");
      return 2;
    }
  }
  openblas_set_num_threads(1);
  char opt[128], err[256];
  snprintf(opt, sizeof opt, "layers=%s", layers);
  dnn_options o;
  dnn_layout L;
  if (dnn_options_parse(opt, &o, err, sizeof err) || dnn_layout_make(&o, &L)) {
    fprintf(stderr, "bench_dnn: %s\n", err);
    return 2;
  }
  printf("openblas %s, %d thread(s)\n", openblas_get_config(), openblas_get_num_threads());
  double peak = 0;
  static const int sq[] = {1024, 2048};
  for (int k = 0; k < (check ? 1 : 2); k++) {
    int n = check ? 128 : sq[k];
    double g = time_gemm(CblasNoTrans, CblasNoTrans, n, n, n, n, n, seconds);
    printf("sgemm %dx%dx%d: %.2f GF/s\n", n, n, n, g);
    if (g > peak) peak = g;
  }
  printf("sgemm_peak_gflops %.2f\n", peak);
  static const uint32_t batches[] = {64, 256};
  for (int bi = 0; bi < 2; bi++) {
    uint32_t b = batches[bi];
    double per;
    double g = time_step(&L, b, seconds, &per);
    printf("step batch %u: %.3f ms, %.2f GF/s, %.1f%% of peak, %.0f images/s\n", b, per * 1e3, g,
           100.0 * g / peak, b / per);
    printf("step_gflops_batch%u %.2f\nstep_ratio_batch%u %.3f\n", b, g, b, g / peak);
    /* profile: every sgemm of the step alone at its shape */
    double gemm_s = 0;
    for (uint32_t l = 0; l < L.nl; l++) {
      const dnn_layer *y = &L.layer[l];
      int m = (int)b, out = (int)y->out, in = (int)y->in, ld = (int)y->ld;
      double f = 2.0 * m * out * in / 1e9;
      double gf = time_gemm(CblasNoTrans, CblasTrans, m, out, in, in, ld, seconds / 4);
      double gw = time_gemm(CblasTrans, CblasNoTrans, out, in, m, out, in, seconds / 4);
      double gx = l ? time_gemm(CblasNoTrans, CblasNoTrans, m, in, out, out, ld, seconds / 4) : 0;
      gemm_s += f / gf + f / gw + (l ? f / gx : 0);
      printf("  layer %u (%ux%u): forward %.2f GF/s, weight grad %.2f GF/s", l, y->in, y->out, gf,
             gw);
      if (l) printf(", input grad %.2f GF/s", gx);
      printf("\n");
    }
    printf("  sgemm alone %.3f ms of the step's %.3f ms; the rest (bias, ReLU, softmax, "
           "byte->float, update) %.3f ms\n",
           gemm_s * 1e3, per * 1e3, (per - gemm_s) * 1e3);
  }
  return 0;
}
